package activities

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Call records a phone call staff made to the patron of a ready hold on the call list, and its outcome.
// Reached (連絡済) and voicemail (留守電) contact the patron now. No answer (不在) is kept; once nobody
// answered on Cfg.PhoneAttempts distinct days on which the pickup branch was open, the last of those days
// is the contact date. When the patron counts as contacted the hold leaves the call list, its contact date
// and pickup deadline are set, and Outcome.Contact tells the workflow to arm the deadline timer; otherwise
// the hold stays on the list. Every call is a transition of its own (ready to ready), so a retried
// activity returns the recorded outcome instead of recording the call twice.
func (a *Activities) Call(ctx context.Context, in contract.CallInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "call:"+string(in.Outcome), staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if !in.Outcome.Valid() {
			return "", refuse(contract.ErrBadRequest, "unknown call outcome %q", in.Outcome)
		}
		if h.Status != domain.StatusReady {
			return "", refuse(contract.ErrNotChangeable, "hold %d is %s, not ready", h.ID, h.Status)
		}
		listed, err := store.OnCallList(ctx, tx, h.ID)
		if err != nil {
			return "", err
		}
		if !listed {
			return "", refuse(contract.ErrNotOnCallList, "hold %d is not on the call list", h.ID)
		}
		var staff *int64
		if in.StaffID != 0 {
			staff = &in.StaffID
		}
		at, err := store.AddCallAttempt(ctx, tx, h.ID, string(in.Outcome), staff)
		if err != nil {
			return "", err
		}
		contactedAt := at
		if !in.Outcome.Contacts() {
			attempts, err := store.CallAttempts(ctx, tx, h.ID)
			if err != nil {
				return "", err
			}
			cal, err := store.CalendarOf(ctx, tx, h.Pickup)
			if err != nil {
				return "", err
			}
			var ok bool
			if contactedAt, ok = a.noAnswerContact(attempts, cal); !ok {
				return domain.StatusReady, nil // still on the call list; the call is recorded all the same
			}
		}
		if _, err := store.RecordCall(ctx, tx, h.ID, staff); err != nil {
			return "", err
		}
		expires, _, err := a.setContact(ctx, tx, h, h.Transition, contactedAt)
		if err != nil {
			return "", err
		}
		out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: expires}
		return domain.StatusReady, nil
	})
}

// noAnswerContact is when a patron nobody reached counts as contacted, from the calls since the hold became
// ready: the last unanswered call on the contact day domain.NoAnswerContactDay picks, counting the days the
// pickup branch was open by its calendar cal. ok is false while too few days have been recorded.
func (a *Activities) noAnswerContact(attempts []store.CallAttempt, cal domain.Calendar) (time.Time, bool) {
	var days []domain.Date
	for _, c := range attempts {
		if c.Outcome == string(domain.CallNoAnswer) {
			days = append(days, domain.DateOf(c.At, a.Cfg.Location))
		}
	}
	day, ok := domain.NoAnswerContactDay(days, a.Cfg.PhoneAttempts, cal.IsOpen)
	if !ok {
		return time.Time{}, false
	}
	var last time.Time
	for _, c := range attempts {
		if c.Outcome == string(domain.CallNoAnswer) && domain.DateOf(c.At, a.Cfg.Location).String() == day.String() && c.At.After(last) {
			last = c.At
		}
	}
	return last, true
}
