// Package worker builds yoyaku's Temporal worker: it registers the workflows and activities, ensures the
// schedules exist and serves Prometheus metrics.
package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"

	"yoyaku/activities"
	"yoyaku/contract"
	"yoyaku/workflows"
)

// New builds a worker on the configured task queue with every workflow and activity registered.
func New(c client.Client, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, acts.Cfg.TaskQueue, Options())
	Register(w, acts)
	return w
}

// Options are yoyaku's worker options; the bench's baseline worker takes the same, so that its empty
// workflows are served as yoyaku's are.
func Options() sdkworker.Options {
	return sdkworker.Options{
		// Let in-flight activities finish on SIGTERM (graceful shutdown) before the worker stops.
		WorkerStopTimeout:                20 * time.Second,
		MaxConcurrentWorkflowTaskPollers: 8,
	}
}

// Register adds every workflow and activity to r (a worker, or a test environment's registry).
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflow(workflows.ArchiveWorkflow)
	r.RegisterWorkflow(workflows.HoldWorkflow)
	r.RegisterWorkflow(workflows.CheckinWorkflow)
	r.RegisterWorkflow(workflows.SeriesHoldWorkflow)
	r.RegisterWorkflow(workflows.GroupHoldWorkflow)
	r.RegisterWorkflow(workflows.ClosureWorkflow)
	r.RegisterActivity(acts)
}

// EnsureSchedules creates the schedules yoyaku relies on unless they exist.
func EnsureSchedules(ctx context.Context, c client.Client, taskQueue string) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   contract.ArchiveScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
		Action: &client.ScheduleWorkflowAction{
			ID:            contract.ArchiveScheduleID,
			Workflow:      workflows.ArchiveWorkflow,
			TaskQueue:     taskQueue,
			StaticSummary: "archive cancelled and fulfilled holds; purge expired tokens and old failed logins",
		},
		Note: "archives cancelled holds 7 days after cancellation; purges expired tokens and old failed logins",
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) && !errors.As(err, &exists) {
		return fmt.Errorf("worker: create schedule %s: %w", contract.ArchiveScheduleID, err)
	}
	return nil
}
