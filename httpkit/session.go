package httpkit

// Cookie sessions of the web pages: one mechanism for the patron pages (patronSession,
// opac) and the staff console (staffSession, package console), which differ only in the
// parameters of their cookieSession.
//
// A page session is an HttpOnly, SameSite=Lax cookie holding an ordinary token of its kind (auth.Issue): the
// same table, lifetime, expiry and revocation as a bearer token. The JSON API under /api/v1 never reads
// these cookies — requireToken only accepts "Authorization: Bearer" — so a browser's ambient cookie can never
// act on the JSON API, which is therefore immune to cross-site request forgery by design (a cross-site page
// cannot set an Authorization header without a CORS preflight, and yoyaku answers no CORS). The pages
// themselves are protected by the session's CSRF tokens (csrf.go).
//
// How pages use a session k (the patron pages through the wrappers webPatron, optionalWebPatron, webLogin,
// webLogout):
//
//	pages := r.Group("/", s.webPage(), k.protect(w))      // every page: unsafe methods need the CSRF token
//	pages.GET("/", k.optional(w), s.top)                  // reads the session when there is one
//	pages.GET("/login", s.loginPage)                      // form with csrfToken(c) in a hidden _csrf field
//	pages.POST("/login", s.loginSubmit)                   // finds the account, then k.login(w, c, ...):
//	                                                      // the throttled password check, the session, a 303
//	                                                      // to k.next(the form's next)
//	my := pages.Group("/", k.require(w))                  // pages that need a logged-in user
//	my.POST("/logout", s.logoutSubmit)                    // k.end(w, c), then redirect
//
// Call csrfToken(c) in the handler before rendering (it may set a cookie) and pass it to the template.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/auth"
)

// Context keys of the logged-in user, set by the JSON API's bearer tokens (requirePatron, requireStaff) and
// by the pages' cookie sessions alike.
const (
	CtxPatronID = "yoyaku.patron_id"
	CtxStaffID  = "yoyaku.staff_id"
)

// PatronID is the logged-in patron's ID; only for handlers behind requirePatron (patronGroup).
func PatronID(c *gin.Context) int64 { return mustID(c, CtxPatronID) }

// StaffID is the logged-in staff user's ID; only for handlers behind requireStaff (staffGroup).
func StaffID(c *gin.Context) int64 { return mustID(c, CtxStaffID) }

func mustID(c *gin.Context, key string) int64 {
	v, ok := c.Get(key)
	id, isInt := v.(int64)
	if !ok || !isInt {
		// A wiring mistake, never a client's: the recovery middleware turns it into a logged 500.
		panic("api: " + key + " read on a route without its auth middleware: " + c.FullPath())
	}
	return id
}

// Unauthenticated answers 401 unauthenticated, with the bearer challenge.
func Unauthenticated(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="yoyaku"`)
	FailCode(c, CodeUnauthenticated)
}

// CookieSession describes one kind of browser session.
type CookieSession struct {
	Cookie, Path    string        // the session cookie and its Path
	Kind            auth.Kind     // the kind of token it holds
	Ttl             time.Duration // the token's and the cookie's lifetime
	CtxID, CtxToken string        // where the request's context keeps the user's ID and the session token
	LoginPath       string        // where require sends a visitor without a session (303, with ?next=)
	// Next is where a login may return to, from a ?next= or the form's next: never another site's address.
	Next func(string) string
	// csrfPurpose prefixes the purposes of the session's CSRF tokens, so that one kind's tokens are never
	// another's.
	CSRFPurpose string
	// LayoutCSRF: s.page's common data carries the session's CSRF token (the patron layout's logout form);
	// otherwise the handler sets .CSRF itself.
	LayoutCSRF bool
}

// Start begins a session for id after the login form's password has been checked. A session the browser
// already had is revoked first (no session fixation); the rest of the request sees the new one. On error
// nothing has been set.
func (k CookieSession) Start(w *Kit, c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if old, err := c.Cookie(k.Cookie); err == nil && old != "" {
		if err := auth.Revoke(ctx, w.DB, old); err != nil {
			return err
		}
	}
	token, err := auth.Issue(ctx, w.DB, k.Kind, id, k.Ttl)
	if err != nil {
		return err
	}
	w.SetCookie(c, k.Path, k.Cookie, token, int(k.Ttl.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Set(k.CtxID, id)
	c.Set(k.CtxToken, token)
	return nil
}

// End revokes the session's token, if any, and deletes the cookie. On error the session is unchanged. Mount
// it on an unsafe method (POST .../logout) so the CSRF check guards it.
func (k CookieSession) End(w *Kit, c *gin.Context) error {
	if token, err := c.Cookie(k.Cookie); err == nil && token != "" {
		if err := auth.Revoke(c.Request.Context(), w.DB, token); err != nil {
			return err
		}
	}
	w.SetCookie(c, k.Path, k.Cookie, "", -1)
	c.Header("Cache-Control", "no-store")
	c.Set(k.CtxToken, "")
	c.Delete(k.CtxID)
	return nil
}

// Read checks the session cookie and, for a live token of the session's kind, sets the user's ID in the
// context. A stale cookie (expired, revoked, another kind's, malformed) is deleted. /api/ paths never get a
// cookie session.
func (k CookieSession) Read(w *Kit, c *gin.Context) (bool, error) {
	token, err := c.Cookie(k.Cookie)
	if err != nil || token == "" {
		return false, nil
	}
	if isAPIPath(c) {
		return false, nil
	}
	id, err := auth.Lookup(c.Request.Context(), w.DB, k.Kind, token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		w.SetCookie(c, k.Path, k.Cookie, "", -1)
		c.Set(k.CtxToken, "")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Header("Cache-Control", "no-store")
	c.Set(k.CtxID, id)
	c.Set(k.CtxToken, token)
	return true, nil
}

// Require lets through only page requests with a live session (the user's ID is then in the context, as
// behind requirePatron or requireStaff). Others are redirected (303) to the login page with ?next=<this
// page>. On /api/v1 it refuses every request with 401, since only bearer tokens authenticate the JSON API.
func (k CookieSession) Require(w *Kit) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, err := k.Read(w, c)
		if err != nil {
			w.Internal(c, err)
			return
		}
		if ok {
			c.Next()
			return
		}
		if isAPIPath(c) {
			Unauthenticated(c)
			return
		}
		SeeOther(c, k.LoginPath+"?next="+url.QueryEscape(k.Next(nextAfterLogin(c))))
		c.Abort()
	}
}

// Optional reads the session when there is one and lets every request through: for pages such as the
// top page that show ログイン or ログアウト.
func (k CookieSession) Optional(w *Kit) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := k.Read(w, c); err != nil {
			w.Internal(c, err)
			return
		}
		c.Next()
	}
}

// token is the session token the browser will present next: the one read, start or end settled in this
// request, else the request's cookie.
func (k CookieSession) token(c *gin.Context) string {
	if v, ok := c.Get(k.CtxToken); ok {
		t, _ := v.(string)
		return t
	}
	t, _ := c.Cookie(k.Cookie)
	return t
}

// SeeOther answers 303 See Other to a path on this site.
func SeeOther(c *gin.Context, path string) {
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, path)
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
		return SafeNext(c.Request.URL.RequestURI())
	}
	if ref, err := url.Parse(c.GetHeader("Referer")); err == nil && ref.Host == c.Request.Host {
		return SafeNext(ref.RequestURI())
	}
	return "/"
}

// SafeNext is next if it is a path on this site (as the ?next= of /login should be), else "/": never
// another site's address, so the login page cannot be used as an open redirect. The login page redirects
// to safeNext(c.Query("next")).
func SafeNext(next string) string {
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

// The patron's session: the patron pages' own, which every page's header shows.

const (
	// SessionCookie holds a patron token for the web pages.
	SessionCookie = "yoyaku_session"
	// loginPath is where webPatron sends a visitor without a session.
	loginPath = "/login"
	// ctxWebToken is the request's cookie session token as checked by webPatron, optionalWebPatron or
	// webLogin ("" after webLogout or when the cookie was stale); csrfToken derives its token from it.
	ctxWebToken = "yoyaku.web_token"
)

// PatronSession is the patron pages' session: the cookie yoyaku_session for the whole site, holding a patron
// token; its layout's logout form carries the CSRF token.
var PatronSession = CookieSession{
	Cookie: SessionCookie, Path: "/", Kind: auth.KindPatron, Ttl: auth.PatronTokenTTL,
	CtxID: CtxPatronID, CtxToken: ctxWebToken, LoginPath: loginPath, Next: SafeNext,
	CSRFPurpose: "", LayoutCSRF: true,
}

// WebPatronID is the cookie session's patron behind optionalWebPatron (or webPatron), and whether there is one.
func WebPatronID(c *gin.Context) (int64, bool) {
	id, ok := c.Get(CtxPatronID)
	n, isInt := id.(int64)
	return n, ok && isInt
}
