// Package httpkit is what yoyaku's three HTTP surfaces share (the JSON API in api, the patron pages in opac,
// the staff console in console): the code table that gives every error code its status and messages, JSON
// binding, middleware, one cookie-session and CSRF-token mechanism for patrons and staff, page rendering with
// each surface's templates and wording, the language, the static files, the hold as clients see it, and the
// translation of the library's errors to HTTP (OpErr).
package httpkit

import (
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/config"
	"yoyaku/library"
)

// Kit is what every HTTP surface shares: the connections, the configuration, the logger, the library's
// operations, the wording and the page templates. The JSON API, the patron pages and the staff console each
// embed it.
type Kit struct {
	DB  *sqlx.DB
	Cfg *config.Config
	Log *slog.Logger
	Lib *library.Service

	texts     TextTable
	templates []fs.FS
	pagesOnce sync.Once
	pages     map[string]*template.Template
	pagesErr  error
}

// NewKit builds the kit. texts are the surfaces' wording, joined with the layout's; templates are the
// surfaces' template folders (each with a templates/ directory), parsed with the kit's own at the first page.
func NewKit(db *sqlx.DB, tc client.Client, cfg *config.Config, log *slog.Logger, texts []TextTable, templates []fs.FS) *Kit {
	return &Kit{DB: db, Cfg: cfg, Log: log,
		Lib:   &library.Service{DB: db, Temporal: tc, Cfg: *cfg, Log: log},
		texts: joinTexts(append([]TextTable{layoutTexts}, texts...)...), templates: templates}
}

// Internal logs err and answers without leaking it: 503 unavailable (with Retry-After) when a dependency
// is down or restarting, 500 otherwise.
func (w *Kit) Internal(c *gin.Context, err error) {
	w.Log.ErrorContext(c.Request.Context(), "request failed", "path", c.FullPath(), "err", err)
	if dependencyDown(err) {
		c.Header("Retry-After", unavailableRetryAfter)
		FailCode(c, CodeUnavailable)
		return
	}
	FailCode(c, CodeInternal)
}

// secureCookies reports whether cookies must be marked Secure: the request came over TLS, or the public
// address is https (TLS ends at a proxy in front of yoyaku).
func (w *Kit) secureCookies(c *gin.Context) bool {
	return c.Request.TLS != nil || httpsURL(w.Cfg.PublicURL)
}

func httpsURL(u string) bool { return len(u) >= 8 && strings.EqualFold(u[:8], "https://") }

// SetCookie sets an HttpOnly, SameSite=Lax cookie under path; maxAge < 0 deletes it, 0 makes it last until
// the browser closes.
func (w *Kit) SetCookie(c *gin.Context, path, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: w.secureCookies(c), SameSite: http.SameSiteLaxMode,
	})
}
