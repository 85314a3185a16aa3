package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"yoyaku/config"
)

// webKit is what the shared HTTP kit (the kit_*.go files) needs from the server: the database, the
// configuration and the logger, passed explicitly rather than through *Server so that the kit can become a
// package of its own.
type webKit struct {
	db  *sqlx.DB
	cfg *config.Config
	log *slog.Logger
}

// kit is the server's dependencies for the kit.
func (s *Server) kit() webKit { return webKit{db: s.DB, cfg: &s.Cfg, log: s.Log} }

// serverError logs err and answers without leaking it: 503 unavailable (with Retry-After) when a dependency
// is down or restarting, 500 otherwise.
func (w webKit) serverError(c *gin.Context, err error) {
	w.log.ErrorContext(c.Request.Context(), "request failed", "path", c.FullPath(), "err", err)
	if dependencyDown(err) {
		c.Header("Retry-After", unavailableRetryAfter)
		failCode(c, CodeUnavailable)
		return
	}
	failCode(c, CodeInternal)
}

// secureCookies reports whether cookies must be marked Secure: the request came over TLS, or the public
// address is https (TLS ends at a proxy in front of yoyaku).
func (w webKit) secureCookies(c *gin.Context) bool {
	return c.Request.TLS != nil || httpsURL(w.cfg.PublicURL)
}

func httpsURL(u string) bool { return len(u) >= 8 && strings.EqualFold(u[:8], "https://") }

// setCookie sets an HttpOnly, SameSite=Lax cookie under path; maxAge < 0 deletes it, 0 makes it last until
// the browser closes.
func (w webKit) setCookie(c *gin.Context, path, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: w.secureCookies(c), SameSite: http.SameSiteLaxMode,
	})
}
