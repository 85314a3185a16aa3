package store

// The statements of allocation: which copy belongs to which hold. Every one of them runs inside a transaction
// that holds the title lock (LockTitle).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// FreeCopy finds a copy of title on a shelf and set aside for no open hold, preferring one already at the
// pickup branch, and locks it.
func FreeCopy(ctx context.Context, tx *sqlx.Tx, titleID int64, pickup string) (barcode, branch string, ok bool, err error) {
	var row struct {
		Barcode string `db:"barcode"`
		Branch  string `db:"location_branch"`
	}
	err = tx.GetContext(ctx, &row, `
		SELECT i.barcode, i.location_branch FROM items i
		WHERE i.title_id = $1 AND i.status = 'on_shelf'
		  AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item_barcode = i.barcode AND h.`+OpenHold+`)
		ORDER BY (i.location_branch = $2) DESC, i.barcode
		LIMIT 1 FOR UPDATE OF i`, titleID, pickup)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("store: free copy of title %d: %w", titleID, err)
	}
	return row.Barcode, row.Branch, true, nil
}

// HasFreeCopy reports whether a copy of title is on a shelf and set aside for no open hold (what FreeCopy
// finds), without locking it.
func HasFreeCopy(ctx context.Context, q sqlx.QueryerContext, titleID int64) (bool, error) {
	var free bool
	if err := sqlx.GetContext(ctx, q, &free, `SELECT EXISTS (SELECT 1 FROM items i
		WHERE i.title_id = $1 AND i.status = 'on_shelf'
		  AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item_barcode = i.barcode AND h.`+OpenHold+`))`, titleID); err != nil {
		return false, fmt.Errorf("store: free copy of title %d: %w", titleID, err)
	}
	return free, nil
}

// HoldTitleHasFreeCopy is HasFreeCopy for the title of hold holdID (false for a hold without a title), in
// one statement and without locking: a guess the caller confirms under the title's lock.
func HoldTitleHasFreeCopy(ctx context.Context, q sqlx.QueryerContext, holdID int64) (bool, error) {
	var free bool
	if err := sqlx.GetContext(ctx, q, &free, `SELECT EXISTS (SELECT 1 FROM holds x JOIN items i ON i.title_id = x.title_id
		WHERE x.id = $1 AND i.status = 'on_shelf'
		  AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item_barcode = i.barcode AND h.`+OpenHold+`))`, holdID); err != nil {
		return false, fmt.Errorf("store: free copy for hold %d: %w", holdID, err)
	}
	return free, nil
}

// NextWaiting is the first hold in queue order on title that waits for a copy (first come, first served, with
// the recorded defers applied), other than except, locked, with its any-of group (if any) decided for it: the
// caller gives it the copy in this transaction. Holds of a series whose earlier volume is not ready are
// 'preparing', not 'queued', so they are skipped; so are members of a group decided for another member.
func NextWaiting(ctx context.Context, tx *sqlx.Tx, titleID, except int64) (holdID int64, ok bool, err error) {
	skip := []int64{except}
	for {
		err = tx.GetContext(ctx, &holdID, `
			SELECT q.id FROM holds q
			WHERE q.title_id = $1 AND `+waitingQueued+` AND q.id <> ALL($2)
			ORDER BY `+QueueKey("q")+`, q.id LIMIT 1 FOR UPDATE`, titleID, pq.Array(skip))
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("store: next hold of title %d: %w", titleID, err)
		}
		// A copy of another member's title may have decided the group since this statement's snapshot.
		claimed, err := ClaimGroup(ctx, tx, holdID)
		if err != nil {
			return 0, false, err
		}
		if claimed {
			return holdID, true, nil
		}
		skip = append(skip, holdID)
	}
}

// Assign records that the copy now belongs to the hold, deciding its any-of group for it (ErrGroupServed
// when the group was decided for another member: nothing changes). Only the hold's workflow moves the hold's
// status.
func Assign(ctx context.Context, tx *sqlx.Tx, holdID int64, barcode string) error {
	claimed, err := ClaimGroup(ctx, tx, holdID)
	if err != nil {
		return err
	}
	if !claimed {
		return ErrGroupServed
	}
	_, err = tx.ExecContext(ctx, `UPDATE holds SET item_barcode = $2, assigned_at = now(), pending_copy = NULL, pending_at = NULL WHERE id = $1`, holdID, barcode)
	if err != nil {
		return fmt.Errorf("store: assign %s to hold %d: %w", barcode, holdID, err)
	}
	return nil
}

// Unassign takes the hold's copy away from it.
func Unassign(ctx context.Context, tx *sqlx.Tx, holdID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE holds SET item_barcode = NULL, assigned_at = NULL, pending_copy = NULL, pending_at = NULL WHERE id = $1`, holdID)
	if err != nil {
		return fmt.Errorf("store: unassign hold %d: %w", holdID, err)
	}
	return nil
}

// SetPendingCopy keeps an assignment (as JSON) on its hold until the hold's workflow has applied it.
func SetPendingCopy(ctx context.Context, tx *sqlx.Tx, holdID int64, assignment []byte) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET pending_copy = $2, pending_at = now() WHERE id = $1`, holdID, assignment); err != nil {
		return fmt.Errorf("store: pending copy of hold %d: %w", holdID, err)
	}
	return nil
}

// ClearPendingCopy drops the assignment kept on the hold if it is still this one (as JSON).
func ClearPendingCopy(ctx context.Context, tx *sqlx.Tx, holdID int64, assignment []byte) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET pending_copy = NULL, pending_at = NULL WHERE id = $1 AND pending_copy = $2::jsonb`, holdID, assignment); err != nil {
		return fmt.Errorf("store: applied copy of hold %d: %w", holdID, err)
	}
	return nil
}

// PendingCopy is the assignment (as JSON) kept on the hold, or nil.
func PendingCopy(ctx context.Context, tx *sqlx.Tx, holdID int64) ([]byte, error) {
	var b []byte
	if err := tx.GetContext(ctx, &b, `SELECT pending_copy FROM holds WHERE id = $1`, holdID); err != nil {
		return nil, fmt.Errorf("store: pending copy of hold %d: %w", holdID, err)
	}
	return b, nil
}

// CopyState is where a copy is and what it is doing (items.status).
type CopyState struct {
	Status string `db:"status"`
	Branch string `db:"location_branch"`
}

// LockCopy locks the copy and reads its state.
func LockCopy(ctx context.Context, tx *sqlx.Tx, barcode string) (CopyState, error) {
	var c CopyState
	if err := tx.GetContext(ctx, &c, `SELECT status, location_branch FROM items WHERE barcode = $1 FOR UPDATE`, barcode); err != nil {
		return CopyState{}, fmt.Errorf("store: copy %s: %w", barcode, err)
	}
	return c, nil
}

// ClearExpiredShelf takes the copy off the hold shelf of an expired hold that was waiting for it, if any:
// whoever takes the copy next clears the entry.
func ClearExpiredShelf(ctx context.Context, tx *sqlx.Tx, barcode string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET shelf_cleared_at = now()
		WHERE item_barcode = $1 AND cancel_reason = 'expired' AND shelf_cleared_at IS NULL`, barcode); err != nil {
		return fmt.Errorf("store: clear shelf %s: %w", barcode, err)
	}
	return nil
}

// Reshelve puts the copy back on the open shelf, where it is.
func Reshelve(ctx context.Context, tx *sqlx.Tx, barcode string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'on_shelf', updated_at = now() WHERE barcode = $1`, barcode); err != nil {
		return fmt.Errorf("store: reshelve %s: %w", barcode, err)
	}
	return nil
}

// ShelveAt puts the copy on the open shelf of branch (a check-in).
func ShelveAt(ctx context.Context, tx *sqlx.Tx, barcode, branch string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'on_shelf', location_branch = $2, updated_at = now() WHERE barcode = $1`,
		barcode, branch); err != nil {
		return fmt.Errorf("store: shelve %s: %w", barcode, err)
	}
	return nil
}

// MoveCopy records that the copy is at branch, its status unchanged.
func MoveCopy(ctx context.Context, tx *sqlx.Tx, barcode, branch string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE items SET location_branch = $2, updated_at = now() WHERE barcode = $1`, barcode, branch); err != nil {
		return fmt.Errorf("store: move %s: %w", barcode, err)
	}
	return nil
}

// SendCopy records that the copy leaves branch for another.
func SendCopy(ctx context.Context, tx *sqlx.Tx, barcode, branch string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'in_transit', location_branch = $2, updated_at = now() WHERE barcode = $1`,
		barcode, branch); err != nil {
		return fmt.Errorf("store: send %s: %w", barcode, err)
	}
	return nil
}

// PutOnHoldShelf records that the copy is on branch's hold shelf.
func PutOnHoldShelf(ctx context.Context, tx *sqlx.Tx, barcode, branch string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'hold_shelf', location_branch = $2, updated_at = now() WHERE barcode = $1`,
		barcode, branch); err != nil {
		return fmt.Errorf("store: shelve %s: %w", barcode, err)
	}
	return nil
}

// MarkMissing records that the copy is not where it should be.
func MarkMissing(ctx context.Context, tx *sqlx.Tx, barcode string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'missing', updated_at = now() WHERE barcode = $1`, barcode); err != nil {
		return fmt.Errorf("store: missing %s: %w", barcode, err)
	}
	return nil
}

// ReturnLoan closes the copy's open loan, if any.
func ReturnLoan(ctx context.Context, tx *sqlx.Tx, barcode string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE loans SET returned_at = now() WHERE barcode = $1 AND returned_at IS NULL`, barcode); err != nil {
		return fmt.Errorf("store: return %s: %w", barcode, err)
	}
	return nil
}

// LockHolder locks and reads the open hold the copy belongs to; ok is false when there is none.
func LockHolder(ctx context.Context, tx *sqlx.Tx, barcode string) (h HoldRow, ok bool, err error) {
	err = tx.GetContext(ctx, &h, lockedRowSelect+` WHERE h.item_barcode = $1 AND h.`+OpenHold+` FOR UPDATE OF h`, barcode)
	switch {
	case err == nil:
		return h, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return HoldRow{}, false, nil
	}
	return HoldRow{}, false, fmt.Errorf("store: hold of copy %s: %w", barcode, err)
}

// HoldPickup is the hold's pickup branch.
func HoldPickup(ctx context.Context, tx *sqlx.Tx, holdID int64) (string, error) {
	var pickup string
	if err := tx.GetContext(ctx, &pickup, `SELECT pickup_branch FROM holds WHERE id = $1`, holdID); err != nil {
		return "", fmt.Errorf("store: pickup of hold %d: %w", holdID, err)
	}
	return pickup, nil
}

// ErrBarcodeTaken means the barcode is another title's copy.
var ErrBarcodeTaken = errors.New("barcode_taken")

// Shelf is where a copy stands in its library: its call number (請求記号) and shelf location (配架場所), as
// staff gave them when registering it; either may be empty.
type Shelf struct {
	CallNumber string
	Location   string
}

// RegisterCopy adds a new copy on the shelf of its branch; the same barcode of the same title again is no
// error (a retry, which keeps the shelf data of the first), of another title ErrBarcodeTaken.
func RegisterCopy(ctx context.Context, db *sqlx.DB, barcode string, titleID int64, branch string, shelf Shelf) error {
	res, err := db.ExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, call_number, shelf_location)
		VALUES ($1, $2, $3, $3, $4, $5) ON CONFLICT (barcode) DO NOTHING`, barcode, titleID, branch, shelf.CallNumber, shelf.Location)
	if err != nil {
		return fmt.Errorf("store: register copy %s: %w", barcode, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	owner, err := CopyTitle(ctx, db, barcode)
	if err != nil {
		return err
	}
	if owner != titleID {
		return ErrBarcodeTaken
	}
	return nil
}

// AddArrivedCopy registers the copy that came for a counter request (a purchase, an ILL copy) at branch.
// Unlike RegisterCopy, a barcode already taken fails: the arrival must not take over another copy.
func AddArrivedCopy(ctx context.Context, tx *sqlx.Tx, barcode string, titleID int64, branch string, shelf Shelf) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, call_number, shelf_location)
		VALUES ($1, $2, $3, $3, $4, $5)`, barcode, titleID, branch, shelf.CallNumber, shelf.Location); err != nil {
		return fmt.Errorf("store: register copy %s: %w", barcode, err)
	}
	return nil
}
