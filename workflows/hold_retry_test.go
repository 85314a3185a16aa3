package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/workflows"
)

// TestHoldTriggerOutlastingItsRetriesIsNotLost: every trigger of a hold — the approval, a copy signal, the
// approval of a cancellation request, the pickup-deadline expiry and a series volume's proceed — meets a
// transition that fails for far longer than its local activity may retry (12 s), as when PostgreSQL is frozen
// or a row is locked. The step must happen exactly once, in order, within 30 s of the fault's end, and the
// hold must serve staff Updates meanwhile.
func TestHoldTriggerOutlastingItsRetriesIsNotLost(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc)
	expiry := time.Date(2026, 11, 9, 0, 0, 0, 0, loc) // the week of a patron contacted on 2 Nov
	cases := []struct {
		name      string
		setup     func(env testEnv, f *fakeHold)
		fault     outage
		op        string // the transition the fault delays
		wantTrace []string
		want      domain.Status
	}{
		{
			name:  "approval, the whole database frozen for 2 minutes",
			fault: outage{from: start, until: start.Add(2 * time.Minute)}, op: "approve",
			setup:     func(env testEnv, f *fakeHold) { staffCancelAt(env, time.Hour) },
			wantTrace: []string{"approve@0", "cancel:staff@1"}, want: domain.StatusCancelled,
		},
		{
			name:  "copy signal from a check-in, staff change the pickup place meanwhile",
			fault: outage{ops: []string{"copy:secured"}, from: start.Add(time.Minute), until: start.Add(3 * time.Minute)}, op: "copy:secured",
			setup: func(env testEnv, f *fakeHold) {
				signalAfter(env.TestWorkflowEnvironment, time.Minute, secured(pickup))
				env.RegisterDelayedCallback(func() {
					u := sendUpdate(env.t, env.TestWorkflowEnvironment, contract.UpdateChangePickup, contract.PickupRequest{Branch: otherBranch, StaffID: staffID})
					env.RegisterDelayedCallback(func() {
						got := u.get()
						require.True(env.t, got.completed, "the pickup change waited for the failing copy transition")
						require.NoError(env.t, got.err)
					}, time.Second)
				}, 2*time.Minute)
				staffCancelAt(env, time.Hour)
			},
			wantTrace: []string{"approve@0", "pickup@1", "copy:secured@2", "cancel:staff@3"}, want: domain.StatusCancelled,
		},
		{
			name:  "approval of a cancellation request",
			fault: outage{ops: []string{"cancel:patron"}, from: start.Add(3 * time.Minute), until: start.Add(4 * time.Minute)}, op: "cancel:patron",
			setup: func(env testEnv, f *fakeHold) {
				env.RegisterDelayedCallback(func() {
					sendUpdate(env.t, env.TestWorkflowEnvironment, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelPatron})
				}, 3*time.Minute)
			},
			wantTrace: []string{"approve@0", "cancel_request@1", "cancel:patron@2"}, want: domain.StatusCancelled,
		},
		{
			name:  "expiry of the pickup deadline",
			fault: outage{ops: []string{"cancel:expired"}, from: expiry, until: expiry.Add(5 * time.Minute)}, op: "cancel:expired",
			setup:     func(env testEnv, f *fakeHold) { signalAfter(env.TestWorkflowEnvironment, time.Second, secured(pickup)) },
			wantTrace: []string{"approve@0", "copy:secured@1", "notify@2", "cancel:expired@2"}, want: domain.StatusCancelled,
		},
		{
			name:  "a series volume's proceed",
			fault: outage{ops: []string{"proceed"}, from: start.Add(time.Minute), until: start.Add(3 * time.Minute)}, op: "proceed",
			setup: func(env testEnv, f *fakeHold) {
				f.approveTo = domain.StatusPreparing
				mockResume(env.TestWorkflowEnvironment, f, false)
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalProceed, nil) }, time.Minute)
				staffCancelAt(env, time.Hour)
			},
			wantTrace: []string{"approve@0", "proceed@1", "cancel:staff@2"}, want: domain.StatusCancelled,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newHoldEnv(t, "web")
			env.SetStartTime(start)
			mockChangePickup(env, f)
			f.outage = tc.fault
			tc.setup(testEnv{env, t}, f)

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

			t.Logf("failed attempts %v, AwaitHold attempts %d", f.failed, f.awaits)
			require.Equal(t, tc.want, holdResult(t, env).Status)
			require.Equal(t, tc.wantTrace, f.trace(), "each step exactly once, in order")
			f.mu.Lock()
			failed, awaits := f.failed[tc.op], f.awaits
			f.mu.Unlock()
			require.Greater(t, failed, 8, "the fault must outlast the local activity's own retries")
			require.GreaterOrEqual(t, awaits, 2, "a long fault is waited out on AwaitHold, retried by the server")
			done := f.callsOf(tc.op)
			require.Len(t, done, 1)
			require.False(t, done[0].At.Before(tc.fault.until), "%s ran at %s, during the fault", tc.op, done[0].At.In(loc))
			require.LessOrEqual(t, done[0].At.Sub(tc.fault.until), 30*time.Second, "%s ran %s after the fault ended", tc.op, done[0].At.Sub(tc.fault.until))
		})
	}
}

// TestHoldRefusedTriggerIsNotRetried: a transition refused for good (a business rule said no) drops its
// trigger at once: the expiry of a hold already picked up is not tried again.
func TestHoldRefusedTriggerIsNotRetried(t *testing.T) {
	env, f := newHoldEnv(t, "web")
	f.approveTo = domain.StatusPreparing
	var acts *activities.Activities
	refusals := 0
	env.OnActivity(acts.Proceed, mock.Anything, mock.Anything).Return(func(context.Context, contract.Step) (contract.Outcome, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		refusals++
		return contract.Outcome{}, refusal(contract.ErrNotChangeable, "no")
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalProceed, nil) }, time.Minute)
	staffCancelAt(testEnv{env, t}, time.Hour)

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.Equal(t, 1, refusals)
	require.Zero(t, f.awaits)
}

// testEnv carries the test with its environment into the cases' setup.
type testEnv struct {
	*testsuite.TestWorkflowEnvironment
	t *testing.T
}

func staffCancelAt(env testEnv, d time.Duration) {
	env.RegisterDelayedCallback(func() {
		sendUpdate(env.t, env.TestWorkflowEnvironment, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelStaff, StaffID: staffID})
	}, d)
}

// mockChangePickup adds ChangePickup to a fakeHold's activities: the place changes, a transition of its own.
func mockChangePickup(env *testsuite.TestWorkflowEnvironment, f *fakeHold) {
	var acts *activities.Activities
	env.OnActivity(acts.ChangePickup, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.PickupInput) (contract.Outcome, error) {
		return f.step("pickup", in.Step, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			st.Pickup = in.Branch
			return st.Status, nil
		})
	})
}
