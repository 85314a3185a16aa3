package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// InTx runs f in a transaction. A deadlock or a serialization failure rolls it back and runs f again, a few
// times: nothing was committed, so the retry is safe as long as f sets what it reports afresh on each run.
func InTx(ctx context.Context, db *sqlx.DB, f func(tx *sqlx.Tx) error) error {
	return retried(ctx, db, nil, f)
}

// readOnly runs f in a read-only transaction, one snapshot for the count and the rows. Parallel workers
// and JIT compilation cost more than they save on queries that stop after a page; work_mem keeps bitmaps
// exact (a lossy page would make PostgreSQL recheck, that is compute search_grams for, each of its rows).
func readOnly(ctx context.Context, db *sqlx.DB, f func(tx *sqlx.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	return retried(ctx, db, opts, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off;
			SET LOCAL work_mem = '16MB'`); err != nil {
			return fmt.Errorf("store: search: %w", err)
		}
		return f(tx)
	})
}

// retried is the one transaction helper behind InTx and readOnly.
func retried(ctx context.Context, db *sqlx.DB, opts *sql.TxOptions, f func(tx *sqlx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := try(ctx, db, opts, f)
		var pqErr *pq.Error
		if attempt < 4 && errors.As(err, &pqErr) && (pqErr.Code == "40P01" || pqErr.Code == "40001") {
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
			continue
		}
		return err
	}
}

func try(ctx context.Context, db *sqlx.DB, opts *sql.TxOptions, f func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
