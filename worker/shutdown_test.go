package worker_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/internal/testenv"
	"yoyaku/worker"
)

// TestStopLetsTheActivityInFlightFinish is the worker's graceful shutdown, in process: `yoyaku worker` turns
// SIGTERM into a cancelled context and then calls Stop on the worker built by worker.New (its deferred Stop
// runs before PostgreSQL and Temporal are closed). Stop must wait for an activity in flight — here a stand-in
// for a ready mail being sent — and its result must reach the server, rather than the activity being cut.
func TestStopLetsTheActivityInFlightFinish(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	tc := testenv.Temporal(t)
	queue := fmt.Sprintf("shutdown-%d", os.Getpid())
	cfg, err := config.LoadFrom(func(k string) string {
		if k == "YOYAKU_TEMPORAL_TASK_QUEUE" {
			return queue
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(tc, &activities.Activities{Cfg: cfg})
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	w.RegisterActivityWithOptions(func(ctx context.Context) (string, error) {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		finished.Store(true)
		return "sent", nil
	}, activity.RegisterOptions{Name: "SlowSend"})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var s string
		err := workflow.ExecuteActivity(ctx, "SlowSend").Get(ctx, &s)
		return s, err
	}, workflow.RegisterOptions{Name: "SlowSendWorkflow"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	var stopOnce atomic.Bool
	stop := func() {
		if stopOnce.CompareAndSwap(false, true) {
			go func() { w.Stop(); close(stopped) }()
		}
	}
	t.Cleanup(func() { stop(); <-stopped })

	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "shutdown-" + queue, TaskQueue: queue}, "SlowSendWorkflow")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tc.TerminateWorkflow(context.Background(), run.GetID(), run.GetRunID(), "test over") })
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the activity never started")
	}

	stop() // what SIGTERM does
	select {
	case <-stopped:
		t.Fatal("Stop returned while an activity was in flight")
	case <-time.After(2 * time.Second):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not return after the activity finished")
	}
	if !finished.Load() {
		t.Fatal("the activity was cut short: its context was cancelled")
	}
	// The result reached the server: the next worker goes on from there instead of running it again.
	it := tc.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED {
			return
		}
	}
	t.Fatal("no ActivityTaskCompleted in the history: the activity's result was lost")
}
