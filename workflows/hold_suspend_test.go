package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/workflows"
)

// mockSuspend mocks activities.Suspend and Reactivate the way the real ones decide: only a waiting hold with
// no copy is suspended, until a day after today and at most 90 days ahead (Tokyo), and the outcome says
// when it is active again; Reactivate puts a suspended hold back in the queue.
func (f *fakeHold) mockSuspend(acts *activities.Activities) {
	f.env.OnActivity(acts.Suspend, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.SuspendInput) (contract.Outcome, error) {
		out, err := f.step("suspend", in.Step, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusQueued || st.Barcode != "" {
				return "", refusal(contract.ErrNotSuspendable, "not waiting")
			}
			d, err := domain.SuspendUntil(in.Until, domain.DateOf(f.env.Now(), f.loc))
			if err != nil {
				return "", refusal(contract.ErrInvalidDate, err.Error())
			}
			st.SuspendedUntil = d.String()
			return domain.StatusSuspended, nil
		})
		if err == nil && out.State.Status == domain.StatusSuspended {
			d, _ := domain.ParseDate(out.State.SuspendedUntil)
			at := d.StartIn(f.loc)
			out.ResumeAt = &at
		}
		return out, err
	})
	f.env.OnActivity(acts.Reactivate, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ResumeInput) (contract.Outcome, error) {
		op := "unsuspend"
		if in.Timer {
			op = "unsuspend:timer"
		}
		return f.step(op, in.Step, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusSuspended {
				return "", refusal(contract.ErrNotSuspended, "not suspended")
			}
			st.SuspendedUntil = ""
			return domain.StatusQueued, nil
		})
	})
}

// TestHoldSuspensionEndsByItsTimer: a waiting hold suspended until a date is active again by itself at the
// start of that day in Tokyo (15:00 UTC the day before), not a moment earlier; while suspended it refuses a
// second suspension and, once active again, a resume. A copy returned then reaches it as before.
func TestHoldSuspensionEndsByItsTimer(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 12, 4, 23, 30, 0, 0, loc) // late evening: the Tokyo date, not UTC's, counts
	env, f := newHoldEnv(t, "web")
	f.mockSuspend(&activities.Activities{})
	env.SetStartTime(start)
	until := "2026-12-08"
	resumeAt := time.Date(2026, 12, 8, 0, 0, 0, 0, loc)

	var suspended, again, tooFar, twice, notSuspended *updateOutcome
	var before, after contract.HoldState
	env.RegisterDelayedCallback(func() {
		tooFar = sendUpdate(t, env, contract.UpdateSuspend, contract.SuspendRequest{Until: "2027-03-05"}) // 91 days
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		suspended = sendUpdate(t, env, contract.UpdateSuspend, contract.SuspendRequest{Until: until})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		twice = sendUpdate(t, env, contract.UpdateSuspend, contract.SuspendRequest{Until: "2026-12-10"})
	}, 3*time.Minute)
	env.RegisterDelayedCallback(func() { before = queryState(t, env) }, resumeAt.Sub(start)-time.Second)
	env.RegisterDelayedCallback(func() {
		after = queryState(t, env)
		notSuspended = sendUpdate(t, env, contract.UpdateResume, nil)
	}, resumeAt.Sub(start)+time.Second)
	signalAfter(env, resumeAt.Sub(start)+time.Hour, secured(pickup))
	env.RegisterDelayedCallback(func() {
		again = sendUpdate(t, env, contract.UpdateCheckout, contract.CheckoutRequest{Barcode: barcode, Branch: pickup, PatronID: patronID, StaffID: staffID})
	}, resumeAt.Sub(start)+2*time.Hour)

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusFulfilled, holdResult(t, env).Status)
	require.Equal(t, string(contract.ErrInvalidDate), appErrType(tooFar.get().err), "91 days ahead")
	got := suspended.get()
	require.NoError(t, got.err)
	require.Equal(t, domain.StatusSuspended, got.result.Status)
	require.Equal(t, string(contract.ErrNotSuspendable), appErrType(twice.get().rejected), "a suspended hold is not suspended again")
	require.Equal(t, domain.StatusSuspended, before.Status, "1 s before the day starts in Tokyo")
	require.Equal(t, until, before.SuspendedUntil)
	require.Equal(t, domain.StatusQueued, after.Status, "1 s after")
	require.Equal(t, string(contract.ErrNotSuspended), appErrType(notSuspended.get().rejected))
	resumed := f.callsOf("unsuspend:timer")
	require.Len(t, resumed, 1)
	require.True(t, resumed[0].At.Equal(resumeAt), "the suspension ended at %s, want %s", resumed[0].At.In(loc), resumeAt)
	require.NoError(t, again.get().err)
	require.Equal(t, []string{"approve@0", "suspend@1", "suspend@1", "unsuspend:timer@2", "copy:secured@3", "notify@4", "checkout@4"}, f.trace())
}

// TestHoldSuspensionEndsByResume: the patron resumes a suspended hold before its day: it waits again at once
// and the suspension's timer is stopped, so nothing happens on the day; a later suspension gets its own timer.
func TestHoldSuspensionEndsByResume(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, loc)
	env, f := newHoldEnv(t, "web")
	f.mockSuspend(&activities.Activities{})
	env.SetStartTime(start)
	day := 24 * time.Hour

	var suspended, resumed, second, cancelled *updateOutcome
	var afterResume, afterFirstDay contract.HoldState
	env.RegisterDelayedCallback(func() {
		suspended = sendUpdate(t, env, contract.UpdateSuspend, contract.SuspendRequest{Until: "2026-12-18"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		resumed = sendUpdate(t, env, contract.UpdateResume, nil)
	}, 2*day)
	env.RegisterDelayedCallback(func() { afterResume = queryState(t, env) }, 2*day+time.Second)
	env.RegisterDelayedCallback(func() {
		second = sendUpdate(t, env, contract.UpdateSuspend, contract.SuspendRequest{Until: "2027-01-10"})
	}, 3*day)
	env.RegisterDelayedCallback(func() { afterFirstDay = queryState(t, env) }, 15*day) // 2026-12-19: past the first date
	env.RegisterDelayedCallback(func() {
		cancelled = sendUpdate(t, env, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelStaff, StaffID: staffID})
	}, 16*day)

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.NoError(t, suspended.get().err)
	got := resumed.get()
	require.NoError(t, got.err)
	require.Equal(t, domain.StatusQueued, got.result.Status)
	require.Equal(t, domain.StatusQueued, afterResume.Status)
	require.Empty(t, afterResume.SuspendedUntil)
	require.NoError(t, second.get().err)
	require.Equal(t, domain.StatusSuspended, afterFirstDay.Status, "the first suspension's timer was stopped: it never ends the second")
	require.Equal(t, "2027-01-10", afterFirstDay.SuspendedUntil)
	require.NoError(t, cancelled.get().err)
	require.Empty(t, f.callsOf("unsuspend:timer"))
	resumes := f.callsOf("unsuspend")
	require.Len(t, resumes, 1)
	require.True(t, resumes[0].At.Equal(start.Add(2*day)))
	require.Equal(t, []string{"approve@0", "suspend@1", "unsuspend@2", "suspend@3", "cancel:staff@4"}, f.trace())
}
