package console

// The staff console's cookie session (httpkit/session.go) and CSRF tokens (httpkit/csrf.go), under /staff/.
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
// is not a secret, and is checked against the branches on every request (desk, console.go).

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/auth"
	"yoyaku/httpkit"
)

const (
	// StaffSessionCookie holds a staff token for the staff console.
	StaffSessionCookie = "yoyaku_staff_session"
	// StaffBranchCookie remembers the desk's branch code.
	StaffBranchCookie = "yoyaku_staff_branch"
	// staffCookiePath scopes the staff cookies to the console.
	staffCookiePath = "/staff"
	// StaffHome and staffLoginPath are the console's home and login page.
	StaffHome      = "/staff/"
	StaffLoginPath = "/staff/login"
	// ctxStaffWebToken is the staff session token as settled by webStaff or the console's login and logout
	// ("" when there is none); csrfToken derives the console's token from it.
	ctxStaffWebToken = "yoyaku.staff_web_token"
)

// staffSession is the console's session: the cookie yoyaku_staff_session under /staff, holding a staff
// token, with CSRF tokens of purposes of their own; each console page sets its .CSRF (staffPage).
var staffSession = httpkit.CookieSession{
	Cookie: StaffSessionCookie, Path: staffCookiePath, Kind: auth.KindStaff, Ttl: auth.StaffTokenTTL,
	CtxID: httpkit.CtxStaffID, CtxToken: ctxStaffWebToken, LoginPath: StaffLoginPath, Next: StaffNext,
	CSRFPurpose: "staff ", LayoutCSRF: false,
}

// setStaffCookie sets an HttpOnly, SameSite=Lax cookie for the console only; maxAge < 0 deletes it.
func (s *Console) setStaffCookie(c *gin.Context, name, value string, maxAge int) {
	s.Kit.SetCookie(c, staffCookiePath, name, value, maxAge)
}

// staffCSRFProtect guards the console like csrfProtect guards the patron pages, with the staff session's
// tokens.
func (s *Console) staffCSRFProtect() gin.HandlerFunc { return staffSession.Protect(s.Kit) }

// webStaff lets through only console requests with a live staff session (staffID(c) then works as behind
// requireStaff); others are redirected (303) to /staff/login?next=<this page>.
func (s *Console) webStaff() gin.HandlerFunc { return staffSession.Require(s.Kit) }

// StaffNext is next when it is a console page other than the login page, else the console's home: the
// login form never sends staff elsewhere (no open redirect, no patron page).
func StaffNext(next string) string {
	n := httpkit.SafeNext(next)
	u, err := url.Parse(n)
	if err != nil || !strings.HasPrefix(u.Path, StaffHome) || u.Path == StaffLoginPath {
		return StaffHome
	}
	return n
}
