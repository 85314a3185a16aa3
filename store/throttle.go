package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The login_failures table: failed logins, and pending reservations of attempts being checked, for the login
// throttle (auth decides what they mean).

// LoginKey is a column of login_failures a throttle limit counts by.
type LoginKey string

// The keys of the throttle's limits.
const (
	LoginBySubject LoginKey = "subject"
	LoginByClient  LoginKey = "client_ip"
)

// LockLoginKey takes the transaction-scoped advisory lock (class, hashtext(key)).
func LockLoginKey(ctx context.Context, tx *sqlx.Tx, class int32, key string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, class, key); err != nil {
		return fmt.Errorf("store: login throttle lock: %w", err)
	}
	return nil
}

// LoginWindow is one limit's rows within a window, as of Now (the clock when it was read).
type LoginWindow struct {
	Nth     sql.NullTime `db:"nth"`     // the limit-th most recent failure, when there are that many
	Failed  int          `db:"failed"`  // failures, and reservations older than the pending timeout
	Pending int          `db:"pending"` // reservations younger than the pending timeout
	Now     time.Time    `db:"now"`
}

// LoginLimitWindow reads the rows of login_failures with key = value within window before the clock's now: a
// reservation older than pendingTimeout counts as a failure. The time is the clock's, not now() (the
// transaction's start): rows recorded while the caller waited for a lock must not look younger than they are.
func LoginLimitWindow(ctx context.Context, tx *sqlx.Tx, key LoginKey, value string, pendingTimeout, window time.Duration,
	limit int) (LoginWindow, error) {
	if key != LoginBySubject && key != LoginByClient {
		return LoginWindow{}, fmt.Errorf("store: login throttle: unknown key %q", key)
	}
	var w LoginWindow
	err := tx.GetContext(ctx, &w, `
		WITH n AS (SELECT clock_timestamp() AS now),
		w AS (
			SELECT at, pending AND at > n.now - $2 * interval '1 second' AS live
			FROM login_failures, n WHERE `+string(key)+` = $1 AND at > n.now - $3 * interval '1 second')
		SELECT (SELECT at FROM w WHERE NOT live ORDER BY at DESC OFFSET $4 LIMIT 1) AS nth,
		       (SELECT count(*) FROM w WHERE NOT live) AS failed,
		       (SELECT count(*) FROM w WHERE live) AS pending,
		       (SELECT now FROM n) AS now`,
		value, pendingTimeout.Seconds(), window.Seconds(), limit-1)
	if err != nil {
		return LoginWindow{}, fmt.Errorf("store: login throttle: %w", err)
	}
	return w, nil
}

// InsertLoginReservation records a pending login attempt, at the clock's now, and returns its ID.
func InsertLoginReservation(ctx context.Context, tx *sqlx.Tx, subject, clientIP string) (int64, error) {
	var id int64
	if err := tx.GetContext(ctx, &id, `
		INSERT INTO login_failures (subject, client_ip, pending, at) VALUES ($1, $2, true, clock_timestamp()) RETURNING id`,
		subject, clientIP); err != nil {
		return 0, fmt.Errorf("store: reserve login attempt: %w", err)
	}
	return id, nil
}

// FailLoginReservation turns a reservation into a failure at now(); false when the reservation is gone.
func FailLoginReservation(ctx context.Context, db sqlx.ExecerContext, id int64) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE login_failures SET pending = false, at = now() WHERE id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("store: record login failure: %w", err)
	}
	n, err := res.RowsAffected()
	return err == nil && n == 1, nil
}

// InsertLoginFailure records a failure at now().
func InsertLoginFailure(ctx context.Context, db sqlx.ExecerContext, subject, clientIP string) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO login_failures (subject, client_ip) VALUES ($1, $2)`,
		subject, clientIP); err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return nil
}

// ClearLoginFailures deletes reservation id and subject's failures, and its reservations older than
// pendingTimeout; younger reservations of other attempts stay.
func ClearLoginFailures(ctx context.Context, db sqlx.ExecerContext, subject string, id int64, pendingTimeout time.Duration) error {
	if _, err := db.ExecContext(ctx, `
		DELETE FROM login_failures
		WHERE subject = $1 AND (id = $2 OR NOT pending OR at <= now() - $3 * interval '1 second')`,
		subject, id, pendingTimeout.Seconds()); err != nil {
		return fmt.Errorf("store: reset login failures: %w", err)
	}
	return nil
}

// DeleteOldLoginFailures deletes at most limit rows older than age, by the database's clock, and says how
// many it deleted.
func DeleteOldLoginFailures(ctx context.Context, db sqlx.ExecerContext, age time.Duration, limit int) (int64, error) {
	res, err := db.ExecContext(ctx, `
		DELETE FROM login_failures WHERE id IN (
			SELECT id FROM login_failures WHERE at < now() - make_interval(secs => $2) LIMIT $1)`,
		limit, age.Seconds())
	return rowsDeleted(res, err, "login failures")
}
