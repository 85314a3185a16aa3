package httpkit

// Answering the library's operations: their refusals and failures, translated to HTTP once.

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/library"
)

// OpError is how an operation (or any shared piece of a handler) ends without its result: a refusal
// with its code and HTTP status, or a failure of the system (err set) that is logged and answered with a
// generic code. The JSON handlers answer it with FailOp; the pages show Message(c, code).
type OpError struct {
	Status int
	Code   Code
	Err    error  // a failure of the system behind the code, to log; nil for a refusal
	Log    string // the log message for err
	// TitleID is the title a refusal names (owned_title), 0 for none.
	TitleID int64
}

func (e *OpError) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Err.Error()
	}
	return string(e.Code)
}

// Refused is a refusal with its status and code.
func Refused(status int, code Code) *OpError { return &OpError{Status: status, Code: code} }

// OpErr translates an error of the library's operations: a refusal gets its code's status (the code
// table), an unavailable dependency 503, anything else is internal (internalError).
func OpErr(err error) *OpError {
	if err == nil {
		return nil
	}
	var e *library.Error
	if errors.As(err, &e) {
		_, known := Codes[e.Code]
		status := StatusOf(e.Code)
		switch {
		case !known:
			return internalError(err)
		case e.Err != nil:
			return &OpError{Status: status, Code: Code(e.Code), Err: err, Log: "dependency unavailable"}
		}
		r := Refused(status, Code(e.Code))
		r.TitleID = e.TitleID
		return r
	}
	return internalError(err)
}

// internalError is a failure of the system: logged, answered 500 internal_error, or 503 unavailable when a
// dependency is down or restarting (dependencyDown).
func internalError(err error) *OpError {
	if dependencyDown(err) {
		return &OpError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Err: err, Log: "dependency unavailable"}
	}
	return &OpError{Status: http.StatusInternalServerError, Code: CodeInternal, Err: err, Log: "request failed"}
}

// FailOp answers e with the error envelope, logging a failure of the system first.
func (s *Kit) FailOp(c *gin.Context, e *OpError) {
	s.LogOp(c, e)
	if e.Status == http.StatusServiceUnavailable {
		c.Header("Retry-After", unavailableRetryAfter)
	}
	failWith(c, e.Status, e.Code, e.TitleID)
}

// LogOp logs e when it is a failure of the system; a refusal is the client's, not an error of ours.
func (s *Kit) LogOp(c *gin.Context, e *OpError) {
	if e.Err != nil {
		s.Log.ErrorContext(c.Request.Context(), e.Log, "path", c.FullPath(), "err", e.Err)
	}
}

// FailErr answers err of an operation (OpErr).
func (s *Kit) FailErr(c *gin.Context, err error) { s.FailOp(c, OpErr(err)) }

// StoreError classifies an error from the store: a refusal gets its code, anything else is internal.
func StoreError(err error) *OpError { return OpErr(library.FromStore(err)) }

// FailStore answers a refusal from the store with its code (library.FromStore).
func (s *Kit) FailStore(c *gin.Context, err error) { s.FailOp(c, StoreError(err)) }

// Op pairs an operation's result with its error translated (OpErr), for the pages' act-then-render code.
func Op[T any](v T, err error) (T, *OpError) { return v, OpErr(err) }

// Refused answers err of an operation on a page and reports whether there was one: a failure of the
// system is the error page (FailOp); a refusal goes to show, which renders the page again with the
// refusal's status and code.
func (s *Kit) Refused(c *gin.Context, err error, show func(status int, code Code)) bool {
	oe := OpErr(err)
	switch {
	case oe == nil:
		return false
	case oe.Err != nil:
		s.FailOp(c, oe)
	default:
		show(oe.Status, oe.Code)
	}
	return true
}
