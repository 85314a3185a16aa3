package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// SeriesHoldWorkflow is a series hold (シリーズ予約): the parent of its volumes' hold workflows, which it runs
// as children. Each volume decides in PostgreSQL whether it is gated (準備中) and keeps its own queue place;
// the parent's job is to wake the later volumes when an earlier one becomes ready or closes. It ends when
// every volume has ended.
//
// For a conversion of existing holds, each hold's running workflow first ends its run as converted (an
// Update sent by an activity), and the parent starts the volume's new run under the same workflow ID.
func SeriesHoldWorkflow(ctx workflow.Context, in contract.SeriesInput) (contract.SeriesResult, error) {
	log := workflow.GetLogger(ctx)
	var left []int64
	if in.Convert {
		// Retried until done: a refusal is final (non-retryable), and a retry after the hand-over went through
		// finds the run closed and succeeds. Giving up half-way would leave a hold with no workflow.
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
		})
		kept := in.Volumes[:0:0]
		for _, v := range in.Volumes {
			err := workflow.ExecuteActivity(actx, a.Convert, contract.ConvertInput{
				HoldID: v.HoldID,
			}).Get(ctx, nil)
			if err != nil {
				log.Warn("volume could not join the series", "hold", v.HoldID, "error", err)
				left = append(left, v.HoldID)
				continue
			}
			kept = append(kept, v)
		}
		in.Volumes = kept
	}
	status := make(map[int64]domain.Status, len(in.Volumes))
	order := make([]int64, len(in.Volumes))
	sel := workflow.NewSelector(ctx)
	open := 0
	for i, v := range in.Volumes {
		order[i] = v.HoldID
		f := workflow.ExecuteChildWorkflow(holdChild(ctx, v), HoldWorkflow, contract.HoldInput{HoldID: v.HoldID, Resume: in.Convert, CancelApprovalDelay: in.CancelApprovalDelay})
		open++
		sel.AddFuture(f, func(f workflow.Future) {
			open--
			var res contract.HoldResult
			if err := f.Get(ctx, &res); err != nil {
				log.Error("volume ended with an error", "hold", v.HoldID, "error", err)
				res.Status = domain.StatusCancelled
			}
			status[v.HoldID] = res.Status
			wakeLater(ctx, order, status, v.HoldID)
		})
	}
	// Holds that moved on (in transit, ready) before they could hand over leave the series and go on alone,
	// so they gate nobody. That comes after the converted volumes' new runs were started: a failure here must
	// never leave a handed-over hold without a workflow.
	for _, id := range left {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
		})
		if err := workflow.ExecuteActivity(actx, a.LeaveSeries, id).Get(ctx, nil); err != nil {
			log.Error("hold could not leave its series", "hold", id, "error", err)
		}
	}
	volCh := workflow.GetSignalChannel(ctx, contract.SignalVolume)
	sel.AddReceive(volCh, func(c workflow.ReceiveChannel, _ bool) {
		var p contract.VolumeProgress
		c.Receive(ctx, &p)
		status[p.HoldID] = p.Status
		switch {
		case p.Status == domain.StatusReady || !p.Status.Open():
			wakeLater(ctx, order, status, p.HoldID)
		case p.Status == domain.StatusPreparing && earlierDone(order, status, p.HoldID):
			// it gated itself while an earlier volume was just becoming ready: let it look again
			signalProceed(ctx, p.HoldID)
		}
	})
	for open > 0 {
		sel.Select(ctx)
	}
	for volCh.ReceiveAsync(nil) { // progress of volumes that have ended changes nothing now
	}
	res := contract.SeriesResult{Statuses: make([]domain.Status, len(order))}
	for i, id := range order {
		res.Statuses[i] = status[id]
	}
	return res, nil
}

// holdChild runs hold v's workflow as a child (of a series hold or an any-of group).
func holdChild(ctx workflow.Context, v contract.Volume) workflow.Context {
	return workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            contract.HoldWorkflowID(v.HoldID),
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// A child is a patron's hold in its own right: it outlives an operator's termination of its parent.
		ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     contract.HoldSummary(v.HoldID, v.TitleID, v.Pickup, "web"),
		StaticDetails:     contract.HoldDetails(v.HoldID, v.TitleID, v.Pickup, "web"),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contract.StatusKey.ValueSet(string(domain.StatusRequested)),
			contract.PickupBranchKey.ValueSet(v.Pickup),
			contract.TitleIDKey.ValueSet(idString(v.TitleID)),
			contract.OriginKey.ValueSet("web"),
			contract.StatusSinceKey.ValueSet(workflow.Now(ctx)),
		),
	})
}

// wakeLater asks every later volume that may be 準備中 to check whether it may go on.
func wakeLater(ctx workflow.Context, order []int64, status map[int64]domain.Status, after int64) {
	later := false
	for _, id := range order {
		if later && (status[id] == "" || status[id] == domain.StatusPreparing) {
			signalProceed(ctx, id)
		}
		later = later || id == after
	}
}

// earlierDone reports whether every volume before id is known to be ready or closed.
func earlierDone(order []int64, status map[int64]domain.Status, id int64) bool {
	for _, o := range order {
		if o == id {
			return true
		}
		if s := status[o]; s != domain.StatusReady && (s == "" || s.Open()) {
			return false
		}
	}
	return true
}

func signalProceed(ctx workflow.Context, holdID int64) {
	if err := workflow.SignalExternalWorkflow(ctx, contract.HoldWorkflowID(holdID), "", contract.SignalProceed, nil).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("wake volume", "hold", holdID, "error", err)
	}
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
