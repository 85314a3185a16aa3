package store_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/domain"
	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// TestApprovalWatch: a placement waiting for its hold's approval is woken by the approval's commit (the
// hold_approved notification), finds an approval that committed before it asked, and gives up after its
// budget when nothing comes — without an error, the hold simply still 予約申込.
func TestApprovalWatch(t *testing.T) {
	ctx := t.Context()
	url := testenv.DatabaseURL(t)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { _ = db.Close() })
	db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library')`)
	db.MustExec(`INSERT INTO patrons (id, card_number, name, password_hash) SELECT g, '100000' || g, '利用者', 'x' FROM generate_series(1, 3) g`)
	db.MustExec(`INSERT INTO titles (id, title, format) SELECT g, '本' || g, 'book' FROM generate_series(10, 12) g`)
	w, err := store.WatchApprovals(db, url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	place := func(title int64) int64 {
		id, err := store.PlaceHold(ctx, db, store.Placement{PatronID: 1, TitleID: title, Pickup: "chuo", Origin: "web", Limits: store.Limits{Total: 10, AV: 5}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	approve := func(id int64) {
		err := store.InTx(ctx, db, func(tx *sqlx.Tx) error {
			h, err := store.LockHold(ctx, tx, id)
			if err != nil {
				return err
			}
			return store.RecordTransition(ctx, tx, h, domain.StatusQueued, "system", []byte(`{"op":"approve"}`))
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	woken := place(10)
	done := make(chan bool)
	start := time.Now()
	go func() { done <- w.Await(ctx, woken, 10*time.Second) }()
	time.Sleep(200 * time.Millisecond) // the waiter has asked and waits
	approve(woken)
	if !<-done {
		t.Error("the waiter was not told of the approval")
	} else if d := time.Since(start); d > 5*time.Second {
		t.Errorf("told after %s: the notification did not wake it", d)
	}

	before := place(11)
	approve(before)
	if !w.Await(ctx, before, time.Second) {
		t.Error("an approval committed before the wait was not seen")
	}

	never := place(12)
	start = time.Now()
	if w.Await(ctx, never, 300*time.Millisecond) {
		t.Error("a hold still 予約申込 was reported approved")
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("gave up after %s, before its budget", d)
	}
}
