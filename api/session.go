package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/auth"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// ctxToken is the bearer token requirePatron or requireStaff accepted, for logout.
const ctxToken = "yoyaku.token"

// patronGroup is v1 behind requirePatron: routes mounted on it see patronID(c).
func (s *Server) patronGroup(v1 *gin.RouterGroup) *gin.RouterGroup {
	return v1.Group("", s.requirePatron())
}

// staffGroup is v1's /staff behind requireStaff: routes mounted on it see staffID(c).
func (s *Server) staffGroup(v1 *gin.RouterGroup) *gin.RouterGroup {
	return v1.Group("/staff", s.requireStaff())
}

// requirePatron lets through only requests with a live patron token (Authorization: Bearer); others get
// 401 unauthenticated. It never reads the web pages' session cookie: a cookie alone authenticates nothing
// under /api/v1, so a forged cross-site request (which can carry cookies but not this header) cannot act
// on the JSON API, and it needs no CSRF token (httpkit/session.go, httpkit/csrf.go).
func (s *Server) requirePatron() gin.HandlerFunc {
	return s.requireToken(auth.KindPatron, httpkit.CtxPatronID)
}

// requireStaff lets through only requests with a live staff token; a patron token is not one (401).
func (s *Server) requireStaff() gin.HandlerFunc {
	return s.requireToken(auth.KindStaff, httpkit.CtxStaffID)
}

func (s *Server) requireToken(kind auth.Kind, key string) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := bearerToken(c)
		if !ok {
			httpkit.Unauthenticated(c)
			return
		}
		id, err := auth.Lookup(c.Request.Context(), s.DB, kind, token)
		if errors.Is(err, auth.ErrUnauthenticated) {
			httpkit.Unauthenticated(c)
			return
		}
		if err != nil {
			s.Internal(c, err)
			return
		}
		c.Set(key, id)
		c.Set(ctxToken, token)
		c.Next()
	}
}

// bearerToken is the token of an "Authorization: Bearer <token>" header.
func bearerToken(c *gin.Context) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(c.GetHeader("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

type patronLoginRequest struct {
	CardNumber string `json:"card_number"`
	Password   string `json:"password"`
}

type patronLoginResponse struct {
	Token  string `json:"token"`
	Patron struct {
		CardNumber string `json:"card_number"`
		Name       string `json:"name"`
	} `json:"patron"`
}

// patronLogin is POST /api/v1/session.
func (s *Server) patronLogin(c *gin.Context) {
	var req patronLoginRequest
	if !httpkit.BindJSON(c, &req) {
		return
	}
	card, err := domain.NormalizeCardNumber(req.CardNumber)
	if err != nil {
		httpkit.FailCode(c, library.CodeInvalidCardNumber)
		return
	}
	ctx := c.Request.Context()
	p, err := store.PatronByCardForLogin(ctx, s.DB, card)
	if err != nil {
		s.Internal(c, err)
		return
	}
	if !s.checkLogin(c, auth.PatronSubject(card), p.PasswordHash, req.Password) {
		return
	}
	token, err := auth.Issue(ctx, s.DB, auth.KindPatron, p.ID, auth.PatronTokenTTL)
	if err != nil {
		s.Internal(c, err)
		return
	}
	var resp patronLoginResponse
	resp.Token, resp.Patron.CardNumber, resp.Patron.Name = token, card, p.Name
	c.JSON(http.StatusOK, resp)
}

type staffLoginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type staffLoginResponse struct {
	Token string `json:"token"`
	Staff struct {
		Login  string  `json:"login"`
		Name   string  `json:"name"`
		Branch *string `json:"branch"`
	} `json:"staff"`
}

// staffLogin is POST /api/v1/staff/session.
func (s *Server) staffLogin(c *gin.Context) {
	var req staffLoginRequest
	if !httpkit.BindJSON(c, &req) {
		return
	}
	login := strings.ToLower(strings.TrimSpace(req.Login))
	ctx := c.Request.Context()
	u, err := httpkit.FindStaff(ctx, s.DB, login)
	if err != nil {
		s.Internal(c, err)
		return
	}
	if !s.checkLogin(c, auth.StaffSubject(login), u.PasswordHash, req.Password) {
		return
	}
	token, err := auth.Issue(ctx, s.DB, auth.KindStaff, u.ID, auth.StaffTokenTTL)
	if err != nil {
		s.Internal(c, err)
		return
	}
	var resp staffLoginResponse
	resp.Token, resp.Staff.Login, resp.Staff.Name = token, u.Login, u.Name
	if u.Branch.Valid {
		resp.Staff.Branch = &u.Branch.String
	}
	c.JSON(http.StatusOK, resp)
}

// checkLogin is tryLogin for the JSON logins: it answers 429 too_many_attempts with Retry-After (whole
// seconds) when the attempt is throttled, 401 invalid_credentials for a wrong password, and returns true
// only for a right one.
func (s *Server) checkLogin(c *gin.Context, subject, hash, password string) bool {
	ok, wait, err := httpkit.TryLogin(c, s.DB, subject, hash, password)
	switch {
	case err != nil:
		s.Internal(c, err)
	case wait > 0:
		c.Header("Retry-After", httpkit.RetryAfter(wait))
		httpkit.FailCode(c, httpkit.CodeTooManyAttempts)
	case !ok:
		httpkit.FailCode(c, httpkit.CodeInvalidCredentials)
	}
	return ok
}

// logout is DELETE /api/v1/session and DELETE /api/v1/staff/session: it revokes the token presented.
func (s *Server) logout(c *gin.Context) {
	token, _ := c.Get(ctxToken)
	t, _ := token.(string)
	if err := auth.Revoke(c.Request.Context(), s.DB, t); err != nil {
		s.Internal(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
