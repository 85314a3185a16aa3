package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/library"
)

// lib is the library's operations, on the Server's connections.
func (s *Server) lib() *library.Service {
	return &library.Service{DB: s.DB, Temporal: s.Temporal, Cfg: s.Cfg, Log: s.Log}
}

// opError is how an operation (or any shared piece of a handler) ends without its result: a refusal
// with its code and HTTP status, or a failure of the system (err set) that is logged and answered with a
// generic code. The JSON handlers answer it with failOp; the staff console shows message(c, code).
type opError struct {
	status int
	code   Code
	err    error  // a failure of the system behind the code, to log; nil for a refusal
	log    string // the log message for err
}

func (e *opError) Error() string {
	if e.err != nil {
		return string(e.code) + ": " + e.err.Error()
	}
	return string(e.code)
}

// refused is a refusal with its status and code.
func refused(status int, code Code) *opError { return &opError{status: status, code: code} }

// opErr translates an error of the library's operations: a refusal gets its code's status (the code
// table), an unavailable dependency 503, anything else is internal (internalError).
func opErr(err error) *opError {
	if err == nil {
		return nil
	}
	var e *library.Error
	if errors.As(err, &e) {
		_, known := codes[e.Code]
		status := statusOf(e.Code)
		switch {
		case !known:
			return internalError(err)
		case e.Err != nil:
			return &opError{status: status, code: Code(e.Code), err: err, log: "dependency unavailable"}
		}
		return refused(status, Code(e.Code))
	}
	return internalError(err)
}

// internalError is a failure of the system: logged, answered 500 internal_error, or 503 unavailable when a
// dependency is down or restarting (dependencyDown).
func internalError(err error) *opError {
	if dependencyDown(err) {
		return &opError{status: http.StatusServiceUnavailable, code: CodeUnavailable, err: err, log: "dependency unavailable"}
	}
	return &opError{status: http.StatusInternalServerError, code: CodeInternal, err: err, log: "request failed"}
}

// failOp answers e with the error envelope, logging a failure of the system first.
func (s *Server) failOp(c *gin.Context, e *opError) {
	if e.err != nil {
		s.Log.ErrorContext(c.Request.Context(), e.log, "path", c.FullPath(), "err", e.err)
	}
	if e.status == http.StatusServiceUnavailable {
		c.Header("Retry-After", unavailableRetryAfter)
	}
	fail(c, e.status, e.code)
}

// fail answers err of an operation (opErr).
func (s *Server) failErr(c *gin.Context, err error) { s.failOp(c, opErr(err)) }

// storeError classifies an error from the store: a refusal gets its code, anything else is internal.
func storeError(err error) *opError { return opErr(library.FromStore(err)) }

// failStore answers a refusal from the store with its code (storeError).
func (s *Server) failStore(c *gin.Context, err error) { s.failOp(c, storeError(err)) }
