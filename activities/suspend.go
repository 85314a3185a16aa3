package activities

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Suspension (休止): a waiting hold is paused until a date. It keeps its row and placement time, so its place
// in the queue, while allocation and positions skip it (store: only 'queued' holds wait for copies).

// Suspend pauses a waiting hold (返却待ち/順番待ち, with no copy given to it) until in.Until, a day after today
// and at most 90 days ahead in the library's time zone. The outcome carries when the hold is active again.
func (a *Activities) Suspend(ctx context.Context, in contract.SuspendInput) (contract.Outcome, error) {
	out, err := a.step(ctx, in.Step, "suspend", "patron", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if !domain.MaySuspend(h.Status, h.ItemBarcode.Valid) {
			return "", refuse(contract.ErrNotSuspendable, "hold %d is %s (copy %q), not waiting", h.ID, h.Status, h.ItemBarcode.String)
		}
		until, err := domain.SuspendUntil(in.Until, domain.DateOf(time.Now(), a.Cfg.Location))
		if err != nil {
			return "", refuse(contract.ErrInvalidDate, "hold %d: suspension until %q: %v", h.ID, in.Until, err)
		}
		if err := store.SetSuspended(ctx, tx, h.ID, until.Time()); err != nil {
			return "", err
		}
		return domain.StatusSuspended, nil
	})
	return a.resumeAt(out), err
}

// resumeAt sets the outcome's ResumeAt from the state (also for an outcome recorded by an earlier attempt,
// which step rebuilds from the row): the start of the suspension's day in the library's time zone.
func (a *Activities) resumeAt(out contract.Outcome) contract.Outcome {
	if out.State.Status != domain.StatusSuspended {
		return out
	}
	if d, err := domain.ParseDate(out.State.SuspendedUntil); err == nil {
		at := d.StartIn(a.Cfg.Location)
		out.ResumeAt = &at
	}
	return out
}

// Reactivate ends a suspension (its day came, or the patron resumed it): the hold waits again at its
// original place and, as when it was placed, takes a free copy when nobody waits before it. A hold that is
// no longer suspended (cancelled meanwhile) is left alone.
func (a *Activities) Reactivate(ctx context.Context, in contract.ResumeInput) (contract.Outcome, error) {
	op, actor := "unsuspend", "patron"
	if in.Timer {
		op, actor = "unsuspend:timer", "system"
	}
	return a.step(ctx, in.Step, op, actor, func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusSuspended {
			return "", refuse(contract.ErrNotSuspended, "hold %d is %s, not suspended", h.ID, h.Status)
		}
		if g, err := gated(ctx, tx, h); err != nil || g {
			return domain.StatusPreparing, err
		}
		return a.queueOrTake(ctx, tx, h, out)
	})
}
