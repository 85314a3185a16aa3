package api

// Cookie sessions and CSRF protection for the staff console (/staff/, web_staff.go).
//
// The console is separate from the patron pages in everything that authenticates:
//   - its session cookie is yoyaku_staff_session (HttpOnly, SameSite=Lax, Path=/staff), holding an ordinary
//     staff token (auth.Issue, KindStaff): the same table, lifetime and revocation as a staff bearer token;
//   - webStaff looks that cookie up as a staff token only: a patron token (in either cookie) never opens a
//     staff page, and the patron cookie yoyaku_session is never read here;
//   - staffCSRFProtect guards every unsafe request under /staff/ with a token bound to the staff session (an
//     HMAC under the session key, with its own purpose), or before login to the signed nonce cookie
//     yoyaku_csrf (a signed double-submit cookie, as for the patron login form, with a staff purpose).
//
// The JSON API never reads either cookie (requireToken accepts only Authorization: Bearer).
//
// The desk's branch (where the staff member is working) is remembered in the cookie yoyaku_staff_branch; it
// is not a secret, and is checked against the branches on every request (deskBranch).

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/auth"
)

const (
	// staffSessionCookie holds a staff token for the staff console.
	staffSessionCookie = "yoyaku_staff_session"
	// staffBranchCookie remembers the desk's branch code.
	staffBranchCookie = "yoyaku_staff_branch"
	// staffCookiePath scopes the staff cookies to the console.
	staffCookiePath = "/staff"
	// staffHome and staffLoginPath are the console's home and login page.
	staffHome      = "/staff/"
	staffLoginPath = "/staff/login"
	// ctxStaffWebToken is the staff session token as settled by webStaff, webStaffLogin or webStaffLogout
	// ("" when there is none); staffCSRFToken derives its token from it.
	ctxStaffWebToken = "yoyaku.staff_web_token"
)

// setStaffCookie sets an HttpOnly, SameSite=Lax cookie for the console only; maxAge < 0 deletes it.
func (s *Server) setStaffCookie(c *gin.Context, name, value string, maxAge int) {
	s.setCookieAt(c, staffCookiePath, name, value, maxAge)
}

// webStaffLogin starts a console session for staff user id after the login form's password was checked
// (staffID(c) and staffCSRFToken(c) then see it).
func (s *Server) webStaffLogin(c *gin.Context, id int64) error {
	return staffCookieSession.start(s, c, id)
}

// webStaffLogout ends the console session, if any.
func (s *Server) webStaffLogout(c *gin.Context) error { return staffCookieSession.end(s, c) }

// webStaff lets through only console requests with a live staff session (staffID(c) then works as behind
// requireStaff); others are redirected (303) to /staff/login?next=<this page>.
func (s *Server) webStaff() gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, err := s.staffWebSession(c)
		if err != nil {
			s.internal(c, err)
			return
		}
		if ok {
			c.Next()
			return
		}
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusSeeOther, staffLoginPath+"?next="+url.QueryEscape(staffNext(nextAfterLogin(c))))
		c.Abort()
	}
}

// staffWebSession checks the staff session cookie and, for a live staff token, sets the staff user for
// staffID(c). A stale cookie (expired, revoked, a patron's token, malformed) is deleted.
func (s *Server) staffWebSession(c *gin.Context) (bool, error) {
	token, err := c.Cookie(staffSessionCookie)
	if err != nil || token == "" {
		return false, nil
	}
	id, err := auth.Lookup(c.Request.Context(), s.DB, auth.KindStaff, token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		s.setStaffCookie(c, staffSessionCookie, "", -1)
		c.Set(ctxStaffWebToken, "")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Header("Cache-Control", "no-store")
	c.Set(ctxStaffID, id)
	c.Set(ctxStaffWebToken, token)
	return true, nil
}

// staffNext is next when it is a console page other than the login page, else the console's home: the
// login form never sends staff elsewhere (no open redirect, no patron page).
func staffNext(next string) string {
	n := safeNext(next)
	u, err := url.Parse(n)
	if err != nil || !strings.HasPrefix(u.Path, staffHome) || u.Path == staffLoginPath {
		return staffHome
	}
	return n
}

// --- CSRF ---

func (s *Server) staffSessionCSRF(token string) string {
	h := sha256.Sum256([]byte(token))
	return s.csrfMAC("staff session", h[:])
}

func (s *Server) staffAnonCSRF(nonce string) string {
	return s.csrfMAC("staff anonymous", []byte(nonce))
}

// staffCSRFProtect guards the console like csrfProtect guards the patron pages: unsafe methods need the
// form field _csrf (or the X-CSRF-Token header) matching the staff session's token, or before login the
// nonce cookie's; otherwise 403 csrf_failed. Safe methods pass.
func (s *Server) staffCSRFProtect() gin.HandlerFunc {
	s.sessionKey()
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			c.Next()
			return
		}
		want := ""
		if token, err := c.Cookie(staffSessionCookie); err == nil && token != "" {
			want = s.staffSessionCSRF(token)
		} else if nonce, err := c.Cookie(csrfCookie); err == nil && len(nonce) == nonceLen {
			want = s.staffAnonCSRF(nonce)
		}
		if checkCSRF(c, want) {
			c.Next()
		}
	}
}

// staffCSRFToken is the CSRF token for the console's forms: the staff session's, or before login the
// nonce cookie's (set now when the browser has none). Call it before rendering.
func (s *Server) staffCSRFToken(c *gin.Context) string {
	token := ""
	if v, ok := c.Get(ctxStaffWebToken); ok {
		token, _ = v.(string)
	} else {
		token, _ = c.Cookie(staffSessionCookie)
	}
	if token != "" {
		return s.staffSessionCSRF(token)
	}
	if n, ok := c.Get(ctxCSRFNonce); ok {
		return s.staffAnonCSRF(n.(string))
	}
	if nonce, err := c.Cookie(csrfCookie); err == nil && len(nonce) == nonceLen {
		return s.staffAnonCSRF(nonce)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	nonce := base64.RawURLEncoding.EncodeToString(raw)
	s.setCookie(c, csrfCookie, nonce, 0)
	c.Set(ctxCSRFNonce, nonce)
	return s.staffAnonCSRF(nonce)
}
