package workflows

import (
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// 取置延長: the patron moves a ready hold's pickup deadline 7 days later, once. The validator refuses what the
// workflow's state already rules out; the activity checks again in its transaction, and also that nobody
// waits for the title. Its outcome carries the new expiry, and apply re-arms the pickup-deadline timer with
// it. Only runs that receive this Update record its commands, so existing histories replay unchanged.

func (w *holdWorkflow) validateExtend(contract.ExtendRequest) error {
	switch {
	case w.st.Status != domain.StatusReady:
		return refusal(contract.ErrNotReady, "the hold is not ready for pickup")
	case w.st.Extended:
		return refusal(contract.ErrAlreadyExtended, "the hold was extended once already")
	}
	return nil
}

func (w *holdWorkflow) extend(ctx workflow.Context, _ contract.ExtendRequest) (contract.UpdateResult, error) {
	return transit(w, ctx, func(s contract.Step) contract.ExtendInput {
		return contract.ExtendInput{Step: s}
	}, a.Extend)
}
