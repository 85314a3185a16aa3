package e2e_test

import (
	"strings"
	"testing"
	"time"

	"yoyaku/domain"
	"yoyaku/library"
)

type calendarJSON struct {
	Branch       string   `json:"branch"`
	WeeklyClosed []string `json:"weekly_closed"`
	Days         []struct {
		Date   string `json:"date"`
		Open   bool   `json:"open"`
		Reason string `json:"reason"`
	} `json:"days"`
}

// TestCalendarMovesPickupDeadline: chuo closes on the rule's last day (today+6) and the day after for 整理,
// and every week on the weekday of today+8: a hold made ready at chuo today is kept until today+9, which
// the patron sees and the ready mail says; a hold at kita keeps today+6. chuo is closed today too: kita's
// pull list says a copy for chuo waits until it opens. Refused calendars change nothing.
func TestCalendarMovesPickupDeadline(t *testing.T) {
	s := newStack(t, nil)
	path := "/api/v1/staff/branches/chuo/calendar"
	var cal calendarJSON
	s.mustDo("GET", path, s.staff, nil, 200, &cal)
	if cal.Branch != "chuo" || len(cal.WeeklyClosed) != 0 || len(cal.Days) != 0 {
		t.Fatalf("the demo branch has a calendar: %+v", cal)
	}
	for _, bad := range []map[string]any{
		{"weekly_closed": []string{"monday"}},
		{"weekly_closed": []string{"mon", "mon"}},
		{"days": []map[string]any{{"date": "2026-13-01", "open": false}}},
		{"days": []map[string]any{{"date": s.todayPlus(1), "open": false}, {"date": s.todayPlus(1), "open": true}}},
		{"days": []map[string]any{{"date": s.todayPlus(1), "open": false, "reason": strings.Repeat("整", 101)}}},
	} {
		s.wantError("PUT", path, s.staff, bad, 422, "invalid_calendar")
	}
	s.wantError("PUT", "/api/v1/staff/branches/nowhere/calendar", s.staff, map[string]any{}, 404, "not_found")
	s.wantError("GET", "/api/v1/staff/branches/nowhere/calendar", s.staff, nil, 404, "not_found")
	s.mustDo("GET", path, s.staff, nil, 200, &cal)
	if len(cal.WeeklyClosed) != 0 || len(cal.Days) != 0 {
		t.Fatalf("refused calendars changed it: %+v", cal)
	}

	day8, err := domain.ParseDate(s.todayPlus(8))
	if err != nil {
		t.Fatal(err)
	}
	weekly := library.Weekdays[day8.Weekday()]
	put := map[string]any{"weekly_closed": []string{weekly}, "days": []map[string]any{
		{"date": s.today(), "open": false, "reason": "断水"},
		{"date": s.todayPlus(7), "open": false, "reason": "館内整理"},
		{"date": s.todayPlus(6), "open": false, "reason": "館内整理"},
	}}
	s.mustDo("PUT", path, s.staff, put, 200, &cal)
	if len(cal.WeeklyClosed) != 1 || cal.WeeklyClosed[0] != weekly || len(cal.Days) != 3 || cal.Days[1].Date != s.todayPlus(6) || cal.Days[1].Reason != "館内整理" {
		t.Fatalf("calendar as stored: %+v", cal)
	}

	p := s.newPatron("email")
	// chuo is closed today (and tomorrow, its weekly closing day): a copy at kita for a hold at chuo waits,
	// and kita's pull list says until when.
	farTitle, _ := s.title("book", copySpec{branch: "kita"})
	far := s.placeOne(p, "chuo", farTitle)
	s.waitStatus(p, far, "awaiting_pull")
	var pulls struct {
		Items []struct {
			HoldID  string  `json:"hold_id"`
			Reopens *string `json:"pickup_reopens"`
		} `json:"items"`
	}
	s.mustDo("GET", "/api/v1/staff/pull-list?branch=kita", s.staff, nil, 200, &pulls)
	if len(pulls.Items) != 1 || pulls.Items[0].HoldID != far || deref(pulls.Items[0].Reopens) != s.todayPlus(2) {
		t.Fatalf("kita's pull list with chuo closed until %s: %+v", s.todayPlus(2), pulls)
	}
	atChuo := s.readyAt(p, "chuo")
	atKita := s.readyAt(p, "kita")
	want := s.todayPlus(9)
	if h := s.getHold(p, atChuo.id); h.PickupDeadline == nil || *h.PickupDeadline != want {
		t.Errorf("hold at chuo: deadline %v, want %s", deref(h.PickupDeadline), want)
	}
	if h := s.getHold(p, atKita.id); h.PickupDeadline == nil || *h.PickupDeadline != s.todayPlus(domain.PickupDays-1) {
		t.Errorf("hold at kita: deadline %v, want %s", deref(h.PickupDeadline), s.todayPlus(domain.PickupDays-1))
	}
	for _, m := range s.mail.WaitFor(t, `to:"`+p.emails[0]+`" subject:"用意できました"`, 2, 15*time.Second) {
		switch {
		case strings.Contains(m.Text, atChuo.title) && (!strings.Contains(m.Text, jdate(t, want)+"まで") || !strings.Contains(m.Text, "休館日にあたるため")):
			t.Errorf("the ready mail of the hold at chuo does not say %s:\n%s", want, m.Text)
		case strings.Contains(m.Text, atKita.title) && (!strings.Contains(m.Text, jdate(t, s.todayPlus(domain.PickupDays-1))+"まで") || strings.Contains(m.Text, "休館日")):
			t.Errorf("the ready mail of the hold at kita:\n%s", m.Text)
		}
	}
}
