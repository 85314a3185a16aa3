package api

// The web pages' shared machinery: embedded templates and static files, the render helper s.page, the
// i18n helper, and HTML error pages. The patron pages (web_patron*.go) and the staff console
// (web_staff*.go) both build on it.
//
// Templates (api/templates/*.html) are embedded and parsed once, at the first render:
//   - layout.html, every file whose name starts with "_" and every "*_layout.html" are shared: they are
//     parsed into every page, so the definitions in them (partials, other layouts) are usable everywhere.
//   - every other file X.html is a page, rendered with s.page(c, status, "X", data). It defines
//     {{define "title"}} (the <title> and the page's heading) and {{define "content"}} (inside <main>). By
//     default the page is rendered through layout.html's "layout" (patron header, nav and footer); a page
//     that defines {{define "page"}} is rendered through that instead, e.g.
//     {{define "page"}}{{template "staff_layout" .}}{{end}} with a staff_layout.html of its own.
//   - layout.html has blocks a page may override: "head" (extra <head> elements), "nav", "scripts".
//
// Data every page gets from s.page (besides the handler's own keys):
//
//	.Lang      "ja" or "en": {{t .Lang "key"}} translates (texts below; add keys with addTexts in init)
//	.CSRF      the CSRF token: <input type="hidden" name="_csrf" value="{{.CSRF}}"> in every POST form
//	.Path      the current path (for aria-current in the nav); .LangURL the same page in the other language
//	.LoggedIn  whether a patron is logged in (cookie session), .PatronName the patron's name
//	.Static    {{static "style.css"}} gives a cache-busting /static/ address
//
// Inside {{range}} use $.Lang and $.CSRF. The functions available in templates are in templateFuncs.
//
// Errors on page routes (404, 403 csrf_failed, 500 ...) are HTML pages (error.html): webPage marks the
// request as a page request, and fail() renders the error page for those. /api/ keeps the JSON envelope.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

const (
	// ctxWebPage marks a page request (HTML errors) and holds its *Server.
	ctxWebPage = "yoyaku.web_page"
	// ctxLang is the page's language, "ja" or "en"; english(c) reads it on page routes.
	ctxLang = "yoyaku.lang"
	// langCookie keeps the language chosen with ?lang= for the following pages.
	langCookie = "yoyaku_lang"
)

// webRoutes mounts the web pages: static files and every page route set registered with addPageRoutes
// (the patron pages, the staff console). Page requests get HTML error pages and CSRF protection.
func (s *Server) webRoutes(r *gin.Engine) {
	r.GET("/static/*file", serveStatic)
	r.HEAD("/static/*file", serveStatic)
	pages := r.Group("/", s.webPage(), s.csrfProtect())
	for _, mount := range pageRouteSets {
		mount(s, pages)
	}
}

// pageRouteSets are the page route sets, mounted in registration order (init order: by file name).
var pageRouteSets []func(s *Server, pages *gin.RouterGroup)

// addPageRoutes registers a set of page routes, from an init function of the file that defines them:
//
//	func init() { addPageRoutes((*Server).staffPageRoutes) }
//	func (s *Server) staffPageRoutes(pages *gin.RouterGroup) { staff := pages.Group("/staff", ...); ... }
//
// pages is already behind webPage and csrfProtect; add optionalWebPatron or webPatron (or the staff
// console's own session check) on sub-groups.
func addPageRoutes(mount func(s *Server, pages *gin.RouterGroup)) {
	pageRouteSets = append(pageRouteSets, mount)
}

// webPage marks the request as a web page request: its language is settled and errors are HTML pages.
func (s *Server) webPage() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.settlePage(c)
		c.Next()
	}
}

// settlePage marks the request as a page request and settles its language (remembered in a cookie when
// chosen with ?lang=).
func (s *Server) settlePage(c *gin.Context) {
	c.Set(ctxWebPage, s)
	lang := pageLang(c)
	c.Set(ctxLang, lang)
	if q := c.Query("lang"); q != "" {
		http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.secureCookies(c), SameSite: http.SameSiteLaxMode})
	}
	c.Header("Vary", "Accept-Language, Cookie")
}

// pageLang is the language of a page: ?lang=, else the cookie of an earlier ?lang=, else Accept-Language.
func pageLang(c *gin.Context) string {
	if l := c.Query("lang"); l != "" {
		return langOf(strings.HasPrefix(l, "en"))
	}
	if l, err := c.Cookie(langCookie); err == nil && (l == "ja" || l == "en") {
		return l
	}
	return langOf(strings.HasPrefix(strings.TrimSpace(strings.ToLower(c.GetHeader("Accept-Language"))), "en"))
}

func langOf(en bool) string {
	if en {
		return "en"
	}
	return "ja"
}

// lang is the request's page language ("ja" when not a page request).
func lang(c *gin.Context) string {
	if l, ok := c.Get(ctxLang); ok {
		return l.(string)
	}
	return langOf(english(c))
}

// page renders the page template name with the common data (see the top of this file) and data. The page
// is rendered into a buffer first: a template error is a logged 500 (an HTML error page), never half a page.
func (s *Server) page(c *gin.Context, status int, name string, data gin.H) {
	t, ok := pageTemplates()[name]
	if !ok {
		s.internal(c, fmt.Errorf("web: no page template %q", name))
		return
	}
	if data == nil {
		data = gin.H{}
	}
	if err := s.commonData(c, data); err != nil {
		s.internal(c, err)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.internal(c, fmt.Errorf("web: render %s: %w", name, err))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// commonData adds the data every page has; keys the handler set are kept.
func (s *Server) commonData(c *gin.Context, data gin.H) error {
	l := lang(c)
	set := func(k string, v any) {
		if _, ok := data[k]; !ok {
			data[k] = v
		}
	}
	set("Lang", l)
	set("Path", c.Request.URL.Path)
	set("LangURL", otherLangURL(c, l))
	if _, ok := c.Get(ctxCSRF); ok {
		set("CSRF", csrfToken(c))
	} else {
		set("CSRF", "")
	}
	id, ok := webPatronID(c)
	set("LoggedIn", ok)
	if ok {
		if _, has := data["PatronName"]; !has {
			var name string
			if err := s.DB.GetContext(c.Request.Context(), &name, `SELECT name FROM patrons WHERE id = $1`, id); err != nil {
				return fmt.Errorf("web: patron name: %w", err)
			}
			data["PatronName"] = name
		}
	} else {
		set("PatronName", "")
	}
	return nil
}

// otherLangURL is the current page in the other language (a GET link).
func otherLangURL(c *gin.Context, l string) string {
	u := *c.Request.URL
	q := u.Query()
	if l == "en" {
		q.Set("lang", "ja")
	} else {
		q.Set("lang", "en")
	}
	u.RawQuery = q.Encode()
	u.Scheme, u.Host, u.User = "", "", nil
	if c.Request.Method != http.MethodGet {
		return "?" + u.RawQuery
	}
	return u.RequestURI()
}

// errorPage renders error.html with the code's message; fail() calls it on page routes.
func (s *Server) errorPage(c *gin.Context, status int, code Code) {
	t, ok := pageTemplates()["error"]
	data := gin.H{"Status": status, "Code": string(code), "Message": message(c, code)}
	var buf bytes.Buffer
	if ok {
		if err := s.commonData(c, data); err != nil {
			s.Log.ErrorContext(c.Request.Context(), "error page", "err", err)
			data["LoggedIn"], data["PatronName"] = false, ""
		}
		if err := t.Execute(&buf, data); err != nil {
			s.Log.ErrorContext(c.Request.Context(), "error page", "err", err)
			buf.Reset()
		}
	}
	if buf.Len() == 0 {
		buf.WriteString("<!doctype html><title>" + template.HTMLEscapeString(message(c, code)) + "</title><p>" +
			template.HTMLEscapeString(message(c, code)))
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// noRoute answers unknown paths: an HTML 404 page outside /api/, the JSON envelope inside.
func (s *Server) noRoute(status int, code Code) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !isAPIPath(c) {
			s.settlePage(c)
			if _, err := s.webSession(c); err != nil {
				s.Log.ErrorContext(c.Request.Context(), "no route: session", "err", err)
			}
		}
		fail(c, status, code)
	}
}

// --- templates ---

var pageTemplates = sync.OnceValue(func() map[string]*template.Template {
	pages, err := parseTemplates(templateFiles)
	if err != nil {
		panic(err) // embedded files: a broken template fails every test
	}
	return pages
})

// isSharedTemplate reports whether a template file is parsed into every page.
func isSharedTemplate(name string) bool {
	return name == "layout.html" || strings.HasPrefix(name, "_") || strings.HasSuffix(name, "_layout.html")
}

func parseTemplates(fsys fs.FS) (map[string]*template.Template, error) {
	entries, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, err
	}
	base := template.New("").Funcs(templateFuncs)
	var pageFiles []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		if isSharedTemplate(name) {
			if _, err := base.ParseFS(fsys, "templates/"+name); err != nil {
				return nil, err
			}
		} else {
			pageFiles = append(pageFiles, name)
		}
	}
	pages := map[string]*template.Template{}
	for _, name := range pageFiles {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(fsys, "templates/"+name); err != nil {
			return nil, err
		}
		root := "layout"
		if t.Lookup("page") != nil {
			root = "page"
		}
		if t.Lookup(root) == nil {
			return nil, fmt.Errorf("web: template %s: no %q to render", name, root)
		}
		pages[strings.TrimSuffix(name, ".html")] = t.Lookup(root)
	}
	return pages, nil
}

// templateFuncs are the functions templates may call.
var templateFuncs = template.FuncMap{
	"t":      translate,
	"static": staticURL,
	// msg is an error code's message: {{msg $.Lang "pickup_not_allowed"}}.
	"msg": func(lang, code string) string { return messageIn(lang, Code(code)) },
	// date formats a time or date as YYYY-MM-DD in the library's zone ("" for nil or zero).
	"date": func(v any) string {
		switch d := v.(type) {
		case time.Time:
			if d.IsZero() {
				return ""
			}
			return d.In(libraryZone).Format(time.DateOnly)
		case *time.Time:
			if d == nil || d.IsZero() {
				return ""
			}
			return d.In(libraryZone).Format(time.DateOnly)
		case *string:
			if d == nil {
				return ""
			}
			return *d
		case string:
			return d
		}
		return ""
	},
	// query builds a query string from key, value pairs, skipping empty values: {{query "q" .Q "page" 2}}.
	"query": func(kv ...any) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v := fmt.Sprint(kv[i+1])
			if v != "" && v != "0" {
				q.Set(fmt.Sprint(kv[i]), v)
			}
		}
		return q.Encode()
	},
	// dict builds a map for a partial: {{template "x" (dict "Lang" $.Lang "Item" .)}}.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
	// contains reports whether list holds s (checkbox state).
	"contains": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	},
}

// libraryZone is where dates are shown; the server sets it from its config (Asia/Tokyo by default).
var libraryZone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return loc
	}
	return time.FixedZone("JST", 9*3600)
}()

// --- i18n ---

var (
	textsMu sync.RWMutex
	// texts holds the pages' wording: key → {Japanese, English}. The Japanese follows the library's guide.
	texts = map[string][2]string{}
)

// addTexts adds page wording (call it from an init function); a key defined twice panics.
func addTexts(m map[string][2]string) {
	textsMu.Lock()
	defer textsMu.Unlock()
	for k, v := range m {
		if _, dup := texts[k]; dup {
			panic("api: text key defined twice: " + k)
		}
		texts[k] = v
	}
}

// translate is the template function t: the text of key in lang, formatted with args (fmt.Sprintf) when
// given. An unknown key is an error, so a typo fails the page (and its test) instead of showing the key.
func translate(lang, key string, args ...any) (string, error) {
	textsMu.RLock()
	v, ok := texts[key]
	textsMu.RUnlock()
	if !ok {
		return "", fmt.Errorf("web: no text %q", key)
	}
	s := v[0]
	if lang == "en" {
		s = v[1]
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s, nil
}

// tr is translate for Go code: the text of key in the request's language.
func tr(c *gin.Context, key string, args ...any) string {
	s, err := translate(lang(c), key, args...)
	if err != nil {
		panic(err) // a wiring mistake: the recovery middleware turns it into a logged 500
	}
	return s
}

func init() {
	addTexts(map[string][2]string{
		"site":           {"市立図書館 Web-OPAC", "City Library Web-OPAC"},
		"skip":           {"本文へ移動", "Skip to content"},
		"login":          {"ログイン", "Log in"},
		"logout":         {"ログアウト", "Log out"},
		"nav":            {"メニュー", "Menu"},
		"nav.search":     {"資料検索", "Search"},
		"nav.advanced":   {"詳細蔵書検索", "Advanced search"},
		"nav.basket":     {"予約かご", "Basket"},
		"nav.holds":      {"予約状況", "My holds"},
		"nav.contact":    {"利用者情報変更", "My details"},
		"lang.switch":    {"English", "日本語"},
		"lang.name":      {"English", "Japanese"},
		"user.hello":     {"%s さん", "%s"},
		"footer":         {"市立図書館ネットワーク", "City library network"},
		"error.title":    {"エラー", "Error"},
		"error.top":      {"トップページへ戻る", "Back to the top page"},
		"error.back":     {"前の画面に戻って、もう一度操作してください。", "Go back to the previous page and try again."},
		"error.status":   {"エラー %d", "Error %d"},
		"error.notfound": {"お探しのページは見つかりません。", "The page you are looking for was not found."},
	})
}

// --- static files ---

type staticFile struct {
	body  []byte
	etag  string
	ctype string
}

var staticIndex = sync.OnceValue(func() map[string]staticFile {
	out := map[string]staticFile{}
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "static/")] = staticFile{body: b, etag: hex.EncodeToString(sum[:8]), ctype: ctype}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
})

// staticURL is the address of a static file with its content hash, so that it can be cached long.
func staticURL(name string) string {
	if f, ok := staticIndex()[name]; ok {
		return "/static/" + name + "?v=" + f.etag
	}
	return "/static/" + name
}

// serveStatic serves api/static/ at /static/: long caching for versioned addresses (?v=hash, as staticURL
// makes them), short otherwise, with an ETag either way.
func serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	f, ok := staticIndex()[name]
	if !ok {
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("404 not found\n"))
		return
	}
	if c.Query("v") == f.etag {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "public, max-age=300")
	}
	etag := `"` + f.etag + `"`
	c.Header("ETag", etag)
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, f.ctype, f.body)
}
