package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/workflows"
)

// Unit tests of HoldWorkflow with the SDK's test environment: every activity is mocked by fakeHold, a stand-in
// for the hold's PostgreSQL row that keeps the same transition guard as activities.step (a Step whose
// Transition is not the row's is refused as stale, and flagged as a test failure).

const (
	holdID      int64 = 42
	nextHoldID  int64 = 43
	patronID    int64 = 1001
	otherPatron int64 = 2002
	titleID     int64 = 501
	staffID     int64 = 7
	pickup            = "chuo"
	otherBranch       = "kita"
	barcode           = "1000012345"
)

func tokyo(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	return loc
}

// call is one activity invocation as the fake saw it.
type call struct {
	Op         string // activity, with the copy kind or cancel reason: "copy:secured", "cancel:expired"
	Transition int    // the Step.Transition the workflow passed
	At         time.Time
}

func (c call) String() string { return fmt.Sprintf("%s@%d", c.Op, c.Transition) }

// sentSignal is a SignalExternalWorkflow the workflow made.
type sentSignal struct {
	WorkflowID string
	RunID      string
	Name       string
	Arg        any
}

// fakeHold is the hold's row: every mocked activity reads and moves it the way the real one does.
type fakeHold struct {
	t   testing.TB
	env *testsuite.TestWorkflowEnvironment
	loc *time.Location

	// behaviour, set before the workflow runs
	approveTo    domain.Status        // Approve's status: queued, or awaiting_pull with a copy at approveCopy
	approveCopy  string               // branch of the copy set aside by Approve
	approveFails int                  // Approve fails (retryably, as a timed-out transaction does) this many times first
	phone        bool                 // Notify puts the hold on the call list instead of contacting the patron
	cancelNext   *contract.Assignment // Cancel releases the copy to this hold
	cal          domain.Calendar      // the pickup branch's calendar, which Notify's deadline goes through

	mu      sync.Mutex // mocks run on their own goroutines
	st      contract.HoldState
	calls   []call
	signals []sentSignal
	outage  outage         // transitions fail (retryably) in this window, as when PostgreSQL is frozen
	failed  map[string]int // failed attempts per op, outside calls
	awaits  int            // AwaitHold attempts
	opAt    map[int]string // the op that took each transition
}

// outage makes the transitions named in ops (every one when ops is empty) fail from from until until.
type outage struct {
	ops         []string
	from, until time.Time
}

func (o outage) active(now time.Time) bool { return !now.Before(o.from) && now.Before(o.until) }

func (o outage) hits(op string, now time.Time) bool {
	return o.active(now) && (len(o.ops) == 0 || slices.Contains(o.ops, op))
}

// newHoldEnv is a test environment with every hold activity mocked by a fakeHold for a hold of origin.
func newHoldEnv(t *testing.T, origin string) (*testsuite.TestWorkflowEnvironment, *fakeHold) {
	t.Helper()
	env := newTestEnv()
	f := &fakeHold{
		t: t, env: env, loc: tokyo(t), approveTo: domain.StatusQueued,
		st: contract.HoldState{
			HoldID: holdID, PatronID: patronID, TitleID: titleID, Status: domain.StatusRequested,
			Pickup: pickup, Origin: origin,
		},
	}
	env.RegisterWorkflow(workflows.HoldWorkflow)
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	f.mockActivities(acts)
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, runID, name string, arg any) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.signals = append(f.signals, sentSignal{workflowID, runID, name, arg})
			return nil
		})
	return env, f
}

// newTestEnv is a test environment that logs warnings and errors only.
func newTestEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(10 * time.Second)
	return env
}

func refusal(code domain.Code, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, string(code), nil)
}

// step mirrors activities.step: guard on the transition counter, run do, and when it returns a status move
// the row there and count one transition.
func (f *fakeHold) step(op string, s contract.Step, do func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error)) (contract.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.outage.hits(op, f.env.Now()) {
		if f.failed == nil {
			f.failed = map[string]int{}
		}
		f.failed[op]++
		return contract.Outcome{}, errors.New("pq: canceling statement due to statement timeout")
	}
	if s.Transition < f.st.Transition && !f.outage.from.IsZero() {
		// A local activity attempt the workflow gave up on (its 12 s ran out while the test environment
		// retried it in real time) comes late. The real step returns the outcome recorded for its transition,
		// or refuses it as stale; either way the workflow never sees it.
		if f.opAt[s.Transition] == op {
			return contract.Outcome{State: f.st}, nil
		}
		return contract.Outcome{}, refusal(contract.ErrStale, "stale transition")
	}
	f.calls = append(f.calls, call{Op: op, Transition: s.Transition, At: f.env.Now()})
	if s.HoldID != f.st.HoldID {
		f.t.Errorf("%s: step for hold %d, want %d", op, s.HoldID, f.st.HoldID)
	}
	if s.Transition != f.st.Transition {
		f.t.Errorf("%s: the workflow passed transition %d, the hold is at %d", op, s.Transition, f.st.Transition)
		return contract.Outcome{}, refusal(contract.ErrStale, "stale transition")
	}
	var out contract.Outcome
	next := f.st
	to, err := do(&next, &out)
	if err != nil {
		return contract.Outcome{}, err
	}
	if to != "" {
		if f.opAt == nil {
			f.opAt = map[int]string{}
		}
		f.opAt[next.Transition] = op
		next.Status = to
		next.Transition++
		f.st = next
	}
	out.State = f.st
	return out, nil
}

// expiresAt is when a hold contacted now expires: the real activities compute it with domain.ExpiresAtIn,
// through the pickup branch's calendar.
func (f *fakeHold) expiresAt() time.Time {
	expires, _ := domain.ExpiresAtIn(f.env.Now(), f.loc, 0, f.cal)
	return expires
}

// secure: staff hold the copy at branch: hold shelf at the pickup place, transit otherwise.
func secure(st *contract.HoldState, branch string, out *contract.Outcome) domain.Status {
	if branch == st.Pickup {
		st.CopyBranch = st.Pickup
		out.Routing = &contract.Routing{Action: contract.RouteHoldShelf, HoldID: st.HoldID}
		return domain.StatusReady
	}
	st.CopyBranch = branch
	out.Routing = &contract.Routing{Action: contract.RouteTransit, HoldID: st.HoldID, ToBranch: st.Pickup}
	return domain.StatusInTransit
}

func (f *fakeHold) mockActivities(acts *activities.Activities) {
	env := f.env
	env.OnActivity(acts.Load, mock.Anything, mock.Anything).Return(func(_ context.Context, id int64) (contract.HoldState, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, call{Op: "load", At: f.env.Now()})
		return f.st, nil
	})
	env.OnActivity(acts.AwaitHold, mock.Anything, mock.Anything).Return(func(ctx context.Context, id int64) (int, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.awaits++
		if f.outage.active(f.env.Now()) {
			return 0, errors.New("pq: canceling statement due to lock timeout")
		}
		return int(activity.GetInfo(ctx).Attempt), nil
	})
	env.OnActivity(acts.Approve, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.Outcome, error) {
		f.mu.Lock()
		if f.approveFails > 0 {
			f.approveFails--
			f.mu.Unlock()
			return contract.Outcome{}, errors.New("pq: canceling statement due to user request")
		}
		f.mu.Unlock()
		return f.step("approve", s, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusRequested {
				return "", nil
			}
			if f.approveTo == domain.StatusAwaitingPull {
				st.Barcode, st.CopyBranch = barcode, f.approveCopy
			}
			return f.approveTo, nil
		})
	})
	env.OnActivity(acts.ApplyCopy, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CopyInput) (contract.Outcome, error) {
		as := in.Assignment
		return f.step("copy:"+string(as.Kind), in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			if as.HoldID != st.HoldID {
				f.t.Errorf("ApplyCopy got an assignment for hold %d", as.HoldID)
			}
			if st.Barcode != "" && st.Barcode != as.Barcode {
				return "", nil
			}
			switch {
			case as.Kind == contract.CopyAssigned && st.Status == domain.StatusQueued:
				st.Barcode, st.CopyBranch = as.Barcode, as.Branch
				return domain.StatusAwaitingPull, nil
			case as.Kind == contract.CopySecured && (st.Status == domain.StatusQueued || st.Status == domain.StatusAwaitingPull):
				st.Barcode = as.Barcode
				return secure(st, as.Branch, out), nil
			case as.Kind == contract.CopyArrived && st.Status == domain.StatusInTransit && as.Branch == st.Pickup:
				return secure(st, as.Branch, out), nil
			}
			return "", nil // a duplicate or overtaken signal changes nothing
		})
	})
	env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, s contract.Step) (contract.NotifyResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, call{Op: "notify", Transition: s.Transition, At: f.env.Now()})
		if f.st.Status != domain.StatusReady || f.st.Transition != s.Transition {
			return contract.NotifyResult{Skipped: true}, nil
		}
		if f.phone {
			return contract.NotifyResult{Contacted: false}, nil // on the call list
		}
		expires, d := domain.ExpiresAtIn(f.env.Now(), f.loc, 0, f.cal)
		f.st.Deadline = d.String() // the row's pickup_deadline, which later states carry
		return contract.NotifyResult{Contacted: true, ExpiresAt: expires, Deadline: d.String()}, nil
	})
	pullable := func(st *contract.HoldState, in contract.ScanInput) error {
		if st.Status != domain.StatusAwaitingPull || st.Barcode != in.Barcode || st.CopyBranch != in.Branch {
			return refusal(contract.ErrNotOnPullList, "not on the pull list")
		}
		return nil
	}
	env.OnActivity(acts.Pull, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ScanInput) (contract.Outcome, error) {
		return f.step("pull", in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			if err := pullable(st, in); err != nil {
				return "", err
			}
			return secure(st, in.Branch, out), nil
		})
	})
	env.OnActivity(acts.Missing, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ScanInput) (contract.Outcome, error) {
		return f.step("missing", in.Step, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			if err := pullable(st, in); err != nil {
				return "", err
			}
			st.Barcode, st.CopyBranch = "", ""
			return domain.StatusQueued, nil
		})
	})
	env.OnActivity(acts.Receive, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ScanInput) (contract.Outcome, error) {
		return f.step("receive", in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusInTransit || st.Barcode != in.Barcode || st.Pickup != in.Branch {
				return "", refusal(contract.ErrNotExpectedHere, "not expected here")
			}
			return secure(st, in.Branch, out), nil
		})
	})
	env.OnActivity(acts.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CheckoutInput) (contract.Outcome, error) {
		return f.step("checkout", in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			if st.Barcode != in.Barcode {
				return "", refusal(contract.ErrNotAvailable, "not this hold's copy")
			}
			own := in.PatronID == st.PatronID
			switch {
			case own && (st.Status == domain.StatusReady || st.Status == domain.StatusAwaitingPull):
				due := domain.DateOf(f.env.Now(), f.loc).AddDays(14)
				out.Loan = &contract.Loan{Barcode: in.Barcode, DueDate: due.String()}
				return domain.StatusFulfilled, nil
			case st.Status == domain.StatusReady:
				return "", refusal(contract.ErrHeldForAnother, "held for another patron")
			}
			return "", refusal(contract.ErrNotAvailable, "cannot be lent now")
		})
	})
	env.OnActivity(acts.RequestCancel, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CancelInput) (contract.Outcome, error) {
		return f.step("cancel_request", in.Step, func(st *contract.HoldState, _ *contract.Outcome) (domain.Status, error) {
			if !domain.PatronMayChange(st.Status, st.Origin) {
				return "", refusal(contract.ErrNotCancellable, "cannot be cancelled online")
			}
			return domain.StatusCancelRequested, nil
		})
	})
	env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.CancelInput) (contract.Outcome, error) {
		return f.step("cancel:"+string(in.Reason), in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			switch {
			case !st.Status.Open():
				return "", refusal(contract.ErrNotCancellable, "already closed")
			case in.Reason == domain.CancelPatron && st.Status != domain.StatusCancelRequested:
				return "", refusal(contract.ErrNotCancellable, "no cancellation request")
			case in.Reason == domain.CancelExpired && st.Status != domain.StatusReady:
				return "", refusal(contract.ErrNotCancellable, "not ready")
			}
			out.Next = f.cancelNext
			return domain.StatusCancelled, nil
		})
	})
	env.OnActivity(acts.Contacted, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.StaffInput) (contract.Outcome, error) {
		return f.step("contacted", in.Step, func(st *contract.HoldState, out *contract.Outcome) (domain.Status, error) {
			if st.Status != domain.StatusReady {
				return "", refusal(contract.ErrNotChangeable, "not ready")
			}
			out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: f.expiresAt()}
			return domain.StatusReady, nil // the call is a transition of its own
		})
	})
}

// trace is the activity calls so far, as "op@transition".
func (f *fakeHold) trace() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.String()
	}
	return out
}

// callsOf is the calls of op so far.
func (f *fakeHold) callsOf(op string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeHold) sent() []sentSignal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentSignal(nil), f.signals...)
}

// queryState asks the running workflow for its HoldState.
func queryState(t testing.TB, env *testsuite.TestWorkflowEnvironment) contract.HoldState {
	t.Helper()
	v, err := env.QueryWorkflow(contract.QueryState)
	require.NoError(t, err)
	var st contract.HoldState
	require.NoError(t, v.Get(&st))
	return st
}

// updateOutcome is what the update callbacks saw.
type updateOutcome struct {
	mu        sync.Mutex
	accepted  bool
	rejected  error
	completed bool
	err       error
	result    contract.UpdateResult
}

func (u *updateOutcome) get() updateOutcome {
	u.mu.Lock()
	defer u.mu.Unlock()
	return updateOutcome{accepted: u.accepted, rejected: u.rejected, completed: u.completed, err: u.err, result: u.result}
}

// sendUpdate sends update name with arg to the workflow now (call it from a delayed callback).
func sendUpdate(t testing.TB, env *testsuite.TestWorkflowEnvironment, name string, arg any) *updateOutcome {
	u := &updateOutcome{}
	env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() { u.mu.Lock(); u.accepted = true; u.mu.Unlock() },
		OnReject: func(err error) { u.mu.Lock(); u.rejected = err; u.mu.Unlock() },
		OnComplete: func(res any, err error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.completed, u.err = true, err
			switch r := res.(type) {
			case contract.UpdateResult:
				u.result = r
			case converter.EncodedValue:
				if r != nil && r.HasValue() {
					if derr := r.Get(&u.result); derr != nil {
						t.Errorf("decode %s result: %v", name, derr)
					}
				}
			case nil:
			default:
				t.Errorf("%s: unexpected update result type %T", name, res)
			}
		},
	}, arg)
	return u
}

// appErrType is the type of the ApplicationError in err, or "".
func appErrType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func secured(branch string) contract.Assignment {
	return contract.Assignment{HoldID: holdID, Barcode: barcode, Branch: branch, Kind: contract.CopySecured}
}

func signalAfter(env *testsuite.TestWorkflowEnvironment, d time.Duration, as contract.Assignment) {
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalCopy, as) }, d)
}

func holdResult(t testing.TB, env *testsuite.TestWorkflowEnvironment) contract.HoldResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted(), "the workflow did not complete")
	require.NoError(t, env.GetWorkflowError())
	var res contract.HoldResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

// TestHoldExpiresAtEndOfPickupWeekInTokyo: a ready hold whose patron was contacted by e-mail expires at
// midnight Asia/Tokyo ending the 7th day counting the contact date, decided by the Tokyo calendar, not UTC's.
func TestHoldExpiresAtEndOfPickupWeekInTokyo(t *testing.T) {
	loc := tokyo(t)
	cases := []struct {
		name   string
		start  time.Time // the copy arrives (and the patron is mailed) one second later
		expiry time.Time
	}{
		{
			// 14:59:31 UTC: still 2 Nov in Tokyo, 30 s before the day ends
			name:   "contacted late evening JST",
			start:  time.Date(2026, 11, 2, 23, 59, 30, 0, loc),
			expiry: time.Date(2026, 11, 9, 0, 0, 0, 0, loc),
		},
		{
			// 15:00:31 UTC on 2 Nov: UTC still says 2 Nov, Tokyo says 3 Nov
			name:   "contacted just after midnight JST",
			start:  time.Date(2026, 11, 3, 0, 0, 30, 0, loc),
			expiry: time.Date(2026, 11, 10, 0, 0, 0, 0, loc),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newHoldEnv(t, "web")
			env.SetStartTime(tc.start)
			signalAfter(env, time.Second, secured(pickup))

			checks := []struct {
				at   time.Time
				name string
			}{
				{tc.expiry.Add(-time.Minute), "D+6 23:59 JST"},
				{tc.expiry.Add(-time.Second), "D+6 23:59:59 JST"},
			}
			got := make([]contract.HoldState, len(checks))
			cancels := make([]int, len(checks))
			for i, c := range checks {
				env.RegisterDelayedCallback(func() {
					got[i] = queryState(t, env)
					cancels[i] = len(f.callsOf("cancel:expired"))
				}, c.at.Sub(tc.start))
			}

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

			require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
			for i, c := range checks {
				require.Equal(t, domain.StatusReady, got[i].Status, "at %s the hold must still be ready", c.name)
				require.Zero(t, cancels[i], "at %s nothing may have expired yet", c.name)
			}
			notified := f.callsOf("notify")
			require.Len(t, notified, 1)
			require.True(t, notified[0].At.Equal(tc.start.Add(time.Second)), "notified at %s", notified[0].At.In(loc))
			expired := f.callsOf("cancel:expired")
			require.Len(t, expired, 1)
			require.True(t, expired[0].At.Equal(tc.expiry), "Cancel(expired) ran at %s, want %s", expired[0].At.In(loc), tc.expiry)
			require.Equal(t, []string{"approve@0", "copy:secured@1", "notify@2", "cancel:expired@2"}, f.trace())
			require.Empty(t, f.sent())
		})
	}
}

// TestHoldStepFollowsOutcomeTransition: the workflow's transition counter is the one in the last Outcome,
// not a count of its own calls: a duplicate copy signal whose ApplyCopy changes nothing leaves it as it was,
// and the hold is notified once.
func TestHoldStepFollowsOutcomeTransition(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc)
	env, f := newHoldEnv(t, "web")
	env.SetStartTime(start)
	signalAfter(env, time.Minute, secured(pickup))
	signalAfter(env, 2*time.Minute, secured(pickup)) // the allocation's signal, delivered twice

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.Equal(t, []string{"approve@0", "copy:secured@1", "notify@2", "copy:secured@2", "cancel:expired@2"}, f.trace())
	expired := f.callsOf("cancel:expired")
	require.True(t, expired[0].At.Equal(time.Date(2026, 11, 9, 0, 0, 0, 0, loc)), "expired at %s", expired[0].At.In(loc))
}

// TestHoldApprovalOutlastingItsTimeoutIsRetried: on a title many patrons hold at once, approvals queue on
// the title's lock and one can fail for longer than its local activity may retry (12 s). The hold must not
// fail and stay 予約申込 for ever: the workflow tries again and goes on as usual.
func TestHoldApprovalOutlastingItsTimeoutIsRetried(t *testing.T) {
	env, f := newHoldEnv(t, "web")
	f.approveFails = 30 // a few times more than the local activity's retries within 12 s
	signalAfter(env, time.Hour, secured(pickup))

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.Zero(t, f.approveFails)
	require.Equal(t, []string{"approve@0", "copy:secured@1", "notify@2", "cancel:expired@2"}, f.trace())
}

// TestHoldPhoneContactStartsDeadlineWhenCallRecorded: a patron to be phoned is on the call list, and the hold
// waits (no deadline) until staff record the call; the week then counts from the call's date.
func TestHoldPhoneContactStartsDeadlineWhenCallRecorded(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc)
	callAt := start.Add(30 * 24 * time.Hour) // 2 Dec 10:00 JST
	wantExpiry := time.Date(2026, 12, 9, 0, 0, 0, 0, loc)

	env, f := newHoldEnv(t, "web")
	f.phone = true
	env.SetStartTime(start)
	signalAfter(env, time.Second, secured(pickup))

	var before contract.HoldState
	var cancelsBefore int
	var call *updateOutcome
	env.RegisterDelayedCallback(func() {
		before = queryState(t, env)
		cancelsBefore = len(f.callsOf("cancel:expired"))
		call = sendUpdate(t, env, contract.UpdateContacted, contract.StaffRequest{StaffID: staffID})
	}, callAt.Sub(start))
	var afterCall contract.HoldState
	env.RegisterDelayedCallback(func() { afterCall = queryState(t, env) }, wantExpiry.Add(-time.Second).Sub(start))

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.Equal(t, domain.StatusReady, before.Status, "30 days without a call: still ready")
	require.Equal(t, 2, before.Transition)
	require.Zero(t, cancelsBefore, "no deadline may run before the call is recorded")

	u := call.get()
	require.True(t, u.accepted)
	require.NoError(t, u.rejected)
	require.True(t, u.completed)
	require.NoError(t, u.err)
	require.Equal(t, domain.StatusReady, u.result.Status)
	require.Equal(t, domain.StatusReady, afterCall.Status)
	require.Equal(t, 3, afterCall.Transition, "the recorded call is a transition")

	contacted := f.callsOf("contacted")
	require.Len(t, contacted, 1)
	require.True(t, contacted[0].At.Equal(callAt))
	expired := f.callsOf("cancel:expired")
	require.Len(t, expired, 1)
	require.True(t, expired[0].At.Equal(wantExpiry), "Cancel(expired) ran at %s, want %s", expired[0].At.In(loc), wantExpiry)
	require.Equal(t, []string{"approve@0", "copy:secured@1", "notify@2", "contacted@2", "cancel:expired@3"}, f.trace())
}

// TestHoldCheckoutFulfilsAndStopsTimer: the patron collects a ready hold: the workflow completes fulfilled,
// its pickup-deadline timer is cancelled and the hold never expires.
func TestHoldCheckoutFulfilsAndStopsTimer(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc)
	env, f := newHoldEnv(t, "web")
	env.SetStartTime(start)
	signalAfter(env, time.Second, secured(pickup))

	// The pickup-deadline timer is the only workflow timer here (delayed callbacks are not reported). Its
	// cancellation is not observable in the test environment when the workflow completes in the same task,
	// so the test checks that it was started and never fired.
	var mu sync.Mutex
	scheduled := map[string]time.Duration{}
	var fired []string
	env.SetOnTimerScheduledListener(func(id string, d time.Duration) { mu.Lock(); scheduled[id] = d; mu.Unlock() })
	env.SetOnTimerFiredListener(func(id string) { mu.Lock(); fired = append(fired, id); mu.Unlock() })
	var checkout *updateOutcome
	env.RegisterDelayedCallback(func() {
		checkout = sendUpdate(t, env, contract.UpdateCheckout, contract.CheckoutRequest{
			Barcode: barcode, Branch: pickup, PatronID: patronID, StaffID: staffID,
		})
	}, 2*24*time.Hour)

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusFulfilled, holdResult(t, env).Status)
	u := checkout.get()
	require.True(t, u.accepted)
	require.NoError(t, u.err)
	require.Equal(t, domain.StatusFulfilled, u.result.Status)
	require.NotNil(t, u.result.Loan)
	require.Equal(t, barcode, u.result.Loan.Barcode)
	mu.Lock()
	defer mu.Unlock()
	wantDeadline := time.Date(2026, 11, 9, 0, 0, 0, 0, loc).Sub(start.Add(time.Second))
	require.Len(t, scheduled, 1)
	for _, d := range scheduled {
		require.Equal(t, wantDeadline, d, "the pickup-deadline timer")
	}
	require.Empty(t, fired, "the pickup-deadline timer must not fire after the checkout")
	require.Empty(t, f.callsOf("cancel:expired"))
	require.Equal(t, []string{"approve@0", "copy:secured@1", "notify@2", "checkout@2"}, f.trace())
	require.True(t, env.Now().Before(time.Date(2026, 11, 9, 0, 0, 0, 0, loc)), "the workflow ended at %s", env.Now().In(loc))
}

// TestHoldValidatorsRefuseWithoutActivity: scans and requests that do not fit the hold are rejected by the
// update validators with the API's error code, before any activity runs (no history event); fitting ones
// are accepted and run their activity at the current transition.
func TestHoldValidatorsRefuseWithoutActivity(t *testing.T) {
	cases := []struct {
		name      string
		origin    string
		approveTo domain.Status // with a copy set aside at otherBranch when awaiting_pull
		copySig   *contract.Assignment
		update    string
		arg       any
		wantErr   domain.Code // "" = accepted
		activity  string      // the activity the update runs (must not run when rejected)
		wantTrace []string
	}{
		{
			name: "pull: wrong barcode", origin: "web", approveTo: domain.StatusAwaitingPull,
			update: contract.UpdatePull, arg: contract.ScanRequest{Barcode: "1000099999", Branch: otherBranch, StaffID: staffID},
			wantErr: contract.ErrNotOnPullList, activity: "pull",
		},
		{
			name: "pull: wrong branch", origin: "web", approveTo: domain.StatusAwaitingPull,
			update: contract.UpdatePull, arg: contract.ScanRequest{Barcode: barcode, Branch: pickup, StaffID: staffID},
			wantErr: contract.ErrNotOnPullList, activity: "pull",
		},
		{
			name: "pull: hold not awaiting pull", origin: "web", approveTo: domain.StatusQueued,
			update: contract.UpdatePull, arg: contract.ScanRequest{Barcode: barcode, Branch: otherBranch, StaffID: staffID},
			wantErr: contract.ErrNotOnPullList, activity: "pull",
		},
		{
			name: "missing: wrong barcode", origin: "web", approveTo: domain.StatusAwaitingPull,
			update: contract.UpdateMissing, arg: contract.ScanRequest{Barcode: "1000099999", Branch: otherBranch, StaffID: staffID},
			wantErr: contract.ErrNotOnPullList, activity: "missing",
		},
		{
			name: "pull: the set-aside copy at its branch is accepted", origin: "web", approveTo: domain.StatusAwaitingPull,
			update: contract.UpdatePull, arg: contract.ScanRequest{Barcode: barcode, Branch: otherBranch, StaffID: staffID},
			activity: "pull", wantTrace: []string{"approve@0", "pull@1"},
		},
		{
			name: "receive: at a branch other than the pickup", origin: "web", approveTo: domain.StatusQueued,
			copySig: &contract.Assignment{HoldID: holdID, Barcode: barcode, Branch: otherBranch, Kind: contract.CopySecured},
			update:  contract.UpdateReceive, arg: contract.ScanRequest{Barcode: barcode, Branch: otherBranch, StaffID: staffID},
			wantErr: contract.ErrNotExpectedHere, activity: "receive",
		},
		{
			name: "receive: at the pickup is accepted", origin: "web", approveTo: domain.StatusQueued,
			copySig: &contract.Assignment{HoldID: holdID, Barcode: barcode, Branch: otherBranch, Kind: contract.CopySecured},
			update:  contract.UpdateReceive, arg: contract.ScanRequest{Barcode: barcode, Branch: pickup, StaffID: staffID},
			activity: "receive", wantTrace: []string{"approve@0", "copy:secured@1", "receive@2", "notify@3"},
		},
		{
			name: "checkout: ready hold by another patron", origin: "web", approveTo: domain.StatusQueued,
			copySig: &contract.Assignment{HoldID: holdID, Barcode: barcode, Branch: pickup, Kind: contract.CopySecured},
			update:  contract.UpdateCheckout, arg: contract.CheckoutRequest{Barcode: barcode, Branch: pickup, PatronID: otherPatron, StaffID: staffID},
			wantErr: contract.ErrHeldForAnother, activity: "checkout",
		},
		{
			name: "cancel: patron cancels a counter hold", origin: "counter", approveTo: domain.StatusQueued,
			update: contract.UpdateCancel, arg: contract.CancelRequest{Reason: domain.CancelPatron},
			wantErr: contract.ErrNotCancellable, activity: "cancel_request",
		},
		{
			name: "cancel: patron cancels a ready web hold", origin: "web", approveTo: domain.StatusQueued,
			copySig: &contract.Assignment{HoldID: holdID, Barcode: barcode, Branch: pickup, Kind: contract.CopySecured},
			update:  contract.UpdateCancel, arg: contract.CancelRequest{Reason: domain.CancelPatron},
			wantErr: contract.ErrNotCancellable, activity: "cancel_request",
		},
		{
			name: "defer: hold in transit", origin: "web", approveTo: domain.StatusQueued,
			copySig: &contract.Assignment{HoldID: holdID, Barcode: barcode, Branch: otherBranch, Kind: contract.CopySecured},
			update:  contract.UpdateDefer, arg: contract.DeferRequest{},
			wantErr: contract.ErrNotDeferrable, activity: "defer",
		},
		{
			name: "contacted: hold not ready", origin: "web", approveTo: domain.StatusQueued,
			update: contract.UpdateContacted, arg: contract.StaffRequest{StaffID: staffID},
			wantErr: contract.ErrNotChangeable, activity: "contacted",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newHoldEnv(t, tc.origin)
			env.SetStartTime(time.Date(2026, 11, 2, 10, 0, 0, 0, tokyo(t)))
			f.approveTo, f.approveCopy = tc.approveTo, otherBranch
			if tc.copySig != nil {
				signalAfter(env, time.Second, *tc.copySig)
			}
			var u *updateOutcome
			env.RegisterDelayedCallback(func() { u = sendUpdate(t, env, tc.update, tc.arg) }, time.Minute)
			env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Minute) // end the test's hold

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

			require.True(t, env.IsWorkflowCompleted())
			require.NotNil(t, u, "the update was not sent")
			got := u.get()
			if tc.wantErr != "" {
				require.Error(t, got.rejected, "the update must be rejected")
				require.Equal(t, string(tc.wantErr), appErrType(got.rejected), "rejected with %v", got.rejected)
				require.False(t, got.accepted)
				require.Empty(t, f.callsOf(tc.activity), "a rejected update must not run its activity")
				return
			}
			require.NoError(t, got.rejected)
			require.True(t, got.accepted)
			require.NoError(t, got.err)
			require.Equal(t, tc.wantTrace, f.trace())
		})
	}
}

// TestHoldPatronCancel: a patron's cancellation is recorded (取消申込) at once and approved (本人取消) after
// CancelApprovalDelay of workflow time; the copy the hold released is handed to the next hold by a durable
// signal to its workflow.
func TestHoldPatronCancel(t *testing.T) {
	loc := tokyo(t)
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc)
	requestAt := 3 * time.Minute
	handOver := &contract.Assignment{HoldID: nextHoldID, Barcode: barcode, Branch: otherBranch, Kind: contract.CopyAssigned}
	cases := []struct {
		name      string
		delay     time.Duration
		approveTo domain.Status
		next      *contract.Assignment
	}{
		{name: "approved at once, nothing to hand over", delay: 0, approveTo: domain.StatusQueued},
		{name: "approved after 5 minutes, set-aside copy to the next hold", delay: 5 * time.Minute, approveTo: domain.StatusAwaitingPull, next: handOver},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, f := newHoldEnv(t, "web")
			env.SetStartTime(start)
			f.approveTo, f.approveCopy, f.cancelNext = tc.approveTo, otherBranch, tc.next

			var u *updateOutcome
			env.RegisterDelayedCallback(func() {
				u = sendUpdate(t, env, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelPatron})
			}, requestAt)
			var pending contract.HoldState
			var cancelsPending int
			if tc.delay > 0 {
				env.RegisterDelayedCallback(func() {
					pending = queryState(t, env)
					cancelsPending = len(f.callsOf("cancel:patron"))
				}, requestAt+tc.delay-time.Second)
			}

			env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID, CancelApprovalDelay: tc.delay})

			require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
			got := u.get()
			require.True(t, got.accepted)
			require.NoError(t, got.err)
			require.Equal(t, domain.StatusCancelRequested, got.result.Status, "the update answers 取消申込")
			if tc.delay > 0 {
				require.Equal(t, domain.StatusCancelRequested, pending.Status, "1 s before approval")
				require.Zero(t, cancelsPending, "Cancel must wait for the approval delay")
			}
			approved := f.callsOf("cancel:patron")
			require.Len(t, approved, 1)
			want := start.Add(requestAt + tc.delay)
			require.True(t, approved[0].At.Equal(want), "Cancel(patron) ran at %s, want %s", approved[0].At.In(loc), want.In(loc))
			require.Equal(t, []string{"approve@0", "cancel_request@1", "cancel:patron@2"}, f.trace())

			var wantSignals []sentSignal
			if tc.next != nil {
				wantSignals = []sentSignal{{WorkflowID: "hold-43", RunID: "", Name: contract.SignalCopy, Arg: *tc.next}}
			}
			require.Equal(t, wantSignals, f.sent())
		})
	}
}

// TestHoldExpiryHandsCopyToNextHold: an expired hold's copy, released by Cancel(expired), is signalled to the
// next hold's workflow as its Assignment.
func TestHoldExpiryHandsCopyToNextHold(t *testing.T) {
	loc := tokyo(t)
	env, f := newHoldEnv(t, "web")
	env.SetStartTime(time.Date(2026, 11, 2, 10, 0, 0, 0, loc))
	next := contract.Assignment{HoldID: nextHoldID, Barcode: barcode, Branch: pickup, Kind: contract.CopySecured}
	f.cancelNext = &next
	signalAfter(env, time.Second, secured(pickup))

	env.ExecuteWorkflow(workflows.HoldWorkflow, contract.HoldInput{HoldID: holdID})

	require.Equal(t, domain.StatusCancelled, holdResult(t, env).Status)
	require.Equal(t, []sentSignal{{WorkflowID: contract.HoldWorkflowID(nextHoldID), Name: contract.SignalCopy, Arg: next}}, f.sent())
}
