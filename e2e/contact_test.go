package e2e_test

import (
	"slices"
	"testing"
	"time"
)

// contactBody is the OpenAPI document's Contact as tests read it.
type contactBody struct {
	Method string   `json:"method"`
	Emails []string `json:"emails"`
	Phone  string   `json:"phone"`
}

// readyByCheckin places a hold at chuo on a title whose one copy is on loan there, checks the copy in at
// chuo and waits until the hold is ready.
func (s *stack) readyByCheckin(p patron) string {
	s.t.Helper()
	titleID, copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	id := s.placeOne(p, "chuo", titleID)
	s.waitStatus(p, id, "awaiting_return")
	if r := s.scan("checkin", copies[0], "chuo"); r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != id {
		s.t.Fatalf("checkin routing = %+v, want hold_shelf for hold %s", r, id)
	}
	s.waitStatus(p, id, "ready")
	return id
}

// The patron chooses e-mail to both addresses through PUT /me/contact — one of them registered by that
// very call — and the ready mail goes to each of them, one message each (its own SMTP transaction, so that
// one address refused cannot silence the other); with one address chosen, it goes to that one only.
func TestContactChosenAddressesGetTheReadyMail(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("email") // one address registered, chosen
	added := "added-" + p.card + "@example.jp"

	var c contactBody
	s.mustDo("PUT", "/api/v1/me/contact", p.token, map[string]any{"method": "email", "emails": []string{p.emails[0], added}}, 200, &c)
	if c.Method != "email" || !slices.Equal(c.Emails, []string{p.emails[0], added}) {
		t.Fatalf("PUT /me/contact = %+v, want both addresses chosen", c)
	}
	var me struct {
		Emails  []string    `json:"emails"`
		Contact contactBody `json:"contact"`
	}
	s.mustDo("GET", "/api/v1/me", p.token, nil, 200, &me)
	if !slices.Equal(me.Emails, []string{p.emails[0], added}) || !slices.Equal(me.Contact.Emails, me.Emails) {
		t.Fatalf("GET /me = %+v", me)
	}

	first := s.readyByCheckin(p)
	for _, addr := range []string{p.emails[0], added} {
		msgs := s.mail.WaitFor(t, `to:"`+addr+`"`, 1, 15*time.Second)
		if len(msgs) != 1 || !slices.Equal(msgs[0].ToAddresses(), []string{addr}) {
			t.Fatalf("ready mail for hold %s: %d messages to %s, the newest to %v; want one to it alone", first, len(msgs), addr, msgs[0].ToAddresses())
		}
	}

	// Only the added address chosen: the next ready mail goes to it alone.
	s.mustDo("PUT", "/api/v1/me/contact", p.token, map[string]any{"method": "email", "emails": []string{added}}, 200, &c)
	if !slices.Equal(c.Emails, []string{added}) {
		t.Fatalf("PUT /me/contact = %+v, want only %s", c, added)
	}
	second := s.readyByCheckin(p)
	msgs := s.mail.WaitFor(t, `to:"`+added+`"`, 2, 15*time.Second)
	if len(msgs) != 2 || !slices.Equal(msgs[0].ToAddresses(), []string{added}) {
		t.Fatalf("ready mail for hold %s: %d messages to %s, the newest to %v; want 2, the newest to it alone", second, len(msgs), added, msgs[0].ToAddresses())
	}
	if n := len(s.mail.Messages(t, `to:"`+p.emails[0]+`"`)); n != 1 {
		t.Fatalf("%d messages to the unchosen %s, want still 1", n, p.emails[0])
	}
}
