package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/store"
)

// Allocation: which hold a copy that became free goes to. Every one of these runs inside a transaction that
// holds the title lock; the statements are store's.

// offer gives a copy that just became free to the earliest waiting hold of its title, if there is one.
func offer(ctx context.Context, tx *sqlx.Tx, titleID int64, barcode, branch string, kind contract.CopyKind, except int64) (*contract.Assignment, error) {
	holdID, ok, err := store.NextWaiting(ctx, tx, titleID, except)
	if err != nil || !ok {
		return nil, err
	}
	if err := store.Assign(ctx, tx, holdID, barcode); err != nil {
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
	return store.SetPendingCopy(ctx, tx, as.HoldID, b)
}

// applied clears as from its hold once the workflow has applied it (or found it moot).
func applied(ctx context.Context, tx *sqlx.Tx, as contract.Assignment) error {
	b, err := json.Marshal(as)
	if err != nil {
		return err
	}
	return store.ClearPendingCopy(ctx, tx, as.HoldID, b)
}

// pendingCopy is the assignment kept on hold id that its workflow has not applied yet, if any.
func pendingCopy(ctx context.Context, tx *sqlx.Tx, id int64) (*contract.Assignment, error) {
	b, err := store.PendingCopy(ctx, tx, id)
	if err != nil || len(b) == 0 {
		return nil, err
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
func release(ctx context.Context, tx *sqlx.Tx, h store.HoldRow, closing bool) (*contract.Assignment, error) {
	if !h.ItemBarcode.Valid {
		return nil, nil
	}
	barcode := h.ItemBarcode.String
	item, err := store.LockCopy(ctx, tx, barcode)
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", barcode, err)
	}
	if !closing {
		if err := store.Unassign(ctx, tx, h.ID); err != nil {
			return nil, err
		}
	}
	switch item.Status {
	case "hold_shelf":
		if err := store.Reshelve(ctx, tx, barcode); err != nil {
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
func retarget(ctx context.Context, tx *sqlx.Tx, h store.HoldRow) (bool, error) {
	barcode, _, ok, err := store.FreeCopy(ctx, tx, h.TitleID.Int64, h.Pickup)
	if err != nil || !ok {
		return false, err
	}
	if err := store.Assign(ctx, tx, h.ID, barcode); errors.Is(err, store.ErrGroupServed) {
		return false, nil // a member of an any-of group served by another: it waits to be ended
	} else if err != nil {
		return false, err
	}
	return true, nil
}
