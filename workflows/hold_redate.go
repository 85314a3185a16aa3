package workflows

import (
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// 臨時休館: an emergency closing of the pickup branch moves a ready hold's pickup deadline (the closing's
// workflow sends this Update to each hold on the branch's shelf). The activity decides in its transaction,
// once per closing; its outcome carries the new expiry, and apply re-arms the timer. Only runs that receive
// this Update record its commands, so existing histories replay unchanged.

func (w *holdWorkflow) validateRedate(contract.RedateRequest) error {
	if w.st.Status != domain.StatusReady {
		return refusal(contract.ErrNotReady, "the hold is not ready for pickup")
	}
	return nil
}

func (w *holdWorkflow) redate(ctx workflow.Context, r contract.RedateRequest) (contract.UpdateResult, error) {
	return transit(w, ctx, func(s contract.Step) contract.RedateInput {
		return contract.RedateInput{Step: s, ClosureID: r.ClosureID}
	}, a.Redate)
}
