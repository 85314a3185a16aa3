package check

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"yoyaku/contract"
	"yoyaku/store"
)

// callTimeout bounds each call to Temporal.
const callTimeout = 10 * time.Second

// running lists the running workflows of one type (visibility, which may lag a little: every disagreement
// is confirmed with Describe before it is reported): hold or series ID → the YoyakuStatus search attribute.
func running(ctx context.Context, tc client.Client, workflowType, prefix, taskQueue string) (map[int64]string, error) {
	q := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflowType)
	if taskQueue != "" {
		q += fmt.Sprintf(" AND TaskQueue = '%s'", strings.ReplaceAll(taskQueue, "'", ""))
	}
	out := map[int64]string{}
	var token []byte
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		resp, err := tc.ListWorkflow(cctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, NextPageToken: token, PageSize: 1000})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list %s workflows: %w", workflowType, err)
		}
		for _, e := range resp.Executions {
			id, err := strconv.ParseInt(strings.TrimPrefix(e.Execution.GetWorkflowId(), prefix), 10, 64)
			if err != nil || !strings.HasPrefix(e.Execution.GetWorkflowId(), prefix) {
				continue // not one of ours (an operator's test workflow of the same type)
			}
			var status string
			if p, ok := e.GetSearchAttributes().GetIndexedFields()[contract.StatusKey.GetName()]; ok {
				_ = converter.GetDefaultDataConverter().FromPayload(p, &status) // absent or odd: compared as ""
			}
			out[id] = status
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}

// isRunning asks Temporal directly whether a workflow runs (visibility may be behind).
func isRunning(ctx context.Context, tc client.Client, workflowID string) (bool, string, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	d, err := tc.DescribeWorkflow(cctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, "no workflow", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("describe %s: %w", workflowID, err)
	}
	st := d.RawResponse.GetWorkflowExecutionInfo().GetStatus()
	return st == enums.WORKFLOW_EXECUTION_STATUS_RUNNING, "workflow " + strings.ToLower(st.String()), nil
}

// workflowsMatch: every open hold has a running hold workflow with the same status, every running hold
// workflow an open hold; the same for series holds (open while one of their volumes is).
func workflowsMatch(ctx context.Context, db *sqlx.DB, tc client.Client, o Options, r *Report) error {
	holds, err := running(ctx, tc, "HoldWorkflow", "hold-", o.TaskQueue)
	if err != nil {
		return err
	}
	r.Workflows = len(holds)
	rows, err := store.OpenHoldsSettled(ctx, db, o.Settle)
	if err != nil {
		return fmt.Errorf("open holds: %w", err)
	}
	r.OpenHolds = len(rows)
	seen := make(map[int64]bool, len(rows))
	for _, h := range rows {
		seen[h.ID] = true
		wfStatus, ok := holds[h.ID]
		if !h.Settled {
			continue
		}
		if !ok {
			run, what, err := isRunning(ctx, tc, contract.HoldWorkflowID(h.ID))
			if err != nil {
				return err
			}
			if !run {
				r.add(Violation{Rule: RuleNoWorkflow, Holds: []int64{h.ID}, Detail: fmt.Sprintf("hold is %s but has %s", h.Status, what)})
				continue
			}
			// running but not (yet) listed: visibility lags, so ask the workflow itself for its status
			if err := confirmMismatch(ctx, db, tc, h.ID, "(not listed)", r); err != nil {
				return err
			}
			continue
		}
		if wfStatus != string(h.Status) {
			if err := confirmMismatch(ctx, db, tc, h.ID, wfStatus, r); err != nil {
				return err
			}
		}
	}
	var extra []int64
	for id := range holds {
		if !seen[id] {
			extra = append(extra, id)
		}
	}
	if err := orphans(ctx, db, tc, extra, o.Settle, r); err != nil {
		return err
	}
	return parentsMatch(ctx, db, tc, o, r)
}

// confirmMismatch asks the workflow itself (visibility is updated after the workflow moves) and reads the
// hold again: a disagreement that survives both is reported.
func confirmMismatch(ctx context.Context, db *sqlx.DB, tc client.Client, holdID int64, wfStatus string, r *Report) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var st contract.HoldState
	v, err := tc.QueryWorkflow(cctx, contract.HoldWorkflowID(holdID), "", contract.QueryState)
	if err == nil {
		err = v.Get(&st)
	}
	if err != nil {
		r.add(Violation{Rule: RuleStatusMismatch, Holds: []int64{holdID},
			Detail: fmt.Sprintf("workflow's search attribute says %q and it did not answer a query: %v", wfStatus, err)})
		return nil
	}
	dbStatus, err := store.HoldStatus(ctx, db, holdID)
	if err != nil {
		return err
	}
	if st.Status != dbStatus {
		r.add(Violation{Rule: RuleStatusMismatch, Holds: []int64{holdID},
			Detail: fmt.Sprintf("database says %s, workflow says %s", dbStatus, st.Status)})
	}
	return nil
}

// orphans reports running hold workflows whose hold is closed (for longer than the settling time) or gone.
func orphans(ctx context.Context, db *sqlx.DB, tc client.Client, ids []int64, settle time.Duration, r *Report) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := store.HoldsSettled(ctx, db, settle, ids)
	if err != nil {
		return err
	}
	found := map[int64]bool{}
	for _, h := range rows {
		found[h.ID] = true
		if h.Status.Open() || !h.Settled {
			continue // opened since the first read, or closing right now
		}
		if run, _, err := isRunning(ctx, tc, contract.HoldWorkflowID(h.ID)); err != nil {
			return err
		} else if run {
			r.add(Violation{Rule: RuleOrphanWorkflow, Holds: []int64{h.ID}, Detail: fmt.Sprintf("hold is %s but its workflow runs", h.Status)})
		}
	}
	for _, id := range ids {
		if !found[id] {
			r.add(Violation{Rule: RuleOrphanWorkflow, Holds: []int64{id}, Detail: "workflow runs for a hold the database does not have"})
		}
	}
	return nil
}

// parentsMatch: a series hold or an any-of group with an open hold has a running workflow, and such a
// workflow runs only while one of its holds is open.
func parentsMatch(ctx context.Context, db *sqlx.DB, tc client.Client, o Options, r *Report) error {
	parents := []struct {
		kind, wfType, prefix string
		id                   func(int64) string
		list                 func(context.Context, sqlx.QueryerContext, time.Duration) ([]store.ParentOpen, error)
	}{
		{"series hold", "SeriesHoldWorkflow", "series-", contract.SeriesWorkflowID, store.SeriesHoldsOpen},
		{"any-of group", "GroupHoldWorkflow", "group-", contract.GroupWorkflowID, store.HoldGroupsOpen},
	}
	for _, p := range parents {
		wfs, err := running(ctx, tc, p.wfType, p.prefix, o.TaskQueue)
		if err != nil {
			return err
		}
		rows, err := p.list(ctx, db, o.Settle)
		if err != nil {
			return err
		}
		for _, s := range rows {
			_, isListed := wfs[s.ID]
			if !s.Settled || s.Open == isListed {
				continue
			}
			run, what, err := isRunning(ctx, tc, p.id(s.ID))
			if err != nil {
				return err
			}
			switch {
			case s.Open && !run:
				r.add(Violation{Rule: RuleNoWorkflow, Holds: s.Holds, Detail: fmt.Sprintf("%s %d has open holds but %s", p.kind, s.ID, what)})
			case !s.Open && run:
				r.add(Violation{Rule: RuleOrphanWorkflow, Holds: s.Holds, Detail: fmt.Sprintf("%s %d has no open hold but its workflow runs", p.kind, s.ID)})
			}
		}
	}
	return nil
}
