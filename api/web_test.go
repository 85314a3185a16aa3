package api_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"yoyaku/internal/testenv"
)

// The web pages' shared machinery (package httpkit): HTML error pages outside /api/, JSON inside, the language, and
// the static files with their caching.
func TestWebErrorPagesAndStatic(t *testing.T) {
	_, h := newServer(t, testenv.DB(t))

	w := do(t, h, "GET", "/no-such-page", nil, nil)
	if w.Code != http.StatusNotFound || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("unknown page = %d %s, want an HTML 404", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{`<html lang="ja">`, "お探しのものは見つかりません。", "ログイン", "資料検索", "予約状況", "/static/style.css?v="} {
		if !strings.Contains(body, want) {
			t.Errorf("404 page lacks %q:\n%s", want, body)
		}
	}

	w = do(t, h, "GET", "/no-such-page?lang=en", nil, nil)
	if body := w.Body.String(); !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Not found.") || !strings.Contains(body, "Log in") {
		t.Errorf("English 404 page:\n%s", body)
	}
	if c := w.Header().Get("Set-Cookie"); !strings.Contains(c, "yoyaku_lang=en") {
		t.Errorf("?lang=en sets no language cookie: %q", c)
	}
	w = do(t, h, "GET", "/no-such-page", map[string]string{"Accept-Language": "en-GB,en;q=0.8"}, nil)
	if !strings.Contains(w.Body.String(), `<html lang="en">`) {
		t.Errorf("Accept-Language: en gives no English page")
	}

	w = do(t, h, "GET", "/api/v1/no-such-thing", nil, nil)
	if w.Code != http.StatusNotFound || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") ||
		!strings.Contains(w.Body.String(), `"not_found"`) {
		t.Fatalf("unknown API path = %d %s %s, want the JSON envelope", w.Code, w.Header().Get("Content-Type"), w.Body)
	}

	w = do(t, h, "GET", "/static/style.css", nil, nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") || w.Header().Get("ETag") == "" {
		t.Fatalf("style.css = %d %s etag %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("ETag"))
	}
	etag := w.Header().Get("ETag")
	w = do(t, h, "GET", "/static/style.css?v="+strings.Trim(etag, `"`), nil, nil)
	if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned style.css Cache-Control %q, want long caching", cc)
	}
	w = do(t, h, "GET", "/static/style.css", map[string]string{"If-None-Match": etag}, nil)
	if w.Code != http.StatusNotModified {
		t.Errorf("style.css with its ETag = %d, want 304", w.Code)
	}
	if w = do(t, h, "GET", "/static/", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("/static/ = %d, want 404 (no listing)", w.Code)
	}
}

// The patron pages without a browser: pages needing a login redirect to it, forms need the CSRF token
// (an HTML 403 otherwise), and the login accepts a full-width card number and starts a cookie session.
func TestPatronPagesLoginAndGuards(t *testing.T) {
	_, h := newServer(t, seeded(t))

	w := do(t, h, "GET", "/holds", nil, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=%2Fholds" {
		t.Fatalf("/holds without a session = %d → %q, want 303 to the login page", w.Code, w.Header().Get("Location"))
	}

	w = do(t, h, "POST", "/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		strings.NewReader("card_number=1000001&password=yoyaku-demo"))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "画面の有効期限が切れました") ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("login without the CSRF token = %d %s", w.Code, w.Header().Get("Content-Type"))
	}

	w = do(t, h, "GET", "/login?next=/basket", nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("/login = %d", w.Code)
	}
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if token == nil {
		t.Fatalf("the login form has no CSRF field:\n%s", w.Body)
	}
	var nonce string
	for _, c := range w.Result().Cookies() {
		if c.Name == "yoyaku_csrf" {
			nonce = c.Value
		}
	}
	form := url.Values{"_csrf": {token[1]}, "card_number": {"１０００－００１"}, "password": {"wrong-password"}, "next": {"/basket"}}
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "yoyaku_csrf=" + nonce}
	w = do(t, h, "POST", "/login", hdr, strings.NewReader(form.Encode()))
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "パスワードが正しくありません") {
		t.Fatalf("wrong password = %d", w.Code)
	}
	form.Set("password", "yoyaku-demo")
	w = do(t, h, "POST", "/login", hdr, strings.NewReader(form.Encode()))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/basket" {
		t.Fatalf("login with a full-width card number = %d → %q, want 303 to /basket", w.Code, w.Header().Get("Location"))
	}
	var session string
	for _, c := range w.Result().Cookies() {
		if c.Name == "yoyaku_session" {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie after the login")
	}
	w = do(t, h, "GET", "/basket", map[string]string{"Cookie": "yoyaku_session=" + session}, nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "ログアウト") || !strings.Contains(w.Body.String(), "<h1>予約かご</h1>") {
		t.Fatalf("/basket with the session = %d", w.Code)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a patron page is Cache-Control %q, want no-store", cc)
	}

	w = do(t, h, "GET", "/search?q="+url.QueryEscape("漱石"), nil, nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "検索結果一覧") {
		t.Fatalf("search page = %d", w.Code)
	}
}
