package console

// 窓口リクエスト (counter requests): the desk's open requests for titles the library does not own (調査中,
// 選書中), and what staff decide for each — the same operations as the staff JSON API
// (POST /api/v1/staff/holds/{id}/order, /ill, /refuse, POST /api/v1/staff/items with hold_id):
//
//	GET  /staff/requests                    the desk's open requests (age, 図書館利用券番号, what was asked)
//	POST /staff/requests/:id/order          発注 (選書中)
//	POST /staff/requests/:id/ill            相互貸借 (stays 調査中, marked ILL)
//	POST /staff/requests/:id/refuse         謝絶, with the reason the patron sees (reason required)
//	GET  /staff/requests/:id/receive        受入: catalogue the title or pick one, and the copy's barcode
//	POST /staff/requests/:id/receive        registers the copy for the request: the request is served
//
// Every POST redirects with its answer or its refusal (flash.go): to the list, or a refused 受入 back to its
// form with the input as typed.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

func init() { StaffTexts.Add(requestTexts) }

// requestTexts are the counter request pages' wording (joined into StaffTexts).
var requestTexts = httpkit.TextTable{
	"staff.requests":              {"窓口リクエスト", "Counter requests"},
	"staff.requests.help":         {"この館で受け取る、未所蔵資料のリクエスト（調査中・選書中）です。発注・相互貸借・謝絶を記録し、資料が届いたら「受入」で登録してください。", "Requests for titles the library does not own, to be picked up at this branch (investigating or on order). Record an order, an inter-library loan or a refusal; when the copy comes, register it with 受入 (receive)."},
	"staff.requests.card":         {"図書館利用券番号", "Library card number"},
	"staff.requests.age":          {"受付から", "Age"},
	"staff.requests.days":         {"%d日", "%d days"},
	"staff.requests.asked":        {"リクエスト内容", "Requested"},
	"staff.requests.ill":          {"相互貸借", "Inter-library loan"},
	"staff.requests.order":        {"発注", "Order"},
	"staff.requests.refuse":       {"謝絶", "Refuse"},
	"staff.requests.reason":       {"謝絶の理由（利用者の予約状況に表示されます）", "Reason (shown to the patron on their holds)"},
	"staff.requests.receive":      {"受入", "Receive"},
	"staff.requests.done.order":   {"予約 %s：発注を記録しました（選書中）。", "Hold %s: ordered (on order)."},
	"staff.requests.done.ill":     {"予約 %s：相互貸借の手配を記録しました（調査中のまま）。", "Hold %s: inter-library loan arranged (still investigating)."},
	"staff.requests.done.refuse":  {"予約 %s を謝絶しました。利用者には次の理由が表示されます：", "Hold %s was refused. The patron sees this reason:"},
	"staff.requests.received":     {"予約 %s の資料を受け入れました。", "The copy for hold %s was received."},
	"staff.requests.reason_req":   {"謝絶の理由を入力してください（500バイト以内）。", "Enter the reason for the refusal (at most 500 bytes)."},
	"staff.reqrecv.title":         {"リクエストの受入", "Receive a requested title"},
	"staff.reqrecv.help":          {"届いた資料を登録します。新しく書誌を作成するか、登録済みの書誌を選び、資料のバーコードを読み取ってください。資料はこの館の所蔵として登録され、リクエストの予約に充てられます。", "Register the copy that came: catalogue the title, or pick one already in the catalogue, and scan the copy's barcode. The copy is registered at this branch and goes to the request's hold."},
	"staff.reqrecv.new":           {"新しく書誌を作成して受入", "Catalogue the title and receive"},
	"staff.reqrecv.existing":      {"登録済みの書誌で受入", "Receive as a title already catalogued"},
	"staff.reqrecv.candidates":    {"候補の書誌", "Matching titles"},
	"staff.reqrecv.none":          {"候補の書誌はありません。", "No matching titles."},
	"staff.reqrecv.find":          {"書誌を検索（ISBN・バーコード・キーワード）", "Find a title (ISBN, barcode or keywords)"},
	"staff.reqrecv.find.submit":   {"検索", "Find"},
	"staff.reqrecv.publisher":     {"出版者", "Publisher"},
	"staff.reqrecv.year":          {"出版年", "Year"},
	"staff.reqrecv.format":        {"資料種別", "Format"},
	"staff.reqrecv.submit":        {"受入", "Receive"},
	"staff.reqrecv.copies":        {"所蔵 %d 冊", "%d copies"},
	"staff.format.book":           {"図書", "Book"},
	"staff.format.magazine":       {"雑誌", "Magazine"},
	"staff.format.cd":             {"CD", "CD"},
	"staff.format.video":          {"ビデオ", "Video"},
	"staff.format.dvd":            {"DVD", "DVD"},
	"staff.counter.find":          {"資料を探す（ISBN・資料バーコード・キーワード）", "Find the title (ISBN, a copy's barcode or keywords)"},
	"staff.counter.find.submit":   {"検索", "Find"},
	"staff.counter.find.none":     {"該当する資料はありません。", "No title found."},
	"staff.counter.choose":        {"この資料を予約", "Hold this title"},
	"staff.counter.chosen":        {"選択中の資料", "Chosen title"},
	"staff.counter.not_holdable":  {"予約不可（禁帯出・電子テキスト）", "Not holdable (reference only or e-text)"},
	"staff.counter.owned":         {"この資料は所蔵しています：", "The library owns this title:"},
	"staff.counter.owned.offer":   {"この資料を通常の予約にする", "Place a normal hold on this title"},
	"staff.counter.kind.title_id": {"資料ID（検索結果から選ぶか、直接入力）", "Title ID (pick one from the search, or type it)"},
}

// requestFormats are the formats a received copy can be catalogued as (not e-texts: they have no copies).
var requestFormats = []domain.Format{domain.FormatBook, domain.FormatMagazine, domain.FormatCD, domain.FormatVideo, domain.FormatDVD}

// requestRow is an open counter request as the desk reads it.
type requestRow struct {
	HoldID, Card, Name, Title, Author, ISBN, PlacedAt, Status, Label string
	Days                                                             int
	ILL, CanOrder, CanILL                                            bool
}

func (s *Console) requestRow(r store.OpenRequest) requestRow {
	return requestRow{HoldID: httpkit.IDString(r.HoldID), Card: r.Card, Name: r.Name, Title: r.Title, Author: r.Author.String,
		ISBN: r.ISBN.String, PlacedAt: r.PlacedAt.In(s.Cfg.Location).Format("2006-01-02"), Status: string(r.Status),
		Label: domain.Label(r.Status, ""), Days: domain.DaysWaiting(r.PlacedAt, time.Now(), s.Cfg.Location), ILL: r.ILL,
		CanOrder: r.Status == domain.StatusInvestigating, CanILL: r.Status == domain.StatusInvestigating && !r.ILL}
}

// requestRoutes mounts the counter request pages on the console's staff group.
func (s *Console) requestRoutes(st *gin.RouterGroup) {
	st.GET("/requests", s.staffRequestsPage)
	st.POST("/requests/:id/order", s.staffRequestOrder)
	st.POST("/requests/:id/ill", s.staffRequestILL)
	st.POST("/requests/:id/refuse", s.staffRequestRefuse)
	st.GET("/requests/:id/receive", s.staffRequestReceivePage)
	st.POST("/requests/:id/receive", s.staffRequestReceiveSubmit)
}

func (s *Console) requestsData(c *gin.Context, d staffDesk, data gin.H) error {
	rs, err := store.OpenRequests(c.Request.Context(), s.DB, d.Branch.Code)
	if err != nil {
		return err
	}
	rows := make([]requestRow, len(rs))
	for i, r := range rs {
		rows[i] = s.requestRow(r)
	}
	data["Requests"], data["Nav"] = rows, "requests"
	return nil
}

// staffRequestsPage lists the desk's open requests, with the answer of a decision just recorded.
func (s *Console) staffRequestsPage(c *gin.Context) {
	s.staffListAnswer(c, "staff_requests", gin.H{"Nav": "requests"}, func(d staffDesk, data gin.H) *httpkit.OpError {
		f, ok := s.takeFlash(c, "request", "request_received")
		if !ok || s.showRefusal(c, f, data) {
			return nil
		}
		id := httpkit.IDString(f.HoldID)
		if f.Op == "request_received" {
			data["Received"] = gin.H{"HoldID": id, "Routing": s.routingView(c, d, f.routing(), f.Barcode)}
			return nil
		}
		done := gin.H{"HoldID": id, "Outcome": f.Outcome}
		if f.Outcome == "refuse" {
			if h, err := store.GetHold(c.Request.Context(), s.DB, f.HoldID, 0); err == nil {
				done["Reason"] = h.CancelNote.String
			}
		}
		data["Done"] = done
		return nil
	}, func(d staffDesk, data gin.H) error { return s.requestsData(c, d, data) })
}

// requestDecision records a decision on an open request and goes back to the list; act gets the request.
func (s *Console) requestDecision(c *gin.Context, outcome string, act func(r store.OpenRequest) error) {
	s.staffListPost(c, "/staff/requests", "request", func(d staffDesk, data gin.H) (flash, *httpkit.OpError) {
		r, e := httpkit.Op(s.Lib.OpenRequest(c.Request.Context(), c.Param("id")))
		if e != nil {
			return flash{}, e
		}
		if e := httpkit.OpErr(act(r)); e != nil {
			return flash{}, e
		}
		return flash{Op: "request", HoldID: r.HoldID, Outcome: outcome}, nil
	})
}

// staffRequestOrder: the title was ordered from a bookseller (選書中).
func (s *Console) staffRequestOrder(c *gin.Context) {
	s.requestDecision(c, "order", func(r store.OpenRequest) error {
		_, err := s.Lib.StaffUpdate(c.Request.Context(), r.HoldID, contract.UpdateOrder, contract.StaffRequest{StaffID: httpkit.StaffID(c)})
		return err
	})
}

// staffRequestILL: an inter-library loan was arranged (the request stays 調査中, marked ILL).
func (s *Console) staffRequestILL(c *gin.Context) {
	s.requestDecision(c, "ill", func(r store.OpenRequest) error {
		_, err := s.Lib.StaffUpdate(c.Request.Context(), r.HoldID, contract.UpdateILL, contract.StaffRequest{StaffID: httpkit.StaffID(c)})
		return err
	})
}

// errReasonRequired is a refusal without a reason: at the desk the patron must be told why.
var errReasonRequired = httpkit.Refused(http.StatusUnprocessableEntity, library.CodeInvalidRequest)

// staffRequestRefuse: the library will not serve the request (謝絶); the reason reaches the patron's holds
// (the hold's cancel_note).
func (s *Console) staffRequestRefuse(c *gin.Context) {
	reason := strings.TrimSpace(c.PostForm("reason"))
	s.staffListPost(c, "/staff/requests", "request", func(d staffDesk, data gin.H) (flash, *httpkit.OpError) {
		data["Reason"], data["ReasonFor"] = reason, c.Param("id")
		ctx := c.Request.Context()
		r, e := httpkit.Op(s.Lib.OpenRequest(ctx, c.Param("id")))
		if e != nil {
			return flash{}, e
		}
		if reason == "" {
			data["ReasonError"] = true
			return flash{}, errReasonRequired
		}
		h, e := httpkit.Op(s.Lib.AnyHold(ctx, httpkit.IDString(r.HoldID)))
		if e != nil {
			return flash{}, e
		}
		if _, e := httpkit.Op(s.Lib.Refuse(ctx, h, reason, httpkit.StaffID(c))); e != nil {
			if e.Code == library.CodeInvalidRequest {
				data["ReasonError"] = true
			}
			return flash{}, e
		}
		return flash{Op: "request", HoldID: r.HoldID, Outcome: "refuse"}, nil
	})
}

// requestRefusal renders the list with a refusal of a request that is not (or no longer) open (the receive
// page's GET; its POST goes back to the list with refuseTo).
func (s *Console) requestRefusal(c *gin.Context, d staffDesk, e *httpkit.OpError) {
	data := gin.H{}
	if err := s.requestsData(c, d, data); err != nil {
		s.Internal(c, err)
		return
	}
	s.staffRefusal(c, "staff_requests", d, data, e)
}

// --- 受入 (receive a requested title) ---

// foundTitle is a title the desk may pick.
type foundTitle struct {
	ID, Title, Author, ISBN, Publisher, NotHoldable string
	Copies                                          int
}

func foundTitles(ts []store.TitleSummary) []foundTitle {
	out := make([]foundTitle, len(ts))
	for i, t := range ts {
		out[i] = foundTitle{ID: httpkit.IDString(t.ID), Title: t.Title, Author: t.Author, ISBN: t.ISBN.String, Publisher: t.Publisher,
			NotHoldable: t.NotHoldableReason(), Copies: t.CopiesTotal}
	}
	return out
}

// receiveForm is the receive page's form as typed (or as prefilled from the request).
type receiveForm struct {
	Mode, Title, Author, ISBN, Publisher, Year, Format, TitleID, Find string
	CallNumber, Shelf                                                 string // the copy's 請求記号 and 配架場所 (optional)
}

// receiveData fills the receive page: the request, its form and the candidate titles (the request's ISBN
// or title, or what staff searched for).
func (s *Console) receiveData(c *gin.Context, r store.OpenRequest, form receiveForm, data gin.H) *httpkit.OpError {
	q := form.Find
	if q == "" {
		q = r.ISBN.String
		if _, ok := domain.NormalizeISBN(q); !ok || q == "" {
			q = r.Title
		}
	}
	found, e := httpkit.Op(s.Lib.FindTitles(c.Request.Context(), q))
	if e != nil && e.Err != nil {
		return e
	}
	data["Request"], data["Form"], data["Candidates"], data["Formats"] = s.requestRow(r), form, foundTitles(found), requestFormats
	data["Nav"] = "requests"
	return e // a search the catalogue refuses (invalid_query) shows in red, with the form
}

func (s *Console) staffRequestReceivePage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		r, e := httpkit.Op(s.Lib.OpenRequest(c.Request.Context(), c.Param("id")))
		if e != nil {
			s.requestRefusal(c, d, e)
			return
		}
		form := receiveForm{Mode: "new", Title: r.Title, Author: r.Author.String, ISBN: r.ISBN.String, Format: string(domain.FormatBook),
			Find: strings.TrimSpace(c.Query("find"))}
		if form.Find != "" {
			form.Mode = "existing"
		}
		data := gin.H{}
		f, refused := s.takeFlash(c, "request_receive")
		if refused && f.HoldID == r.HoldID {
			keepAs(f, "Form", &form) // the form as typed when it was refused
			s.showRefusal(c, f, data)
			delete(data, "Form") // receiveData sets it, typed
		}
		if e := s.receiveData(c, r, form, data); e != nil {
			s.staffRefusal(c, "staff_request_receive", d, data, e)
			return
		}
		s.staffPage(c, http.StatusOK, "staff_request_receive", d, data)
	})
}

// staffRequestReceiveSubmit registers the copy that came for the request: mode=new catalogues the title
// first (as POST /api/v1/staff/titles), mode=existing takes title_id; then the copy is registered for the
// request (as POST /api/v1/staff/items with hold_id) at the desk's branch and goes to the hold.
func (s *Console) staffRequestReceiveSubmit(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		ctx := c.Request.Context()
		r, e := httpkit.Op(s.Lib.OpenRequest(ctx, c.Param("id")))
		if e != nil {
			s.refuseTo(c, "/staff/requests", "request", e, gin.H{})
			return
		}
		form := receiveForm{Mode: c.PostForm("mode"), Title: c.PostForm("title"), Author: c.PostForm("author"), ISBN: c.PostForm("isbn"),
			Publisher: c.PostForm("publisher"), Year: strings.TrimSpace(c.PostForm("year")), Format: c.PostForm("format"),
			TitleID: strings.TrimSpace(c.PostForm("title_id")), CallNumber: c.PostForm("call_number"), Shelf: c.PostForm("shelf_location")}
		if form.Mode != "existing" {
			form.Mode = "new"
		}
		refused := func(e *httpkit.OpError) {
			if e.Err == nil {
				f := flash{Op: "request_receive", HoldID: r.HoldID, Code: string(e.Code),
					Keep: gin.H{"Barcode": strings.TrimSpace(c.PostForm("barcode")), "Form": form}}
				s.redirectWith(c, "/staff/requests/"+httpkit.IDString(r.HoldID)+"/receive", f)
				return
			}
			s.FailOp(c, e)
		}
		recv := library.Received{HoldID: c.Param("id"), TitleID: form.TitleID, Barcode: c.PostForm("barcode"), Branch: d.Branch.Code,
			CallNumber: form.CallNumber, ShelfLocation: form.Shelf}
		if form.Mode == "new" {
			t := library.Title{Title: form.Title, Author: form.Author, ISBN: form.ISBN, Publisher: form.Publisher, Format: form.Format}
			if form.Year != "" {
				y, err := strconv.Atoi(form.Year)
				if err != nil {
					refused(httpkit.Refused(httpkit.StatusOf(library.CodeInvalidYear), library.CodeInvalidYear))
					return
				}
				t.Year = &y
			}
			recv.NewTitle = &t
		}
		routing, e := httpkit.Op(s.Lib.ReceiveRequest(ctx, recv, httpkit.StaffID(c)))
		if e != nil {
			refused(e)
			return
		}
		f := routingFlash("request_received", routing, strings.TrimSpace(recv.Barcode))
		f.HoldID = r.HoldID
		s.redirectWith(c, "/staff/requests", f)
	})
}

// --- 窓口予約: finding the title, and the owned-title offer ---

// counterFind fills the counter page from its query: find (an ISBN, a copy's barcode or keywords) lists the
// titles to choose from; title_id (a title chosen) prefills the title form with it; card keeps the card
// number typed before the search. A search the catalogue refuses is answered in red.
func (s *Console) counterFind(c *gin.Context, data gin.H) *httpkit.OpError {
	ctx := c.Request.Context()
	card, find, chosen := strings.TrimSpace(c.Query("card")), strings.TrimSpace(c.Query("find")), strings.TrimSpace(c.Query("title_id"))
	data["Find"], data["FindCard"] = find, card
	if card != "" || chosen != "" {
		data["Form"] = gin.H{"Card": card, "TitleID": chosen}
	}
	if chosen != "" {
		if t, err := s.Lib.Title(ctx, chosen); err == nil {
			data["Chosen"] = foundTitles([]store.TitleSummary{t.TitleSummary})[0]
		}
	}
	if find == "" {
		return nil
	}
	found, e := httpkit.Op(s.Lib.FindTitles(ctx, find))
	data["Found"], data["Searched"] = foundTitles(found), true
	return e
}

// counterOffer: a request refused because the library owns the title (owned_title) offers a normal hold on
// that title, with the card and pickup place as typed.
func (s *Console) counterOffer(c *gin.Context, code domain.Code, titleID int64, data gin.H) {
	if code != library.CodeOwnedTitle || titleID == 0 {
		return
	}
	t, err := s.Lib.Title(c.Request.Context(), httpkit.IDString(titleID))
	if err != nil {
		s.Log.WarnContext(c.Request.Context(), "web: owned title", "title", titleID, "err", err)
		return
	}
	data["Owned"] = foundTitles([]store.TitleSummary{t.TitleSummary})[0]
}
