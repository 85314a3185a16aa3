package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/store"
)

// Kind says whose token it is: a patron's or a staff member's. A token only works for its own kind.
type Kind string

// Token kinds, as stored in auth_tokens.kind.
const (
	KindPatron Kind = "patron"
	KindStaff  Kind = "staff"
)

// Token lifetimes.
const (
	PatronTokenTTL = 12 * time.Hour
	StaffTokenTTL  = 12 * time.Hour
)

// ErrUnauthenticated is returned for a token that is unknown, malformed, expired, revoked or of another kind.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// tokenBytes is the amount of randomness in a token; its base64url form (no padding) has tokenLen characters.
const (
	tokenBytes = 32
	tokenLen   = 43
)

// hashToken is what auth_tokens stores instead of the token itself.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Issue creates a token of kind for the patron or staff user subjectID, valid for ttl, and returns it. Only
// its SHA-256 is stored.
func Issue(ctx context.Context, db sqlx.ExecerContext, kind Kind, subjectID int64, ttl time.Duration) (string, error) {
	var patronID, staffID sql.NullInt64
	switch kind {
	case KindPatron:
		patronID = sql.NullInt64{Int64: subjectID, Valid: true}
	case KindStaff:
		staffID = sql.NullInt64{Int64: subjectID, Valid: true}
	default:
		return "", fmt.Errorf("auth: issue: unknown token kind %q", kind)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: issue: ttl %v is not positive", ttl)
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("auth: issue: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := store.InsertAuthToken(ctx, db, hashToken(token), string(kind), patronID, staffID, ttl); err != nil {
		return "", fmt.Errorf("auth: issue: %w", err)
	}
	return token, nil
}

// Lookup returns the patron or staff ID a live token of kind belongs to. Anything else — a malformed,
// unknown, expired or revoked token, or one of the other kind — is ErrUnauthenticated.
func Lookup(ctx context.Context, db sqlx.QueryerContext, kind Kind, token string) (int64, error) {
	if len(token) != tokenLen || (kind != KindPatron && kind != KindStaff) {
		return 0, ErrUnauthenticated
	}
	id, ok, err := store.LiveAuthToken(ctx, db, hashToken(token), string(kind))
	if err != nil {
		return 0, fmt.Errorf("auth: lookup: %w", err)
	}
	if !ok {
		return 0, ErrUnauthenticated
	}
	return id, nil
}

// Revoke ends a token at once. Revoking an unknown or already revoked token is not an error.
func Revoke(ctx context.Context, db sqlx.ExecerContext, token string) error {
	if err := store.RevokeAuthToken(ctx, db, hashToken(token)); err != nil {
		return fmt.Errorf("auth: revoke: %w", err)
	}
	return nil
}
