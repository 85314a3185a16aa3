package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/activity"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/mailer"
	"yoyaku/store"
)

// Notify tells the patron that the hold is ready, by the contact method they chose, exactly once per ready
// event: every message has a row keyed by hold, transition and address, written before sending and marked
// sent after, and a Message-ID derived from that row. E-mail contacts the patron now, each chosen address in
// its own SMTP transaction; a phone call is put on the pickup branch's call list (the deadline counts from
// the recorded call); with no contact method the ready date is the contact date. An e-mail patron none of
// whose addresses accepted the mail (every one refused permanently) goes on the call list as well, whether
// or not a phone number is registered (staff follow up), and is not contacted until staff record it.
func (a *Activities) Notify(ctx context.Context, s contract.Step) (contract.NotifyResult, error) {
	h, err := store.ReadHold(ctx, a.DB, s.HoldID)
	if err != nil {
		return contract.NotifyResult{}, err
	}
	if h.Status != domain.StatusReady || h.Transition != s.Transition {
		return contract.NotifyResult{Skipped: true}, nil
	}
	p, err := store.ReadyNoticeOf(ctx, a.DB, h.ID)
	if err != nil {
		return contract.NotifyResult{}, fmt.Errorf("notify hold %d: %w", h.ID, err)
	}
	key := fmt.Sprintf("ready:%d:%d", h.ID, s.Transition)
	var contactedAt time.Time
	switch p.Method {
	case "email":
		addrs, err := store.NotifyAddresses(ctx, a.DB, h.PatronID)
		if err != nil {
			return contract.NotifyResult{}, fmt.Errorf("notify hold %d: %w", h.ID, err)
		}
		if len(addrs) == 0 {
			contactedAt = p.ReadyAt
			break
		}
		if contactedAt, err = a.sendReadyMail(ctx, h, key, addrs, p); err != nil {
			return contract.NotifyResult{}, err
		}
		if !contactedAt.IsZero() {
			break
		}
		// Every chosen address refused the mail: the patron was not told, so no clock starts. Staff call
		// them (or follow up otherwise when no number is registered) and record it, as for a phone patron.
		activity.GetLogger(ctx).Warn("ready mail refused by every chosen address; hold put on the call list", "hold", h.ID)
		fallthrough
	case "phone":
		// on the call list once per ready event; called is when staff recorded the call, if they have
		called, err := store.PutOnCallList(ctx, a.DB, h.ID, key)
		if err != nil {
			return contract.NotifyResult{}, err
		}
		if !called.Valid {
			return contract.NotifyResult{Contacted: false}, nil
		}
		contactedAt = called.Time
	default:
		contactedAt = p.ReadyAt
	}
	expires, deadline, err := a.setContact(ctx, a.DB, h, s.Transition, contactedAt)
	if err != nil {
		return contract.NotifyResult{}, err
	}
	return contract.NotifyResult{Contacted: true, ExpiresAt: expires, Deadline: deadline.String()}, nil
}

// sendReadyMail sends the ready mail to every chosen address not yet mailed for this ready event (key), each
// in its own SMTP transaction, and returns when the patron was first mailed: the zero time when no address
// of the event accepted it (every one was refused permanently). An address that refused it once is not tried
// again for the same event. A temporary failure of one address fails the activity (its retry mails only what
// is left) once the others are recorded.
func (a *Activities) sendReadyMail(ctx context.Context, h store.HoldRow, key string, addrs []string, p store.ReadyNotice) (time.Time, error) {
	if err := store.AddReadyMails(ctx, a.DB, h.ID, key, addrs); err != nil {
		return time.Time{}, err
	}
	// Every address of the event counts for when the patron was first mailed, also one no longer chosen.
	rows, err := store.ReadyMails(ctx, a.DB, h.ID, key)
	if err != nil {
		return time.Time{}, err
	}
	var todo []store.ReadyMail
	var first time.Time
	for _, r := range rows {
		switch {
		case r.SentAt.Valid:
			if first.IsZero() || r.SentAt.Time.Before(first) {
				first = r.SentAt.Time
			}
		case !r.RefusedAt.Valid && slices.Contains(addrs, r.Address):
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 {
		return first, nil
	}
	contactedAt := first
	if contactedAt.IsZero() {
		contactedAt = time.Now()
	}
	_, deadline, err := a.deadline(ctx, a.DB, h.Pickup, contactedAt)
	if err != nil {
		return time.Time{}, fmt.Errorf("ready mail for hold %d: %w", h.ID, err)
	}
	subject, text, err := mailer.RenderReady(mailer.ReadyData{
		PatronName: p.Name, Title: p.Title, PickupBranch: p.Branch, Extendable: p.Extendable,
		Deadline: deadline.Time(), StatusURL: a.Cfg.PublicURL + "/holds",
		ClosedDayMoved: a.Cfg.PickupWindow <= 0 && deadline.String() != domain.PickupDeadline(domain.DateOf(contactedAt, a.Cfg.Location)).String(),
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("render ready mail for hold %d: %w", h.ID, err)
	}
	// At most two addresses: each is sent and recorded on its own, at the same time, so that a slow server
	// for one does not hold back the other (nor its record).
	accepted := make([]bool, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for i, r := range todo {
		wg.Go(func() { accepted[i], errs[i] = a.mailOne(ctx, h, r, subject, text) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return time.Time{}, err
	}
	if !first.IsZero() || slices.Contains(accepted, true) {
		return contactedAt, nil
	}
	return time.Time{}, nil
}

// mailOne sends the ready mail to one address and records the outcome on its row: accepted (true), or
// refused permanently (false; also marked on the patron's address). Any other failure is returned, nothing
// recorded, for the activity's retry.
func (a *Activities) mailOne(ctx context.Context, h store.HoldRow, r store.ReadyMail, subject, text string) (bool, error) {
	msgID := a.Mailer.MessageID(fmt.Sprintf("hold-%d.ready.%d.n%d", h.ID, h.Transition, r.ID))
	err := a.Mailer.Send(ctx, mailer.Message{To: []string{r.Address}, Subject: subject, Text: text, MessageID: msgID,
		Headers: map[string]string{"X-Yoyaku-Hold": fmt.Sprint(h.ID)}})
	var me *mailer.Error
	switch {
	case err == nil:
		if err := a.markSent(ctx, h.PatronID, r.ID, msgID); err != nil {
			return false, fmt.Errorf("mark ready mail sent for hold %d: %w", h.ID, err)
		}
		return true, nil
	case errors.As(err, &me) && me.Refused:
		// No retry can deliver it (the error names no address).
		activity.GetLogger(ctx).Warn("ready mail refused for one address", "hold", h.ID, "notification", r.ID, "err", err)
		// On the message (the ready event never tries that address again) and on the address, for staff and the
		// patron to see. A failure fails the activity; its retry asks the server again, which costs nothing.
		if err := store.MarkMailRefused(ctx, a.DB, h.PatronID, r.ID, cmp.Or(me.Reply, me.Detail())); err != nil {
			return false, fmt.Errorf("mark ready mail refused for hold %d: %w", h.ID, err)
		}
		return false, nil
	default:
		return false, fmt.Errorf("send ready mail for hold %d: %w", h.ID, err)
	}
}

// markSent records that the mail server accepted the message, and clears a refusal marked on the address
// (it receives mail again). Once the server has accepted it, failing the activity would send the message
// again on retry, so a database that is restarting is waited for (with backoff, for as long as the activity
// may run) instead. Only a worker killed in this window can still send a message twice.
func (a *Activities) markSent(ctx context.Context, patronID, notification int64, msgID string) error {
	wait := 100 * time.Millisecond
	for {
		err := store.MarkMailSent(ctx, a.DB, patronID, notification, msgID)
		if err == nil {
			return nil
		}
		activity.GetLogger(ctx).Warn("ready mail sent but not yet recorded; retrying", "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// deadline is when a hold contacted at contactedAt expires, and the last day shown to the patron: 1 week
// counting the contact date, moved to the pickup branch's next open day, or the configured pickup window
// (demos and tests; it ignores the calendar).
func (a *Activities) deadline(ctx context.Context, q sqlx.QueryerContext, branch string, contactedAt time.Time) (time.Time, domain.Date, error) {
	var cal domain.Calendar
	if a.Cfg.PickupWindow <= 0 {
		var err error
		if cal, err = store.CalendarOf(ctx, q, branch); err != nil {
			return time.Time{}, domain.Date{}, err
		}
	}
	expires, d := domain.ExpiresAtIn(contactedAt, a.Cfg.Location, a.Cfg.PickupWindow, cal)
	return expires, d, nil
}

// setContact records the contact date and the pickup deadline of a ready hold and returns when it expires,
// and its deadline.
func (a *Activities) setContact(ctx context.Context, db sqlx.ExtContext, h store.HoldRow, transition int, contactedAt time.Time) (time.Time, domain.Date, error) {
	contact := domain.DateOf(contactedAt, a.Cfg.Location)
	expires, deadline, err := a.deadline(ctx, db, h.Pickup, contactedAt)
	if err != nil {
		return time.Time{}, domain.Date{}, fmt.Errorf("deadline of hold %d: %w", h.ID, err)
	}
	if err := store.SetContactDate(ctx, db, h.ID, transition, contact.Time(), deadline.Time()); err != nil {
		return time.Time{}, domain.Date{}, err
	}
	return expires, deadline, nil
}

// Contacted records the phone call staff made for a ready hold: the contact date is today and the pickup
// deadline counts from it.
func (a *Activities) Contacted(ctx context.Context, in contract.StaffInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "contacted", staffActor(in.StaffID), func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusReady {
			return "", refuse(contract.ErrNotChangeable, "hold %d is %s, not ready", h.ID, h.Status)
		}
		var staff *int64
		if in.StaffID != 0 {
			staff = &in.StaffID
		}
		listed, err := store.RecordCall(ctx, tx, h.ID, staff)
		if err != nil {
			return "", err
		}
		if !listed {
			return "", refuse(contract.ErrNotChangeable, "hold %d is not on the call list", h.ID)
		}
		// kept with the other calls (POST …/call), as 連絡済
		at, err := store.AddCallAttempt(ctx, tx, h.ID, string(domain.CallReached), staff)
		if err != nil {
			return "", err
		}
		expires, _, err := a.setContact(ctx, tx, h, h.Transition, at)
		if err != nil {
			return "", err
		}
		out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: expires}
		return domain.StatusReady, nil
	})
}
