package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Login throttling: too many failed logins for one account, or from one client address, within
// FailureWindow refuse further attempts (even correct ones) until the oldest counted failure leaves the window.
const (
	FailureWindow      = 15 * time.Minute
	MaxSubjectFailures = 5  // per card number or staff login
	MaxClientFailures  = 30 // per client IP address
)

// PatronSubject is the throttling subject (login_failures.subject) for a login with a normalised card number.
func PatronSubject(cardNumber string) string { return "patron:" + clean(cardNumber) }

// StaffSubject is the throttling subject for a staff login.
func StaffSubject(login string) string { return "staff:" + clean(login) }

// clean keeps a subject or address storable and bounded whatever a client sent: no NUL bytes (which
// PostgreSQL text refuses) and at most 64 runes.
func clean(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64])
	}
	return s
}

// Allowed reports whether a login for subject from clientIP may be attempted at now. When it may not, it
// returns how long until it may (always positive); otherwise 0.
func Allowed(ctx context.Context, db sqlx.QueryerContext, subject, clientIP string, now time.Time) (time.Duration, error) {
	since := now.Add(-FailureWindow)
	var wait time.Duration
	for _, q := range []struct {
		column, value string
		limit         int
	}{
		{"subject", clean(subject), MaxSubjectFailures},
		{"client_ip", clean(clientIP), MaxClientFailures},
	} {
		// The limit-th most recent failure in the window: while it exists the limit is reached, and once it
		// leaves the window fewer than limit remain.
		var at time.Time
		err := sqlx.GetContext(ctx, db, &at, `
			SELECT at FROM login_failures WHERE `+q.column+` = $1 AND at > $2
			ORDER BY at DESC OFFSET $3 LIMIT 1`, q.value, since, q.limit-1)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("auth: login throttle: %w", err)
		}
		if d := at.Add(FailureWindow).Sub(now); d > wait {
			wait = d
		}
	}
	if wait <= 0 {
		return 0, nil
	}
	return max(wait, time.Second), nil
}

// RecordFailure counts a failed login for subject from clientIP.
func RecordFailure(ctx context.Context, db sqlx.ExecerContext, subject, clientIP string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO login_failures (subject, client_ip) VALUES ($1, $2)`,
		clean(subject), clean(clientIP))
	if err != nil {
		return fmt.Errorf("auth: record login failure: %w", err)
	}
	return nil
}

// Reset forgets subject's failed logins, after a successful one. The client address's failures stay.
func Reset(ctx context.Context, db sqlx.ExecerContext, subject string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM login_failures WHERE subject = $1`, clean(subject)); err != nil {
		return fmt.Errorf("auth: reset login failures: %w", err)
	}
	return nil
}
