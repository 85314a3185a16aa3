package migrations_test

import (
	"context"
	"os"
	"testing"

	"yoyaku/internal/testenv"
	"yoyaku/migrations"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func TestUpIsIdempotent(t *testing.T) {
	db := testenv.DB(t) // already migrated once
	applied, err := migrations.Up(context.Background(), db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second Up applied %v, want nothing", applied)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'`); err != nil || n != 1 {
		t.Fatalf("pg_trgm missing: n=%d err=%v", n, err)
	}
}
