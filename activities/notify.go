package activities

import (
	"cmp"
	"context"
	"database/sql"
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
)

// Notify tells the patron that the hold is ready, by the contact method they chose, exactly once per ready
// event: every message has a row keyed by hold, transition and address, written before sending and marked
// sent after, and a Message-ID derived from that row. E-mail contacts the patron now, each chosen address in
// its own SMTP transaction; a phone call is put on the pickup branch's call list (the deadline counts from
// the recorded call); with no contact method the ready date is the contact date. An e-mail patron none of
// whose addresses accepted the mail (every one refused permanently) goes on the call list as well, whether
// or not a phone number is registered (staff follow up), and is not contacted until staff record it.
func (a *Activities) Notify(ctx context.Context, s contract.Step) (contract.NotifyResult, error) {
	h, err := readHold(ctx, a.DB, s.HoldID)
	if err != nil {
		return contract.NotifyResult{}, err
	}
	if h.Status != domain.StatusReady || h.Transition != s.Transition {
		return contract.NotifyResult{Skipped: true}, nil
	}
	var p struct {
		Name    string         `db:"name"`
		Method  string         `db:"contact_method"`
		ReadyAt time.Time      `db:"ready_at"`
		Title   string         `db:"title"`
		Branch  string         `db:"branch"`
		Phone   sql.NullString `db:"phone"`
	}
	err = a.DB.GetContext(ctx, &p, `
		SELECT p.name, p.contact_method, h.ready_at, t.title, b.name AS branch, ph.number AS phone
		FROM holds h JOIN patrons p ON p.id = h.patron_id JOIN titles t ON t.id = h.title_id
		JOIN branches b ON b.code = h.pickup_branch LEFT JOIN patron_phones ph ON ph.id = p.contact_phone_id
		WHERE h.id = $1`, h.ID)
	if err != nil {
		return contract.NotifyResult{}, fmt.Errorf("notify hold %d: %w", h.ID, err)
	}
	key := fmt.Sprintf("ready:%d:%d", h.ID, s.Transition)
	var contactedAt time.Time
	switch p.Method {
	case "email":
		var addrs []string
		if err := a.DB.SelectContext(ctx, &addrs, `SELECT address FROM patron_emails WHERE patron_id = $1 AND notify ORDER BY slot`, h.PatronID); err != nil {
			return contract.NotifyResult{}, fmt.Errorf("notify hold %d: %w", h.ID, err)
		}
		if len(addrs) == 0 {
			contactedAt = p.ReadyAt
			break
		}
		if contactedAt, err = a.sendReadyMail(ctx, h, key, addrs, p.Name, p.Title, p.Branch); err != nil {
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
		called, err := a.putOnCallList(ctx, h.ID, key)
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
	expires, err := a.setContact(ctx, a.DB, h.ID, s.Transition, contactedAt)
	if err != nil {
		return contract.NotifyResult{}, err
	}
	return contract.NotifyResult{Contacted: true, ExpiresAt: expires}, nil
}

// putOnCallList puts the ready event on the pickup branch's call list (once) and returns when staff recorded
// the call, if they have.
func (a *Activities) putOnCallList(ctx context.Context, holdID int64, key string) (sql.NullTime, error) {
	var calledAt sql.NullTime
	err := a.DB.GetContext(ctx, &calledAt, `
		INSERT INTO notifications (hold_id, channel, idempotency_key) VALUES ($1, 'phone', $2)
		ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
		RETURNING sent_at`, holdID, key+":phone")
	if err != nil {
		return sql.NullTime{}, fmt.Errorf("call list for hold %d: %w", holdID, err)
	}
	return calledAt, nil
}

// readyMailRow is the record of the ready mail to one address.
type readyMailRow struct {
	ID        int64        `db:"id"`
	Address   string       `db:"address"`
	SentAt    sql.NullTime `db:"sent_at"`
	RefusedAt sql.NullTime `db:"refused_at"`
}

// sendReadyMail sends the ready mail to every chosen address not yet mailed for this ready event (key), each
// in its own SMTP transaction, and returns when the patron was first mailed: the zero time when no address
// of the event accepted it (every one was refused permanently). An address that refused it once is not tried
// again for the same event. A temporary failure of one address fails the activity (its retry mails only what
// is left) once the others are recorded.
func (a *Activities) sendReadyMail(ctx context.Context, h holdRow, key string, addrs []string, name, title, branch string) (time.Time, error) {
	for _, addr := range addrs {
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO notifications (hold_id, channel, address, idempotency_key)
			VALUES ($1, 'email', $2, $3) ON CONFLICT (idempotency_key) DO NOTHING`, h.ID, addr, key+":"+addr); err != nil {
			return time.Time{}, fmt.Errorf("notification row for hold %d: %w", h.ID, err)
		}
	}
	// Every address of the event counts for when the patron was first mailed, also one no longer chosen.
	var rows []readyMailRow
	if err := a.DB.SelectContext(ctx, &rows, `SELECT id, address, sent_at, refused_at FROM notifications
		WHERE hold_id = $1 AND channel = 'email' AND idempotency_key LIKE $2 || ':%' ORDER BY id`, h.ID, key); err != nil {
		return time.Time{}, fmt.Errorf("notification rows for hold %d: %w", h.ID, err)
	}
	var todo []readyMailRow
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
	_, deadline := a.deadline(contactedAt)
	subject, text, err := mailer.RenderReady(mailer.ReadyData{
		PatronName: name, Title: title, PickupBranch: branch,
		Deadline: deadline.Time(), StatusURL: a.Cfg.PublicURL + "/holds",
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
func (a *Activities) mailOne(ctx context.Context, h holdRow, r readyMailRow, subject, text string) (bool, error) {
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
		if err := a.markRefused(ctx, h.PatronID, r.ID, cmp.Or(me.Reply, me.Detail())); err != nil {
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
		_, err := a.DB.ExecContext(ctx, `
			WITH n AS (UPDATE notifications SET sent_at = now(), message_id = $2
				WHERE id = $1 AND sent_at IS NULL RETURNING address)
			UPDATE patron_emails e SET refused_at = NULL, refusal = NULL
			FROM n WHERE e.patron_id = $3 AND e.address = n.address AND e.refused_at IS NOT NULL`, notification, msgID, patronID)
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

// markRefused records that the mail server refused the message for good, on the message (refused, not
// sent: the ready event never tries that address again) and on the patron's address, for staff and the
// patron to see. A failure here fails the activity; its retry asks the server again, which costs nothing.
func (a *Activities) markRefused(ctx context.Context, patronID, notification int64, reply string) error {
	_, err := a.DB.ExecContext(ctx, `
		WITH n AS (UPDATE notifications SET refused_at = now(), refusal = $2
			WHERE id = $1 AND sent_at IS NULL AND refused_at IS NULL RETURNING address, refused_at)
		UPDATE patron_emails e SET refused_at = n.refused_at, refusal = $2
		FROM n WHERE e.patron_id = $3 AND e.address = n.address`, notification, reply, patronID)
	return err
}

// deadline is when a hold contacted at contactedAt expires, and the last day shown to the patron: 1 week
// counting the contact date, or the configured pickup window (demos and tests).
func (a *Activities) deadline(contactedAt time.Time) (time.Time, domain.Date) {
	expires := domain.ExpiresAt(contactedAt, a.Cfg.Location, a.Cfg.PickupWindow)
	if a.Cfg.PickupWindow > 0 {
		return expires, domain.DateOf(expires, a.Cfg.Location)
	}
	return expires, domain.PickupDeadline(domain.DateOf(contactedAt, a.Cfg.Location))
}

// setContact records the contact date and the pickup deadline of a ready hold and returns when it expires.
func (a *Activities) setContact(ctx context.Context, db sqlx.ExecerContext, holdID int64, transition int, contactedAt time.Time) (time.Time, error) {
	contact := domain.DateOf(contactedAt, a.Cfg.Location)
	expires, deadline := a.deadline(contactedAt)
	_, err := db.ExecContext(ctx, `UPDATE holds SET contact_date = $3, pickup_deadline = $4
		WHERE id = $1 AND transition = $2 AND status = 'ready'`, holdID, transition, contact.Time(), deadline.Time())
	if err != nil {
		return time.Time{}, fmt.Errorf("contact date of hold %d: %w", holdID, err)
	}
	return expires, nil
}

// Contacted records the phone call staff made for a ready hold: the contact date is today and the pickup
// deadline counts from it.
func (a *Activities) Contacted(ctx context.Context, in contract.StaffInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "contacted", staffActor(in.StaffID), func(tx *sqlx.Tx, h holdRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusReady {
			return "", refuse(contract.ErrNotChangeable, "hold %d is %s, not ready", h.ID, h.Status)
		}
		var staff *int64
		if in.StaffID != 0 {
			staff = &in.StaffID
		}
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET sent_at = now(), sent_by = $2
			WHERE hold_id = $1 AND channel = 'phone' AND sent_at IS NULL`, h.ID, staff)
		if err != nil {
			return "", fmt.Errorf("record call for hold %d: %w", h.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return "", refuse(contract.ErrNotChangeable, "hold %d is not on the call list", h.ID)
		}
		expires, err := a.setContact(ctx, tx, h.ID, h.Transition, time.Now())
		if err != nil {
			return "", err
		}
		out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: expires}
		return domain.StatusReady, nil
	})
}
