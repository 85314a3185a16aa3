package httpkit

// Cross-site request forgery protection for the web pages: one scheme for the patron pages and the staff
// console, each with its own session (session.go) and its own HMAC purposes.
//
// A form's token is an HMAC-SHA256, under the server's session key (YOYAKU_SESSION_KEY), of the SHA-256 of
// the browser's session token: it is tied to that session, ends with it, and cannot be computed without
// the key. Before login (the login form itself, against login CSRF) it is the HMAC of a random nonce kept
// in the HttpOnly cookie yoyaku_csrf — a signed double-submit cookie, which a site that can plant cookies
// still cannot pair with a valid token.
//
// csrfProtect checks it on every unsafe method (POST, PUT, PATCH, DELETE...) of the routes it guards, from
// the form field _csrf or the header X-CSRF-Token; without a match the answer is 403 csrf_failed. The JSON
// API (/api/...) is not subject to it: no cookie authenticates there, only Authorization: Bearer, which a
// forged cross-site request cannot carry.
//
// With YOYAKU_SESSION_KEY empty, each API process makes a random key at start: forms opened before a
// restart (or served by another instance) then fail once with csrf_failed and must be reloaded. Fine for
// development; production sets the variable, the same on every instance.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"yoyaku/config"
)

const (
	CSRFField  = "_csrf"        // the hidden form field
	CSRFHeader = "X-CSRF-Token" // or this header, for scripts
	CSRFCookie = "yoyaku_csrf"  // the nonce of a browser without a session (both kinds of page)
	// ctxCSRF holds the csrfScheme of the route's protect, for csrfToken.
	ctxCSRF = "yoyaku.csrf"
	// ctxCSRFNonce is a nonce csrfToken set in this response's cookie.
	ctxCSRFNonce = "yoyaku.csrf_nonce"
	// NonceLen is the length of a nonce: 32 random bytes in base64url.
	NonceLen = 43
)

// ephemeralSessionKey is the key of an API process started without YOYAKU_SESSION_KEY.
var ephemeralSessionKey = sync.OnceValue(func() []byte {
	k := make([]byte, config.MinSessionKey)
	_, _ = rand.Read(k) // never fails (crypto/rand crashes the program instead)
	return k
})

var warnEphemeralKey sync.Once

// SessionKey is the key of the CSRF tokens: YOYAKU_SESSION_KEY, else this process's random one.
func (w *Kit) SessionKey() []byte {
	if len(w.Cfg.SessionKey) > 0 {
		return w.Cfg.SessionKey
	}
	return ephemeralSessionKey()
}

func csrfMAC(key []byte, purpose string, secret []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("yoyaku csrf v1 " + purpose + "\x00"))
	m.Write(secret)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SessionCSRF is the CSRF token of a session token; anonCSRF that of a pre-login nonce.
func (k CookieSession) SessionCSRF(key []byte, token string) string {
	h := sha256.Sum256([]byte(token))
	return csrfMAC(key, k.CSRFPurpose+"session", h[:])
}

func (k CookieSession) AnonCSRF(key []byte, nonce string) string {
	return csrfMAC(key, k.CSRFPurpose+"anonymous", []byte(nonce))
}

// csrfScheme is a route's CSRF tokens: its session's, under the kit's key.
type csrfScheme struct {
	k CookieSession
	w *Kit
}

// Protect guards pages: on unsafe methods it requires the page's CSRF token (form field _csrf or header
// X-CSRF-Token) — the session's, or before login the nonce cookie's — and answers 403 csrf_failed without
// it. Safe methods pass; it also makes csrfToken(c) available, so mount it on every page group, before the
// session's require. Requests to /api/ pass untouched (bearer tokens only there).
func (k CookieSession) Protect(w *Kit) gin.HandlerFunc {
	w.SessionKey() // at start, so a random key is made now when there is none
	if len(w.Cfg.SessionKey) == 0 && w.Log != nil {
		warnEphemeralKey.Do(func() {
			w.Log.Warn("YOYAKU_SESSION_KEY is not set: the web pages' CSRF tokens use a random key of this process and do not survive a restart")
		})
	}
	scheme := csrfScheme{k, w}
	return func(c *gin.Context) {
		c.Set(ctxCSRF, scheme)
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			c.Next()
			return
		}
		if isAPIPath(c) {
			c.Next()
			return
		}
		want := ""
		if token, err := c.Cookie(k.Cookie); err == nil && token != "" {
			want = k.SessionCSRF(w.SessionKey(), token)
		} else if nonce, err := c.Cookie(CSRFCookie); err == nil && len(nonce) == NonceLen {
			want = k.AnonCSRF(w.SessionKey(), nonce)
		}
		if checkCSRF(c, want) {
			c.Next()
		}
	}
}

// checkCSRF compares the submitted token (X-CSRF-Token header, else the _csrf form field) with want, the
// session's or the pre-login nonce's; it answers the request itself (403, 400 or 413) when they differ.
func checkCSRF(c *gin.Context, want string) bool {
	got := c.GetHeader(CSRFHeader)
	if got == "" {
		// The form is parsed here; handlers still read it with c.PostForm.
		if err := c.Request.ParseMultipartForm(MaxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			failBody(c, err)
			return false
		}
		got = c.Request.PostFormValue(CSRFField)
	}
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		FailCode(c, CodeCSRFFailed)
		return false
	}
	return true
}

// csrfToken is the CSRF token for the forms of the page being rendered: put it in a hidden field
// <input type="hidden" name="_csrf" value="{{.CSRF}}"> of every form that posts (or send it as the
// X-CSRF-Token header). Only for routes behind a session's protect. Call it in the handler, before rendering:
// for a browser without a session it may set the yoyaku_csrf cookie. After a login or logout in the same
// request it is already the new state's token.
func CSRFToken(c *gin.Context) string {
	v, _ := c.Get(ctxCSRF)
	cs, ok := v.(csrfScheme)
	if !ok {
		// A wiring mistake, never a client's: the recovery middleware turns it into a logged 500.
		panic("api: csrfToken on a route without a CSRF check: " + c.FullPath())
	}
	key := cs.w.SessionKey()
	if token := cs.k.token(c); token != "" {
		return cs.k.SessionCSRF(key, token)
	}
	if n, ok := c.Get(ctxCSRFNonce); ok {
		return cs.k.AnonCSRF(key, n.(string))
	}
	if nonce, err := c.Cookie(CSRFCookie); err == nil && len(nonce) == NonceLen {
		return cs.k.AnonCSRF(key, nonce)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	nonce := base64.RawURLEncoding.EncodeToString(raw)
	cs.w.SetCookie(c, "/", CSRFCookie, nonce, 0)
	c.Set(ctxCSRFNonce, nonce)
	return cs.k.AnonCSRF(key, nonce)
}

// layoutCSRF is the CSRF token for s.page's common data: the session's when its layout carries it, else "".
func layoutCSRF(c *gin.Context) string {
	if v, ok := c.Get(ctxCSRF); ok {
		if cs, ok := v.(csrfScheme); ok && cs.k.LayoutCSRF {
			return CSRFToken(c)
		}
	}
	return ""
}
