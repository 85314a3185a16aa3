package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"yoyaku/internal/testenv"
)

// The SMTP server refuses addresses (a Mailpit of the test's own accepting only the first address of each
// test patron, p<n>-1.…). A patron with one address refused is mailed at the other and the pickup clock
// runs; a patron none of whose addresses accepted the mail is not counted as told — no contact date, no
// expiry (a pickup window of 3 s passes without one) — and is on the call list, with the registered phone,
// until staff record the call; then the clock runs. `yoyaku check` is clean at the end (against that
// Mailpit).
func TestReadyMailRefusedAddresses(t *testing.T) {
	refusing := testenv.MailpitRefusing(t, `^p[0-9]+-1\.`)
	const window = 3 * time.Second
	s := newStack(t, map[string]string{"YOYAKU_SMTP_PORT": fmt.Sprint(refusing.SMTPPort), "YOYAKU_PICKUP_WINDOW": window.String()})
	s.mail = refusing

	type call struct {
		HoldID      string `json:"hold_id"`
		Phone       string `json:"phone"`
		MailRefused []struct {
			Address string `json:"address"`
			Reply   string `json:"reply"`
		} `json:"mail_refused"`
	}
	calls := func() map[string]call {
		var got struct{ Calls []call }
		s.mustDo("GET", "/api/v1/staff/call-list?branch=chuo", s.staff, nil, 200, &got)
		out := map[string]call{}
		for _, c := range got.Calls {
			out[c.HoldID] = c
		}
		return out
	}
	refusedOf := func(p patron) []string {
		var me struct {
			Refused []struct {
				Address string `json:"address"`
			} `json:"refused_emails"`
		}
		s.mustDo("GET", "/api/v1/me", p.token, nil, 200, &me)
		var out []string
		for _, r := range me.Refused {
			out = append(out, r.Address)
		}
		return out
	}

	// One address refused: the other gets its one mail, the patron is told, the hold expires on time.
	one := s.newPatron("email2")
	first := s.readyByCheckin(one)
	if got := refusing.WaitFor(t, `to:"`+one.emails[0]+`"`, 1, 15*time.Second); len(got) != 1 || !slices.Equal(got[0].ToAddresses(), one.emails[:1]) {
		t.Fatalf("ready mail to %s: %d messages", one.emails[0], len(got))
	}
	h := s.getHold(one, first)
	for deadline := time.Now().Add(10 * time.Second); h.ContactDate == nil && time.Now().Before(deadline); h = s.getHold(one, first) {
		time.Sleep(50 * time.Millisecond)
	}
	if h.ContactDate == nil || *h.ContactDate != s.today() {
		t.Fatalf("hold %s with one address refused: contact date %v, want today", first, deref(h.ContactDate))
	}
	if got := refusedOf(one); !slices.Equal(got, one.emails[1:]) {
		t.Fatalf("GET /me refused_emails = %v, want %v", got, one.emails[1:])
	}
	if _, listed := calls()[first]; listed {
		t.Fatalf("hold %s is on the call list though one address accepted the mail", first)
	}
	s.waitStatus(one, first, "cancelled") // expired: the clock ran

	// Every address refused, a phone registered at the counter: on the call list, not told, no expiry.
	none := s.newPatron("email2")
	for i := range none.emails {
		bad := strings.Replace(none.emails[i], fmt.Sprintf("-%d.", i+1), fmt.Sprintf("-typo%d.", i+1), 1)
		s.db.MustExec(`UPDATE patron_emails SET address = $3 WHERE patron_id = $1 AND slot = $2`, none.id, i+1, bad)
		none.emails[i] = bad
	}
	const phone = "047-555-0123"
	s.mustDo("POST", "/api/v1/staff/patrons/"+none.card+"/phones", s.staff, map[string]string{"phone": phone}, 200, nil)
	second := s.readyByCheckin(none)
	var c call
	for deadline := time.Now().Add(15 * time.Second); ; {
		var ok bool
		if c, ok = calls()[second]; ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hold %s never reached the call list", second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c.Phone != phone || len(c.MailRefused) != 2 || c.MailRefused[0].Address != none.emails[0] || c.MailRefused[1].Address != none.emails[1] ||
		!strings.HasPrefix(c.MailRefused[0].Reply, "550") {
		t.Fatalf("call list entry %+v, want phone %s and both addresses refused", c, phone)
	}
	time.Sleep(window + 2*time.Second)
	h = s.getHold(none, second)
	if h.Status != "ready" || h.ContactDate != nil || h.PickupDeadline != nil {
		t.Fatalf("hold %s nobody was told about: %s, contact %v, deadline %v; want still ready without a date", second, h.Status, deref(h.ContactDate), deref(h.PickupDeadline))
	}
	if got := refusedOf(none); !slices.Equal(got, none.emails) {
		t.Fatalf("GET /me refused_emails = %v, want both", got)
	}
	if n := len(refusing.Messages(t, `to:"`+none.emails[0]+`"`)) + len(refusing.Messages(t, `to:"`+none.emails[1]+`"`)); n != 0 {
		t.Fatalf("%d messages to refused addresses", n)
	}

	// Staff phone the patron: the contact date is today, and the week (here the window) starts.
	var told hold
	s.mustDo("POST", "/api/v1/staff/holds/"+second+"/contacted", s.staff, map[string]string{}, 200, &told)
	if told.ContactDate == nil || *told.ContactDate != s.today() {
		t.Fatalf("after the call: contact date %v", deref(told.ContactDate))
	}
	if _, listed := calls()[second]; listed {
		t.Fatalf("hold %s still on the call list after the call", second)
	}
	s.waitStatus(none, second, "cancelled")
}
