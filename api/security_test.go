package api

// Security tests over the real router: other patrons' data, who may call what, token lifetimes, body
// limits, error bodies and headers. Web sessions and CSRF: web_session_test.go. Login throttling:
// TestLoginThrottling, TestStaffLoginThrottling and TestLoginThrottleUsesThePeerAddress (session_test.go).

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"yoyaku/contract"
	"yoyaku/httpkit"
	"yoyaku/internal/testenv"
)

// countingTemporal is the test Temporal client, counting the Updates sent to workflows.
type countingTemporal struct {
	client.Client
	updates atomic.Int32
}

func (c *countingTemporal) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	c.updates.Add(1)
	return c.Client.UpdateWorkflow(ctx, o)
}

// api is the JSON API's test client over the same router (session_test.go's call, login, staffLogin).
func (e *webEnv) api() *sessionEnv { return &sessionEnv{db: e.db, h: e.h} }

// insertHold records a queued web hold straight in the database (no workflow behind it).
func (e *webEnv) insertHold(t *testing.T, card string) string {
	t.Helper()
	var id int64
	err := e.db.GetContext(t.Context(), &id, `
		INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status)
		SELECT (SELECT id FROM patrons WHERE card_number = $1),
		       (SELECT id FROM titles WHERE format = 'book' AND NOT reference_only ORDER BY id LIMIT 1),
		       'chuo', 'web', 'queued'
		RETURNING id`, card)
	if err != nil {
		t.Fatal(err)
	}
	return httpkit.IDString(id)
}

// TestAnotherPatronsHoldIsNotFound: a patron cannot read, change or cancel another patron's hold — it is
// 404 not_found, exactly as for a hold that does not exist, and nothing reaches the hold's workflow.
func TestAnotherPatronsHoldIsNotFound(t *testing.T) {
	tc := &countingTemporal{Client: testenv.Temporal(t)}
	e := newWebEnv(t, nil, tc)
	a := e.api()
	theirs, mine := e.insertHold(t, "1000001"), e.insertHold(t, "1000002")
	me := a.login(t, "1000002")

	pickup := map[string]string{"pickup_branch": "chuo"}
	tests := []struct {
		name, method, path string
		body               any
		lang, msg          string
	}{
		{"read", "GET", "/api/v1/holds/" + theirs, nil, "", "お探しのものは見つかりません。"},
		{"change pickup", "PATCH", "/api/v1/holds/" + theirs, pickup, "", "お探しのものは見つかりません。"},
		{"change pickup, malformed body", "PATCH", "/api/v1/holds/" + theirs, `{"pickup_branch":`, "", ""},
		{"cancel", "POST", "/api/v1/holds/" + theirs + "/cancel", nil, "", ""},
		{"cancel, English", "POST", "/api/v1/holds/" + theirs + "/cancel", nil, "en", "Not found."},
		{"read a hold that does not exist", "GET", "/api/v1/holds/999999999999", nil, "", ""},
		{"change a hold that does not exist", "PATCH", "/api/v1/holds/999999999999", pickup, "", ""},
		{"cancel a hold that does not exist", "POST", "/api/v1/holds/999999999999/cancel", nil, "", ""},
		{"not an ID", "GET", "/api/v1/holds/abc", nil, "", ""},
		{"zero", "PATCH", "/api/v1/holds/0", pickup, "", ""},
		{"negative", "POST", "/api/v1/holds/-1/cancel", nil, "", ""},
		{"too large", "GET", "/api/v1/holds/99999999999999999999999", nil, "", ""},
		{"SQL in the ID", "GET", "/api/v1/holds/1%20OR%201=1", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.call(t, tc.method, tc.path, me, tc.body, "Accept-Language", tc.lang)
			if ans.Code != http.StatusNotFound || ans.code() != httpkit.CodeNotFound {
				t.Fatalf("= %d %s, want 404 not_found", ans.Code, ans.Body)
			}
			var b httpkit.ErrorBody
			ans.decode(&b)
			if tc.msg != "" && b.Error.Message != tc.msg {
				t.Fatalf("message %q, want %q", b.Error.Message, tc.msg)
			}
		})
	}
	if n := tc.updates.Load(); n != 0 {
		t.Fatalf("%d Updates reached a workflow: the 404 must come before any workflow call", n)
	}
	// The list shows only the patron's own hold.
	var list struct {
		Holds []httpkit.HoldJSON `json:"holds"`
	}
	a.call(t, "GET", "/api/v1/holds", me, nil).decode(&list)
	if len(list.Holds) != 1 || list.Holds[0].ID != mine {
		t.Fatalf("GET /holds = %+v, want only hold %s", list.Holds, mine)
	}
	// Control: the owner's own change does reach the workflow (none runs here, so the hold counts as closed).
	if ans := a.call(t, "PATCH", "/api/v1/holds/"+mine, me, pickup); ans.Code != http.StatusConflict || ans.code() != contract.ErrNotChangeable {
		t.Fatalf("own hold without a workflow = %d %s, want 409 not_changeable", ans.Code, ans.Body)
	}
	if tc.updates.Load() == 0 {
		t.Fatal("the control request sent no Update: this test would not notice a workflow call")
	}
	// The other patron's hold is untouched.
	var status, pickupBranch string
	if err := e.db.QueryRowContext(t.Context(), `SELECT status, pickup_branch FROM holds WHERE id = $1`, theirs).Scan(&status, &pickupBranch); err != nil ||
		status != "queued" || pickupBranch != "chuo" {
		t.Fatalf("their hold is now %s at %s (%v)", status, pickupBranch, err)
	}
}

// routeParam fills a route's parameters with plausible values.
var routeParam = regexp.MustCompile(`[:*][A-Za-z_]+`)

type route struct{ method, path string }

func (e *webEnv) routes(keep func(route) bool) []route {
	var out []route
	for _, r := range e.h.Routes() {
		rt := route{r.Method, routeParam.ReplaceAllString(r.Path, "1")}
		if keep(rt) {
			out = append(out, route{r.Method, rt.path})
		}
	}
	return out
}

// publicRoutes are the /api/v1 routes that need no login (api/README.md). Any other non-staff route must answer
// 401 without a patron token: add a deliberately public route here.
var publicRoutes = map[string]bool{
	"POST /api/v1/session":       true,
	"GET /api/v1/branches":       true,
	"GET /api/v1/titles":         true,
	"GET /api/v1/titles/1":       true,
	"POST /api/v1/staff/session": true,
}

// TestEndpointsNeedTheirToken walks the router: every staff endpoint refuses a patron token, a cookie
// session and no token; every patron endpoint refuses a staff token, a cookie session and no token.
func TestEndpointsNeedTheirToken(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	a := e.api()
	patron, staff := a.login(t, "1000001"), a.staffLogin(t)
	b := e.browser()
	b.login(t, "1000001")
	cookie := "yoyaku_session=" + b.cookies[httpkit.SessionCookie]

	isStaff := func(r route) bool { return strings.HasPrefix(r.path, "/api/v1/staff/") || r.path == "/api/v1/staff" }
	staffRoutes := e.routes(func(r route) bool { return isStaff(r) && !publicRoutes[r.method+" "+r.path] })
	patronRoutes := e.routes(func(r route) bool {
		return strings.HasPrefix(r.path, "/api/v1/") && !isStaff(r) && !publicRoutes[r.method+" "+r.path]
	})
	if len(staffRoutes) < 15 || len(patronRoutes) < 5 {
		t.Fatalf("found %d staff and %d patron routes: the walk is broken", len(staffRoutes), len(patronRoutes))
	}
	check := func(t *testing.T, rs []route, who string, wrong []string) {
		for _, r := range rs {
			for i, hdr := range [][]string{{"Authorization", "Bearer " + wrong[0]}, {"Cookie", cookie}, nil} {
				ans := a.call(t, r.method, r.path, "", "{}", hdr...)
				if ans.Code != http.StatusUnauthorized || ans.code() != httpkit.CodeUnauthenticated {
					t.Errorf("%s %s (%s endpoint) with %s = %d %.200s, want 401 unauthenticated", r.method, r.path, who,
						[]string{wrong[1], "only the web session cookie", "no token"}[i], ans.Code, ans.Body)
				}
			}
		}
	}
	check(t, staffRoutes, "staff", []string{patron, "a patron token"})
	check(t, patronRoutes, "patron", []string{staff, "a staff token"})

	// And the right token gets past authentication on each (whatever the handler then says).
	for _, r := range staffRoutes {
		if r.method == "DELETE" && r.path == "/api/v1/staff/session" {
			continue // would log the token out
		}
		if ans := a.call(t, r.method, r.path, staff, "{}"); ans.Code == http.StatusUnauthorized {
			t.Errorf("%s %s with a staff token = 401", r.method, r.path)
		}
	}
}

func TestExpiredAndRevokedTokensAreRefused(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	a := e.api()
	tests := []struct {
		name, path string
		token      func(t *testing.T) string
	}{
		{"expired patron token", "/api/v1/holds", func(t *testing.T) string {
			tok := a.login(t, "1000004")
			expire(t, e, tok)
			return tok
		}},
		{"revoked patron token", "/api/v1/holds", func(t *testing.T) string {
			tok := a.login(t, "1000004")
			if ans := a.call(t, "DELETE", "/api/v1/session", tok, nil); ans.Code != http.StatusNoContent {
				t.Fatalf("logout = %d", ans.Code)
			}
			return tok
		}},
		{"expired staff token", "/api/v1/staff/pull-list?branch=chuo", func(t *testing.T) string {
			tok := a.staffLogin(t)
			expire(t, e, tok)
			return tok
		}},
		{"revoked staff token", "/api/v1/staff/pull-list?branch=chuo", func(t *testing.T) string {
			tok := a.staffLogin(t)
			if ans := a.call(t, "DELETE", "/api/v1/staff/session", tok, nil); ans.Code != http.StatusNoContent {
				t.Fatalf("logout = %d", ans.Code)
			}
			return tok
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.call(t, "GET", tc.path, tc.token(t), nil, "Accept-Language", "en")
			var b httpkit.ErrorBody
			ans.decode(&b)
			if ans.Code != http.StatusUnauthorized || b.Error.Code != httpkit.CodeUnauthenticated || b.Error.Message != "Please log in." {
				t.Fatalf("= %d %s, want 401 unauthenticated in English", ans.Code, ans.Body)
			}
		})
	}
}

func expire(t *testing.T, e *webEnv, token string) {
	t.Helper()
	res, err := e.db.ExecContext(t.Context(), `UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, token)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("expire: %d rows, %v", n, err)
	}
}

// TestOversizedBodiesAreRefused: 413 payload_too_large, with a Content-Length or without one (chunked).
func TestOversizedBodiesAreRefused(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	a := e.api()
	patron, staff := a.login(t, "1000001"), a.staffLogin(t)
	tests := []struct{ path, token string }{
		{"/api/v1/session", ""},
		{"/api/v1/staff/session", ""},
		{"/api/v1/holds", patron},
		{"/api/v1/staff/checkin", staff},
		{"/api/v1/staff/titles", staff},
		{"/api/v1/staff/patrons", staff},
		{"/api/v1/staff/holds", staff},
	}
	bodies := map[string]func() io.Reader{
		"with Content-Length": func() io.Reader {
			return strings.NewReader(`{"title":"` + strings.Repeat("あ", httpkit.MaxBody) + `"}`)
		},
		"chunked": func() io.Reader {
			return io.MultiReader(strings.NewReader(`{"title":"`), strings.NewReader(strings.Repeat("x", httpkit.MaxBody)), strings.NewReader(`"}`))
		},
	}
	for _, tc := range tests {
		for kind, body := range bodies {
			t.Run(tc.path+" "+kind, func(t *testing.T) {
				ans := a.call(t, "POST", tc.path, tc.token, body())
				if ans.Code != http.StatusRequestEntityTooLarge || ans.code() != httpkit.CodeTooLarge {
					t.Fatalf("= %d %.200s, want 413 payload_too_large", ans.Code, ans.Body)
				}
			})
		}
	}
}

// TestPanicsAnswerTheGenericError: a handler's panic (here an error quoting SQL) is a 500 with the
// envelope's generic message; nothing of the panic, the SQL or a stack trace reaches the client.
func TestPanicsAnswerTheGenericError(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	for _, lang := range []string{"", "en"} {
		ans := e.api().call(t, "GET", "/test/panic", "", nil, "Accept-Language", lang)
		var b httpkit.ErrorBody
		ans.decode(&b)
		if ans.Code != http.StatusInternalServerError || b.Error.Code != httpkit.CodeInternal || b.Error.Message != message0(httpkit.CodeInternal, lang) {
			t.Fatalf("panic (lang %q) = %d %s, want 500 internal_error with the generic message", lang, ans.Code, ans.Body)
		}
		for _, leak := range []string{"pq", "SELECT", "DROP", "patrons", "password", "1000001", "goroutine", ".go", "panic", "store:"} {
			if strings.Contains(ans.Body.String(), leak) {
				t.Errorf("the error body %s contains %q", ans.Body, leak)
			}
		}
		if ans.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ans.Header().Get("Content-Type"))
		}
	}
}

// message0 is a code's message in Japanese ("") or English ("en").
func message0(code httpkit.Code, lang string) string {
	if lang == "en" {
		return httpkit.Codes[code].En
	}
	return httpkit.Codes[code].Ja
}

func TestSecurityHeaders(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		hsts      bool
	}{{"", false}, {"http://127.0.0.1:8080", false}, {"https://yoyaku.library.example.jp", true}, {"HTTPS://yoyaku.example.jp/", true}} {
		t.Run(tc.publicURL, func(t *testing.T) {
			e := newWebEnv(t, map[string]string{"YOYAKU_PUBLIC_URL": tc.publicURL}, nil)
			a := e.api()
			patron := a.login(t, "1000001")
			for _, r := range []struct {
				name, method, path, token string
				noStore                   bool
			}{
				{"public JSON", "GET", "/api/v1/branches", "", false},
				{"authenticated JSON", "GET", "/api/v1/holds", patron, true},
				{"error", "GET", "/api/v1/nothing", "", false},
				{"login", "POST", "/api/v1/session", "", true},
				{"web page with a session", "GET", "/test/top", "", false},
			} {
				ans := a.call(t, r.method, r.path, r.token, nil)
				h := ans.Header()
				for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
					"form-action 'self'", "frame-ancestors 'none'"} {
					if !strings.Contains(h.Get("Content-Security-Policy"), d) {
						t.Errorf("%s: Content-Security-Policy %q lacks %s", r.name, h.Get("Content-Security-Policy"), d)
					}
				}
				if strings.Contains(h.Get("Content-Security-Policy"), "unsafe") {
					t.Errorf("%s: Content-Security-Policy allows unsafe sources", r.name)
				}
				for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
					if h.Get(name) != want {
						t.Errorf("%s: %s = %q, want %q", r.name, name, h.Get(name), want)
					}
				}
				if !strings.Contains(h.Get("Permissions-Policy"), "camera=()") {
					t.Errorf("%s: Permissions-Policy = %q", r.name, h.Get("Permissions-Policy"))
				}
				if got := h.Get("Strict-Transport-Security") != ""; got != tc.hsts {
					t.Errorf("%s: Strict-Transport-Security %q with public URL %q", r.name, h.Get("Strict-Transport-Security"), tc.publicURL)
				}
				if r.noStore && h.Get("Cache-Control") != "no-store" {
					t.Errorf("%s: Cache-Control = %q, want no-store", r.name, h.Get("Cache-Control"))
				}
			}
			// A web page with a cookie session is not stored either.
			b := e.browser()
			b.login(t, "1000001")
			if ans := b.do(t, "GET", "/test/top", nil); ans.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("web page with a session: Cache-Control = %q, want no-store", ans.Header().Get("Cache-Control"))
			}
		})
	}
}

// TestJSONAPIIsNotSubjectToCSRF: bearer requests carry no CSRF token and need none; a cookie riding along
// changes nothing (it is ignored under /api/v1).
func TestJSONAPIIsNotSubjectToCSRF(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	a := e.api()
	b := e.browser()
	b.login(t, "1000001")
	token := a.login(t, "1000002")
	for _, hdr := range [][]string{nil, {"Cookie", "yoyaku_session=" + b.cookies[httpkit.SessionCookie]}} {
		ans := a.call(t, "POST", "/api/v1/holds", token, map[string]any{"title_ids": []string{}, "pickup_branch": "chuo"}, hdr...)
		if ans.Code == http.StatusForbidden || ans.code() == httpkit.CodeCSRFFailed || ans.Code == http.StatusUnauthorized {
			t.Fatalf("bearer POST (cookie %v) = %d %s, want the handler's own answer", hdr != nil, ans.Code, ans.Body)
		}
	}
	// Even with csrfProtect mounted over /api/ by mistake, bearer requests pass.
	r := e.h
	r.Group("/api/v1/test", httpkit.PatronSession.Protect(e.s.Kit), e.s.requirePatron()).POST("/csrf", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	if ans := a.call(t, "POST", "/api/v1/test/csrf", token, "{}"); ans.Code != http.StatusNoContent {
		t.Fatalf("bearer POST under csrfProtect = %d %s, want 204", ans.Code, ans.Body)
	}
}
