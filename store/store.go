// Package store holds every SQL statement of yoyaku: the library's operations and the pages' reads, the
// activities' transitions and allocation, sessions and the login throttle, the reconciler's and the
// consistency check's; one transaction helper (InTx) retries deadlocks, and one condition (OpenHold)
// says which holds are open. The library and the activities decide; store only reads and writes.
// Database errors leave it wrapped with context; callers map them to domain errors once.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // also the PostgreSQL driver

	"yoyaku/domain"
)

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return db, nil
}

// selectAll reads every row of query into a []T (nil when there is none) and wraps its error as "store: what:
// …": the whole of a reader that only lists rows, but for its query.
func selectAll[T any](ctx context.Context, q sqlx.QueryerContext, what, query string, args ...any) ([]T, error) {
	var rows []T
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return rows, nil
}

// Branch is a pickup place.
type Branch struct {
	Code      string            `db:"code" json:"code"`
	Name      string            `db:"name" json:"name"`
	Kind      domain.BranchKind `db:"kind" json:"kind"`
	AcceptsAV bool              `db:"-" json:"accepts_av"`
}

// Branches lists every branch, libraries first in the library's own order.
func Branches(ctx context.Context, db sqlx.QueryerContext) ([]Branch, error) {
	var bs []Branch
	err := sqlx.SelectContext(ctx, db, &bs,
		`SELECT code, name, kind FROM branches ORDER BY kind = 'facility', sort_order, code`)
	if err != nil {
		return nil, fmt.Errorf("store: branches: %w", err)
	}
	for i := range bs {
		bs[i].AcceptsAV = bs[i].Kind.AcceptsAV()
	}
	return bs, nil
}

// ArchiveHolds marks cancelled holds older than keep, and fulfilled ones, as archived: they leave the
// patron's list but stay in the database for statistics and audits.
func ArchiveHolds(ctx context.Context, db sqlx.ExecerContext, keep time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, `
		UPDATE holds SET archived_at = now()
		WHERE archived_at IS NULL
		  AND (status = 'fulfilled' OR (status = 'cancelled' AND cancelled_at < now() - $1 * interval '1 second'))`,
		keep.Seconds())
	if err != nil {
		return 0, fmt.Errorf("store: archive holds: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: archive holds: %w", err)
	}
	return n, nil
}

// --- transactions ---

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
