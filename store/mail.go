package store

// The records of ready notifications: one row per message (per address of a ready event, or its phone
// call), keyed so that a retried activity finds what it already did.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ReadyNotice is what the ready notification of a hold says, and how the patron wants to be told.
type ReadyNotice struct {
	Name    string    `db:"name"`
	Method  string    `db:"contact_method"`
	ReadyAt time.Time `db:"ready_at"`
	Title   string    `db:"title"`
	Branch  string    `db:"branch"`
	// Extendable: the patron may extend the pickup deadline once (取置延長): not extended, nobody waiting.
	Extendable bool `db:"extendable"`
}

// ReadyNoticeOf reads the ready notification of the hold.
func ReadyNoticeOf(ctx context.Context, q sqlx.QueryerContext, holdID int64) (ReadyNotice, error) {
	var n ReadyNotice
	err := sqlx.GetContext(ctx, q, &n, `
		SELECT p.name, p.contact_method, h.ready_at, t.title, b.name AS branch,
			h.extended_at IS NULL AND NOT EXISTS (SELECT 1 FROM holds w WHERE w.title_id = h.title_id AND w.id <> h.id AND `+waitingHold+`) AS extendable
		FROM holds h JOIN patrons p ON p.id = h.patron_id JOIN titles t ON t.id = h.title_id
		JOIN branches b ON b.code = h.pickup_branch
		WHERE h.id = $1`, holdID)
	if err != nil {
		return ReadyNotice{}, fmt.Errorf("store: notice of hold %d: %w", holdID, err)
	}
	return n, nil
}

// NotifyAddresses are the addresses the patron chose for hold notifications, in slot order.
func NotifyAddresses(ctx context.Context, q sqlx.QueryerContext, patronID int64) ([]string, error) {
	var addrs []string
	if err := sqlx.SelectContext(ctx, q, &addrs, `SELECT address FROM patron_emails WHERE patron_id = $1 AND notify ORDER BY slot`, patronID); err != nil {
		return nil, fmt.Errorf("store: addresses of patron %d: %w", patronID, err)
	}
	return addrs, nil
}

// PutOnCallList puts the ready event (key) on the pickup branch's call list, once, and returns when staff
// recorded the call, if they have.
func PutOnCallList(ctx context.Context, q sqlx.QueryerContext, holdID int64, key string) (sql.NullTime, error) {
	var calledAt sql.NullTime
	err := sqlx.GetContext(ctx, q, &calledAt, `
		INSERT INTO notifications (hold_id, channel, idempotency_key) VALUES ($1, 'phone', $2)
		ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
		RETURNING sent_at`, holdID, key+":phone")
	if err != nil {
		return sql.NullTime{}, fmt.Errorf("store: call list for hold %d: %w", holdID, err)
	}
	return calledAt, nil
}

// ReadyMail is the record of the ready mail to one address.
type ReadyMail struct {
	ID        int64        `db:"id"`
	Address   string       `db:"address"`
	SentAt    sql.NullTime `db:"sent_at"`
	RefusedAt sql.NullTime `db:"refused_at"`
}

// AddReadyMails writes the row of the ready event's (key) mail to each address that has none yet.
func AddReadyMails(ctx context.Context, db sqlx.ExecerContext, holdID int64, key string, addrs []string) error {
	for _, addr := range addrs {
		if _, err := db.ExecContext(ctx, `INSERT INTO notifications (hold_id, channel, address, idempotency_key)
			VALUES ($1, 'email', $2, $3) ON CONFLICT (idempotency_key) DO NOTHING`, holdID, addr, key+":"+addr); err != nil {
			return fmt.Errorf("store: notification row for hold %d: %w", holdID, err)
		}
	}
	return nil
}

// ReadyMails lists the mail rows of the ready event (key), every address it was written for.
func ReadyMails(ctx context.Context, q sqlx.QueryerContext, holdID int64, key string) ([]ReadyMail, error) {
	var rows []ReadyMail
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, address, sent_at, refused_at FROM notifications
		WHERE hold_id = $1 AND channel = 'email' AND idempotency_key LIKE $2 || ':%' ORDER BY id`, holdID, key); err != nil {
		return nil, fmt.Errorf("store: notification rows for hold %d: %w", holdID, err)
	}
	return rows, nil
}

// MarkMailSent records that the mail server accepted the message, and clears a refusal marked on the
// patron's address (it receives mail again).
func MarkMailSent(ctx context.Context, db sqlx.ExecerContext, patronID, notification int64, msgID string) error {
	_, err := db.ExecContext(ctx, `
		WITH n AS (UPDATE notifications SET sent_at = now(), message_id = $2
			WHERE id = $1 AND sent_at IS NULL RETURNING address)
		UPDATE patron_emails e SET refused_at = NULL, refusal = NULL
		FROM n WHERE e.patron_id = $3 AND e.address = n.address AND e.refused_at IS NOT NULL`, notification, msgID, patronID)
	return err
}

// MarkMailRefused records that the mail server refused the message for good, on the message (refused, not
// sent) and on the patron's address, with the server's reply.
func MarkMailRefused(ctx context.Context, db sqlx.ExecerContext, patronID, notification int64, reply string) error {
	_, err := db.ExecContext(ctx, `
		WITH n AS (UPDATE notifications SET refused_at = now(), refusal = $2
			WHERE id = $1 AND sent_at IS NULL AND refused_at IS NULL RETURNING address, refused_at)
		UPDATE patron_emails e SET refused_at = n.refused_at, refusal = $2
		FROM n WHERE e.patron_id = $3 AND e.address = n.address`, notification, reply, patronID)
	return err
}

// SetContactDate records the contact date and the pickup deadline of a hold still ready at transition.
func SetContactDate(ctx context.Context, db sqlx.ExecerContext, holdID int64, transition int, contact, deadline time.Time) error {
	_, err := db.ExecContext(ctx, `UPDATE holds SET contact_date = $3, pickup_deadline = $4
		WHERE id = $1 AND transition = $2 AND status = 'ready'`, holdID, transition, contact, deadline)
	if err != nil {
		return fmt.Errorf("store: contact date of hold %d: %w", holdID, err)
	}
	return nil
}

// RecordCall records the phone call staff (nil: the system) made for the hold; false when the hold is not
// on the call list.
func RecordCall(ctx context.Context, tx *sqlx.Tx, holdID int64, staff *int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET sent_at = now(), sent_by = $2
		WHERE hold_id = $1 AND channel = 'phone' AND sent_at IS NULL`, holdID, staff)
	if err != nil {
		return false, fmt.Errorf("store: record call for hold %d: %w", holdID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
