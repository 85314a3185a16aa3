package activities

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"yoyaku/contract"

	"github.com/jmoiron/sqlx"
)

// Allocation helpers. Every one of them runs inside a transaction that holds the title lock.

// freeCopy finds a copy of title on a shelf and set aside for no open hold, preferring one already at the
// pickup branch, and locks it.
func freeCopy(ctx context.Context, tx *sqlx.Tx, titleID int64, pickup string) (barcode, branch string, ok bool, err error) {
	var row struct {
		Barcode string `db:"barcode"`
		Branch  string `db:"location_branch"`
	}
	err = tx.GetContext(ctx, &row, `
		SELECT i.barcode, i.location_branch FROM items i
		WHERE i.title_id = $1 AND i.status = 'on_shelf'
		  AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item_barcode = i.barcode AND h.status NOT IN ('cancelled', 'fulfilled'))
		ORDER BY (i.location_branch = $2) DESC, i.barcode
		LIMIT 1 FOR UPDATE OF i`, titleID, pickup)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("free copy of title %d: %w", titleID, err)
	}
	return row.Barcode, row.Branch, true, nil
}

// nextWaiting is the earliest hold on title that waits for a copy (first come, first served). Holds of a
// series whose earlier volume is not ready are 'preparing', not 'queued', so they are skipped.
func nextWaiting(ctx context.Context, tx *sqlx.Tx, titleID, except int64) (holdID int64, ok bool, err error) {
	err = tx.GetContext(ctx, &holdID, `
		SELECT id FROM holds
		WHERE title_id = $1 AND status = 'queued' AND item_barcode IS NULL AND id <> $2
		ORDER BY placed_at, id LIMIT 1 FOR UPDATE`, titleID, except)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("next hold of title %d: %w", titleID, err)
	}
	return holdID, true, nil
}

// assign records that the copy now belongs to the hold. Only the hold's workflow moves the hold's status.
func assign(ctx context.Context, tx *sqlx.Tx, holdID int64, barcode string) error {
	_, err := tx.ExecContext(ctx, `UPDATE holds SET item_barcode = $2, assigned_at = now(), pending_copy = NULL, pending_at = NULL WHERE id = $1`, holdID, barcode)
	if err != nil {
		return fmt.Errorf("assign %s to hold %d: %w", barcode, holdID, err)
	}
	return nil
}

func unassign(ctx context.Context, tx *sqlx.Tx, holdID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE holds SET item_barcode = NULL, assigned_at = NULL, pending_copy = NULL, pending_at = NULL WHERE id = $1`, holdID)
	if err != nil {
		return fmt.Errorf("unassign hold %d: %w", holdID, err)
	}
	return nil
}

// offer gives a copy that just became free to the earliest waiting hold of its title, if there is one.
func offer(ctx context.Context, tx *sqlx.Tx, titleID int64, barcode, branch string, kind contract.CopyKind, except int64) (*contract.Assignment, error) {
	holdID, ok, err := nextWaiting(ctx, tx, titleID, except)
	if err != nil || !ok {
		return nil, err
	}
	if err := assign(ctx, tx, holdID, barcode); err != nil {
		return nil, err
	}
	as := &contract.Assignment{HoldID: holdID, Barcode: barcode, Branch: branch, Kind: kind}
	return as, pend(ctx, tx, as)
}

// pend keeps an assignment on its hold until the hold's workflow has applied it (ApplyCopy clears it), so
// that a run that starts after the signal was sent — a hold handing its workflow over to a series — finds it
// (Resume). The signal stays the fast path; this is what makes it impossible to lose.
func pend(ctx context.Context, tx *sqlx.Tx, as *contract.Assignment) error {
	b, err := json.Marshal(as)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET pending_copy = $2, pending_at = now() WHERE id = $1`, as.HoldID, b); err != nil {
		return fmt.Errorf("pending copy of hold %d: %w", as.HoldID, err)
	}
	return nil
}

// applied clears as from its hold once the workflow has applied it (or found it moot).
func applied(ctx context.Context, tx *sqlx.Tx, as contract.Assignment) error {
	b, err := json.Marshal(as)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET pending_copy = NULL, pending_at = NULL WHERE id = $1 AND pending_copy = $2::jsonb`, as.HoldID, b); err != nil {
		return fmt.Errorf("applied copy of hold %d: %w", as.HoldID, err)
	}
	return nil
}

// pendingCopy is the assignment kept on hold id that its workflow has not applied yet, if any.
func pendingCopy(ctx context.Context, tx *sqlx.Tx, id int64) (*contract.Assignment, error) {
	var b []byte
	if err := tx.GetContext(ctx, &b, `SELECT pending_copy FROM holds WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("pending copy of hold %d: %w", id, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	var as contract.Assignment
	if err := json.Unmarshal(b, &as); err != nil {
		return nil, fmt.Errorf("pending copy of hold %d: %w", id, err)
	}
	return &as, nil
}

// release frees the copy a closing or re-targeted hold had, and offers it to the next waiting hold at
// once: a copy on a shelf or on the hold shelf is set aside for that hold (to be pulled); a travelling copy
// is offered when it is scanned in at its destination.
func release(ctx context.Context, tx *sqlx.Tx, h holdRow, closing bool) (*contract.Assignment, error) {
	if !h.ItemBarcode.Valid {
		return nil, nil
	}
	barcode := h.ItemBarcode.String
	var item struct {
		Status string `db:"status"`
		Branch string `db:"location_branch"`
	}
	if err := tx.GetContext(ctx, &item, `SELECT status, location_branch FROM items WHERE barcode = $1 FOR UPDATE`, barcode); err != nil {
		return nil, fmt.Errorf("release %s: %w", barcode, err)
	}
	if !closing {
		if err := unassign(ctx, tx, h.ID); err != nil {
			return nil, err
		}
	}
	switch item.Status {
	case "hold_shelf":
		if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'on_shelf', updated_at = now() WHERE barcode = $1`, barcode); err != nil {
			return nil, fmt.Errorf("release %s: %w", barcode, err)
		}
	case "on_shelf":
	default: // travelling: offered when it is scanned in at its destination
		return nil, nil
	}
	return offer(ctx, tx, h.TitleID.Int64, barcode, item.Branch, contract.CopyAssigned, h.ID)
}

// retarget looks for another free copy for a hold that lost its own (missing, taken by a walk-in patron, or
// a better copy at a new pickup place).
func retarget(ctx context.Context, tx *sqlx.Tx, h holdRow) (bool, error) {
	barcode, _, ok, err := freeCopy(ctx, tx, h.TitleID.Int64, h.Pickup)
	if err != nil || !ok {
		return false, err
	}
	return true, assign(ctx, tx, h.ID, barcode)
}
