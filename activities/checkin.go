package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// RegisterCopy adds a new copy on the shelf of its branch (idempotent for the same barcode and title).
func (a *Activities) RegisterCopy(ctx context.Context, in contract.NewCopyInput) error {
	err := store.RegisterCopy(ctx, a.DB, in.Barcode, in.TitleID, in.Branch, shelfOf(in.Shelf))
	if errors.Is(err, store.ErrBarcodeTaken) {
		return refuse(contract.ErrBarcodeTaken, "barcode %s belongs to another title", in.Barcode)
	}
	return err
}

// shelfOf is a new copy's shelf data as the store takes it.
func shelfOf(s contract.Shelf) store.Shelf {
	return store.Shelf{CallNumber: s.CallNumber, Location: s.ShelfLocation}
}

// Checkin handles a copy scanned in at a branch: a return closes its loan. The answer says what staff do
// with it: a copy that belongs to a hold goes on with that hold; a free copy goes to the earliest waiting hold
// of its title (on this branch's hold shelf, or in transit to the hold's pickup place), or back on the shelf.
func (a *Activities) Checkin(ctx context.Context, in contract.CheckinInput) (contract.CheckinResult, error) {
	var res contract.CheckinResult
	err := store.InTx(ctx, a.DB, func(tx *sqlx.Tx) error {
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
		item, err := store.LockCopy(ctx, tx, in.Barcode)
		if err != nil {
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		if err := store.ReturnLoan(ctx, tx, in.Barcode); err != nil {
			return err
		}
		holder, held, err := store.LockHolder(ctx, tx, in.Barcode)
		if err != nil {
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		if held {
			res.Routing, res.Next = routeHeld(holder, in.Branch)
			if res.Next != nil {
				if err := pend(ctx, tx, res.Next); err != nil {
					return err
				}
			}
			if holder.Status != domain.StatusInTransit {
				// a copy of a hold that is not travelling is where it was scanned
				if err := store.MoveCopy(ctx, tx, in.Barcode, in.Branch); err != nil {
					return fmt.Errorf("checkin %s: %w", in.Barcode, err)
				}
			}
			return nil
		}
		if item.Status == "withdrawn" {
			return refuse(contract.ErrNotAvailable, "copy %s is withdrawn", in.Barcode)
		}
		if err := store.ShelveAt(ctx, tx, in.Barcode, in.Branch); err != nil {
			return fmt.Errorf("checkin %s: %w", in.Barcode, err)
		}
		if err := store.ClearExpiredShelf(ctx, tx, in.Barcode); err != nil {
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
		pickup, err := store.HoldPickup(ctx, tx, next.HoldID)
		if err != nil {
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
func routeHeld(h store.HoldRow, at string) (contract.Routing, *contract.Assignment) {
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
