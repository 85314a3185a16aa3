package opac

// The patron pages of the basket and the holds: 予約かご (全選択, 予約受取館/場所, 通常予約する, シリーズ予約する,
// いずれか予約), the confirmation (予約する) and result screens, 予約状況 (any-of groups as one block each, with
// シリーズ予約に変更), 予約情報変更 →
// 予約情報変更確認 → 予約情報変更申込を受付ました, and 予約取消確認 → 予約取消を申込みました.

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/httpkit"
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
func (s *Pages) renderBasket(c *gin.Context, st patronBasketState) {
	ctx := c.Request.Context()
	patron := httpkit.PatronID(c)
	items, err := store.Basket(ctx, s.DB, patron)
	if err != nil {
		s.Internal(c, err)
		return
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = httpkit.IDString(it.TitleID)
	}
	info, err := s.patronTitles(ctx, ids)
	if err != nil {
		s.Internal(c, err)
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
		s.Internal(c, err)
		return
	}
	prof, err := store.PatronProfile(ctx, s.DB, patron)
	if err != nil {
		s.Internal(c, err)
		return
	}
	status := cmp.Or(st.status, http.StatusOK)
	s.Page(c, status, "basket", gin.H{"Rows": rows, "Limit": store.BasketLimit, "Branches": branches,
		"Pickup": st.pickup, "Message": st.msg, "Contact": prof.Contact})
}

// basketPage is GET /basket; ?added=n after 予約かごへ, ?err=code after a refusal.
func (s *Pages) basketPage(c *gin.Context) {
	st := patronBasketState{msg: patronRedirectMessage(c)}
	if n, err := strconv.Atoi(c.Query("added")); err == nil && n > 0 {
		st.msg = &patronMessage{Text: httpkit.Tr(c, "basket.added", n)}
	} else if err == nil && n == 0 { // every title chosen was in the basket already
		st.msg = &patronMessage{Text: httpkit.Tr(c, "basket.added_none")}
	}
	s.renderBasket(c, st)
}

// placeCountCode is the refusal of a number of ticked titles for a kind of placement: none ticked, or for
// いずれか予約 fewer than 2 or more than 5 (the library's operation would only say invalid_request); "" when
// the number will do.
func placeCountCode(mode string, ids []string) httpkit.Code {
	switch {
	case len(ids) == 0:
		return httpkit.CodeNothingSelected
	case mode == "any" && (len(ids) < store.MinGroup || len(ids) > store.MaxGroup):
		return httpkit.CodeAnyCount
	}
	return ""
}

// basketSubmit is the basket form's buttons: 全選択 (shows the basket with every title checked: works
// without JavaScript), かごから削除, and 通常予約する / シリーズ予約する / いずれか予約, which lead to the
// confirmation screen — or back to the basket with a red message when no title (or, for いずれか予約, not
// 2 to 5 titles) or no pickup place was chosen.
func (s *Pages) basketSubmit(c *gin.Context) {
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
			st.status, st.msg = http.StatusUnprocessableEntity, patronError(c, httpkit.CodeNothingSelected)
			s.renderBasket(c, st)
			return
		}
		for _, raw := range ids {
			if id, ok := library.ParseID(raw); ok {
				if err := store.RemoveFromBasket(ctx, s.DB, httpkit.PatronID(c), id); err != nil {
					s.Internal(c, err)
					return
				}
			}
		}
		httpkit.SeeOther(c, "/basket")
		return
	case "normal", "series", "any":
		if code := placeCountCode(action, ids); code != "" {
			st.status, st.msg = http.StatusUnprocessableEntity, patronError(c, code)
			s.renderBasket(c, st)
			return
		}
		if pickup == "" {
			st.status, st.msg = http.StatusUnprocessableEntity, patronError(c, httpkit.CodePickupRequired)
			s.renderBasket(c, st)
			return
		}
		b, err := store.BranchByCode(ctx, s.DB, pickup)
		if err != nil {
			oe := httpkit.StoreError(err)
			if oe.Err != nil {
				s.FailOp(c, oe)
				return
			}
			st.status, st.msg = oe.Status, patronError(c, oe.Code)
			s.renderBasket(c, st)
			return
		}
		info, err := s.patronTitles(ctx, ids)
		if err != nil {
			s.Internal(c, err)
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
		s.Page(c, http.StatusOK, "basket_confirm", gin.H{"Rows": rows, "Mode": action, "Pickup": b})
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
func (s *Pages) placeSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	mode := c.PostForm("mode")
	ids := formIDs(c.PostFormArray("title_id"))
	if mode == "series" {
		ids = formOrder(c, ids)
	}
	pickup := strings.TrimSpace(c.PostForm("pickup")) // Place trims it too; the result page reads the branch again
	code := placeCountCode(mode, ids)
	if code == "" && pickup == "" {
		code = httpkit.CodePickupRequired
	}
	if code != "" {
		httpkit.SeeOther(c, "/basket?err="+string(code))
		return
	}
	info, err := s.patronTitles(ctx, ids)
	if err != nil {
		s.Internal(c, err)
		return
	}
	placed, rejected, err := s.Lib.Place(ctx, library.Placement{PatronID: httpkit.PatronID(c), TitleIDs: ids, Pickup: pickup, Mode: mode})
	if s.Refused(c, err, func(status int, code httpkit.Code) {
		checked := map[string]bool{}
		for _, id := range ids {
			checked[id] = true
		}
		s.renderBasket(c, patronBasketState{checked: checked, pickup: pickup, status: status, msg: patronError(c, code)})
	}) {
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
		ok = append(ok, patronPlaced{patronTitleName: name(p.TitleID), Status: patronStatusLabel(httpkit.Lang(c), p.Hold.Shown(), "")})
	}
	var no []patronRejected
	for _, r := range rejected {
		no = append(no, patronRejected{patronTitleName: name(r.TitleID), Reason: httpkit.Message(c, r.Code)})
	}
	b, err := store.BranchByCode(ctx, s.DB, pickup)
	if err != nil {
		s.Internal(c, err)
		return
	}
	s.Page(c, http.StatusOK, "basket_result", gin.H{"Placed": ok, "Rejected": no, "Mode": mode, "Pickup": b,
		"Grouped": len(placed) > 0 && placed[0].Hold.GroupID.Valid})
}

// --- 予約状況 ---

// patronHold is one line of 予約状況.
type patronHold struct {
	httpkit.HoldJSON
	Label      string
	PickupName string
	Cancelled  bool
	Seriesable bool        // may be turned into a series hold (シリーズ予約に変更)
	Wait       *patronWait // 用意できる目安 of a queued hold
	holdExplained
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
		case domain.CancelOtherEdition:
			return "Another edition provided"
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
	domain.StatusSuspended:       "Suspended",
}

func patronHoldOf(lang string, h store.HoldView, names map[string]string) patronHold {
	j := httpkit.HoldOf(h)
	r := patronHold{HoldJSON: j, PickupName: cmp.Or(names[h.Pickup], h.Pickup),
		Label:     patronStatusLabel(lang, domain.Status(j.Status), domain.CancelReason(h.CancelReason.String)),
		Cancelled: h.Status == domain.StatusCancelled}
	if j.SuspendedUntil != nil {
		r.Label = suspendedLabel(lang, *j.SuspendedUntil)
	}
	// a suspended hold cannot join a series (its workflow refuses the hand-over): resume it first
	// nor can a member of an any-of group (store.JoinSeries refuses it)
	r.Seriesable = j.CanChangePickup && j.Series == nil && j.GroupID == nil && !h.ILL && h.TitleID.Valid && h.Status != domain.StatusSuspended
	r.holdExplained = explainHold(h, j)
	return r
}

// renderHolds shows 予約状況.
func (s *Pages) renderHolds(c *gin.Context, status int, msg *patronMessage) {
	ctx := c.Request.Context()
	hs, err := store.PatronHolds(ctx, s.DB, httpkit.PatronID(c))
	if err != nil {
		s.Internal(c, err)
		return
	}
	_, names, err := s.branchNames(ctx)
	if err != nil {
		s.Internal(c, err)
		return
	}
	est, err := s.Lib.Estimates(ctx, hs)
	if err != nil {
		s.Internal(c, err)
		return
	}
	rows := make([]patronHold, len(hs))
	for i, h := range hs {
		rows[i] = patronHoldOf(httpkit.Lang(c), h, names)
	}
	s.withEstimates(httpkit.Lang(c), hs, rows, est)
	readyFirst(rows)
	sizes, err := store.PatronGroupSizes(ctx, s.DB, httpkit.PatronID(c))
	if err != nil {
		s.Internal(c, err)
		return
	}
	var seriesable []patronHold
	for _, r := range rows {
		if r.Seriesable {
			seriesable = append(seriesable, r)
		}
	}
	if len(seriesable) < 2 {
		seriesable = nil
	}
	checked := map[string]bool{}
	for _, id := range c.PostFormArray("hold_id") {
		checked[id] = true
	}
	data := gin.H{"Holds": rows, "Blocks": holdBlocks(rows, sizes), "Seriesable": seriesable, "Checked": checked, "Message": msg}
	for k, v := range suspendForm(s.Location()) {
		data[k] = v
	}
	for k, v := range holdsNotices(rows, httpkit.Lang(c)) {
		data[k] = v
	}
	s.Page(c, status, "holds", data)
}

// holdBlock is a run of 予約状況's rows: the members of one any-of group (Group set), or holds of no group.
type holdBlock struct {
	Group *holdGroup
	Rows  []patronHold
}

// holdGroup is the heading of an any-of group's block.
type holdGroup struct {
	ID   string
	Size int // members placed, listed or not
}

// holdBlocks gathers the members of each any-of group where its first member is listed, so that a group reads
// as one block; the other holds keep their order. sizes are the groups' member counts by group ID.
func holdBlocks(rows []patronHold, sizes map[int64]int) []holdBlock {
	var blocks []holdBlock
	at := map[string]int{} // group ID → its block
	for _, r := range rows {
		if r.GroupID == nil {
			if n := len(blocks); n > 0 && blocks[n-1].Group == nil {
				blocks[n-1].Rows = append(blocks[n-1].Rows, r)
			} else {
				blocks = append(blocks, holdBlock{Rows: []patronHold{r}})
			}
			continue
		}
		g := *r.GroupID
		if i, ok := at[g]; ok {
			blocks[i].Rows = append(blocks[i].Rows, r)
			continue
		}
		size := 0
		if id, ok := library.ParseID(g); ok {
			size = sizes[id]
		}
		at[g] = len(blocks)
		blocks = append(blocks, holdBlock{Group: &holdGroup{ID: g, Size: size}, Rows: []patronHold{r}})
	}
	for _, b := range blocks { // sizes read after the holds: never fewer than the members listed
		if b.Group != nil {
			b.Group.Size = max(b.Group.Size, len(b.Rows))
		}
	}
	return blocks
}

// holdsPage is GET /holds (予約状況); ?done=series after シリーズ予約に変更.
func (s *Pages) holdsPage(c *gin.Context) {
	msg := extendMessage(c)
	if c.Query("done") == "series" {
		msg = &patronMessage{Text: httpkit.Tr(c, "holds.series.done")}
	}
	if m := suspendDone(c); m != nil {
		msg = m
	}
	if m := deferDone(c); m != nil {
		msg = m
	}
	s.renderHolds(c, http.StatusOK, msg)
}

// seriesSubmit is シリーズ予約に変更: the checked holds, in the order chosen, become one series hold
// (joinSeries, as POST /api/v1/series).
func (s *Pages) seriesSubmit(c *gin.Context) {
	ids := formIDs(c.PostFormArray("hold_id"))
	if len(ids) < 2 {
		s.renderHolds(c, http.StatusUnprocessableEntity, patronError(c, httpkit.CodeSeriesTooFew))
		return
	}
	_, _, err := s.Lib.JoinSeries(c.Request.Context(), httpkit.PatronID(c), formOrder(c, ids))
	if s.Refused(c, err, func(status int, code httpkit.Code) {
		s.renderHolds(c, status, patronError(c, code))
	}) {
		return
	}
	httpkit.SeeOther(c, "/holds?done=series")
}

// --- 予約内容変更 (受取館変更) ---

// patronOwnHold reads the patron's hold of the path for the change and cancel pages; false when answered.
func (s *Pages) patronOwnHold(c *gin.Context) (store.HoldView, patronHold, []store.Branch, bool) {
	ctx := c.Request.Context()
	h, err := s.Lib.OwnHold(ctx, c.Param("id"), httpkit.PatronID(c))
	if err != nil {
		s.FailErr(c, err)
		return h, patronHold{}, nil, false
	}
	branches, names, err := s.branchNames(ctx)
	if err != nil {
		s.Internal(c, err)
		return h, patronHold{}, nil, false
	}
	return h, patronHoldOf(httpkit.Lang(c), h, names), branches, true
}

// patronChangeData is the data of the 予約情報変更 pages.
func patronChangeData(row patronHold, branches []store.Branch, pickup string, msg *patronMessage) gin.H {
	return gin.H{"Hold": row, "Branches": branches, "Pickup": cmp.Or(pickup, row.PickupBranch), "Message": msg}
}

// changePage is 予約情報変更: the hold and the 予約受取館 pull-down, for holds that may be changed online.
func (s *Pages) changePage(c *gin.Context) {
	_, row, branches, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	if !row.CanChangePickup {
		s.Page(c, http.StatusConflict, "hold_change", patronChangeData(row, branches, "", patronError(c, contract.ErrNotChangeable)))
		return
	}
	s.Page(c, http.StatusOK, "hold_change", patronChangeData(row, branches, "", nil))
}

// changeConfirm is 予約情報変更確認: the change to confirm (変更する), after checking the place takes the format.
func (s *Pages) changeConfirm(c *gin.Context) {
	h, row, branches, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	pickup := c.PostForm("pickup")
	again := func(status int, code httpkit.Code) {
		s.Page(c, status, "hold_change", patronChangeData(row, branches, pickup, patronError(c, code)))
	}
	if !row.CanChangePickup {
		again(http.StatusConflict, contract.ErrNotChangeable)
		return
	}
	if pickup == "" {
		again(http.StatusUnprocessableEntity, httpkit.CodePickupRequired)
		return
	}
	if s.Refused(c, s.Lib.PickupAllowed(c.Request.Context(), h, pickup), again) {
		return
	}
	var to store.Branch
	for _, b := range branches {
		if b.Code == pickup {
			to = b
		}
	}
	s.Page(c, http.StatusOK, "hold_change_confirm", gin.H{"Hold": row, "To": to})
}

// changeSubmit is 変更する on 予約情報変更確認: changeOwnPickup (as PATCH /api/v1/holds/{id}), then
// 予約情報変更申込を受付ました.
func (s *Pages) changeSubmit(c *gin.Context) {
	h, row, branches, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	pickup := c.PostForm("pickup")
	h, err := s.Lib.ChangePickup(c.Request.Context(), h, pickup, 0)
	if s.Refused(c, err, func(status int, code httpkit.Code) {
		s.Page(c, status, "hold_change", patronChangeData(row, branches, pickup, patronError(c, code)))
	}) {
		return
	}
	names := map[string]string{}
	for _, b := range branches {
		names[b.Code] = b.Name
	}
	s.Page(c, http.StatusOK, "hold_changed", gin.H{"Hold": patronHoldOf(httpkit.Lang(c), h, names)})
}

// --- 予約取消 ---

// cancelPage is 予約取消確認: the hold and 取消する, for holds that may be cancelled online.
func (s *Pages) cancelPage(c *gin.Context) {
	_, row, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	if !row.CanCancel {
		s.Page(c, http.StatusConflict, "hold_cancel", gin.H{"Hold": row, "Message": patronError(c, contract.ErrNotCancellable)})
		return
	}
	s.Page(c, http.StatusOK, "hold_cancel", gin.H{"Hold": row})
}

// cancelSubmit is 取消する: cancelOwnHold (as POST /api/v1/holds/{id}/cancel), then 予約取消を申込みました
// with the hold as 取消申込.
func (s *Pages) cancelSubmit(c *gin.Context) {
	h, row, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	h, status, err := s.Lib.CancelOwn(c.Request.Context(), h)
	if s.Refused(c, err, func(status int, code httpkit.Code) {
		s.Page(c, status, "hold_cancel", gin.H{"Hold": row, "Message": patronError(c, code)})
	}) {
		return
	}
	j := httpkit.CancelRequestedJSON(h, status)
	row.HoldJSON = j
	row.Label = patronStatusLabel(httpkit.Lang(c), domain.Status(j.Status), domain.CancelReason(derefString(j.CancelReason)))
	s.Page(c, http.StatusOK, "hold_cancelled", gin.H{"Hold": row})
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
