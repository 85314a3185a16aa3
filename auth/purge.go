package auth

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"yoyaku/store"
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
	p.Tokens, err = purgeInBatches(func() (int64, error) { return store.DeleteDeadAuthTokens(ctx, db, purgeBatch) })
	if err != nil {
		return p, fmt.Errorf("auth: purge tokens: %w", err)
	}
	p.LoginFailures, err = purgeInBatches(func() (int64, error) {
		return store.DeleteOldLoginFailures(ctx, db, FailureWindow, purgeBatch)
	})
	if err != nil {
		return p, fmt.Errorf("auth: purge login failures: %w", err)
	}
	return p, nil
}

// purgeInBatches runs a delete of at most purgeBatch rows until one deletes fewer.
func purgeInBatches(deleteBatch func() (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := deleteBatch()
		if err != nil {
			return total, err
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}
