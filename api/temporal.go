package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"yoyaku/activities"
	"yoyaku/store"
	"yoyaku/workflows"
)

// temporalTimeout bounds every call the API makes to Temporal.
const temporalTimeout = 15 * time.Second

// startHold starts the workflow of a freshly placed hold. The ID is the hold's, so a second start fails.
func (s *Server) startHold(ctx context.Context, id, titleID int64, pickup, origin string) error {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	title := ""
	if titleID != 0 {
		title = idString(titleID)
	}
	_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.HoldWorkflowID(id),
		TaskQueue:                s.Cfg.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.StatusKey.ValueSet("requested"),
			workflows.PickupBranchKey.ValueSet(pickup),
			workflows.TitleIDKey.ValueSet(title),
			workflows.OriginKey.ValueSet(origin),
		),
	}, workflows.HoldWorkflow, workflows.HoldInput{HoldID: id, CancelApprovalDelay: s.Cfg.CancelApprovalDelay})
	return err
}

// updateHold sends an Update to a hold's workflow and waits for its result.
func (s *Server) updateHold(ctx context.Context, holdID int64, name string, arg any) (workflows.UpdateResult, error) {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.HoldWorkflowID(holdID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The hold exists (callers read it first) but its workflow has ended: the hold is closed.
		code := activities.ErrNotChangeable
		if name == workflows.UpdateCancel {
			code = activities.ErrNotCancellable
		}
		return workflows.UpdateResult{}, temporal.NewApplicationError("the hold is closed", code)
	}
	if err != nil {
		return workflows.UpdateResult{}, err
	}
	var res workflows.UpdateResult
	err = h.Get(ctx, &res)
	return res, err
}

// codeStatus maps the codes of refusals from workflows and activities to HTTP statuses.
var codeStatus = map[string]int{
	activities.ErrNotOnPullList:    http.StatusConflict,
	activities.ErrNotExpectedHere:  http.StatusConflict,
	activities.ErrNotChangeable:    http.StatusConflict,
	activities.ErrNotCancellable:   http.StatusConflict,
	activities.ErrHeldForAnother:   http.StatusConflict,
	activities.ErrNotAvailable:     http.StatusConflict,
	activities.ErrStale:            http.StatusConflict,
	activities.ErrNotFound:         http.StatusNotFound,
	activities.ErrPickupNotAllowed: http.StatusUnprocessableEntity,
	"barcode_taken":                http.StatusConflict,
}

// failWorkflow answers an error from a workflow call: a refusal keeps its code; a missing workflow is 404;
// anything else is logged as an internal error.
func (s *Server) failWorkflow(c *gin.Context, err error) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if status, ok := codeStatus[appErr.Type()]; ok {
			fail(c, status, Code(appErr.Type()))
			return
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		fail(c, http.StatusNotFound, CodeNotFound)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		s.Log.ErrorContext(c.Request.Context(), "workflow call timed out", "path", c.FullPath(), "err", err)
		fail(c, http.StatusServiceUnavailable, CodeUnavailable)
		return
	}
	s.internal(c, err)
}

// failStore answers a refusal from the store with its code.
func (s *Server) failStore(c *gin.Context, err error) {
	switch {
	case errors.Is(err, store.ErrNoSuchHold), errors.Is(err, store.ErrNoSuchPatron), errors.Is(err, store.ErrNoSuchCopy),
		errors.Is(err, store.ErrTitleNotFound):
		fail(c, http.StatusNotFound, CodeNotFound)
	case errors.Is(err, store.ErrUnknownBranch):
		fail(c, http.StatusUnprocessableEntity, CodeUnknownBranch)
	case errors.Is(err, store.ErrPickupNotAllowed):
		fail(c, http.StatusUnprocessableEntity, CodePickupNotAllowed)
	case errors.Is(err, store.ErrNotLendable):
		fail(c, http.StatusConflict, CodeNotAvailable)
	default:
		s.internal(c, err)
	}
}
