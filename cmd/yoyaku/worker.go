package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/mailer"
	"yoyaku/worker"
)

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

	mux := http.NewServeMux()
	mux.Handle("/metrics", c.metrics.Handler())
	hs := &http.Server{Addr: cfg.WorkerMetricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return serveUntilDone(ctx, log, hs, "worker metrics")
}
