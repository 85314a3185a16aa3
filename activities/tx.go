package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// refuse is a business refusal: never retried, carried to the caller with its code.
func refuse(code domain.Code, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), string(code), nil)
}

// holdState is the hold as workflows see it.
func holdState(h store.HoldRow) contract.HoldState {
	st := contract.HoldState{
		HoldID: h.ID, PatronID: h.PatronID, TitleID: h.TitleID.Int64, Status: h.Status, Transition: h.Transition,
		Pickup: h.Pickup, Origin: h.Origin, Barcode: h.ItemBarcode.String, CopyBranch: h.CopyBranch.String, ILL: h.ILL,
		SeriesID: h.SeriesID.Int64, SeriesSeq: int(h.SeriesSeq.Int64), Extended: h.Extended,
	}
	if h.Status == domain.StatusSuspended && h.Suspended.Valid {
		st.SuspendedUntil = h.Suspended.Time.Format(time.DateOnly)
	}
	st.Position = int(h.Position.Int64)
	if h.Status == domain.StatusReady && h.Deadline.Valid {
		st.Deadline = h.Deadline.Time.Format(time.DateOnly)
	}
	return st
}

// loadHold locks the hold's title (shared: store.ShareTitle), then the hold, and reads it; a hold that does
// not exist is refused.
func loadHold(ctx context.Context, tx *sqlx.Tx, holdID int64, shared bool) (store.HoldRow, error) {
	lock := store.LockHold
	if shared {
		lock = store.LockHoldShared
	}
	h, err := lock(ctx, tx, holdID)
	if errors.Is(err, store.ErrNoSuchHold) {
		return store.HoldRow{}, notFound(holdID)
	}
	return h, err
}

func notFound(holdID int64) error {
	return refuse(contract.ErrNotFound, "hold %d does not exist", holdID)
}

// step runs one transition of a hold. It locks the hold and checks the transition counter: when the
// counter has already moved past step.Transition, the transition was committed by an earlier attempt whose
// result was lost (worker crash, retry), and the outcome recorded then is returned instead of acting twice.
// do returns the new status, or "" to change nothing but the outcome.
func (a *Activities) step(ctx context.Context, s contract.Step, op, actor string, do func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error)) (contract.Outcome, error) {
	return a.stepLocked(ctx, s, op, actor, false, do)
}

// errNeedsTitle is what a transition run with its title shared (stepShared) returns when it would assign or
// release a copy after all: its transaction is rolled back and the transition runs again with the title
// locked.
var errNeedsTitle = errors.New("the transition needs its title's lock")

// stepShared runs a transition that usually changes no copy (an approval that joins the queue) with its
// title shared, so that such transitions of one title run side by side; when do returns errNeedsTitle it runs
// again as step does. Transitions that change copies never run at the same time as it (store.ShareTitle).
func (a *Activities) stepShared(ctx context.Context, s contract.Step, op, actor string, do func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome, shared bool) (domain.Status, error)) (contract.Outcome, error) {
	exclusive := func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		return do(tx, h, out, false)
	}
	// A title with a copy free on a shelf (an ordinary title, most of the time) goes straight to the
	// title's lock: trying shared first would only roll back. The guess is checked again under the lock.
	if free, err := store.HoldTitleHasFreeCopy(ctx, a.DB, s.HoldID); err != nil {
		return contract.Outcome{}, err
	} else if free {
		return a.step(ctx, s, op, actor, exclusive)
	}
	out, err := a.stepLocked(ctx, s, op, actor, true, func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		return do(tx, h, out, true)
	})
	if !errors.Is(err, errNeedsTitle) {
		return out, err
	}
	return a.step(ctx, s, op, actor, exclusive)
}

func (a *Activities) stepLocked(ctx context.Context, s contract.Step, op, actor string, shared bool, do func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error)) (contract.Outcome, error) {
	var out contract.Outcome
	err := store.InTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		out = contract.Outcome{}
		h, err := loadHold(ctx, tx, s.HoldID, shared)
		if err != nil {
			return err
		}
		if h.Transition > s.Transition {
			return replayed(ctx, tx, h, s, op, &out)
		}
		if h.Transition < s.Transition {
			return refuse(contract.ErrStale, "hold %d is at transition %d, the workflow expected %d", h.ID, h.Transition, s.Transition)
		}
		to, err := do(tx, h, &out)
		if err != nil {
			return err
		}
		if to != "" {
			if err := recordTransition(ctx, tx, h, to, op, actor, out); err != nil {
				return err
			}
		}
		h, err = store.ReadHold(ctx, tx, h.ID)
		if err != nil {
			return err
		}
		out.State = holdState(h)
		return nil
	})
	return out, err
}

// recorded is what a transition's event keeps of its outcome, for retried activities.
type recorded struct {
	Op      string                 `json:"op"`
	Next    *contract.Assignment   `json:"next,omitempty"`
	Routing *contract.Routing      `json:"routing,omitempty"`
	Loan    *contract.Loan         `json:"loan,omitempty"`
	Contact *contract.NotifyResult `json:"contact,omitempty"`
}

func recordTransition(ctx context.Context, tx *sqlx.Tx, h store.HoldRow, to domain.Status, op, actor string, out contract.Outcome) error {
	detail, err := json.Marshal(recorded{Op: op, Next: out.Next, Routing: out.Routing, Loan: out.Loan, Contact: out.Contact})
	if err != nil {
		return err
	}
	return store.RecordTransition(ctx, tx, h, to, actor, detail)
}

func replayed(ctx context.Context, tx *sqlx.Tx, h store.HoldRow, s contract.Step, op string, out *contract.Outcome) error {
	detail, err := store.TransitionDetail(ctx, tx, h.ID, s.Transition+1)
	if err != nil {
		return err
	}
	var r recorded
	if len(detail) > 0 {
		if err := json.Unmarshal(detail, &r); err != nil {
			return fmt.Errorf("hold %d event %d: %w", h.ID, s.Transition+1, err)
		}
	}
	if r.Op != op {
		// Another operation took this transition: the workflow's view is stale and must be reloaded.
		return refuse(contract.ErrStale, "hold %d transition %d was %q, not %q", h.ID, s.Transition+1, r.Op, op)
	}
	out.Next, out.Routing, out.Loan, out.Contact = r.Next, r.Routing, r.Loan, r.Contact
	h, err = store.ReadHold(ctx, tx, h.ID) // with its position, which the locked read leaves out
	if err != nil {
		return err
	}
	out.State = holdState(h)
	return nil
}

func staffActor(id int64) string {
	if id == 0 {
		return "system"
	}
	return fmt.Sprintf("staff:%d", id)
}
