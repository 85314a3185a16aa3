package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.temporal.io/sdk/activity"

	"yoyaku/domain"
	"yoyaku/mailer"
)

// Notify tells the patron that the hold is ready, by the contact method they chose, exactly once per ready
// event: every message has a row keyed by hold, transition and address, written before sending and marked
// sent after, and a Message-ID derived from the same key. E-mail contacts the patron now; a phone call is
// put on the pickup branch's call list (the deadline counts from the recorded call); with no contact method
// the ready date is the contact date.
func (a *Activities) Notify(ctx context.Context, s Step) (NotifyResult, error) {
	h, err := readHold(ctx, a.DB, s.HoldID)
	if err != nil {
		return NotifyResult{}, err
	}
	if h.Status != domain.StatusReady || h.Transition != s.Transition {
		return NotifyResult{Skipped: true}, nil
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
		return NotifyResult{}, fmt.Errorf("notify hold %d: %w", h.ID, err)
	}
	key := fmt.Sprintf("ready:%d:%d", h.ID, s.Transition)
	var contactedAt time.Time
	switch p.Method {
	case "email":
		var addrs []string
		if err := a.DB.SelectContext(ctx, &addrs, `SELECT address FROM patron_emails WHERE patron_id = $1 AND notify ORDER BY slot`, h.PatronID); err != nil {
			return NotifyResult{}, fmt.Errorf("notify hold %d: %w", h.ID, err)
		}
		if len(addrs) == 0 {
			contactedAt = p.ReadyAt
			break
		}
		if contactedAt, err = a.sendReadyMail(ctx, h, key, addrs, p.Name, p.Title, p.Branch, p.ReadyAt); err != nil {
			return NotifyResult{}, err
		}
	case "phone":
		var sentAt sql.NullTime
		err := a.DB.GetContext(ctx, &sentAt, `
			INSERT INTO notifications (hold_id, channel, idempotency_key) VALUES ($1, 'phone', $2)
			ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
			RETURNING sent_at`, h.ID, key+":phone")
		if err != nil {
			return NotifyResult{}, fmt.Errorf("call list for hold %d: %w", h.ID, err)
		}
		if !sentAt.Valid {
			return NotifyResult{Contacted: false}, nil
		}
		contactedAt = sentAt.Time
	default:
		contactedAt = p.ReadyAt
	}
	expires, err := a.setContact(ctx, a.DB, h.ID, s.Transition, contactedAt)
	if err != nil {
		return NotifyResult{}, err
	}
	return NotifyResult{Contacted: true, ExpiresAt: expires}, nil
}

// sendReadyMail sends one message to every chosen address not yet mailed for this ready event and returns
// when the patron was first mailed.
func (a *Activities) sendReadyMail(ctx context.Context, h holdRow, key string, addrs []string, name, title, branch string, readyAt time.Time) (time.Time, error) {
	keys := make([]string, len(addrs))
	for i, addr := range addrs {
		keys[i] = key + ":" + addr
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO notifications (hold_id, channel, address, idempotency_key)
			VALUES ($1, 'email', $2, $3) ON CONFLICT (idempotency_key) DO NOTHING`, h.ID, addr, keys[i]); err != nil {
			return time.Time{}, fmt.Errorf("notification row for hold %d: %w", h.ID, err)
		}
	}
	var rows []struct {
		Address string       `db:"address"`
		SentAt  sql.NullTime `db:"sent_at"`
	}
	if err := a.DB.SelectContext(ctx, &rows, `SELECT address, sent_at FROM notifications WHERE idempotency_key = ANY($1)`, pq.Array(keys)); err != nil {
		return time.Time{}, fmt.Errorf("notification rows for hold %d: %w", h.ID, err)
	}
	var unsent []string
	var first time.Time
	for _, r := range rows {
		if !r.SentAt.Valid {
			unsent = append(unsent, r.Address)
		} else if first.IsZero() || r.SentAt.Time.Before(first) {
			first = r.SentAt.Time
		}
	}
	if len(unsent) == 0 {
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
	msgID := a.Mailer.MessageID(fmt.Sprintf("hold-%d.ready.%d", h.ID, h.Transition))
	err = a.Mailer.Send(ctx, mailer.Message{To: unsent, Subject: subject, Text: text, MessageID: msgID,
		Headers: map[string]string{"X-Yoyaku-Hold": fmt.Sprint(h.ID)}})
	if mailer.IsPermanent(err) {
		// No retry can deliver it; the hold still counts as ready from today so it does not wait forever.
		activity.GetLogger(ctx).Warn("ready mail refused permanently", "hold", h.ID, "err", err)
	} else if err != nil {
		return time.Time{}, fmt.Errorf("send ready mail for hold %d: %w", h.ID, err)
	}
	if err := a.markSent(ctx, keys, msgID); err != nil {
		return time.Time{}, fmt.Errorf("mark ready mail sent for hold %d: %w", h.ID, err)
	}
	return contactedAt, nil
}

// markSent records that the mail server accepted the message. Once it has, failing the activity would send
// the message again on retry, so a database that is restarting is waited for (with backoff, for as long as
// the activity may run) instead. Only a worker killed in this window can still send a message twice.
func (a *Activities) markSent(ctx context.Context, keys []string, msgID string) error {
	wait := 100 * time.Millisecond
	for {
		_, err := a.DB.ExecContext(ctx, `UPDATE notifications SET sent_at = now(), message_id = $2
			WHERE idempotency_key = ANY($1) AND sent_at IS NULL`, pq.Array(keys), msgID)
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
func (a *Activities) Contacted(ctx context.Context, in StaffInput) (Outcome, error) {
	return a.step(ctx, in.Step, "contacted", staffActor(in.StaffID), func(tx *sqlx.Tx, h holdRow, out *Outcome) (domain.Status, error) {
		if h.Status != domain.StatusReady {
			return "", refuse(ErrNotChangeable, "hold %d is %s, not ready", h.ID, h.Status)
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
			return "", refuse(ErrNotChangeable, "hold %d is not on the call list", h.ID)
		}
		expires, err := a.setContact(ctx, tx, h.ID, h.Transition, time.Now())
		if err != nil {
			return "", err
		}
		out.Contact = &NotifyResult{Contacted: true, ExpiresAt: expires}
		return domain.StatusReady, nil
	})
}
