package api

// Tests of the staff console (package console) over the real router: its cookie session,
// its CSRF protection, its separation from patron sessions, the desk branch, and every page with the
// refusals that need no workflow. The scans themselves run in the browser test (e2e/browser_staff_test.go).

import (
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"yoyaku/auth"
	"yoyaku/console"
	"yoyaku/contract"
	"yoyaku/httpkit"
	"yoyaku/library"
)

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrfOf is the CSRF token of the first form of an HTML page.
func csrfOf(t *testing.T, a answer) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(a.Body.String())
	if m == nil {
		t.Fatalf("no _csrf field in the page (%d):\n%s", a.Code, a.Body)
	}
	return html.UnescapeString(m[1])
}

// wantPage fails unless the answer is an HTML page with status and every one of want in its body.
func wantPage(t *testing.T, a answer, status int, want ...string) {
	t.Helper()
	if a.Code != status || !strings.HasPrefix(a.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("= %d %s, want an HTML page %d:\n%s", a.Code, a.Header().Get("Content-Type"), status, a.Body)
	}
	body := html.UnescapeString(a.Body.String())
	if strings.Contains(body, "<no value>") || strings.Contains(body, "<nil>") {
		t.Fatalf("page shows a missing value:\n%s", body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Fatalf("page (%d) lacks %q:\n%s", a.Code, w, body)
		}
	}
}

// wantRefused fails unless a console form's answer a is 303 to path with the refusal for its page: the page
// it leads to (200) shows code's message in red (data-code) and every one of want. It returns that page.
func (b *browser) wantRefused(t *testing.T, a answer, path string, code httpkit.Code, want ...string) answer {
	t.Helper()
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != path {
		t.Fatalf("refused form = %d %q, want 303 to %s:\n%s", a.Code, a.Header().Get("Location"), path, a.Body)
	}
	page := b.do(t, "GET", path, nil)
	wantPage(t, page, http.StatusOK, append([]string{`class="message error staff-error" role="alert" id="error" data-code="` + string(code) + `"`,
		message0(code, "ja")}, want...)...)
	return page
}

// staffLoginWeb logs the browser in to the console and returns the home page's CSRF token.
func (b *browser) staffLoginWeb(t *testing.T) string {
	t.Helper()
	form := b.do(t, "GET", "/staff/login", nil)
	wantPage(t, form, http.StatusOK, "職員ログイン")
	a := b.do(t, "POST", "/staff/login", url.Values{"login": {"staff"}, "password": {"staff-demo"}, "_csrf": {csrfOf(t, form)}})
	if a.Code != http.StatusSeeOther || b.cookies[console.StaffSessionCookie] == "" {
		t.Fatalf("staff web login = %d %s (cookies %v)", a.Code, a.Body, b.cookies)
	}
	home := b.do(t, "GET", "/staff/", nil)
	wantPage(t, home, http.StatusOK, "業務メニュー")
	return csrfOf(t, home)
}

func TestStaffConsoleLoginAndLogout(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()

	// Without a session every console page sends the browser to the login page, and back afterwards.
	a := b.do(t, "GET", "/staff/pull-list", nil)
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/staff/login?next=%2Fstaff%2Fpull-list" {
		t.Fatalf("pull list without a session = %d %q", a.Code, a.Header().Get("Location"))
	}
	form := b.do(t, "GET", "/staff/login?next=%2Fstaff%2Fpull-list", nil)
	wantPage(t, form, http.StatusOK, "職員ログイン", `name="next" value="/staff/pull-list"`, "autofocus")
	token := csrfOf(t, form)

	// A wrong password: the form again, with the refusal in red; the login is remembered.
	a = b.do(t, "POST", "/staff/login", url.Values{"login": {"Staff"}, "password": {"wrong"}, "_csrf": {token}})
	wantPage(t, a, http.StatusUnauthorized, `class="message error staff-error"`, "職員IDまたはパスワードが正しくありません。", `value="staff"`)
	if b.cookies[console.StaffSessionCookie] != "" {
		t.Fatal("a failed login set a session")
	}
	// No CSRF token: refused before the password is looked at.
	a = b.do(t, "POST", "/staff/login", url.Values{"login": {"staff"}, "password": {"staff-demo"}})
	wantPage(t, a, http.StatusForbidden, message0(httpkit.CodeCSRFFailed, "ja"))

	// The right password: a session cookie for the console only, and back to the page asked for.
	a = b.do(t, "POST", "/staff/login", url.Values{"login": {"staff"}, "password": {"staff-demo"}, "_csrf": {token},
		"next": {"/staff/pull-list"}})
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/staff/pull-list" {
		t.Fatalf("login = %d %q", a.Code, a.Header().Get("Location"))
	}
	ck := setCookie(t, a, console.StaffSessionCookie)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/staff" || ck.MaxAge <= 0 {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/staff, persistent", ck)
	}
	if kind, err := tokenKind(t, e, ck.Value); err != nil || kind != string(auth.KindStaff) {
		t.Fatalf("session cookie holds a %q token (%v), want a staff token", kind, err)
	}
	page := b.do(t, "GET", "/staff/pull-list", nil)
	wantPage(t, page, http.StatusOK, "確保リスト", "中央図書館 職員", `id="desk-branch-name">中央図書館<`)
	if cc := page.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("console page Cache-Control %q, want no-store", cc)
	}
	// The login page of a logged-in browser goes home.
	if a := b.do(t, "GET", "/staff/login", nil); a.Code != http.StatusSeeOther || a.Header().Get("Location") != console.StaffHome {
		t.Errorf("login page with a session = %d %q", a.Code, a.Header().Get("Location"))
	}

	// next never leads off the console.
	for _, next := range []string{"https://evil.example/", "//evil.example/staff/", "/holds", "/staff/login", "/\\evil"} {
		if got := console.StaffNext(next); got != console.StaffHome {
			t.Errorf("staffNext(%q) = %q, want %q", next, got, console.StaffHome)
		}
	}

	// Logout revokes the token and deletes the cookie.
	old := b.cookies[console.StaffSessionCookie]
	a = b.do(t, "POST", "/staff/logout", url.Values{"_csrf": {csrfOf(t, page)}})
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != console.StaffLoginPath || b.cookies[console.StaffSessionCookie] != "" {
		t.Fatalf("logout = %d %q, cookies %v", a.Code, a.Header().Get("Location"), b.cookies)
	}
	if ans := e.api().call(t, "GET", "/api/v1/staff/pull-list?branch=chuo", old, nil); ans.Code != http.StatusUnauthorized {
		t.Fatalf("the logged-out token still works: %d", ans.Code)
	}
	b.cookies[console.StaffSessionCookie] = old // a copy of the old cookie opens nothing
	if a := b.do(t, "GET", "/staff/", nil); a.Code != http.StatusSeeOther {
		t.Fatalf("revoked session cookie = %d, want a redirect to the login page", a.Code)
	}
	if _, still := b.cookies[console.StaffSessionCookie]; still {
		t.Error("a stale session cookie is not deleted")
	}
}

// tokenKind is the kind of a live token.
func tokenKind(t *testing.T, e *webEnv, token string) (string, error) {
	for _, k := range []auth.Kind{auth.KindStaff, auth.KindPatron} {
		if _, err := auth.Lookup(t.Context(), e.db, k, token); err == nil {
			return string(k), nil
		}
	}
	return "", auth.ErrUnauthenticated
}

// TestStaffConsoleIsNotForPatrons: no patron session opens a console page — neither the patron cookie nor a
// patron token put in the staff cookie — and the staff cookie authenticates nothing on the JSON API.
func TestStaffConsoleIsNotForPatrons(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	p := e.browser()
	p.login(t, "1000001")
	for _, path := range []string{"/staff/", "/staff/checkin", "/staff/hold-shelf", "/staff/counter"} {
		if a := p.do(t, "GET", path, nil); a.Code != http.StatusSeeOther || !strings.HasPrefix(a.Header().Get("Location"), console.StaffLoginPath) {
			t.Errorf("%s with a patron session = %d %q, want the staff login page", path, a.Code, a.Header().Get("Location"))
		}
	}
	patronToken := e.api().login(t, "1000002")
	forged := e.browser()
	forged.cookies[console.StaffSessionCookie] = patronToken
	if a := forged.do(t, "GET", "/staff/", nil); a.Code != http.StatusSeeOther {
		t.Fatalf("a patron token in the staff cookie = %d, want a redirect", a.Code)
	}
	if _, ok := forged.cookies[console.StaffSessionCookie]; ok {
		t.Error("the patron token in the staff cookie was not deleted")
	}

	s := e.browser()
	s.staffLoginWeb(t)
	cookie := console.StaffSessionCookie + "=" + s.cookies[console.StaffSessionCookie]
	a := e.api().call(t, "GET", "/api/v1/staff/pull-list?branch=chuo", "", nil, "Cookie", cookie)
	if a.Code != http.StatusUnauthorized {
		t.Fatalf("JSON API with only the staff cookie = %d, want 401", a.Code)
	}
	// And a staff session does not make a patron either.
	if a := s.do(t, "GET", "/test/mine", nil); a.Code != http.StatusSeeOther {
		t.Fatalf("patron page with a staff session = %d, want the patron login", a.Code)
	}
}

// TestStaffConsoleCSRF: every form posts with the staff session's token; others are refused.
func TestStaffConsoleCSRF(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	anon := csrfOf(t, b.do(t, "GET", "/staff/login", nil))
	token := b.staffLoginWeb(t)
	p := e.browser()
	patronToken := p.login(t, "1000001")
	for name, bad := range map[string]url.Values{
		"no token":              {"branch": {"kita"}},
		"the login form's":      {"branch": {"kita"}, "_csrf": {anon}},
		"a patron session's":    {"branch": {"kita"}, "_csrf": {patronToken}},
		"another staff session": {"branch": {"kita"}, "_csrf": {e.browser().staffLoginWeb(t)}},
	} {
		if a := b.do(t, "POST", "/staff/branch", bad); a.Code != http.StatusForbidden || !strings.Contains(a.Body.String(), message0(httpkit.CodeCSRFFailed, "ja")) {
			t.Errorf("POST /staff/branch with %s token = %d, want 403 csrf_failed", name, a.Code)
		}
	}
	if b.cookies[console.StaffBranchCookie] != "" {
		t.Fatal("a refused form changed the branch")
	}
	if a := b.do(t, "POST", "/staff/branch", url.Values{"branch": {"kita"}, "_csrf": {token}}); a.Code != http.StatusSeeOther {
		t.Fatalf("POST /staff/branch with the page's token = %d %s", a.Code, a.Body)
	}
	if a := b.do(t, "POST", "/staff/branch", url.Values{"branch": {"kita"}}, httpkit.CSRFHeader, token); a.Code != http.StatusSeeOther {
		t.Fatalf("POST /staff/branch with the X-CSRF-Token header = %d", a.Code)
	}
	// Every form of every page carries the token (but a search, a GET form, which must not put it in the URL).
	for _, path := range []string{"/staff/", "/staff/checkin", "/staff/pull-list", "/staff/receive", "/staff/checkout",
		"/staff/call-list", "/staff/hold-shelf", "/staff/counter", "/staff/requests"} {
		body := b.do(t, "GET", path, nil).Body.String()
		forms, tokens := strings.Count(body, "<form")-strings.Count(body, `<form method="get"`), strings.Count(body, `name="_csrf" value="`+token+`"`)
		if forms == 0 || forms != tokens {
			t.Errorf("%s: %d forms, %d with the session's CSRF token", path, forms, tokens)
		}
	}
}

// TestStaffConsoleDeskBranch: the desk's branch defaults to the staff member's own, is chosen on the home
// page, remembered in a cookie, and only a known branch is accepted.
func TestStaffConsoleDeskBranch(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	token := b.staffLoginWeb(t)
	wantPage(t, b.do(t, "GET", "/staff/", nil), http.StatusOK, `id="desk-branch-name">中央図書館<`,
		`id="branch-chuo"`, `aria-pressed="true">中央図書館</button>`, `id="branch-kita"`)

	a := b.do(t, "POST", "/staff/branch", url.Values{"branch": {"kita"}, "_csrf": {token}})
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/staff/?changed=1" {
		t.Fatalf("choose kita = %d %q", a.Code, a.Header().Get("Location"))
	}
	ck := setCookie(t, a, console.StaffBranchCookie)
	if ck.Value != "kita" || ck.Path != "/staff" || ck.MaxAge < 30*24*3600 {
		t.Fatalf("branch cookie %+v", ck)
	}
	wantPage(t, b.do(t, "GET", "/staff/?changed=1", nil), http.StatusOK, "受付館を 北図書館 に切り替えました。", `id="desk-branch-name">北図書館<`)
	wantPage(t, b.do(t, "GET", "/staff/counter", nil), http.StatusOK, `<option value="kita" selected>北図書館</option>`)

	a = b.do(t, "POST", "/staff/branch", url.Values{"branch": {"atlantis"}, "_csrf": {token}})
	b.wantRefused(t, a, console.StaffHome, library.CodeUnknownBranch, `id="desk-branch-name">北図書館<`)
	// A cookie naming no branch falls back to the staff member's own.
	b.cookies[console.StaffBranchCookie] = "atlantis"
	wantPage(t, b.do(t, "GET", "/staff/checkin", nil), http.StatusOK, `id="desk-branch-name">中央図書館<`)
}

func TestStaffConsoleLoginIsThrottled(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	token := csrfOf(t, b.do(t, "GET", "/staff/login", nil))
	var a answer
	for i := 0; i < 20; i++ {
		a = b.do(t, "POST", "/staff/login", url.Values{"login": {"staff"}, "password": {"wrong-" + strconv.Itoa(i)}, "_csrf": {token}})
		if a.Code == http.StatusTooManyRequests {
			break
		}
	}
	wantPage(t, a, http.StatusTooManyRequests, message0(httpkit.CodeTooManyAttempts, "ja"))
	if a.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Throttled: even the right password waits.
	a = b.do(t, "POST", "/staff/login", url.Values{"login": {"staff"}, "password": {"staff-demo"}, "_csrf": {token}})
	if a.Code != http.StatusTooManyRequests || b.cookies[console.StaffSessionCookie] != "" {
		t.Fatalf("right password while throttled = %d", a.Code)
	}
}

// TestStaffConsolePages renders every page, with the lists' rows and the refusals that need no workflow
// (the input is refused before anything is sent to Temporal).
func TestStaffConsolePages(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	token := b.staffLoginWeb(t)
	ctx := t.Context()

	// A ready hold on chuo's shelf and an expired one still to clear, on copies of a seeded title.
	var titleID int64
	var title string
	if err := e.db.QueryRowContext(ctx, `SELECT id, title FROM titles WHERE format = 'book' AND NOT reference_only ORDER BY id LIMIT 1`).Scan(&titleID, &title); err != nil {
		t.Fatal(err)
	}
	for i, bc := range []string{"STAFFTEST-1", "STAFFTEST-2"} {
		e.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, 'chuo', 'chuo', 'on_shelf')`, bc, titleID)
		status, reason := "ready", any(nil)
		if i == 1 {
			status, reason = "cancelled", "expired"
		}
		e.db.MustExecContext(ctx, `
			INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, item_barcode, assigned_at, ready_at, contact_date,
				pickup_deadline, cancel_reason, cancelled_at)
			VALUES ((SELECT id FROM patrons WHERE card_number = $1), $2, 'chuo', 'web', $3, $4, now(), now(), current_date - 8, current_date - 2,
				$5::text, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END)`,
			[]string{"1000001", "1000002"}[i], titleID, status, bc, reason)
	}

	for path, want := range map[string][]string{
		"/staff/":           {"業務メニュー", "取置中 1 件", "期限切れ 1 件", "確保待ち", "連絡待ち"},
		"/staff/checkin":    {"返却処理", `id="barcode"`, "autofocus", `name="request_id"`, `aria-current="page">返却処理<`},
		"/staff/pull-list":  {"確保リスト", "中央図書館"},
		"/staff/receive":    {"配送受入", `id="barcode"`},
		"/staff/checkout":   {"貸出", `id="card_number"`, `id="barcode"`},
		"/staff/call-list":  {"連絡リスト"},
		"/staff/hold-shelf": {"予約棚", `class="expired"`, "期限切れ", "STAFFTEST-2", "1000002", "棚から下ろして返却処理", "STAFFTEST-1", title},
		"/staff/counter":    {"窓口予約", "所蔵資料", "未所蔵資料のリクエスト", `name="req_isbn"`},
	} {
		wantPage(t, b.do(t, "GET", path, nil), http.StatusOK, want...)
	}

	// Refusals: 303 back to the page (no re-post on a refresh), shown there in red with the API's messages,
	// the input kept where it helps.
	for _, tc := range []struct {
		path string
		form url.Values
		page string
		code httpkit.Code
		want []string
	}{
		{"/staff/checkin", url.Values{"barcode": {"バーコード"}}, "/staff/checkin", library.CodeInvalidBarcode, nil},
		{"/staff/checkin", url.Values{"barcode": {"ABCD-1"}, "request_id": {"no spaces allowed"}}, "/staff/checkin", httpkit.CodeBadRequest, nil},
		{"/staff/receive", url.Values{"barcode": {"x"}}, "/staff/receive", library.CodeInvalidBarcode, nil},
		{"/staff/receive", url.Values{"barcode": {"NOSUCHCOPY-1"}}, "/staff/receive", contract.ErrNotExpectedHere, []string{`id="error-barcode">NOSUCHCOPY-1<`}},
		{"/staff/pull", url.Values{"barcode": {"NOSUCHCOPY-1"}}, "/staff/pull-list", contract.ErrNotOnPullList, []string{"確保リスト", `id="error-barcode">NOSUCHCOPY-1<`}},
		{"/staff/missing", url.Values{"barcode": {"NOSUCHCOPY-1"}}, "/staff/pull-list", contract.ErrNotOnPullList, nil},
		{"/staff/checkout", url.Values{"card_number": {"12-34"}, "barcode": {"STAFFTEST-1"}}, "/staff/checkout", library.CodeInvalidCardNumber, []string{`value="12-34"`, `value="STAFFTEST-1"`, `aria-invalid="true"`}},
		{"/staff/checkout", url.Values{"card_number": {"９９９９９９９"}, "barcode": {"STAFFTEST-1"}}, "/staff/checkout", httpkit.CodeNotFound, []string{`value="9999999"`, `value="STAFFTEST-1"`}},
		{"/staff/checkout", url.Values{"card_number": {"1000001"}, "barcode": {"NOSUCHCOPY-1"}}, "/staff/checkout", httpkit.CodeNotFound, []string{`id="error-barcode">NOSUCHCOPY-1<`}},
		{"/staff/call-list/999999999/contacted", url.Values{}, "/staff/call-list", httpkit.CodeNotFound, []string{"連絡リスト"}},
		{"/staff/call-list/999999999/call", url.Values{"outcome": {"no_answer"}}, "/staff/call-list", httpkit.CodeNotFound, []string{"連絡リスト"}},
		{"/staff/counter", url.Values{"kind": {"title"}, "card_number": {"1000001"}, "title_id": {"abc"}}, "/staff/counter", httpkit.CodeNotFound, []string{`value="abc"`}},
		{"/staff/counter", url.Values{"kind": {"request"}, "card_number": {"1000001"}, "req_title": {"  "}}, "/staff/counter", library.CodeInvalidRequest, nil},
		{"/staff/counter", url.Values{"kind": {"title"}, "card_number": {"1000001"}, "title_id": {"1"}, "pickup_branch": {"atlantis"}}, "/staff/counter", library.CodeUnknownBranch, nil},
	} {
		tc.form.Set("_csrf", token)
		b.wantRefused(t, b.do(t, "POST", tc.path, tc.form), tc.page, tc.code, tc.want...)
		// the answer is shown once: a refresh shows the page alone
		if again := b.do(t, "GET", tc.page, nil); strings.Contains(again.Body.String(), `id="error"`) {
			t.Errorf("%s: the refusal is shown again on a refresh", tc.path)
		}
	}

	// English on request.
	wantPage(t, b.do(t, "GET", "/staff/checkin?lang=en", nil), http.StatusOK, "Check in", "Item barcode")
}

// TestStaffConsoleFlashMustBeSigned: the answer a console form leaves for its page after the redirect is
// shown only when this console signed it; a forged or another page's cookie is dropped, never shown.
func TestStaffConsoleFlashMustBeSigned(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	b.staffLoginWeb(t)
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"op":"checkin","b":"FAKE-1","h":7,"a":"hold_shelf"}`))
	for _, v := range []string{forged + ".bm90LWEtbWFj", forged, "garbage"} {
		b.cookies[console.StaffFlashCookie] = v
		a := b.do(t, "GET", "/staff/checkin", nil)
		wantPage(t, a, http.StatusOK, "返却処理")
		if strings.Contains(a.Body.String(), `id="routing"`) || strings.Contains(a.Body.String(), "FAKE-1") {
			t.Fatalf("a forged answer (%q) is shown:\n%s", v, a.Body)
		}
		if ck := setCookie(t, a, console.StaffFlashCookie); ck.MaxAge >= 0 {
			t.Fatalf("the forged answer's cookie is kept: %+v", ck)
		}
	}
}
