package domain

import (
	"slices"
	"time"
)

// CallOutcome is what came of a phone call to a patron whose hold is ready (連絡リスト).
type CallOutcome string

const (
	CallReached   CallOutcome = "reached"   // 連絡済: the patron was told
	CallVoicemail CallOutcome = "voicemail" // 留守電: a message was left; counts as contacted
	CallNoAnswer  CallOutcome = "no_answer" // 不在: nobody answered
)

// DefaultPhoneAttempts is how many days with an unanswered call make a patron count as contacted, unless
// YOYAKU_PHONE_ATTEMPTS says otherwise.
const DefaultPhoneAttempts = 3

var callLabels = map[CallOutcome]string{CallReached: "連絡済", CallVoicemail: "留守電", CallNoAnswer: "不在"}

// Valid reports whether o is one of the three outcomes.
func (o CallOutcome) Valid() bool { _, ok := callLabels[o]; return ok }

// Contacts reports whether the outcome alone counts as contacting the patron (連絡済, 留守電).
func (o CallOutcome) Contacts() bool { return o == CallReached || o == CallVoicemail }

// Label is the outcome's Japanese label (連絡済, 留守電, 不在).
func (o CallOutcome) Label() string { return callLabels[o] }

// AlwaysOpen is a branch open every day (the zero Calendar's IsOpen).
func AlwaysOpen(Date) bool { return true }

// NoAnswerContactDay decides when a patron who never answered the phone counts as contacted: once nobody
// answered on need distinct days on which the pickup branch was open (isOpen), the last of those days is the
// contact date. Several calls on one day count once; calls on closed days do not count. ok is false while
// fewer such days have been recorded.
func NoAnswerContactDay(days []Date, need int, isOpen func(Date) bool) (contact Date, ok bool) {
	if need < 1 {
		need = 1
	}
	open := make([]Date, 0, len(days))
	for _, d := range days {
		if !d.IsZero() && isOpen(d) {
			open = append(open, d)
		}
	}
	slices.SortFunc(open, func(a, b Date) int { return a.t.Compare(b.t) })
	open = slices.CompactFunc(open, func(a, b Date) bool { return a.t.Equal(b.t) })
	if len(open) < need {
		return Date{}, false
	}
	return open[need-1], true
}

// DaysWaiting is how many calendar days (in loc) lie between since and now: 0 on the day itself.
func DaysWaiting(since, now time.Time, loc *time.Location) int {
	a, b := DateOf(since, loc), DateOf(now, loc)
	return int(b.t.Sub(a.t).Hours() / 24)
}
