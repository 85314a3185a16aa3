package httpkit

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// unavailableRetryAfter is the Retry-After (seconds) of a 503: a restarting database or Temporal server is
// back within seconds.
const unavailableRetryAfter = "5"

// dependencyDown reports whether err says that PostgreSQL or Temporal could not be reached or is shutting
// down, rather than that something is wrong: the client may retry, and gets 503 unavailable, not 500.
func dependencyDown(err error) bool {
	if err == nil {
		return false
	}
	var netErr *net.OpError
	var pqErr *pq.Error
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var updateTimeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	switch {
	case errors.As(err, &netErr), errors.As(err, &unavailable), errors.As(err, &deadline), errors.As(err, &updateTimeout),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &pqErr):
		// 08: connection exception; 57P01-57P03: the server is shutting down or starting up
		class := string(pqErr.Code.Class())
		return class == "08" || pqErr.Code == "57P01" || pqErr.Code == "57P02" || pqErr.Code == "57P03"
	}
	// lib/pq reports a connection the server closed as a plain error
	return strings.Contains(err.Error(), "driver: bad connection")
}
