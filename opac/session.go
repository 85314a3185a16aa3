package opac

// The patron pages' cookie session (httpkit/session.go) and CSRF tokens (httpkit/csrf.go).

import (
	"yoyaku/httpkit"

	"github.com/gin-gonic/gin"
)

// csrfProtect guards the patron pages with their CSRF tokens (cookieSession.protect).
func (s *Pages) csrfProtect() gin.HandlerFunc { return httpkit.PatronSession.Protect(s.Kit) }

// webPatron lets through only page requests with a live patron session, and then patronID(c) works as
// behind requirePatron; others are redirected (303) to /login?next=<this page>.
func (s *Pages) webPatron() gin.HandlerFunc { return httpkit.PatronSession.Require(s.Kit) }

// optionalWebPatron reads the cookie session when there is one (webPatronID(c) then answers the patron)
// and lets every request through.
func (s *Pages) optionalWebPatron() gin.HandlerFunc { return httpkit.PatronSession.Optional(s.Kit) }

// webLogout ends the browser's cookie session, if any.
func (s *Pages) webLogout(c *gin.Context) error { return httpkit.PatronSession.End(s.Kit, c) }
