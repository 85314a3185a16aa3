package e2e_test

import (
	"testing"
)

// Test 2: all copies on loan, three patrons: 返却待ち, then 順番待ち 2 and 3; a return checked in at the
// pickup branch makes the first ready (hold-shelf routing) and the others move up.
func TestReturnGoesToTheFirstInQueue(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "kita", onLoan: true})
	ps := []patron{s.newPatron("email"), s.newPatron("email"), s.newPatron("email")}
	var ids []string
	for _, p := range ps {
		ids = append(ids, s.placeOne(p, "chuo", titleID))
	}
	want := []struct {
		status, label string
		position      int
	}{{"awaiting_return", "返却待ち", 1}, {"waiting", "順番待ち", 2}, {"waiting", "順番待ち", 3}}
	for i, w := range want {
		h, _ := s.waitStatus(ps[i], ids[i], w.status)
		if h.StatusLabel != w.label || h.Position == nil || *h.Position != w.position {
			t.Fatalf("patron %d: %s %s position %v, want %s %d", i+1, h.Status, h.StatusLabel, h.Position, w.label, w.position)
		}
	}

	// The desk's scanner retries a request it got no answer for: the same request ID allocates once.
	var r, again routing
	s.mustDoHeader("POST", "/api/v1/staff/checkin", s.staff, map[string]string{"Idempotency-Key": "scan-" + copies[0]},
		map[string]string{"barcode": copies[0], "branch": "chuo"}, 200, &r)
	s.mustDoHeader("POST", "/api/v1/staff/checkin", s.staff, map[string]string{"Idempotency-Key": "scan-" + copies[0]},
		map[string]string{"barcode": copies[0], "branch": "chuo"}, 200, &again)
	if r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != ids[0] || r.ToBranch != nil {
		t.Fatalf("checkin routing = %+v, want hold_shelf for %s", r, ids[0])
	}
	if again.Action != r.Action || again.HoldID == nil || *again.HoldID != *r.HoldID {
		t.Fatalf("a retried check-in answered %+v, the first %+v", again, r)
	}
	s.waitStatus(ps[0], ids[0], "ready")
	for i, w := range []struct {
		status   string
		position int
	}{{"awaiting_return", 1}, {"waiting", 2}} {
		h := s.getHold(ps[i+1], ids[i+1])
		if h.Status != w.status || h.Position == nil || *h.Position != w.position {
			t.Fatalf("patron %d after the return: %s position %v, want %s %d", i+2, h.Status, h.Position, w.status, w.position)
		}
	}
}

// Test 3: expiry with a short pickup window: 期限切れ, counted no more against the limit, and the copy goes
// straight to the next hold in the queue.
func TestExpiredHoldReleasesTheCopyToTheNextHold(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_PICKUP_WINDOW": "3s", "YOYAKU_HOLD_LIMIT_TOTAL": "1"})
	titleID, copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	otherTitle, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	a, b := s.newPatron("none"), s.newPatron("email")
	ha := s.placeOne(a, "chuo", titleID)
	hb := s.placeOne(b, "chuo", titleID)
	s.waitStatus(b, hb, "waiting")

	s.scan("checkin", copies[0], "chuo")
	h, _ := s.waitStatus(a, ha, "ready")
	if r := s.place(a, "chuo", otherTitle); len(r.Rejected) != 1 || r.Rejected[0].Reason != "hold_limit_exceeded" {
		t.Fatalf("a ready hold must count against the limit: %+v", r)
	}
	for h.ContactDate == nil {
		h = s.getHold(a, ha)
	}
	if *h.ContactDate != s.today() {
		t.Errorf("with no contact method the contact date is the ready date: %s", *h.ContactDate)
	}

	h, took := s.waitStatus(a, ha, "cancelled")
	t.Logf("expired %s after ready", took)
	if h.StatusLabel != "期限切れ" || h.CancelReason == nil || *h.CancelReason != "expired" {
		t.Fatalf("expired hold: %+v", h)
	}
	s.waitStatus(b, hb, "awaiting_pull")
	var pl struct {
		Items []struct{ Barcode, HoldID string }
	}
	s.mustDo("GET", "/api/v1/staff/pull-list?branch=chuo", s.staff, nil, 200, &pl)
	if len(pl.Items) != 1 || pl.Items[0].Barcode != copies[0] {
		t.Fatalf("the expired copy must be set aside for the next hold: pull list %+v", pl.Items)
	}
	var shelf struct {
		Holds []struct {
			HoldID  string `json:"hold_id"`
			Barcode string `json:"barcode"`
			Expired bool   `json:"expired"`
		} `json:"holds"`
	}
	s.mustDo("GET", "/api/v1/staff/hold-shelf?branch=chuo", s.staff, nil, 200, &shelf)
	if len(shelf.Holds) != 1 || shelf.Holds[0].HoldID != ha || !shelf.Holds[0].Expired {
		t.Fatalf("hold shelf = %+v, want the expired hold to clear", shelf.Holds)
	}
	if r := s.place(a, "chuo", otherTitle); len(r.Placed) != 1 {
		t.Fatalf("an expired hold must not count against the limit: %+v", r)
	}
	// Pulling the copy for the next hold clears the expired entry from the shelf.
	s.scan("pull", copies[0], "chuo")
	s.waitStatus(b, hb, "ready")
	s.mustDo("GET", "/api/v1/staff/hold-shelf?branch=chuo", s.staff, nil, 200, &shelf)
	for _, e := range shelf.Holds {
		if e.Expired {
			t.Fatalf("the expired entry is still on the shelf after its copy was pulled: %+v", shelf.Holds)
		}
	}
}
