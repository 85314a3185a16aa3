package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
)

// closureBatch is how many holds one activity of a closing re-dates: each completed batch is recorded in
// the history, so a worker that dies re-runs at most one batch (and that one resumes from its heartbeat).
const closureBatch = 50

var closureOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	HeartbeatTimeout:    10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
	},
}

// ClosureWorkflow carries out an emergency closing of a branch (臨時休館), recorded by the API with the list
// of ready holds to re-date: it sends each hold's workflow the redate Update, in batches, then mails each
// affected patron their new deadlines once, and marks the closing complete. It is durable: a closing of a
// branch with thousands of ready holds finishes even if the worker dies half-way.
func ClosureWorkflow(ctx workflow.Context, in contract.ClosureInput) (contract.ClosureResult, error) {
	o := closureOptions
	o.Summary = "list the ready holds to re-date"
	var holds []int64
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), a.ClosureHolds, in.ClosureID).Get(ctx, &holds); err != nil {
		return contract.ClosureResult{}, err
	}
	res := contract.ClosureResult{Holds: len(holds)}
	size := in.BatchSize
	if size <= 0 {
		size = closureBatch
	}
	for start := 0; start < len(holds); start += size {
		if start > 0 && in.Pause > 0 {
			if err := workflow.Sleep(ctx, in.Pause); err != nil {
				return res, err
			}
		}
		batch := holds[start:min(start+size, len(holds))]
		o.Summary = "re-date ready holds " + strconv.Itoa(start+1) + "–" + strconv.Itoa(start+len(batch)) + " of " + strconv.Itoa(len(holds))
		var br contract.RedateBatchResult
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), a.RedateHolds,
			contract.RedateBatch{ClosureID: in.ClosureID, HoldIDs: batch}).Get(ctx, &br)
		if err != nil {
			return res, err
		}
		res.Redated += br.Redated
	}
	o.Summary = "mail each affected patron the new deadlines"
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), a.MailClosure, in.ClosureID).Get(ctx, &res.Mailed); err != nil {
		return res, err
	}
	o.Summary = "mark the closing complete"
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), a.CompleteClosure, in.ClosureID).Get(ctx, nil); err != nil {
		return res, err
	}
	return res, nil
}
