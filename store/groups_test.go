package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// groupFixture is a branch, patrons 1–3, books 10–14, a CD 15 and a reference-only book 16.
func groupFixture(t *testing.T) *sqlx.DB {
	t.Helper()
	db := testenv.DB(t)
	db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library')`)
	db.MustExec(`INSERT INTO patrons (id, card_number, name, password_hash) SELECT g, '100000' || g, '利用者', 'x' FROM generate_series(1, 3) g`)
	db.MustExec(`INSERT INTO titles (id, title, format) SELECT g, '本' || g, 'book' FROM generate_series(10, 14) g`)
	db.MustExec(`INSERT INTO titles (id, title, format) VALUES (15, '音楽', 'cd')`)
	db.MustExec(`INSERT INTO titles (id, title, format, reference_only) VALUES (16, '辞典', 'book', true)`)
	return db
}

// TestPlaceGroupCountsOnce: an any-of group is one hold against the total limit, and one against the AV limit
// when a member is AV; a title that cannot be held is refused on its own while the rest form the group, and a
// single title left is a normal hold.
func TestPlaceGroupCountsOnce(t *testing.T) {
	ctx := t.Context()
	db := groupFixture(t)
	limits := store.Limits{Total: 3, AV: 1}
	place := func(patron int64, titles ...int64) (int64, []store.GroupMember, []store.TitleRefusal, error) {
		t.Helper()
		return store.PlaceGroup(ctx, db, store.Placement{PatronID: patron, Pickup: "chuo", Origin: "web", Limits: limits}, titles)
	}
	// Patron 1: two normal holds, then a group of three books (3 units in all: at the limit).
	for _, title := range []int64{10, 11} {
		if _, err := store.PlaceHold(ctx, db, store.Placement{PatronID: 1, TitleID: title, Pickup: "chuo", Origin: "web", Limits: limits}); err != nil {
			t.Fatal(err)
		}
	}
	g, members, refused, err := place(1, 12, 13, 16)
	if err != nil || g == 0 || len(members) != 2 || len(refused) != 1 || !errors.Is(refused[0].Err, store.ErrNotHoldable) || refused[0].Index != 2 {
		t.Fatalf("group of 12, 13 and reference-only 16: group %d, members %+v, refused %+v, %v", g, members, refused, err)
	}
	var inGroup int
	if err := db.Get(&inGroup, `SELECT count(*) FROM holds WHERE group_id = $1 AND patron_id = 1`, g); err != nil || inGroup != 2 {
		t.Fatalf("holds in group %d: %d, %v", g, inGroup, err)
	}
	if _, err := store.PlaceHold(ctx, db, store.Placement{PatronID: 1, TitleID: 14, Pickup: "chuo", Origin: "web", Limits: limits}); !errors.Is(err, store.ErrLimitExceeded) {
		t.Fatalf("a fourth unit: %v, want hold_limit_exceeded", err)
	}
	if over, err := store.OverLimits(ctx, db, limits); err != nil || len(over) != 0 {
		t.Fatalf("the check counts the group more than once: %+v, %v", over, err)
	}

	// Patron 2: an AV hold, then a group with an AV member is over the AV limit; one without is not.
	if _, err := store.PlaceHold(ctx, db, store.Placement{PatronID: 2, TitleID: 15, Pickup: "chuo", Origin: "web", Limits: store.Limits{Total: 3, AV: 2}}); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO titles (id, title, format) VALUES (17, '映像', 'dvd')`)
	if _, _, _, err := place(2, 10, 17); !errors.Is(err, store.ErrLimitExceeded) {
		t.Fatalf("group with an AV member past the AV limit: %v", err)
	}
	if g, members, _, err := place(2, 10, 11); err != nil || g == 0 || len(members) != 2 {
		t.Fatalf("group of books beside an AV hold: %d %+v %v", g, members, err)
	}

	// Patron 3: one title of two can be held: a normal hold, no group.
	g, members, refused, err = place(3, 16, 12)
	if err != nil || g != 0 || len(members) != 1 || members[0].TitleID != 12 || len(refused) != 1 {
		t.Fatalf("one title left: group %d, members %+v, refused %+v, %v", g, members, refused, err)
	}
	var group *int64
	if err := db.Get(&group, `SELECT group_id FROM holds WHERE id = $1`, members[0].HoldID); err != nil || group != nil {
		t.Fatalf("the single hold is in group %v (%v)", group, err)
	}
}

// TestClaimGroupRace: copies of two members' titles are given out at the same moment. The allocation that
// comes second picked its member before the first one committed, then finds the group decided for the other
// member when it gets the group's lock: it passes its copy to the next hold in line instead. The served
// member keeps the group when it takes another copy later (its first went missing).
func TestClaimGroupRace(t *testing.T) {
	ctx := t.Context()
	db := groupFixture(t)
	limits := store.Limits{Total: 5, AV: 5}
	g, members, _, err := store.PlaceGroup(ctx, db, store.Placement{PatronID: 1, Pickup: "chuo", Origin: "web", Limits: limits}, []int64{10, 11})
	if err != nil || len(members) != 2 {
		t.Fatal(members, err)
	}
	a, b := members[0].HoldID, members[1].HoldID
	var next int64 // patron 2 waits behind member b on title 11
	next, err = store.PlaceHold(ctx, db, store.Placement{PatronID: 2, TitleID: 11, Pickup: "chuo", Origin: "web", Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	db.MustExec(`UPDATE holds SET status = 'queued'`)
	db.MustExec(`INSERT INTO items (barcode, title_id, home_branch, location_branch) VALUES ('A001', 10, 'chuo', 'chuo'), ('B001', 11, 'chuo', 'chuo')`)

	first, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback() //nolint:errcheck // after Commit: nothing to roll back
	if err := store.LockTitle(ctx, first, 10); err != nil {
		t.Fatal(err)
	}
	got, ok, err := store.NextWaiting(ctx, first, 10, 0)
	if err != nil || !ok || got != a {
		t.Fatalf("title 10's next: %d %v %v, want member %d", got, ok, err, a)
	}
	if err := store.Assign(ctx, first, a, "A001"); err != nil {
		t.Fatal(err)
	}
	// The second allocation, on title 11, while the first has not committed.
	type result struct {
		hold int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = store.InTx(ctx, db, func(tx *sqlx.Tx) error {
			if err := store.LockTitle(ctx, tx, 11); err != nil {
				return err
			}
			hold, ok, err := store.NextWaiting(ctx, tx, 11, 0)
			if err != nil || !ok {
				return errors.Join(err, errors.New("nobody waits for title 11"))
			}
			r.hold = hold
			return store.Assign(ctx, tx, hold, "B001")
		})
		done <- r
	}()
	waitForLockWait(ctx, t, db)
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.hold != next {
		t.Fatalf("the second copy went to hold %d (%v), want the next in line %d, not member %d", r.hold, r.err, next, b)
	}
	var served int64
	if err := db.Get(&served, `SELECT served_hold_id FROM hold_groups WHERE id = $1`, g); err != nil || served != a {
		t.Fatalf("group decided for %d (%v), want %d", served, err, a)
	}
	for hold, want := range map[int64]bool{a: false, b: true, next: false} {
		if lost, err := store.LostToSibling(ctx, db, hold); err != nil || lost != want {
			t.Errorf("hold %d lost to a sibling: %v (%v), want %v", hold, lost, err, want)
		}
	}
	if err := store.InTx(ctx, db, func(tx *sqlx.Tx) error { return store.Assign(ctx, tx, b, "B001") }); !errors.Is(err, store.ErrGroupServed) {
		t.Errorf("assigning a copy to the losing member: %v, want ErrGroupServed", err)
	}
	// The served member's copy went missing: it takes another copy, the group stays its own.
	db.MustExec(`INSERT INTO items (barcode, title_id, home_branch, location_branch) VALUES ('A002', 10, 'chuo', 'chuo')`)
	db.MustExec(`UPDATE holds SET item_barcode = NULL, assigned_at = NULL WHERE id = $1`, a)
	if err := store.InTx(ctx, db, func(tx *sqlx.Tx) error { return store.Assign(ctx, tx, a, "A002") }); err != nil {
		t.Errorf("the served member takes another copy: %v", err)
	}
}

// waitForLockWait returns once a session of db waits for a lock (the second allocation is blocked on the
// group's row), failing the test after 10 s.
func waitForLockWait(ctx context.Context, t *testing.T, db *sqlx.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var waiting bool
		if err := db.GetContext(ctx, &waiting, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock')`); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the second allocation never waited for a lock")
}
