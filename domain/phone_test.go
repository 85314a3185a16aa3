package domain

import (
	"testing"
	"time"
)

func TestNoAnswerContactDay(t *testing.T) {
	d := func(s string) Date {
		t.Helper()
		v, err := ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	closedWed := func(x Date) bool { return x.Time().Weekday() != 3 } // 2026-12-02 is a Wednesday
	// a branch calendar: closed on Wednesdays and on 2026-12-03 (整理)
	var cal Calendar
	cal.Weekly[3] = true
	cal.Days = map[Date]bool{d("2026-12-03"): false}
	cases := []struct {
		name   string
		days   []string
		need   int
		isOpen func(Date) bool
		want   string // "" when not yet contacted
	}{
		{"none", nil, 3, AlwaysOpen, ""},
		{"three calls on one day count once", []string{"2026-12-01", "2026-12-01", "2026-12-01"}, 3, AlwaysOpen, ""},
		{"two distinct days", []string{"2026-12-01", "2026-12-01", "2026-12-03"}, 3, AlwaysOpen, ""},
		{"three distinct days: the last", []string{"2026-12-01", "2026-12-03", "2026-12-07"}, 3, AlwaysOpen, "2026-12-07"},
		{"order of recording does not matter", []string{"2026-12-07", "2026-12-01", "2026-12-03"}, 3, AlwaysOpen, "2026-12-07"},
		{"the third day, not a later fourth", []string{"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"}, 3, AlwaysOpen, "2026-12-03"},
		{"a closed day does not count", []string{"2026-12-01", "2026-12-02", "2026-12-03"}, 3, closedWed, ""},
		{"closed day skipped", []string{"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"}, 3, closedWed, "2026-12-04"},
		{"a branch calendar's closed days do not count", []string{"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05"}, 3, cal.IsOpen, "2026-12-05"},
		{"one attempt configured", []string{"2026-12-05"}, 1, AlwaysOpen, "2026-12-05"},
		{"need below one means one", []string{"2026-12-05"}, 0, AlwaysOpen, "2026-12-05"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			days := make([]Date, len(c.days))
			for i, s := range c.days {
				days[i] = d(s)
			}
			got, ok := NoAnswerContactDay(days, c.need, c.isOpen)
			if c.want == "" {
				if ok {
					t.Fatalf("contacted on %s, want not yet", got)
				}
				return
			}
			if !ok || got.String() != c.want {
				t.Fatalf("got %s (ok %v), want %s", got, ok, c.want)
			}
		})
	}
}

func TestCallOutcome(t *testing.T) {
	for o, want := range map[CallOutcome]string{CallReached: "連絡済", CallVoicemail: "留守電", CallNoAnswer: "不在"} {
		if !o.Valid() || o.Label() != want {
			t.Errorf("%s: valid %v label %q, want %q", o, o.Valid(), o.Label(), want)
		}
	}
	if CallOutcome("busy").Valid() || CallOutcome("").Valid() {
		t.Error("unknown outcomes must not be valid")
	}
	if !CallReached.Contacts() || !CallVoicemail.Contacts() || CallNoAnswer.Contacts() {
		t.Error("reached and voicemail contact the patron, no_answer does not")
	}
}

func TestDaysWaiting(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	ready := time.Date(2026, 12, 1, 23, 30, 0, 0, loc)
	for _, c := range []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, 12, 1, 23, 59, 0, 0, loc), 0},
		{time.Date(2026, 12, 2, 0, 1, 0, 0, loc), 1}, // a new day in Tokyo, still 1 December in UTC
		{time.Date(2026, 12, 8, 9, 0, 0, 0, loc), 7},
	} {
		if got := DaysWaiting(ready, c.now, loc); got != c.want {
			t.Errorf("DaysWaiting(%s, %s) = %d, want %d", ready, c.now, got, c.want)
		}
	}
}
