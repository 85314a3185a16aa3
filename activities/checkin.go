package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// RegisterCopy adds a new copy on the shelf of its branch (idempotent for the same barcode and title).
func (a *Activities) RegisterCopy(ctx context.Context, in contract.NewCopyInput) error {
	res, err := a.DB.ExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch)
		VALUES ($1, $2, $3, $3) ON CONFLICT (barcode) DO NOTHING`, in.Barcode, in.TitleID, in.Branch)
	if err != nil {
		return fmt.Errorf("register copy %s: %w", in.Barcode, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var titleID int64
		if err := a.DB.GetContext(ctx, &titleID, `SELECT title_id FROM items WHERE barcode = $1`, in.Barcode); err != nil {
			return fmt.Errorf("register copy %s: %w", in.Barcode, err)
		}
		if titleID != in.TitleID {
			return refuse(contract.ErrBarcodeTaken, "barcode %s belongs to another title", in.Barcode)
		}
	}
	return nil
}

// Checkin handles a copy scanned in at a branch: a return closes its loan. The answer says what staff do
// with it: a copy that belongs to a hold goes on with that hold; a free copy goes to the earliest waiting hold
// of its title (on this branch's hold shelf, or in transit to the hold's pickup place), or back on the shelf.
func (a *Activities) Checkin(ctx context.Context, in contract.CheckinInput) (contract.CheckinResult, error) {
	var res contract.CheckinResult
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		res = contract.CheckinResult{}
		titleID, err := store.CopyTitle(ctx, tx, in.Barcode)
		if errors.Is(err, store.ErrNoSuchCopy) {
			return refuse(contract.ErrNotFound, "no copy has barcode %s", in.Barcode)
		}
		if err != nil {
			return err
		}
		if err := store.LockTitle(ctx, tx, titleID); err != nil {
			return err
		}
		var itemStatus string
		if err := tx.GetContext(ctx, &itemStatus, `SELECT status FROM items WHERE barcode = $1 FOR UPDATE`, in.Barcode); err != nil {
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE loans SET returned_at = now() WHERE barcode = $1 AND returned_at IS NULL`, in.Barcode); err != nil {
			return fmt.Errorf("return %s: %w", in.Barcode, err)
		}
		var holder holdRow
		err = tx.GetContext(ctx, &holder, `SELECT `+holdColumns+` FROM holds h LEFT JOIN items i ON i.barcode = h.item_barcode
			WHERE h.item_barcode = $1 AND h.status NOT IN ('cancelled', 'fulfilled') FOR UPDATE OF h`, in.Barcode)
		switch {
		case err == nil:
			res.Routing, res.Next = routeHeld(holder, in.Branch)
			if res.Next != nil {
				if err := pend(ctx, tx, res.Next); err != nil {
					return err
				}
			}
			if holder.Status != domain.StatusInTransit {
				// a copy of a hold that is not travelling is where it was scanned
				if _, err := tx.ExecContext(ctx, `UPDATE items SET location_branch = $2, updated_at = now() WHERE barcode = $1`, in.Barcode, in.Branch); err != nil {
					return fmt.Errorf("checkin %s: %w", in.Barcode, err)
				}
			}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		if itemStatus == "withdrawn" {
			return refuse(contract.ErrNotAvailable, "copy %s is withdrawn", in.Barcode)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE items SET status = 'on_shelf', location_branch = $2, updated_at = now() WHERE barcode = $1`,
			in.Barcode, in.Branch); err != nil {
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET shelf_cleared_at = now()
			WHERE item_barcode = $1 AND cancel_reason = 'expired' AND shelf_cleared_at IS NULL`, in.Barcode); err != nil {
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		next, err := offer(ctx, tx, titleID, in.Barcode, in.Branch, contract.CopySecured, 0)
		if err != nil {
			return err
		}
		if next == nil {
			res.Routing = contract.Routing{Action: contract.RouteReshelve}
			return nil
		}
		res.Next = next
		var pickup string
		if err := tx.GetContext(ctx, &pickup, `SELECT pickup_branch FROM holds WHERE id = $1`, next.HoldID); err != nil {
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		res.Routing = route(next.HoldID, pickup, in.Branch)
		return nil
	})
	return res, err
}

func route(holdID int64, pickup, at string) contract.Routing {
	if pickup == at {
		return contract.Routing{Action: contract.RouteHoldShelf, HoldID: holdID}
	}
	return contract.Routing{Action: contract.RouteTransit, HoldID: holdID, ToBranch: pickup}
}

// routeHeld answers for a copy that already belongs to an open hold.
func routeHeld(h holdRow, at string) (contract.Routing, *contract.Assignment) {
	r := route(h.ID, h.Pickup, at)
	switch h.Status {
	case domain.StatusQueued, domain.StatusAwaitingPull:
		// staff have the set-aside copy in hand: as good as pulled
		return r, &contract.Assignment{HoldID: h.ID, Barcode: h.ItemBarcode.String, Branch: at, Kind: contract.CopySecured}
	case domain.StatusInTransit:
		if h.Pickup == at {
			return r, &contract.Assignment{HoldID: h.ID, Barcode: h.ItemBarcode.String, Branch: at, Kind: contract.CopyArrived}
		}
		return r, nil
	case domain.StatusReady:
		return r, nil
	default: // a cancellation is being approved: its approval offers the copy to the next hold
		return contract.Routing{Action: contract.RouteReshelve}, nil
	}
}
