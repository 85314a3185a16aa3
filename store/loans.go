package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// LoanDays is how long a copy is lent.
const LoanDays = 14

// ErrNotLendable means the copy cannot be lent now (set aside for a hold, travelling, missing or already on loan).
var ErrNotLendable = errors.New("store: copy cannot be lent now")

// ErrNoSuchCopy means no copy has that barcode.
var ErrNoSuchCopy = errors.New("store: no such copy")

// CopyTitle returns the title of the copy with barcode.
func CopyTitle(ctx context.Context, q sqlx.QueryerContext, barcode string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT title_id FROM items WHERE barcode = $1`, barcode)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoSuchCopy
	}
	if err != nil {
		return 0, fmt.Errorf("store: copy %s: %w", barcode, err)
	}
	return id, nil
}

// Lend records a loan of barcode to patron at branch and puts the copy on loan. The caller holds the title
// lock and has checked that no open hold needs the copy.
func Lend(ctx context.Context, tx *sqlx.Tx, barcode string, patronID int64, branch string, today time.Time) (due time.Time, err error) {
	due = today.AddDate(0, 0, LoanDays)
	if _, err := tx.ExecContext(ctx, `INSERT INTO loans (barcode, patron_id, branch, due_date) VALUES ($1, $2, $3, $4)`,
		barcode, patronID, branch, due); err != nil {
		return time.Time{}, fmt.Errorf("store: lend %s: %w", barcode, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'on_loan', location_branch = $2, updated_at = now() WHERE barcode = $1`,
		barcode, branch); err != nil {
		return time.Time{}, fmt.Errorf("store: lend %s: %w", barcode, err)
	}
	return due, nil
}

// LendFree lends a copy no hold needs: on the shelf, not set aside, not on loan.
func LendFree(ctx context.Context, db *sqlx.DB, barcode string, patronID int64, branch string, today time.Time) (time.Time, error) {
	var due time.Time
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		titleID, err := CopyTitle(ctx, tx, barcode)
		if err != nil {
			return err
		}
		if err := LockTitle(ctx, tx, titleID); err != nil {
			return err
		}
		var ok bool
		err = tx.GetContext(ctx, &ok, `SELECT i.status IN ('on_shelf', 'hold_shelf') AND NOT EXISTS (
				SELECT 1 FROM holds h WHERE h.item_barcode = i.barcode AND h.`+OpenHold+`)
			FROM items i WHERE i.barcode = $1 FOR UPDATE`, barcode)
		if err != nil {
			return fmt.Errorf("store: copy %s: %w", barcode, err)
		}
		if !ok {
			return ErrNotLendable
		}
		// A copy from an expired hold's shelf leaves the shelf now.
		if err := ClearExpiredShelf(ctx, tx, barcode); err != nil {
			return err
		}
		due, err = Lend(ctx, tx, barcode, patronID, branch, today)
		return err
	})
	return due, err
}
