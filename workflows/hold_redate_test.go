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

// TestHoldDeadlineSkipsClosedDay: at a pickup branch closed on Mondays, a hold contacted on a Tuesday has
// its deadline (the Monday, 1 week counting the contact date) moved to the Tuesday after: the timer the
// workflow arms fires at the end of that Tuesday, not of the Monday.
func TestHoldDeadlineSkipsClosedDay(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 3, 10, 0, 0, 0, loc) // a Tuesday; ready and mailed at +1 s
	closedDay := time.Date(2026, 11, 10, 0, 0, 0, 0, loc)
	env, f := newHoldEnv(t, "web")
	f.cal.Weekly[time.Monday] = true
	env.SetStartTime(start)
	signalAfter(env, time.Second, secured(pickup))
	var onClosedDay contract.HoldState
	env.RegisterDelayedCallback(func() { onClosedDay = queryState(t, env) }, closedDay.Add(time.Hour).Sub(start))

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.Equal(t, domain.StatusReady, onClosedDay.Status, "the hold must not expire at the end of the closed Monday")
	expired := f.callsOf("cancel:expired")
	require.Len(t, expired, 1)
	want := time.Date(2026, 11, 11, 0, 0, 0, 0, loc) // the end of Tuesday 10th
	require.True(t, expired[0].At.Equal(want), "expired at %s, want %s", expired[0].At.In(loc), want)
}

// mockRedate lets the fakeHold take an emergency closing's re-dating as activities.Redate does: a ready
// hold, once per closing, by closure (the closing as the API recorded it) through the calendar cal.
func (f *fakeHold) mockRedate(closure domain.Closure, cal domain.Calendar) {
	acts := &activities.Activities{}
	redated := map[int64]bool{}
	f.env.OnActivity(acts.Redate, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.RedateInput) (contract.Outcome, error) {
		return f.step("redate", in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusReady || redated[in.ClosureID] {
				return "", nil
			}
			old, err := domain.ParseDate(st.Deadline)
			if err != nil {
				return "", err
			}
			redated[in.ClosureID] = true
			nd := closure.Redate(old, cal)
			st.Deadline = nd.String()
			out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: nd.EndIn(f.loc), Deadline: nd.String()}
			return domain.StatusReady, nil
		})
	})
}

// TestHoldRedateMovesExpiryTimer: an emergency closing of the pickup branch re-dates a ready hold through
// the redate Update: the old timer is cancelled and the hold expires at the end of the new deadline (the old
// one plus the closing's open days, moved past the closed days); the same closing sent twice (a retried
// batch) moves it once. Before the hold is ready the validator refuses without running the activity.
func TestHoldRedateMovesExpiryTimer(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc) // ready at +1 s: deadline Sunday 8th
	oldExpiry := time.Date(2026, 11, 9, 0, 0, 0, 0, loc)
	from, to := domain.DateOf(start.AddDate(0, 0, 3), loc), domain.DateOf(start.AddDate(0, 0, 5), loc) // 5th–7th
	closure := domain.Closure{From: from, To: to, OpenDays: 3}
	cal := domain.Calendar{}.CloseDays(from, to)
	env, f := newHoldEnv(t, "web")
	f.mockRedate(closure, cal)
	env.SetStartTime(start)
	var early, first, again *updateOutcome
	req := contract.RedateRequest{ClosureID: 7}
	env.RegisterDelayedCallback(func() { early = sendUpdate(t, env, contract.UpdateRedate, req) }, 500*time.Millisecond)
	signalAfter(env, time.Second, secured(pickup))
	env.RegisterDelayedCallback(func() { first = sendUpdate(t, env, contract.UpdateRedate, req) }, 2*24*time.Hour)
	env.RegisterDelayedCallback(func() { again = sendUpdate(t, env, contract.UpdateRedate, req) }, 2*24*time.Hour+time.Minute)
	var atOldExpiry contract.HoldState
	env.RegisterDelayedCallback(func() { atOldExpiry = queryState(t, env) }, oldExpiry.Add(time.Minute).Sub(start))

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.Equal(t, string(contract.ErrNotReady), appErrType(early.get().rejected), "before ready")
	got := first.get()
	require.NoError(t, got.rejected)
	require.NoError(t, got.err)
	require.NoError(t, again.get().err)
	require.Equal(t, domain.StatusReady, atOldExpiry.Status, "the hold must not expire at its old deadline")
	require.Equal(t, "2026-11-11", atOldExpiry.Deadline, "8th + 3 open days")
	expired := f.callsOf("cancel:expired")
	require.Len(t, expired, 1)
	want := time.Date(2026, 11, 12, 0, 0, 0, 0, loc)
	require.True(t, expired[0].At.Equal(want), "expired at %s, want %s", expired[0].At.In(loc), want)
	require.Equal(t, []string{"approve@0", "copy:secured@1", "notify@2", "redate@2", "redate@3", "cancel:expired@3"}, f.trace())
}
