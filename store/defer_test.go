package store_test

import (
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"

	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// TestMoveBehindKeepsTheQueue: a defer puts a hold right behind another and before every hold that came after
// that one, also when several were placed in the same instant (equal placement times, ordered by id), when it
// goes behind the last hold, and when it defers again behind its new neighbour; NextInLine and NextWaiting
// follow the moved order, and suspended holds are not in line.
func TestMoveBehindKeepsTheQueue(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library')`)
	db.MustExec(`INSERT INTO patrons (id, card_number, name, password_hash) SELECT g, '100000' || g, '利用者', 'x' FROM generate_series(1, 6) g`)
	db.MustExec(`INSERT INTO titles (id, title, format) VALUES (10, '本', 'book')`)
	// Holds 1–4 placed in the same instant, 5 a minute later, 6 (suspended) in between.
	db.MustExec(`INSERT INTO holds (id, patron_id, title_id, pickup_branch, origin, status, placed_at, suspended_until)
		SELECT g, g, 10, 'chuo', 'web', CASE WHEN g = 6 THEN 'suspended' ELSE 'queued' END,
			'2026-11-02 10:00:00+09'::timestamptz + CASE WHEN g = 5 THEN interval '1 minute' WHEN g = 6 THEN interval '30 seconds' ELSE interval '0' END,
			CASE WHEN g = 6 THEN date '2026-12-01' END
		FROM generate_series(1, 6) g`)
	order := func() []int64 {
		t.Helper()
		var ids []int64
		if err := db.Select(&ids, `SELECT h.id FROM holds h WHERE h.title_id = 10 ORDER BY `+store.QueueKey("h")+`, h.id`); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	move := func(hold int64) int64 {
		t.Helper()
		var behind int64
		err := store.InTx(ctx, db, func(tx *sqlx.Tx) error {
			next, ok, err := store.NextInLine(ctx, tx, 10, hold)
			if err != nil || !ok {
				t.Fatalf("next in line after %d: %v, %v", hold, ok, err)
			}
			behind = next
			return store.MoveBehind(ctx, tx, 10, hold, next, "queued")
		})
		if err != nil {
			t.Fatal(err)
		}
		return behind
	}
	steps := []struct {
		hold, behind int64
		want         []int64
	}{
		{1, 2, []int64{2, 1, 3, 4, 6, 5}}, // ties: 1 goes between 2 and 3
		{1, 3, []int64{2, 3, 1, 4, 6, 5}}, // again: behind two
		{2, 3, []int64{3, 2, 1, 4, 6, 5}}, // right behind 3, before 1
		{4, 5, []int64{3, 2, 1, 6, 5, 4}}, // skips the suspended 6; behind the last
	}
	for _, st := range steps {
		if got := move(st.hold); got != st.behind {
			t.Errorf("hold %d went behind %d, want %d", st.hold, got, st.behind)
		}
		if got := order(); !slices.Equal(got, st.want) {
			t.Fatalf("after hold %d deferred: %v, want %v", st.hold, got, st.want)
		}
	}
	err := store.InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, ok, err := store.NextInLine(ctx, tx, 10, 4); err != nil || ok {
			t.Errorf("someone in line after the last hold: %v, %v", ok, err)
		}
		if first, ok, err := store.NextWaiting(ctx, tx, 10, 0); err != nil || !ok || first != 3 {
			t.Errorf("first waiting = %d, %v, %v; want 3", first, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var moves int
	if err := db.Get(&moves, `SELECT count(*) FROM hold_defers`); err != nil || moves != len(steps) {
		t.Errorf("%d defers recorded (%v), want %d", moves, err, len(steps))
	}
}
