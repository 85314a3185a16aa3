package api

// Cookie sessions for the patron web pages (html/template, served under /).
//
// The pages authenticate with an HttpOnly, SameSite=Lax cookie holding an ordinary patron token (auth.Issue,
// KindPatron): the same table, lifetime, expiry and revocation as a bearer token. The JSON API under /api/v1
// never reads that cookie — requireToken only accepts "Authorization: Bearer" — so a browser's ambient
// cookie can never act on the JSON API, which is therefore immune to cross-site request forgery by design
// (a cross-site page cannot set an Authorization header without a CORS preflight, and yoyaku answers no
// CORS). The pages themselves are protected by csrfProtect (csrf.go).
//
// How the web pages use this:
//
//	pages := r.Group("/", s.csrfProtect())                 // every page: unsafe methods need the CSRF token
//	pages.GET("/", s.optionalWebPatron(), s.top)            // shows ログイン or ログアウト: webPatronID(c)
//	pages.GET("/login", s.loginPage)                        // form with csrfToken(c) in a hidden _csrf field
//	pages.POST("/login", s.loginSubmit)                     // checks the password, then s.webLogin(c, id), then
//	                                                        // redirects (303) to safeNext(c.Query("next"))
//	my := pages.Group("/", s.webPatron())                   // pages that need a logged-in patron:
//	my.GET("/holds", s.holdsPage)                           // patronID(c) works as behind requirePatron
//	my.POST("/logout", s.logoutSubmit)                      // s.webLogout(c), then redirect to /
//
// Call csrfToken(c) in the handler before c.HTML (it may set a cookie) and pass it to the template.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/auth"
)

const (
	// sessionCookie holds a patron token for the web pages.
	sessionCookie = "yoyaku_session"
	// loginPath is where webPatron sends a visitor without a session.
	loginPath = "/login"
	// ctxWebToken is the request's cookie session token as checked by webPatron, optionalWebPatron or
	// webLogin ("" after webLogout or when the cookie was stale); csrfToken derives its token from it.
	ctxWebToken = "yoyaku.web_token"
)

// secureCookies reports whether cookies must be marked Secure: the request came over TLS, or the public
// address is https (TLS ends at a proxy in front of yoyaku).
func (s *Server) secureCookies(c *gin.Context) bool {
	return c.Request.TLS != nil || httpsURL(s.Cfg.PublicURL)
}

func httpsURL(u string) bool { return len(u) >= 8 && strings.EqualFold(u[:8], "https://") }

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site; maxAge < 0 deletes it, 0 makes it
// last until the browser closes.
func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	s.setCookieAt(c, "/", name, value, maxAge)
}

func (s *Server) setCookieAt(c *gin.Context, path, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureCookies(c), SameSite: http.SameSiteLaxMode,
	})
}

// cookieSession describes one kind of browser session: the patron pages' and the staff console's differ
// only in cookie, path, token kind and where the request's context keeps them.
type cookieSession struct {
	cookie, path    string
	kind            auth.Kind
	ttl             time.Duration
	ctxID, ctxToken string
}

var (
	patronCookieSession = cookieSession{sessionCookie, "/", auth.KindPatron, auth.PatronTokenTTL, ctxPatronID, ctxWebToken}
	staffCookieSession  = cookieSession{staffSessionCookie, staffCookiePath, auth.KindStaff, auth.StaffTokenTTL, ctxStaffID, ctxStaffWebToken}
)

// start begins a session for id after the login form's password has been checked. A session the browser
// already had is revoked first (no session fixation); the rest of the request sees the new one. On error
// nothing has been set.
func (k cookieSession) start(s *Server, c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if old, err := c.Cookie(k.cookie); err == nil && old != "" {
		if err := auth.Revoke(ctx, s.DB, old); err != nil {
			return err
		}
	}
	token, err := auth.Issue(ctx, s.DB, k.kind, id, k.ttl)
	if err != nil {
		return err
	}
	s.setCookieAt(c, k.path, k.cookie, token, int(k.ttl.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Set(k.ctxID, id)
	c.Set(k.ctxToken, token)
	return nil
}

// end revokes the session's token, if any, and deletes the cookie. On error the session is unchanged.
func (k cookieSession) end(s *Server, c *gin.Context) error {
	if token, err := c.Cookie(k.cookie); err == nil && token != "" {
		if err := auth.Revoke(c.Request.Context(), s.DB, token); err != nil {
			return err
		}
	}
	s.setCookieAt(c, k.path, k.cookie, "", -1)
	c.Header("Cache-Control", "no-store")
	c.Set(k.ctxToken, "")
	c.Delete(k.ctxID)
	return nil
}

// webLogin starts a cookie session for patron id, after the login form's password has been checked
// (with tryLogin, like the JSON login). csrfToken(c) is already the new session's, for a page rendered
// right away. On error nothing has been set; answer s.internal.
func (s *Server) webLogin(c *gin.Context, id int64) error { return patronCookieSession.start(s, c, id) }

// webLogout ends the browser's cookie session, if any. Mount it on an unsafe method (POST /logout) so
// csrfProtect guards it.
func (s *Server) webLogout(c *gin.Context) error { return patronCookieSession.end(s, c) }

// webPatron lets through only page requests with a live cookie session, and then patronID(c) works as
// behind requirePatron. Others are redirected (303) to /login?next=<this page>. Never mount it on /api/v1:
// there it refuses every request with 401, since only bearer tokens authenticate the JSON API.
func (s *Server) webPatron() gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, err := s.webSession(c)
		if err != nil {
			s.internal(c, err)
			return
		}
		if ok {
			c.Next()
			return
		}
		if isAPIPath(c) {
			unauthenticated(c)
			return
		}
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusSeeOther, loginPath+"?next="+url.QueryEscape(nextAfterLogin(c)))
		c.Abort()
	}
}

// optionalWebPatron reads the cookie session when there is one (webPatronID(c) then answers the patron)
// and lets every request through: for pages such as the top page that show ログイン or ログアウト.
func (s *Server) optionalWebPatron() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := s.webSession(c); err != nil {
			s.internal(c, err)
			return
		}
		c.Next()
	}
}

// webPatronID is the cookie session's patron behind optionalWebPatron (or webPatron), and whether there is one.
func webPatronID(c *gin.Context) (int64, bool) {
	id, ok := c.Get(ctxPatronID)
	n, isInt := id.(int64)
	return n, ok && isInt
}

// webSession checks the session cookie and, for a live patron token, sets the patron for patronID(c). A
// stale cookie (expired, revoked, malformed) is deleted. /api/ paths never get a cookie session.
func (s *Server) webSession(c *gin.Context) (bool, error) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		return false, nil
	}
	if isAPIPath(c) {
		return false, nil
	}
	id, err := auth.Lookup(c.Request.Context(), s.DB, auth.KindPatron, token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		s.setCookie(c, sessionCookie, "", -1)
		c.Set(ctxWebToken, "")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Header("Cache-Control", "no-store")
	c.Set(ctxPatronID, id)
	c.Set(ctxWebToken, token)
	return true, nil
}

// isAPIPath reports whether the request is for the JSON API (or the OpenAPI document), where only
// Authorization: Bearer authenticates.
func isAPIPath(c *gin.Context) bool {
	p := c.Request.URL.Path
	return p == "/api" || strings.HasPrefix(p, "/api/")
}

// nextAfterLogin is where the login page should return to: this page for GET and HEAD; for a form that
// was posted without a session, the page it was posted from when that is on this site; else the top page.
func nextAfterLogin(c *gin.Context) string {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		return safeNext(c.Request.URL.RequestURI())
	}
	if ref, err := url.Parse(c.GetHeader("Referer")); err == nil && ref.Host == c.Request.Host {
		return safeNext(ref.RequestURI())
	}
	return "/"
}

// safeNext is next if it is a path on this site (as the ?next= of /login should be), else "/": never
// another site's address, so the login page cannot be used as an open redirect. The login page redirects
// to safeNext(c.Query("next")).
func safeNext(next string) string {
	// Browsers read a backslash as "/": "/\evil.example" would be another site.
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	u, err := url.Parse(next) // refuses control characters
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == loginPath {
		return "/"
	}
	return next
}
