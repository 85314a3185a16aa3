package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/workflows"
)

// TestClosureWorkflowBatches: an emergency closing re-dates its holds batch by batch, pausing between
// batches; a batch whose activity fails (a worker killed) is run again alone, the batches done before are
// not; the patrons are mailed once every batch is done, and the closing is marked complete last.
func TestClosureWorkflowBatches(t *testing.T) {
	env := newTestEnv()
	env.RegisterWorkflow(workflows.ClosureWorkflow)
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	var mu sync.Mutex
	var trace []string
	var batches [][]int64
	var at []time.Time
	failed := false
	record := func(s string) { mu.Lock(); trace = append(trace, s); mu.Unlock() }
	env.OnActivity(acts.ClosureHolds, mock.Anything, int64(9)).Return([]int64{11, 12, 13, 14, 15}, nil)
	env.OnActivity(acts.RedateHolds, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.RedateBatch) (contract.RedateBatchResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if in.HoldIDs[0] == 13 && !failed {
			failed = true
			trace = append(trace, "redate:failed")
			return contract.RedateBatchResult{}, errors.New("worker killed")
		}
		trace = append(trace, "redate")
		batches = append(batches, in.HoldIDs)
		at = append(at, env.Now())
		return contract.RedateBatchResult{Redated: len(in.HoldIDs)}, nil
	})
	env.OnActivity(acts.MailClosure, mock.Anything, int64(9)).Return(func(context.Context, int64) (int, error) { record("mail"); return 3, nil })
	env.OnActivity(acts.CompleteClosure, mock.Anything, int64(9)).Return(func(context.Context, int64) error { record("complete"); return nil })

	env.ExecuteWorkflow(workflows.ClosureWorkflow, contract.ClosureInput{ClosureID: 9, BatchSize: 2, Pause: time.Hour})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contract.ClosureResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, contract.ClosureResult{Holds: 5, Redated: 5, Mailed: 3}, res)
	require.Equal(t, [][]int64{{11, 12}, {13, 14}, {15}}, batches)
	require.Equal(t, []string{"redate", "redate:failed", "redate", "redate", "mail", "complete"}, trace)
	require.GreaterOrEqual(t, at[1].Sub(at[0]), time.Hour, "the pause between batches")
	require.GreaterOrEqual(t, at[2].Sub(at[1]), time.Hour)
}
