package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// Suspension (休止): a waiting hold is paused until a date and is active again at the start of that day (a
// durable timer), or at once when the patron resumes it. While suspended the hold keeps its place but takes
// no copy (allocation only serves 'queued' holds) and has no position.

// suspension is the timer of the hold's current suspension.
type suspension struct {
	stop workflow.CancelFunc // stops the timer (the patron resumed)
	gen  int                 // counts suspensions: a timer of an earlier one never ends a later one
}

func (w *holdWorkflow) validateSuspend(r contract.SuspendRequest) error {
	if !domain.MaySuspend(w.st.Status, w.st.Barcode != "") {
		return refusal(contract.ErrNotSuspendable, "only a hold waiting for a copy (返却待ち, 順番待ち) can be suspended")
	}
	if _, err := domain.ParseDate(r.Until); err != nil {
		return refusal(contract.ErrInvalidDate, "the date is not YYYY-MM-DD")
	}
	return nil // the activity checks the date against today in the library's time zone
}

// suspend pauses the hold and arms the timer that ends the suspension.
func (w *holdWorkflow) suspend(ctx workflow.Context, r contract.SuspendRequest) (contract.UpdateResult, error) {
	var resumeAt *time.Time
	err := w.locked(ctx, func(lctx workflow.Context) (contract.Outcome, error) {
		var out contract.Outcome
		err := workflow.ExecuteLocalActivity(summarized(lctx, "suspend until "+r.Until), a.Suspend, contract.SuspendInput{Step: w.step(), Until: r.Until}).Get(lctx, &out)
		resumeAt = out.ResumeAt
		return out, err
	})
	if err == nil && w.st.Status == domain.StatusSuspended && resumeAt != nil {
		w.armResume(ctx, *resumeAt)
	}
	return contract.UpdateResult{Status: w.st.Status}, err
}

// armResume starts the timer that makes the suspended hold active again at at.
func (w *holdWorkflow) armResume(ctx workflow.Context, at time.Time) {
	if w.susp.stop != nil {
		w.susp.stop()
	}
	w.susp.gen++
	gen := w.susp.gen
	tctx, cancel := workflow.WithCancel(ctx)
	w.susp.stop = cancel
	d := max(at.Sub(workflow.Now(ctx)), 0)
	timer := workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: "end of suspension " + w.st.SuspendedUntil})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if err := timer.Get(ctx, nil); err != nil {
			return // stopped: the patron resumed the hold
		}
		// Held until it commits, like every trigger; a hold no longer in this suspension is left alone.
		err := w.commit(ctx, ChangeRetryTriggers, func(lctx workflow.Context) (contract.Outcome, error) {
			if w.st.Status != domain.StatusSuspended || w.susp.gen != gen {
				return contract.Outcome{State: w.st}, nil
			}
			var out contract.Outcome
			err := workflow.ExecuteLocalActivity(summarized(lctx, "suspension ended: active again"), a.Reactivate, contract.ResumeInput{Step: w.step(), Timer: true}).Get(lctx, &out)
			return out, err
		})
		if err != nil {
			w.log.Error("end of suspension failed", "hold", w.in.HoldID, "error", err)
		}
	})
}

func (w *holdWorkflow) validateResume() error {
	if w.st.Status != domain.StatusSuspended {
		return refusal(contract.ErrNotSuspended, "the hold is not suspended")
	}
	return nil
}

// resume ends the suspension now: the hold waits again at its place (or takes a free copy) and the timer stops.
func (w *holdWorkflow) resume(ctx workflow.Context) (contract.UpdateResult, error) {
	res, err := transit(w, ctx, func(s contract.Step) contract.ResumeInput { return contract.ResumeInput{Step: s} }, a.Reactivate)
	if err == nil && w.st.Status != domain.StatusSuspended && w.susp.stop != nil {
		w.susp.stop()
		w.susp.stop = nil
	}
	return res, err
}
