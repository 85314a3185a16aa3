package store

// The statements of a hold's transitions. The activities decide which transition a hold takes; every one runs
// in one transaction (InTx) that locks the hold's title, then the hold (LockHold), then copies.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// HoldRow is the hold as its lifecycle reads it.
type HoldRow struct {
	ID          int64          `db:"id"`
	PatronID    int64          `db:"patron_id"`
	TitleID     sql.NullInt64  `db:"title_id"`
	Pickup      string         `db:"pickup_branch"`
	Origin      string         `db:"origin"`
	Status      domain.Status  `db:"status"`
	Transition  int            `db:"transition"`
	ItemBarcode sql.NullString `db:"item_barcode"`
	ILL         bool           `db:"ill"`
	CopyBranch  sql.NullString `db:"copy_branch"`
	SeriesID    sql.NullInt64  `db:"series_hold_id"`
	SeriesSeq   sql.NullInt64  `db:"series_seq"`
	GroupID     sql.NullInt64  `db:"group_id"`
	Suspended   sql.NullTime   `db:"suspended_until"` // the day a suspended hold is active again
	Extended    bool           `db:"extended"`        // the pickup deadline was extended (once per hold)
	Position    sql.NullInt64  `db:"position"`        // place in the title's queue, for a hold waiting for a copy
	Deadline    sql.NullTime   `db:"pickup_deadline"` // a ready hold's pickup deadline, once its patron was told
}

// holdRowColumns are a HoldRow's columns but its position, from holds h with their copy i.
const holdRowColumns = `h.id, h.patron_id, h.title_id, h.pickup_branch, h.origin, h.status, h.transition, h.item_barcode, h.ill,
	i.location_branch AS copy_branch, h.series_hold_id, h.series_seq, h.group_id, h.suspended_until, h.extended_at IS NOT NULL AS extended,
	h.pickup_deadline`

// holdRowSelect reads HoldRows from holds h with their copy i.
var holdRowSelect = `SELECT ` + holdRowColumns + `, ` + positionOfH + ` AS position
	FROM holds h LEFT JOIN items i ON i.barcode = h.item_barcode`

// lockedRowSelect reads HoldRows without their position: a count over the title's queue, which a
// transition does not need to decide and which, taken under the title's lock, would make a burst of
// approvals on one title quadratic.
var lockedRowSelect = `SELECT ` + holdRowColumns + `, NULL::bigint AS position
	FROM holds h LEFT JOIN items i ON i.barcode = h.item_barcode`

// LockTitle serialises every change of which hold a copy belongs to: transactions that assign or release
// copies of a title lock the title first, then holds, then items, always in that order.
//
// The title's lock is a transaction-scoped advisory lock (titleLockClass, the title's ID), taken exclusive
// here and shared by ShareTitle, together with the title row's lock. The advisory lock is what orders
// them: PostgreSQL's lock manager queues a shared request behind a waiting exclusive one, whereas row locks
// let shared lockers overtake, which starved the approvals that take a copy during a burst of approvals that
// share the title. The row lock is FOR NO KEY UPDATE, not FOR UPDATE: inserting a hold or a copy takes KEY
// SHARE on its title (the foreign key), and placements must not wait for approvals. A session holding the
// row FOR UPDATE (the chaos test's stalled title) stops every transition that locks the title, not those that
// share it.
func LockTitle(ctx context.Context, tx *sqlx.Tx, titleID int64) error {
	return lockTitle(ctx, tx, titleID, `pg_advisory_xact_lock`, "NO KEY UPDATE")
}

// ShareTitle is LockTitle's shared form, for a transaction that only learns that no copy of the title is free
// and changes no copy: it waits for every transaction that assigns or releases one (LockTitle), and those
// wait for it, but transactions that share the title run side by side (the approvals of a bestseller
// burst that all join the queue). It takes no row lock: row locks shared by many transactions make
// PostgreSQL keep a multixact on the title row, which halved the burst's rate and doubled the time of the
// returns after it (BenchmarkApproveHotTitle).
func ShareTitle(ctx context.Context, tx *sqlx.Tx, titleID int64) error {
	return lockTitle(ctx, tx, titleID, `pg_advisory_xact_lock_shared`, "")
}

// StallTitle takes the title's strongest locks: LockTitle's advisory lock and the row FOR UPDATE, which also
// holds back the foreign-key checks of placements on the title. Nothing of the library takes it: it is the
// chaos run's "stalled title" (a session that keeps it for seconds), in a transaction of its own.
func StallTitle(ctx context.Context, tx sqlx.ExecerContext, titleID int64) error {
	return lockTitle(ctx, tx, titleID, `pg_advisory_xact_lock`, "UPDATE")
}

// titleLockClass is the advisory lock class of titles, in the two-key space of auth's throttling classes
// (0x796b0001, 0x796b0002). Two titles whose IDs hash alike share a lock: slower, never wrong.
const titleLockClass int32 = 0x796b0003

func lockTitle(ctx context.Context, tx sqlx.ExecerContext, titleID int64, advisory, rowLock string) error {
	if titleID == 0 {
		return nil
	}
	// One statement: the advisory lock is taken as the row is read, before the row (if at all) is locked.
	lock := ""
	if rowLock != "" {
		lock = " FOR " + rowLock
	}
	if _, err := tx.ExecContext(ctx, `SELECT `+advisory+`($2, hashint8(id)) FROM titles WHERE id = $1`+lock,
		titleID, titleLockClass); err != nil {
		return fmt.Errorf("store: lock title %d: %w", titleID, err)
	}
	return nil
}

// LockHold locks the hold's title, then the hold, and reads it without its position (ReadHold has it);
// ErrNoSuchHold when there is no such hold.
func LockHold(ctx context.Context, tx *sqlx.Tx, holdID int64) (HoldRow, error) {
	return lockHold(ctx, tx, holdID, LockTitle)
}

// LockHoldShared is LockHold with the title shared (ShareTitle), not locked.
func LockHoldShared(ctx context.Context, tx *sqlx.Tx, holdID int64) (HoldRow, error) {
	return lockHold(ctx, tx, holdID, ShareTitle)
}

func lockHold(ctx context.Context, tx *sqlx.Tx, holdID int64, lock func(context.Context, *sqlx.Tx, int64) error) (HoldRow, error) {
	var titleID sql.NullInt64
	if err := tx.GetContext(ctx, &titleID, `SELECT title_id FROM holds WHERE id = $1`, holdID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return HoldRow{}, ErrNoSuchHold
		}
		return HoldRow{}, fmt.Errorf("store: hold %d: %w", holdID, err)
	}
	if err := lock(ctx, tx, titleID.Int64); err != nil {
		return HoldRow{}, err
	}
	var h HoldRow
	if err := tx.GetContext(ctx, &h, lockedRowSelect+` WHERE h.id = $1 FOR UPDATE OF h`, holdID); err != nil {
		return HoldRow{}, fmt.Errorf("store: lock hold %d: %w", holdID, err)
	}
	return h, nil
}

// ReadHold reads a hold without locking it. A hold that does not exist is an error like any other here:
// callers read holds they know of.
func ReadHold(ctx context.Context, q sqlx.QueryerContext, holdID int64) (HoldRow, error) {
	var h HoldRow
	if err := sqlx.GetContext(ctx, q, &h, holdRowSelect+` WHERE h.id = $1`, holdID); err != nil {
		return HoldRow{}, fmt.Errorf("store: read hold %d: %w", holdID, err)
	}
	return h, nil
}

// TryHoldLocks waits, for at most 10 s, until the locks LockHold takes can be taken, and releases them at
// once: it changes nothing.
func TryHoldLocks(ctx context.Context, db *sqlx.DB, holdID int64) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // nothing is written: only the locks are tried
	if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = LockHold(ctx, tx, holdID)
	return err
}

// RecordTransition moves the locked hold h to status to, counting the transition, and keeps an event with
// the actor and detail (the outcome, as JSON). A hold that closes also drops a copy signal still on its way
// (pending_copy): closing released the copy. A hold that leaves 休止中 forgets the suspension's day.
func RecordTransition(ctx context.Context, tx *sqlx.Tx, h HoldRow, to domain.Status, actor string, detail []byte) error {
	res, err := tx.ExecContext(ctx, `UPDATE holds SET status = $2, transition = transition + 1,
			pending_copy = CASE WHEN $4 THEN pending_copy END, pending_at = CASE WHEN $4 THEN pending_at END,
			suspended_until = CASE WHEN $2 = 'suspended' THEN suspended_until END
		WHERE id = $1 AND transition = $3`, h.ID, to, h.Transition, to.Open())
	if err != nil {
		return fmt.Errorf("store: hold %d %s → %s: %w", h.ID, h.Status, to, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: hold %d moved under us", h.ID)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO hold_events (hold_id, from_status, to_status, transition, actor, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, h.ID, h.Status, to, h.Transition+1, actor, detail)
	if err != nil {
		return fmt.Errorf("store: hold %d event: %w", h.ID, err)
	}
	return nil
}

// TransitionDetail is the detail kept with the transition that brought hold holdID to transition, or nil
// when there is none.
func TransitionDetail(ctx context.Context, tx *sqlx.Tx, holdID int64, transition int) ([]byte, error) {
	var detail []byte
	err := tx.GetContext(ctx, &detail, `SELECT detail FROM hold_events WHERE hold_id = $1 AND transition = $2`, holdID, transition)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: hold %d event %d: %w", holdID, transition, err)
	}
	return detail, nil
}

// MarkReady records that the hold's copy is on its hold shelf; the contact date is set once the patron is told.
func MarkReady(ctx context.Context, tx *sqlx.Tx, holdID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET ready_at = now(), contact_date = NULL, pickup_deadline = NULL WHERE id = $1`, holdID); err != nil {
		return fmt.Errorf("store: ready hold %d: %w", holdID, err)
	}
	return nil
}

// MarkFulfilled closes the hold as picked up.
func MarkFulfilled(ctx context.Context, tx *sqlx.Tx, holdID int64) error {
	// status and fulfilled_at change in one statement: a CHECK ties them together
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET status = 'fulfilled', fulfilled_at = now() WHERE id = $1`, holdID); err != nil {
		return fmt.Errorf("store: fulfil hold %d: %w", holdID, err)
	}
	return nil
}

// MarkCancelRequested records when the patron asked to cancel.
func MarkCancelRequested(ctx context.Context, tx *sqlx.Tx, holdID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET cancel_requested_at = now() WHERE id = $1`, holdID); err != nil {
		return fmt.Errorf("store: cancel request %d: %w", holdID, err)
	}
	return nil
}

// HoldNote is the text of note noteID of the hold; ok is false when the note is gone.
func HoldNote(ctx context.Context, tx *sqlx.Tx, holdID, noteID int64) (text string, ok bool, err error) {
	err = tx.GetContext(ctx, &text, `SELECT note FROM hold_notes WHERE id = $1 AND hold_id = $2`, noteID, holdID)
	switch {
	case err == nil:
		return text, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	}
	return "", false, fmt.Errorf("store: note %d of hold %d: %w", noteID, holdID, err)
}

// MarkCancelled closes the hold as cancelled, for reason, with a staff note or none.
func MarkCancelled(ctx context.Context, tx *sqlx.Tx, holdID int64, reason domain.CancelReason, note *string) error {
	// status and the cancellation columns change in one statement: a CHECK ties them together
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET status = 'cancelled', cancelled_at = now(), cancel_reason = $2, cancel_note = $3 WHERE id = $1`,
		holdID, reason, note); err != nil {
		return fmt.Errorf("store: cancel hold %d: %w", holdID, err)
	}
	return nil
}

// SetPickup moves the hold's pickup place.
func SetPickup(ctx context.Context, tx *sqlx.Tx, holdID int64, branch string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET pickup_branch = $2 WHERE id = $1`, holdID, branch); err != nil {
		return fmt.Errorf("store: change pickup of %d: %w", holdID, err)
	}
	return nil
}

// SetSuspended records the day a hold being suspended is active again, before RecordTransition moves it to
// 休止中 in the same transaction (a suspended hold must have the day: a CHECK); leaving 休止中 clears it.
func SetSuspended(ctx context.Context, tx *sqlx.Tx, holdID int64, until time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET suspended_until = $2 WHERE id = $1`, holdID, until); err != nil {
		return fmt.Errorf("store: suspend hold %d: %w", holdID, err)
	}
	return nil
}

// MarkILL records that staff arranged an inter-library loan for the hold.
func MarkILL(ctx context.Context, tx *sqlx.Tx, holdID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET ill = true WHERE id = $1`, holdID); err != nil {
		return fmt.Errorf("store: ill %d: %w", holdID, err)
	}
	return nil
}

// LinkTitle links a counter request to the title registered for it. The caller holds the title's lock.
func LinkTitle(ctx context.Context, tx *sqlx.Tx, holdID, titleID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE holds SET title_id = $2 WHERE id = $1`, holdID, titleID)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Constraint == "holds_patron_title_once" {
		return ErrAlreadyHeld // the patron placed a hold on the title meanwhile: a refusal, not a failure to retry
	}
	if err != nil {
		return fmt.Errorf("store: link hold %d to title %d: %w", holdID, titleID, err)
	}
	return nil
}
