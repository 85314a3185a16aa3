package activities_test

import (
	"testing"

	"yoyaku/contract"
	"yoyaku/domain"
)

// deferHold runs the Defer activity (one attempt) for the hold at transition.
func (f *notifyFixture) deferHold(transition int) (contract.Outcome, error) {
	f.t.Helper()
	a := f.acts(1)
	return runOnce[contract.Outcome](f.t, a, a.Defer, contract.DeferInput{Step: contract.Step{HoldID: f.hold, Transition: transition}})
}

// TestDefer: 順位の繰下げ of a ready hold in its transaction, against PostgreSQL. With nobody waiting it is
// refused (nobody_behind) and nothing changes. With a hold waiting, the copy on the hold shelf is handed to
// that hold as secured at its branch (the outcome's Next, kept as its pending copy), the hold is queued right
// behind it with no copy and no deadline, and the move is recorded once: a retried attempt returns the
// recorded outcome. Queued behind the hold that now has the copy, nobody waits behind it any more.
func TestDefer(t *testing.T) {
	f := newNotifyFixture(t, []string{"def"})
	f.db.MustExec(`UPDATE holds SET contact_date = '2026-11-02', pickup_deadline = '2026-11-08' WHERE id = $1`, f.hold)
	if _, err := f.deferHold(3); err == nil {
		t.Fatal("deferring with nobody behind succeeded")
	} else {
		refusedWith(t, err, contract.ErrNobodyBehind)
	}
	var status string
	if err := f.db.Get(&status, `SELECT status FROM holds WHERE id = $1 AND item_barcode = 'N0001' AND transition = 3`, f.hold); err != nil || status != "ready" {
		t.Fatalf("a refused defer changed the hold: %q (%v)", status, err)
	}

	var other, waiting int64
	if err := f.db.Get(&other, `INSERT INTO patrons (card_number, name, password_hash) VALUES ('7100003', '森 次郎', 'x') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Get(&waiting, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status)
		SELECT $2, title_id, 'chuo', 'web', 'queued' FROM holds WHERE id = $1 RETURNING id`, f.hold, other); err != nil {
		t.Fatal(err)
	}
	want := contract.Assignment{HoldID: waiting, Barcode: "N0001", Branch: "chuo", Kind: contract.CopySecured}
	for attempt := 1; attempt <= 2; attempt++ { // the second is a retry of the same transition
		out, err := f.deferHold(3)
		if err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if out.Next == nil || *out.Next != want || out.State.Status != domain.StatusQueued || out.State.Barcode != "" || out.State.Transition != 4 {
			t.Fatalf("attempt %d: outcome %+v (next %+v), want the copy to hold %d and the hold queued", attempt, out, out.Next, waiting)
		}
	}
	var row struct {
		Barcode  *string `db:"item_barcode"`
		Deadline *string `db:"pickup_deadline"`
		ReadyAt  *string `db:"ready_at"`
		Behind   bool    `db:"behind"`
	}
	if err := f.db.Get(&row, `SELECT h.item_barcode, h.pickup_deadline::text, h.ready_at::text,
			(COALESCE(h.queue_key, extract(epoch FROM h.placed_at)), h.id) > (COALESCE(w.queue_key, extract(epoch FROM w.placed_at)), w.id) AS behind
		FROM holds h, holds w WHERE h.id = $1 AND w.id = $2`, f.hold, waiting); err != nil {
		t.Fatal(err)
	}
	if row.Barcode != nil || row.Deadline != nil || row.ReadyAt != nil || !row.Behind {
		t.Fatalf("the deferred hold: copy %v, deadline %v, ready %v, behind the next %v", row.Barcode, row.Deadline, row.ReadyAt, row.Behind)
	}
	var pending, moves, events int
	if err := f.db.Get(&pending, `SELECT count(*) FROM holds WHERE id = $1 AND item_barcode = 'N0001' AND pending_copy IS NOT NULL`, waiting); err != nil || pending != 1 {
		t.Fatalf("the next hold has no pending copy N0001: %d (%v)", pending, err)
	}
	if err := f.db.Get(&moves, `SELECT count(*) FROM hold_defers WHERE hold_id = $1 AND behind_id = $2 AND from_status = 'ready'`, f.hold, waiting); err != nil || moves != 1 {
		t.Fatalf("recorded defers: %d (%v), want 1", moves, err)
	}
	if err := f.db.Get(&events, `SELECT count(*) FROM hold_events WHERE hold_id = $1 AND detail->>'op' = 'defer' AND from_status = 'ready' AND to_status = 'queued'`, f.hold); err != nil || events != 1 {
		t.Fatalf("defer events: %d (%v), want 1", events, err)
	}
	if _, err := f.deferHold(4); err == nil {
		t.Fatal("deferring again with nobody waiting behind succeeded")
	} else {
		refusedWith(t, err, contract.ErrNobodyBehind)
	}
}
