package domain

import (
	"testing"
	"time"
)

func day(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return d
}

// closedOn builds a calendar closed on the weekly days given and on the dated days given.
func closedOn(t *testing.T, weekly []time.Weekday, closed []string, open ...string) Calendar {
	t.Helper()
	var c Calendar
	for _, w := range weekly {
		c.Weekly[w] = true
	}
	c.Days = map[Date]bool{}
	for _, s := range closed {
		c.Days[day(t, s)] = false
	}
	for _, s := range open {
		c.Days[day(t, s)] = true
	}
	return c
}

// The month-end 整理 closure and the New Year closure of a branch that also closes on Mondays (2026: Jan 31
// is a Saturday; Dec 29 to Jan 3 is the usual 年末年始).
func TestPickupDeadlineIn(t *testing.T) {
	mondays := []time.Weekday{time.Monday}
	newYear := []string{"2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02", "2027-01-03"}
	cases := []struct {
		name    string
		cal     Calendar
		contact string
		want    string
	}{
		{"always open", Calendar{}, "2026-03-03", "2026-03-09"},
		{"deadline on an open day", closedOn(t, mondays, nil), "2026-03-04", "2026-03-10"},
		{"weekly closing day moves to Tuesday", closedOn(t, mondays, nil), "2026-03-03", "2026-03-10"},
		{"two weekly closing days in a row", closedOn(t, []time.Weekday{time.Sunday, time.Monday}, nil), "2026-03-09", "2026-03-17"},
		{"contact on a closed day still counts", closedOn(t, mondays, nil), "2026-03-09", "2026-03-15"},
		{"month-end 整理", closedOn(t, mondays, []string{"2026-03-31"}), "2026-03-25", "2026-04-01"},
		{"month-end then a Monday", closedOn(t, mondays, []string{"2026-08-31"}), "2026-08-25", "2026-09-01"},
		{"New Year", closedOn(t, mondays, newYear), "2026-12-24", "2027-01-05"},
		{"New Year ending on a Sunday", closedOn(t, nil, newYear), "2026-12-27", "2027-01-04"},
		{"opened on a usual closing day", closedOn(t, mondays, nil, "2026-03-16"), "2026-03-10", "2026-03-16"},
		{"closed every day keeps the rule's day", closedOn(t, []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil), "2026-03-03", "2026-03-09"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PickupDeadlineIn(day(t, c.contact), c.cal); got.String() != c.want {
				t.Errorf("contact %s: deadline %s, want %s", c.contact, got, c.want)
			}
		})
	}
}

// An emergency closing moves a deadline on or after its first day by the days the branch would have opened,
// then to the next open day; earlier deadlines stay.
func TestClosureRedate(t *testing.T) {
	mondays := closedOn(t, []time.Weekday{time.Monday}, nil)
	// Thursday 2026-03-05 to Tuesday 2026-03-10: open on 5, 6, 7, 8 and 10 (the 9th is a Monday).
	from, to := day(t, "2026-03-05"), day(t, "2026-03-10")
	c := Closure{From: from, To: to, OpenDays: mondays.OpenDays(from, to)}
	if c.OpenDays != 5 {
		t.Fatalf("open days in the closure: %d, want 5", c.OpenDays)
	}
	cal := mondays.CloseDays(from, to)
	cases := []struct{ old, want string }{
		{"2026-03-04", "2026-03-04"}, // before the closure: unchanged
		{"2026-03-05", "2026-03-11"}, // 5 + 5 = 10, closed by the closure itself → 11
		{"2026-03-07", "2026-03-12"},
		{"2026-03-11", "2026-03-17"}, // 11 + 5 = 16, a Monday → 17
		{"2026-03-20", "2026-03-25"},
	}
	for _, k := range cases {
		if got := c.Redate(day(t, k.old), cal); got.String() != k.want {
			t.Errorf("deadline %s re-dated to %s, want %s", k.old, got, k.want)
		}
	}
}

func TestExpiresAtInWindowIgnoresCalendar(t *testing.T) {
	loc := time.FixedZone("JST", 9*3600)
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, loc)
	closed := closedOn(t, []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil)
	exp, d := ExpiresAtIn(at, loc, time.Hour, closed)
	if !exp.Equal(at.Add(time.Hour)) || d.String() != "2026-03-03" {
		t.Errorf("window: expires %s, deadline %s", exp, d)
	}
	exp, d = ExpiresAtIn(at, loc, 0, closedOn(t, []time.Weekday{time.Monday}, nil))
	if d.String() != "2026-03-10" || !exp.Equal(time.Date(2026, 3, 11, 0, 0, 0, 0, loc)) {
		t.Errorf("calendar: expires %s, deadline %s", exp, d)
	}
}
