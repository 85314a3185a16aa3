package api

// Cross-site request forgery protection for the web pages (web_session.go).
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
	csrfField  = "_csrf"        // the hidden form field
	csrfHeader = "X-CSRF-Token" // or this header, for scripts
	csrfCookie = "yoyaku_csrf"  // the nonce of a browser without a session
	// ctxCSRF holds the *Server behind csrfProtect, for csrfToken.
	ctxCSRF = "yoyaku.csrf"
	// ctxCSRFNonce is a nonce csrfToken set in this response's cookie.
	ctxCSRFNonce = "yoyaku.csrf_nonce"
	// nonceLen is the length of a nonce: 32 random bytes in base64url.
	nonceLen = 43
)

// ephemeralSessionKey is the key of an API process started without YOYAKU_SESSION_KEY.
var ephemeralSessionKey = sync.OnceValue(func() []byte {
	k := make([]byte, config.MinSessionKey)
	_, _ = rand.Read(k) // never fails (crypto/rand crashes the program instead)
	return k
})

var warnEphemeralKey sync.Once

// sessionKey is the key of the CSRF tokens: YOYAKU_SESSION_KEY, else this process's random one.
func (s *Server) sessionKey() []byte {
	if len(s.Cfg.SessionKey) > 0 {
		return s.Cfg.SessionKey
	}
	return ephemeralSessionKey()
}

func (s *Server) csrfMAC(purpose string, secret []byte) string {
	m := hmac.New(sha256.New, s.sessionKey())
	m.Write([]byte("yoyaku csrf v1 " + purpose + "\x00"))
	m.Write(secret)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionCSRF is the CSRF token of a session token; anonCSRF that of a pre-login nonce.
func (s *Server) sessionCSRF(token string) string {
	h := sha256.Sum256([]byte(token))
	return s.csrfMAC("session", h[:])
}

func (s *Server) anonCSRF(nonce string) string { return s.csrfMAC("anonymous", []byte(nonce)) }

// csrfProtect guards the web pages: on unsafe methods it requires the page's CSRF token (form field
// _csrf or header X-CSRF-Token) and answers 403 csrf_failed without it. Safe methods pass; it also makes
// csrfToken(c) available, so mount it on every page group, before webPatron. Requests to /api/ pass
// untouched (bearer tokens only there, see web_session.go).
func (s *Server) csrfProtect() gin.HandlerFunc {
	s.sessionKey() // at start, so a random key is made now when there is none
	if len(s.Cfg.SessionKey) == 0 && s.Log != nil {
		warnEphemeralKey.Do(func() {
			s.Log.Warn("YOYAKU_SESSION_KEY is not set: the web pages' CSRF tokens use a random key of this process and do not survive a restart")
		})
	}
	return func(c *gin.Context) {
		c.Set(ctxCSRF, s)
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
		if token, err := c.Cookie(sessionCookie); err == nil && token != "" {
			want = s.sessionCSRF(token)
		} else if nonce, err := c.Cookie(csrfCookie); err == nil && len(nonce) == nonceLen {
			want = s.anonCSRF(nonce)
		}
		if checkCSRF(c, want) {
			c.Next()
		}
	}
}

// checkCSRF compares the submitted token (X-CSRF-Token header, else the _csrf form field) with want, the
// session's or the pre-login nonce's; it answers the request itself (403, 400 or 413) when they differ.
func checkCSRF(c *gin.Context, want string) bool {
	got := c.GetHeader(csrfHeader)
	if got == "" {
		// The form is parsed here; handlers still read it with c.PostForm.
		if err := c.Request.ParseMultipartForm(maxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				failCode(c, CodeTooLarge)
				return false
			}
			failCode(c, CodeBadRequest)
			return false
		}
		got = c.Request.PostFormValue(csrfField)
	}
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		failCode(c, CodeCSRFFailed)
		return false
	}
	return true
}

// csrfToken is the CSRF token for the forms of the page being rendered: put it in a hidden field
// <input type="hidden" name="_csrf" value="{{.CSRF}}"> of every form that posts (or send it as the
// X-CSRF-Token header). Only for routes behind csrfProtect. Call it in the handler, before c.HTML: for a
// browser without a session it may set the yoyaku_csrf cookie. After webLogin or webLogout in the same
// request it is already the new state's token.
func csrfToken(c *gin.Context) string {
	v, _ := c.Get(ctxCSRF)
	s, ok := v.(*Server)
	if !ok {
		// A wiring mistake, never a client's: the recovery middleware turns it into a logged 500.
		panic("api: csrfToken on a route without csrfProtect: " + c.FullPath())
	}
	if token := webToken(c); token != "" {
		return s.sessionCSRF(token)
	}
	if n, ok := c.Get(ctxCSRFNonce); ok {
		return s.anonCSRF(n.(string))
	}
	if nonce, err := c.Cookie(csrfCookie); err == nil && len(nonce) == nonceLen {
		return s.anonCSRF(nonce)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	nonce := base64.RawURLEncoding.EncodeToString(raw)
	s.setCookie(c, csrfCookie, nonce, 0)
	c.Set(ctxCSRFNonce, nonce)
	return s.anonCSRF(nonce)
}

// webToken is the session token the browser will present next: the one webPatron, optionalWebPatron,
// webLogin or webLogout settled in this request, else the request's cookie.
func webToken(c *gin.Context) string {
	if v, ok := c.Get(ctxWebToken); ok {
		t, _ := v.(string)
		return t
	}
	t, _ := c.Cookie(sessionCookie)
	return t
}
