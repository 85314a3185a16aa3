package store

// Phone calls for ready holds (call_attempts): every call staff make, with its outcome, for the call list's
// earlier attempts and for counting the days nobody answered.

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// CallAttempt is one recorded call: when, its outcome (reached, voicemail, no_answer) and the staff member's
// name ("" when the system or a removed account recorded it).
type CallAttempt struct {
	At      time.Time `db:"at" json:"at"`
	Outcome string    `db:"outcome" json:"outcome"`
	Staff   string    `db:"staff" json:"staff"`
}

// OnCallList reports whether the hold waits on its pickup branch's call list (no call recorded as contacting
// the patron yet).
func OnCallList(ctx context.Context, q sqlx.QueryerContext, holdID int64) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM notifications WHERE hold_id = $1 AND channel = 'phone' AND sent_at IS NULL`,
		holdID); err != nil {
		return false, fmt.Errorf("store: call list row of hold %d: %w", holdID, err)
	}
	return n > 0, nil
}

// AddCallAttempt records a call staff (nil: the system) made for the hold and returns when.
func AddCallAttempt(ctx context.Context, q sqlx.QueryerContext, holdID int64, outcome string, staff *int64) (time.Time, error) {
	var at time.Time
	if err := sqlx.GetContext(ctx, q, &at, `INSERT INTO call_attempts (hold_id, outcome, staff_id) VALUES ($1, $2, $3) RETURNING at`,
		holdID, outcome, staff); err != nil {
		return time.Time{}, fmt.Errorf("store: call attempt for hold %d: %w", holdID, err)
	}
	return at, nil
}

// CallAttempts lists the calls recorded for the hold since it became ready (its ready_at), oldest first.
func CallAttempts(ctx context.Context, q sqlx.QueryerContext, holdID int64) ([]CallAttempt, error) {
	var out []CallAttempt
	if err := sqlx.SelectContext(ctx, q, &out, `
		SELECT a.at, a.outcome, coalesce(s.name, '') AS staff
		FROM call_attempts a JOIN holds h ON h.id = a.hold_id LEFT JOIN staff_users s ON s.id = a.staff_id
		WHERE a.hold_id = $1 AND a.at >= h.ready_at
		ORDER BY a.at, a.id`, holdID); err != nil {
		return nil, fmt.Errorf("store: call attempts of hold %d: %w", holdID, err)
	}
	return out, nil
}
