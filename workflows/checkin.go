package workflows

import (
	"go.temporal.io/sdk/workflow"

	"yoyaku/activities"
)

// CheckinWorkflow is the short workflow behind a check-in scan (or a new copy): it allocates the copy in one
// transaction and hands it to the chosen hold with a durable signal. Its ID comes from the scan's request ID.
func CheckinWorkflow(ctx workflow.Context, in activities.CheckinInput) (activities.CheckinResult, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	if in.NewCopy {
		err := workflow.ExecuteLocalActivity(lctx, a.RegisterCopy, activities.NewCopyInput{
			TitleID: in.TitleID, Barcode: in.Barcode, Branch: in.Branch, StaffID: in.StaffID,
		}).Get(lctx, nil)
		if err != nil {
			return activities.CheckinResult{}, err
		}
	}
	var res activities.CheckinResult
	if err := workflow.ExecuteLocalActivity(lctx, a.Checkin, in).Get(lctx, &res); err != nil {
		return activities.CheckinResult{}, err
	}
	if res.Next != nil {
		if err := workflow.SignalExternalWorkflow(ctx, HoldWorkflowID(res.Next.HoldID), "", SignalCopy, *res.Next).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("signal hold", "hold", res.Next.HoldID, "error", err)
		}
	}
	return res, nil
}
