package store

// Reading a hold's event log (hold_events), for the patron's hold page: what happened to the hold, when.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

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
