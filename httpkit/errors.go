package httpkit

import (
	"github.com/gin-gonic/gin"
)

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
		// TitleID is the title a refusal is about, when it names one (owned_title: hold that title instead).
		TitleID string `json:"title_id,omitempty"`
	} `json:"error"`
}

// Message is the code's message in the client's language.
func Message(c *gin.Context, code Code) string { return messageIn(langOf(english(c)), code) }

// Fail aborts the request with the error envelope; on a web page route (webPage) with an HTML error page.
func Fail(c *gin.Context, status int, code Code) { failWith(c, status, code, 0) }

// failWith is Fail with the title a refusal names (ErrorBody's title_id; 0 for none).
func failWith(c *gin.Context, status int, code Code, titleID int64) {
	if s, ok := c.Get(ctxWebPage); ok {
		s.(*Kit).errorPage(c, status, code)
		return
	}
	var b ErrorBody
	b.Error.Code = code
	b.Error.Message = Message(c, code)
	if titleID != 0 {
		b.Error.TitleID = IDString(titleID)
	}
	c.AbortWithStatusJSON(status, b)
}

// FailCode is fail with the code's own status (the code table, httpkit/codes.go).
func FailCode(c *gin.Context, code Code) { Fail(c, StatusOf(code), code) }
