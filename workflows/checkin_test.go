package workflows_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/workflows"
)

// TestCheckinWorkflow: a check-in allocates the copy (Checkin activity) and, when a hold got it, signals that
// hold's workflow with the assignment; a new copy is registered first, and a refused registration allocates
// nothing.
func TestCheckinWorkflow(t *testing.T) {
	const titleID, newBarcode = int64(501), "1000077777"
	toHold := &contract.Assignment{HoldID: 77, Barcode: newBarcode, Branch: "chuo", Kind: contract.CopySecured}
	cases := []struct {
		name        string
		in          contract.CheckinInput
		registerErr error
		result      contract.CheckinResult
		wantCalls   []string
		wantSignals []sentSignal
		wantErr     string // ApplicationError type of the workflow's failure
	}{
		{
			name: "return goes to a hold at this branch",
			in:   contract.CheckinInput{Barcode: newBarcode, Branch: "chuo", StaffID: 7},
			result: contract.CheckinResult{
				Routing: contract.Routing{Action: contract.RouteHoldShelf, HoldID: 77}, Next: toHold,
			},
			wantCalls:   []string{"checkin"},
			wantSignals: []sentSignal{{WorkflowID: "hold-77", Name: contract.SignalCopy, Arg: *toHold}},
		},
		{
			name:      "return reshelved: nobody waits",
			in:        contract.CheckinInput{Barcode: newBarcode, Branch: "kita", StaffID: 7},
			result:    contract.CheckinResult{Routing: contract.Routing{Action: contract.RouteReshelve}},
			wantCalls: []string{"checkin"},
		},
		{
			name: "new copy is registered, then allocated",
			in: contract.CheckinInput{TitleID: titleID, Barcode: newBarcode, Branch: "chuo", StaffID: 7, NewCopy: true,
				Shelf: contract.Shelf{CallNumber: "913.6/ナ", ShelfLocation: "一般書架"}},
			result: contract.CheckinResult{
				Routing: contract.Routing{Action: contract.RouteTransit, HoldID: 77, ToBranch: "kita"}, Next: toHold,
			},
			wantCalls:   []string{"register_copy", "checkin"},
			wantSignals: []sentSignal{{WorkflowID: contract.HoldWorkflowID(77), Name: contract.SignalCopy, Arg: *toHold}},
		},
		{
			name:        "new copy whose barcode belongs to another title",
			in:          contract.CheckinInput{TitleID: titleID, Barcode: newBarcode, Branch: "chuo", StaffID: 7, NewCopy: true},
			registerErr: refusal("barcode_taken", "barcode belongs to another title"),
			wantCalls:   []string{"register_copy"},
			wantErr:     "barcode_taken",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			env.RegisterWorkflow(workflows.CheckinWorkflow)
			acts := &activities.Activities{}
			env.RegisterActivity(acts)

			var mu sync.Mutex
			var calls []string
			var signals []sentSignal
			env.OnActivity(acts.RegisterCopy, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.NewCopyInput) error {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, "register_copy")
				assert.Equal(t, contract.NewCopyInput{TitleID: tc.in.TitleID, Barcode: tc.in.Barcode, Branch: tc.in.Branch, StaffID: tc.in.StaffID,
					Shelf: tc.in.Shelf}, in)
				return tc.registerErr
			})
			env.OnActivity(acts.Checkin, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CheckinInput) (contract.CheckinResult, error) {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, "checkin")
				assert.Equal(t, tc.in, in)
				return tc.result, nil
			})
			env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
				func(_, workflowID, runID, name string, arg any) error {
					mu.Lock()
					defer mu.Unlock()
					signals = append(signals, sentSignal{workflowID, runID, name, arg})
					return nil
				})

			env.ExecuteWorkflow(workflows.CheckinWorkflow, tc.in)

			require.True(t, env.IsWorkflowCompleted())
			mu.Lock()
			defer mu.Unlock()
			require.Equal(t, tc.wantCalls, calls)
			require.Equal(t, tc.wantSignals, signals)
			if tc.wantErr != "" {
				err := env.GetWorkflowError()
				require.Error(t, err)
				require.Equal(t, tc.wantErr, appErrType(err), "failed with %v", err)
				return
			}
			require.NoError(t, env.GetWorkflowError())
			var res contract.CheckinResult
			require.NoError(t, env.GetWorkflowResult(&res))
			require.Equal(t, tc.result, res)
		})
	}
}
