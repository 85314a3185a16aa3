package api_test

import (
	"net/http"
	"strings"
	"testing"

	"yoyaku/testenv"
)

// The web pages' shared machinery (web.go): HTML error pages outside /api/, JSON inside, the language, and
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
