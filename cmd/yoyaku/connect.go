package main

import (
	"context"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/config"
	"yoyaku/internal/temporalx"
	"yoyaku/store"
)

// conns are what the API and the worker both connect to: PostgreSQL and Temporal, with Prometheus metrics.
type conns struct {
	db       *sqlx.DB
	metrics  *temporalx.Metrics
	temporal client.Client
}

// connect opens PostgreSQL, the metrics registry and the Temporal client; close releases them.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger) (*conns, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	tc, err := temporalx.Dial(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, log, metrics)
	if err != nil {
		_ = metrics.Close()
		_ = db.Close()
		return nil, err
	}
	return &conns{db: db, metrics: metrics, temporal: tc}, nil
}

func (c *conns) close(log *slog.Logger) {
	c.temporal.Close()
	if err := c.metrics.Close(); err != nil {
		log.Warn("close metrics", "err", err)
	}
	if err := c.db.Close(); err != nil {
		log.Warn("close database", "err", err)
	}
}
