package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/activity"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// The transitions of a hold. Each runs as a local activity of the hold's workflow (one transaction, a few
// milliseconds), guarded by the transition counter (see step).

// Load reads the hold's current state (after a stale transition, or when a workflow starts).
func (a *Activities) Load(ctx context.Context, holdID int64) (contract.HoldState, error) {
	h, err := store.ReadHold(ctx, a.DB, holdID)
	if err != nil {
		return contract.HoldState{}, err
	}
	return holdState(h), nil
}

// Approve takes a placed hold out of 予約申込: a counter request for a title the library does not own is
// investigated; otherwise the hold takes a free copy if nobody waits before it, or joins the queue.
// Most approvals of a popular title find no free copy: they run with the title shared (stepShared), side by
// side, and only one that finds a free copy takes the title's lock.
func (a *Activities) Approve(ctx context.Context, s contract.Step) (contract.Outcome, error) {
	return a.stepShared(ctx, s, "approve", "system", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome, shared bool) (domain.Status, error) {
		if h.Status != domain.StatusRequested {
			return "", nil
		}
		if !h.TitleID.Valid {
			return domain.StatusInvestigating, nil
		}
		if g, err := gated(ctx, tx, h); err != nil || g {
			return domain.StatusPreparing, err
		}
		if shared {
			return queueShared(ctx, tx, h)
		}
		return a.queueOrTake(ctx, tx, h, out)
	})
}

// queueShared is queueOrTake for a hold whose title is only shared: a hold that finds no free copy joins the
// queue (no transaction that frees a copy runs meanwhile); one that finds a free copy needs the title's lock.
func queueShared(ctx context.Context, tx *sqlx.Tx, h store.HoldRow) (domain.Status, error) {
	if lost, err := lostToSibling(ctx, tx, h); err != nil || lost {
		if err != nil {
			return "", err
		}
		return endOtherEdition(ctx, tx, h) // takes no copy: the hold never had one
	}
	free, err := store.HasFreeCopy(ctx, tx, h.TitleID.Int64)
	if err != nil {
		return "", err
	}
	if free {
		return "", errNeedsTitle
	}
	return domain.StatusQueued, nil
}

// lostToSibling reports whether h is a member of an any-of group decided for another member.
func lostToSibling(ctx context.Context, tx *sqlx.Tx, h store.HoldRow) (bool, error) {
	if !h.GroupID.Valid { // no group: nothing to ask the database
		return false, nil
	}
	return store.LostToSibling(ctx, tx, h.ID)
}

// queueOrTake serves h from a free copy when no earlier hold waits, and queues it otherwise (a free copy then
// goes to the earliest waiting hold, which keeps the queue first come, first served).
func (a *Activities) queueOrTake(ctx context.Context, tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
	titleID := h.TitleID.Int64
	if lost, err := lostToSibling(ctx, tx, h); err != nil || lost {
		if err != nil {
			return "", err
		}
		return endOtherEdition(ctx, tx, h) // another edition of its any-of group was provided meanwhile
	}
	barcode, branch, free, err := store.FreeCopy(ctx, tx, titleID, h.Pickup)
	if err != nil {
		return "", err
	}
	if !free {
		return domain.StatusQueued, nil
	}
	if _, earlier, err := store.NextWaiting(ctx, tx, titleID, h.ID); err != nil {
		return "", err
	} else if earlier {
		if out.Next, err = offer(ctx, tx, titleID, barcode, branch, contract.CopyAssigned, h.ID); err != nil {
			return "", err
		}
		return domain.StatusQueued, nil
	}
	if err := store.Assign(ctx, tx, h.ID, barcode); errors.Is(err, store.ErrGroupServed) {
		return endOtherEdition(ctx, tx, h) // another member's copy decided the group since the check above
	} else if err != nil {
		return "", err
	}
	return domain.StatusAwaitingPull, nil
}

// ApplyCopy applies an assignment signal: the copy allocation gave this hold is set aside (確認待ち), or is
// in staff hands (a return: hold shelf or transit), or arrived at the pickup branch. Duplicates and signals
// overtaken by events change nothing.
func (a *Activities) ApplyCopy(ctx context.Context, in contract.CopyInput) (contract.Outcome, error) {
	as := in.Assignment
	return a.step(ctx, in.Step, "copy:"+string(as.Kind), "system", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if err := applied(ctx, tx, as); err != nil {
			return "", err
		}
		if h.ItemBarcode.String != as.Barcode {
			return "", nil
		}
		switch {
		case as.Kind == contract.CopyAssigned && h.Status == domain.StatusQueued:
			return domain.StatusAwaitingPull, nil
		case as.Kind == contract.CopySecured && (h.Status == domain.StatusQueued || h.Status == domain.StatusAwaitingPull):
			return secure(ctx, tx, h, as.Branch, out)
		case as.Kind == contract.CopyArrived && h.Status == domain.StatusInTransit && as.Branch == h.Pickup:
			return arrive(ctx, tx, h, out)
		}
		return "", nil
	})
}

// secure: staff hold the copy at branch. At the pickup branch it goes on the hold shelf; elsewhere it travels.
func secure(ctx context.Context, tx *sqlx.Tx, h store.HoldRow, branch string, out *contract.Outcome) (domain.Status, error) {
	barcode := h.ItemBarcode.String
	// If the copy sat on the hold shelf for an expired hold, taking it clears that shelf entry.
	if err := store.ClearExpiredShelf(ctx, tx, barcode); err != nil {
		return "", err
	}
	if branch == h.Pickup {
		out.Routing = &contract.Routing{Action: contract.RouteHoldShelf, HoldID: h.ID}
		return arrive(ctx, tx, h, out)
	}
	if err := store.SendCopy(ctx, tx, barcode, branch); err != nil {
		return "", err
	}
	out.Routing = &contract.Routing{Action: contract.RouteTransit, HoldID: h.ID, ToBranch: h.Pickup}
	return domain.StatusInTransit, nil
}

// arrive puts the hold's copy on the pickup branch's hold shelf: the hold is ready.
func arrive(ctx context.Context, tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
	barcode := h.ItemBarcode.String
	if err := store.PutOnHoldShelf(ctx, tx, barcode, h.Pickup); err != nil {
		return "", err
	}
	if err := store.MarkReady(ctx, tx, h.ID); err != nil {
		return "", err
	}
	if out.Routing == nil {
		out.Routing = &contract.Routing{Action: contract.RouteHoldShelf, HoldID: h.ID}
	}
	return domain.StatusReady, nil
}

// pullable checks that the scan is of the copy set aside for h, on the shelf of branch.
func pullable(h store.HoldRow, barcode, branch string) error {
	if h.Status != domain.StatusAwaitingPull || h.ItemBarcode.String != barcode || h.CopyBranch.String != branch {
		return refuse(contract.ErrNotOnPullList, "copy %s is not on %s's pull list for hold %d", barcode, branch, h.ID)
	}
	return nil
}

// Pull: staff secured the set-aside copy from the shelf.
func (a *Activities) Pull(ctx context.Context, in contract.ScanInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "pull", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if err := pullable(h, in.Barcode, in.Branch); err != nil {
			return "", err
		}
		return secure(ctx, tx, h, in.Branch, out)
	})
}

// Missing: the set-aside copy is not on the shelf. It is marked missing and the hold looks for another copy.
func (a *Activities) Missing(ctx context.Context, in contract.ScanInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "missing", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if err := pullable(h, in.Barcode, in.Branch); err != nil {
			return "", err
		}
		if err := store.MarkMissing(ctx, tx, in.Barcode); err != nil {
			return "", err
		}
		return a.lostCopy(ctx, tx, h)
	})
}

// lostCopy re-targets a hold whose set-aside copy is gone.
func (a *Activities) lostCopy(ctx context.Context, tx *sqlx.Tx, h store.HoldRow) (domain.Status, error) {
	if err := store.Unassign(ctx, tx, h.ID); err != nil {
		return "", err
	}
	found, err := retarget(ctx, tx, h)
	if err != nil {
		return "", err
	}
	if found {
		return domain.StatusAwaitingPull, nil
	}
	return domain.StatusQueued, nil
}

// Receive: a travelling copy arrived at the pickup branch.
func (a *Activities) Receive(ctx context.Context, in contract.ScanInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "receive", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusInTransit || h.ItemBarcode.String != in.Barcode || h.Pickup != in.Branch {
			return "", refuse(contract.ErrNotExpectedHere, "copy %s is not expected at %s", in.Barcode, in.Branch)
		}
		return arrive(ctx, tx, h, out)
	})
}

// Checkout hands the copy over. To the hold's own patron it fulfils the hold (from the hold shelf, or
// straight from the shelf when the patron found the set-aside copy there). To another patron it is only
// possible for a copy still on the open shelf (a walk-in borrower took it): the hold then looks for another copy.
func (a *Activities) Checkout(ctx context.Context, in contract.CheckoutInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "checkout", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.ItemBarcode.String != in.Barcode {
			return "", refuse(contract.ErrNotAvailable, "copy %s is not this hold's", in.Barcode)
		}
		own := in.PatronID == h.PatronID
		switch {
		case h.Status == domain.StatusReady && own, h.Status == domain.StatusAwaitingPull && own:
		case h.Status == domain.StatusAwaitingPull && h.CopyBranch.String == in.Branch:
			due, err := store.Lend(ctx, tx, in.Barcode, in.PatronID, in.Branch, a.today())
			if err != nil {
				return "", err
			}
			out.Loan = &contract.Loan{Barcode: in.Barcode, DueDate: due.Format(time.DateOnly)}
			return a.lostCopy(ctx, tx, h)
		case h.Status == domain.StatusReady:
			return "", refuse(contract.ErrHeldForAnother, "copy %s is held for another patron", in.Barcode)
		default:
			return "", refuse(contract.ErrNotAvailable, "copy %s cannot be lent now (hold %d is %s)", in.Barcode, h.ID, h.Status)
		}
		due, err := store.Lend(ctx, tx, in.Barcode, in.PatronID, in.Branch, a.today())
		if err != nil {
			return "", err
		}
		out.Loan = &contract.Loan{Barcode: in.Barcode, DueDate: due.Format(time.DateOnly)}
		if err := store.MarkFulfilled(ctx, tx, h.ID); err != nil {
			return "", err
		}
		return domain.StatusFulfilled, nil
	})
}

// RequestCancel records a patron's cancellation request (取消申込); the workflow approves it next.
func (a *Activities) RequestCancel(ctx context.Context, in contract.CancelInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "cancel_request", "patron", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if !domain.PatronMayChange(h.Status, h.Origin) {
			return "", refuse(contract.ErrNotCancellable, "hold %d cannot be cancelled online (%s, %s)", h.ID, h.Status, h.Origin)
		}
		if err := store.MarkCancelRequested(ctx, tx, h.ID); err != nil {
			return "", err
		}
		return domain.StatusCancelRequested, nil
	})
}

// Cancel closes the hold (本人取消 after a request, staff cancellation or refusal, expiry) and gives its copy,
// if it had one, to the next waiting hold at once.
func (a *Activities) Cancel(ctx context.Context, in contract.CancelInput) (contract.Outcome, error) {
	actor := staffActor(in.StaffID)
	if in.Reason == domain.CancelPatron {
		actor = "patron"
	}
	return a.step(ctx, in.Step, "cancel:"+string(in.Reason), actor, func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		switch {
		case !h.Status.Open():
			return "", refuse(contract.ErrNotCancellable, "hold %d is already %s", h.ID, h.Status)
		case in.Reason == domain.CancelPatron && h.Status != domain.StatusCancelRequested:
			return "", refuse(contract.ErrNotCancellable, "hold %d has no cancellation request", h.ID)
		case in.Reason == domain.CancelExpired && h.Status != domain.StatusReady:
			return "", refuse(contract.ErrNotCancellable, "hold %d is %s, not ready", h.ID, h.Status)
		}
		var note *string
		switch {
		case in.NoteID != 0:
			text, ok, err := store.HoldNote(ctx, tx, h.ID, in.NoteID)
			if err != nil {
				return "", err
			}
			if ok { // a note gone (its request was given up) is no reason to fail: the hold closes without it
				note = &text
			}
		case in.Note != "": // an Update sent before notes were kept in hold_notes
			note = &in.Note
		}
		if err := store.MarkCancelled(ctx, tx, h.ID, in.Reason, note); err != nil {
			return "", err
		}
		// Closed first, so that its copy can be set aside for the next hold.
		var err error
		if out.Next, err = release(ctx, tx, h, true); err != nil {
			return "", err
		}
		return domain.StatusCancelled, nil
	})
}

// ChangePickup moves the pickup place. A hold whose copy is set aside on a shelf takes a free copy at the
// new place when there is one, and its old copy goes to the next waiting hold.
func (a *Activities) ChangePickup(ctx context.Context, in contract.PickupInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "pickup", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if in.StaffID == 0 && !domain.PatronMayChange(h.Status, h.Origin) {
			return "", refuse(contract.ErrNotChangeable, "hold %d cannot be changed online (%s, %s)", h.ID, h.Status, h.Origin)
		}
		if in.StaffID != 0 && (!h.Status.Open() || h.Status == domain.StatusReady) {
			return "", refuse(contract.ErrNotChangeable, "hold %d is %s", h.ID, h.Status)
		}
		if err := store.SetPickup(ctx, tx, h.ID, in.Branch); err != nil {
			return "", err
		}
		old := h
		h.Pickup = in.Branch
		if h.Status != domain.StatusAwaitingPull || h.CopyBranch.String == in.Branch {
			return h.Status, nil
		}
		barcode, branch, ok, err := store.FreeCopy(ctx, tx, h.TitleID.Int64, in.Branch)
		if err != nil || !ok || branch != in.Branch {
			return h.Status, err // no copy at the new place: the set-aside one will travel there
		}
		if err := store.Unassign(ctx, tx, h.ID); err != nil {
			return "", err
		}
		if err := store.Assign(ctx, tx, h.ID, barcode); err != nil {
			return "", err
		}
		if out.Next, err = offer(ctx, tx, h.TitleID.Int64, old.ItemBarcode.String, old.CopyBranch.String, contract.CopyAssigned, h.ID); err != nil {
			return "", err
		}
		return h.Status, nil
	})
}

// Order: staff ordered the requested title from a bookseller (選書中).
func (a *Activities) Order(ctx context.Context, in contract.StaffInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "order", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusInvestigating {
			return "", refuse(contract.ErrNotChangeable, "hold %d is %s, not investigating", h.ID, h.Status)
		}
		return domain.StatusOnOrder, nil
	})
}

// ILL: staff arranged an inter-library loan; the hold stays 調査中 and can never join a series.
func (a *Activities) ILL(ctx context.Context, in contract.StaffInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "ill", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusInvestigating || h.Origin != "counter" {
			return "", refuse(contract.ErrNotChangeable, "hold %d is %s, not an investigated counter hold", h.ID, h.Status)
		}
		if err := store.MarkILL(ctx, tx, h.ID); err != nil {
			return "", err
		}
		return domain.StatusInvestigating, nil
	})
}

// Arrived links an investigated or ordered counter hold to the copy that came for it (a purchase or an
// ILL copy): the copy is registered and goes to this hold, on the hold shelf or in transit.
func (a *Activities) Arrived(ctx context.Context, in contract.ArrivedInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "arrived", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusInvestigating && h.Status != domain.StatusOnOrder {
			return "", refuse(contract.ErrNotChangeable, "hold %d is %s", h.ID, h.Status)
		}
		if h.TitleID.Valid && h.TitleID.Int64 != in.TitleID {
			return "", refuse(contract.ErrNotChangeable, "hold %d is for title %d, not %d", h.ID, h.TitleID.Int64, in.TitleID)
		}
		if err := store.LockTitle(ctx, tx, in.TitleID); err != nil {
			return "", err
		}
		// The patron may already hold the title (placed online meanwhile, or the request was for a title
		// they hold): one open hold per patron and title, so this is a refusal for good, never retried.
		held, err := store.HeldByPatronElsewhere(ctx, tx, h.ID, in.TitleID)
		if err != nil {
			return "", err
		}
		if held {
			return "", refuse(contract.ErrAlreadyHeld, "the patron of hold %d already holds title %d", h.ID, in.TitleID)
		}
		if err := store.LinkTitle(ctx, tx, h.ID, in.TitleID); errors.Is(err, store.ErrAlreadyHeld) {
			return "", refuse(contract.ErrAlreadyHeld, "the patron of hold %d already holds title %d", h.ID, in.TitleID)
		} else if err != nil {
			return "", err
		}
		if err := store.AddArrivedCopy(ctx, tx, in.Barcode, in.TitleID, in.Branch, shelfOf(in.Shelf)); err != nil {
			return "", err
		}
		if err := store.Assign(ctx, tx, h.ID, in.Barcode); err != nil {
			return "", err
		}
		h.TitleID.Int64, h.TitleID.Valid = in.TitleID, true
		h.ItemBarcode.String, h.ItemBarcode.Valid = in.Barcode, true
		return secure(ctx, tx, h, in.Branch, out)
	})
}

func (a *Activities) today() time.Time {
	return domain.DateOf(time.Now(), a.Cfg.Location).Time()
}

// AwaitHold waits, for at most 10 s, until the hold's title and row locks can be taken — the locks every
// transition of the hold takes — and reports on which attempt it got them. A hold workflow whose transition
// keeps failing waits on it (a regular activity that Temporal's server retries) instead of retrying the
// transition in its own history; it changes nothing.
func (a *Activities) AwaitHold(ctx context.Context, holdID int64) (int, error) {
	err := store.TryHoldLocks(ctx, a.DB, holdID)
	if errors.Is(err, store.ErrNoSuchHold) {
		err = notFound(holdID)
	}
	if err != nil {
		return 0, fmt.Errorf("await hold %d: %w", holdID, err)
	}
	return int(activity.GetInfo(ctx).Attempt), nil
}
