package e2e_test

import (
	"strings"
	"testing"
	"time"

	"yoyaku/domain"
)

// extendHold is the part of a Hold that 取置延長 changes.
type extendHold struct {
	hold
	Extendable bool `json:"extendable"`
	Extended   bool `json:"extended"`
}

// waitDeadline waits until the ready hold has its pickup deadline (the patron was told).
func (s *stack) waitDeadline(p patron, id string) extendHold {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var h extendHold
		s.mustDo("GET", "/api/v1/holds/"+id, p.token, nil, 200, &h)
		if h.PickupDeadline != nil {
			return h
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("hold %s has no pickup deadline: %+v", id, h)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestExtendOnce: 取置延長 on the dev stack. A ready hold's deadline moves 7 days later, once, and only while
// nobody else waits for the title; every refusal (not_ready before the hold is ready and before its
// phone patron was reached, others_waiting, already_extended, not_found for another patron's hold) changes
// nothing. The ready mail says the hold can be extended; the extension sends none. `yoyaku check` is clean
// after (the stack's cleanup).
func TestExtendOnce(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "chuo"})
	p := s.newPatron("email")
	other := s.newPatron("none")

	id := s.placeOne(p, "chuo", titleID)
	s.waitStatus(p, id, "awaiting_pull")
	s.wantError("POST", "/api/v1/holds/"+id+"/extend", p.token, nil, 409, "not_ready")
	if r := s.scan("pull", copies[0], "chuo"); r.Action != "hold_shelf" {
		t.Fatalf("pull at the pickup branch: %+v", r)
	}
	s.waitStatus(p, id, "ready")
	h := s.waitDeadline(p, id)
	if !h.Extendable || h.Extended || *h.PickupDeadline != s.todayPlus(domain.PickupDays-1) {
		t.Fatalf("a ready hold nobody waits behind: %+v", h)
	}
	mails := s.mail.WaitFor(t, `to:"`+p.emails[0]+`"`, 1, 15*time.Second)
	if !strings.Contains(mails[0].Text, "1回に限り7日間延長できます") {
		t.Fatalf("the ready mail does not say the hold can be extended:\n%s", mails[0].Text)
	}

	// Another patron waits: no extension, and the hold says so.
	waiting := s.placeOne(other, "chuo", titleID)
	s.waitStatus(other, waiting, "awaiting_return")
	s.mustDo("GET", "/api/v1/holds/"+id, p.token, nil, 200, &h)
	if h.Extendable {
		t.Fatalf("extendable while another hold waits: %+v", h)
	}
	s.wantError("POST", "/api/v1/holds/"+id+"/extend", p.token, nil, 409, "others_waiting")
	s.wantError("POST", "/api/v1/holds/"+id+"/extend", other.token, nil, 404, "not_found")
	s.mustDo("POST", "/api/v1/holds/"+waiting+"/cancel", other.token, nil, 202, nil)
	s.waitStatus(other, waiting, "cancelled")

	// Nobody waits any more: extended once.
	var ext extendHold
	s.mustDo("POST", "/api/v1/holds/"+id+"/extend", p.token, nil, 200, &ext)
	if ext.Status != "ready" || !ext.Extended || ext.Extendable || ext.PickupDeadline == nil ||
		*ext.PickupDeadline != s.todayPlus(domain.PickupDays-1+domain.ExtendDays) {
		t.Fatalf("after the extension: %+v (deadline was %s)", ext, *h.PickupDeadline)
	}
	s.wantError("POST", "/api/v1/holds/"+id+"/extend", p.token, nil, 409, "already_extended")
	var events int
	if err := s.db.GetContext(t.Context(), &events, `SELECT count(*) FROM hold_events WHERE hold_id = $1 AND detail->>'op' = 'extend'`, id); err != nil || events != 1 {
		t.Fatalf("extend events: %d (%v)", events, err)
	}
	var shelf struct {
		Holds []struct {
			HoldID   string `json:"hold_id"`
			Extended bool   `json:"extended"`
		}
	}
	s.mustDo("GET", "/api/v1/staff/hold-shelf?branch=chuo", s.staff, nil, 200, &shelf)
	found := false
	for _, r := range shelf.Holds {
		found = found || (r.HoldID == id && r.Extended)
	}
	if !found {
		t.Fatalf("the hold shelf does not show hold %s as extended: %+v", id, shelf.Holds)
	}
	time.Sleep(time.Second) // a mail the extension sent by mistake would have arrived
	if n := len(s.mail.Messages(t, `to:"`+p.emails[0]+`"`)); n != 1 {
		t.Fatalf("%d mails to the patron, want the one ready mail", n)
	}

	// A phone patron not yet reached has no deadline to move.
	phoneTitle, phoneCopies := s.title("book", copySpec{branch: "chuo"})
	caller := s.newPatron("phone")
	pid := s.placeOne(caller, "chuo", phoneTitle)
	s.waitStatus(caller, pid, "awaiting_pull")
	s.scan("pull", phoneCopies[0], "chuo")
	ph, _ := s.waitStatus(caller, pid, "ready")
	if ph.PickupDeadline != nil {
		t.Fatalf("a phone patron not yet called has a deadline: %+v", ph)
	}
	s.wantError("POST", "/api/v1/holds/"+pid+"/extend", caller.token, nil, 409, "not_ready")
}
