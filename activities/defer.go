package activities

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Defer is 順位の繰下げ: the hold lets the next active hold in line go first, in one transaction under the
// title's lock. A waiting hold moves right behind the first waiting hold after it. A hold holding a copy
// (確認待ち, 利用可能) gives it up to the hold allocation picks, whose workflow is signalled durably through
// out.Next: a set-aside copy as a cancellation would (release: it stays set aside on its shelf, 確認待ち for
// the next hold), a copy on the hold shelf as a return would (already in staff hands: ready at once when
// it sits on the next hold's pickup shelf, in transit otherwise); and it waits again right behind that hold. No waiting hold behind
// it: nobody_behind, and nothing changes.
func (a *Activities) Defer(ctx context.Context, in contract.DeferInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "defer", "patron", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if !domain.MayDefer(h.Status, h.ItemBarcode.Valid, h.SeriesID.Valid) {
			return "", refuse(contract.ErrNotDeferrable, "hold %d is %s (copy %q), not deferrable", h.ID, h.Status, h.ItemBarcode.String)
		}
		titleID := h.TitleID.Int64
		if h.Status == domain.StatusQueued {
			next, ok, err := store.NextInLine(ctx, tx, titleID, h.ID)
			if err != nil {
				return "", err
			}
			if !ok {
				return "", refuse(contract.ErrNobodyBehind, "no active hold waits behind hold %d", h.ID)
			}
			return domain.StatusQueued, store.MoveBehind(ctx, tx, titleID, h.ID, next, string(h.Status))
		}
		// The hold the copy goes to: the one allocation picks (the first waiting in queue order).
		next, ok, err := store.NextWaiting(ctx, tx, titleID, h.ID)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", refuse(contract.ErrNobodyBehind, "no active hold waits for title %d", titleID)
		}
		if h.Status == domain.StatusReady {
			out.Next, err = passShelved(ctx, tx, h)
		} else {
			out.Next, err = release(ctx, tx, h, false)
		}
		if err != nil {
			return "", err
		}
		if out.Next == nil || out.Next.HoldID != next {
			// both offer the copy to exactly the hold NextWaiting named, in this transaction
			return "", fmt.Errorf("defer hold %d: copy %s went to %+v, not hold %d", h.ID, h.ItemBarcode.String, out.Next, next)
		}
		// Behind the hold the copy went to, unless it already was (that hold came first and was resumed
		// after this one was served): it then keeps its place.
		behind, err := store.Behind(ctx, tx, h.ID, next)
		if err != nil {
			return "", err
		}
		if !behind {
			if err := store.MoveBehind(ctx, tx, titleID, h.ID, next, string(h.Status)); err != nil {
				return "", err
			}
		} else if err := store.RecordDefer(ctx, tx, h.ID, next, string(h.Status)); err != nil {
			return "", err
		}
		return domain.StatusQueued, nil
	})
}

// passShelved takes the copy on the hold shelf from ready hold h and offers it, as secured by staff at its
// branch, to the first waiting hold; h is no longer ready (its pickup deadline goes with it).
func passShelved(ctx context.Context, tx *sqlx.Tx, h store.HoldRow) (*contract.Assignment, error) {
	item, err := store.LockCopy(ctx, tx, h.ItemBarcode.String)
	if err != nil {
		return nil, fmt.Errorf("defer %s: %w", h.ItemBarcode.String, err)
	}
	if err := store.Unready(ctx, tx, h.ID); err != nil {
		return nil, err
	}
	return offer(ctx, tx, h.TitleID.Int64, h.ItemBarcode.String, item.Branch, contract.CopySecured, h.ID)
}
