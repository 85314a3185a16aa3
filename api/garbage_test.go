package api

// TestGarbageInput walks every route of the router (JSON API, web pages, staff console, health, metrics,
// static files) and sends it malformed, oversized and hostile requests — as an anonymous client, as a
// logged-in patron and as logged-in staff, with and without the pages' CSRF tokens. No answer may be a
// 5xx (a panic would be one: the recovery middleware answers 500), every 4xx of an /api path must be
// the OpenAPI document's error envelope, nothing may be logged at ERROR or mention a panic, no workflow may be started,
// signalled or updated, and no table may change (login_failures excepted: failed logins are recorded on
// purpose; auth_tokens only in what the requests could not have caused, so a garbage login or logout shows).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/config"
	"yoyaku/httpkit"
	"yoyaku/internal/seed"
	"yoyaku/internal/temporalx"
	"yoyaku/internal/testenv"
)

// mutationCounter is the test's Temporal client, counting every call that would start or change a workflow.
type mutationCounter struct {
	client.Client
	calls atomic.Int32
}

func (m *mutationCounter) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	m.calls.Add(1)
	return m.Client.ExecuteWorkflow(ctx, o, wf, args...)
}

func (m *mutationCounter) SignalWorkflow(ctx context.Context, id, run, name string, arg any) error {
	m.calls.Add(1)
	return m.Client.SignalWorkflow(ctx, id, run, name, arg)
}

func (m *mutationCounter) SignalWithStartWorkflow(ctx context.Context, id, signal string, arg any, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	m.calls.Add(1)
	return m.Client.SignalWithStartWorkflow(ctx, id, signal, arg, o, wf, args...)
}

func (m *mutationCounter) CancelWorkflow(ctx context.Context, id, run string) error {
	m.calls.Add(1)
	return m.Client.CancelWorkflow(ctx, id, run)
}

func (m *mutationCounter) TerminateWorkflow(ctx context.Context, id, run, reason string, details ...any) error {
	m.calls.Add(1)
	return m.Client.TerminateWorkflow(ctx, id, run, reason, details...)
}

func (m *mutationCounter) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	m.calls.Add(1)
	return m.Client.UpdateWorkflow(ctx, o)
}

func (m *mutationCounter) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	m.calls.Add(1)
	return m.Client.UpdateWithStartWorkflow(ctx, o)
}

// dbFingerprint is every table's row count and checksum. login_failures is left out (every refused login
// is recorded there, on purpose); of auth_tokens only the tokens and their revocation count (a request
// may extend a session's expiry), so a token issued or revoked by garbage shows.
func dbFingerprint(t *testing.T, db *sqlx.DB) map[string]string {
	t.Helper()
	var tables []string
	if err := db.SelectContext(t.Context(), &tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, table := range tables {
		expr := "t::text"
		switch table {
		case "login_failures", "search_counts": // throttling and a cache of search counts, not the library's state
			continue
		case "auth_tokens":
			expr = "(t.token_hash, t.kind, t.patron_id, t.staff_id, t.created_at, t.revoked_at)::text"
		}
		var sum string
		q := fmt.Sprintf(`SELECT count(*) || ' ' || coalesce(md5(string_agg(%s, ',' ORDER BY %s)), '-') FROM %q t`, expr, expr, table)
		if err := db.GetContext(t.Context(), &sum, q); err != nil {
			t.Fatal(err)
		}
		out[table] = sum
	}
	if len(out) < 10 {
		t.Fatalf("only %d tables: %v", len(out), tables)
	}
	return out
}

// identity is who sends a request: fixed cookies (not updated from answers), a bearer token, and the CSRF
// tokens of the patron pages and of the staff console for those cookies.
type identity struct {
	name              string
	cookies           map[string]string
	bearer            string
	csrf, staffCSRF   string
	patron, staffUser bool
}

// garbageRequest is one hostile request.
type garbageRequest struct {
	method, target string
	ctype          string
	body           []byte
	stream         bool // send the body without a Content-Length
	hdr            []string
}

func (g garbageRequest) String() string {
	b := g.body
	if len(b) > 80 {
		b = append(b[:80:80], "..."...)
	}
	return fmt.Sprintf("%s %.120s [%s] %q %q", g.method, g.target, g.ctype, b, g.hdr)
}

var (
	// hostileStrings go into every string field, form field and query parameter. None is a well-formed
	// barcode: a scan of one at the desk's branch is a real scan (of a copy that does not exist), which
	// starts a check-in workflow to say so.
	hostileStrings = []string{
		"' OR '1'='1", "1; DROP TABLE holds;--", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
		"\x00", "a\x00b", "\xff\xfe", "１２３４５６７", "-1", "+9223372036854775808", "😀👨‍👩‍👧", "../../../etc/passwd",
		"%s%n%x", "${jndi:ldap://x}", "\r\nSet-Cookie: x=1", strings.Repeat("あ", 4000),
	}
	// hostileIDs are path segments (already escaped) where the route has a parameter.
	hostileIDs = []string{
		"-1", "0", "1", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "abc", "1.5", "1e3", "0x10",
		"%D9%A1%D9%A2%D9%A3", "%EF%BC%91%EF%BC%92", "%F0%9F%98%80", "1%20OR%201=1", "1%27%3B%20DROP%20TABLE%20holds%3B--",
		"%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%00", "1%00", "%FF%FE", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", strings.Repeat("9", 3000),
	}
	// hostileQueries are appended to every route.
	hostileQueries = []string{
		"?q=%27%20OR%201%3D1--&page=-1&per_page=99999999999999999999&branch=%3Cscript%3E&format=%00&year=1e9&lang=%FF&next=%2F%2Fevil.example&isbn=%F0%9F%98%80",
		"?q=%FF%FE&title=%00&author=%C0%AF&branch=%00&page=0&per_page=0&year=-1&err=%FF&done=1%00&v=%3Cx%3E",
		"?page=9223372036854775808&per_page=-9223372036854775809&year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%90&format=book&format=dvd&branch=chuo&branch=x",
		"?q=" + strings.Repeat("%E3%81%82", 3000) + "&series=" + strings.Repeat("x", 3000),
		"?%zz=1&q=%&page=%G0&=&&",
	}
	// formFields are the fields of the pages' forms (and of their handlers).
	formFields = []string{"action", "back", "barcode", "branch", "card", "card_number", "kind", "login", "method", "mode",
		"next", "password", "phone", "pickup", "pickup_branch", "req_author", "req_isbn", "req_title", "request_id",
		"title_id", "email", "hold_id", "new_email", "q", "title", "author", "isbn", "publisher", "series", "year", "format",
		"order_1", "note", "call_number", "shelf_location"}
	// jsonFields are the fields of the JSON bodies.
	jsonFields = []string{"title_ids", "title_id", "hold_ids", "pickup_branch", "mode", "barcode", "branch", "card_number",
		"password", "login", "method", "emails", "phone", "reason", "request", "title", "title_reading", "author",
		"author_reading", "publisher", "year", "isbn", "format", "series", "reference_only", "url", "name", "phones", "hold_id",
		"call_number", "shelf_location"}
)

// jsonWith is a JSON object with every known field set to v.
func jsonWith(v any) []byte {
	m := map[string]any{}
	for _, f := range jsonFields {
		m[f] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// typedJSON is a JSON object of the right shape, with s in every string and a bad number in every number.
func typedJSON(s string) []byte {
	m := map[string]any{}
	for _, f := range jsonFields {
		m[f] = s
	}
	for _, f := range []string{"title_ids", "hold_ids", "emails", "phones"} {
		m[f] = []string{s, s}
	}
	m["request"] = map[string]string{"title": s, "author": s, "isbn": s}
	m["series"] = map[string]any{"name": s, "volume": -1}
	m["year"], m["reference_only"] = -1, false
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// rawJSONString is a JSON object with every known field set to the string s written raw (not escaped:
// invalid UTF-8 and NUL bytes stay).
func rawJSONString(s string) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for i, f := range jsonFields {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:\"%s\"", f, s)
	}
	b.WriteString("}")
	return b.Bytes()
}

// garbageBodies are the bodies sent to every route (with its method and a plausible but unknown ID).
func garbageBodies() []garbageRequest {
	const js = "application/json"
	big := append(append([]byte(`{"q":"`), bytes.Repeat([]byte("x"), httpkit.MaxBody)...), `"}`...)
	out := []garbageRequest{
		{ctype: js, body: []byte(`{"title_ids":`)},
		{ctype: js, body: []byte(`{"a":1,}`)},
		{ctype: js, body: []byte(`{} {}`)},
		{ctype: js, body: []byte("null")},
		{ctype: js, body: []byte("[]")},
		{ctype: js, body: []byte(`"x"`)},
		{ctype: js, body: []byte("12e999999")},
		{ctype: js, body: []byte("")},
		{ctype: js, body: []byte("\xef\xbb\xbf{}")},
		{ctype: js, body: []byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000))},
		{ctype: js, body: []byte(strings.Repeat(`{"request":`, 5000) + "{}" + strings.Repeat("}", 5000))},
		{ctype: js, body: []byte(`{"title_ids":5,"pickup_branch":[],"mode":{},"barcode":1,"branch":null,"card_number":1e999,` +
			`"method":[1],"emails":"x","phone":true,"title_id":{"$gt":""},"hold_ids":[[]],"request":"x","year":"1999","series":1,` +
			`"reference_only":"yes","login":{},"password":[],"name":1,"phones":{"a":1}}`)},
		{ctype: js, body: jsonWith(9223372036854775807)},
		{ctype: js, body: []byte(strings.ReplaceAll(string(jsonWith(1)), ":1", ":-99999999999999999999999999999999"))},
		{ctype: js, body: []byte(strings.ReplaceAll(string(jsonWith(1)), ":1", ":1e400"))},
		{ctype: js, body: jsonWith([]string{"-1", "0", "9223372036854775808", "１", "abc", "1 OR 1=1"})},
		{ctype: js, body: jsonWith(map[string]any{"title": "<script>", "name": "x", "volume": -1})},
		{ctype: js, body: rawJSONString("\xff\xfe\xfd")},
		{ctype: js, body: rawJSONString("a\x00b")},
		{ctype: js, body: rawJSONString(`\u0000\ud800`)},
		{ctype: js, body: big},
		{ctype: js, body: big, stream: true},
		{ctype: "text/plain", body: []byte("hello")},
		{ctype: "application/xml", body: []byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`)},
		{ctype: "multipart/form-data; boundary=xyz", body: []byte("--xyz\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\xff\r\n--xy")},
		{ctype: "multipart/form-data", body: []byte("--\r\n\r\n")},
		{ctype: "application/x-www-form-urlencoded", body: []byte("%zz&&==&_csrf=%ff&title_id=%00")},
		{ctype: "", body: []byte("\x00\x01\x02\xff\xfe binary")},
		{ctype: "application/json; charset=utf-16", body: []byte("\xff\xfe{\x00}\x00")},
	}
	for _, s := range hostileStrings {
		out = append(out, garbageRequest{ctype: js, body: jsonWith(s)}, garbageRequest{ctype: js, body: typedJSON(s)})
	}
	return out
}

// garbageForms are form posts: every field set to each hostile string, with the identity's CSRF token
// (so that the handler, not the CSRF check, has to refuse it) when csrf is set.
func garbageForms(csrf string) []garbageRequest {
	var out []garbageRequest
	for _, s := range hostileStrings {
		f := url.Values{}
		for _, name := range formFields {
			f[name] = []string{s, s + s}
		}
		if csrf != "" {
			f.Set(httpkit.CSRFField, csrf)
		}
		out = append(out, garbageRequest{ctype: "application/x-www-form-urlencoded", body: []byte(f.Encode())})
	}
	if csrf != "" {
		// Multiple and malformed CSRF fields next to a valid one.
		out = append(out, garbageRequest{ctype: "application/x-www-form-urlencoded",
			body: []byte("_csrf=" + url.QueryEscape(csrf) + "&_csrf=%FF&title_id=1&title_id=&hold_id=-1&action=%00")})
	}
	return out
}

// garbageHeaders are requests with hostile headers (the identity's own credentials replaced where named).
var garbageHeaders = [][]string{
	{"Authorization", "Bearer " + strings.Repeat("A", 8000)},
	{"Authorization", "Bearer \x00' OR '1'='1"},
	{"Authorization", "Basic c3RhZmY6c3RhZmYtZGVtbw=="},
	{"Accept-Language", "\xff\xfe;q=abc,*;q=-1", "Idempotency-Key", "'; DROP TABLE holds;--"},
	{"X-Request-ID", strings.Repeat("x", 5000), "X-CSRF-Token", "\x00\xff"},
	{"Cookie", "yoyaku_session=\x00; yoyaku_staff_session=' OR 1=1; yoyaku_csrf=" + strings.Repeat("A", 4000)},
	{"Content-Length", "-1"},
	{"Transfer-Encoding", "gzip, chunked"},
}

var routeParamGarbage = regexp.MustCompile(`[:*][A-Za-z_]+`)

func TestGarbageInput(t *testing.T) {
	db := testenv.DB(t)
	if _, err := seed.Demo(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.LockedBuffer{}
	tc := &mutationCounter{Client: testenv.Temporal(t)}
	s := &Server{DB: db, Temporal: tc, Cfg: cfg, Metrics: metrics,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	r := s.Router()
	e := &webEnv{s: s, db: db, h: r}

	// The identities: anonymous (with the login forms' CSRF cookies), a patron and staff, each logged in to
	// the JSON API and the web pages.
	anonB := e.browser()
	anonCSRF := csrfOf(t, anonB.do(t, "GET", "/login", nil))
	anonStaffCSRF := csrfOf(t, anonB.do(t, "GET", "/staff/login", nil))
	anon := &identity{name: "anonymous", cookies: anonB.cookies, csrf: anonCSRF, staffCSRF: anonStaffCSRF}

	a := e.api()
	patronB := e.browser()
	login := patronB.do(t, "POST", "/login", url.Values{"card_number": {"1000001"}, "password": {"yoyaku-demo"},
		httpkit.CSRFField: {csrfOf(t, patronB.do(t, "GET", "/login", nil))}})
	if login.Code != http.StatusSeeOther {
		t.Fatalf("patron web login = %d %s", login.Code, login.Body)
	}
	patron := &identity{name: "patron", cookies: patronB.cookies, bearer: a.login(t, "1000001"),
		csrf: csrfOf(t, patronB.do(t, "GET", "/", nil)), patron: true}
	patron.staffCSRF = patron.csrf

	staffB := e.browser()
	staffCSRF := staffB.staffLoginWeb(t)
	staff := &identity{name: "staff", cookies: staffB.cookies, bearer: a.staffLogin(t), staffCSRF: staffCSRF, staffUser: true}
	staff.csrf = staffCSRF
	identities := []*identity{anon, patron, staff}

	before := dbFingerprint(t, db)
	logs.Reset()

	// The routes, by path with their methods.
	routes := r.Routes()
	methodsOf := map[string]map[string]bool{}
	for _, rt := range routes {
		if methodsOf[rt.Path] == nil {
			methodsOf[rt.Path] = map[string]bool{}
		}
		methodsOf[rt.Path][rt.Method] = true
	}
	if len(routes) < 60 {
		t.Fatalf("only %d routes: the walk is broken", len(routes))
	}
	// Logging out is what these routes do, whatever the body: they get garbage only without credentials.
	logout := map[string]bool{"DELETE /api/v1/session": true, "DELETE /api/v1/staff/session": true,
		"POST /logout": true, "POST /staff/logout": true}

	var (
		sent, failures int
		statuses       = map[int]int{}
		authed         = map[string]int{} // answers other than 401/403 on protected routes, per identity
	)
	send := func(id *identity, g garbageRequest) {
		sent++
		var body io.Reader = bytes.NewReader(g.body)
		if g.stream {
			body = io.MultiReader(bytes.NewReader(g.body)) // hides the length: no Content-Length
		}
		if g.body == nil {
			body = nil
		}
		req := httptest.NewRequest(g.method, "http://example.com"+g.target, body)
		if g.stream {
			req.ContentLength = -1
		}
		if g.ctype != "" {
			req.Header.Set("Content-Type", g.ctype)
		}
		if id.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+id.bearer)
		}
		for name, value := range id.cookies {
			req.AddCookie(&http.Cookie{Name: name, Value: value})
		}
		for i := 0; i+1 < len(g.hdr); i += 2 {
			req.Header.Set(g.hdr[i], g.hdr[i+1])
		}
		w := httptest.NewRecorder()
		func() {
			defer func() {
				if p := recover(); p != nil {
					failures++
					t.Errorf("%s: %s panicked through the router: %v", id.name, g, p)
				}
			}()
			r.ServeHTTP(w, req)
		}()
		statuses[w.Code]++
		if w.Code != http.StatusUnauthorized && w.Code != http.StatusForbidden {
			authed[id.name]++
		}
		fail := func(format string, args ...any) {
			failures++
			if failures <= 60 {
				t.Errorf("%s: %s = %d: %s\n%.300s", id.name, g, w.Code, fmt.Sprintf(format, args...), w.Body)
			}
		}
		if w.Code >= 500 {
			fail("a server error")
			return
		}
		if w.Code >= 400 && strings.HasPrefix(req.URL.Path, "/api/") && g.method != "HEAD" {
			var eb httpkit.ErrorBody
			if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				fail("not JSON: %s", w.Header().Get("Content-Type"))
			} else if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				fail("not the error envelope (%v)", err)
			} else if _, known := httpkit.Codes[eb.Error.Code]; !known {
				fail("unknown code %q", eb.Error.Code)
			}
		}
	}

	for _, id := range identities {
		for _, rt := range routes {
			if logout[rt.Method+" "+rt.Path] && id != anon {
				continue
			}
			web := !strings.HasPrefix(rt.Path, "/api/") && rt.Path != "/healthz" && rt.Path != "/livez"
			csrf := id.csrf
			if strings.HasPrefix(rt.Path, "/staff") {
				csrf = id.staffCSRF
			}
			plain := routeParamGarbage.ReplaceAllString(rt.Path, "1")
			// Hostile IDs in the path.
			if plain != rt.Path {
				for _, hid := range hostileIDs {
					send(id, garbageRequest{method: rt.Method, target: routeParamGarbage.ReplaceAllString(rt.Path, hid)})
					if web && rt.Method == "POST" {
						send(id, garbageRequest{method: rt.Method, target: routeParamGarbage.ReplaceAllString(rt.Path, hid),
							ctype: "application/x-www-form-urlencoded", body: []byte(httpkit.CSRFField + "=" + url.QueryEscape(csrf))})
					}
				}
			} else {
				send(id, garbageRequest{method: rt.Method, target: rt.Path + "/%FF%00"})
			}
			// Hostile query strings.
			for _, q := range hostileQueries {
				send(id, garbageRequest{method: rt.Method, target: plain + q})
			}
			// Hostile bodies and content types.
			for _, g := range garbageBodies() {
				g.method, g.target = rt.Method, plain
				send(id, g)
			}
			// Hostile forms, with and without the CSRF token.
			if web && rt.Method != "GET" && rt.Method != "HEAD" {
				for _, g := range append(garbageForms(csrf), garbageForms("")[:2]...) {
					g.method, g.target = rt.Method, plain
					send(id, g)
				}
				for _, g := range garbageForms("")[:3] {
					g.method, g.target, g.hdr = rt.Method, plain, []string{httpkit.CSRFHeader, csrf}
					send(id, g)
				}
			}
			// Hostile headers.
			for _, h := range garbageHeaders {
				send(id, garbageRequest{method: rt.Method, target: plain, ctype: "application/json", body: []byte("{}"), hdr: h})
			}
		}
		// Methods no route has, and methods the path does not serve.
		paths := make([]string, 0, len(methodsOf))
		for p := range methodsOf {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			plain := routeParamGarbage.ReplaceAllString(p, "1")
			for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "FOO", "get"} {
				if !methodsOf[p][m] && !logout[m+" "+p] {
					send(id, garbageRequest{method: m, target: plain, ctype: "application/json", body: []byte(`{"a":`)})
				}
			}
		}
	}

	if n := tc.calls.Load(); n != 0 {
		t.Errorf("%d calls started, signalled or updated a workflow", n)
	}
	after := dbFingerprint(t, db)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("table %s changed: %s → %s", table, sum, after[table])
		}
	}
	// Control: the fingerprint does see a change of one row.
	if _, err := db.ExecContext(t.Context(), `UPDATE titles SET title = title || '.' WHERE id = (SELECT min(id) FROM titles)`); err != nil {
		t.Fatal(err)
	}
	if changed := dbFingerprint(t, db); changed["titles"] == after["titles"] {
		t.Error("the fingerprint does not see a changed title: this test would not notice a change")
	}
	log := logs.String()
	if strings.Contains(strings.ToLower(log), "panic") || strings.Contains(log, "level=ERROR") {
		lines := []string{}
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(strings.ToLower(l), "panic") || strings.Contains(l, "level=ERROR") {
				lines = append(lines, l)
			}
		}
		t.Errorf("the server logged %d errors or panics, first: %.2000s", len(lines), strings.Join(lines[:min(len(lines), 10)], "\n"))
	}
	// Still logged in: no garbage revoked a session, and the authenticated requests were authenticated.
	if ans := a.call(t, "GET", "/api/v1/me", patron.bearer, nil); ans.Code != http.StatusOK {
		t.Errorf("the patron's token no longer works: %d", ans.Code)
	}
	if ans := staffB.do(t, "GET", "/staff/", nil); ans.Code != http.StatusOK {
		t.Errorf("the staff console session no longer works: %d", ans.Code)
	}
	if authed[patron.name] <= authed[anon.name] || authed[staff.name] <= authed[anon.name] {
		t.Errorf("answers past authentication: %v — the logged-in identities were not logged in", authed)
	}
	if failures > 60 {
		t.Errorf("... %d failures in all", failures)
	}
	t.Logf("%d routes, %d requests; statuses %v; past authentication %v", len(routes), sent, statuses, authed)
}
