package domain

import (
	"errors"
	"time"
)

// MaxSuspendDays is how far ahead a patron may suspend a hold (休止): at most 90 days from today.
const MaxSuspendDays = 90

// ErrSuspendDate is a suspension end date that is not after today or is more than MaxSuspendDays ahead.
var ErrSuspendDate = errors.New("domain: suspension date out of range")

// SuspendUntil reads the day a suspension ends (YYYY-MM-DD) and checks it against today, a day in the
// library's time zone: the hold is active again at the start of that day, so it must be after today (a
// suspension until today would end before it began) and at most MaxSuspendDays ahead.
func SuspendUntil(s string, today Date) (Date, error) {
	d, err := ParseDate(s)
	if err != nil {
		return Date{}, ErrSuspendDate
	}
	if !d.t.After(today.t) || d.t.After(today.AddDays(MaxSuspendDays).t) {
		return Date{}, ErrSuspendDate
	}
	return d, nil
}

// MaySuspend reports whether a hold in status s can be suspended: only one waiting for a copy (返却待ち,
// 順番待ち: queued with no copy given to it yet).
func MaySuspend(s Status, hasCopy bool) bool { return s == StatusQueued && !hasCopy }

// StartIn is the first instant of the day in loc: when a suspension until d ends.
func (d Date) StartIn(loc *time.Location) time.Time {
	y, m, dd := d.t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}
