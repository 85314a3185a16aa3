package library

// Starting workflows: the workflow of a hold or of a series hold starts once its rows are committed, right
// after a placement, or by the reconciler for placements whose start a crash cut short. The workflow ID is
// the hold's, so a second start of the same hold fails with an "already started" error and nothing runs
// twice.

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
	"yoyaku/store"
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
	// ClosureBatch and ClosurePause are an emergency closing's (config.Config's).
	ClosureBatch int
	ClosurePause time.Duration
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
		StaticSummary:            contract.HoldSummary(h.ID, h.TitleID, h.Pickup, h.Origin),
		StaticDetails:            contract.HoldDetails(h.ID, h.TitleID, h.Pickup, h.Origin),
		WorkflowIDReusePolicy:    s.reusePolicy(),
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// without it the SDK answers a second start with the running workflow, as if it had started it
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contract.StatusKey.ValueSet(string(domain.StatusRequested)),
			contract.PickupBranchKey.ValueSet(h.Pickup),
			contract.TitleIDKey.ValueSet(title),
			contract.OriginKey.ValueSet(h.Origin),
			contract.StatusSinceKey.ValueSet(time.Now()),
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
		StaticSummary:            contract.GroupSummary("series hold", seriesID, volumes),
		WorkflowIDReusePolicy:    s.reusePolicy(),
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// without it the SDK answers a second start with the running workflow, as if it had started it
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.SeriesHoldWorkflow, contract.SeriesInput{SeriesID: seriesID, Volumes: volumes, Convert: convert,
		CancelApprovalDelay: s.CancelApprovalDelay})
	return err
}

// StartGroup starts an any-of group's GroupHoldWorkflow, which runs its members' hold workflows as children.
func StartGroup(ctx context.Context, tc client.Client, s Settings, groupID int64, members []contract.Volume) error {
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.GroupWorkflowID(groupID),
		TaskQueue:                s.TaskQueue,
		StaticSummary:            contract.GroupSummary("any-of group", groupID, members),
		WorkflowIDReusePolicy:    s.reusePolicy(),
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// without it the SDK answers a second start with the running workflow, as if it had started it
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.GroupHoldWorkflow, contract.GroupInput{GroupID: groupID, Members: members, CancelApprovalDelay: s.CancelApprovalDelay})
	return err
}

// volumes are holds as a parent workflow's input names them.
func volumes(vs []store.SeriesVolume) []contract.Volume {
	out := make([]contract.Volume, len(vs))
	for i, v := range vs {
		out[i] = contract.Volume{HoldID: v.HoldID, TitleID: v.TitleID, Pickup: v.Pickup}
	}
	return out
}

// AlreadyStarted reports whether a start failed because the workflow exists (running or closed).
func AlreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &started)
}

// settings are the service's start settings.
func (s *Service) settings() Settings {
	return Settings{TaskQueue: s.Cfg.TaskQueue, CancelApprovalDelay: s.Cfg.CancelApprovalDelay,
		ClosureBatch: s.Cfg.ClosureBatch, ClosurePause: s.Cfg.ClosurePause}
}

// startHold starts the workflow of a freshly placed hold. The ID is the hold's, so a second start fails.
func (s *Service) startHold(ctx context.Context, h Hold) error {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	return StartHold(ctx, s.Temporal, s.settings(), h)
}

// startSeries starts the series workflow, which runs the volumes' hold workflows as its children.
func (s *Service) startSeries(ctx context.Context, seriesID int64, vols []store.SeriesVolume, convert bool) error {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	return StartSeries(ctx, s.Temporal, s.settings(), seriesID, volumes(vols), convert)
}

// startGroup starts the any-of group's workflow, which runs the members' hold workflows as its children.
func (s *Service) startGroup(ctx context.Context, groupID int64, members []store.SeriesVolume) error {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	return StartGroup(ctx, s.Temporal, s.settings(), groupID, volumes(members))
}

// updateHold sends an Update to a hold's workflow and waits for its result; errors are classified
// (fromWorkflow).
func (s *Service) updateHold(ctx context.Context, holdID int64, name string, arg any) (contract.UpdateResult, error) {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	var args []any
	if arg != nil { // an Update with no payload (resume)
		args = []any{arg}
	}
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   contract.HoldWorkflowID(holdID),
		UpdateName:   name,
		Args:         args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The hold exists (callers read it first) but its workflow has ended: the hold is closed.
		switch name {
		case contract.UpdateCancel:
			return contract.UpdateResult{}, refuse(contract.ErrNotCancellable)
		case contract.UpdateSuspend:
			return contract.UpdateResult{}, refuse(contract.ErrNotSuspendable)
		case contract.UpdateResume:
			return contract.UpdateResult{}, refuse(contract.ErrNotSuspended)
		}
		return contract.UpdateResult{}, refuse(contract.ErrNotChangeable)
	}
	return workflowResult[contract.UpdateResult](ctx, h, err)
}

// workflowResult waits for the result of a started run or a sent update (started, unless err); errors are
// classified (fromWorkflow) and come with a zero result.
func workflowResult[T any](ctx context.Context, started interface {
	Get(ctx context.Context, valuePtr any) error
}, err error) (T, error) {
	var res T
	if err == nil {
		err = started.Get(ctx, &res)
	}
	if err != nil {
		var zero T
		return zero, fromWorkflow(err)
	}
	return res, nil
}
