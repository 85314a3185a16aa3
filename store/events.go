package store

// Reading a hold's event log (hold_events), for the patron's hold page: what happened to the hold, when.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// HoldEvent is one transition of a hold: when, from and to which status, and the operation that made it
// (the "op" the activities keep in the detail: approve, pull, call:no_answer, cancel:patron, ...).
type HoldEvent struct {
	At   time.Time      `db:"at"`
	From sql.NullString `db:"from_status"`
	To   domain.Status  `db:"to_status"`
	Op   string         `db:"op"`
}

// HoldEvents lists the events of hold holdID in the order they happened.
func HoldEvents(ctx context.Context, q sqlx.QueryerContext, holdID int64) ([]HoldEvent, error) {
	var evs []HoldEvent
	err := sqlx.SelectContext(ctx, q, &evs, `SELECT at, from_status, to_status, coalesce(detail->>'op', '') AS op
		FROM hold_events WHERE hold_id = $1 ORDER BY transition`, holdID)
	if err != nil {
		return nil, fmt.Errorf("store: events of hold %d: %w", holdID, err)
	}
	return evs, nil
}

// ApprovalCommits is, for each of holds that has left 予約申込, when the transaction that approved it
// committed: the moment its approval became visible to everyone. It needs PostgreSQL's
// track_commit_timestamp (the dev and bench stacks turn it on); the bench times approvals with it.
func ApprovalCommits(ctx context.Context, q sqlx.QueryerContext, holds []int64) (map[int64]time.Time, error) {
	var rows []struct {
		HoldID int64        `db:"hold_id"`
		At     sql.NullTime `db:"at"` // null for a transaction committed before commit times were kept
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT hold_id, pg_xact_commit_timestamp(xmin) AS at
		FROM hold_events WHERE hold_id = ANY($1) AND from_status = 'requested'`, pq.Array(holds))
	if err != nil {
		return nil, fmt.Errorf("store: approval commit times: %w", err)
	}
	out := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		if r.At.Valid {
			out[r.HoldID] = r.At.Time
		}
	}
	return out, nil
}
