package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// waitingHold is the condition on holds w of a hold that waits for a copy of its title: placed and not yet
// approved, or queued with no copy set aside. Such a hold forbids extending another hold's pickup deadline.
var waitingHold = `w.status IN ('requested', 'queued') AND w.item_barcode IS NULL AND ` + notLost("w")

// OthersWaiting says whether a hold other than holdID waits for a copy of title titleID. The caller holds the
// title's lock (LockHold), so no hold can join the queue until it commits.
func OthersWaiting(ctx context.Context, tx *sqlx.Tx, titleID, holdID int64) (bool, error) {
	var waiting bool
	err := tx.GetContext(ctx, &waiting, `SELECT EXISTS (SELECT 1 FROM holds w WHERE w.title_id = $1 AND w.id <> $2 AND `+waitingHold+`)`,
		titleID, holdID)
	if err != nil {
		return false, fmt.Errorf("store: holds waiting for title %d: %w", titleID, err)
	}
	return waiting, nil
}

// PickupDeadlineOf is the pickup deadline of a ready hold; ok is false when none is set yet (the patron was
// not contacted).
func PickupDeadlineOf(ctx context.Context, tx *sqlx.Tx, holdID int64) (deadline time.Time, ok bool, err error) {
	var d *time.Time
	if err := tx.GetContext(ctx, &d, `SELECT pickup_deadline FROM holds WHERE id = $1`, holdID); err != nil {
		return time.Time{}, false, fmt.Errorf("store: pickup deadline of hold %d: %w", holdID, err)
	}
	if d == nil {
		return time.Time{}, false, nil
	}
	return *d, true, nil
}

// MarkExtended moves the hold's pickup deadline to deadline and records that it was extended.
func MarkExtended(ctx context.Context, tx *sqlx.Tx, holdID int64, deadline time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET pickup_deadline = $2, extended_at = now() WHERE id = $1`, holdID, deadline); err != nil {
		return fmt.Errorf("store: extend hold %d: %w", holdID, err)
	}
	return nil
}
