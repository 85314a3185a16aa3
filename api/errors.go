package api

import (
	"net/http"
	"strings"
	"yoyaku/domain"

	"github.com/gin-gonic/gin"
)

// Code is a machine-readable error code; the codes of API.md are part of the contract.
type Code = domain.Code

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

	// Staff catalogue and patron maintenance (staff_catalogue.go).
	CodeInvalidTitle    Code = "invalid_title"
	CodeInvalidFormat   Code = "invalid_format"
	CodeInvalidISBN     Code = "invalid_isbn"
	CodeInvalidURL      Code = "invalid_url"
	CodeInvalidYear     Code = "invalid_year"
	CodeInvalidSeries   Code = "invalid_series"
	CodeDuplicateVolume Code = "duplicate_volume"
	CodeInvalidName     Code = "invalid_name"
	CodeInvalidPassword Code = "invalid_password"
	CodeInvalidEmail    Code = "invalid_email"
	CodeTooManyEmails   Code = "too_many_emails"
	CodeInvalidPhone    Code = "invalid_phone"
	CodeCardNumberTaken Code = "card_number_taken"
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

	CodeInvalidTitle:  {"タイトルを500文字以内で入力してください。", "Enter a title of at most 500 characters."},
	CodeInvalidFormat: {"資料種別が正しくありません。", "The format must be book, magazine, cd, video, dvd or etext."},
	CodeInvalidISBN:   {"ISBNは10桁または13桁で入力してください。", "Enter the ISBN as 10 or 13 digits."},
	CodeInvalidURL: {"電子テキストには http(s) の URL が必要です。電子テキスト以外には URL を指定できません。",
		"An e-text needs an http(s) URL; other formats cannot have one."},
	CodeInvalidYear:     {"出版年は1から9999の間で入力してください。", "Enter a year between 1 and 9999."},
	CodeInvalidSeries:   {"シリーズの指定が正しくありません。", "The series is not valid."},
	CodeDuplicateVolume: {"このシリーズのこの巻は既に登録されています。", "This volume of the series is already registered."},
	CodeInvalidName:     {"氏名を入力してください。", "Enter the name."},
	CodeInvalidPassword: {"パスワードは8文字以上72バイト以内で入力してください。", "Enter a password of 8 to 72 bytes."},
	CodeInvalidEmail:    {"E-mail アドレスが正しくありません。", "The e-mail address is not valid."},
	CodeTooManyEmails:   {"E-mail アドレスは2件まで登録できます。", "At most 2 e-mail addresses can be registered."},
	CodeInvalidPhone: {"電話番号は数字とハイフンで6文字以上20文字以内で入力してください。",
		"Enter the phone number as 6 to 20 digits and hyphens."},
	CodeCardNumberTaken: {"この図書館カード番号は既に使われています。", "This library card number is already in use."},
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
	if l, ok := c.Get(ctxLang); ok { // a web page: its language is settled by webPage
		return l == "en"
	}
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

// internal logs err and answers without leaking it: 503 unavailable (with Retry-After) when a dependency is
// down or restarting, 500 otherwise.
func (s *Server) internal(c *gin.Context, err error) {
	s.Log.ErrorContext(c.Request.Context(), "request failed", "path", c.FullPath(), "err", err)
	if dependencyDown(err) {
		c.Header("Retry-After", unavailableRetryAfter)
		fail(c, http.StatusServiceUnavailable, CodeUnavailable)
		return
	}
	fail(c, http.StatusInternalServerError, CodeInternal)
}
