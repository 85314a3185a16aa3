package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/api"
	"yoyaku/config"
	"yoyaku/internal/seed"
	"yoyaku/store"
)

// devStackEnv marks the worker and the API that startStack runs (`yoyaku dev`, and the private stacks of
// `yoyaku bench --dev` and `yoyaku chaos`), whose demo accounts are there on purpose. It is not a setting.
const devStackEnv = "YOYAKU_DEV_STACK"

func runAPI(ctx context.Context, cfg config.Config, log *slog.Logger, _ []string) error {
	c, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.close(log)
	if os.Getenv(devStackEnv) == "" {
		warnDemoAccounts(ctx, c.db, log)
	}
	approvals, err := store.WatchApprovals(c.db, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := approvals.Close(); err != nil {
			log.Warn("stop listening for approvals", "err", err)
		}
	}()
	srv := &api.Server{DB: c.db, Temporal: c.temporal, Cfg: cfg, Log: log, Metrics: c.metrics, Approvals: approvals}
	hs := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           srv.Router(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// Prometheus metrics have a listener of their own (loopback by default), never the patron one.
	ms := &http.Server{
		Addr:              cfg.MetricsAddr,
		Handler:           srv.MetricsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	return serveUntilDone(ctx, log, listener{"api", hs}, listener{"api metrics", ms})
}

// warnDemoAccounts logs an ERROR when demo accounts with their published passwords exist: outside
// `yoyaku dev` (demo data loaded by mistake, e.g. YOYAKU_DEMO=1 in production) anyone can log in with them.
func warnDemoAccounts(ctx context.Context, db *sqlx.DB, log *slog.Logger) {
	found, err := seed.PublishedDemoAccounts(ctx, db)
	if err != nil {
		log.Warn("could not look for demo accounts", "err", err)
		return
	}
	if len(found) > 0 {
		log.Error("demo accounts with their published passwords exist: anyone can log in with them. "+
			"They are for `make dev` only: delete them, or change their passwords, before this site is used",
			"accounts", strings.Join(found, ", "))
	}
}

// listener is one HTTP server of a process, named in its log lines and errors.
type listener struct {
	name string
	hs   *http.Server
}

// serveUntilDone serves every listener until ctx ends, then shuts them down in order, each draining its
// in-flight requests (20 seconds in all). A listener that stops on its own (its address is taken) stops the
// others and is the error.
func serveUntilDone(ctx context.Context, log *slog.Logger, ls ...listener) error {
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			log.Info(l.name+" listening", "addr", l.hs.Addr)
			err := l.hs.ListenAndServe()
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			} else {
				err = fmt.Errorf("%s: %w", l.name, err)
			}
			errc <- err
		}()
	}
	pending := len(ls)
	var errs []error
	select {
	case err := <-errc:
		pending--
		errs = append(errs, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	for _, l := range ls {
		log.Info(l.name + " shutting down")
		if err := l.hs.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, fmt.Errorf("%s: shutdown: %w", l.name, err))
		}
	}
	for ; pending > 0; pending-- {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}
