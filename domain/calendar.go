package domain

import "time"

// calendarHorizon bounds the search for an open day: a branch closed for over a year (or every day of the
// week with no dated opening) has no next open day, and a deadline then stays where the rule put it.
const calendarHorizon = 400

// Calendar is a branch's opening calendar: the weekdays it closes every week (定休日), and dated days that
// differ from that (a closure for 整理 or New Year, an emergency closing, or an opening on a usual closing
// day). The zero Calendar is open every day, as the demo branches are.
type Calendar struct {
	Weekly [7]bool       // closed on these weekdays, indexed by time.Weekday
	Days   map[Date]bool // dated exceptions: true open, false closed
}

// IsOpen says whether the branch opens on d: a dated exception wins over the weekly closing day.
func (c Calendar) IsOpen(d Date) bool {
	if open, ok := c.Days[d]; ok {
		return open
	}
	return !c.Weekly[d.Weekday()]
}

// NextOpen is the first day on or after d on which the branch opens (d itself when it is open).
func (c Calendar) NextOpen(d Date) Date {
	for i := 0; i < calendarHorizon; i++ {
		if n := d.AddDays(i); c.IsOpen(n) {
			return n
		}
	}
	return d
}

// OpenDays counts the days in [from, to] on which the branch opens.
func (c Calendar) OpenDays(from, to Date) int {
	n := 0
	for d := from; !d.After(to); d = d.AddDays(1) {
		if c.IsOpen(d) {
			n++
		}
	}
	return n
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.t.Weekday() }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is a later day than e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// PickupDeadlineIn is the pickup deadline at a branch with calendar cal for a patron contacted on contact:
// 1 week counting the contact date (whether or not the branch opens that day), moved to the next day the
// branch opens should it close on that day.
func PickupDeadlineIn(contact Date, cal Calendar) Date { return cal.NextOpen(PickupDeadline(contact)) }

// ExpiresAtIn is ExpiresAt at a branch with calendar cal, and the deadline shown to the patron. The pickup
// window of demos and tests (window > 0) ignores the calendar.
func ExpiresAtIn(contactedAt time.Time, loc *time.Location, window time.Duration, cal Calendar) (time.Time, Date) {
	if window > 0 {
		expires := contactedAt.Add(window)
		return expires, DateOf(expires, loc)
	}
	d := PickupDeadlineIn(DateOf(contactedAt, loc), cal)
	return d.EndIn(loc), d
}

// ExtendedExpiryIn is ExtendedExpiry at a branch with calendar cal: the extended deadline moves to the
// branch's next open day (the pickup window of demos and tests ignores the calendar).
func ExtendedExpiryIn(deadline Date, now time.Time, loc *time.Location, window time.Duration, cal Calendar) (time.Time, Date) {
	if window > 0 {
		return ExtendedExpiry(deadline, now, loc, window)
	}
	d := cal.NextOpen(deadline.AddDays(ExtendDays))
	return d.EndIn(loc), d
}

// Closure is an emergency closing of a branch, from From to To (both included). OpenDays is how many of those
// days the branch would have opened without it: what a ready hold's deadline moves by.
type Closure struct {
	From, To Date
	OpenDays int
}

// Affects says whether a ready hold with pickup deadline deadline is re-dated by the closure: its deadline
// falls on or after the first closed day.
func (c Closure) Affects(deadline Date) bool { return !deadline.Before(c.From) }

// Redate is the new pickup deadline of a ready hold whose deadline was deadline, at a branch whose calendar
// (closure included) is cal: the old deadline plus the days the closure took away, moved to the next open
// day. A deadline before the closure stays.
func (c Closure) Redate(deadline Date, cal Calendar) Date {
	if !c.Affects(deadline) {
		return deadline
	}
	return cal.NextOpen(deadline.AddDays(c.OpenDays))
}

// CloseDays returns cal with every day of [from, to] closed (an emergency closing), leaving cal unchanged.
func (c Calendar) CloseDays(from, to Date) Calendar {
	days := make(map[Date]bool, len(c.Days))
	for d, open := range c.Days {
		days[d] = open
	}
	for d := from; !d.After(to); d = d.AddDays(1) {
		days[d] = false
	}
	return Calendar{Weekly: c.Weekly, Days: days}
}
