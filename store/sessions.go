package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The auth_tokens table: patron and staff tokens, by the SHA-256 of the token (auth makes and hashes them).

// InsertAuthToken stores a token's hash for the patron or the staff user (one of them set), of kind, valid for
// ttl from the database's now.
func InsertAuthToken(ctx context.Context, db sqlx.ExecerContext, hash []byte, kind string, patronID, staffID sql.NullInt64,
	ttl time.Duration) error {
	_, err := db.ExecContext(ctx, `
		INSERT INTO auth_tokens (token_hash, kind, patron_id, staff_id, expires_at)
		VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
		hash, kind, patronID, staffID, ttl.Seconds())
	if err != nil {
		return fmt.Errorf("store: insert auth token: %w", err)
	}
	return nil
}

// LiveAuthToken is the patron or staff ID of a token of kind that is neither revoked nor expired; ok is false
// when there is none.
func LiveAuthToken(ctx context.Context, db sqlx.QueryerContext, hash []byte, kind string) (id int64, ok bool, err error) {
	err = sqlx.GetContext(ctx, db, &id, `
		SELECT coalesce(patron_id, staff_id) FROM auth_tokens
		WHERE token_hash = $1 AND kind = $2 AND revoked_at IS NULL AND expires_at > now()`,
		hash, kind)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: auth token: %w", err)
	}
	return id, true, nil
}

// RevokeAuthToken revokes a token now; an unknown or already revoked one is left as it is.
func RevokeAuthToken(ctx context.Context, db sqlx.ExecerContext, hash []byte) error {
	_, err := db.ExecContext(ctx, `UPDATE auth_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, hash)
	if err != nil {
		return fmt.Errorf("store: revoke auth token: %w", err)
	}
	return nil
}

// DeleteDeadAuthTokens deletes at most limit tokens that have expired or were revoked, by the database's
// clock, and says how many it deleted.
func DeleteDeadAuthTokens(ctx context.Context, db sqlx.ExecerContext, limit int) (int64, error) {
	res, err := db.ExecContext(ctx, `
		DELETE FROM auth_tokens WHERE token_hash IN (
			SELECT token_hash FROM auth_tokens WHERE expires_at <= now() OR revoked_at IS NOT NULL LIMIT $1)`, limit)
	return rowsDeleted(res, err, "auth tokens")
}

// rowsDeleted is the row count of a DELETE's result.
func rowsDeleted(res sql.Result, err error, what string) (int64, error) {
	if err != nil {
		return 0, fmt.Errorf("store: delete %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete %s: %w", what, err)
	}
	return n, nil
}
