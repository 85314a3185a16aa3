package api

// The patron pages' cookie session (kit_session.go) and CSRF tokens (kit_csrf.go).

import (
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

// patronSession is the patron pages' session: the cookie yoyaku_session for the whole site, holding a patron
// token; its layout's logout form carries the CSRF token.
var patronSession = cookieSession{
	cookie: sessionCookie, path: "/", kind: auth.KindPatron, ttl: auth.PatronTokenTTL,
	ctxID: ctxPatronID, ctxToken: ctxWebToken, loginPath: loginPath, next: safeNext,
	csrfPurpose: "", layoutCSRF: true,
}

// csrfProtect guards the patron pages with their CSRF tokens (cookieSession.protect).
func (s *Server) csrfProtect() gin.HandlerFunc { return patronSession.protect(s.kit()) }

// sessionCSRF is the CSRF token of a patron session token; anonCSRF that of a pre-login nonce.
func (s *Server) sessionCSRF(token string) string {
	return patronSession.sessionCSRF(s.kit().sessionKey(), token)
}

func (s *Server) anonCSRF(nonce string) string {
	return patronSession.anonCSRF(s.kit().sessionKey(), nonce)
}

// webLogin starts a cookie session for patron id, after the login form's password has been checked. On
// error nothing has been set; answer s.internal.
func (s *Server) webLogin(c *gin.Context, id int64) error { return patronSession.start(s.kit(), c, id) }

// webLogout ends the browser's cookie session, if any.
func (s *Server) webLogout(c *gin.Context) error { return patronSession.end(s.kit(), c) }

// webPatron lets through only page requests with a live patron session, and then patronID(c) works as
// behind requirePatron; others are redirected (303) to /login?next=<this page>.
func (s *Server) webPatron() gin.HandlerFunc { return patronSession.require(s.kit()) }

// optionalWebPatron reads the cookie session when there is one (webPatronID(c) then answers the patron)
// and lets every request through.
func (s *Server) optionalWebPatron() gin.HandlerFunc { return patronSession.optional(s.kit()) }

// webSession reads the patron session, if any (cookieSession.read).
func (s *Server) webSession(c *gin.Context) (bool, error) { return patronSession.read(s.kit(), c) }

// webPatronID is the cookie session's patron behind optionalWebPatron (or webPatron), and whether there is one.
func webPatronID(c *gin.Context) (int64, bool) {
	id, ok := c.Get(ctxPatronID)
	n, isInt := id.(int64)
	return n, ok && isInt
}
