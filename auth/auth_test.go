package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/auth"
	"yoyaku/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// people adds one patron and one staff user and returns their IDs.
func people(t *testing.T, db *sqlx.DB) (patron, staff int64) {
	t.Helper()
	if err := db.GetContext(t.Context(), &patron,
		`INSERT INTO patrons (card_number, name, password_hash) VALUES ('1234567', '試験 利用者', 'x') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(t.Context(), &staff,
		`INSERT INTO staff_users (login, name, password_hash) VALUES ('tester', '試験 職員', 'x') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	return patron, staff
}

func TestIssueAndLookup(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	patron, staff := people(t, db)

	pt, err := auth.Issue(ctx, db, auth.KindPatron, patron, auth.PatronTokenTTL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := auth.Issue(ctx, db, auth.KindStaff, staff, auth.StaffTokenTTL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{pt, st} {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Errorf("token %q is not 32 bytes in base64url: %v", tok, err)
		}
	}
	if pt == st {
		t.Fatal("two tokens are equal")
	}

	if id, err := auth.Lookup(ctx, db, auth.KindPatron, pt); err != nil || id != patron {
		t.Errorf("Lookup(patron token) = %d, %v; want %d", id, err, patron)
	}
	if id, err := auth.Lookup(ctx, db, auth.KindStaff, st); err != nil || id != staff {
		t.Errorf("Lookup(staff token) = %d, %v; want %d", id, err, staff)
	}

	// Only the SHA-256 is stored, never the token.
	var hashes [][]byte
	if err := db.SelectContext(ctx, &hashes, `SELECT token_hash FROM auth_tokens ORDER BY created_at`); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, tok := range []string{pt, st} {
		h := sha256.Sum256([]byte(tok))
		want[string(h[:])] = true
	}
	for _, h := range hashes {
		if !want[string(h)] {
			t.Errorf("auth_tokens holds %x, which is not the SHA-256 of an issued token", h)
		}
	}
	var expires time.Duration
	if err := db.GetContext(ctx, &expires, `SELECT extract(epoch FROM max(expires_at) - now())::bigint * 1000000000 FROM auth_tokens`); err != nil {
		t.Fatal(err)
	}
	if expires < 11*time.Hour || expires > 12*time.Hour {
		t.Errorf("token expires in %v, want 12h", expires)
	}
}

func TestLookupRefuses(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	patron, staff := people(t, db)
	issue := func(kind auth.Kind, id int64) string {
		tok, err := auth.Issue(ctx, db, kind, id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	exec := func(q string, args ...any) {
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	hash := func(tok string) []byte { h := sha256.Sum256([]byte(tok)); return h[:] }

	expired := issue(auth.KindPatron, patron)
	exec(`UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, hash(expired))
	revoked := issue(auth.KindPatron, patron)
	if err := auth.Revoke(ctx, db, revoked); err != nil {
		t.Fatal(err)
	}
	if err := auth.Revoke(ctx, db, revoked); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	patronTok, staffTok := issue(auth.KindPatron, patron), issue(auth.KindStaff, staff)
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 32))

	tests := []struct {
		name  string
		kind  auth.Kind
		token string
	}{
		{"expired", auth.KindPatron, expired},
		{"revoked", auth.KindPatron, revoked},
		{"patron token as staff", auth.KindStaff, patronTok},
		{"staff token as patron", auth.KindPatron, staffTok},
		{"unknown", auth.KindPatron, unknown},
		{"empty", auth.KindPatron, ""},
		{"malformed", auth.KindPatron, "not a token\x00"},
		{"unknown kind", auth.Kind("admin"), patronTok},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if id, err := auth.Lookup(ctx, db, tc.kind, tc.token); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("Lookup = %d, %v; want ErrUnauthenticated", id, err)
			}
		})
	}
	// The refusals did not spoil the live tokens.
	if _, err := auth.Lookup(ctx, db, auth.KindPatron, patronTok); err != nil {
		t.Errorf("live patron token: %v", err)
	}
}

func TestIssueRefusesBadArguments(t *testing.T) {
	db := testenv.DB(t)
	patron, _ := people(t, db)
	if _, err := auth.Issue(t.Context(), db, auth.Kind("admin"), patron, time.Hour); err == nil {
		t.Error("Issue accepted an unknown kind")
	}
	if _, err := auth.Issue(t.Context(), db, auth.KindPatron, patron, 0); err == nil {
		t.Error("Issue accepted a zero TTL")
	}
}
