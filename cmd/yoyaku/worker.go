package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/library"
	"yoyaku/mailer"
	"yoyaku/worker"
)

// reconcileEvery is how often the worker looks for placements without a workflow.
const reconcileEvery = 15 * time.Second

func runWorker(ctx context.Context, cfg config.Config, log *slog.Logger, _ []string) error {
	c, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.close(log)
	tc := c.temporal
	if err := worker.EnsureSchedules(ctx, tc, cfg.TaskQueue); err != nil {
		return err
	}
	w := worker.New(tc, &activities.Activities{DB: c.db, Cfg: cfg, Mailer: mailer.New(cfg.SMTP), Temporal: tc})
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	defer w.Stop() // waits for in-flight activities (WorkerStopTimeout) before returning

	// Placements a crashed API left without their workflow are started here (see package reconcile).
	rctx, stopReconcile := context.WithCancel(ctx)
	defer stopReconcile()
	go library.ReconcileLoop(rctx, c.db, tc, library.Settings{TaskQueue: cfg.TaskQueue, CancelApprovalDelay: cfg.CancelApprovalDelay,
		ClosureBatch: cfg.ClosureBatch, ClosurePause: cfg.ClosurePause},
		reconcileEvery, log)

	hs := &http.Server{Addr: cfg.WorkerMetricsAddr, Handler: c.metrics.Operator(), ReadHeaderTimeout: 10 * time.Second}
	return serveUntilDone(ctx, log, listener{"worker metrics", hs})
}
