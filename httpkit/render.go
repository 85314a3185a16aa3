package httpkit

// Rendering the web pages, shared by the patron pages (package opac) and the staff console (package console):
// embedded templates, the render helper s.page, and HTML error pages.
//
// Templates (templates/*.html of the kit and of each surface) are embedded and parsed once, at the first render:
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
//	.Lang      "ja" or "en": {{t .Lang "key"}} translates (the texts, lang.go)
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
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/store"
)

//go:embed templates/*.html
var TemplateFiles embed.FS

// ctxWebPage marks a page request (HTML errors) and holds its *Kit.
const ctxWebPage = "yoyaku.web_page"

// WebPage marks the request as a web page request: its language is settled and errors are HTML pages.
func (s *Kit) WebPage() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.settlePage(c)
		c.Next()
	}
}

// settlePage marks the request as a page request and settles its language (remembered in a cookie when
// chosen with ?lang=).
func (s *Kit) settlePage(c *gin.Context) {
	c.Set(ctxWebPage, s)
	lang := pageLang(c)
	c.Set(ctxLang, lang)
	if q := c.Query("lang"); q != "" {
		s.SetCookie(c, "/", langCookie, lang, 365*24*3600)
	}
	c.Header("Vary", "Accept-Language, Cookie")
}

// Page renders the page template name with the common data (see the top of this file) and data. The page
// is rendered into a buffer first: a template error is a logged 500 (an HTML error page), never half a page.
func (s *Kit) Page(c *gin.Context, status int, name string, data gin.H) {
	t, ok := s.pageTemplates()[name]
	if !ok {
		s.Internal(c, fmt.Errorf("web: no page template %q", name))
		return
	}
	if data == nil {
		data = gin.H{}
	}
	if err := s.commonData(c, data); err != nil {
		s.Internal(c, err)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.Internal(c, fmt.Errorf("web: render %s: %w", name, err))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// commonData adds the data every page has; keys the handler set are kept.
func (s *Kit) commonData(c *gin.Context, data gin.H) error {
	l := Lang(c)
	set := func(k string, v any) {
		if _, ok := data[k]; !ok {
			data[k] = v
		}
	}
	set("Lang", l)
	set("Path", c.Request.URL.Path)
	set("LangURL", otherLangURL(c, l))
	set("CSRF", layoutCSRF(c))
	id, ok := WebPatronID(c)
	set("LoggedIn", ok)
	if ok {
		if _, has := data["PatronName"]; !has {
			name, err := store.PatronName(c.Request.Context(), s.DB, id)
			if err != nil {
				return fmt.Errorf("web: %w", err)
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
func (s *Kit) errorPage(c *gin.Context, status int, code Code) {
	t, ok := s.pageTemplates()["error"]
	data := gin.H{"Status": status, "Code": string(code), "Message": Message(c, code)}
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
		buf.WriteString("<!doctype html><title>" + template.HTMLEscapeString(Message(c, code)) + "</title><p>" +
			template.HTMLEscapeString(Message(c, code)))
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// NoRoute answers unknown paths: an HTML 404 page outside /api/, the JSON envelope inside.
func (s *Kit) NoRoute(status int, code Code) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !isAPIPath(c) {
			s.settlePage(c)
			if _, err := PatronSession.Read(s, c); err != nil { // the header shows who is logged in
				s.Log.ErrorContext(c.Request.Context(), "no route: session", "err", err)
			}
		}
		Fail(c, status, code)
	}
}

// --- templates ---

// pageTemplates parses the kit's templates and the surfaces' once, at the first page.
func (s *Kit) pageTemplates() map[string]*template.Template {
	s.pagesOnce.Do(func() {
		s.pages, s.pagesErr = ParseTemplates(s.Funcs(), append([]fs.FS{TemplateFiles}, s.templates...)...)
	})
	if s.pagesErr != nil {
		panic(s.pagesErr) // embedded files: a broken template fails every test
	}
	return s.pages
}

// isSharedTemplate reports whether a template file is parsed into every page.
func isSharedTemplate(name string) bool {
	return name == "layout.html" || strings.HasPrefix(name, "_") || strings.HasSuffix(name, "_layout.html")
}

// ParseTemplates parses the templates/ folders of fsyss: the shared files of all of them into every page.
func ParseTemplates(funcs template.FuncMap, fsyss ...fs.FS) (map[string]*template.Template, error) {
	base := template.New("").Funcs(funcs)
	type pageFile struct {
		fsys fs.FS
		name string
	}
	var pageFiles []pageFile
	for _, fsys := range fsyss {
		entries, err := fs.ReadDir(fsys, "templates")
		if err != nil {
			return nil, err
		}
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
				pageFiles = append(pageFiles, pageFile{fsys, name})
			}
		}
	}
	pages := map[string]*template.Template{}
	for _, pf := range pageFiles {
		name := pf.name
		if _, dup := pages[strings.TrimSuffix(name, ".html")]; dup {
			return nil, fmt.Errorf("web: template %s defined twice", name)
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(pf.fsys, "templates/"+name); err != nil {
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

// Funcs are the functions templates may call: templateFuncs and t, the kit's wording.
func (s *Kit) Funcs() template.FuncMap {
	f := template.FuncMap{"t": s.translate}
	for k, v := range templateFuncs {
		f[k] = v
	}
	// date formats a time or date as YYYY-MM-DD in the library's zone ("" for nil or zero). The zone is read
	// at each call: the kit of a template test has no configuration.
	f["date"] = func(v any) string { return formatDate(v, s.Location()) }
	return f
}

// Location is the library's time zone (YOYAKU_TIMEZONE), in which pages show dates; UTC without a configuration.
func (s *Kit) Location() *time.Location {
	if s == nil || s.Cfg == nil || s.Cfg.Location == nil {
		return time.UTC
	}
	return s.Cfg.Location
}

// formatDate is v (a time.Time, *time.Time, or a date already as a string) as YYYY-MM-DD in loc; "" for nil
// or zero.
func formatDate(v any, loc *time.Location) string {
	switch d := v.(type) {
	case time.Time:
		if d.IsZero() {
			return ""
		}
		return d.In(loc).Format(time.DateOnly)
	case *time.Time:
		if d == nil || d.IsZero() {
			return ""
		}
		return d.In(loc).Format(time.DateOnly)
	case *string:
		if d == nil {
			return ""
		}
		return *d
	case string:
		return d
	}
	return ""
}

// templateFuncs are the functions templates may call besides t.
var templateFuncs = template.FuncMap{
	"static": staticURL,
	// msg is an error code's message: {{msg $.Lang "pickup_not_allowed"}}.
	"msg": func(lang, code string) string { return messageIn(lang, Code(code)) },
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
