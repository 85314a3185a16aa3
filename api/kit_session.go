package api

// Cookie sessions of the web pages: one mechanism for the patron pages (patronSession,
// web_patron_session.go) and the staff console (staffSession, web_staff_session.go), which differ only in the
// parameters of their cookieSession.
//
// A page session is an HttpOnly, SameSite=Lax cookie holding an ordinary token of its kind (auth.Issue): the
// same table, lifetime, expiry and revocation as a bearer token. The JSON API under /api/v1 never reads
// these cookies — requireToken only accepts "Authorization: Bearer" — so a browser's ambient cookie can never
// act on the JSON API, which is therefore immune to cross-site request forgery by design (a cross-site page
// cannot set an Authorization header without a CORS preflight, and yoyaku answers no CORS). The pages
// themselves are protected by the session's CSRF tokens (kit_csrf.go).
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
	ctxPatronID = "yoyaku.patron_id"
	ctxStaffID  = "yoyaku.staff_id"
)

// patronID is the logged-in patron's ID; only for handlers behind requirePatron (patronGroup).
func patronID(c *gin.Context) int64 { return mustID(c, ctxPatronID) }

// staffID is the logged-in staff user's ID; only for handlers behind requireStaff (staffGroup).
func staffID(c *gin.Context) int64 { return mustID(c, ctxStaffID) }

func mustID(c *gin.Context, key string) int64 {
	v, ok := c.Get(key)
	id, isInt := v.(int64)
	if !ok || !isInt {
		// A wiring mistake, never a client's: the recovery middleware turns it into a logged 500.
		panic("api: " + key + " read on a route without its auth middleware: " + c.FullPath())
	}
	return id
}

// unauthenticated answers 401 unauthenticated, with the bearer challenge.
func unauthenticated(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="yoyaku"`)
	failCode(c, CodeUnauthenticated)
}

// cookieSession describes one kind of browser session.
type cookieSession struct {
	cookie, path    string        // the session cookie and its Path
	kind            auth.Kind     // the kind of token it holds
	ttl             time.Duration // the token's and the cookie's lifetime
	ctxID, ctxToken string        // where the request's context keeps the user's ID and the session token
	loginPath       string        // where require sends a visitor without a session (303, with ?next=)
	// next is where a login may return to, from a ?next= or the form's next: never another site's address.
	next func(string) string
	// csrfPurpose prefixes the purposes of the session's CSRF tokens, so that one kind's tokens are never
	// another's.
	csrfPurpose string
	// layoutCSRF: s.page's common data carries the session's CSRF token (the patron layout's logout form);
	// otherwise the handler sets .CSRF itself.
	layoutCSRF bool
}

// start begins a session for id after the login form's password has been checked. A session the browser
// already had is revoked first (no session fixation); the rest of the request sees the new one. On error
// nothing has been set.
func (k cookieSession) start(w webKit, c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if old, err := c.Cookie(k.cookie); err == nil && old != "" {
		if err := auth.Revoke(ctx, w.db, old); err != nil {
			return err
		}
	}
	token, err := auth.Issue(ctx, w.db, k.kind, id, k.ttl)
	if err != nil {
		return err
	}
	w.setCookie(c, k.path, k.cookie, token, int(k.ttl.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Set(k.ctxID, id)
	c.Set(k.ctxToken, token)
	return nil
}

// end revokes the session's token, if any, and deletes the cookie. On error the session is unchanged. Mount
// it on an unsafe method (POST .../logout) so the CSRF check guards it.
func (k cookieSession) end(w webKit, c *gin.Context) error {
	if token, err := c.Cookie(k.cookie); err == nil && token != "" {
		if err := auth.Revoke(c.Request.Context(), w.db, token); err != nil {
			return err
		}
	}
	w.setCookie(c, k.path, k.cookie, "", -1)
	c.Header("Cache-Control", "no-store")
	c.Set(k.ctxToken, "")
	c.Delete(k.ctxID)
	return nil
}

// read checks the session cookie and, for a live token of the session's kind, sets the user's ID in the
// context. A stale cookie (expired, revoked, another kind's, malformed) is deleted. /api/ paths never get a
// cookie session.
func (k cookieSession) read(w webKit, c *gin.Context) (bool, error) {
	token, err := c.Cookie(k.cookie)
	if err != nil || token == "" {
		return false, nil
	}
	if isAPIPath(c) {
		return false, nil
	}
	id, err := auth.Lookup(c.Request.Context(), w.db, k.kind, token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		w.setCookie(c, k.path, k.cookie, "", -1)
		c.Set(k.ctxToken, "")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Header("Cache-Control", "no-store")
	c.Set(k.ctxID, id)
	c.Set(k.ctxToken, token)
	return true, nil
}

// require lets through only page requests with a live session (the user's ID is then in the context, as
// behind requirePatron or requireStaff). Others are redirected (303) to the login page with ?next=<this
// page>. On /api/v1 it refuses every request with 401, since only bearer tokens authenticate the JSON API.
func (k cookieSession) require(w webKit) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, err := k.read(w, c)
		if err != nil {
			w.serverError(c, err)
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
		seeOther(c, k.loginPath+"?next="+url.QueryEscape(k.next(nextAfterLogin(c))))
		c.Abort()
	}
}

// optional reads the session when there is one and lets every request through: for pages such as the
// top page that show ログイン or ログアウト.
func (k cookieSession) optional(w webKit) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := k.read(w, c); err != nil {
			w.serverError(c, err)
			return
		}
		c.Next()
	}
}

// token is the session token the browser will present next: the one read, start or end settled in this
// request, else the request's cookie.
func (k cookieSession) token(c *gin.Context) string {
	if v, ok := c.Get(k.ctxToken); ok {
		t, _ := v.(string)
		return t
	}
	t, _ := c.Cookie(k.cookie)
	return t
}

// seeOther answers 303 See Other to a path on this site.
func seeOther(c *gin.Context, path string) {
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
