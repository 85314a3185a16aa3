package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/workflows"
)

// Unit tests of SeriesHoldWorkflow with the SDK's test environment. The volumes' HoldWorkflow runs are mocked
// children (seriesFake): each records how it was started and every proceed signal it receives, and ends when
// its plan says. A volume's progress is simulated by signalling the series (SignalVolume) from a delayed
// callback, as the real HoldWorkflow does from setState.
//
// The test environment delivers SignalExternalWorkflow straight to a running child with that workflow ID, so
// the series' proceed signals reach the mocked volume; OnSignalExternalWorkflow only sees signals to IDs with
// no run in the environment, which the tests expect none of.
//
// The last tests run HoldWorkflow itself: the convert Update, the Resume start, and real volumes under the
// series.

const seriesID int64 = 77

// Holds of the series tests, in reading order.
const (
	vol1 int64 = 11
	vol2 int64 = 12
	vol3 int64 = 13
)

// seriesVolumes is the SeriesInput volumes for holds, titles 501, 502 ... picked up at pickup.
func seriesVolumes(holds ...int64) []contract.Volume {
	vs := make([]contract.Volume, len(holds))
	for i, h := range holds {
		vs[i] = contract.Volume{HoldID: h, TitleID: titleID + int64(i), Pickup: pickup}
	}
	return vs
}

// volumePlan is how a mocked volume's run ends: after endAfter (from the series' start) with status, or with
// err.
type volumePlan struct {
	endAfter time.Duration
	status   domain.Status
	err      error
}

// defaultEnd is when a volume with no plan ends (fulfilled): long after every test's progress.
const defaultEnd = 100 * time.Hour

// volumeRun is how a mocked volume's run was started.
type volumeRun struct {
	WorkflowID string
	Input      contract.HoldInput
	Parent     string
	Started    time.Duration // since the series started
	Attrs      map[string]string
}

type seriesFake struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	start time.Time
	plans map[int64]volumePlan // set before the workflow runs

	convertErrs map[int64][]error // Convert's answers for a hold, one per attempt; nil then
	leaveErr    error             // LeaveSeries' answer

	mu       sync.Mutex
	events   []string // "convert:11", "leave:12", "start:13" in the order they happened
	converts []contract.ConvertInput
	runs     map[int64]volumeRun
	proceeds map[int64][]time.Duration // proceed signals each volume received, since the series started
	stray    []sentSignal              // signals to workflows not running in the environment
}

var seriesStart = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// newSeriesEnv is a test environment for SeriesHoldWorkflow with mocked volumes, Convert and LeaveSeries.
func newSeriesEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *seriesFake) {
	t.Helper()
	env := newTestEnv()
	env.SetStartTime(seriesStart)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.SeriesWorkflowID(seriesID)})
	f := &seriesFake{
		t: t, env: env, start: seriesStart, plans: map[int64]volumePlan{}, convertErrs: map[int64][]error{},
		runs: map[int64]volumeRun{}, proceeds: map[int64][]time.Duration{},
	}
	env.RegisterWorkflow(workflows.SeriesHoldWorkflow)
	env.RegisterWorkflow(workflows.HoldWorkflow)
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	env.OnWorkflow(workflows.HoldWorkflow, mock.Anything, mock.Anything).Return(f.volume)
	env.OnActivity(acts.Convert, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ConvertInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.events = append(f.events, fmt.Sprintf("convert:%d", in.HoldID))
		f.converts = append(f.converts, in)
		if errs := f.convertErrs[in.HoldID]; len(errs) > 0 {
			f.convertErrs[in.HoldID] = errs[1:]
			return errs[0]
		}
		return nil
	})
	env.OnActivity(acts.LeaveSeries, mock.Anything, mock.Anything).Return(func(_ context.Context, id int64) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.events = append(f.events, fmt.Sprintf("leave:%d", id))
		return f.leaveErr
	})
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, runID, name string, arg any) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.stray = append(f.stray, sentSignal{workflowID, runID, name, arg})
			return nil
		})
	return env, f
}

// volume is the mocked HoldWorkflow: it records its start and its proceed signals and ends as planned.
func (f *seriesFake) volume(ctx workflow.Context, in contract.HoldInput) (contract.HoldResult, error) {
	info := workflow.GetInfo(ctx)
	run := volumeRun{WorkflowID: info.WorkflowExecution.ID, Input: in, Started: workflow.Now(ctx).Sub(f.start), Attrs: map[string]string{}}
	if info.ParentWorkflowExecution != nil {
		run.Parent = info.ParentWorkflowExecution.ID
	}
	sa := workflow.GetTypedSearchAttributes(ctx)
	for _, k := range contract.SearchAttributes() {
		if v, ok := sa.GetKeyword(k); ok {
			run.Attrs[k.GetName()] = v
		}
	}
	f.mu.Lock()
	f.events = append(f.events, fmt.Sprintf("start:%d", in.HoldID))
	f.runs[in.HoldID] = run
	plan, ok := f.plans[in.HoldID]
	f.mu.Unlock()
	if !ok {
		plan = volumePlan{endAfter: defaultEnd, status: domain.StatusFulfilled}
	}
	proceedCh := workflow.GetSignalChannel(ctx, contract.SignalProceed)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			proceedCh.Receive(ctx, nil)
			f.mu.Lock()
			f.proceeds[in.HoldID] = append(f.proceeds[in.HoldID], workflow.Now(ctx).Sub(f.start))
			f.mu.Unlock()
		}
	})
	if err := workflow.Sleep(ctx, f.start.Add(plan.endAfter).Sub(workflow.Now(ctx))); err != nil {
		return contract.HoldResult{}, err
	}
	if plan.err != nil {
		return contract.HoldResult{}, plan.err
	}
	return contract.HoldResult{Status: plan.status}, nil
}

// progress makes volume hold report status to the series at d after its start.
func progress(env *testsuite.TestWorkflowEnvironment, d time.Duration, hold int64, status domain.Status) {
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(contract.SignalVolume, contract.VolumeProgress{HoldID: hold, Status: status})
	}, d)
}

// proceedsBefore is the proceed signals each volume received before d (copied).
func (f *seriesFake) proceedsBefore(d time.Duration) map[int64][]time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64][]time.Duration{}
	for id, ps := range f.proceeds {
		for _, p := range ps {
			if p < d {
				out[id] = append(out[id], p)
			}
		}
	}
	return out
}

func (f *seriesFake) eventLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *seriesFake) started() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int64
	for id := range f.runs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (f *seriesFake) strays() []sentSignal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stray)
}

func seriesResult(t testing.TB, env *testsuite.TestWorkflowEnvironment) contract.SeriesResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted(), "the series did not complete")
	require.NoError(t, env.GetWorkflowError())
	var res contract.SeriesResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

// TestSeriesStartsItsVolumesAsChildren: a placed series starts every volume's hold workflow at once as its
// child, under the hold's own workflow ID, with a fresh (approving) run and the search attributes operators
// filter on; it ends with the volumes' statuses in reading order.
//
// The children's ParentClosePolicy (abandon) is not observable here: the test environment exposes neither the
// child's options nor a way to close the parent while a child runs (cancelling the series cancels its children
// through their context, whatever the policy).
func TestSeriesStartsItsVolumesAsChildren(t *testing.T) {
	env, f := newSeriesEnv(t)

	env.ExecuteWorkflow(workflows.SeriesHoldWorkflow, contract.SeriesInput{
		SeriesID: seriesID, Volumes: seriesVolumes(vol1, vol2, vol3), CancelApprovalDelay: 5 * time.Minute,
	})

	res := seriesResult(t, env)
	require.Equal(t, []domain.Status{domain.StatusFulfilled, domain.StatusFulfilled, domain.StatusFulfilled}, res.Statuses)
	require.Equal(t, []int64{vol1, vol2, vol3}, f.started())
	for i, id := range []int64{vol1, vol2, vol3} {
		run := f.runs[id]
		require.Equal(t, contract.HoldWorkflowID(id), run.WorkflowID)
		require.Equal(t, fmt.Sprintf("hold-%d", id), run.WorkflowID)
		require.Equal(t, contract.HoldInput{HoldID: id, Resume: false, CancelApprovalDelay: 5 * time.Minute}, run.Input)
		require.Equal(t, "series-77", run.Parent)
		require.Zero(t, run.Started, "volume %d must start with the series", id)
		require.Equal(t, map[string]string{
			"YoyakuStatus": string(domain.StatusRequested), "YoyakuPickupBranch": pickup,
			"YoyakuTitleID": fmt.Sprint(titleID + int64(i)), "YoyakuOrigin": "web",
		}, run.Attrs, "volume %d's search attributes", id)
	}
	require.True(t, env.Now().Equal(seriesStart.Add(defaultEnd)), "the series ended at %s", env.Now())
	require.Empty(t, f.proceedsBefore(defaultEnd), "nobody reported progress: nobody is woken")
	require.Empty(t, f.strays())
}

// TestSeriesWakesLaterVolumes: when a volume becomes ready or closes, every later volume that is 準備中 or
// not yet heard of is asked to proceed (its Proceed activity decides in PostgreSQL whether it may); the volume
// itself and earlier ones are not. A volume that reports 準備中 once every earlier volume is known ready or
// closed gated itself in a race with that earlier volume and is asked to proceed at once.
func TestSeriesWakesLaterVolumes(t *testing.T) {
	type report struct {
		at     time.Duration
		hold   int64
		status domain.Status
	}
	h := time.Hour
	cases := []struct {
		name    string
		reports []report
		plans   map[int64]volumePlan // volumes ending early
		want    map[int64][]time.Duration
	}{
		{
			name: "volume 1 ready: volumes 2 (preparing) and 3 (not heard of) proceed, volume 1 does not",
			reports: []report{
				{1 * h, vol2, domain.StatusPreparing},
				{2 * h, vol1, domain.StatusReady},
			},
			want: map[int64][]time.Duration{vol2: {2 * h}, vol3: {2 * h}},
		},
		{
			name: "preparing while an earlier volume is open is not woken",
			reports: []report{
				{1 * h, vol1, domain.StatusQueued},
				{2 * h, vol2, domain.StatusPreparing},
				{3 * h, vol3, domain.StatusPreparing},
			},
			want: map[int64][]time.Duration{},
		},
		{
			name: "volume 2 reports preparing after volume 1 is known ready: proceed again",
			reports: []report{
				{1 * h, vol1, domain.StatusReady},
				{2 * h, vol2, domain.StatusPreparing},
				{3 * h, vol3, domain.StatusPreparing}, // volume 2 is still open: volume 3 waits
			},
			want: map[int64][]time.Duration{vol2: {1 * h, 2 * h}, vol3: {1 * h}},
		},
		{
			name: "volume 1 cancelled: later volumes proceed",
			reports: []report{
				{1 * h, vol2, domain.StatusPreparing},
				{1 * h, vol3, domain.StatusPreparing},
				{2 * h, vol1, domain.StatusCancelled},
			},
			want: map[int64][]time.Duration{vol2: {2 * h}, vol3: {2 * h}},
		},
		{
			name: "volume 1 cancel requested is still open: nobody proceeds",
			reports: []report{
				{1 * h, vol2, domain.StatusPreparing},
				{2 * h, vol1, domain.StatusCancelRequested},
			},
			want: map[int64][]time.Duration{},
		},
		{
			name: "a later volume that already left 準備中 is not woken",
			reports: []report{
				{1 * h, vol2, domain.StatusQueued},
				{2 * h, vol1, domain.StatusReady},
			},
			want: map[int64][]time.Duration{vol3: {2 * h}},
		},
		{
			name:  "volume 1's run ends (picked up) without a report: later volumes proceed",
			plans: map[int64]volumePlan{vol1: {endAfter: 2 * h, status: domain.StatusFulfilled}},
			reports: []report{
				{1 * h, vol2, domain.StatusPreparing},
			},
			want: map[int64][]time.Duration{vol2: {2 * h}, vol3: {2 * h}},
		},
		{
			name: "volumes 1 and 2 ready one after the other, then volume 3 reports preparing",
			reports: []report{
				{1 * h, vol1, domain.StatusReady},
				{2 * h, vol2, domain.StatusReady},
				{3 * h, vol3, domain.StatusPreparing},
			},
			want: map[int64][]time.Duration{vol2: {1 * h}, vol3: {1 * h, 2 * h, 3 * h}},
		},
		{
			name: "volume 2 ready (it had left the gate) wakes volume 3 only",
			reports: []report{
				{1 * h, vol3, domain.StatusPreparing},
				{2 * h, vol2, domain.StatusReady},
			},
			want: map[int64][]time.Duration{vol3: {2 * h}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newSeriesEnv(t)
			for id, p := range tc.plans {
				f.plans[id] = p
			}
			for _, r := range tc.reports {
				progress(env, r.at, r.hold, r.status)
			}
			env.ExecuteWorkflow(workflows.SeriesHoldWorkflow, contract.SeriesInput{SeriesID: seriesID, Volumes: seriesVolumes(vol1, vol2, vol3)})

			seriesResult(t, env)
			require.Equal(t, tc.want, f.proceedsBefore(50*time.Hour), "proceed signals received by each volume")
			require.Empty(t, f.strays())
		})
	}
}

// TestSeriesEndsWhenEveryVolumeHasEnded: the series runs until its last volume's run ends, whatever the order
// the volumes end in; its result lists each volume's final status (the run's result, not its last report) in
// reading order, and a volume whose run failed counts as cancelled.
func TestSeriesEndsWhenEveryVolumeHasEnded(t *testing.T) {
	env, f := newSeriesEnv(t)
	h := time.Hour
	f.plans[vol1] = volumePlan{endAfter: 20 * h, status: domain.StatusFulfilled}
	f.plans[vol2] = volumePlan{endAfter: 30 * h, err: errors.New("volume 2's run failed")}
	f.plans[vol3] = volumePlan{endAfter: 10 * h, status: domain.StatusCancelled}
	progress(env, 1*h, vol1, domain.StatusReady)
	progress(env, 2*h, vol2, domain.StatusQueued)

	running := map[time.Duration]bool{}
	for _, at := range []time.Duration{11 * h, 21 * h, 30*h - time.Second} {
		env.RegisterDelayedCallback(func() { running[at] = !env.IsWorkflowCompleted() }, at)
	}

	env.ExecuteWorkflow(workflows.SeriesHoldWorkflow, contract.SeriesInput{SeriesID: seriesID, Volumes: seriesVolumes(vol1, vol2, vol3)})

	res := seriesResult(t, env)
	require.Equal(t, []domain.Status{domain.StatusFulfilled, domain.StatusCancelled, domain.StatusCancelled}, res.Statuses)
	require.Equal(t, map[time.Duration]bool{11 * h: true, 21 * h: true, 30*h - time.Second: true}, running,
		"the series must run while any volume runs")
	require.True(t, env.Now().Equal(seriesStart.Add(30*h)), "the series ended at %s, want when volume 2 ended", env.Now())
}

// TestSeriesConvertsExistingHolds: converting existing holds hands each hold's running workflow over in
// reading order (the Convert activity, which ends the old run through the convert Update) before any volume's
// new run starts; the new runs resume (Resume=true). A hold that cannot hand over (it moved on) leaves the
// series (LeaveSeries), gets no child and gates nobody; a transient Convert failure is retried.
func TestSeriesConvertsExistingHolds(t *testing.T) {
	refused := temporal.NewNonRetryableApplicationError("hold cannot join a series", string(contract.ErrNotChangeable), nil)
	transient := errors.New("temporal unavailable")
	h := time.Hour
	cases := []struct {
		name        string
		convertErrs map[int64][]error
		wantEvents  []string // in order; the starts after them in any order
		wantStarted []int64
		wantResult  []domain.Status
		wantProceed map[int64][]time.Duration // after volume 1 reports ready at 1 h
	}{
		{
			name:        "every hold hands over",
			wantEvents:  []string{"convert:11", "convert:12", "convert:13"},
			wantStarted: []int64{vol1, vol2, vol3},
			wantResult:  []domain.Status{domain.StatusFulfilled, domain.StatusFulfilled, domain.StatusFulfilled},
			wantProceed: map[int64][]time.Duration{vol2: {1 * h}, vol3: {1 * h}},
		},
		{
			name:        "volume 2 moved on: it leaves the series, volume 3 follows volume 1",
			convertErrs: map[int64][]error{vol2: {refused}},
			wantEvents:  []string{"convert:11", "convert:12", "convert:13"}, // the refused hold leaves after the others started
			wantStarted: []int64{vol1, vol3},
			wantResult:  []domain.Status{domain.StatusFulfilled, domain.StatusFulfilled},
			wantProceed: map[int64][]time.Duration{vol3: {1 * h}},
		},
		{
			name:        "a transient failure is retried",
			convertErrs: map[int64][]error{vol1: {transient, transient}},
			wantEvents:  []string{"convert:11", "convert:11", "convert:11", "convert:12", "convert:13"},
			wantStarted: []int64{vol1, vol2, vol3},
			wantResult:  []domain.Status{domain.StatusFulfilled, domain.StatusFulfilled, domain.StatusFulfilled},
			wantProceed: map[int64][]time.Duration{vol2: {1 * h}, vol3: {1 * h}},
		},
		{
			name:        "no hold hands over: nothing starts and the series ends at once",
			convertErrs: map[int64][]error{vol1: {refused}, vol2: {refused}, vol3: {refused}},
			wantEvents:  []string{"convert:11", "convert:12", "convert:13", "leave:11", "leave:12", "leave:13"},
			wantResult:  []domain.Status{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newSeriesEnv(t)
			f.convertErrs = tc.convertErrs
			if len(tc.wantStarted) > 0 {
				progress(env, 1*h, vol1, domain.StatusReady)
			}

			env.ExecuteWorkflow(workflows.SeriesHoldWorkflow, contract.SeriesInput{
				SeriesID: seriesID, Volumes: seriesVolumes(vol1, vol2, vol3), Convert: true,
			})

			res := seriesResult(t, env)
			require.Equal(t, tc.wantResult, res.Statuses)
			events := f.eventLog()
			require.GreaterOrEqual(t, len(events), len(tc.wantEvents))
			require.Equal(t, tc.wantEvents, events[:len(tc.wantEvents)], "hand-overs, in reading order, before any start")
			// After the hand-overs: the volumes' new runs start, and refused holds leave the series.
			var starts []string
			for _, e := range events[len(tc.wantEvents):] {
				if !strings.HasPrefix(e, "leave:") {
					starts = append(starts, e)
				}
			}
			for id := range tc.convertErrs {
				if !slices.Contains(tc.wantStarted, id) && !slices.Contains(events, fmt.Sprintf("leave:%d", id)) {
					t.Errorf("refused hold %d did not leave the series: %v", id, events)
				}
			}
			sort.Strings(starts)
			if starts == nil {
				starts = []string{}
			}
			wantStarts := []string{}
			for _, id := range tc.wantStarted {
				wantStarts = append(wantStarts, fmt.Sprintf("start:%d", id))
			}
			require.Equal(t, wantStarts, starts)
			for _, id := range tc.wantStarted {
				run := f.runs[id]
				require.Equal(t, contract.HoldInput{HoldID: id, Resume: true}, run.Input, "volume %d resumes", id)
				require.Equal(t, contract.HoldWorkflowID(id), run.WorkflowID)
			}
			f.mu.Lock()
			for _, in := range f.converts {
				require.Equal(t, contract.ConvertInput{HoldID: in.HoldID}, in)
			}
			f.mu.Unlock()
			want := tc.wantProceed
			if want == nil {
				want = map[int64][]time.Duration{}
			}
			require.Equal(t, want, f.proceedsBefore(50*h))
			require.Empty(t, f.strays())
		})
	}
}

// TestSeriesLeaveFailureNeverOrphansConvertedHolds — regression test (found by this suite, fixed):
// series.go:39-40 returns the LeaveSeries error, so the series fails after earlier holds have already ended
// their runs as converted: those holds are left with no workflow at all (no copy signal, scan or deadline is
// ever handled again). LeaveSeries is a local activity with a 12 s schedule-to-close: a PostgreSQL outage of
// that length during a conversion is enough.
func TestSeriesLeaveFailureNeverOrphansConvertedHolds(t *testing.T) {
	env, f := newSeriesEnv(t)
	f.convertErrs = map[int64][]error{vol2: {temporal.NewNonRetryableApplicationError("moved on", string(contract.ErrNotChangeable), nil)}}
	f.leaveErr = errors.New("postgres unavailable")

	env.ExecuteWorkflow(workflows.SeriesHoldWorkflow, contract.SeriesInput{
		SeriesID: seriesID, Volumes: seriesVolumes(vol1, vol2, vol3), Convert: true,
	})

	require.True(t, env.IsWorkflowCompleted())
	require.Contains(t, f.eventLog(), "convert:11", "volume 1's old run was ended")
	require.Contains(t, f.started(), vol1,
		"volume 1 handed its run over, but the series failed on LeaveSeries(%d) (%v) and never started its new run", vol2, env.GetWorkflowError())
}

// volumeRows stands for the PostgreSQL rows of a series' holds, for real HoldWorkflow volumes: the mocked
// activities gate a volume (準備中) while an earlier one is open and not ready, as activities.gated does.
type volumeRows struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	order []int64

	mu    sync.Mutex
	rows  map[int64]*contract.HoldState
	calls map[int64][]string // per hold: "op@transition+offset since start"
}

func (v *volumeRows) gated(id int64) bool {
	for _, o := range v.order {
		if o == id {
			return false
		}
		if st := v.rows[o].Status; st != domain.StatusReady && st.Open() {
			return true
		}
	}
	return false
}

func (v *volumeRows) step(op string, s contract.Step, do func(st *contract.HoldState) domain.Status) (contract.Outcome, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	row := v.rows[s.HoldID]
	v.calls[s.HoldID] = append(v.calls[s.HoldID], fmt.Sprintf("%s@%d+%s", op, s.Transition, v.env.Now().Sub(seriesStart)))
	if s.Transition != row.Transition {
		v.t.Errorf("%s: hold %d at transition %d, the workflow passed %d", op, s.HoldID, row.Transition, s.Transition)
		return contract.Outcome{}, refusal(contract.ErrStale, "stale transition")
	}
	next := *row
	if to := do(&next); to != "" {
		next.Status = to
		next.Transition++
		*row = next
	}
	return contract.Outcome{State: *row}, nil
}

func (v *volumeRows) mockActivities(env *testsuite.TestWorkflowEnvironment) {
	var acts *activities.Activities
	env.OnActivity(acts.Approve, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.Outcome, error) {
		return v.step("approve", s, func(st *contract.HoldState) domain.Status {
			if v.gated(st.HoldID) {
				return domain.StatusPreparing
			}
			return domain.StatusQueued
		})
	})
	env.OnActivity(acts.Proceed, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.Outcome, error) {
		return v.step("proceed", s, func(st *contract.HoldState) domain.Status {
			if st.Status != domain.StatusPreparing || v.gated(st.HoldID) {
				return ""
			}
			return domain.StatusQueued
		})
	})
	env.OnActivity(acts.ApplyCopy, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CopyInput) (contract.Outcome, error) {
		return v.step("copy", in.Step, func(st *contract.HoldState) domain.Status {
			if st.Status != domain.StatusQueued || in.Assignment.Branch != st.Pickup {
				return ""
			}
			st.Barcode, st.CopyBranch = in.Assignment.Barcode, in.Assignment.Branch
			return domain.StatusReady
		})
	})
	env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(contract.NotifyResult{Contacted: false}, nil) // call list: no deadline
	env.OnActivity(acts.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CheckoutInput) (contract.Outcome, error) {
		return v.step("checkout", in.Step, func(st *contract.HoldState) domain.Status {
			if st.Status != domain.StatusReady || st.Barcode != in.Barcode {
				return ""
			}
			return domain.StatusFulfilled
		})
	})
	env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CancelInput) (contract.Outcome, error) {
		return v.step("cancel", in.Step, func(st *contract.HoldState) domain.Status { return domain.StatusCancelled })
	})
}

// TestSeriesWithRealVolumes: the series with real HoldWorkflow children (activities mocked): each volume
// reports its status changes to its parent, so volume 2, gated (準備中) at its approval, is asked to proceed
// exactly when volume 1 becomes ready, and then queues; the series ends with both volumes.
func TestSeriesWithRealVolumes(t *testing.T) {
	env := newTestEnv()
	env.SetStartTime(seriesStart)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.SeriesWorkflowID(seriesID)})
	env.RegisterWorkflow(workflows.SeriesHoldWorkflow)
	env.RegisterWorkflow(workflows.HoldWorkflow)
	env.RegisterActivity(&activities.Activities{})
	v := &volumeRows{t: t, env: env, order: []int64{vol1, vol2}, rows: map[int64]*contract.HoldState{}, calls: map[int64][]string{}}
	for i, id := range v.order {
		v.rows[id] = &contract.HoldState{
			HoldID: id, PatronID: patronID, TitleID: titleID + int64(i), Status: domain.StatusRequested, Pickup: pickup,
			Origin: "web", SeriesID: seriesID, SeriesSeq: i + 1,
		}
	}
	v.mockActivities(env)
	var stray []sentSignal
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, runID, name string, arg any) error {
			v.mu.Lock()
			defer v.mu.Unlock()
			stray = append(stray, sentSignal{workflowID, runID, name, arg})
			return nil
		})

	h := time.Hour
	var vol2Before, vol2After contract.HoldState
	env.RegisterDelayedCallback(func() {
		v.mu.Lock()
		vol2Before = *v.rows[vol2]
		v.mu.Unlock()
		require.NoError(t, env.SignalWorkflowByID(contract.HoldWorkflowID(vol1), contract.SignalCopy,
			contract.Assignment{HoldID: vol1, Barcode: barcode, Branch: pickup, Kind: contract.CopySecured}))
	}, 1*h)
	updateByID := func(at time.Duration, hold int64, name string, arg any) {
		env.RegisterDelayedCallback(func() {
			v.mu.Lock()
			if hold == vol1 {
				vol2After = *v.rows[vol2]
			}
			v.mu.Unlock()
			err := env.UpdateWorkflowByID(contract.HoldWorkflowID(hold), name, name+"-"+fmt.Sprint(hold), &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { t.Errorf("%s rejected: %v", name, err) },
				OnComplete: func(_ any, err error) {
					if err != nil {
						t.Errorf("%s failed: %v", name, err)
					}
				},
			}, arg)
			require.NoError(t, err)
		}, at)
	}
	updateByID(2*h, vol1, contract.UpdateCheckout, contract.CheckoutRequest{Barcode: barcode, Branch: pickup, PatronID: patronID, StaffID: staffID})
	updateByID(3*h, vol2, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelStaff, StaffID: staffID})

	env.ExecuteWorkflow(workflows.SeriesHoldWorkflow, contract.SeriesInput{SeriesID: seriesID, Volumes: seriesVolumes(vol1, vol2)})

	res := seriesResult(t, env)
	require.Equal(t, []domain.Status{domain.StatusFulfilled, domain.StatusCancelled}, res.Statuses)
	require.Equal(t, domain.StatusPreparing, vol2Before.Status, "volume 2 waits for volume 1")
	require.Equal(t, domain.StatusQueued, vol2After.Status, "volume 2 went on once volume 1 was ready")
	v.mu.Lock()
	defer v.mu.Unlock()
	require.Equal(t, []string{"approve@0+0s", "copy@1+1h0m0s", "checkout@2+2h0m0s"}, v.calls[vol1])
	require.Equal(t, []string{"approve@0+0s", "proceed@1+1h0m0s", "cancel@2+3h0m0s"}, v.calls[vol2],
		"volume 2 proceeds when volume 1's ready report reaches the series, not before")
	require.Empty(t, stray)
}

// TestHoldConvertUpdate: the convert Update ends an online hold's run as converted while it waits (queued or
// awaiting pull); its validator refuses, with not_changeable and before anything runs, a counter hold, an
// inter-library-loan hold and a hold already on its way (in transit, ready).
func TestHoldConvertUpdate(t *testing.T) {
	cases := []struct {
		name      string
		origin    string
		ill       bool
		approveTo domain.Status // awaiting_pull with a copy at otherBranch
		copySig   *contract.Assignment
		refused   bool
		want      domain.Status // the converted run's status, or the refused hold's status after the refusal
	}{
		{name: "queued online hold", origin: "web", approveTo: domain.StatusQueued, want: domain.StatusQueued},
		{name: "online hold awaiting pull", origin: "web", approveTo: domain.StatusAwaitingPull, want: domain.StatusAwaitingPull},
		{name: "counter hold", origin: "counter", approveTo: domain.StatusQueued, refused: true, want: domain.StatusQueued},
		{name: "inter-library-loan hold", origin: "web", ill: true, approveTo: domain.StatusQueued, refused: true, want: domain.StatusQueued},
		{name: "ready hold", origin: "web", approveTo: domain.StatusQueued, copySig: ptr(secured(pickup)), refused: true, want: domain.StatusReady},
		{name: "hold in transit", origin: "web", approveTo: domain.StatusQueued, copySig: ptr(secured(otherBranch)), refused: true, want: domain.StatusInTransit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newHoldEnv(t, tc.origin)
			env.SetStartTime(time.Date(2026, 11, 2, 10, 0, 0, 0, tokyo(t)))
			f.approveTo, f.approveCopy, f.st.ILL = tc.approveTo, otherBranch, tc.ill
			f.phone = true // a ready hold waits on the call list: no deadline timer
			if tc.copySig != nil {
				signalAfter(env, time.Second, *tc.copySig)
			}
			var u *updateOutcome
			var traceBefore, traceAfter []string
			env.RegisterDelayedCallback(func() {
				traceBefore = f.trace()
				u = sendUpdate(t, env, contract.UpdateConvert, nil)
			}, time.Minute)
			var after contract.HoldState
			env.RegisterDelayedCallback(func() {
				if !env.IsWorkflowCompleted() {
					after = queryState(t, env)
					traceAfter = f.trace()
				}
			}, 90*time.Second)
			env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Minute) // end a hold that was not converted

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

			require.True(t, env.IsWorkflowCompleted())
			require.NotNil(t, u, "the update was not sent")
			got := u.get()
			trace := f.trace()
			if tc.refused {
				require.Error(t, got.rejected, "the conversion must be refused")
				require.Equal(t, string(contract.ErrNotChangeable), appErrType(got.rejected), "refused with %v", got.rejected)
				require.False(t, got.accepted, "refused by the validator")
				require.Error(t, env.GetWorkflowError(), "the run goes on (until the test cancels it)")
				require.Equal(t, tc.want, after.Status, "the run goes on after the refusal, unchanged")
				require.Equal(t, traceBefore, traceAfter, "the refusal runs no activity")
				return
			}
			require.NoError(t, got.rejected)
			require.True(t, got.accepted)
			require.True(t, got.completed)
			require.NoError(t, got.err)
			require.Equal(t, contract.HoldResult{Status: tc.want, Converted: true}, holdResult(t, env))
			require.True(t, env.Now().Before(time.Date(2026, 11, 2, 10, 2, 0, 0, tokyo(t))), "the run ends with the update, not later")
			require.Equal(t, []string{"approve@0"}, trace, "the conversion itself runs no activity")
			require.Empty(t, f.sent())
		})
	}
}

func ptr[T any](v T) *T { return &v }

// mockResume adds Resume and Proceed to a fakeHold's activities: Resume gates the hold (準備中) when gate is
// set, Proceed lets it queue again.
func mockResume(env *testsuite.TestWorkflowEnvironment, f *fakeHold, gate bool) {
	var acts *activities.Activities
	env.OnActivity(acts.Resume, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.Outcome, error) {
		return f.step("resume", s, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusQueued && st.Status != domain.StatusAwaitingPull {
				return "", nil
			}
			if gate {
				st.Barcode, st.CopyBranch = "", ""
				return domain.StatusPreparing, nil
			}
			return "", nil
		})
	})
	env.OnActivity(acts.Proceed, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.Outcome, error) {
		return f.step("proceed", s, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusPreparing {
				return "", nil
			}
			return domain.StatusQueued, nil
		})
	})
}

// TestHoldResumeLoadsInsteadOfApproving: a converted hold's new run (Resume) loads the hold's state from
// PostgreSQL and runs Resume at the loaded transition, never Approve; a gated volume then waits (準備中) for
// the proceed signal, which runs Proceed.
func TestHoldResumeLoadsInsteadOfApproving(t *testing.T) {
	cases := []struct {
		name      string
		loaded    domain.Status
		gate      bool
		proceedAt time.Duration // 0: no proceed signal
		wantTrace []string
		want      domain.Status // state at the end
	}{
		{name: "first volume, queued: nothing to change", loaded: domain.StatusQueued, wantTrace: []string{"load@0", "resume@5"}, want: domain.StatusQueued},
		{name: "later volume awaiting pull: gated", loaded: domain.StatusAwaitingPull, gate: true, wantTrace: []string{"load@0", "resume@5"}, want: domain.StatusPreparing},
		{
			name: "later volume gated, then asked to proceed", loaded: domain.StatusQueued, gate: true, proceedAt: time.Hour,
			wantTrace: []string{"load@0", "resume@5", "proceed@6"}, want: domain.StatusQueued,
		},
		{
			name: "a proceed signal to a hold that is not 準備中 changes nothing", loaded: domain.StatusQueued, proceedAt: time.Hour,
			wantTrace: []string{"load@0", "resume@5", "proceed@5"}, want: domain.StatusQueued,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newHoldEnv(t, "web")
			env.SetStartTime(time.Date(2026, 11, 2, 10, 0, 0, 0, tokyo(t)))
			f.st.Status, f.st.Transition, f.st.SeriesID, f.st.SeriesSeq = tc.loaded, 5, seriesID, 2
			if tc.loaded == domain.StatusAwaitingPull {
				f.st.Barcode, f.st.CopyBranch = barcode, otherBranch
			}
			mockResume(env, f, tc.gate)
			if tc.proceedAt > 0 {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalProceed, nil) }, tc.proceedAt)
			}
			var st contract.HoldState
			env.RegisterDelayedCallback(func() { st = queryState(t, env) }, 2*time.Hour)
			env.RegisterDelayedCallback(env.CancelWorkflow, 3*time.Hour)

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID, Resume: true})

			require.True(t, env.IsWorkflowCompleted())
			require.Equal(t, tc.wantTrace, f.trace())
			require.Empty(t, f.callsOf("approve"), "a resumed hold is not approved again")
			require.Equal(t, tc.want, st.Status)
			require.Empty(t, f.sent(), "a hold that is not a child reports to nobody")
		})
	}
}

// TestConvertAppliesACopyReceivedInTheSameTask — regression test (found by this suite, fixed): a copy signal
// and the convert Update that arrive in the same workflow task. The update handler takes the mutex before the
// main loop has seen the copy, marks the run converted, and the main loop (hold.go:121, 129) ends the run with
// the copy still in w.copies: it is never applied. The new run's Resume only reconciles a copy as assigned
// (awaiting_pull), so a secured copy (on the hold shelf, or travelling to the pickup branch) ends up on the
// pull list and the patron is not told it is there.
func TestConvertAppliesACopyReceivedInTheSameTask(t *testing.T) {
	env, f := newHoldEnv(t, "web")
	env.SetStartTime(time.Date(2026, 11, 2, 10, 0, 0, 0, tokyo(t)))
	var u *updateOutcome
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflowSkippingWorkflowTask(contract.SignalCopy, secured(otherBranch))
		u = sendUpdate(t, env, contract.UpdateConvert, nil)
	}, time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Minute)

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.True(t, env.IsWorkflowCompleted())
	require.NotNil(t, u)
	require.NotEmpty(t, f.callsOf("copy:secured"),
		"the copy signal received with the convert Update was dropped; trace %v, update %+v",
		f.trace(), u.get())
}

// TestResumedVolumeShowsItsRealStatus — regression test (found by this suite, fixed): a
// converted volume's run starts with YoyakuStatus=requested (series.go:61) and loads its real status with
// Load straight into w.st (hold.go:113), bypassing setState: no search attribute is upserted (nor is the
// series told). A volume that Resume leaves as it was (the first volume, queued) shows as requested in the
// Temporal Web UI until its status next changes, possibly months later.
func TestResumedVolumeShowsItsRealStatus(t *testing.T) {
	env, f := newHoldEnv(t, "web")
	env.SetStartTime(time.Date(2026, 11, 2, 10, 0, 0, 0, tokyo(t)))
	require.NoError(t, env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
		contract.StatusKey.ValueSet(string(domain.StatusRequested)), contract.PickupBranchKey.ValueSet(pickup),
		contract.OriginKey.ValueSet("web"),
	)))
	f.st.Status, f.st.Transition, f.st.SeriesID, f.st.SeriesSeq = domain.StatusQueued, 5, seriesID, 1
	mockResume(env, f, false)
	var mu sync.Mutex
	status := string(domain.StatusRequested) // as the series started the run
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if v, ok := sa.GetKeyword(contract.StatusKey); ok {
			mu.Lock()
			status = v
			mu.Unlock()
		}
	}).Return(nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID, Resume: true})

	require.True(t, env.IsWorkflowCompleted())
	require.Equal(t, []string{"load@0", "resume@5"}, f.trace())
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, string(domain.StatusQueued), status,
		"the resumed volume is queued but its YoyakuStatus search attribute still says requested")
}
