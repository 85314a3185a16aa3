package activities

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Extend moves a ready hold's pickup deadline ExtendDays later (取置延長), once per hold and only while no
// other hold waits for its title: the title's lock, taken first, keeps a new hold from joining the queue
// until this commits. It is a transition of its own (ready to ready) whose outcome carries the new expiry,
// so the workflow re-arms its timer; nobody is mailed.
func (a *Activities) Extend(ctx context.Context, in contract.ExtendInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "extend", "patron", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusReady {
			return "", refuse(contract.ErrNotReady, "hold %d is %s, not ready", h.ID, h.Status)
		}
		if h.Extended {
			return "", refuse(contract.ErrAlreadyExtended, "hold %d was extended once already", h.ID)
		}
		deadline, ok, err := store.PickupDeadlineOf(ctx, tx, h.ID)
		if err != nil {
			return "", err
		}
		if !ok { // the patron was not told yet (a call still to make): there is no deadline to move
			return "", refuse(contract.ErrNotReady, "hold %d has no pickup deadline yet", h.ID)
		}
		waiting, err := store.OthersWaiting(ctx, tx, h.TitleID.Int64, h.ID)
		if err != nil {
			return "", err
		}
		if waiting {
			return "", refuse(contract.ErrOthersWaiting, "other holds wait for title %d", h.TitleID.Int64)
		}
		cal, err := store.CalendarOf(ctx, tx, h.Pickup)
		if err != nil {
			return "", err
		}
		expires, nd := domain.ExtendedExpiryIn(domain.CalendarDate(deadline), time.Now(), a.Cfg.Location, a.Cfg.PickupWindow, cal)
		if err := store.MarkExtended(ctx, tx, h.ID, nd.Time()); err != nil {
			return "", err
		}
		out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: expires}
		return domain.StatusReady, nil
	})
}
