package workflows_test

import (
	"cmp"
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

// mockExtend lets the fakeHold take 取置延長 as activities.Extend does: a ready hold, once, and only while
// nobody waits (othersWaiting stands for the queue the real activity reads); the new expiry is the old
// deadline (from the contact at notify) plus 7 days, at the end of that day. It takes takes of the
// workflow's clock (a database slow to answer).
func (f *fakeHold) mockExtend(othersWaiting bool, takes time.Duration) {
	acts := &activities.Activities{}
	call := f.env.OnActivity(acts.Extend, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ExtendInput) (contract.Outcome, error) {
		notified := f.callsOf("notify")
		return f.step("extend", in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			switch {
			case st.Status != domain.StatusReady:
				return "", refusal(contract.ErrNotReady, "not ready")
			case st.Extended:
				return "", refusal(contract.ErrAlreadyExtended, "extended already")
			case othersWaiting:
				return "", refusal(contract.ErrOthersWaiting, "others wait")
			}
			deadline := domain.PickupDeadline(domain.DateOf(notified[0].At, f.loc))
			expires, _ := domain.ExtendedExpiry(deadline, f.env.Now(), f.loc, 0)
			st.Extended = true
			out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: expires}
			return domain.StatusReady, nil
		})
	})
	if takes > 0 {
		call.After(takes)
	}
}

// TestHoldExtendMovesExpiryTimer: a ready hold the patron extends expires 7 days later than it would have,
// and not before (the old timer is cancelled); a second extension is refused by the validator, and one
// refused by the activity (others waiting) leaves the old timer running. Before the hold is ready the
// validator refuses not_ready without running the activity. An extension asked a minute before the old
// deadline whose activity takes two minutes (the timer fires meanwhile) still moves the expiry: the hold
// does not expire at the old deadline (the chaos day found it did, with PostgreSQL frozen).
func TestHoldExtendMovesExpiryTimer(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc) // ready and mailed at +1 s
	expiry := time.Date(2026, 11, 9, 0, 0, 0, 0, loc) // end of D+6
	extended := expiry.AddDate(0, 0, 7)
	cases := []struct {
		name       string
		others     bool
		wantExpiry time.Time
		wantTrace  []string
		wantErr    domain.Code   // of the first extension, when it fails in the activity
		firstAt    time.Duration // when the first extension is asked (default: 2 days after start)
		takes      time.Duration // how long the Extend activity takes
	}{
		{name: "nobody waits", wantExpiry: extended,
			wantTrace: []string{"approve@0", "copy:secured@1", "notify@2", "extend@2", "cancel:expired@3"}},
		{name: "asked as the deadline passes", firstAt: expiry.Add(-time.Minute).Sub(start), takes: 2 * time.Minute, wantExpiry: extended,
			wantTrace: []string{"approve@0", "copy:secured@1", "notify@2", "extend@2", "cancel:expired@3"}},
		// both extensions reach the activity (the hold is not extended), which refuses them: no transition
		{name: "others wait", others: true, wantExpiry: expiry, wantErr: contract.ErrOthersWaiting,
			wantTrace: []string{"approve@0", "copy:secured@1", "notify@2", "extend@2", "extend@2", "cancel:expired@2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newHoldEnv(t, "web")
			f.mockExtend(tc.others, tc.takes)
			firstAt := cmp.Or(tc.firstAt, 2*24*time.Hour)
			env.SetStartTime(start)
			var early, first, second *updateOutcome
			env.RegisterDelayedCallback(func() { early = sendUpdate(t, env, contract.UpdateExtend, contract.ExtendRequest{}) }, time.Millisecond*500)
			signalAfter(env, time.Second, secured(pickup))
			env.RegisterDelayedCallback(func() { first = sendUpdate(t, env, contract.UpdateExtend, contract.ExtendRequest{}) }, firstAt)
			env.RegisterDelayedCallback(func() { second = sendUpdate(t, env, contract.UpdateExtend, contract.ExtendRequest{}) }, firstAt+24*time.Hour)
			var atOldExpiry contract.HoldState
			env.RegisterDelayedCallback(func() { atOldExpiry = queryState(t, env) }, expiry.Add(time.Minute).Sub(start))

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

			require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
			got := early.get()
			require.Equal(t, string(contract.ErrNotReady), appErrType(got.rejected), "before ready: %v", got.rejected)
			got = first.get()
			require.NoError(t, got.rejected)
			if tc.wantErr != "" {
				require.Equal(t, string(tc.wantErr), appErrType(got.err), "first extension: %v", got.err)
			} else {
				require.NoError(t, got.err)
				require.Equal(t, domain.StatusReady, got.result.Status)
				require.Equal(t, domain.StatusReady, atOldExpiry.Status, "the hold must not expire at its old deadline")
				got = second.get()
				require.Equal(t, string(contract.ErrAlreadyExtended), appErrType(got.rejected), "second extension: %v", got.rejected)
			}
			expired := f.callsOf("cancel:expired")
			require.Len(t, expired, 1)
			require.True(t, expired[0].At.Equal(tc.wantExpiry), "Cancel(expired) ran at %s, want %s", expired[0].At.In(loc), tc.wantExpiry)
			require.Equal(t, tc.wantTrace, f.trace())
			require.Len(t, f.callsOf("notify"), 1, "an extension sends no mail")
		})
	}
}
