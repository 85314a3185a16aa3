package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
)

// KeepCancelledDays is how long cancelled and expired holds stay on the patron's list.
const KeepCancelledDays = 7

// ArchiveWorkflow archives holds that no longer belong on patrons' lists. The ArchiveScheduleID
// schedule runs it every hour.
func ArchiveWorkflow(ctx workflow.Context) (contract.ArchiveResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	var res contract.ArchiveResult
	err := workflow.ExecuteActivity(ctx, a.ArchiveHolds, contract.ArchiveInput{KeepDays: KeepCancelledDays}).Get(ctx, &res)
	return res, err
}
