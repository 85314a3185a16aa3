// Package holdstart starts the workflow of a hold or of a series hold once its rows are committed: the API
// right after a placement, and the reconciler for placements whose start a crash cut short. The workflow ID
// is the hold's, so a second start of the same hold fails with an "already started" error and nothing runs
// twice.
package holdstart

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/workflows"
)

// Hold is a placed hold whose workflow is to start.
type Hold struct {
	ID      int64
	TitleID int64 // 0 for a counter request of a title the library does not own
	Pickup  string
	Origin  string
}

// Settings are the deployment's: where workflows run and how long a cancellation request waits.
type Settings struct {
	TaskQueue           string
	CancelApprovalDelay time.Duration
	// AfterFailure lets a start replace a run that failed (the reconciler's: a hold still at its first
	// transition whose run failed must get a new one). A running or completed run still refuses a second start.
	AfterFailure bool
}

func (s Settings) reusePolicy() enums.WorkflowIdReusePolicy {
	if s.AfterFailure {
		return enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
	}
	return enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
}

// StartHold starts h's HoldWorkflow.
func StartHold(ctx context.Context, tc client.Client, s Settings, h Hold) error {
	title := ""
	if h.TitleID != 0 {
		title = strconv.FormatInt(h.TitleID, 10)
	}
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.HoldWorkflowID(h.ID),
		TaskQueue:                s.TaskQueue,
		WorkflowIDReusePolicy:    s.reusePolicy(),
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// without it the SDK answers a second start with the running workflow, as if it had started it
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contract.StatusKey.ValueSet(string(domain.StatusRequested)),
			contract.PickupBranchKey.ValueSet(h.Pickup),
			contract.TitleIDKey.ValueSet(title),
			contract.OriginKey.ValueSet(h.Origin),
		),
	}, workflows.HoldWorkflow, contract.HoldInput{HoldID: h.ID, CancelApprovalDelay: s.CancelApprovalDelay})
	return err
}

// StartSeries starts a series hold's SeriesHoldWorkflow, which runs its volumes' hold workflows as children.
// convert: the volumes are existing holds whose workflows hand over to it.
func StartSeries(ctx context.Context, tc client.Client, s Settings, seriesID int64, volumes []contract.Volume, convert bool) error {
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.SeriesWorkflowID(seriesID),
		TaskQueue:                s.TaskQueue,
		WorkflowIDReusePolicy:    s.reusePolicy(),
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// without it the SDK answers a second start with the running workflow, as if it had started it
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.SeriesHoldWorkflow, contract.SeriesInput{SeriesID: seriesID, Volumes: volumes, Convert: convert,
		CancelApprovalDelay: s.CancelApprovalDelay})
	return err
}

// AlreadyStarted reports whether a start failed because the workflow exists (running or closed).
func AlreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &started)
}
