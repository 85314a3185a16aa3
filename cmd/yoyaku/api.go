package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"yoyaku/api"
	"yoyaku/config"
)

func runAPI(ctx context.Context, cfg config.Config, log *slog.Logger, _ []string) error {
	c, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.close(log)
	srv := &api.Server{DB: c.db, Temporal: c.temporal, Cfg: cfg, Log: log, Metrics: c.metrics}
	hs := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           srv.Router(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return serveUntilDone(ctx, log, hs, "api")
}

// serveUntilDone serves until ctx ends, then drains in-flight requests for up to 20 seconds.
func serveUntilDone(ctx context.Context, log *slog.Logger, hs *http.Server, name string) error {
	errc := make(chan error, 1)
	go func() {
		log.Info(name+" listening", "addr", hs.Addr)
		errc <- hs.ListenAndServe()
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	log.Info(name + " shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("%s: shutdown: %w", name, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
