package api

// The patron pages of the basket and the holds: 予約かご (全選択, 予約受取館/場所, 通常予約する, シリーズ予約する),
// the confirmation (予約する) and result screens, 予約状況 (with シリーズ予約に変更), 予約情報変更 →
// 予約情報変更確認 → 予約情報変更申込を受付ました, and 予約取消確認 → 予約取消を申込みました.

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/library"
	"yoyaku/store"
)

// patronBasketRow is one title in 予約かご.
type patronBasketRow struct {
	patronTitleName
	Checked bool
}

// patronBasketState is what the basket page shows besides the titles: what was checked and chosen.
type patronBasketState struct {
	checked   map[string]bool
	allPicked bool
	pickup    string
	status    int
	msg       *patronMessage
}

// renderBasket shows 予約かご.
func (s *Server) renderBasket(c *gin.Context, st patronBasketState) {
	ctx := c.Request.Context()
	patron := patronID(c)
	items, err := store.Basket(ctx, s.DB, patron)
	if err != nil {
		s.internal(c, err)
		return
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = idString(it.TitleID)
	}
	info, err := s.patronTitles(ctx, ids)
	if err != nil {
		s.internal(c, err)
		return
	}
	rows := make([]patronBasketRow, len(items))
	for i, it := range items {
		n := info[ids[i]]
		n.ID, n.Title = ids[i], it.Title
		rows[i] = patronBasketRow{patronTitleName: n, Checked: st.allPicked || st.checked[ids[i]]}
	}
	branches, _, err := s.branchNames(ctx)
	if err != nil {
		s.internal(c, err)
		return
	}
	prof, err := store.PatronProfile(ctx, s.DB, patron)
	if err != nil {
		s.internal(c, err)
		return
	}
	status := cmp.Or(st.status, http.StatusOK)
	s.page(c, status, "basket", gin.H{"Rows": rows, "Limit": store.BasketLimit, "Branches": branches,
		"Pickup": st.pickup, "Message": st.msg, "Contact": prof.Contact})
}

// basketPage is GET /basket; ?added=n after 予約かごへ, ?err=code after a refusal.
func (s *Server) basketPage(c *gin.Context) {
	st := patronBasketState{msg: patronRedirectMessage(c)}
	if n, err := strconv.Atoi(c.Query("added")); err == nil && n > 0 {
		st.msg = &patronMessage{Text: tr(c, "basket.added", n)}
	}
	s.renderBasket(c, st)
}

// basketSubmit is the basket form's buttons: 全選択 (shows the basket with every title checked: works
// without JavaScript), かごから削除, and 通常予約する / シリーズ予約する, which lead to the confirmation
// screen — or back to the basket with a red message when no title or no pickup place was chosen.
func (s *Server) basketSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	ids := formIDs(c.PostFormArray("title_id"))
	checked := map[string]bool{}
	for _, id := range ids {
		checked[id] = true
	}
	pickup := c.PostForm("pickup")
	st := patronBasketState{checked: checked, pickup: pickup}
	switch action := c.PostForm("action"); action {
	case "select_all":
		st.allPicked = true
		s.renderBasket(c, st)
		return
	case "remove":
		if len(ids) == 0 {
			st.status, st.msg = http.StatusUnprocessableEntity, patronError(c, CodeNothingSelected)
			s.renderBasket(c, st)
			return
		}
		for _, raw := range ids {
			if id, ok := parseID(raw); ok {
				if err := store.RemoveFromBasket(ctx, s.DB, patronID(c), id); err != nil {
					s.internal(c, err)
					return
				}
			}
		}
		seeOther(c, "/basket")
		return
	case "normal", "series":
		if len(ids) == 0 {
			st.status, st.msg = http.StatusUnprocessableEntity, patronError(c, CodeNothingSelected)
			s.renderBasket(c, st)
			return
		}
		if pickup == "" {
			st.status, st.msg = http.StatusUnprocessableEntity, patronError(c, CodePickupRequired)
			s.renderBasket(c, st)
			return
		}
		b, err := store.BranchByCode(ctx, s.DB, pickup)
		if err != nil {
			oe := storeError(err)
			if oe.err != nil {
				s.failOp(c, oe)
				return
			}
			st.status, st.msg = oe.status, patronError(c, oe.code)
			s.renderBasket(c, st)
			return
		}
		info, err := s.patronTitles(ctx, ids)
		if err != nil {
			s.internal(c, err)
			return
		}
		var rows []patronTitleName
		for _, id := range ids {
			if n, ok := info[id]; ok {
				rows = append(rows, n)
			}
		}
		if action == "series" { // reading order: by series and volume, as a first guess the patron can change
			slices.SortStableFunc(rows, func(a, b patronTitleName) int {
				if a.Series != b.Series {
					return cmp.Compare(a.Series, b.Series)
				}
				return cmp.Compare(a.Volume, b.Volume)
			})
		}
		s.page(c, http.StatusOK, "basket_confirm", gin.H{"Rows": rows, "Mode": action, "Pickup": b})
		return
	}
	st.status, st.msg = http.StatusUnprocessableEntity, patronError(c, library.CodeInvalidRequest)
	s.renderBasket(c, st)
}

// patronPlaced and patronRejected are the lines of the result screen.
type patronPlaced struct {
	patronTitleName
	Status string
}

type patronRejected struct {
	patronTitleName
	Reason string
}

// placeSubmit is 予約する on the confirmation screen: placeTitles, as POST /api/v1/holds, then the result
// screen — 以下のタイトルについて予約を行いました / 以下のタイトルは予約を行うことができません with 【理由】.
// Refused titles stay in the basket.
func (s *Server) placeSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	mode := c.PostForm("mode")
	ids := formIDs(c.PostFormArray("title_id"))
	if mode == "series" {
		ids = formOrder(c, ids)
	}
	pickup := c.PostForm("pickup")
	if len(ids) == 0 || pickup == "" {
		code := CodeNothingSelected
		if len(ids) > 0 {
			code = CodePickupRequired
		}
		seeOther(c, "/basket?err="+string(code))
		return
	}
	info, err := s.patronTitles(ctx, ids)
	if err != nil {
		s.internal(c, err)
		return
	}
	placed, rejected, oe := s.placeTitles(c, patronID(c), placeRequest{TitleIDs: ids, PickupBranch: pickup, Mode: mode})
	if oe != nil {
		if oe.err != nil {
			s.failOp(c, oe)
			return
		}
		checked := map[string]bool{}
		for _, id := range ids {
			checked[id] = true
		}
		s.renderBasket(c, patronBasketState{checked: checked, pickup: pickup, status: oe.status, msg: patronError(c, oe.code)})
		return
	}
	name := func(id string) patronTitleName {
		if n, ok := info[id]; ok {
			return n
		}
		return patronTitleName{ID: id, Title: id}
	}
	var ok []patronPlaced
	for _, p := range placed {
		ok = append(ok, patronPlaced{patronTitleName: name(p.TitleID), Status: patronStatusLabel(lang(c), domain.Status(p.Status), "")})
	}
	var no []patronRejected
	for _, r := range rejected {
		no = append(no, patronRejected{patronTitleName: name(r.TitleID), Reason: r.Message})
	}
	b, err := store.BranchByCode(ctx, s.DB, pickup)
	if err != nil {
		s.internal(c, err)
		return
	}
	s.page(c, http.StatusOK, "basket_result", gin.H{"Placed": ok, "Rejected": no, "Mode": mode, "Pickup": b})
}

// --- 予約状況 ---

// patronHold is one line of 予約状況.
type patronHold struct {
	HoldJSON
	Label      string
	PickupName string
	Cancelled  bool
	Seriesable bool // may be turned into a series hold (シリーズ予約に変更)
}

// patronStatusLabel is a hold status's label: the guide's Japanese (SPEC), or English.
func patronStatusLabel(lang string, shown domain.Status, reason domain.CancelReason) string {
	if lang != "en" {
		return domain.Label(shown, reason)
	}
	if shown == domain.StatusCancelled {
		switch reason {
		case domain.CancelPatron:
			return "Cancelled by you"
		case domain.CancelExpired:
			return "Expired (not collected)"
		}
		return "Cancelled"
	}
	if l, ok := patronStatusLabelsEN[shown]; ok {
		return l
	}
	return domain.Label(shown, reason)
}

var patronStatusLabelsEN = map[domain.Status]string{
	domain.StatusRequested:       "Requested",
	domain.StatusAwaitingPull:    "Being retrieved",
	domain.StatusAwaitingReturn:  "Awaiting return (next in line)",
	domain.StatusWaiting:         "Waiting in the queue",
	domain.StatusInvestigating:   "Under investigation",
	domain.StatusInTransit:       "In transit",
	domain.StatusPreparing:       "Preparing (series)",
	domain.StatusOnOrder:         "On order",
	domain.StatusReady:           "Ready for pickup",
	domain.StatusCancelRequested: "Cancellation requested",
	domain.StatusFulfilled:       "Borrowed",
}

func patronHoldOf(lang string, h store.HoldView, names map[string]string) patronHold {
	j := holdJSON(h)
	r := patronHold{HoldJSON: j, PickupName: cmp.Or(names[h.Pickup], h.Pickup),
		Label:     patronStatusLabel(lang, domain.Status(j.Status), domain.CancelReason(h.CancelReason.String)),
		Cancelled: h.Status == domain.StatusCancelled}
	r.Seriesable = j.CanChangePickup && j.Series == nil && !h.ILL && h.TitleID.Valid
	return r
}

// renderHolds shows 予約状況.
func (s *Server) renderHolds(c *gin.Context, status int, msg *patronMessage) {
	ctx := c.Request.Context()
	hs, err := store.PatronHolds(ctx, s.DB, patronID(c))
	if err != nil {
		s.internal(c, err)
		return
	}
	_, names, err := s.branchNames(ctx)
	if err != nil {
		s.internal(c, err)
		return
	}
	rows := make([]patronHold, len(hs))
	var seriesable []patronHold
	for i, h := range hs {
		rows[i] = patronHoldOf(lang(c), h, names)
		if rows[i].Seriesable {
			seriesable = append(seriesable, rows[i])
		}
	}
	if len(seriesable) < 2 {
		seriesable = nil
	}
	checked := map[string]bool{}
	for _, id := range c.PostFormArray("hold_id") {
		checked[id] = true
	}
	s.page(c, status, "holds", gin.H{"Holds": rows, "Seriesable": seriesable, "Checked": checked, "Message": msg})
}

// holdsPage is GET /holds (予約状況); ?done=series after シリーズ予約に変更.
func (s *Server) holdsPage(c *gin.Context) {
	msg := patronRedirectMessage(c)
	if c.Query("done") == "series" {
		msg = &patronMessage{Text: tr(c, "holds.series.done")}
	}
	s.renderHolds(c, http.StatusOK, msg)
}

// seriesSubmit is シリーズ予約に変更: the checked holds, in the order chosen, become one series hold
// (joinSeries, as POST /api/v1/series).
func (s *Server) seriesSubmit(c *gin.Context) {
	ids := formIDs(c.PostFormArray("hold_id"))
	if len(ids) < 2 {
		s.renderHolds(c, http.StatusUnprocessableEntity, patronError(c, CodeSeriesTooFew))
		return
	}
	_, _, oe := s.joinSeries(c.Request.Context(), patronID(c), formOrder(c, ids))
	if oe != nil {
		if oe.err != nil {
			s.failOp(c, oe)
			return
		}
		s.renderHolds(c, oe.status, patronError(c, oe.code))
		return
	}
	seeOther(c, "/holds?done=series")
}

// --- 予約内容変更 (受取館変更) ---

// patronOwnHold reads the patron's hold of the path for the change and cancel pages; false when answered.
func (s *Server) patronOwnHold(c *gin.Context) (store.HoldView, patronHold, []store.Branch, bool) {
	ctx := c.Request.Context()
	h, oe := s.findOwnHold(ctx, c.Param("id"), patronID(c))
	if oe != nil {
		s.failOp(c, oe)
		return h, patronHold{}, nil, false
	}
	branches, names, err := s.branchNames(ctx)
	if err != nil {
		s.internal(c, err)
		return h, patronHold{}, nil, false
	}
	return h, patronHoldOf(lang(c), h, names), branches, true
}

// patronChangeData is the data of the 予約情報変更 pages.
func patronChangeData(row patronHold, branches []store.Branch, pickup string, msg *patronMessage) gin.H {
	return gin.H{"Hold": row, "Branches": branches, "Pickup": cmp.Or(pickup, row.PickupBranch), "Message": msg}
}

// changePage is 予約情報変更: the hold and the 予約受取館 pull-down, for holds that may be changed online.
func (s *Server) changePage(c *gin.Context) {
	_, row, branches, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	if !row.CanChangePickup {
		s.page(c, http.StatusConflict, "hold_change", patronChangeData(row, branches, "", patronError(c, contract.ErrNotChangeable)))
		return
	}
	s.page(c, http.StatusOK, "hold_change", patronChangeData(row, branches, "", nil))
}

// changeConfirm is 予約情報変更確認: the change to confirm (変更する), after checking the place takes the format.
func (s *Server) changeConfirm(c *gin.Context) {
	h, row, branches, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	pickup := c.PostForm("pickup")
	again := func(status int, code Code) {
		s.page(c, status, "hold_change", patronChangeData(row, branches, pickup, patronError(c, code)))
	}
	if !row.CanChangePickup {
		again(http.StatusConflict, contract.ErrNotChangeable)
		return
	}
	if pickup == "" {
		again(http.StatusUnprocessableEntity, CodePickupRequired)
		return
	}
	if oe := s.pickupAllowed(c.Request.Context(), h, pickup); oe != nil {
		if oe.err != nil {
			s.failOp(c, oe)
			return
		}
		again(oe.status, oe.code)
		return
	}
	var to store.Branch
	for _, b := range branches {
		if b.Code == pickup {
			to = b
		}
	}
	s.page(c, http.StatusOK, "hold_change_confirm", gin.H{"Hold": row, "To": to})
}

// changeSubmit is 変更する on 予約情報変更確認: changeOwnPickup (as PATCH /api/v1/holds/{id}), then
// 予約情報変更申込を受付ました.
func (s *Server) changeSubmit(c *gin.Context) {
	h, row, branches, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	pickup := c.PostForm("pickup")
	if oe := s.changeOwnPickup(c.Request.Context(), h, pickup); oe != nil {
		if oe.err != nil {
			s.failOp(c, oe)
			return
		}
		s.page(c, oe.status, "hold_change", patronChangeData(row, branches, pickup, patronError(c, oe.code)))
		return
	}
	h, err := store.GetHold(c.Request.Context(), s.DB, h.ID, h.PatronID)
	if err != nil {
		s.internal(c, err)
		return
	}
	names := map[string]string{}
	for _, b := range branches {
		names[b.Code] = b.Name
	}
	s.page(c, http.StatusOK, "hold_changed", gin.H{"Hold": patronHoldOf(lang(c), h, names)})
}

// --- 予約取消 ---

// cancelPage is 予約取消確認: the hold and 取消する, for holds that may be cancelled online.
func (s *Server) cancelPage(c *gin.Context) {
	_, row, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	if !row.CanCancel {
		s.page(c, http.StatusConflict, "hold_cancel", gin.H{"Hold": row, "Message": patronError(c, contract.ErrNotCancellable)})
		return
	}
	s.page(c, http.StatusOK, "hold_cancel", gin.H{"Hold": row})
}

// cancelSubmit is 取消する: cancelOwnHold (as POST /api/v1/holds/{id}/cancel), then 予約取消を申込みました
// with the hold as 取消申込.
func (s *Server) cancelSubmit(c *gin.Context) {
	h, row, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	j, oe := s.cancelOwnHold(c.Request.Context(), h)
	if oe != nil {
		if oe.err != nil {
			s.failOp(c, oe)
			return
		}
		s.page(c, oe.status, "hold_cancel", gin.H{"Hold": row, "Message": patronError(c, oe.code)})
		return
	}
	row.HoldJSON = j
	row.Label = patronStatusLabel(lang(c), domain.Status(j.Status), domain.CancelReason(derefString(j.CancelReason)))
	s.page(c, http.StatusOK, "hold_cancelled", gin.H{"Hold": row})
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
