package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/workflows"
)

// Unit tests of GroupHoldWorkflow (いずれか予約) with real HoldWorkflow members and mocked activities. groupRows
// stands for the PostgreSQL rows: each title's queue is [the group's member, otherHold], and allocation
// (returnCopy, what the check-in's activity does in store.NextWaiting and store.Assign) gives a returned copy
// to the first waiting hold whose group is not decided for another member, deciding the group for the member
// it serves.

const (
	groupID   int64 = 88
	memberA   int64 = 21 // title 501
	memberB   int64 = 22 // title 502
	otherHold int64 = 99 // another patron's hold behind the members on both titles (its workflow is not in the test)
)

// groupRows extends the series tests' volumeRows (the rows, their transitions, the calls per hold) with
// the group's decision and the copies allocation gave out.
type groupRows struct {
	*volumeRows
	served int64                           // the member the group was decided for (hold_groups.served_hold_id)
	given  map[string]int64                // copy barcode → the hold allocation gave it to
	sent   map[int64][]contract.Assignment // copy signals to holds outside the test (otherHold)
}

// returnCopy is a copy of title returned at the pickup branch: allocation gives it to the first hold in the
// title's queue that may take it and signals that hold's workflow, as the check-in does.
func (g *groupRows) returnCopy(title int64, barcode string) {
	g.mu.Lock()
	to := otherHold
	for _, id := range []int64{memberA, memberB} {
		row := g.rows[id]
		if row.TitleID != title || row.Status != domain.StatusQueued || row.Barcode != "" {
			continue
		}
		if g.served == 0 || g.served == id { // ClaimGroup under the group's row lock
			g.served, to = id, id
			row.Barcode = barcode // Assign
		}
	}
	g.given[barcode] = to
	g.mu.Unlock()
	as := contract.Assignment{HoldID: to, Barcode: barcode, Branch: pickup, Kind: contract.CopySecured}
	if to == otherHold {
		g.mu.Lock()
		g.sent[to] = append(g.sent[to], as)
		g.mu.Unlock()
		return
	}
	require.NoError(g.t, g.env.SignalWorkflowByID(contract.HoldWorkflowID(to), contract.SignalCopy, as))
}

func (g *groupRows) mockActivities(env *testsuite.TestWorkflowEnvironment) {
	var acts *activities.Activities
	env.OnActivity(acts.Approve, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.Outcome, error) {
		return g.step("approve", s, func(*contract.HoldState) domain.Status { return domain.StatusQueued })
	})
	env.OnActivity(acts.ApplyCopy, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CopyInput) (contract.Outcome, error) {
		return g.step("copy", in.Step, func(st *contract.HoldState) domain.Status {
			if st.Status != domain.StatusQueued || st.Barcode != in.Assignment.Barcode {
				return ""
			}
			st.CopyBranch = pickup
			return domain.StatusReady
		})
	})
	env.OnActivity(acts.EndOtherEdition, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.Outcome, error) {
		return g.step("other_edition", s, func(st *contract.HoldState) domain.Status {
			if !st.Status.Open() || st.Barcode != "" || g.served == 0 || g.served == st.HoldID {
				return ""
			}
			return domain.StatusCancelled
		})
	})
	env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(contract.NotifyResult{Contacted: false}, nil) // call list: no deadline
	env.OnActivity(acts.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CheckoutInput) (contract.Outcome, error) {
		return g.step("checkout", in.Step, func(st *contract.HoldState) domain.Status {
			if st.Status != domain.StatusReady || st.Barcode != in.Barcode {
				return ""
			}
			return domain.StatusFulfilled
		})
	})
}

// TestGroupServesOneAndPassesTheOtherCopyOn: copies of both members' titles come back in the same instant.
// The first allocation decides the group for member A; the second finds it decided and gives its copy to the
// next hold in line on title 502. A becomes ready, and the group tells B, which ends as other_edition at once;
// B never takes a copy. A is lent later; the group ends with its members.
func TestGroupServesOneAndPassesTheOtherCopyOn(t *testing.T) {
	env := newTestEnv()
	env.SetStartTime(seriesStart)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.GroupWorkflowID(groupID)})
	env.RegisterWorkflow(workflows.GroupHoldWorkflow)
	env.RegisterWorkflow(workflows.HoldWorkflow)
	env.RegisterActivity(&activities.Activities{})
	g := &groupRows{volumeRows: &volumeRows{t: t, env: env, rows: map[int64]*contract.HoldState{}, calls: map[int64][]string{}},
		given: map[string]int64{}, sent: map[int64][]contract.Assignment{}}
	members := []contract.Volume{{HoldID: memberA, TitleID: titleID, Pickup: pickup}, {HoldID: memberB, TitleID: titleID + 1, Pickup: pickup}}
	for _, m := range members {
		g.rows[m.HoldID] = &contract.HoldState{HoldID: m.HoldID, PatronID: patronID, TitleID: m.TitleID, Status: domain.StatusRequested, Pickup: pickup, Origin: "web"}
	}
	g.mockActivities(env)
	var stray []sentSignal
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, runID, name string, arg any) error {
			g.mu.Lock()
			defer g.mu.Unlock()
			stray = append(stray, sentSignal{workflowID, runID, name, arg})
			return nil
		})
	h := time.Hour
	env.RegisterDelayedCallback(func() {
		g.returnCopy(titleID, "A-1")   // the same instant: two check-ins, one after the other in the
		g.returnCopy(titleID+1, "B-1") // database (the group row's lock orders them)
	}, h)
	env.RegisterDelayedCallback(func() {
		err := env.UpdateWorkflowByID(contract.HoldWorkflowID(memberA), contract.UpdateCheckout, "lend", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("checkout rejected: %v", err) },
			OnComplete: func(_ any, err error) {
				if err != nil {
					t.Errorf("checkout failed: %v", err)
				}
			},
		}, contract.CheckoutRequest{Barcode: "A-1", Branch: pickup, PatronID: patronID, StaffID: staffID})
		require.NoError(t, err)
	}, 2*h)

	env.ExecuteWorkflow(workflows.GroupHoldWorkflow, contract.GroupInput{GroupID: groupID, Members: members})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contract.GroupResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, []domain.Status{domain.StatusFulfilled, domain.StatusCancelled}, res.Statuses)
	g.mu.Lock()
	defer g.mu.Unlock()
	require.Equal(t, map[string]int64{"A-1": memberA, "B-1": otherHold}, g.given, "one copy to the patron, the other to the next hold")
	require.Len(t, g.sent[otherHold], 1)
	require.Equal(t, []string{"approve@0+0s", "copy@1+1h0m0s", "checkout@2+2h0m0s"}, g.calls[memberA])
	require.Equal(t, []string{"approve@0+0s", "other_edition@1+1h0m0s"}, g.calls[memberB], "B ends as soon as A is served")
	require.Empty(t, stray, "the group signals only its running members")
}
