package domain

import "time"

// PickupDays is how many days, counting the contact date, a patron has to collect a ready hold.
const PickupDays = 7

// Date is a calendar day in the library's time zone, kept as midnight UTC so it compares and prints simply.
type Date struct{ t time.Time }

// DateOf is the calendar day of instant t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, err
	}
	return Date{t}, nil
}

// AddDays is the date n days later.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// String prints YYYY-MM-DD.
func (d Date) String() string { return d.t.Format(time.DateOnly) }

// IsZero reports whether d was never set.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC of the day (for storing in a DATE column).
func (d Date) Time() time.Time { return d.t }

// EndIn is the first instant after the day ends in loc: the moment a deadline on d has passed.
func (d Date) EndIn(loc *time.Location) time.Time {
	y, m, dd := d.t.Date()
	return time.Date(y, m, dd+1, 0, 0, 0, 0, loc)
}

// PickupDeadline is the last day to collect a hold whose patron was contacted on contact:
// 1 week counting the contact date, so the contact date plus 6 days.
func PickupDeadline(contact Date) Date { return contact.AddDays(PickupDays - 1) }

// ExpiresAt is the instant a ready hold contacted at contactedAt expires. With window > 0 (demos and tests)
// it is contactedAt + window; otherwise the end of the pickup-deadline day in loc.
func ExpiresAt(contactedAt time.Time, loc *time.Location, window time.Duration) time.Time {
	if window > 0 {
		return contactedAt.Add(window)
	}
	return PickupDeadline(DateOf(contactedAt, loc)).EndIn(loc)
}

// ExtendDays is how many days 取置延長 moves a ready hold's pickup deadline, once per hold.
const ExtendDays = 7

// CalendarDate is the calendar day t names in its own zone (a DATE column read back, whatever zone the
// driver gave it).
func CalendarDate(t time.Time) Date {
	y, m, d := t.Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ExtendedExpiry is when a ready hold whose pickup deadline was deadline expires once extended, and its new
// deadline: ExtendDays later, at the end of that day in loc. With window > 0 (demos and tests, where a
// deadline is window after the contact) it is one more window from now, never before the old expiry.
func ExtendedExpiry(deadline Date, now time.Time, loc *time.Location, window time.Duration) (time.Time, Date) {
	if window > 0 {
		expires := now.Add(window)
		return expires, DateOf(expires, loc)
	}
	d := deadline.AddDays(ExtendDays)
	return d.EndIn(loc), d
}
