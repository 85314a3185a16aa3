package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// HoldWorkflow owns one hold's lifecycle, from 予約申込 to pick-up, expiry or cancellation. It is the only
// writer of the hold's status: every transition is one local activity (a short PostgreSQL transaction guarded
// by the hold's transition counter). A hold waiting in a queue for months does nothing and records nothing:
// it wakes on a copy signal, a staff scan (an Update) or its pickup-deadline timer.
func HoldWorkflow(ctx workflow.Context, in contract.HoldInput) (contract.HoldResult, error) {
	w := &holdWorkflow{in: in, st: contract.HoldState{HoldID: in.HoldID, Status: domain.StatusRequested}}
	if err := w.setup(ctx); err != nil {
		return contract.HoldResult{}, err
	}
	return w.run(ctx)
}

type holdWorkflow struct {
	in        contract.HoldInput
	st        contract.HoldState
	mu        workflow.Mutex
	log       log.Logger
	copyCh    workflow.ReceiveChannel // copy assignments, in order
	proceedCh workflow.ReceiveChannel // a series volume may be able to leave 準備中
	otherCh   workflow.ReceiveChannel // another member of the hold's any-of group was served

	approveCancel bool      // a cancellation request waits for approval
	converted     bool      // the run ends to hand the hold over to a series hold
	notify        bool      // the hold became ready: tell the patron
	expired       bool      // the pickup deadline passed
	expiresAt     time.Time // the pickup deadline the timer was last armed for
	stopTimer     workflow.CancelFunc
	susp          suspension // the timer of a suspension (hold_suspend.go)
}

// localOptions bound a transition to well under the API's 15 s Temporal timeout, so a desk waiting on an
// Update gets an answer.
var localOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout:    5 * time.Second,
	ScheduleToCloseTimeout: 12 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second,
	},
}

var notifyOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
	},
}

func (w *holdWorkflow) setup(ctx workflow.Context) error {
	w.mu = workflow.NewMutex(ctx)
	w.log = workflow.GetLogger(ctx)
	w.setDetails(ctx)
	if err := workflow.SetQueryHandler(ctx, contract.QueryState, func() (contract.HoldState, error) { return w.st, nil }); err != nil {
		return err
	}
	// Signals stay in their channels until the main loop takes them (no goroutine receives early), so a run
	// that ends can still see every copy signal it was sent.
	w.copyCh = workflow.GetSignalChannel(ctx, contract.SignalCopy)
	w.proceedCh = workflow.GetSignalChannel(ctx, contract.SignalProceed)
	w.otherCh = workflow.GetSignalChannel(ctx, contract.SignalOtherEdition)
	updates := []struct {
		name     string
		handler  any
		validate any
	}{
		{contract.UpdatePull, w.scan(a.Pull), w.validatePull},
		{contract.UpdateMissing, w.scan(a.Missing), w.validatePull},
		{contract.UpdateReceive, w.scan(a.Receive), w.validateReceive},
		{contract.UpdateCheckout, w.checkout, w.validateCheckout},
		{contract.UpdateCancel, w.cancel, w.validateCancel},
		{contract.UpdateChangePickup, w.changePickup, w.validateChangePickup},
		{contract.UpdateContacted, w.staff(a.Contacted), w.validateContacted},
		// Added after histories were recorded: a new handler adds no command to existing runs, so no version guard.
		{contract.UpdateCall, w.call, w.validateCall},
		{contract.UpdateOrder, w.staff(a.Order), w.validateInvestigating},
		{contract.UpdateILL, w.staff(a.ILL), w.validateInvestigating},
		{contract.UpdateArrived, w.arrived, w.validateArrived},
		{contract.UpdateConvert, w.convert, w.validateConvert},
		{contract.UpdateSuspend, w.suspend, w.validateSuspend},
		{contract.UpdateResume, w.resume, w.validateResume},
		{contract.UpdateExtend, w.extend, w.validateExtend},  // hold_extend.go
		{contract.UpdateDefer, w.deferHold, w.validateDefer}, // hold_defer.go
		{contract.UpdateRedate, w.redate, w.validateRedate},  // hold_redate.go
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validate}); err != nil {
			return err
		}
	}
	return nil
}

func (w *holdWorkflow) run(ctx workflow.Context) (contract.HoldResult, error) {
	first := func(lctx workflow.Context) (contract.Outcome, error) {
		var out contract.Outcome
		if !w.in.Resume {
			err := workflow.ExecuteLocalActivity(summarized(lctx, "approve: take a free copy or join the queue"), a.Approve, w.step()).Get(lctx, &out)
			return out, err
		}
		// A converted hold: this run takes over from the one that ended; its state is in PostgreSQL.
		var st contract.HoldState
		if err := workflow.ExecuteLocalActivity(summarized(lctx, "load the hold"), a.Load, w.in.HoldID).Get(lctx, &st); err != nil {
			return out, err
		}
		w.setState(ctx, st) // search attributes and the series learn the real status at once
		err := workflow.ExecuteLocalActivity(summarized(lctx, "resume as a series volume"), a.Resume, w.step()).Get(lctx, &out)
		return out, err
	}
	if err := w.commit(ctx, ChangeRetryApproval, first); err != nil {
		return contract.HoldResult{}, err
	}
	for !w.closed() && !w.converted {
		if err := workflow.Await(ctx, func() bool {
			return w.closed() || w.converted || w.copyCh.Len() > 0 || w.approveCancel || w.notify || w.expired || w.proceedCh.Len() > 0 ||
				w.otherCh.Len() > 0
		}); err != nil {
			return contract.HoldResult{}, err
		}
		var err error
		switch {
		case w.closed():
		case w.copyCh.Len() > 0:
			err = w.applyCopy(ctx)
		case w.converted:
		case w.approveCancel:
			if w.in.CancelApprovalDelay > 0 {
				if err := workflow.Sleep(ctx, w.in.CancelApprovalDelay); err != nil {
					return contract.HoldResult{}, err
				}
			}
			err = w.closeHold(ctx, domain.StatusCancelRequested, contract.CancelInput{Reason: domain.CancelPatron})
			w.approveCancel = false
		case w.notify:
			w.notify = false
			err = w.tellPatron(ctx)
		case w.expired:
			err = w.expire(ctx)
			w.expired = false
		case w.proceedCh.Len() > 0:
			w.proceedCh.ReceiveAsync(nil)
			err = w.commit(ctx, ChangeRetryTriggers, func(lctx workflow.Context) (contract.Outcome, error) {
				var out contract.Outcome
				err := workflow.ExecuteLocalActivity(summarized(lctx, "series volume: may it go on?"), a.Proceed, w.step()).Get(lctx, &out)
				return out, err
			})
		case w.otherCh.Len() > 0:
			// Added with any-of groups: runs recorded before never received this signal, so no version guard.
			for w.otherCh.ReceiveAsync(nil) {
			}
			err = w.commit(ctx, ChangeRetryTriggers, func(lctx workflow.Context) (contract.Outcome, error) {
				var out contract.Outcome
				err := workflow.ExecuteLocalActivity(summarized(lctx, "any-of group served: end as other_edition"), a.EndOtherEdition, w.step()).Get(lctx, &out)
				return out, err
			})
		}
		if err != nil {
			if temporal.IsCanceledError(err) {
				return contract.HoldResult{}, err
			}
			// Only a refusal for good (or, in runs recorded before ChangeRetryTriggers, a failure past the
			// local activity's retries) ends up here: the trigger is dropped and operators see why.
			w.log.Error("hold transition failed", "hold", w.in.HoldID, "error", err)
		}
	}
	for w.converted && w.copyCh.Len() > 0 {
		// Copy signals that came with the convert Update are applied before the hand-over: the volume's next
		// run could not tell a returned copy from one on a shelf.
		if err := w.applyCopy(ctx); err != nil {
			w.log.Error("apply copy before hand-over", "hold", w.in.HoldID, "error", err)
		}
	}
	// A member of an any-of group closed by other means (or ended at its approval) may still be told that
	// another edition was provided: moot now.
	for w.otherCh.ReceiveAsync(nil) {
	}
	// Finish what handlers are doing before completing; copy signals left to a closed hold are moot:
	// closing it released its copy to the next hold in the same transaction.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return contract.HoldResult{}, err
	}
	return contract.HoldResult{Status: w.st.Status, Converted: w.converted}, nil
}

// applyCopy takes the next copy signal and applies it, retrying until the transition commits.
func (w *holdWorkflow) applyCopy(ctx workflow.Context) error {
	var as contract.Assignment
	w.copyCh.ReceiveAsync(&as)
	return w.commit(ctx, ChangeRetryTriggers, func(lctx workflow.Context) (contract.Outcome, error) {
		var out contract.Outcome
		err := workflow.ExecuteLocalActivity(summarized(lctx, "apply copy "+as.Barcode+" ("+string(as.Kind)+" at "+as.Branch+")"), a.ApplyCopy, contract.CopyInput{Step: w.step(), Assignment: as}).Get(lctx, &out)
		return out, err
	})
}

func (w *holdWorkflow) closed() bool { return !w.st.Status.Open() }

func (w *holdWorkflow) step() contract.Step {
	return contract.Step{HoldID: w.in.HoldID, Transition: w.st.Transition}
}

// locked runs one transition under the workflow's mutex, so that updates, signals and timers never
// interleave their transitions, and applies its outcome.
func (w *holdWorkflow) locked(ctx workflow.Context, f func(lctx workflow.Context) (contract.Outcome, error)) error {
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	out, err := f(lctx)
	if err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == string(contract.ErrStale) {
			var st contract.HoldState
			if lerr := workflow.ExecuteLocalActivity(summarized(lctx, "reload the hold (stale transition)"), a.Load, w.in.HoldID).Get(lctx, &st); lerr == nil {
				w.apply(ctx, contract.Outcome{State: st}) // notifies if the hold turned out to be ready
			}
		}
		return err
	}
	w.apply(ctx, out)
	return nil
}

// apply takes an outcome in: new state, search attributes, the next hold's signal, notification, timer.
func (w *holdWorkflow) apply(ctx workflow.Context, out contract.Outcome) {
	before := w.st
	w.setState(ctx, out.State)
	if out.Next != nil {
		// Durable hand-over of a released copy: the signal is recorded in this history and retried by the
		// server until the next hold's workflow has it.
		err := workflow.SignalExternalWorkflow(ctx, contract.HoldWorkflowID(out.Next.HoldID), "", contract.SignalCopy, *out.Next).Get(ctx, nil)
		if err != nil {
			w.log.Error("signal next hold", "hold", out.Next.HoldID, "error", err)
		}
	}
	if w.st.Status == domain.StatusReady && (before.Status != domain.StatusReady || before.Barcode != w.st.Barcode) {
		w.notify = true
	}
	if w.st.Status != domain.StatusReady && w.stopTimer != nil {
		w.stopTimer()
		w.stopTimer = nil
	}
	if out.Contact != nil && out.Contact.Contacted {
		w.armTimer(ctx, out.Contact.ExpiresAt)
	}
}

func (w *holdWorkflow) setState(ctx workflow.Context, st contract.HoldState) {
	before := w.st
	w.st = st
	if parent := workflow.GetInfo(ctx).ParentWorkflowExecution; parent != nil && st.Status != before.Status {
		// A volume tells its series hold, which lets the next volume go on once this one is ready or closed;
		// a member of an any-of group tells its group, which ends the other members once this one is served.
		err := workflow.SignalExternalWorkflow(ctx, parent.ID, "", contract.SignalVolume, contract.VolumeProgress{HoldID: st.HoldID, Status: st.Status}).Get(ctx, nil)
		if err != nil {
			w.log.Error("signal series", "series", parent.ID, "error", err)
		}
	}
	w.setDetails(ctx)
	var sa []temporal.SearchAttributeUpdate
	if st.Status != before.Status {
		// In the same upsert as the status (a command existing runs already have): replay does not compare
		// the attributes an upsert carries.
		sa = append(sa, contract.StatusKey.ValueSet(string(st.Status)), contract.StatusSinceKey.ValueSet(workflow.Now(ctx)))
	}
	if st.Pickup != before.Pickup && st.Pickup != "" {
		sa = append(sa, contract.PickupBranchKey.ValueSet(st.Pickup))
	}
	if len(sa) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, sa...); err != nil {
			w.log.Error("upsert search attributes", "error", err)
		}
	}
}

// tellPatron notifies the patron (a normal activity: SMTP may be slow or down) and starts the pickup-deadline
// timer once the patron counts as contacted.
func (w *holdWorkflow) tellPatron(ctx workflow.Context) error {
	at := w.step()
	var res contract.NotifyResult
	o := notifyOptions
	o.Summary = "ready notice: mail to the patron's chosen addresses, or the call list at " + w.st.Pickup
	actx := workflow.WithActivityOptions(ctx, o)
	if err := workflow.ExecuteActivity(actx, a.Notify, at).Get(actx, &res); err != nil {
		return err
	}
	if res.Contacted && w.st.Status == domain.StatusReady && w.st.Transition == at.Transition {
		w.st.Deadline = res.Deadline
		w.setDetails(ctx)
		w.armTimer(ctx, res.ExpiresAt)
	}
	return nil
}

// armTimer (re)starts the pickup-deadline timer.
func (w *holdWorkflow) armTimer(ctx workflow.Context, expiresAt time.Time) {
	if w.stopTimer != nil {
		w.stopTimer()
	}
	tctx, cancel := workflow.WithCancel(ctx)
	w.stopTimer, w.expiresAt = cancel, expiresAt
	d := expiresAt.Sub(workflow.Now(ctx))
	if d < 0 {
		d = 0
	}
	timer := workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: "pickup deadline " + w.st.Deadline})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if err := timer.Get(ctx, nil); err == nil {
			w.expired = true
		}
	})
}

// expire closes a ready hold whose pickup deadline passed. The deadline is read again at each attempt: a
// timer that fired while an extension (取置延長) was committing — the database frozen, say — must not expire
// the hold that extension just gave a later deadline; the re-armed timer expires it then. (A second of slack:
// a timer may fire a moment before the deadline it was armed for.)
func (w *holdWorkflow) expire(ctx workflow.Context) error {
	reread := workflow.GetVersion(ctx, ChangeExpiryRereadsDeadline, workflow.DefaultVersion, 1) == 1
	return w.commit(ctx, ChangeRetryTriggers, func(lctx workflow.Context) (contract.Outcome, error) {
		early := reread && workflow.Now(lctx).Before(w.expiresAt.Add(-time.Second))
		if w.st.Status != domain.StatusReady || early {
			return contract.Outcome{State: w.st}, nil
		}
		in := contract.CancelInput{Step: w.step(), Reason: domain.CancelExpired}
		var out contract.Outcome
		err := workflow.ExecuteLocalActivity(summarized(lctx, "expire: pickup deadline "+w.st.Deadline+" passed"), a.Cancel, in).Get(lctx, &out)
		return out, err
	})
}

// closeHold runs the approval of a cancellation request, or the expiry, if the hold is still in from.
func (w *holdWorkflow) closeHold(ctx workflow.Context, from domain.Status, in contract.CancelInput) error {
	return w.commit(ctx, ChangeRetryTriggers, func(lctx workflow.Context) (contract.Outcome, error) {
		if w.st.Status != from {
			return contract.Outcome{State: w.st}, nil
		}
		in.Step = w.step()
		var out contract.Outcome
		err := workflow.ExecuteLocalActivity(summarized(lctx, "cancel ("+string(in.Reason)+")"), a.Cancel, in).Get(lctx, &out)
		return out, err
	})
}
