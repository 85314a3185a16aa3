package workflows

import (
	"errors"
	"time"

	"yoyaku/contract"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// How a hold's triggers survive a database that is slow or gone for longer than a transition's local
// activity (12 s): the approval, copy signals, the approval of a cancellation request, the pickup-deadline
// expiry and a series volume's proceed. Each trigger is held by the workflow until its transition has
// committed: commit runs the transition again and again, releasing the workflow's mutex between attempts so
// that staff Updates are served meanwhile, and backs off — a few short sleeps first, then a regular activity,
// AwaitHold, that Temporal's server retries (at most 12 s an attempt, at most 10 s apart) until the hold's
// locks can be taken again. A long outage therefore adds a handful of events to the history, not one per
// attempt, and a step happens within about 30 s of the database coming back. Only a refusal for good (a
// business rule said no) drops a trigger.
const (
	// ChangeRetryApproval: the first transition (approval, or the resume of a converted hold) is retried
	// instead of failing the run. Version 1 retried with sleeps only; version 2 is commit's full backoff.
	ChangeRetryApproval = "retry-approval"
	// ChangeRetryTriggers: every later trigger is retried instead of being dropped after one failure.
	ChangeRetryTriggers = "retry-triggers"
	// ChangeExpiryRereadsDeadline: an expiry checks the armed deadline again before it closes the hold (an
	// extension may have moved it); runs recorded before it expire as they did.
	ChangeExpiryRereadsDeadline = "expiry-rereads-deadline"
)

// awaitOptions: each attempt of AwaitHold waits at most 12 s for the hold's locks; the server retries it,
// at most 10 s apart, for as long as it takes.
var awaitOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 12 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second,
	},
}

// shortTries is how many failed attempts are followed by a plain sleep before commit waits on AwaitHold.
const shortTries = 3

// commit runs transition f under the workflow's mutex until it commits (see above). change is the
// GetVersion change ID that guards the retry: runs recorded before it gave up after the first failure.
func (w *holdWorkflow) commit(ctx workflow.Context, change string, f func(lctx workflow.Context) (contract.Outcome, error)) error {
	for attempt := 0; ; attempt++ {
		err := w.locked(ctx, f)
		if err == nil || refusedForGood(err) {
			return err
		}
		latest := workflow.Version(1) // ChangeRetryTriggers 1 and ChangeRetryApproval 2 are commit's backoff
		if change == ChangeRetryApproval {
			latest = 2
		}
		version := workflow.GetVersion(ctx, change, workflow.DefaultVersion, latest)
		if version == workflow.DefaultVersion {
			return err
		}
		w.log.Warn("hold transition failed, retrying", "hold", w.in.HoldID, "attempt", attempt+1, "error", err)
		if change == ChangeRetryApproval && version == 1 {
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.NonRetryable() {
				return err // as those runs did
			}
			// Approvals recorded before the full backoff: sleeps only, spread over 5 s by the hold's ID.
			wait := min(time.Second<<min(attempt, 4), 10*time.Second) + time.Duration(w.in.HoldID%5000)*time.Millisecond
			if err := workflow.Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		if err := w.backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// backoff waits before attempt+1 is retried. A burst of holds failing together (a bestseller's title lock,
// a failover) does not come back at once: each waits a little more, by its ID.
func (w *holdWorkflow) backoff(ctx workflow.Context, attempt int) error {
	spread := time.Duration(w.in.HoldID%1000) * time.Millisecond
	if attempt < shortTries {
		return workflow.Sleep(ctx, min(time.Second<<attempt, 10*time.Second)+spread)
	}
	// Wait on the server's retries, not ours: nothing is added to the history while the database is away.
	var tries int
	actx := workflow.WithActivityOptions(ctx, awaitOptions)
	if err := workflow.ExecuteActivity(actx, a.AwaitHold, w.in.HoldID).Get(actx, &tries); err != nil {
		switch {
		case temporal.IsCanceledError(err):
			return err
		case refusedForGood(err):
			return nil // the hold's row is gone: the transition's own refusal will say so
		}
		// Its retries ran out (an operator's policy, a test environment's cap): wait our own way instead.
		w.log.Warn("waiting for the hold's locks failed", "hold", w.in.HoldID, "error", err)
	}
	if tries > 1 {
		return nil // the database was away and is back: go at once
	}
	// The database answers, yet the transition fails (a fault that outlives any outage): wait twice as long
	// each round, up to an hour, so the trigger is kept without filling the history. A timer's duration is
	// not part of what replay compares.
	return workflow.Sleep(ctx, min(10*time.Second<<min(attempt-shortTries, 9), time.Hour)+spread)
}

// refusedForGood reports whether err ends a trigger: a business refusal (a non-retryable application error
// other than a stale transition, after which locked has reloaded the state and the trigger is tried again
// against it), or the workflow being cancelled.
func refusedForGood(err error) bool {
	if temporal.IsCanceledError(err) {
		return true
	}
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable() && appErr.Type() != string(contract.ErrStale)
}
