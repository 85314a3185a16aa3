// Package console serves the staff console (職員画面) under /staff/: html/template pages for the desks, on a
// desk PC or a tablet. Every operation is one of the library's operations (package library: CheckScan,
// Checkin, Pull, Missing, Receive, Lend, StaffUpdate, PlaceCounterHold; the store's lists), the same the
// staff JSON API calls, so the console and the API cannot drift apart. Refusals are shown in red with the
// code table's messages (package httpkit).
//
//	GET  /staff/login                  職員ログイン          POST /staff/login, POST /staff/logout
//	GET  /staff/                       home: desk branch selector, operations with counts
//	POST /staff/branch                 sets the desk's branch (cookie yoyaku_staff_branch)
//	GET  /staff/checkin                返却処理              POST /staff/checkin (barcode) → the routing in large type
//	GET  /staff/pull-list              確保リスト            POST /staff/pull, POST /staff/missing (per copy);
//	                                                         ?print=1 the print view (shelf order, no buttons)
//	GET  /staff/receive                配送受入              POST /staff/receive (barcode)
//	GET  /staff/checkout               貸出                  POST /staff/checkout (card number + barcode)
//	GET  /staff/call-list              連絡リスト            POST /staff/call-list/:id/call (outcome: 連絡済, 留守電, 不在),
//	                                                         POST /staff/call-list/:id/contacted (連絡済)
//	GET  /staff/hold-shelf             予約棚 (連絡日 and 取置期限; expired ones highlighted, cleared by a check-in)
//
// Every form answers 303 to its page with the answer, or the refusal and the input as typed, in a flash
// cookie (flash.go), so a refresh never posts it again. The login form alone answers a refusal at once (401,
// 429 with Retry-After, as every login does).
//
//	GET  /staff/counter                窓口予約              POST /staff/counter (title ID, or a request for an unowned title)
//	GET  /staff/requests               窓口リクエスト        order, ILL, refuse, receive (requests.go)
//	GET  /staff/holds/:id/slip         予約票                the slip of a copy routed to a hold, linked from each answer that routes one (slip.go)
//	GET  /staff/reports                集計                  charts and tables; ?ratio=; GET /staff/reports.csv?report= (reports.go)
//	GET  /staff/calendar               休館日・臨時休館      POST /staff/calendar, POST /staff/closures (calendar.go)
//
// Sessions and CSRF: session.go. The console is Japanese by default; ?lang=en switches it.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/auth"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// Templates are the console's templates (templates/*.html), parsed by the kit with the others.
//
//go:embed templates/*.html
var Templates embed.FS

// Console is the staff console (職員画面), on the shared kit.
type Console struct{ *httpkit.Kit }

// StaffWebRoutes mounts the staff console. It has its own session cookie and CSRF tokens, so it is not
// mounted under the patron pages' group (webRoutes): it gets webPage (HTML errors, language) and
// staffCSRFProtect instead of csrfProtect.
func (s *Console) StaffWebRoutes(r *gin.Engine) {
	g := r.Group("/staff", s.WebPage(), s.staffCSRFProtect())
	g.GET("/login", s.staffLoginPage)
	g.POST("/login", s.staffLoginSubmit)

	st := g.Group("", s.webStaff())
	st.POST("/logout", s.staffLogoutSubmit)
	st.GET("/", s.staffHomePage)
	st.POST("/branch", s.staffBranchSubmit)
	st.GET("/checkin", s.staffCheckinPage)
	st.POST("/checkin", s.staffCheckinSubmit)
	st.GET("/pull-list", s.staffPullListPage)
	st.POST("/pull", s.staffPullSubmit)
	st.POST("/missing", s.staffMissingSubmit)
	st.GET("/receive", s.staffReceivePage)
	st.POST("/receive", s.staffReceiveSubmit)
	st.GET("/checkout", s.staffCheckoutPage)
	st.POST("/checkout", s.staffCheckoutSubmit)
	st.GET("/call-list", s.staffCallListPage)
	st.POST("/call-list/:id/contacted", s.staffContactedSubmit)
	st.POST("/call-list/:id/call", s.staffCallSubmit)
	st.GET("/hold-shelf", s.staffHoldShelfPage)
	st.GET("/counter", s.staffCounterPage)
	st.POST("/counter", s.staffCounterSubmit)
	s.requestRoutes(st)  // 窓口リクエスト (requests.go)
	s.slipRoutes(st)     // 予約票 (slip.go)
	s.reportRoutes(st)   // 集計 (reports.go)
	s.calendarRoutes(st) // 休館日・臨時休館 (calendar.go)
}

// --- rendering ---

// staffDesk is the console's context for a page: the staff member, the desk's branch and all branches.
type staffDesk struct {
	Name     string
	Branch   store.Branch
	Branches []store.Branch
	names    map[string]string
}

// branchName is a branch's name, or its code when unknown.
func (d staffDesk) branchName(code string) string {
	if n, ok := d.names[code]; ok {
		return n
	}
	return code
}

// desk reads the staff member's name and the desk's branch: the cookie's, else the staff member's own
// branch, else the first library.
func (s *Console) desk(c *gin.Context) (staffDesk, error) {
	ctx := c.Request.Context()
	u, err := store.StaffByID(ctx, s.DB, httpkit.StaffID(c))
	if err != nil {
		return staffDesk{}, fmt.Errorf("web: %w", err)
	}
	bs, err := store.Branches(ctx, s.DB)
	if err != nil {
		return staffDesk{}, err
	}
	if len(bs) == 0 {
		return staffDesk{}, errors.New("web: no branches")
	}
	d := staffDesk{Name: u.Name, Branches: bs, names: map[string]string{}}
	for _, b := range bs {
		d.names[b.Code] = b.Name
	}
	want, _ := c.Cookie(StaffBranchCookie)
	for _, code := range []string{want, u.Branch.String, bs[0].Code} {
		for _, b := range bs {
			if code != "" && b.Code == code {
				d.Branch = b
				return d, nil
			}
		}
	}
	return d, nil
}

// staffPage renders a console page with the desk's data: .StaffName, .Desk (the branch), .Branches, .Nav
// (the operation, for the navigation) and the staff CSRF token.
func (s *Console) staffPage(c *gin.Context, status int, name string, d staffDesk, data gin.H) {
	data["CSRF"] = httpkit.CSRFToken(c)
	data["StaffName"] = d.Name
	data["Desk"] = d.Branch
	data["Branches"] = d.Branches
	if _, ok := data["Nav"]; !ok {
		data["Nav"] = strings.TrimPrefix(name, "staff_")
	}
	nav := make([]staffNavItem, len(staffOps))
	for i, op := range staffOps {
		nav[i] = staffNavItem{Key: op.key, Href: op.href, Label: httpkit.Tr(c, "staff."+op.key), Current: data["Nav"] == op.key}
	}
	data["StaffNav"] = nav
	s.Page(c, status, name, data)
}

// staffOps are the console's operations, in the navigation's order.
var staffOps = []struct{ key, href string }{
	{"checkin", "/staff/checkin"}, {"pull_list", "/staff/pull-list"}, {"receive", "/staff/receive"},
	{"checkout", "/staff/checkout"}, {"call_list", "/staff/call-list"}, {"hold_shelf", "/staff/hold-shelf"},
	{"counter", "/staff/counter"}, {"requests", "/staff/requests"}, {"reports", "/staff/reports"}, {"calendar", "/staff/calendar"},
}

type staffNavItem struct {
	Key, Href, Label string
	Current          bool
}

// staffRefusal renders a console page with a refusal or failure: status and message(c, code) in red. A
// failure of the system is logged first.
func (s *Console) staffRefusal(c *gin.Context, name string, d staffDesk, data gin.H, e *httpkit.OpError) {
	s.LogOp(c, e)
	data["Error"] = httpkit.Message(c, e.Code)
	data["ErrorCode"] = string(e.Code)
	s.staffPage(c, e.Status, name, d, data)
}

// staffListAnswer is the console's list pages (pull list, call list, hold shelf): the desk is read; act, when
// there is one (a form posted to the page), does the operation, may put its answer into data and returns its
// refusal; list then adds the list as it is after the operation; the page is rendered, with act's refusal
// in red (its status) above the list.
func (s *Console) staffListAnswer(c *gin.Context, name string, data gin.H, act func(d staffDesk, data gin.H) *httpkit.OpError,
	list func(d staffDesk, data gin.H) error) {
	s.withDesk(c, func(d staffDesk) {
		var e *httpkit.OpError
		if act != nil {
			e = act(d, data)
		}
		if err := list(d, data); err != nil {
			s.Internal(c, err)
			return
		}
		if e != nil {
			s.staffRefusal(c, name, d, data, e)
			return
		}
		s.staffPage(c, http.StatusOK, name, d, data)
	})
}

// withDesk runs a console handler with the desk read first.
func (s *Console) withDesk(c *gin.Context, h func(d staffDesk)) {
	d, err := s.desk(c)
	if err != nil {
		s.Internal(c, err)
		return
	}
	h(d)
}

// --- login, logout, home, branch ---

func (s *Console) staffLoginPage(c *gin.Context) {
	ok, err := staffSession.Read(s.Kit, c)
	if err != nil {
		s.Internal(c, err)
		return
	}
	if ok {
		c.Redirect(http.StatusSeeOther, StaffNext(c.Query("next")))
		return
	}
	s.renderStaffLogin(c, http.StatusOK, "", "")
}

func (s *Console) renderStaffLogin(c *gin.Context, status int, login, errMsg string) {
	s.Page(c, status, "staff_login", gin.H{
		"CSRF": httpkit.CSRFToken(c), "Login": login, "Next": StaffNext(c.Query("next")), "Error": errMsg,
	})
}

// staffLoginSubmit checks a staff login like POST /api/v1/staff/session (throttling, the same password
// check) and starts a console session. It is the one console form whose refusal is rendered at once: like
// every login it answers 401 invalid_credentials, or 429 too_many_attempts with Retry-After (README, Login
// throttling), and a successful login redirects.
func (s *Console) staffLoginSubmit(c *gin.Context) {
	login := strings.ToLower(strings.TrimSpace(c.PostForm("login")))
	u, err := httpkit.FindStaff(c.Request.Context(), s.DB, login)
	if err != nil {
		s.Internal(c, err)
		return
	}
	staffSession.Login(s.Kit, c, auth.StaffSubject(login), u.ID, u.PasswordHash, func(code httpkit.Code) {
		msg := httpkit.Message(c, code)
		if code == httpkit.CodeInvalidCredentials {
			msg = httpkit.Tr(c, "staff.login.failed") // worded for staff: the API's message speaks of library card numbers
		}
		s.renderStaffLogin(c, httpkit.StatusOf(code), login, msg)
	})
}

func (s *Console) staffLogoutSubmit(c *gin.Context) {
	if err := staffSession.End(s.Kit, c); err != nil {
		s.Internal(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, StaffLoginPath)
}

// staffHomePage is the console's home: the desk's branch and the operations, with the desk's work to do.
func (s *Console) staffHomePage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		ctx := c.Request.Context()
		pulls, err := store.PullList(ctx, s.DB, d.Branch.Code)
		if err != nil {
			s.Internal(c, err)
			return
		}
		calls, err := store.CallList(ctx, s.DB, d.Branch.Code)
		if err != nil {
			s.Internal(c, err)
			return
		}
		shelf, err := store.HoldShelf(ctx, s.DB, d.Branch.Code)
		if err != nil {
			s.Internal(c, err)
			return
		}
		expired := 0
		for _, h := range shelf {
			if h.Expired {
				expired++
			}
		}
		data := gin.H{
			"PullCount": len(pulls), "CallCount": len(calls), "ShelfCount": len(shelf) - expired, "ExpiredCount": expired,
			"Changed": c.Query("changed") != "",
		}
		if f, ok := s.takeFlash(c, "branch"); ok {
			s.showRefusal(c, f, data)
		}
		s.staffPage(c, http.StatusOK, "staff_home", d, data)
	})
}

// staffBranchSubmit remembers the desk's branch (a known branch only) and goes back home.
func (s *Console) staffBranchSubmit(c *gin.Context) {
	code := strings.TrimSpace(c.PostForm("branch"))
	if _, err := store.BranchByCode(c.Request.Context(), s.DB, code); err != nil {
		s.refuseTo(c, StaffHome, "branch", httpkit.StoreError(err), gin.H{})
		return
	}
	s.setStaffCookie(c, StaffBranchCookie, code, 365*24*3600)
	c.Redirect(http.StatusSeeOther, StaffHome+"?changed=1")
}

// --- routing answers (check-in, pull) ---

// routingView is a routing as the desk reads it: the headline in large type, and the hold.
type routingView struct {
	Action   string // hold_shelf, transit, reshelve
	Headline string
	HoldID   string
	ToBranch string
	Barcode  string
	Title    string
}

func (s *Console) routingView(c *gin.Context, d staffDesk, r contract.Routing, barcode string) routingView {
	v := routingView{Action: string(r.Action), Barcode: barcode, Title: s.copyTitle(c.Request.Context(), barcode)}
	if r.HoldID != 0 {
		v.HoldID = httpkit.IDString(r.HoldID)
	}
	switch r.Action {
	case contract.RouteHoldShelf:
		v.Headline = httpkit.Tr(c, "staff.route.shelf")
	case contract.RouteTransit:
		v.ToBranch = r.ToBranch
		v.Headline = httpkit.Tr(c, "staff.route.transit", d.branchName(r.ToBranch))
	default:
		v.Headline = httpkit.Tr(c, "staff.route.reshelve")
	}
	return v
}

// copyTitle is the title of a copy, for the desk's eyes ("" when unknown).
func (s *Console) copyTitle(ctx context.Context, barcode string) string {
	title, err := store.TitleOfCopy(ctx, s.DB, barcode)
	if err != nil {
		s.Log.WarnContext(ctx, "web: copy title", "barcode", barcode, "err", err)
	}
	return title
}

// --- 返却処理 (check-in) ---

func (s *Console) staffCheckinPage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		data := gin.H{"RequestID": library.NewRequestKey()}
		if f, ok := s.takeFlash(c, "checkin"); ok && !s.showRefusal(c, f, data) {
			data["Routing"] = s.routingView(c, d, f.routing(), f.Barcode)
		}
		s.staffPage(c, http.StatusOK, "staff_checkin", d, data)
	})
}

// staffCheckinSubmit checks a copy in at the desk's branch, like POST /api/v1/staff/checkin. The form's
// request_id is the scan's idempotency key: a form sent twice (a double click, a reload) is one scan.
func (s *Console) staffCheckinSubmit(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		refused := func(e *httpkit.OpError) {
			s.refuseTo(c, "/staff/checkin", "checkin", e, gin.H{"Barcode": strings.TrimSpace(c.PostForm("barcode"))})
		}
		r, e := httpkit.Op(library.ScanShape(library.Scan{Barcode: c.PostForm("barcode"), Branch: d.Branch.Code}))
		if e != nil {
			refused(e)
			return
		}
		reqID := strings.TrimSpace(c.PostForm("request_id"))
		if reqID == "" {
			reqID = library.NewRequestKey()
		} else if !library.ValidRequestKey(reqID) {
			refused(httpkit.Refused(http.StatusBadRequest, httpkit.CodeBadRequest))
			return
		}
		in := contract.CheckinInput{Barcode: r.Barcode, Branch: r.Branch, StaffID: httpkit.StaffID(c)}
		res, e := httpkit.Op(s.Lib.Checkin(c.Request.Context(), library.CheckinWorkflowID(in, "web-"+reqID), in))
		if e != nil {
			refused(e)
			return
		}
		s.redirectWith(c, "/staff/checkin", routingFlash("checkin", res.Routing, r.Barcode))
	})
}

// --- 確保リスト (pull list) ---

type pullRow struct {
	Barcode, Title, Author, CallNumber, Shelf, HoldID, Pickup string
	Here                                                      bool
	Reopens                                                   string // the pickup branch is closed today: the day it opens again
}

func (s *Console) pullListData(c *gin.Context, d staffDesk, data gin.H) error {
	items, err := store.PullListOn(c.Request.Context(), s.DB, d.Branch.Code, domain.DateOf(time.Now(), s.Cfg.Location))
	if err != nil {
		return err
	}
	rows := make([]pullRow, len(items))
	for i, it := range items {
		rows[i] = pullRow{Barcode: it.Barcode, Title: it.Title, Author: it.Author, CallNumber: it.CallNumber, Shelf: it.ShelfLocation,
			HoldID: httpkit.IDString(it.HoldID), Pickup: d.branchName(it.Pickup), Here: it.Pickup == d.Branch.Code,
			Reopens: it.PickupReopens}
	}
	data["Items"] = rows
	data["Nav"] = "pull_list"
	return nil
}

// staffPullListPage renders the pull list, with the answer of a 確保 or 所在不明 just made; with ?print=1 the
// print view instead.
func (s *Console) staffPullListPage(c *gin.Context) {
	if c.Query("print") == "1" {
		s.staffPullListPrint(c)
		return
	}
	s.staffListAnswer(c, "staff_pull_list", gin.H{}, func(d staffDesk, data gin.H) *httpkit.OpError {
		f, ok := s.takeFlash(c, "pull", "missing")
		switch {
		case !ok, s.showRefusal(c, f, data):
		case f.Op == "pull":
			data["Routing"] = s.routingView(c, d, f.routing(), f.Barcode)
		default:
			if h, err := store.GetHold(c.Request.Context(), s.DB, f.HoldID, 0); err == nil {
				data["Missing"] = gin.H{"Barcode": f.Barcode, "Hold": s.holdView(d, h)}
			}
		}
		return nil
	}, func(d staffDesk, data gin.H) error { return s.pullListData(c, d, data) })
}

// staffPullListPrint is the pull list on paper, to carry along the shelves: the desk and the date on top,
// the copies in shelf order with a box to tick, no buttons and no navigation. It leaves a 確保 or 所在不明
// answer waiting in its flash cookie for the list page.
func (s *Console) staffPullListPrint(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		data := gin.H{"Printed": domain.DateOf(time.Now(), s.Cfg.Location).String()}
		if err := s.pullListData(c, d, data); err != nil {
			s.Internal(c, err)
			return
		}
		s.staffPage(c, http.StatusOK, "staff_pull_list_print", d, data)
	})
}

// staffPullScan does act on the scanned copy, checked at the desk's branch, and goes back to the pull list
// with its answer, or its refusal and the barcode as typed.
func (s *Console) staffPullScan(c *gin.Context, op string, act func(d staffDesk, r library.Scan) (flash, error)) {
	s.staffListPost(c, "/staff/pull-list", op, func(d staffDesk, data gin.H) (flash, *httpkit.OpError) {
		data["Barcode"] = strings.TrimSpace(c.PostForm("barcode"))
		r, e := httpkit.Op(library.ScanShape(library.Scan{Barcode: c.PostForm("barcode"), Branch: d.Branch.Code}))
		if e != nil {
			return flash{}, e
		}
		f, err := act(d, r)
		return f, httpkit.OpErr(err)
	})
}

// staffPullSubmit: the copy was found on the shelf and secured (確保), like POST /api/v1/staff/pull.
func (s *Console) staffPullSubmit(c *gin.Context) {
	s.staffPullScan(c, "pull", func(d staffDesk, r library.Scan) (flash, error) {
		routing, err := s.Lib.Pull(c.Request.Context(), r, httpkit.StaffID(c))
		return routingFlash("pull", routing, r.Barcode), err
	})
}

// staffMissingSubmit: the copy is not on the shelf (所在不明), like POST /api/v1/staff/missing; the hold
// looks for another copy.
func (s *Console) staffMissingSubmit(c *gin.Context) {
	s.staffPullScan(c, "missing", func(d staffDesk, r library.Scan) (flash, error) {
		h, err := s.Lib.Missing(c.Request.Context(), r, httpkit.StaffID(c))
		return flash{Op: "missing", Barcode: r.Barcode, HoldID: h.ID}, err
	})
}

// holdRow is a hold as the console shows it.
type holdRow struct {
	ID, Title, Status, Label, Pickup, Origin, Deadline string
	Position                                           int64
}

func (s *Console) holdView(d staffDesk, h store.HoldView) holdRow {
	shown := h.Shown()
	v := holdRow{ID: httpkit.IDString(h.ID), Title: h.Title, Status: string(shown),
		Label: domain.Label(shown, domain.CancelReason(h.CancelReason.String)), Pickup: d.branchName(h.Pickup), Origin: h.Origin}
	if h.Position.Valid {
		v.Position = h.Position.Int64
	}
	if h.Status == domain.StatusSuspended && h.SuspendedUntil.Valid {
		// 休止中: staff see until when the patron paused it (it keeps its place meanwhile)
		v.Label += "（" + h.SuspendedUntil.Time.Format(time.DateOnly) + " まで）"
	}
	if h.PickupDeadline.Valid {
		v.Deadline = h.PickupDeadline.Time.Format(time.DateOnly)
	}
	return v
}

// --- 配送受入 (receive) ---

func (s *Console) staffReceivePage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		data := gin.H{}
		if f, ok := s.takeFlash(c, "receive"); ok && !s.showRefusal(c, f, data) {
			status := domain.Status(f.Status)
			data["Received"] = gin.H{"HoldID": httpkit.IDString(f.HoldID), "Barcode": f.Barcode, "Title": s.copyTitle(c.Request.Context(), f.Barcode),
				"Status": string(status), "Label": domain.Label(status, ""),
				"Routed": status == domain.StatusReady || status == domain.StatusInTransit} // a copy to band: the slip
		}
		s.staffPage(c, http.StatusOK, "staff_receive", d, data)
	})
}

// staffReceiveSubmit: a copy delivered from another branch arrived, like POST /api/v1/staff/receive.
func (s *Console) staffReceiveSubmit(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		refused := func(e *httpkit.OpError) {
			s.refuseTo(c, "/staff/receive", "receive", e, gin.H{"Barcode": strings.TrimSpace(c.PostForm("barcode"))})
		}
		r, e := httpkit.Op(library.ScanShape(library.Scan{Barcode: c.PostForm("barcode"), Branch: d.Branch.Code}))
		if e != nil {
			refused(e)
			return
		}
		id, status, err := s.Lib.Receive(c.Request.Context(), r, httpkit.StaffID(c))
		if e := httpkit.OpErr(err); e != nil {
			refused(e)
			return
		}
		s.redirectWith(c, "/staff/receive", flash{Op: "receive", HoldID: id, Barcode: r.Barcode, Status: string(status)})
	})
}

// --- 貸出 (checkout) ---

func (s *Console) staffCheckoutPage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		data := gin.H{}
		if f, ok := s.takeFlash(c, "checkout"); ok && !s.showRefusal(c, f, data) {
			loan := gin.H{"Barcode": f.Barcode, "DueDate": f.DueDate, "Title": s.copyTitle(c.Request.Context(), f.Barcode), "HoldID": ""}
			if f.HoldID != 0 {
				loan["HoldID"] = httpkit.IDString(f.HoldID)
			}
			data["Loan"], data["Card"] = loan, f.Card // the card stays in the form for the patron's next item
		}
		s.staffPage(c, http.StatusOK, "staff_checkout", d, data)
	})
}

// staffCheckoutSubmit lends a copy to a patron, like POST /api/v1/staff/checkout. The card number stays in
// the form for the patron's next item.
func (s *Console) staffCheckoutSubmit(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		card := strings.TrimSpace(c.PostForm("card_number"))
		if n, err := domain.NormalizeCardNumber(card); err == nil {
			card = n
		}
		req := library.Checkout{Barcode: c.PostForm("barcode"), CardNumber: c.PostForm("card_number"), Branch: d.Branch.Code}
		out, e := httpkit.Op(s.Lib.Lend(c.Request.Context(), req, httpkit.StaffID(c)))
		if e != nil {
			keep := gin.H{"Card": card, "Barcode": strings.TrimSpace(req.Barcode)}
			if s.badCard(c.Request.Context(), req.CardNumber) {
				// the card is to be corrected: the scanned item stays in its field
				keep["CardError"], keep["KeepBarcode"] = true, strings.TrimSpace(req.Barcode)
			}
			s.refuseTo(c, "/staff/checkout", "checkout", e, keep)
			return
		}
		s.redirectWith(c, "/staff/checkout", flash{Op: "checkout", Barcode: out.Barcode, DueDate: out.DueDate, HoldID: out.HoldID, Card: card})
	})
}

// badCard reports whether a card number is malformed or nobody's.
func (s *Console) badCard(ctx context.Context, card string) bool {
	n, err := domain.NormalizeCardNumber(card)
	if err != nil {
		return true
	}
	_, _, err = store.PatronByCard(ctx, s.DB, n)
	return errors.Is(err, store.ErrNoSuchPatron)
}

// --- 連絡リスト (call list) ---

type callRow struct {
	HoldID, Card, Name, Phone, Title string
	MailRefused                      []store.MailRefusal // why an e-mail patron is on the list
	ReadyDate                        string              // when the hold became ready
	DaysWaiting                      int
	Attempts                         []callAttemptRow // the calls already made, oldest first
}

// callAttemptRow is an earlier call as the desk reads it: when (in the library's time zone), its outcome's
// label (不在…) and who made it.
type callAttemptRow struct{ At, Outcome, Label, Staff string }

// callOutcomes are the call list's buttons, in order: 連絡済, 留守電, 不在.
var callOutcomes = []domain.CallOutcome{domain.CallReached, domain.CallVoicemail, domain.CallNoAnswer}

// staffCallListPage renders the call list, with the answer of a call just recorded.
func (s *Console) staffCallListPage(c *gin.Context) {
	s.staffListAnswer(c, "staff_call_list", gin.H{"Nav": "call_list"}, func(d staffDesk, data gin.H) *httpkit.OpError {
		if f, ok := s.takeFlash(c, "call"); ok && !s.showRefusal(c, f, data) {
			s.callAnswer(c, d, f, data)
		}
		return nil
	}, func(d staffDesk, data gin.H) error { return s.callListData(c, d, data) })
}

func (s *Console) callListData(c *gin.Context, d staffDesk, data gin.H) error {
	calls, err := store.CallList(c.Request.Context(), s.DB, d.Branch.Code)
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]callRow, len(calls))
	for i, call := range calls {
		rows[i] = callRow{HoldID: httpkit.IDString(call.HoldID), Card: call.Card, Name: call.Name, Phone: call.Phone, Title: call.Title,
			MailRefused: call.MailRefused, ReadyDate: domain.DateOf(call.ReadyAt, s.Cfg.Location).String(),
			DaysWaiting: domain.DaysWaiting(call.ReadyAt, now, s.Cfg.Location)}
		for _, a := range call.Attempts {
			o := domain.CallOutcome(a.Outcome)
			rows[i].Attempts = append(rows[i].Attempts, callAttemptRow{At: a.At.In(s.Cfg.Location).Format("2006-01-02 15:04"),
				Outcome: a.Outcome, Label: o.Label(), Staff: a.Staff})
		}
	}
	data["Calls"], data["Outcomes"], data["PhoneAttempts"] = rows, callOutcomes, s.Cfg.PhoneAttempts
	return nil
}

// callAnswer is the answer of a recorded call: the 連絡日 once the patron counts as contacted, else the
// unanswered days so far out of YOYAKU_PHONE_ATTEMPTS.
func (s *Console) callAnswer(c *gin.Context, d staffDesk, f flash, data gin.H) {
	ctx := c.Request.Context()
	h, err := store.GetHold(ctx, s.DB, f.HoldID, 0)
	if err != nil {
		return // the hold is gone (archived): the list says the rest
	}
	o := domain.CallOutcome(f.Outcome)
	if h.ContactDate.Valid {
		data["Contacted"] = gin.H{"Hold": s.holdView(d, h), "ContactDate": h.ContactDate.Time.Format(time.DateOnly), "Label": o.Label()}
		return
	}
	attempts, err := store.CallAttempts(ctx, s.DB, h.ID)
	if err != nil {
		s.Log.WarnContext(ctx, "web: call attempts", "hold", h.ID, "err", err)
	}
	days := map[string]bool{}
	for _, a := range attempts {
		if a.Outcome == string(domain.CallNoAnswer) {
			days[domain.DateOf(a.At, s.Cfg.Location).String()] = true
		}
	}
	data["NoAnswer"] = gin.H{"Hold": s.holdView(d, h), "Days": len(days), "Need": s.Cfg.PhoneAttempts}
}

// staffCallSubmit records a phone call and its outcome (連絡済, 留守電, 不在), like POST
// /api/v1/staff/holds/{id}/call, and goes back to the call list.
func (s *Console) staffCallSubmit(c *gin.Context) { s.recordCall(c, c.PostForm("outcome")) }

// staffContactedSubmit records the phone call as 連絡済, like POST /api/v1/staff/holds/{id}/contacted.
func (s *Console) staffContactedSubmit(c *gin.Context) { s.recordCall(c, string(domain.CallReached)) }

func (s *Console) recordCall(c *gin.Context, outcome string) {
	s.staffListPost(c, "/staff/call-list", "call", func(d staffDesk, data gin.H) (flash, *httpkit.OpError) {
		ctx := c.Request.Context()
		h, e := httpkit.Op(s.Lib.AnyHold(ctx, c.Param("id")))
		if e != nil {
			return flash{}, e
		}
		if _, e = httpkit.Op(s.Lib.RecordCall(ctx, h.ID, outcome, httpkit.StaffID(c))); e != nil {
			return flash{}, e
		}
		return flash{Op: "call", HoldID: h.ID, Outcome: outcome}, nil
	})
}

// --- 予約棚 (hold shelf) ---

type shelfRow struct {
	HoldID, Barcode, Card, Title, Deadline, Contact string
	Expired, DueToday, Extended                     bool
}

func (s *Console) staffHoldShelfPage(c *gin.Context) {
	s.staffListAnswer(c, "staff_hold_shelf", gin.H{"RequestID": library.NewRequestKey()}, nil, func(d staffDesk, data gin.H) error {
		hs, err := store.HoldShelf(c.Request.Context(), s.DB, d.Branch.Code)
		if err != nil {
			return err
		}
		today := domain.DateOf(time.Now(), s.Cfg.Location).String()
		rows := make([]shelfRow, len(hs))
		expired := 0
		for i, h := range hs {
			rows[i] = shelfRow{HoldID: httpkit.IDString(h.HoldID), Barcode: h.Barcode, Card: h.Card, Title: h.Title, Expired: h.Expired, Extended: h.Extended}
			if h.Deadline.Valid {
				rows[i].Deadline = h.Deadline.Time.Format(time.DateOnly)
				rows[i].DueToday = !h.Expired && rows[i].Deadline <= today
			}
			if h.Contact.Valid {
				rows[i].Contact = h.Contact.Time.Format(time.DateOnly)
			}
			if h.Expired {
				expired++
			}
		}
		data["Holds"], data["ExpiredCount"], data["ReadyCount"] = rows, expired, len(rows)-expired
		return nil
	})
}

// --- 窓口予約 (counter holds) ---

func (s *Console) staffCounterPage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		data := gin.H{"Kind": "title", "Kinds": counterKinds, "Pickup": d.Branch.Code, "Form": gin.H{}}
		f, ok := s.takeFlash(c, "counter")
		switch {
		case !ok:
		case s.showRefusal(c, f, data):
			s.counterOffer(c, domain.Code(f.Code), f.TitleID, data) // owned_title: offer a normal hold on that title (requests.go)
		default:
			if h, err := store.GetHold(c.Request.Context(), s.DB, f.HoldID, 0); err == nil {
				data["Placed"], data["PlacedCard"] = s.holdView(d, s.settledHold(c.Request.Context(), h)), f.Card
			}
		}
		if e := s.counterFind(c, data); e != nil { // the title finder (requests.go)
			s.staffRefusal(c, "staff_counter", d, data, e)
			return
		}
		s.staffPage(c, http.StatusOK, "staff_counter", d, data)
	})
}

// settledHold is a freshly placed hold once its workflow has taken it out of 予約申込 (well under a second),
// so that the desk sees the status the patron will see; after a short wait it is the hold as it is then.
func (s *Console) settledHold(ctx context.Context, h store.HoldView) store.HoldView {
	deadline := time.Now().Add(3 * time.Second)
	for h.Status == domain.StatusRequested && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return h
		case <-time.After(25 * time.Millisecond):
		}
		fresh, err := store.GetHold(ctx, s.DB, h.ID, 0)
		if err != nil {
			return h
		}
		h = fresh
	}
	return h
}

// counterKinds are the counter page's two forms: a title in the catalogue, a request for one not owned.
var counterKinds = []string{"title", "request"}

// staffCounterSubmit places a counter hold, like POST /api/v1/staff/holds: kind=title with a title ID, or
// kind=request with a title (and author, ISBN) the library does not own.
func (s *Console) staffCounterSubmit(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		kind := c.PostForm("kind")
		if kind != "request" {
			kind = "title"
		}
		form := gin.H{
			"Card": strings.TrimSpace(c.PostForm("card_number")), "TitleID": strings.TrimSpace(c.PostForm("title_id")),
			"ReqTitle": c.PostForm("req_title"), "ReqAuthor": c.PostForm("req_author"), "ReqISBN": c.PostForm("req_isbn"),
		}
		pickup := strings.TrimSpace(c.PostForm("pickup_branch"))
		if pickup == "" {
			pickup = d.Branch.Code
		}
		req := library.CounterHold{CardNumber: c.PostForm("card_number"), Pickup: pickup}
		if kind == "title" {
			req.TitleID = strings.TrimSpace(c.PostForm("title_id"))
		} else {
			req.Request = &library.TitleRequest{Title: c.PostForm("req_title"), Author: c.PostForm("req_author"), ISBN: c.PostForm("req_isbn")}
		}
		h, e := httpkit.Op(s.Lib.PlaceCounterHold(c.Request.Context(), req, httpkit.StaffID(c)))
		if e != nil {
			s.refuseTo(c, "/staff/counter", "counter", e, gin.H{"Kind": kind, "Pickup": pickup, "Form": form})
			return
		}
		card, _ := form["Card"].(string)
		if n, err := domain.NormalizeCardNumber(c.PostForm("card_number")); err == nil {
			card = n
		}
		s.redirectWith(c, "/staff/counter", flash{Op: "counter", HoldID: h.ID, Card: card})
	})
}
