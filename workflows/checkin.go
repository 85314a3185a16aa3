package workflows

import (
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
)

// CheckinWorkflow is the short workflow behind a check-in scan (or a new copy): it allocates the copy in one
// transaction and hands it to the chosen hold with a durable signal. Its ID comes from the scan's request ID.
func CheckinWorkflow(ctx workflow.Context, in contract.CheckinInput) (contract.CheckinResult, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	if in.NewCopy {
		err := workflow.ExecuteLocalActivity(lctx, a.RegisterCopy, contract.NewCopyInput{
			TitleID: in.TitleID, Barcode: in.Barcode, Branch: in.Branch, StaffID: in.StaffID, Shelf: in.Shelf,
		}).Get(lctx, nil)
		if err != nil {
			return contract.CheckinResult{}, err
		}
	}
	var res contract.CheckinResult
	if err := workflow.ExecuteLocalActivity(lctx, a.Checkin, in).Get(lctx, &res); err != nil {
		return contract.CheckinResult{}, err
	}
	if res.Next != nil {
		if err := workflow.SignalExternalWorkflow(ctx, contract.HoldWorkflowID(res.Next.HoldID), "", contract.SignalCopy, *res.Next).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("signal hold", "hold", res.Next.HoldID, "error", err)
		}
	}
	return res, nil
}
