package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// Update handlers of HoldWorkflow. Validators only read the workflow's state: they refuse what cannot fit
// at once, without a history event, so the desk gets an immediate, precise answer. The activity checks again
// inside its transaction, against PostgreSQL.

func refusal(code domain.Code, msg string) error {
	return temporal.NewApplicationError(msg, string(code))
}

func (w *holdWorkflow) validatePull(r contract.ScanRequest) error {
	if w.st.Status != domain.StatusAwaitingPull || w.st.Barcode != r.Barcode || w.st.CopyBranch != r.Branch {
		return refusal(contract.ErrNotOnPullList, "this copy is not on this branch's pull list for the hold")
	}
	return nil
}

func (w *holdWorkflow) validateReceive(r contract.ScanRequest) error {
	if w.st.Status != domain.StatusInTransit || w.st.Barcode != r.Barcode || w.st.Pickup != r.Branch {
		return refusal(contract.ErrNotExpectedHere, "this copy is not expected at this branch")
	}
	return nil
}

func (w *holdWorkflow) validateCheckout(r contract.CheckoutRequest) error {
	if w.st.Barcode != r.Barcode {
		return refusal(contract.ErrNotAvailable, "this copy is not the hold's")
	}
	switch {
	case w.st.Status == domain.StatusReady && r.PatronID != w.st.PatronID:
		return refusal(contract.ErrHeldForAnother, "this copy is held for another patron")
	case w.st.Status == domain.StatusReady, w.st.Status == domain.StatusAwaitingPull:
		return nil
	}
	return refusal(contract.ErrNotAvailable, "this copy cannot be lent now")
}

func (w *holdWorkflow) validateCancel(r contract.CancelRequest) error {
	switch {
	case !w.st.Status.Open():
		return refusal(contract.ErrNotCancellable, "the hold is already closed")
	case r.Reason == domain.CancelPatron && !domain.PatronMayChange(w.st.Status, w.st.Origin):
		return refusal(contract.ErrNotCancellable, "this hold cannot be cancelled online")
	case r.Reason != domain.CancelPatron && r.Reason != domain.CancelStaff:
		return refusal(contract.ErrBadRequest, "unknown cancellation reason")
	}
	return nil
}

func (w *holdWorkflow) validateChangePickup(r contract.PickupRequest) error {
	switch {
	case r.StaffID == 0 && !domain.PatronMayChange(w.st.Status, w.st.Origin):
		return refusal(contract.ErrNotChangeable, "this hold cannot be changed online")
	case !w.st.Status.Open() || w.st.Status == domain.StatusReady:
		return refusal(contract.ErrNotChangeable, "this hold can no longer be changed")
	}
	return nil
}

func (w *holdWorkflow) validateContacted(contract.StaffRequest) error {
	if w.st.Status != domain.StatusReady {
		return refusal(contract.ErrNotChangeable, "the hold is not ready")
	}
	return nil
}

func (w *holdWorkflow) validateCall(r contract.CallRequest) error {
	switch {
	case !r.Outcome.Valid():
		return refusal(contract.ErrBadRequest, "unknown call outcome")
	case w.st.Status != domain.StatusReady:
		return refusal(contract.ErrNotChangeable, "the hold is not ready")
	}
	return nil
}

func (w *holdWorkflow) validateInvestigating(contract.StaffRequest) error {
	if w.st.Status != domain.StatusInvestigating {
		return refusal(contract.ErrNotChangeable, "the hold is not being investigated")
	}
	return nil
}

func (w *holdWorkflow) validateArrived(contract.ArrivedRequest) error {
	if w.st.Status != domain.StatusInvestigating && w.st.Status != domain.StatusOnOrder {
		return refusal(contract.ErrNotChangeable, "the hold is not waiting for a purchase or an inter-library loan")
	}
	return nil
}

// transit runs activity fn with the input built by in (called under the lock, with the current step) and
// answers the update.
func transit[I any](w *holdWorkflow, ctx workflow.Context, fn func(contract.Step) I, activity any) (contract.UpdateResult, error) {
	var res contract.UpdateResult
	err := w.locked(ctx, func(lctx workflow.Context) (contract.Outcome, error) {
		var out contract.Outcome
		summary := "update"
		if u := workflow.GetCurrentUpdateInfo(ctx); u != nil {
			summary = "update " + u.Name // pull, checkout, cancel, ...: what staff or the patron asked for
		}
		err := workflow.ExecuteLocalActivity(summarized(lctx, summary), activity, fn(w.step())).Get(lctx, &out)
		res = contract.UpdateResult{Routing: out.Routing, Loan: out.Loan}
		return out, err
	})
	res.Status = w.st.Status
	return res, err
}

// scan is the handler of a copy scan's update (pull, missing, receive) that runs activity.
func (w *holdWorkflow) scan(activity any) func(workflow.Context, contract.ScanRequest) (contract.UpdateResult, error) {
	return func(ctx workflow.Context, r contract.ScanRequest) (contract.UpdateResult, error) {
		return transit(w, ctx, func(s contract.Step) contract.ScanInput {
			return contract.ScanInput{Step: s, Barcode: r.Barcode, Branch: r.Branch, StaffID: r.StaffID}
		}, activity)
	}
}

func (w *holdWorkflow) checkout(ctx workflow.Context, r contract.CheckoutRequest) (contract.UpdateResult, error) {
	return transit(w, ctx, func(s contract.Step) contract.CheckoutInput {
		return contract.CheckoutInput{Step: s, Barcode: r.Barcode, Branch: r.Branch, PatronID: r.PatronID, StaffID: r.StaffID}
	}, a.Checkout)
}

// cancel: a patron's request becomes 取消申込 now and is approved by the main loop; staff cancel at once.
func (w *holdWorkflow) cancel(ctx workflow.Context, r contract.CancelRequest) (contract.UpdateResult, error) {
	in := func(s contract.Step) contract.CancelInput {
		return contract.CancelInput{Step: s, Reason: r.Reason, NoteID: r.NoteID, Note: r.Note, StaffID: r.StaffID}
	}
	if r.Reason == domain.CancelPatron {
		res, err := transit(w, ctx, in, a.RequestCancel)
		if err == nil && w.st.Status == domain.StatusCancelRequested {
			w.approveCancel = true
		}
		return res, err
	}
	return transit(w, ctx, in, a.Cancel)
}

func (w *holdWorkflow) changePickup(ctx workflow.Context, r contract.PickupRequest) (contract.UpdateResult, error) {
	return transit(w, ctx, func(s contract.Step) contract.PickupInput {
		return contract.PickupInput{Step: s, Branch: r.Branch, StaffID: r.StaffID}
	}, a.ChangePickup)
}

// staff is the handler of a staff member's update that carries nothing else (contacted, order, ILL) and
// runs activity.
func (w *holdWorkflow) staff(activity any) func(workflow.Context, contract.StaffRequest) (contract.UpdateResult, error) {
	return func(ctx workflow.Context, r contract.StaffRequest) (contract.UpdateResult, error) {
		return transit(w, ctx, func(s contract.Step) contract.StaffInput {
			return contract.StaffInput{Step: s, StaffID: r.StaffID}
		}, activity)
	}
}

// call records a phone call and its outcome; when the patron then counts as contacted the outcome carries
// the deadline and apply arms the timer.
func (w *holdWorkflow) call(ctx workflow.Context, r contract.CallRequest) (contract.UpdateResult, error) {
	return transit(w, ctx, func(s contract.Step) contract.CallInput {
		return contract.CallInput{Step: s, Outcome: r.Outcome, StaffID: r.StaffID}
	}, a.Call)
}

func (w *holdWorkflow) arrived(ctx workflow.Context, r contract.ArrivedRequest) (contract.UpdateResult, error) {
	return transit(w, ctx, func(s contract.Step) contract.ArrivedInput {
		return contract.ArrivedInput{Step: s, TitleID: r.TitleID, Barcode: r.Barcode, Branch: r.Branch, StaffID: r.StaffID, Shelf: r.Shelf}
	}, a.Arrived)
}

func (w *holdWorkflow) validateConvert() error {
	switch {
	case w.st.Origin != "web" || w.st.ILL:
		return refusal(contract.ErrNotChangeable, "counter and inter-library-loan holds cannot join a series online")
	case w.st.Status != domain.StatusQueued && w.st.Status != domain.StatusAwaitingPull && w.st.Status != domain.StatusRequested:
		return refusal(contract.ErrNotChangeable, "the hold is already on its way")
	}
	return nil
}

// convert ends this run once the main loop sees the flag; the series hold then starts the volume's new run.
func (w *holdWorkflow) convert(ctx workflow.Context) error {
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	if err := w.validateConvert(); err != nil { // the state may have moved since validation
		return err
	}
	w.converted = true
	return nil
}
