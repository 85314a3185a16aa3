package e2e_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Test 1: a free copy at another branch: placement → 確認待ち in under 1 s, on that branch's pull list →
// pull → transit → 配送中 → receive at the pickup branch → 利用可能; the mail reaches both addresses; the
// contact date is today and the deadline today + 6 days.
func TestFreeCopyAtAnotherBranchTravelsToThePickupPlace(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "kita"})
	p := s.newPatron("email2")

	start := time.Now()
	id := s.placeOne(p, "chuo", titleID)
	h, _ := s.waitStatus(p, id, "awaiting_pull")
	approved := time.Since(start)
	t.Logf("placement → awaiting_pull: %s", approved)
	if approved > time.Second {
		t.Errorf("placement → 確認待ち took %s, want under 1 s", approved)
	}
	if h.StatusLabel != "確認待ち" || !h.CanCancel || !h.CanChangePickup {
		t.Errorf("awaiting pull: %+v", h)
	}

	var pl struct {
		Items []struct {
			Barcode, HoldID, PickupBranch string
		} `json:"items"`
	}
	s.mustDo("GET", "/api/v1/staff/pull-list?branch=kita", s.staff, nil, 200, &pl)
	if len(pl.Items) != 1 || pl.Items[0].Barcode != copies[0] {
		t.Fatalf("kita's pull list = %+v, want %s", pl.Items, copies[0])
	}
	r := s.scan("pull", copies[0], "kita")
	if r.Action != "transit" || r.ToBranch == nil || *r.ToBranch != "chuo" || r.HoldID == nil || *r.HoldID != id {
		t.Fatalf("pull routing = %+v, want transit to chuo for hold %s", r, id)
	}
	h = s.getHold(p, id)
	if h.Status != "in_transit" || h.StatusLabel != "配送中" || h.CanCancel || h.CanChangePickup {
		t.Fatalf("after pull: %+v", h)
	}
	s.wantError("POST", "/api/v1/staff/receive", s.staff, map[string]string{"barcode": copies[0], "branch": "minami"}, 409, "not_expected_here")

	var rec struct {
		HoldID string `json:"hold_id"`
		Status string `json:"status"`
	}
	s.mustDo("POST", "/api/v1/staff/receive", s.staff, map[string]string{"barcode": copies[0], "branch": "chuo"}, 200, &rec)
	if rec.HoldID != id || rec.Status != "ready" {
		t.Fatalf("receive = %+v", rec)
	}
	// One message to each chosen address, each in its own SMTP transaction.
	for _, addr := range p.emails {
		got := s.mail.WaitFor(t, `to:"`+addr+`"`, 1, 15*time.Second)
		if len(got) != 1 || !slices.Equal(got[0].ToAddresses(), []string{addr}) {
			t.Fatalf("%d ready mails to %s, the newest to %v; want one to it alone", len(got), addr, got[0].ToAddresses())
		}
	}
	msgs := s.mail.Messages(t, `to:"`+p.emails[0]+`"`)
	if !strings.Contains(msgs[0].Text, "中央図書館") || !strings.Contains(msgs[0].Subject, "予約") {
		t.Errorf("mail: %q\n%s", msgs[0].Subject, msgs[0].Text)
	}
	h, _ = s.waitStatus(p, id, "ready")
	for h.ContactDate == nil {
		time.Sleep(50 * time.Millisecond)
		h = s.getHold(p, id)
	}
	if *h.ContactDate != s.today() || h.PickupDeadline == nil || *h.PickupDeadline != s.todayPlus(6) || h.StatusLabel != "利用可能" {
		t.Fatalf("ready hold: contact %v deadline %v (%s), want %s and %s", deref(h.ContactDate), deref(h.PickupDeadline), h.StatusLabel, s.today(), s.todayPlus(6))
	}

	// Pick-up: the hold is fulfilled and leaves the list.
	var co struct {
		Loan struct {
			Barcode string `json:"barcode"`
			DueDate string `json:"due_date"`
		} `json:"loan"`
		HoldID *string `json:"hold_id"`
	}
	other := s.newPatron("none")
	s.wantError("POST", "/api/v1/staff/checkout", s.staff, map[string]string{"barcode": copies[0], "card_number": other.card, "branch": "chuo"}, 409, "held_for_another_patron")
	s.mustDo("POST", "/api/v1/staff/checkout", s.staff, map[string]string{"barcode": copies[0], "card_number": p.card, "branch": "chuo"}, 200, &co)
	if co.HoldID == nil || *co.HoldID != id || co.Loan.Barcode != copies[0] || co.Loan.DueDate != s.todayPlus(14) {
		t.Fatalf("checkout = %+v", co)
	}
	var list struct{ Holds []hold }
	s.mustDo("GET", "/api/v1/holds", p.token, nil, 200, &list)
	if len(list.Holds) != 0 {
		t.Fatalf("a fulfilled hold stays listed: %+v", list.Holds)
	}
	if n := len(s.mail.Messages(t, `to:"`+p.emails[1]+`"`)); n != 1 {
		t.Errorf("%d mails to the second address, want exactly 1", n)
	}
	// A normal hold's whole life stays small (the README's target: at most 40 history events).
	if n := len(s.histories()["hold-"+id].GetEvents()); n == 0 || n > 40 {
		t.Errorf("the hold's history has %d events, want 1..40", n)
	} else {
		t.Logf("place → pull → transit → ready → pick-up: %d history events", n)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
