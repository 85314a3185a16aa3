package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Code is a machine-readable error code; the codes of API.md are part of the contract.
type Code string

// Error codes.
const (
	CodeNotFound         Code = "not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodeBadRequest       Code = "bad_request"
	CodeTooLarge         Code = "payload_too_large"
	CodeInternal         Code = "internal_error"

	CodeInvalidCredentials Code = "invalid_credentials"
	CodeInvalidCardNumber  Code = "invalid_card_number"
	CodeTooManyAttempts    Code = "too_many_attempts"
	CodeUnauthenticated    Code = "unauthenticated"
)

// messages holds each code's message in Japanese (the default) and English.
var messages = map[Code][2]string{
	CodeNotFound:         {"お探しのものは見つかりません。", "Not found."},
	CodeMethodNotAllowed: {"この操作は利用できません。", "Method not allowed."},
	CodeBadRequest:       {"リクエストの形式が正しくありません。", "The request is malformed."},
	CodeTooLarge:         {"リクエストが大きすぎます。", "The request body is too large."},
	CodeInternal:         {"システムエラーが発生しました。しばらくしてから再度お試しください。", "Internal error. Please try again later."},

	CodeInvalidCredentials: {"図書館カード番号またはパスワードが正しくありません。", "The library card number or password is incorrect."},
	CodeInvalidCardNumber:  {"図書館カード番号は7桁の数字で入力してください。", "Enter the library card number as 7 digits."},
	CodeTooManyAttempts: {"ログインの失敗が続いたため、しばらくログインできません。時間をおいて再度お試しください。",
		"Too many failed logins. Please wait a while and try again."},
	CodeUnauthenticated: {"ログインしてください。", "Please log in."},
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// english reports whether the client asked for English.
func english(c *gin.Context) bool {
	if l := c.Query("lang"); l != "" {
		return strings.HasPrefix(l, "en")
	}
	al := strings.ToLower(c.GetHeader("Accept-Language"))
	return strings.HasPrefix(strings.TrimSpace(al), "en")
}

// message is the code's message in the client's language.
func message(c *gin.Context, code Code) string {
	m, ok := messages[code]
	if !ok {
		m = messages[CodeInternal]
	}
	if english(c) {
		return m[1]
	}
	return m[0]
}

// fail aborts the request with the error envelope.
func fail(c *gin.Context, status int, code Code) {
	var b ErrorBody
	b.Error.Code = code
	b.Error.Message = message(c, code)
	c.AbortWithStatusJSON(status, b)
}

// internal logs err and answers 500 without leaking it.
func (s *Server) internal(c *gin.Context, err error) {
	s.Log.ErrorContext(c.Request.Context(), "request failed", "path", c.FullPath(), "err", err)
	fail(c, http.StatusInternalServerError, CodeInternal)
}
