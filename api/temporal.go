package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/holdstart"
	"yoyaku/store"
)

// temporalTimeout bounds every call the API makes to Temporal.
const temporalTimeout = 15 * time.Second

// startHold starts the workflow of a freshly placed hold. The ID is the hold's, so a second start fails.
func (s *Server) startHold(ctx context.Context, id, titleID int64, pickup, origin string) error {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	return holdstart.StartHold(ctx, s.Temporal, s.startSettings(), holdstart.Hold{ID: id, TitleID: titleID, Pickup: pickup, Origin: origin})
}

func (s *Server) startSettings() holdstart.Settings {
	return holdstart.Settings{TaskQueue: s.Cfg.TaskQueue, CancelApprovalDelay: s.Cfg.CancelApprovalDelay}
}

// updateHold sends an Update to a hold's workflow and waits for its result.
func (s *Server) updateHold(ctx context.Context, holdID int64, name string, arg any) (contract.UpdateResult, error) {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   contract.HoldWorkflowID(holdID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The hold exists (callers read it first) but its workflow has ended: the hold is closed.
		code := contract.ErrNotChangeable
		if name == contract.UpdateCancel {
			code = contract.ErrNotCancellable
		}
		return contract.UpdateResult{}, temporal.NewApplicationError("the hold is closed", string(code))
	}
	if err != nil {
		return contract.UpdateResult{}, err
	}
	var res contract.UpdateResult
	err = h.Get(ctx, &res)
	return res, err
}

// codeStatus maps the codes of refusals from workflows and activities to HTTP statuses.
var codeStatus = map[domain.Code]int{
	contract.ErrNotOnPullList:    http.StatusConflict,
	contract.ErrNotExpectedHere:  http.StatusConflict,
	contract.ErrNotChangeable:    http.StatusConflict,
	contract.ErrNotCancellable:   http.StatusConflict,
	contract.ErrHeldForAnother:   http.StatusConflict,
	contract.ErrNotAvailable:     http.StatusConflict,
	contract.ErrStale:            http.StatusConflict,
	contract.ErrNotFound:         http.StatusNotFound,
	contract.ErrPickupNotAllowed: http.StatusUnprocessableEntity,
	contract.ErrBarcodeTaken:     http.StatusConflict,
	contract.ErrBadRequest:       http.StatusBadRequest,
}

// opError is how a staff operation (or any shared piece of a handler) ends without its result: a refusal
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

// workflowError classifies an error from a workflow call: a refusal keeps its code; a missing workflow is
// 404; a timeout is 503 unavailable; anything else is an internal error.
func workflowError(err error) *opError {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if status, ok := codeStatus[domain.Code(appErr.Type())]; ok {
			return refused(status, Code(appErr.Type()))
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return refused(http.StatusNotFound, CodeNotFound)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &opError{status: http.StatusServiceUnavailable, code: CodeUnavailable, err: err, log: "workflow call timed out"}
	}
	// A workflow or update that failed on a retryable error (a transition that timed out, a database that
	// refused connections) did nothing: the client may try again once the dependency is back. (A local
	// activity's failure reaches here as the retryable ApplicationError it returned, not as an ActivityError,
	// so this cannot be narrowed to activity failures; refusals with a code were answered above.)
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) || (appErr != nil && !appErr.NonRetryable()) {
		return &opError{status: http.StatusServiceUnavailable, code: CodeUnavailable, err: err, log: "workflow step failed on a dependency"}
	}
	return internalError(err)
}

// failWorkflow answers an error from a workflow call (workflowError).
func (s *Server) failWorkflow(c *gin.Context, err error) { s.failOp(c, workflowError(err)) }

// storeError classifies an error from the store: a refusal gets its code, anything else is internal.
func storeError(err error) *opError {
	switch {
	case errors.Is(err, store.ErrNoSuchHold), errors.Is(err, store.ErrNoSuchPatron), errors.Is(err, store.ErrNoSuchCopy),
		errors.Is(err, store.ErrTitleNotFound):
		return refused(http.StatusNotFound, CodeNotFound)
	case errors.Is(err, store.ErrUnknownBranch):
		return refused(http.StatusUnprocessableEntity, CodeUnknownBranch)
	case errors.Is(err, store.ErrPickupNotAllowed):
		return refused(http.StatusUnprocessableEntity, CodePickupNotAllowed)
	case errors.Is(err, store.ErrNotLendable):
		return refused(http.StatusConflict, CodeNotAvailable)
	default:
		return internalError(err)
	}
}

// failStore answers a refusal from the store with its code (storeError).
func (s *Server) failStore(c *gin.Context, err error) { s.failOp(c, storeError(err)) }
