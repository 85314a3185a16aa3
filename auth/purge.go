package auth

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// purgeBatch is how many rows one purge statement deletes, so that a first purge of a large table does not
// hold one long transaction.
const purgeBatch = 5000

// Purged says how many rows Purge deleted.
type Purged struct {
	Tokens, LoginFailures int64
}

// Purge deletes what no login or request can use any more: tokens that have expired or were revoked (Lookup
// refuses both), and failed logins older than FailureWindow (throttling counts only the window). Rows are
// judged by the database's clock, as Issue and the throttle write them; only rows older than the window are
// touched, so an attempt being counted now is never deleted. The archive schedule runs it every hour.
func Purge(ctx context.Context, db sqlx.ExecerContext) (Purged, error) {
	var p Purged
	var err error
	p.Tokens, err = purgeInBatches(ctx, db, `
		DELETE FROM auth_tokens WHERE token_hash IN (
			SELECT token_hash FROM auth_tokens WHERE expires_at <= now() OR revoked_at IS NOT NULL LIMIT $1)`)
	if err != nil {
		return p, fmt.Errorf("auth: purge tokens: %w", err)
	}
	p.LoginFailures, err = purgeInBatches(ctx, db, `
		DELETE FROM login_failures WHERE id IN (
			SELECT id FROM login_failures WHERE at < now() - make_interval(secs => $2) LIMIT $1)`,
		FailureWindow.Seconds())
	if err != nil {
		return p, fmt.Errorf("auth: purge login failures: %w", err)
	}
	return p, nil
}

// purgeInBatches runs a DELETE of at most purgeBatch rows ($1) until one deletes fewer.
func purgeInBatches(ctx context.Context, db sqlx.ExecerContext, query string, args ...any) (int64, error) {
	var total int64
	for {
		res, err := db.ExecContext(ctx, query, append([]any{purgeBatch}, args...)...)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}
