package api

// The 予約票 (console/slip.go) and the console's POST/redirect/GET (console/flash.go), over the real router
// with a hold worker of the test's own (newWorkerWebEnv): copies routed by real scans.

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yoyaku/console"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/store"
)

var slipTitles atomic.Int64

// testCopy catalogues a title of the test's own with one copy at branch, on loan (to patron 1000005) or on
// the shelf, and returns the title's ID and the copy's barcode.
func (e *webEnv) testCopy(t *testing.T, branch string, onLoan bool) (int64, string) {
	t.Helper()
	ctx := t.Context()
	name := fmt.Sprintf("予約票の本%d", slipTitles.Add(1))
	var id int64
	if err := e.db.GetContext(ctx, &id, `INSERT INTO titles (title, format, search_text) VALUES ($1, 'book', $2) RETURNING id`,
		name, domain.SearchKey(name)); err != nil {
		t.Fatal(err)
	}
	barcode := fmt.Sprintf("SLIP-%d", id)
	status := "on_shelf"
	if onLoan {
		status = "on_loan"
	}
	e.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, $3, $3, $4)`,
		barcode, id, branch, status)
	if onLoan {
		e.db.MustExecContext(ctx, `INSERT INTO loans (barcode, patron_id, branch, due_date)
			VALUES ($1, (SELECT id FROM patrons WHERE card_number = '1000005'), $2, now() + interval '7 days')`, barcode, branch)
	}
	return id, barcode
}

// counterHold places a hold on a title through the console's 窓口予約 form and waits until its workflow has
// taken it out of 予約申込.
func (b *browser) counterHold(t *testing.T, token, card string, titleID int64, pickup string) store.HoldView {
	t.Helper()
	wantRedirect(t, b.do(t, "POST", "/staff/counter", url.Values{"_csrf": {token}, "kind": {"title"}, "card_number": {card},
		"title_id": {httpkit.IDString(titleID)}, "pickup_branch": {pickup}}), "/staff/counter")
	var id int64
	if err := b.e.db.GetContext(t.Context(), &id, `SELECT max(id) FROM holds WHERE title_id = $1`, titleID); err != nil {
		t.Fatal(err)
	}
	return b.e.waitHold(t, id, func(h store.HoldView) bool { return h.Status != domain.StatusRequested })
}

// TestHoldSlip: copies checked in at 中央図書館 for a hold picked up there (an e-mail patron: ready, with a
// 取置期限) and one picked up at 北図書館 (a phone patron: in transit); the check-in answer links to each
// slip, which shows the pickup branch, the hold number, the card's last four digits only, the 取置期限 when
// the hold has one (else the day the copy was routed) and where the copy goes. An unknown hold is a 404
// page, a hold with no copy routed to it a clear message.
func TestHoldSlip(t *testing.T) {
	e := newWorkerWebEnv(t)
	b := e.browser()
	token := b.staffLoginWeb(t) // the desk: 中央図書館 (chuo)

	hereTitle, hereCopy := e.testCopy(t, "chuo", true)
	awayTitle, awayCopy := e.testCopy(t, "chuo", true)
	here := b.counterHold(t, token, "1000002", hereTitle, "chuo") // 佐藤 太郎, e-mail
	away := b.counterHold(t, token, "1000003", awayTitle, "kita") // 鈴木 一郎, phone

	checkin := func(barcode string) string {
		t.Helper()
		form := b.do(t, "GET", "/staff/checkin", nil)
		reqID := regexp.MustCompile(`name="request_id" value="([^"]+)"`).FindStringSubmatch(form.Body.String())
		if reqID == nil {
			t.Fatal("no request_id on the check-in form")
		}
		wantRedirect(t, b.do(t, "POST", "/staff/checkin", url.Values{"_csrf": {token}, "barcode": {barcode}, "request_id": {reqID[1]}}), "/staff/checkin")
		return b.do(t, "GET", "/staff/checkin", nil).Body.String()
	}
	slipLink := func(id int64) string {
		return `id="routing-slip" href="/staff/holds/` + httpkit.IDString(id) + `/slip" target="_blank" rel="noopener">予約票を印刷<`
	}

	// This branch's hold shelf: ready, and the ready mail sets the 取置期限.
	answer := checkin(hereCopy)
	if !strings.Contains(answer, "この館の予約棚へ") || !strings.Contains(answer, slipLink(here.ID)) {
		t.Fatalf("the check-in answer has no slip link for hold %d:\n%s", here.ID, answer)
	}
	h := e.waitHold(t, here.ID, func(h store.HoldView) bool { return h.Status == domain.StatusReady && h.PickupDeadline.Valid })
	slip := b.do(t, "GET", "/staff/holds/"+httpkit.IDString(here.ID)+"/slip", nil)
	wantPage(t, slip, http.StatusOK, "予約票", `id="slip-pickup">中央図書館<`, `id="slip-goes">この館の予約棚へ<`,
		`id="slip-hold">`+httpkit.IDString(here.ID)+`<`, `id="slip-card">＊＊＊＊0002<`, "取置期限",
		`id="slip-date" data-deadline="true">`+h.PickupDeadline.Time.Format(time.DateOnly)+`<`, `id="slip-title">`+h.Title+`<`,
		`id="slip-barcode">`+hereCopy+`<`, `data-print`, `/static/slip.js?v=`, `/static/slip.css?v=`)
	for _, secret := range []string{"1000002", "佐藤"} {
		if strings.Contains(slip.Body.String(), secret) {
			t.Errorf("the slip shows %q: the whole card number or the patron's name", secret)
		}
	}
	if strings.Contains(slip.Body.String(), "<script>") {
		t.Error("the slip has an inline script (the CSP forbids it)")
	}

	// Another branch: in transit, no deadline yet, so the day the copy was routed (the library's date).
	answer = checkin(awayCopy)
	if !strings.Contains(answer, "北図書館 へ配送") || !strings.Contains(answer, slipLink(away.ID)) {
		t.Fatalf("the check-in answer has no slip link for hold %d:\n%s", away.ID, answer)
	}
	e.waitHold(t, away.ID, func(h store.HoldView) bool { return h.Status == domain.StatusInTransit })
	slip = b.do(t, "GET", "/staff/holds/"+httpkit.IDString(away.ID)+"/slip?lang=en", nil)
	today := domain.DateOf(time.Now(), e.s.Cfg.Location).String()
	wantPage(t, slip, http.StatusOK, "Hold slip", `id="slip-pickup">北図書館<`, `id="slip-goes">Send to 北図書館<`,
		`id="slip-hold">`+httpkit.IDString(away.ID)+`<`, `id="slip-card">＊＊＊＊0003<`, "Routed on",
		`id="slip-date" data-deadline="false">`+today+`<`)
	if strings.Contains(slip.Body.String(), "1000003") || strings.Contains(slip.Body.String(), "Pickup deadline") {
		t.Errorf("the in-transit slip shows the whole card number or a deadline:\n%s", slip.Body)
	}
	b.do(t, "GET", "/staff/checkin?lang=ja", nil)

	// No such hold: a 404 page saying so; a hold with no copy routed to it: a message instead of a slip.
	wantPage(t, b.do(t, "GET", "/staff/holds/999999999/slip", nil), http.StatusNotFound, `id="slip-problem"`, "予約番号 999999999 の予約はありません。")
	wantPage(t, b.do(t, "GET", "/staff/holds/abc/slip", nil), http.StatusNotFound, `id="slip-problem"`)
	queued := e.insertHold(t, "1000004")
	page := b.do(t, "GET", "/staff/holds/"+queued+"/slip", nil)
	wantPage(t, page, http.StatusConflict, `id="slip-problem"`, "予約 "+queued+"（", "予約票はありません")
	if strings.Contains(page.Body.String(), `id="slip"`) {
		t.Error("a hold with no copy routed to it has a slip")
	}

	// Staff only: without the console's session, the login page.
	if a := e.browser().do(t, "GET", "/staff/holds/"+httpkit.IDString(here.ID)+"/slip", nil); a.Code != http.StatusSeeOther ||
		!strings.HasPrefix(a.Header().Get("Location"), console.StaffLoginPath) {
		t.Fatalf("the slip without a staff session = %d %q", a.Code, a.Header().Get("Location"))
	}
}

// TestStaffConsolePostsRedirect walks every POST route of the console (from the router) with a valid and an
// invalid form: each answers 303 (POST/redirect/GET), so a refresh never sends a form again; the page it
// leads to shows the refusal of the invalid one, and no refusal for the valid one. The login form is the
// exception, answering its refusals with their status as every login does (TestStaffConsoleLoginAndLogout).
func TestStaffConsolePostsRedirect(t *testing.T) {
	e := newWorkerWebEnv(t)
	b := e.browser()
	token := b.staffLoginWeb(t)
	id := httpkit.IDString

	// The holds the valid forms work on: a copy on chuo's pull list for a phone patron picking up at kita
	// (pulled, received at kita, called, lent, returned), another to report missing, counter requests.
	pullTitle, pullCopy := e.testCopy(t, "chuo", false)
	missingTitle, missingCopy := e.testCopy(t, "chuo", false)
	counterTitle, _ := e.testCopy(t, "kita", false)
	pulled := b.counterHold(t, token, "1000003", pullTitle, "kita")
	missing := b.counterHold(t, token, "1000004", missingTitle, "kita")
	for _, h := range []store.HoldView{pulled, missing} {
		e.waitHold(t, h.ID, func(h store.HoldView) bool { return h.Status == domain.StatusAwaitingPull })
	}
	requests := map[string]store.HoldView{}
	for _, name := range []string{"order", "ill", "refuse", "receive"} {
		requests[name] = b.counterRequest(t, token, "1000005", "リダイレクトの本 "+name, "")
	}

	type form struct {
		desk, path string
		values     url.Values
		to         string // where the 303 leads
		valid      bool
		then       func(t *testing.T) // waits for what the valid form started
	}
	waitStatus := func(h store.HoldView, s domain.Status) func(t *testing.T) {
		return func(t *testing.T) { e.waitHold(t, h.ID, func(h store.HoldView) bool { return h.Status == s }) }
	}
	// onCallList waits until the ready hold of a phone patron is on kita's call list (its ready step done).
	onCallList := func(h store.HoldView) func(t *testing.T) {
		return func(t *testing.T) {
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				calls, err := store.CallList(t.Context(), e.db, "kita")
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range calls {
					if c.HoldID == h.ID {
						return
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("hold %d is not on kita's call list after 20 s", h.ID)
				}
			}
		}
	}
	reqPath := func(name, op string) string { return "/staff/requests/" + id(requests[name].ID) + "/" + op }
	// The answers that route a copy to a hold link to its slip.
	slipOf := map[string]string{
		"/staff/pull":                 `id="routing-slip" href="/staff/holds/` + id(pulled.ID) + `/slip"`,
		"/staff/receive":              `id="received-slip" href="/staff/holds/` + id(pulled.ID) + `/slip"`,
		reqPath("receive", "receive"): `id="routing-slip" href="/staff/holds/` + id(requests["receive"].ID) + `/slip"`,
	}
	farDay := time.Now().AddDate(0, 0, 300).Format(time.DateOnly) // a closing far from every hold of this walk
	forms := []form{
		{"chuo", "/staff/branch", url.Values{"branch": {"atlantis"}}, console.StaffHome, false, nil},
		{"chuo", "/staff/branch", url.Values{"branch": {"chuo"}}, console.StaffHome + "?changed=1", true, nil},
		{"chuo", "/staff/pull", url.Values{"barcode": {"NOSUCH-1"}}, "/staff/pull-list", false, nil},
		{"chuo", "/staff/pull", url.Values{"barcode": {pullCopy}}, "/staff/pull-list", true, waitStatus(pulled, domain.StatusInTransit)},
		{"chuo", "/staff/missing", url.Values{"barcode": {"x y"}}, "/staff/pull-list", false, nil},
		{"chuo", "/staff/missing", url.Values{"barcode": {missingCopy}}, "/staff/pull-list", true, nil},
		{"kita", "/staff/receive", url.Values{"barcode": {"NOSUCH-1"}}, "/staff/receive", false, nil},
		{"kita", "/staff/receive", url.Values{"barcode": {pullCopy}}, "/staff/receive", true, onCallList(pulled)},
		{"kita", "/staff/call-list/" + id(pulled.ID) + "/call", url.Values{"outcome": {"busy"}}, "/staff/call-list", false, nil},
		{"kita", "/staff/call-list/" + id(pulled.ID) + "/call", url.Values{"outcome": {"no_answer"}}, "/staff/call-list", true, nil},
		{"kita", "/staff/call-list/999999999/contacted", url.Values{}, "/staff/call-list", false, nil},
		{"kita", "/staff/call-list/" + id(pulled.ID) + "/contacted", url.Values{}, "/staff/call-list", true, nil},
		{"kita", "/staff/checkout", url.Values{"card_number": {"12-34"}, "barcode": {pullCopy}}, "/staff/checkout", false, nil},
		{"kita", "/staff/checkout", url.Values{"card_number": {"1000003"}, "barcode": {pullCopy}}, "/staff/checkout", true, waitStatus(pulled, domain.StatusFulfilled)},
		{"kita", "/staff/checkin", url.Values{"barcode": {"バーコード"}}, "/staff/checkin", false, nil},
		{"kita", "/staff/checkin", url.Values{"barcode": {pullCopy}}, "/staff/checkin", true, nil},
		{"chuo", "/staff/counter", url.Values{"kind": {"title"}, "card_number": {"1000001"}, "title_id": {"abc"}}, "/staff/counter", false, nil},
		{"chuo", "/staff/counter", url.Values{"kind": {"title"}, "card_number": {"1000001"}, "title_id": {id(counterTitle)}, "pickup_branch": {"chuo"}}, "/staff/counter", true, nil},
		{"chuo", "/staff/requests/abc/order", url.Values{}, "/staff/requests", false, nil},
		{"chuo", reqPath("order", "order"), url.Values{}, "/staff/requests", true, waitStatus(requests["order"], domain.StatusOnOrder)},
		{"chuo", "/staff/requests/999999999/ill", url.Values{}, "/staff/requests", false, nil},
		{"chuo", reqPath("ill", "ill"), url.Values{}, "/staff/requests", true, nil},
		{"chuo", reqPath("refuse", "refuse"), url.Values{"reason": {" "}}, "/staff/requests", false, nil},
		{"chuo", reqPath("refuse", "refuse"), url.Values{"reason": {"購入できませんでした。"}}, "/staff/requests", true, nil},
		{"chuo", reqPath("receive", "receive"), url.Values{"mode": {"new"}, "title": {" "}, "format": {"book"}, "barcode": {"REDIR-1"}},
			reqPath("receive", "receive"), false, nil},
		{"chuo", "/staff/requests/999999999/receive", url.Values{"mode": {"new"}, "title": {"本"}, "format": {"book"}, "barcode": {"REDIR-1"}},
			"/staff/requests", false, nil},
		{"chuo", reqPath("receive", "receive"), url.Values{"mode": {"new"}, "title": {"リダイレクトの本 receive"}, "format": {"book"}, "barcode": {"REDIR-1"}},
			"/staff/requests", true, nil},
		{"minami", "/staff/calendar", url.Values{"weekly": {"funday"}}, "/staff/calendar", false, nil},
		{"minami", "/staff/calendar", url.Values{"days": {""}}, "/staff/calendar", true, nil}, // open every day, as it was
		{"minami", "/staff/closures", url.Values{"from": {"someday"}, "to": {farDay}, "reason": {"点検"}}, "/staff/calendar", false, nil},
		{"minami", "/staff/closures", url.Values{"from": {farDay}, "to": {farDay}, "reason": {"設備点検"}}, "/staff/calendar", true, nil},
		{"chuo", "/staff/logout", url.Values{"garbage": {"x"}}, console.StaffLoginPath, true, nil}, // logging out is what it does, whatever the form
	}

	// Every POST route of the console has a valid and an invalid form above (logout: any form is valid).
	param := regexp.MustCompile(`/(\d+|abc)(/|$)`)
	covered := map[string][2]bool{}
	for _, f := range forms {
		route := param.ReplaceAllString(f.path, "/:id$2")
		c := covered[route]
		if f.valid {
			c[0] = true
		} else {
			c[1] = true
		}
		covered[route] = c
	}
	for _, r := range e.h.Routes() {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Path, "/staff/") || r.Path == console.StaffLoginPath {
			continue
		}
		if c := covered[r.Path]; !c[0] || (!c[1] && r.Path != "/staff/logout") {
			t.Errorf("POST %s: no valid (%v) or no invalid (%v) form in the walk", r.Path, c[0], c[1])
		}
	}

	for _, f := range forms {
		b.cookies[console.StaffBranchCookie] = f.desk
		f.values.Set("_csrf", token)
		a := b.do(t, "POST", f.path, f.values)
		if a.Code != http.StatusSeeOther || a.Header().Get("Location") != f.to {
			t.Fatalf("POST %s %v (valid %v) = %d %q, want 303 to %s:\n%s", f.path, f.values, f.valid, a.Code, a.Header().Get("Location"), f.to, a.Body)
		}
		if f.path == "/staff/logout" {
			continue
		}
		page := b.do(t, "GET", f.to, nil)
		refused := strings.Contains(page.Body.String(), `id="error"`)
		if page.Code != http.StatusOK || refused == f.valid {
			t.Fatalf("POST %s %v (valid %v) led to %s = %d, refusal shown: %v:\n%s", f.path, f.values, f.valid, f.to, page.Code, refused, page.Body)
		}
		if link, ok := slipOf[f.path]; ok && f.valid && !strings.Contains(page.Body.String(), link) {
			t.Fatalf("POST %s: the answer has no slip link (%s):\n%s", f.path, link, page.Body)
		}
		if f.then != nil {
			f.then(t)
		}
	}
	if b.cookies[console.StaffSessionCookie] != "" {
		t.Error("the logout kept the session")
	}
}
