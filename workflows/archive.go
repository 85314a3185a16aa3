package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"yoyaku/activities"
)

// a is how workflows name activities: a nil pointer whose methods the SDK resolves by name.
var a *activities.Activities

// KeepCancelledDays is how long cancelled and expired holds stay on the patron's list.
const KeepCancelledDays = 7

// ArchiveWorkflow archives holds that no longer belong on patrons' lists. The ArchiveScheduleID
// schedule runs it every hour.
func ArchiveWorkflow(ctx workflow.Context) (activities.ArchiveResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	var res activities.ArchiveResult
	err := workflow.ExecuteActivity(ctx, a.ArchiveHolds, activities.ArchiveInput{KeepDays: KeepCancelledDays}).Get(ctx, &res)
	return res, err
}
