package workflows

import (
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// 順位の繰下げ: the patron lets the next active hold in line go first. The activity does the whole move in
// its transaction; a hold that held a copy (確認待ち, 利用可能) is queued again and its outcome carries the
// copy's hand-over to the next hold (out.Next, signalled by apply). apply also stops the pickup-deadline
// timer of a hold that is no longer ready, and a later copy makes it ready again with a new mail. Only runs
// that receive this Update record its commands, so existing histories replay unchanged (no version guard).

func (w *holdWorkflow) validateDefer(contract.DeferRequest) error {
	if !domain.MayDefer(w.st.Status, w.st.Barcode != "", w.st.SeriesID != 0) {
		return refusal(contract.ErrNotDeferrable, "only a hold waiting, set aside (確認待ち) or on the hold shelf can let the next go first")
	}
	return nil
}

func (w *holdWorkflow) deferHold(ctx workflow.Context, _ contract.DeferRequest) (contract.UpdateResult, error) {
	return transit(w, ctx, func(s contract.Step) contract.DeferInput {
		return contract.DeferInput{Step: s}
	}, a.Defer)
}
