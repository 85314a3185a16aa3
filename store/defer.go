package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// QueueKey is the queue-order key of hold alias a: its placement time, unless a defer (順位の繰下げ) moved it
// (migration 00015). Every queue ordering sorts by (QueueKey, id): allocation, positions, `yoyaku check`.
func QueueKey(a string) string {
	return "COALESCE(" + a + ".queue_key, extract(epoch FROM " + a + ".placed_at))"
}

// waitingQueued is the condition on holds q of a hold that waits in line for a copy (an active hold: a
// suspended one is skipped, and so is a member of an any-of group decided for another member).
var waitingQueued = `q.status = 'queued' AND q.item_barcode IS NULL AND ` + notLost("q")

// NextInLine is the first hold on the title that waits for a copy and comes after hold holdID in queue
// order, locked; ok is false when none does.
func NextInLine(ctx context.Context, tx *sqlx.Tx, titleID, holdID int64) (next int64, ok bool, err error) {
	err = tx.GetContext(ctx, &next, `
		SELECT q.id FROM holds q, holds h
		WHERE h.id = $2 AND q.title_id = $1 AND q.id <> h.id AND `+waitingQueued+`
		  AND (`+QueueKey("q")+`, q.id) > (`+QueueKey("h")+`, h.id)
		ORDER BY `+QueueKey("q")+`, q.id LIMIT 1 FOR UPDATE OF q`, titleID, holdID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: next in line after hold %d: %w", holdID, err)
	}
	return next, true, nil
}

// Behind reports whether hold a comes after hold b in queue order.
func Behind(ctx context.Context, tx *sqlx.Tx, a, b int64) (bool, error) {
	var behind bool
	err := tx.GetContext(ctx, &behind, `
		SELECT (`+QueueKey("x")+`, x.id) > (`+QueueKey("y")+`, y.id) FROM holds x, holds y WHERE x.id = $1 AND y.id = $2`, a, b)
	if err != nil {
		return false, fmt.Errorf("store: order of holds %d and %d: %w", a, b, err)
	}
	return behind, nil
}

// MoveBehind gives hold holdID a queue key right behind hold behindID, before every other open hold of the
// title that came after behindID, and records the move. The caller holds the title's lock.
func MoveBehind(ctx context.Context, tx *sqlx.Tx, titleID, holdID, behindID int64, from string) error {
	// Holds that share behindID's key but come after it by id (placed in the same instant) move a little
	// later, keeping their order, so that a key strictly between them and behindID exists. Then holdID takes
	// the key halfway between behindID and the next open hold (a second later when there is none).
	_, err := tx.ExecContext(ctx, `
		WITH b AS (SELECT `+QueueKey("h")+` AS k, h.id FROM holds h WHERE h.id = $2),
		     later AS (SELECT min(`+QueueKey("o")+`) AS k FROM holds o, b
		               WHERE o.title_id = $1 AND o.id <> $3 AND o.`+OpenHold+` AND `+QueueKey("o")+` > b.k)
		UPDATE holds o SET queue_key = b.k + (COALESCE(later.k, b.k + 2) - b.k) / 2
		FROM b, later
		WHERE o.title_id = $1 AND o.id NOT IN ($3, b.id) AND o.`+OpenHold+` AND `+QueueKey("o")+` = b.k AND o.id > b.id`,
		titleID, behindID, holdID)
	if err != nil {
		return fmt.Errorf("store: make room behind hold %d: %w", behindID, err)
	}
	_, err = tx.ExecContext(ctx, `
		WITH b AS (SELECT `+QueueKey("h")+` AS k, h.id FROM holds h WHERE h.id = $2),
		     after AS (SELECT min(`+QueueKey("o")+`) AS k FROM holds o, b
		               WHERE o.title_id = $1 AND o.id NOT IN ($3, b.id) AND o.`+OpenHold+` AND `+QueueKey("o")+` > b.k)
		UPDATE holds SET queue_key = b.k + (COALESCE(after.k, b.k + 2) - b.k) / 2
		FROM b, after WHERE holds.id = $3`, titleID, behindID, holdID)
	if err != nil {
		return fmt.Errorf("store: defer hold %d behind %d: %w", holdID, behindID, err)
	}
	return RecordDefer(ctx, tx, holdID, behindID, from)
}

// The keys of holds q and h, for holdViewSelect.
const (
	queueKeyQ = "COALESCE(q.queue_key, extract(epoch FROM q.placed_at))"
	queueKeyH = "COALESCE(h.queue_key, extract(epoch FROM h.placed_at))"
)

// RecordDefer records a defer that left the hold's queue key as it was (it already came after behindID).
func RecordDefer(ctx context.Context, tx *sqlx.Tx, holdID, behindID int64, from string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO hold_defers (hold_id, behind_id, from_status) VALUES ($1, $2, $3)`, holdID, behindID, from); err != nil {
		return fmt.Errorf("store: record defer of hold %d: %w", holdID, err)
	}
	return nil
}

// Unready takes a ready hold's copy from it and clears what being ready set (the hold waits again): a later
// copy makes it ready anew, with a new deadline. The status moves to 'queued' here already, as a CHECK ties
// 'ready' to a copy; the caller's transition (RecordTransition, guarded by the counter) records the move.
func Unready(ctx context.Context, tx *sqlx.Tx, holdID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE holds SET status = 'queued', item_barcode = NULL, assigned_at = NULL, pending_copy = NULL,
		pending_at = NULL, ready_at = NULL, contact_date = NULL, pickup_deadline = NULL WHERE id = $1`, holdID)
	if err != nil {
		return fmt.Errorf("store: unready hold %d: %w", holdID, err)
	}
	return nil
}
