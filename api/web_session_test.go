package api

// Tests of the web pages' cookie sessions and CSRF protection, over test pages mounted on the real router
// (the pages themselves come later): they need PostgreSQL only.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/auth"
	"yoyaku/config"
	"yoyaku/httpkit"
	"yoyaku/internal/seed"
	"yoyaku/internal/temporalx"
	"yoyaku/internal/testenv"
)

// webEnv is the API's router over a seeded database with test pages under /test:
//
//	GET  /test/form    csrfProtect; answers {"csrf"} (the login form)
//	POST /test/login   csrfProtect; form card= → webLogin; answers {"csrf"}
//	GET  /test/top     csrfProtect, optionalWebPatron; answers {"logged_in","patron_id","csrf"}
//	GET  /test/mine    csrfProtect, webPatron; answers {"patron_id","csrf"}
//	POST /test/mine    csrfProtect, webPatron; answers {"patron_id","note"} (note: a form field)
//	POST /test/logout  csrfProtect, webPatron → webLogout; answers {"csrf"}
//	GET  /test/panic   panics with an error that looks like SQL
//	GET  /api/v1/test/web  webPatron mounted where it must not be
type webEnv struct {
	s  *Server
	db *sqlx.DB
	h  *gin.Engine
}

// newWebEnv builds the environment with the given environment variables; tc may be nil (no Temporal).
func newWebEnv(t *testing.T, vars map[string]string, tc client.Client) *webEnv {
	t.Helper()
	db := testenv.DB(t)
	if _, err := seed.Demo(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{DB: db, Temporal: tc, Cfg: cfg, Log: slog.New(slog.DiscardHandler), Metrics: metrics}
	r := s.Router()
	pages := r.Group("/test", httpkit.PatronSession.Protect(s.Kit))
	pages.GET("/form", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"csrf": httpkit.CSRFToken(c)}) })
	pages.POST("/login", func(c *gin.Context) {
		var id int64
		if err := s.DB.GetContext(c, &id, `SELECT id FROM patrons WHERE card_number = $1`, c.PostForm("card")); err != nil {
			s.Internal(c, err)
			return
		}
		if err := httpkit.PatronSession.Start(s.Kit, c, id); err != nil {
			s.Internal(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"csrf": httpkit.CSRFToken(c)})
	})
	pages.GET("/top", httpkit.PatronSession.Optional(s.Kit), func(c *gin.Context) {
		id, ok := httpkit.WebPatronID(c)
		c.JSON(http.StatusOK, gin.H{"logged_in": ok, "patron_id": id, "csrf": httpkit.CSRFToken(c)})
	})
	my := pages.Group("", httpkit.PatronSession.Require(s.Kit))
	my.GET("/mine", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"patron_id": httpkit.PatronID(c), "csrf": httpkit.CSRFToken(c)})
	})
	my.POST("/mine", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"patron_id": httpkit.PatronID(c), "note": c.PostForm("note")})
	})
	my.POST("/logout", func(c *gin.Context) {
		if err := httpkit.PatronSession.End(s.Kit, c); err != nil {
			s.Internal(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"csrf": httpkit.CSRFToken(c)})
	})
	r.GET("/test/panic", func(*gin.Context) {
		panic(fmt.Errorf(`store: hold 7: pq: syntax error at or near "DROP" in SELECT password_hash FROM patrons WHERE card_number = '1000001'`))
	})
	r.GET("/api/v1/test/web", httpkit.PatronSession.Require(s.Kit), func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"patron_id": httpkit.PatronID(c)}) })
	return &webEnv{s: s, db: db, h: r}
}

func (e *webEnv) patron(t *testing.T, card string) int64 {
	t.Helper()
	var id int64
	if err := e.db.GetContext(t.Context(), &id, `SELECT id FROM patrons WHERE card_number = $1`, card); err != nil {
		t.Fatal(err)
	}
	return id
}

// browser keeps cookies between requests, as a browser would (path /, no expiry handling needed).
type browser struct {
	e       *webEnv
	cookies map[string]string
}

func (e *webEnv) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

// do sends a request with the browser's cookies; a non-nil form is the urlencoded body. hdr are name,
// value pairs.
func (b *browser) do(t *testing.T, method, path string, form url.Values, hdr ...string) answer {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	b.e.h.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return answer{w, t}
}

// field is a string field of a JSON answer.
func (a answer) field(name string) string {
	a.t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(a.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		a.t.Fatalf("body %s: %v", a.Body, err)
	}
	return fmt.Sprint(m[name])
}

// login logs the browser in as card through the test login form and returns the new page's CSRF token.
func (b *browser) login(t *testing.T, card string) string {
	t.Helper()
	form := b.do(t, "GET", "/test/form", nil)
	a := b.do(t, "POST", "/test/login", url.Values{"card": {card}, "_csrf": {form.field("csrf")}})
	if a.Code != http.StatusOK || b.cookies[httpkit.SessionCookie] == "" {
		t.Fatalf("web login %s = %d %s (cookies %v)", card, a.Code, a.Body, b.cookies)
	}
	return a.field("csrf")
}

func setCookie(t *testing.T, a answer, name string) *http.Cookie {
	t.Helper()
	for _, c := range a.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie set: %v", name, a.Header().Values("Set-Cookie"))
	return nil
}

func TestWebLoginCookie(t *testing.T) {
	for _, tc := range []struct {
		name      string
		publicURL string
		https     bool
		secure    bool
	}{
		{"http", "", false, false},
		{"https public address", "https://yoyaku.library.example.jp", false, true},
		{"TLS request", "", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newWebEnv(t, map[string]string{"YOYAKU_PUBLIC_URL": tc.publicURL}, nil)
			b := e.browser()
			form := b.do(t, "GET", "/test/form", nil)
			target := "/test/login"
			if tc.https {
				target = "https://example.jp/test/login"
			}
			req := httptest.NewRequest("POST", target, strings.NewReader(url.Values{"card": {"1000001"}, "_csrf": {form.field("csrf")}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: httpkit.CSRFCookie, Value: b.cookies[httpkit.CSRFCookie]})
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			a := answer{w, t}
			if a.Code != http.StatusOK {
				t.Fatalf("login = %d %s", a.Code, a.Body)
			}
			c := setCookie(t, a, httpkit.SessionCookie)
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != int(auth.PatronTokenTTL.Seconds()) || c.Secure != tc.secure {
				t.Fatalf("cookie %q: want HttpOnly, SameSite=Lax, Path=/, Max-Age=%d, Secure=%v", a.Header().Values("Set-Cookie"),
					int(auth.PatronTokenTTL.Seconds()), tc.secure)
			}
			if got := a.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			// It is an ordinary patron token, expiring like one.
			id, err := auth.Lookup(t.Context(), e.db, auth.KindPatron, c.Value)
			if err != nil || id != e.patron(t, "1000001") {
				t.Fatalf("cookie token → patron %d, %v", id, err)
			}
			if anon := setCookie(t, form, httpkit.CSRFCookie); !anon.HttpOnly || anon.SameSite != http.SameSiteLaxMode || anon.Secure != (tc.publicURL != "") {
				t.Errorf("pre-login CSRF cookie %q", form.Header().Values("Set-Cookie"))
			}
		})
	}
}

func TestWebPatron(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	want := e.patron(t, "1000002")

	anon := e.browser()
	a := anon.do(t, "GET", "/test/mine?tab=ready&x=1", nil)
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/login?next=%2Ftest%2Fmine%3Ftab%3Dready%26x%3D1" {
		t.Fatalf("without a session = %d Location %q, want 303 to /login?next=<the page>", a.Code, a.Header().Get("Location"))
	}
	if a := anon.do(t, "POST", "/test/mine", url.Values{"_csrf": {anon.do(t, "GET", "/test/form", nil).field("csrf")}},
		"Referer", "http://example.com/test/mine?tab=2"); a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/login?next=%2Ftest%2Fmine%3Ftab%3D2" {
		t.Fatalf("form posted without a session = %d Location %q, want 303 to /login?next=<the page it came from>", a.Code, a.Header().Get("Location"))
	}
	if a := anon.do(t, "GET", "/test/top", nil); a.Code != http.StatusOK || a.field("logged_in") != "false" {
		t.Fatalf("top page without a session = %d %s", a.Code, a.Body)
	}

	b := e.browser()
	b.login(t, "1000002")
	for _, path := range []string{"/test/mine", "/test/top"} {
		a := b.do(t, "GET", path, nil)
		if a.Code != http.StatusOK || a.field("patron_id") != fmt.Sprint(want) {
			t.Fatalf("%s with the session = %d %s, want patron %d", path, a.Code, a.Body, want)
		}
		if a.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", path, a.Header().Get("Cache-Control"))
		}
	}
	if a := b.do(t, "GET", "/test/top", nil); a.field("logged_in") != "true" {
		t.Fatalf("top page with the session: %s", a.Body)
	}

	// The cookie never authenticates the JSON API, even where webPatron is mounted by mistake.
	for _, path := range []string{"/api/v1/holds", "/api/v1/test/web"} {
		if a := b.do(t, "GET", path, nil); a.Code != http.StatusUnauthorized || a.code() != httpkit.CodeUnauthenticated {
			t.Errorf("%s with only the cookie = %d %s, want 401 unauthenticated", path, a.Code, a.Body)
		}
	}
	if a := b.do(t, "DELETE", "/api/v1/session", nil); a.Code != http.StatusUnauthorized {
		t.Errorf("JSON logout with only the cookie = %d %s, want 401", a.Code, a.Body)
	}
	if a := b.do(t, "GET", "/test/mine", nil); a.Code != http.StatusOK {
		t.Fatalf("the session ended: %d", a.Code)
	}
}

func TestWebSessionEnds(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, b *browser)
	}{
		{"expired", func(t *testing.T, b *browser) {
			if _, err := e.db.ExecContext(t.Context(), `UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to($1, 'UTF8'))`,
				b.cookies[httpkit.SessionCookie]); err != nil {
				t.Fatal(err)
			}
		}},
		{"revoked", func(t *testing.T, b *browser) {
			if err := auth.Revoke(t.Context(), e.db, b.cookies[httpkit.SessionCookie]); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage", func(t *testing.T, b *browser) { b.cookies[httpkit.SessionCookie] = "not-a-token" }},
		{"staff token", func(t *testing.T, b *browser) {
			var staff int64
			if err := e.db.GetContext(t.Context(), &staff, `SELECT id FROM staff_users WHERE login = 'staff'`); err != nil {
				t.Fatal(err)
			}
			token, err := auth.Issue(t.Context(), e.db, auth.KindStaff, staff, auth.StaffTokenTTL)
			if err != nil {
				t.Fatal(err)
			}
			b.cookies[httpkit.SessionCookie] = token
		}},
		{"logged out", func(t *testing.T, b *browser) {
			token := b.cookies[httpkit.SessionCookie]
			csrf := b.do(t, "GET", "/test/mine", nil).field("csrf")
			a := b.do(t, "POST", "/test/logout", url.Values{"_csrf": {csrf}})
			if a.Code != http.StatusOK || b.cookies[httpkit.SessionCookie] != "" {
				t.Fatalf("logout = %d %s, cookie left %q", a.Code, a.Body, b.cookies[httpkit.SessionCookie])
			}
			if _, err := auth.Lookup(t.Context(), e.db, auth.KindPatron, token); err == nil {
				t.Fatal("the token still works after logout")
			}
			b.cookies[httpkit.SessionCookie] = token // a copy kept by an attacker is no use either
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			b.login(t, "1000003")
			tc.end(t, b)
			if a := b.do(t, "GET", "/test/mine", nil); a.Code != http.StatusSeeOther || !strings.HasPrefix(a.Header().Get("Location"), "/login?next=") {
				t.Fatalf("page after the session ended = %d %s, want 303 to /login", a.Code, a.Body)
			}
			if b.cookies[httpkit.SessionCookie] != "" {
				t.Errorf("the stale cookie was not deleted")
			}
			top := b.do(t, "GET", "/test/top", nil)
			if top.Code != http.StatusOK || top.field("logged_in") != "false" {
				t.Fatalf("top page = %d %s, want logged out", top.Code, top.Body)
			}
			// The page now shows the login form, and posting it works.
			b.login(t, "1000003")
		})
	}
}

// TestWebLoginReplacesTheSession: logging in again (as anyone) revokes the browser's previous session.
func TestWebLoginReplacesTheSession(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	b.login(t, "1000001")
	first := b.cookies[httpkit.SessionCookie]
	csrf := b.do(t, "GET", "/test/top", nil).field("csrf")
	a := b.do(t, "POST", "/test/login", url.Values{"card": {"1000004"}, "_csrf": {csrf}})
	if a.Code != http.StatusOK || b.cookies[httpkit.SessionCookie] == first {
		t.Fatalf("second login = %d %s", a.Code, a.Body)
	}
	if _, err := auth.Lookup(t.Context(), e.db, auth.KindPatron, first); err == nil {
		t.Fatal("the first session still works")
	}
	if got := b.do(t, "GET", "/test/mine", nil).field("patron_id"); got != fmt.Sprint(e.patron(t, "1000004")) {
		t.Fatalf("now patron %s, want 1000004's", got)
	}
}

func TestCSRF(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	csrf := b.login(t, "1000001")
	if page := b.do(t, "GET", "/test/mine", nil).field("csrf"); page != csrf {
		t.Fatalf("the session's token changed between pages: %q then %q", csrf, page)
	}
	other := e.browser()
	otherCSRF := other.login(t, "1000002")

	tests := []struct {
		name   string
		form   url.Values
		hdr    []string
		status int
		code   httpkit.Code
		msg    string
	}{
		{"no token", url.Values{"note": {"x"}}, nil, 403, httpkit.CodeCSRFFailed, "画面の有効期限が切れました。もう一度操作してください。"},
		{"no token, English", url.Values{"note": {"x"}}, []string{"Accept-Language", "en-GB,en;q=0.8"}, 403, httpkit.CodeCSRFFailed,
			"This page has expired. Please go back, reload it and try again."},
		{"empty token", url.Values{"_csrf": {""}}, nil, 403, httpkit.CodeCSRFFailed, ""},
		{"wrong token", url.Values{"_csrf": {wrongLast(csrf)}}, nil, 403, httpkit.CodeCSRFFailed, ""},
		{"another session's token", url.Values{"_csrf": {otherCSRF}}, nil, 403, httpkit.CodeCSRFFailed, ""},
		{"the session's token as a form field", url.Values{"_csrf": {csrf}, "note": {"メモ"}}, nil, 200, "", ""},
		{"the session's token as a header", url.Values{"note": {"メモ"}}, []string{httpkit.CSRFHeader, csrf}, 200, "", ""},
		{"a wrong header wins over a right field", url.Values{"_csrf": {csrf}}, []string{httpkit.CSRFHeader, otherCSRF}, 403, httpkit.CodeCSRFFailed, ""},
		{"bearer header does not replace it", url.Values{"note": {"x"}}, []string{"Authorization", "Bearer " + b.cookies[httpkit.SessionCookie]}, 403, httpkit.CodeCSRFFailed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := b.do(t, "POST", "/test/mine", tc.form, tc.hdr...)
			if a.Code != tc.status || a.code() != tc.code {
				t.Fatalf("= %d %s, want %d %s", a.Code, a.Body, tc.status, tc.code)
			}
			if tc.msg != "" {
				var body httpkit.ErrorBody
				a.decode(&body)
				if body.Error.Message != tc.msg {
					t.Fatalf("message %q, want %q", body.Error.Message, tc.msg)
				}
			}
			if tc.status == 200 && a.field("note") != "メモ" {
				t.Fatalf("the handler lost the form: %s", a.Body)
			}
		})
	}
	// Multipart forms are read too; an oversized form is 413, not a CSRF failure.
	body := "--XX\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + csrf + "\r\n--XX\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nメモ\r\n--XX--\r\n"
	req := httptest.NewRequest("POST", "/test/mine", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=XX")
	req.AddCookie(&http.Cookie{Name: httpkit.SessionCookie, Value: b.cookies[httpkit.SessionCookie]})
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if a := (answer{w, t}); a.Code != http.StatusOK || a.field("note") != "メモ" {
		t.Fatalf("multipart form = %d %s", a.Code, a.Body)
	}
	big := url.Values{"note": {strings.Repeat("x", httpkit.MaxBody)}, "_csrf": {csrf}}
	if a := b.do(t, "POST", "/test/mine", big); a.Code != http.StatusRequestEntityTooLarge || a.code() != httpkit.CodeTooLarge {
		t.Fatalf("oversized form = %d %.200s, want 413", a.Code, a.Body)
	}
}

// TestLoginCSRF: before login the token is tied to the yoyaku_csrf cookie, so another site cannot post
// the login form (and log the visitor into the attacker's account).
func TestLoginCSRF(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	b := e.browser()
	token := b.do(t, "GET", "/test/form", nil).field("csrf")
	if again := b.do(t, "GET", "/test/form", nil).field("csrf"); again != token {
		t.Fatalf("the pre-login token changed between pages")
	}
	attacker := e.browser()
	attackerToken := attacker.do(t, "GET", "/test/form", nil).field("csrf")

	noCookie := e.browser()
	if a := noCookie.do(t, "POST", "/test/login", url.Values{"card": {"1000005"}, "_csrf": {token}}); a.Code != http.StatusForbidden || a.code() != httpkit.CodeCSRFFailed {
		t.Fatalf("login form posted without the cookie = %d %s, want 403 csrf_failed", a.Code, a.Body)
	}
	if a := b.do(t, "POST", "/test/login", url.Values{"card": {"1000005"}, "_csrf": {attackerToken}}); a.Code != http.StatusForbidden {
		t.Fatalf("login form with another browser's token = %d %s, want 403", a.Code, a.Body)
	}
	// A cookie planted with the attacker's nonce does not validate without the server key.
	planted := e.browser()
	planted.cookies[httpkit.CSRFCookie] = strings.Repeat("A", httpkit.NonceLen)
	if a := planted.do(t, "POST", "/test/login", url.Values{"card": {"1000005"}, "_csrf": {strings.Repeat("A", httpkit.NonceLen)}}); a.Code != http.StatusForbidden {
		t.Fatalf("planted nonce = %d, want 403", a.Code)
	}
	if a := b.do(t, "POST", "/test/login", url.Values{"card": {"1000005"}, "_csrf": {token}}); a.Code != http.StatusOK {
		t.Fatalf("login form with its token = %d %s", a.Code, a.Body)
	}
	// After login the pre-login token is no longer the page's token.
	if a := b.do(t, "POST", "/test/mine", url.Values{"_csrf": {token}}); a.Code != http.StatusForbidden {
		t.Fatalf("pre-login token on a session = %d, want 403", a.Code)
	}
}

// TestCSRFKey: with YOYAKU_SESSION_KEY a session's token survives a restart (another Server with the same
// key); another key, or none (the process's random key), gives other tokens.
func TestCSRFKey(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	token := strings.Repeat("t", 43)
	first, restarted := &Server{Cfg: config.Config{SessionKey: key}}, &Server{Cfg: config.Config{SessionKey: bytes.Clone(key)}}
	if httpkit.PatronSession.SessionCSRF(first.kit().SessionKey(), token) != httpkit.PatronSession.SessionCSRF(restarted.kit().SessionKey(), token) {
		t.Fatal("the same key gives another token")
	}
	other := &Server{Cfg: config.Config{SessionKey: []byte(strings.Repeat("K", 32))}}
	none := &Server{}
	if httpkit.PatronSession.SessionCSRF(other.kit().SessionKey(), token) == httpkit.PatronSession.SessionCSRF(first.kit().SessionKey(), token) || httpkit.PatronSession.SessionCSRF(none.kit().SessionKey(), token) == httpkit.PatronSession.SessionCSRF(first.kit().SessionKey(), token) {
		t.Fatal("another key gives the same token")
	}
	if httpkit.PatronSession.SessionCSRF(none.kit().SessionKey(), token) != httpkit.PatronSession.SessionCSRF((&Server{}).kit().SessionKey(), token) {
		t.Fatal("the process's random key is not stable")
	}
	if httpkit.PatronSession.SessionCSRF(first.kit().SessionKey(), token) == httpkit.PatronSession.SessionCSRF(first.kit().SessionKey(), token+"x") || httpkit.PatronSession.SessionCSRF(first.kit().SessionKey(), token) == httpkit.PatronSession.AnonCSRF(first.kit().SessionKey(), token) {
		t.Fatal("tokens of different sessions or purposes coincide")
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/holds":                  "/holds",
		"/holds?tab=ready#top":    "/holds?tab=ready#top",
		"/titles?q=%E5%A4%8F":     "/titles?q=%E5%A4%8F",
		"":                        "/",
		"holds":                   "/",
		"//evil.example/":         "/",
		"/\\evil.example/":        "/",
		"https://evil.example/":   "/",
		"javascript:alert(1)":     "/",
		"/%0d%0aSet-Cookie:x=1":   "/%0d%0aSet-Cookie:x=1", // stays encoded: a path, not a header
		"/\r\nSet-Cookie: x=1":    "/",
		"/login":                  "/",
		"/login?next=%2Fholds":    "/",
		"/logins":                 "/logins",
		"/ /evil.example":         "/ /evil.example",
		"/\x00":                   "/",
		"\\\\evil.example\\holds": "/",
	} {
		if got := httpkit.SafeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// wrongLast changes a token's last character (to one it certainly is not).
func wrongLast(token string) string {
	if strings.HasSuffix(token, "A") {
		return token[:len(token)-1] + "B"
	}
	return token[:len(token)-1] + "A"
}
