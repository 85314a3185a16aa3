package api

import (
	"github.com/gin-gonic/gin"
)

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// message is the code's message in the client's language.
func message(c *gin.Context, code Code) string { return messageIn(langOf(english(c)), code) }

// fail aborts the request with the error envelope; on a web page route (webPage) with an HTML error page.
func fail(c *gin.Context, status int, code Code) {
	if s, ok := c.Get(ctxWebPage); ok {
		s.(*Server).errorPage(c, status, code)
		return
	}
	var b ErrorBody
	b.Error.Code = code
	b.Error.Message = message(c, code)
	c.AbortWithStatusJSON(status, b)
}

// internal logs err and answers without leaking it (webKit.serverError): 503 unavailable (with
// Retry-After) when a dependency is down or restarting, 500 otherwise.
func (s *Server) internal(c *gin.Context, err error) { s.kit().serverError(c, err) }

// failCode is fail with the code's own status (the code table, kit_codes.go).
func failCode(c *gin.Context, code Code) { fail(c, statusOf(code), code) }
