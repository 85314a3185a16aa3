package api

// Tests of logins, tokens and bindJSON. They live in package api (not api_test) to mount probe routes on
// patronGroup and staffGroup; they need PostgreSQL only, not Temporal.

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"yoyaku/auth"
	"yoyaku/config"
	"yoyaku/httpkit"
	"yoyaku/internal/seed"
	"yoyaku/internal/temporalx"
	"yoyaku/internal/testenv"
	"yoyaku/library"
)

// sessionEnv is a seeded database and the API's router with probe routes added:
// GET /api/v1/probe (patron), GET /api/v1/staff/probe (staff) and POST /api/v1/probe/bind (bindJSON).
type sessionEnv struct {
	db *sqlx.DB
	h  http.Handler
}

func newSessionEnv(t *testing.T) *sessionEnv {
	t.Helper()
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
	s := &Server{DB: db, Cfg: cfg, Log: slog.New(slog.DiscardHandler), Metrics: metrics}
	r := s.Router()
	v1 := r.Group("/api/v1")
	s.patronGroup(v1).GET("/probe", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"patron_id": httpkit.PatronID(c)}) })
	s.staffGroup(v1).GET("/probe", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"staff_id": httpkit.StaffID(c)}) })
	v1.POST("/probe/bind", func(c *gin.Context) {
		var req struct {
			Name  string   `json:"name"`
			Count int      `json:"count"`
			IDs   []string `json:"ids"`
		}
		if !httpkit.BindJSON(c, &req) {
			return
		}
		c.JSON(http.StatusOK, req)
	})
	return &sessionEnv{db: db, h: r}
}

type answer struct {
	*httptest.ResponseRecorder
	t *testing.T
}

// code is the error code of an error answer ("" otherwise).
func (a answer) code() httpkit.Code {
	var b httpkit.ErrorBody
	_ = json.Unmarshal(a.Body.Bytes(), &b)
	return b.Error.Code
}

func (a answer) decode(v any) {
	a.t.Helper()
	if err := json.Unmarshal(a.Body.Bytes(), v); err != nil {
		a.t.Fatalf("body %s: %v", a.Body, err)
	}
}

// call sends a request; body is JSON-encoded unless it is a string (sent as is) or nil.
func (e *sessionEnv) call(t *testing.T, method, path, token string, body any, hdr ...string) answer {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case io.Reader:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(j))
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return answer{w, t}
}

func patronLogin(card, password string) map[string]string {
	return map[string]string{"card_number": card, "password": password}
}

// login logs a demo patron in and returns the token.
func (e *sessionEnv) login(t *testing.T, card string) string {
	t.Helper()
	a := e.call(t, "POST", "/api/v1/session", "", patronLogin(card, "yoyaku-demo"))
	if a.Code != http.StatusOK {
		t.Fatalf("login %s = %d %s", card, a.Code, a.Body)
	}
	var resp patronLoginResponse
	a.decode(&resp)
	return resp.Token
}

func (e *sessionEnv) staffLogin(t *testing.T) string {
	t.Helper()
	a := e.call(t, "POST", "/api/v1/staff/session", "", map[string]string{"login": "staff", "password": "staff-demo"})
	if a.Code != http.StatusOK {
		t.Fatalf("staff login = %d %s", a.Code, a.Body)
	}
	var resp staffLoginResponse
	a.decode(&resp)
	return resp.Token
}

func TestPatronLoginNormalisesTheCardNumber(t *testing.T) {
	e := newSessionEnv(t)
	for _, card := range []string{"1000001", "１０００００１", "100-0001", "１００－０００１", " 1000 001 ", "100　0001"} {
		t.Run(card, func(t *testing.T) {
			a := e.call(t, "POST", "/api/v1/session", "", patronLogin(card, "yoyaku-demo"))
			if a.Code != http.StatusOK {
				t.Fatalf("= %d %s, want 200", a.Code, a.Body)
			}
			var resp patronLoginResponse
			a.decode(&resp)
			if resp.Token == "" || resp.Patron.CardNumber != "1000001" || resp.Patron.Name != "山田 花子" {
				t.Fatalf("answer %s, want a token for 1000001 山田 花子", a.Body)
			}
			if got := e.call(t, "GET", "/api/v1/probe", resp.Token, nil); got.Code != http.StatusOK {
				t.Fatalf("the token does not work: %d %s", got.Code, got.Body)
			}
		})
	}
}

func TestPatronLoginRefusals(t *testing.T) {
	e := newSessionEnv(t)
	tests := []struct {
		name   string
		body   any
		lang   string
		status int
		code   httpkit.Code
		msg    string
	}{
		{"eight digits", patronLogin("10000012", "yoyaku-demo"), "", 422, library.CodeInvalidCardNumber, "図書館利用券番号は7桁の数字で入力してください。"},
		{"letters", patronLogin("abc", "yoyaku-demo"), "", 422, library.CodeInvalidCardNumber, ""},
		{"six digits", patronLogin("100001", "yoyaku-demo"), "", 422, library.CodeInvalidCardNumber, ""},
		{"no card number", map[string]string{"password": "yoyaku-demo"}, "", 422, library.CodeInvalidCardNumber, ""},
		{"wrong password", patronLogin("1000002", "wrong-password"), "", 401, httpkit.CodeInvalidCredentials, "図書館利用券番号またはパスワードが正しくありません。"},
		{"wrong password, English", patronLogin("1000002", "wrong-password"), "en", 401, httpkit.CodeInvalidCredentials, "The library card number or password is incorrect."},
		{"unknown card", patronLogin("9999999", "yoyaku-demo"), "", 401, httpkit.CodeInvalidCredentials, "図書館利用券番号またはパスワードが正しくありません。"},
		{"empty password", patronLogin("1000002", ""), "", 401, httpkit.CodeInvalidCredentials, ""},
		{"malformed JSON", `{"card_number": "1000001",`, "", 400, httpkit.CodeBadRequest, ""},
		{"card number as a JSON number", `{"card_number": 1000001, "password": "yoyaku-demo"}`, "", 400, httpkit.CodeBadRequest, ""},
		{"not an object", `["1000001", "yoyaku-demo"]`, "", 400, httpkit.CodeBadRequest, ""},
		{"no body", nil, "", 400, httpkit.CodeBadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "POST", "/api/v1/session", "", tc.body, "Accept-Language", tc.lang)
			var b httpkit.ErrorBody
			a.decode(&b)
			if a.Code != tc.status || b.Error.Code != tc.code || (tc.msg != "" && b.Error.Message != tc.msg) {
				t.Fatalf("= %d %s, want %d %s %q", a.Code, a.Body, tc.status, tc.code, tc.msg)
			}
		})
	}
}

func TestLoginThrottling(t *testing.T) {
	e := newSessionEnv(t)
	for i := range auth.MaxSubjectFailures {
		// Typed differently each time: the throttle counts the normalised card number.
		card := []string{"1000003", "１０００００３", "100-0003"}[i%3]
		if a := e.call(t, "POST", "/api/v1/session", "", patronLogin(card, "guess-"+strconv.Itoa(i))); a.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d %s, want 401", i+1, a.Code, a.Body)
		}
	}
	// Now even the right password is refused, with a Retry-After of at most 15 minutes.
	a := e.call(t, "POST", "/api/v1/session", "", patronLogin("1000003", "yoyaku-demo"))
	if a.Code != http.StatusTooManyRequests || a.code() != httpkit.CodeTooManyAttempts {
		t.Fatalf("after %d failures = %d %s, want 429 too_many_attempts", auth.MaxSubjectFailures, a.Code, a.Body)
	}
	retry, err := strconv.Atoi(a.Header().Get("Retry-After"))
	if err != nil || retry < 14*60 || retry > 15*60 {
		t.Fatalf("Retry-After = %q, want about 900 seconds", a.Header().Get("Retry-After"))
	}
	// Another patron is not affected.
	e.login(t, "1000004")

	// After the window the right password works again and clears the failures.
	if _, err := e.db.ExecContext(t.Context(), `UPDATE login_failures SET at = at - interval '15 minutes'`); err != nil {
		t.Fatal(err)
	}
	e.login(t, "1000003")
	var left int
	if err := e.db.GetContext(t.Context(), &left, `SELECT count(*) FROM login_failures WHERE subject = 'patron:1000003'`); err != nil || left != 0 {
		t.Fatalf("%d failures left after a successful login (%v), want 0", left, err)
	}
}

func TestStaffLoginThrottling(t *testing.T) {
	e := newSessionEnv(t)
	for range auth.MaxSubjectFailures {
		a := e.call(t, "POST", "/api/v1/staff/session", "", map[string]string{"login": "staff", "password": "nope-nope"})
		if a.Code != http.StatusUnauthorized || a.code() != httpkit.CodeInvalidCredentials {
			t.Fatalf("wrong staff password = %d %s, want 401 invalid_credentials", a.Code, a.Body)
		}
	}
	a := e.call(t, "POST", "/api/v1/staff/session", "", map[string]string{"login": "staff", "password": "staff-demo"})
	if a.Code != http.StatusTooManyRequests || a.Header().Get("Retry-After") == "" {
		t.Fatalf("throttled staff login = %d %s (Retry-After %q), want 429 with Retry-After", a.Code, a.Body, a.Header().Get("Retry-After"))
	}
	// Patrons' logins are separate subjects.
	e.login(t, "1000001")
}

// TestLoginThrottleUsesThePeerAddress: a client cannot dodge the per-address limit with X-Forwarded-For.
func TestLoginThrottleUsesThePeerAddress(t *testing.T) {
	e := newSessionEnv(t)
	// httptest requests come from 192.0.2.1.
	if _, err := e.db.ExecContext(t.Context(), `
		INSERT INTO login_failures (subject, client_ip) SELECT 'patron:' || lpad(g::text, 7, '0'), '192.0.2.1'
		FROM generate_series(1, $1) g`, auth.MaxClientFailures); err != nil {
		t.Fatal(err)
	}
	for _, hdr := range [][]string{nil, {"X-Forwarded-For", "203.0.113.7"}, {"X-Real-IP", "203.0.113.8"}} {
		a := e.call(t, "POST", "/api/v1/session", "", patronLogin("1000005", "yoyaku-demo"), hdr...)
		if a.Code != http.StatusTooManyRequests {
			t.Errorf("with %v = %d %s, want 429", hdr, a.Code, a.Body)
		}
	}
}

func TestPatronLogoutRevokesTheToken(t *testing.T) {
	e := newSessionEnv(t)
	token, other := e.login(t, "1000001"), e.login(t, "1000001")
	a := e.call(t, "GET", "/api/v1/probe", token, nil)
	var probe struct {
		PatronID int64 `json:"patron_id"`
	}
	a.decode(&probe)
	var want int64
	if err := e.db.GetContext(t.Context(), &want, `SELECT id FROM patrons WHERE card_number = '1000001'`); err != nil {
		t.Fatal(err)
	}
	if a.Code != http.StatusOK || probe.PatronID != want {
		t.Fatalf("probe = %d %s, want 200 with patron %d", a.Code, a.Body, want)
	}

	if a := e.call(t, "DELETE", "/api/v1/session", token, nil); a.Code != http.StatusNoContent || a.Body.Len() != 0 {
		t.Fatalf("logout = %d %q, want 204 and no body", a.Code, a.Body)
	}
	for _, r := range []struct{ method, path string }{{"GET", "/api/v1/probe"}, {"DELETE", "/api/v1/session"}} {
		if a := e.call(t, r.method, r.path, token, nil); a.Code != http.StatusUnauthorized || a.code() != httpkit.CodeUnauthenticated {
			t.Errorf("%s %s after logout = %d %s, want 401 unauthenticated", r.method, r.path, a.Code, a.Body)
		}
	}
	// Only the presented token is revoked: another session of the same patron goes on.
	if a := e.call(t, "GET", "/api/v1/probe", other, nil); a.Code != http.StatusOK {
		t.Errorf("the patron's other token after logout = %d %s, want 200", a.Code, a.Body)
	}
}

func TestExpiredTokenIsRefused(t *testing.T) {
	e := newSessionEnv(t)
	patron, staff := e.login(t, "1000002"), e.staffLogin(t)
	if _, err := e.db.ExecContext(t.Context(), `UPDATE auth_tokens SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	for _, probe := range []struct{ path, token string }{{"/api/v1/probe", patron}, {"/api/v1/staff/probe", staff}} {
		a := e.call(t, "GET", probe.path, probe.token, nil)
		if a.Code != http.StatusUnauthorized || a.code() != httpkit.CodeUnauthenticated {
			t.Errorf("%s with an expired token = %d %s, want 401 unauthenticated", probe.path, a.Code, a.Body)
		}
		if !strings.HasPrefix(a.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate = %q, want Bearer", probe.path, a.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestTokensOnlyWorkForTheirKind(t *testing.T) {
	e := newSessionEnv(t)
	patron, staff := e.login(t, "1000001"), e.staffLogin(t)
	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"patron token, patron probe", "GET", "/api/v1/probe", patron, 200},
		{"staff token, staff probe", "GET", "/api/v1/staff/probe", staff, 200},
		{"patron token, staff probe", "GET", "/api/v1/staff/probe", patron, 401},
		{"staff token, patron probe", "GET", "/api/v1/probe", staff, 401},
		{"patron token, staff logout", "DELETE", "/api/v1/staff/session", patron, 401},
		{"staff token, patron logout", "DELETE", "/api/v1/session", staff, 401},
		{"no token, patron probe", "GET", "/api/v1/probe", "", 401},
		{"no token, staff probe", "GET", "/api/v1/staff/probe", "", 401},
		{"garbage token", "GET", "/api/v1/probe", "Zm9v", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, tc.method, tc.path, tc.token, nil)
			if a.Code != tc.status || (tc.status == 401 && a.code() != httpkit.CodeUnauthenticated) {
				t.Fatalf("= %d %s, want %d", a.Code, a.Body, tc.status)
			}
		})
	}
	// The refused attempts revoked nothing.
	for _, p := range []struct{ path, token string }{{"/api/v1/probe", patron}, {"/api/v1/staff/probe", staff}} {
		if a := e.call(t, "GET", p.path, p.token, nil); a.Code != http.StatusOK {
			t.Errorf("%s afterwards = %d", p.path, a.Code)
		}
	}
}

func TestAuthorizationHeaderForms(t *testing.T) {
	e := newSessionEnv(t)
	token := e.login(t, "1000001")
	tests := []struct {
		header string
		status int
	}{
		{"Bearer " + token, 200},
		{"bearer " + token, 200},
		{"Bearer  " + token + " ", 200},
		{"Bearer", 401},
		{"Bearer ", 401},
		{token, 401},
		{"Basic " + token, 401},
		{"Bearer " + token + "x", 401},
	}
	for _, tc := range tests {
		a := e.call(t, "GET", "/api/v1/probe", "", nil, "Authorization", tc.header)
		if a.Code != tc.status {
			t.Errorf("Authorization %q = %d %s, want %d", tc.header, a.Code, a.Body, tc.status)
		}
	}
}

func TestStaffLogin(t *testing.T) {
	e := newSessionEnv(t)
	for _, login := range []string{"staff", " Staff "} {
		a := e.call(t, "POST", "/api/v1/staff/session", "", map[string]string{"login": login, "password": "staff-demo"})
		if a.Code != http.StatusOK {
			t.Fatalf("staff login %q = %d %s", login, a.Code, a.Body)
		}
		var resp staffLoginResponse
		a.decode(&resp)
		if resp.Token == "" || resp.Staff.Login != "staff" || resp.Staff.Name != "中央図書館 職員" || resp.Staff.Branch == nil || *resp.Staff.Branch != "chuo" {
			t.Fatalf("staff login answer %s", a.Body)
		}
		if p := e.call(t, "GET", "/api/v1/staff/probe", resp.Token, nil); p.Code != http.StatusOK {
			t.Fatalf("staff probe = %d %s", p.Code, p.Body)
		}
		if d := e.call(t, "DELETE", "/api/v1/staff/session", resp.Token, nil); d.Code != http.StatusNoContent {
			t.Fatalf("staff logout = %d %s", d.Code, d.Body)
		}
		if p := e.call(t, "GET", "/api/v1/staff/probe", resp.Token, nil); p.Code != http.StatusUnauthorized {
			t.Fatalf("staff probe after logout = %d %s, want 401", p.Code, p.Body)
		}
	}
	for _, tc := range []struct{ name, body string }{
		{"wrong password", `{"login":"staff","password":"yoyaku-demo"}`},
		{"unknown login", `{"login":"nobody","password":"staff-demo"}`},
		{"impossible login", `{"login":"sta\u0000ff ☃","password":"staff-demo"}`},
		{"patron card as login", `{"login":"1000001","password":"yoyaku-demo"}`},
	} {
		a := e.call(t, "POST", "/api/v1/staff/session", "", tc.body)
		if a.Code != http.StatusUnauthorized || a.code() != httpkit.CodeInvalidCredentials {
			t.Errorf("%s = %d %s, want 401 invalid_credentials", tc.name, a.Code, a.Body)
		}
	}
}

func TestBindJSON(t *testing.T) {
	e := newSessionEnv(t)
	chunked := func(n int) io.Reader { // no Content-Length: only reading finds the size
		return io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("x", n)), strings.NewReader(`"}`))
	}
	tests := []struct {
		name   string
		body   any
		status int
		code   httpkit.Code
	}{
		{"valid", `{"name":"a","count":2,"ids":["x"]}`, 200, ""},
		{"unknown fields are ignored", `{"name":"a","extra":{"deep":[1,2]}}`, 200, ""},
		{"surrounding whitespace", " \n{\"name\":\"a\"}\n ", 200, ""},
		{"malformed", `{"name":`, 400, httpkit.CodeBadRequest},
		{"wrong type", `{"count":"two"}`, 400, httpkit.CodeBadRequest},
		{"wrong element type", `{"ids":[1]}`, 400, httpkit.CodeBadRequest},
		{"two values", `{"name":"a"}{"name":"b"}`, 400, httpkit.CodeBadRequest},
		{"trailing garbage", `{"name":"a"} x`, 400, httpkit.CodeBadRequest},
		{"empty body", "", 400, httpkit.CodeBadRequest},
		{"chunked, under the limit", chunked(httpkit.MaxBody / 2), 200, ""},
		{"chunked, over the limit", chunked(httpkit.MaxBody + 1), 413, httpkit.CodeTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "POST", "/api/v1/probe/bind", "", tc.body)
			if a.Code != tc.status || a.code() != tc.code {
				t.Fatalf("= %d %.200s, want %d %s", a.Code, a.Body, tc.status, tc.code)
			}
		})
	}
	// The login endpoints use it too.
	a := e.call(t, "POST", "/api/v1/session", "", chunked(httpkit.MaxBody+1))
	if a.Code != http.StatusRequestEntityTooLarge || a.code() != httpkit.CodeTooLarge {
		t.Fatalf("oversized login = %d %.200s, want 413 payload_too_large", a.Code, a.Body)
	}
}

// TestDummyHashCostsLikeARealOne: an unknown card number's dummy compare must be as slow as a real one.
func TestDummyHashCostsLikeARealOne(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(httpkit.DummyHash))
	if err != nil || cost != auth.Cost {
		t.Fatalf("dummyHash cost = %d, %v; want auth.Cost (%d)", cost, err, auth.Cost)
	}
}
