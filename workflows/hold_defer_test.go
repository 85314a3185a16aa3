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

// mockDefer lets the fakeHold take 順位の繰下げ as activities.Defer does: a waiting hold finds nobody behind it
// (this fake's queue has no other waiting hold), a ready one passes its copy, as secured on its hold shelf, to
// hold nextHoldID and waits again.
func (f *fakeHold) mockDefer() {
	acts := &activities.Activities{}
	f.env.OnActivity(acts.Defer, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.DeferInput) (contract.Outcome, error) {
		return f.step("defer", in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			switch {
			case !domain.MayDefer(st.Status, st.Barcode != "", st.SeriesID != 0):
				return "", refusal(contract.ErrNotDeferrable, "not deferrable")
			case st.Status == domain.StatusQueued:
				return "", refusal(contract.ErrNobodyBehind, "nobody behind")
			}
			out.Next = &contract.Assignment{HoldID: nextHoldID, Barcode: st.Barcode, Branch: st.CopyBranch, Kind: contract.CopySecured}
			st.Barcode, st.CopyBranch = "", ""
			return domain.StatusQueued, nil
		})
	})
}

// TestHoldDeferPassesReadyCopyAndRequeues: a ready hold that defers hands its copy to the next hold through a
// durable signal, waits again (its pickup-deadline timer stops: it does not expire at the old deadline), and
// a later copy makes it ready again with a second mail and a new deadline. Deferring while nobody waits
// behind is refused by the activity and changes nothing.
func TestHoldDeferPassesReadyCopyAndRequeues(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc) // ready and mailed at +1 s
	oldExpiry := time.Date(2026, 11, 9, 0, 0, 0, 0, loc)
	again := 10 * 24 * time.Hour // a copy comes back for it on 11-12: ready, mailed, expires at the end of 11-18
	newExpiry := time.Date(2026, 11, 19, 0, 0, 0, 0, loc)

	env, f := newHoldEnv(t, "web")
	f.mockDefer()
	env.SetStartTime(start)
	var alone, ready *updateOutcome
	env.RegisterDelayedCallback(func() { alone = sendUpdate(t, env, contract.UpdateDefer, contract.DeferRequest{}) }, 500*time.Millisecond)
	signalAfter(env, time.Second, secured(pickup))
	env.RegisterDelayedCallback(func() { ready = sendUpdate(t, env, contract.UpdateDefer, contract.DeferRequest{}) }, 2*24*time.Hour)
	var atOldExpiry contract.HoldState
	env.RegisterDelayedCallback(func() { atOldExpiry = queryState(t, env) }, oldExpiry.Add(time.Minute).Sub(start))
	signalAfter(env, again, secured(pickup))

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	got := alone.get()
	require.NoError(t, got.rejected)
	require.Equal(t, string(contract.ErrNobodyBehind), appErrType(got.err), "nobody behind: %v", got.err)
	got = ready.get()
	require.NoError(t, got.rejected)
	require.NoError(t, got.err)
	require.Equal(t, domain.StatusQueued, got.result.Status)
	require.Equal(t, domain.StatusQueued, atOldExpiry.Status, "a deferred hold must not expire at its old deadline")

	passed := contract.Assignment{HoldID: nextHoldID, Barcode: barcode, Branch: pickup, Kind: contract.CopySecured}
	require.Equal(t, []sentSignal{{WorkflowID: contract.HoldWorkflowID(nextHoldID), Name: contract.SignalCopy, Arg: passed}}, f.sent())
	require.Equal(t, []string{"approve@0", "defer@1", "copy:secured@1", "notify@2", "defer@2", "copy:secured@3", "notify@4", "cancel:expired@4"}, f.trace())
	notified := f.callsOf("notify")
	require.Len(t, notified, 2, "one mail per ready event")
	require.True(t, notified[1].At.Equal(start.Add(again)), "second mail at %s", notified[1].At.In(loc))
	expired := f.callsOf("cancel:expired")
	require.Len(t, expired, 1)
	require.True(t, expired[0].At.Equal(newExpiry), "Cancel(expired) ran at %s, want %s", expired[0].At.In(loc), newExpiry)
}
