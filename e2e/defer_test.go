package e2e_test

import (
	"testing"
	"time"
)

// deferHold is a Hold with its 順位の繰下げ flag.
type deferHold struct {
	hold
	PlacedAt time.Time `json:"placed_at"`
	CanDefer bool      `json:"can_defer"`
}

func (s *stack) deferHold(p patron, id string) deferHold {
	s.t.Helper()
	var h deferHold
	s.mustDo("GET", "/api/v1/holds/"+id, p.token, nil, 200, &h)
	return h
}

// queued is a hold in a queue as a test expects it.
type queued struct {
	p        patron
	id       string
	status   string
	position int // 0: none
}

// wantQueue checks each hold's status and position, in order.
func (s *stack) wantQueue(step string, want ...queued) {
	s.t.Helper()
	for _, w := range want {
		h := s.getHold(w.p, w.id)
		pos := 0
		if h.Position != nil {
			pos = *h.Position
		}
		if h.Status != w.status || pos != w.position {
			s.t.Fatalf("%s: hold %s is %s position %d, want %s %d", step, w.id, h.Status, pos, w.status, w.position)
		}
	}
}

// TestDeferLetsTheNextGoFirst: 順位の繰下げ on the dev stack. A waiting hold moves behind the next one in line
// (twice: behind two) and keeps its placement time; a ready hold's copy goes to the next hold — ready at once
// on its pickup shelf, with exactly one ready mail — and the hold waits again right behind it; a set-aside
// copy (確認待ち) stays set aside for the next hold. Every refusal (nobody_behind, not_deferrable, not_found)
// changes nothing. `yoyaku check` is clean after (the stack's cleanup).
func TestDeferLetsTheNextGoFirst(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "kita", onLoan: true})
	a, b, c := s.newPatron("email"), s.newPatron("email"), s.newPatron("email")
	ha := s.placeOne(a, "chuo", titleID)
	hb := s.placeOne(b, "chuo", titleID)
	hc := s.placeOne(c, "chuo", titleID)
	s.waitStatus(c, hc, "waiting")
	placed := s.deferHold(a, ha)
	if !placed.CanDefer || s.deferHold(c, hc).CanDefer {
		t.Fatalf("can_defer: first %v, last %v; want true, false", placed.CanDefer, s.deferHold(c, hc).CanDefer)
	}

	s.wantError("POST", "/api/v1/holds/"+hc+"/defer", c.token, nil, 409, "nobody_behind")
	s.wantError("POST", "/api/v1/holds/"+ha+"/defer", b.token, nil, 404, "not_found") // another patron's
	s.wantError("POST", "/api/v1/holds/999999999/defer", a.token, nil, 404, "not_found")
	s.wantQueue("after the refusals", queued{a, ha, "awaiting_return", 1}, queued{b, hb, "waiting", 2}, queued{c, hc, "waiting", 3})

	var got deferHold
	s.mustDo("POST", "/api/v1/holds/"+ha+"/defer", a.token, nil, 200, &got)
	if got.Status != "waiting" || got.Position == nil || *got.Position != 2 || !got.CanDefer {
		t.Fatalf("deferred once: %+v", got)
	}
	s.wantQueue("deferred once", queued{b, hb, "awaiting_return", 1}, queued{a, ha, "waiting", 2}, queued{c, hc, "waiting", 3})
	s.mustDo("POST", "/api/v1/holds/"+ha+"/defer", a.token, nil, 200, &got)
	if got.Position == nil || *got.Position != 3 || got.CanDefer {
		t.Fatalf("deferred twice: %+v", got)
	}
	s.wantQueue("deferred twice", queued{b, hb, "awaiting_return", 1}, queued{c, hc, "waiting", 2}, queued{a, ha, "waiting", 3})
	s.wantError("POST", "/api/v1/holds/"+ha+"/defer", a.token, nil, 409, "nobody_behind")
	var placedAt time.Time
	if err := s.db.GetContext(t.Context(), &placedAt, `SELECT placed_at FROM holds WHERE id = $1`, ha); err != nil || !placedAt.Equal(placed.PlacedAt) {
		t.Fatalf("placed_at %s after the defers, was %s (%v)", placedAt, placed.PlacedAt, err)
	}

	// The copy comes back to the pickup branch for b, who lets c go first: c is ready at once.
	if r := s.scan("checkin", copies[0], "chuo"); r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != hb {
		t.Fatalf("check-in routing = %+v, want the hold shelf for %s", r, hb)
	}
	s.waitStatus(b, hb, "ready")
	s.waitDeadline(b, hb)
	s.mail.WaitFor(t, `to:"`+b.emails[0]+`"`, 1, 15*time.Second)
	s.mustDo("POST", "/api/v1/holds/"+hb+"/defer", b.token, nil, 200, &got)
	if got.Status != "awaiting_return" || got.Position == nil || *got.Position != 1 || got.PickupDeadline != nil {
		t.Fatalf("a ready hold after deferring: %+v", got)
	}
	s.waitStatus(c, hc, "ready")
	s.wantQueue("after the ready hold deferred", queued{b, hb, "awaiting_return", 1}, queued{a, ha, "waiting", 2})
	s.mail.WaitFor(t, `to:"`+c.emails[0]+`"`, 1, 15*time.Second)
	time.Sleep(time.Second) // a second mail sent by mistake would have arrived
	if n := len(s.mail.Messages(t, `to:"`+c.emails[0]+`"`)); n != 1 {
		t.Fatalf("%d ready mails to the next patron, want 1", n)
	}
	if n := len(s.mail.Messages(t, `to:"`+b.emails[0]+`"`)); n != 1 {
		t.Fatalf("%d mails to the patron who deferred, want the first ready mail only", n)
	}
	var moves, events int
	if err := s.db.GetContext(t.Context(), &moves, `SELECT count(*) FROM hold_defers WHERE hold_id IN ($1, $2)`, ha, hb); err != nil || moves != 3 {
		t.Fatalf("recorded defers: %d (%v), want 3", moves, err)
	}
	if err := s.db.GetContext(t.Context(), &events, `SELECT count(*) FROM hold_events WHERE hold_id IN ($1, $2) AND detail->>'op' = 'defer'`, ha, hb); err != nil || events != 3 {
		t.Fatalf("defer events: %d (%v), want 3", events, err)
	}

	// A closed hold cannot defer.
	s.mustDo("POST", "/api/v1/holds/"+ha+"/cancel", a.token, nil, 202, nil)
	s.waitStatus(a, ha, "cancelled")
	s.wantError("POST", "/api/v1/holds/"+ha+"/defer", a.token, nil, 409, "not_deferrable")

	// 確認待ち: the copy set aside on the shelf goes to the next hold, set aside for it.
	shelfTitle, shelfCopies := s.title("book", copySpec{branch: "chuo"})
	x, y := s.newPatron("email"), s.newPatron("email")
	hx := s.placeOne(x, "chuo", shelfTitle)
	s.waitStatus(x, hx, "awaiting_pull")
	hy := s.placeOne(y, "chuo", shelfTitle)
	s.waitStatus(y, hy, "awaiting_return")
	s.mustDo("POST", "/api/v1/holds/"+hx+"/defer", x.token, nil, 200, &got)
	if got.Status != "awaiting_return" || got.Position == nil || *got.Position != 1 {
		t.Fatalf("a set-aside hold after deferring: %+v", got)
	}
	s.waitStatus(y, hy, "awaiting_pull")
	if r := s.scan("pull", shelfCopies[0], "chuo"); r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != hy {
		t.Fatalf("pull routing = %+v, want the hold shelf for %s", r, hy)
	}
	s.waitStatus(y, hy, "ready")
	s.mustDo("POST", "/api/v1/holds/"+hx+"/cancel", x.token, nil, 202, nil)
	s.waitStatus(x, hx, "cancelled")
	s.wantError("POST", "/api/v1/holds/"+hy+"/defer", y.token, nil, 409, "nobody_behind")
	s.waitStatus(y, hy, "ready")
}

// TestDeferSendsTheCopyToAnotherPickupPlace: a ready hold's copy goes to the next hold in transit when that
// hold is to be picked up elsewhere; received there, it is ready with exactly one ready mail, and the hold
// that deferred is first in line again.
func TestDeferSendsTheCopyToAnotherPickupPlace(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "chuo"})
	p, q := s.newPatron("email"), s.newPatron("email")
	hp := s.placeOne(p, "chuo", titleID)
	s.waitStatus(p, hp, "awaiting_pull")
	hq := s.placeOne(q, "kita", titleID)
	s.waitStatus(q, hq, "awaiting_return")
	s.scan("pull", copies[0], "chuo")
	s.waitStatus(p, hp, "ready")

	var got deferHold
	s.mustDo("POST", "/api/v1/holds/"+hp+"/defer", p.token, nil, 200, &got)
	if got.Status != "awaiting_return" || got.Position == nil || *got.Position != 1 {
		t.Fatalf("the hold that deferred: %+v", got)
	}
	s.waitStatus(q, hq, "in_transit")
	var rec struct {
		HoldID string `json:"hold_id"`
		Status string `json:"status"`
	}
	s.mustDo("POST", "/api/v1/staff/receive", s.staff, map[string]string{"barcode": copies[0], "branch": "kita"}, 200, &rec)
	if rec.HoldID != hq || rec.Status != "ready" {
		t.Fatalf("received at kita: %+v, want hold %s ready", rec, hq)
	}
	s.waitStatus(q, hq, "ready")
	s.mail.WaitFor(t, `to:"`+q.emails[0]+`"`, 1, 15*time.Second)
	time.Sleep(time.Second)
	if n := len(s.mail.Messages(t, `to:"`+q.emails[0]+`"`)); n != 1 {
		t.Fatalf("%d ready mails to the next patron, want 1", n)
	}
}
