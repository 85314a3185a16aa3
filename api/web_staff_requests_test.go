package api

// The console's counter requests (console/requests.go) and the counter form's title finder, over the real
// router with a hold worker of the test's own: the list, each button (発注, 相互貸借, 謝絶, 受入) answered
// with POST/redirect/GET, and their refusals of bad input, which change nothing.

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/internal/testenv"
	"yoyaku/library"
	"yoyaku/mailer"
	"yoyaku/store"
	"yoyaku/worker"
)

var requestQueues atomic.Int64

// newWorkerWebEnv is newWebEnv with Temporal, Mailpit and a hold worker on a task queue of the test's own.
func newWorkerWebEnv(t *testing.T) *webEnv {
	t.Helper()
	mail := testenv.Mailpit(t)
	tc := testenv.Temporal(t)
	e := newWebEnv(t, map[string]string{
		"YOYAKU_SMTP_HOST":           mail.SMTPHost,
		"YOYAKU_SMTP_PORT":           strconv.Itoa(mail.SMTPPort),
		"YOYAKU_TEMPORAL_TASK_QUEUE": fmt.Sprintf("api-requests-%d-%d", os.Getpid(), requestQueues.Add(1)),
	}, tc)
	w := worker.New(tc, &activities.Activities{DB: e.db, Cfg: e.s.Cfg, Mailer: mailer.New(e.s.Cfg.SMTP), Temporal: tc})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return e
}

// waitHold polls the hold until ok, for up to 20 s.
func (e *webEnv) waitHold(t *testing.T, id int64, ok func(store.HoldView) bool) store.HoldView {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		h, err := store.GetHold(t.Context(), e.db, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("hold %d is still %s after 20 s", id, h.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// counterRequest places a counter request through the console's form and returns its hold, 調査中.
func (b *browser) counterRequest(t *testing.T, token, card, title, isbn string) store.HoldView {
	t.Helper()
	a := b.do(t, "POST", "/staff/counter", url.Values{"_csrf": {token}, "kind": {"request"}, "card_number": {card},
		"req_title": {title}, "req_author": {"著者 名"}, "req_isbn": {isbn}, "pickup_branch": {"chuo"}})
	if a.Code != http.StatusSeeOther {
		t.Fatalf("counter request %q = %d:\n%s", title, a.Code, a.Body)
	}
	var id int64
	if err := b.e.db.GetContext(t.Context(), &id, `SELECT max(id) FROM holds WHERE request_title = $1`, title); err != nil {
		t.Fatal(err)
	}
	return b.e.waitHold(t, id, func(h store.HoldView) bool { return h.Status == domain.StatusInvestigating })
}

// wantRedirect fails unless a is 303 to path.
func wantRedirect(t *testing.T, a answer, path string) {
	t.Helper()
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != path {
		t.Fatalf("= %d %q, want 303 to %s:\n%s", a.Code, a.Header().Get("Location"), path, a.Body)
	}
}

// count is a count(*) query's answer.
func (e *webEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.GetContext(t.Context(), &n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStaffConsoleCounterRequests(t *testing.T) {
	e := newWorkerWebEnv(t)
	b := e.browser()
	token := b.staffLoginWeb(t)
	id := httpkit.IDString
	msg := func(code httpkit.Code) string { return message0(code, "ja") }

	empty := b.do(t, "GET", "/staff/requests", nil)
	wantPage(t, empty, http.StatusOK, "窓口リクエスト", `id="request-empty"`, `id="nav-requests" href="/staff/requests" aria-current="page"`)

	ordered := b.counterRequest(t, token, "1000005", "発注する本", "9784999000011")
	ill := b.counterRequest(t, token, "1000005", "借りる本", "")
	refused := b.counterRequest(t, token, "1000004", "謝絶する本", "")
	other, ok := library.ParseID(e.insertHold(t, "1000003")) // a hold that is no counter request
	if !ok {
		t.Fatal("insertHold gave no ID")
	}

	list := b.do(t, "GET", "/staff/requests", nil)
	wantPage(t, list, http.StatusOK, "図書館利用券番号", `id="request-`+id(ordered.ID)+`"`, "発注する本", "著者 名", "9784999000011",
		`id="request-card-`+id(ordered.ID)+`">1000005<`, `id="request-age-`+id(ordered.ID)+`">0日<`, "調査中", "借りる本", "謝絶する本",
		`id="order-btn-`+id(ordered.ID)+`"`, `id="ill-btn-`+id(ill.ID)+`"`, `id="receive-btn-`+id(refused.ID)+`"`, `id="refuse-btn-`+id(refused.ID)+`"`)

	// Refusals of bad input: back to the list (303) and shown there, nothing changed.
	holdsBefore := e.count(t, `SELECT count(*) FROM hold_events`)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		code       httpkit.Code
	}{
		{"order, not an ID", "/staff/requests/abc/order", url.Values{}, contract.ErrNotFound},
		{"order, no such hold", "/staff/requests/999999999/order", url.Values{}, contract.ErrNotFound},
		{"order, not a request", "/staff/requests/" + id(other) + "/order", url.Values{}, contract.ErrNotChangeable},
		{"ILL, not a request", "/staff/requests/" + id(other) + "/ill", url.Values{}, contract.ErrNotChangeable},
		{"refuse, not a request", "/staff/requests/" + id(other) + "/refuse", url.Values{"reason": {"理由"}}, contract.ErrNotChangeable},
		{"refuse without a reason", "/staff/requests/" + id(refused.ID) + "/refuse", url.Values{"reason": {"  "}}, library.CodeInvalidRequest},
		{"refuse, a reason too long", "/staff/requests/" + id(refused.ID) + "/refuse", url.Values{"reason": {strings.Repeat("長", 200)}}, library.CodeInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("_csrf", token)
			b.wantRefused(t, b.do(t, "POST", tc.path, tc.form), "/staff/requests", tc.code, "発注する本")
		})
	}
	// A refused reason stays in its field, marked.
	b.wantRefused(t, b.do(t, "POST", "/staff/requests/"+id(refused.ID)+"/refuse", url.Values{"_csrf": {token}, "reason": {strings.Repeat("長", 200)}}),
		"/staff/requests", library.CodeInvalidRequest, `value="`+strings.Repeat("長", 200)+`" aria-invalid="true"`)
	if a := b.do(t, "POST", "/staff/requests/"+id(ordered.ID)+"/order", url.Values{}); a.Code != http.StatusForbidden {
		t.Fatalf("order without a CSRF token = %d, want 403", a.Code)
	}
	if n := e.count(t, `SELECT count(*) FROM hold_events`); n != holdsBefore {
		t.Fatalf("the refusals changed the holds: %d events before, %d after", holdsBefore, n)
	}

	// 発注: 選書中, the answer shown once after the redirect.
	wantRedirect(t, b.do(t, "POST", "/staff/requests/"+id(ordered.ID)+"/order", url.Values{"_csrf": {token}}), "/staff/requests")
	page := b.do(t, "GET", "/staff/requests", nil)
	wantPage(t, page, http.StatusOK, `id="request-done" data-outcome="order"`, "予約 "+id(ordered.ID)+"：発注を記録しました（選書中）。",
		`id="request-status-`+id(ordered.ID)+`" data-status="on_order">選書中<`)
	if strings.Contains(page.Body.String(), `id="order-btn-`+id(ordered.ID)+`"`) {
		t.Error("an ordered request still has the order button")
	}
	if again := b.do(t, "GET", "/staff/requests", nil); strings.Contains(again.Body.String(), `id="request-done"`) {
		t.Error("the answer is shown again on a refresh")
	}
	// ordered twice: the workflow refuses, shown in red
	b.wantRefused(t, b.do(t, "POST", "/staff/requests/"+id(ordered.ID)+"/order", url.Values{"_csrf": {token}}), "/staff/requests", contract.ErrNotChangeable)

	// 相互貸借: stays 調査中, marked.
	wantRedirect(t, b.do(t, "POST", "/staff/requests/"+id(ill.ID)+"/ill", url.Values{"_csrf": {token}}), "/staff/requests")
	wantPage(t, b.do(t, "GET", "/staff/requests", nil), http.StatusOK, `data-outcome="ill"`, `id="request-ill-`+id(ill.ID)+`"`,
		`id="request-status-`+id(ill.ID)+`" data-status="investigating">調査中<`)
	if h := e.waitHold(t, ill.ID, func(h store.HoldView) bool { return h.ILL }); h.Status != domain.StatusInvestigating {
		t.Fatalf("the ILL request is %s", h.Status)
	}

	// 謝絶 with a reason: the hold is cancelled with the reason as its note, and leaves the list.
	const reason = "絶版のため購入できませんでした。"
	wantRedirect(t, b.do(t, "POST", "/staff/requests/"+id(refused.ID)+"/refuse", url.Values{"_csrf": {token}, "reason": {" " + reason + " "}}), "/staff/requests")
	page = b.do(t, "GET", "/staff/requests", nil)
	wantPage(t, page, http.StatusOK, `data-outcome="refuse"`, `id="request-done-reason">`+reason+`<`)
	if strings.Contains(page.Body.String(), `id="request-`+id(refused.ID)+`"`) {
		t.Error("the refused request is still listed")
	}
	if h := e.waitHold(t, refused.ID, func(h store.HoldView) bool { return h.Status == domain.StatusCancelled }); h.CancelNote.String != reason || h.CancelReason.String != "staff" {
		t.Fatalf("refused hold = %+v", h)
	}

	// 受入: the page prefills the request; bad input is refused with nothing registered.
	recv := "/staff/requests/" + id(ordered.ID) + "/receive"
	form := b.do(t, "GET", recv, nil)
	wantPage(t, form, http.StatusOK, "リクエストの受入", `id="new-title" name="title" required maxlength="500" value="発注する本"`, `value="9784999000011"`,
		`id="receive-no-candidates"`)
	wantPage(t, b.do(t, "GET", "/staff/requests/"+id(other)+"/receive", nil), http.StatusConflict, msg(contract.ErrNotChangeable), `id="request-`+id(ordered.ID)+`"`)
	wantPage(t, b.do(t, "GET", "/staff/requests/abc/receive", nil), http.StatusNotFound, msg(contract.ErrNotFound))
	var takenBarcode string
	if err := e.db.GetContext(t.Context(), &takenBarcode, `SELECT barcode FROM items ORDER BY barcode LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	titles, items := e.count(t, `SELECT count(*) FROM titles`), e.count(t, `SELECT count(*) FROM items`)
	newTitle := func(barcode string, change func(url.Values)) url.Values {
		v := url.Values{"_csrf": {token}, "mode": {"new"}, "title": {"発注する本"}, "author": {"著者 名"}, "isbn": {"9784999000011"},
			"publisher": {"出版社"}, "year": {"2024"}, "format": {"book"}, "barcode": {barcode}}
		if change != nil {
			change(v)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		form url.Values
		code httpkit.Code
	}{
		{"malformed barcode", newTitle("x y", nil), library.CodeInvalidBarcode},
		{"taken barcode", newTitle(takenBarcode, nil), contract.ErrBarcodeTaken},
		{"blank title", newTitle("REQ-0001", func(v url.Values) { v.Set("title", " ") }), library.CodeInvalidTitle},
		{"an e-text", newTitle("REQ-0001", func(v url.Values) { v.Set("format", "etext") }), library.CodeInvalidFormat},
		{"unknown format", newTitle("REQ-0001", func(v url.Values) { v.Set("format", "scroll") }), library.CodeInvalidFormat},
		{"year not a number", newTitle("REQ-0001", func(v url.Values) { v.Set("year", "令和") }), library.CodeInvalidYear},
		{"bad ISBN", newTitle("REQ-0001", func(v url.Values) { v.Set("isbn", "12345") }), library.CodeInvalidISBN},
		{"call number too long", newTitle("REQ-0001", func(v url.Values) { v.Set("call_number", strings.Repeat("9", 41)) }), library.CodeInvalidCallNumber},
		{"shelf over two lines", newTitle("REQ-0001", func(v url.Values) { v.Set("shelf_location", "一般\n書架") }), library.CodeInvalidShelf},
		{"existing, no title", url.Values{"_csrf": {token}, "mode": {"existing"}, "barcode": {"REQ-0001"}}, contract.ErrNotFound},
		{"existing, no such title", url.Values{"_csrf": {token}, "mode": {"existing"}, "title_id": {"999999999"}, "barcode": {"REQ-0001"}}, contract.ErrNotFound},
	} {
		t.Run("receive "+tc.name, func(t *testing.T) {
			b.wantRefused(t, b.do(t, "POST", recv, tc.form), recv, tc.code, "リクエストの受入")
			if n, m := e.count(t, `SELECT count(*) FROM titles`), e.count(t, `SELECT count(*) FROM items`); n != titles || m != items {
				t.Fatalf("titles %d → %d, items %d → %d", titles, n, items, m)
			}
		})
	}

	// Received as a new title, with its 請求記号 and 配架場所: the request is served (on this branch's hold
	// shelf, then ready).
	wantRedirect(t, b.do(t, "POST", recv, newTitle("REQ-0001", func(v url.Values) {
		v.Set("call_number", " 913.6/チ ")
		v.Set("shelf_location", "一般書架")
	})), "/staff/requests")
	page = b.do(t, "GET", "/staff/requests", nil)
	wantPage(t, page, http.StatusOK, `id="request-received"`, "予約 "+id(ordered.ID)+" の資料を受け入れました。", "この館の予約棚へ",
		`id="routing-slip" href="/staff/holds/`+id(ordered.ID)+`/slip" target="_blank" rel="noopener"`)
	if strings.Contains(page.Body.String(), `id="request-`+id(ordered.ID)+`"`) {
		t.Error("the received request is still listed")
	}
	h := e.waitHold(t, ordered.ID, func(h store.HoldView) bool { return h.Status == domain.StatusReady })
	var isbn string
	if err := e.db.GetContext(t.Context(), &isbn, `SELECT isbn FROM titles WHERE id = $1`, h.TitleID.Int64); err != nil || h.ItemBarcode.String != "REQ-0001" || isbn != "9784999000011" {
		t.Fatalf("the received request = %+v (title ISBN %q, %v)", h, isbn, err)
	}
	if n := e.count(t, `SELECT count(*) FROM items WHERE barcode = 'REQ-0001' AND call_number = '913.6/チ' AND shelf_location = '一般書架'`); n != 1 {
		t.Error("the received copy lacks its call number and shelf location")
	}

	// Received as an existing title, found by its ISBN: the ILL request is served.
	find := b.do(t, "GET", "/staff/requests/"+id(ill.ID)+"/receive?find=978-4-999-00001-1", nil)
	wantPage(t, find, http.StatusOK, `id="candidate-`+id(h.TitleID.Int64)+`"`, "発注する本")
	// already held: patron 1000005 holds that title now (the request just served) — refused, nothing changed
	b.wantRefused(t, b.do(t, "POST", "/staff/requests/"+id(ill.ID)+"/receive", url.Values{"_csrf": {token}, "mode": {"existing"},
		"title_id": {id(h.TitleID.Int64)}, "barcode": {"REQ-0002"}}), "/staff/requests/"+id(ill.ID)+"/receive", contract.ErrAlreadyHeld,
		`id="error-barcode">REQ-0002<`)
	if n := e.count(t, `SELECT count(*) FROM items WHERE barcode = 'REQ-0002'`); n != 0 {
		t.Fatal("an already-held refusal registered the copy")
	}
	var lendable int64
	if err := e.db.GetContext(t.Context(), &lendable, `SELECT id FROM titles WHERE format = 'book' AND NOT reference_only
		AND id NOT IN (SELECT title_id FROM holds WHERE title_id IS NOT NULL) ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, b.do(t, "POST", "/staff/requests/"+id(ill.ID)+"/receive", url.Values{"_csrf": {token}, "mode": {"existing"},
		"title_id": {id(lendable)}, "barcode": {"REQ-0002"}}), "/staff/requests")
	wantPage(t, b.do(t, "GET", "/staff/requests", nil), http.StatusOK, "予約 "+id(ill.ID)+" の資料を受け入れました。", `id="request-empty"`)
	e.waitHold(t, ill.ID, func(h store.HoldView) bool {
		return h.Status == domain.StatusReady && h.TitleID.Int64 == lendable && h.ItemBarcode.String == "REQ-0002"
	})
}

// TestStaffConsoleCounterFindAndOwnedTitle: the counter form finds a title by ISBN (either form), a copy's
// barcode or keywords and places the hold on the one chosen; a request for an owned title is refused with a
// normal hold on it offered, which places it.
func TestStaffConsoleCounterFindAndOwnedTitle(t *testing.T) {
	e := newWorkerWebEnv(t)
	b := e.browser()
	token := b.staffLoginWeb(t)
	var owned struct {
		ID      int64  `db:"id"`
		Title   string `db:"title"`
		ISBN    string `db:"isbn"`
		Barcode string `db:"barcode"`
	}
	if err := e.db.GetContext(t.Context(), &owned, `SELECT t.id, t.title, t.isbn, min(i.barcode) AS barcode FROM titles t JOIN items i ON i.title_id = t.id
		WHERE t.isbn LIKE '978%' AND NOT t.reference_only AND t.format = 'book' AND i.status = 'on_shelf'
		GROUP BY t.id ORDER BY t.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	id := httpkit.IDString(owned.ID)
	isbn10 := domain.ISBNForms(owned.ISBN)[1]

	for name, q := range map[string]string{"ISBN-13": owned.ISBN, "ISBN-10": isbn10, "barcode": owned.Barcode, "keywords": owned.Title} {
		t.Run("find by "+name, func(t *testing.T) {
			a := b.do(t, "GET", "/staff/counter?card=1000005&find="+url.QueryEscape(q), nil)
			wantPage(t, a, http.StatusOK, `id="found-`+id+`"`, `href="/staff/counter?title_id=`+id+`&card=1000005"`)
		})
	}
	wantPage(t, b.do(t, "GET", "/staff/counter?find=9784999999999", nil), http.StatusOK, `id="counter-found-none"`)
	wantPage(t, b.do(t, "GET", "/staff/counter?find="+url.QueryEscape(strings.Repeat("あ", 201)), nil), http.StatusUnprocessableEntity, message0(library.CodeInvalidQuery, "ja"))
	chosen := b.do(t, "GET", "/staff/counter?title_id="+id+"&card=1000005", nil)
	wantPage(t, chosen, http.StatusOK, `id="chosen-title"`, owned.Title, `name="title_id" required maxlength="20" inputmode="numeric" autocomplete="off" value="`+id+`"`, `value="1000005"`)

	// A request for it by its ISBN-10: refused, the normal hold offered, and nothing created.
	before := e.count(t, `SELECT count(*) FROM holds`)
	a := b.do(t, "POST", "/staff/counter", url.Values{"_csrf": {token}, "kind": {"request"}, "card_number": {"1000005"},
		"req_title": {"別の書名"}, "req_isbn": {isbn10}, "pickup_branch": {"kita"}})
	a = b.wantRefused(t, a, "/staff/counter", library.CodeOwnedTitle, `id="owned-offer"`, `id="owned-title-id">`+id+`<`,
		`name="title_id" value="`+id+`"`, `name="card_number" value="1000005"`, `name="pickup_branch" value="kita"`)
	if n := e.count(t, `SELECT count(*) FROM holds`); n != before {
		t.Fatalf("the refusal created a hold")
	}
	offer := csrfInput.FindAllStringSubmatch(a.Body.String(), -1)
	if len(offer) == 0 {
		t.Fatal("no form")
	}
	wantRedirect(t, b.do(t, "POST", "/staff/counter", url.Values{"_csrf": {html.UnescapeString(offer[0][1])}, "kind": {"title"}, "title_id": {id},
		"card_number": {"1000005"}, "pickup_branch": {"kita"}}), "/staff/counter")
	placed := b.do(t, "GET", "/staff/counter", nil)
	wantPage(t, placed, http.StatusOK, `id="placed-title">`+owned.Title+`<`)
	if n := e.count(t, `SELECT count(*) FROM holds WHERE title_id = $1 AND origin = 'counter' AND pickup_branch = 'kita'
		AND patron_id = (SELECT id FROM patrons WHERE card_number = '1000005')`, owned.ID); n != 1 {
		t.Fatalf("%d counter holds on the owned title", n)
	}
}
