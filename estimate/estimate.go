// Package estimate is 用意できる目安: when a queued hold will probably be ready, as a range of dates. It is a
// pure model: given the holds ahead, the copies that circulate (their loans' due dates), the loan period and
// what this library measured (how long after the due date copies come back, how long a ready hold waits on
// the shelf), it plays the queue forward in many deterministic scenarios and takes the range most of them
// fall in, no wider than patrons find useful (Width).
package estimate

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Day is the model's unit of time.
const Day = 24 * time.Hour

// Scenarios is how many futures the model plays; the range holds the central 90% of them when the width
// rule allows.
const Scenarios = 400

// deepQueue is the queue depth from which the model plays fewer scenarios: a scenario costs a cycle per
// hold ahead, and a bestseller's 2,000th hold would otherwise cost 100 ms of CPU on every read of its page.
const deepQueue = 100

// minScenarios keeps the central 90% of a deep queue's scenarios meaningful.
const minScenarios = 40

// scenariosFor is how many scenarios an estimate for a hold with ahead holds before it plays: Scenarios up
// to deepQueue ahead, then fewer, so that the work stays about that of deepQueue holds ahead. Deep queues
// spread over many cycles, so their ranges are wide, and a coarser quantile costs them little.
func scenariosFor(ahead int) int {
	if ahead <= deepQueue {
		return Scenarios
	}
	return max(minScenarios, Scenarios*deepQueue/ahead)
}

// Handling is how long a returned copy takes to reach the hold shelf (checked in, set aside, perhaps sent
// to another branch).
const Handling = Day

// PickupWeek is how long a ready hold waits on the shelf before it expires.
const PickupWeek = 7 * Day

// MinReturns is how many measured returns the model needs before it trusts them over the loan period.
const MinReturns = 10

// Copy is a copy of the title that circulates (not missing, not withdrawn).
type Copy struct {
	// Due is the due date of its current loan (the day's start in the library's zone); zero when not on loan.
	Due time.Time
	// Held: set aside, travelling or on the hold shelf for a hold not in the queue; it comes back after that
	// patron's loan.
	Held bool
}

// History is what the library measured: both as sorted samples (quantiles will do).
type History struct {
	// ReturnOffsets: when copies came back, relative to the start of their due date (negative: early).
	ReturnOffsets []time.Duration
	// PickupDelays: from a hold's copy ready on the shelf to its collection.
	PickupDelays []time.Duration
	// Expired is the share of ready holds that were never collected: their copy passes on after the pickup
	// week without a loan.
	Expired float64
	// Withdrawn is the share of holds cancelled before a copy came for them: holds ahead that will not take a
	// copy.
	Withdrawn float64
	// Returns is how many returns ReturnOffsets summarises.
	Returns int
}

// Input is one queued hold's situation.
type Input struct {
	Now        time.Time
	Loc        *time.Location // the library's zone: ranges are its dates
	Ahead      int            // active holds before this one in the title's queue
	Copies     []Copy
	LoanPeriod time.Duration
	History    History
}

// Range is the estimate: the hold should be ready between From and To (dates in the library's zone,
// both included). Zero dates (no copy circulates) mean unknown.
type Range struct {
	From, To time.Time
	Ahead    int
	Copies   int
	Returns  int // returns measured; 0 when the loan period stood in for them
}

// Basis says in one short English phrase what the range was computed from.
func (r Range) Basis() string {
	if r.Copies == 0 {
		return "no copy circulates"
	}
	returns := fmt.Sprintf("%d returns measured", r.Returns)
	if r.Returns == 0 {
		returns = "loan period (no returns measured yet)"
	}
	return fmt.Sprintf("%d %s ahead, %d %s, %s", r.Ahead, plural(r.Ahead, "hold", "holds"), r.Copies,
		plural(r.Copies, "copy", "copies"), returns)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// MaxWidth is the widest range (days from From to To) allowed for a range whose middle is wait days away:
// two weeks, or a quarter of the wait when that is longer.
func MaxWidth(waitDays float64) float64 { return math.Max(14, waitDays/4) }

// Estimate is the range within which the hold of in should be ready; false when no copy circulates (or in
// names no queue place).
func Estimate(in Input) (Range, bool) {
	if len(in.Copies) == 0 || in.Ahead < 0 { // a negative count of holds ahead is no queue place to estimate
		return Range{}, false
	}
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	h := in.History
	returns := h.Returns
	if returns < MinReturns || len(h.ReturnOffsets) == 0 {
		// Nothing measured yet: borrowers keep a copy about the loan period, bringing it back in its last days.
		h.ReturnOffsets, returns = []time.Duration{-3 * Day, -2 * Day, -Day, 0}, 0
	}
	if len(h.PickupDelays) == 0 {
		h.PickupDelays = []time.Duration{0, Day, 2 * Day, 3 * Day, 4 * Day, 5 * Day, 6 * Day}
	}
	now := in.Now
	today := startOfDay(now, loc)

	// A served hold's copy comes back after the patron collects it (a loan from that day) or after the
	// pickup week when it expired.
	cycle := func(ready time.Time, u func() float64) time.Time {
		if u() < h.Expired {
			return ready.Add(PickupWeek)
		}
		lent := startOfDay(ready.Add(quantile(h.PickupDelays, u())), loc)
		return lent.Add(in.LoanPeriod + quantile(h.ReturnOffsets, u()))
	}
	// Every scenario draws at most the same number of durations: three per copy, four per hold ahead.
	draws := 3*len(in.Copies) + 4*in.Ahead + 1
	alpha := sequence(draws)
	scenarios := scenariosFor(in.Ahead)
	days := make([]int, scenarios)
	free := make([]time.Time, len(in.Copies))
	shelf := make([]bool, len(in.Copies)) // free on the shelf now: set aside at once, no handling
	for j := range scenarios {
		next := 0
		u := func() float64 {
			// The quasi-random point j of a low-discrepancy sequence (Roberts' R_d): deterministic, and each draw
			// covers its distribution evenly over the scenarios.
			_, f := math.Modf(0.5 + float64(j+1)*alpha[next])
			next++
			return f
		}
		for i, c := range in.Copies {
			shelf[i] = false
			switch {
			case c.Held:
				free[i] = cycle(now, u)
			case !c.Due.IsZero():
				// Still out: it comes back later than now, as loans this late came back.
				free[i] = c.Due.Add(conditional(h.ReturnOffsets, now.Sub(c.Due), u()))
				if free[i].Before(now) {
					free[i] = now
				}
			default:
				free[i], shelf[i] = now, true
			}
		}
		// The holds ahead that will still be waiting when a copy comes for them.
		ahead := 0
		for range in.Ahead {
			if u() >= h.Withdrawn {
				ahead++
			}
		}
		var ready time.Time
		for k := 0; ; k++ {
			i := earliest(free)
			ready = free[i].Add(Handling)
			if shelf[i] {
				ready, shelf[i] = now, false
			}
			if k == ahead {
				break
			}
			free[i] = cycle(ready, u)
		}
		days[j] = dayIndex(ready, today, loc)
	}
	slices.Sort(days)
	lo, hi := window(days)
	return Range{From: today.AddDate(0, 0, lo), To: today.AddDate(0, 0, hi), Ahead: in.Ahead,
		Copies: len(in.Copies), Returns: returns}, true
}

// window is the range of days reported from the scenarios' sorted ready days: the central 90%, or, when
// that is wider than MaxWidth, the allowed window holding the most scenarios.
func window(days []int) (int, int) {
	n := len(days)
	lo, hi := days[n*5/100], days[n*95/100]
	if ok(lo, hi) {
		return lo, hi
	}
	best, bestLo, bestHi := -1, lo, lo
	for i := 0; i < n; i++ {
		if i > 0 && days[i] == days[i-1] {
			continue
		}
		a := days[i]
		// The widest w from a that keeps ok(a, a+w): w ≤ 14, or w ≤ (a + w/2)/4, i.e. w ≤ 2a/7.
		w := max(14, 2*a/7)
		j := i
		for j+1 < n && days[j+1] <= a+w {
			j++
		}
		if j-i+1 > best {
			best, bestLo, bestHi = j-i+1, a, days[j]
		}
	}
	return bestLo, bestHi
}

// ok reports whether the range lo..hi (days from today) keeps the width rule.
func ok(lo, hi int) bool { return float64(hi-lo) <= MaxWidth(float64(lo+hi)/2) }

// Within reports whether ready (a time) falls on a date of r.
func (r Range) Within(ready time.Time) bool {
	d := dayIndex(ready, r.From, r.From.Location())
	return d >= 0 && d <= dayIndex(r.To, r.From, r.From.Location())
}

// WidthOK reports whether r keeps the width rule for an estimate made on the day today.
func (r Range) WidthOK(today time.Time) bool {
	loc := r.From.Location()
	y, m, d := today.In(loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return ok(dayIndex(r.From, start, loc), dayIndex(r.To, start, loc))
}

// dayIndex is t's date as days after the date start (a day's start in loc).
func dayIndex(t, start time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	sy, sm, sd := start.In(loc).Date()
	return int(math.Round(day.Sub(time.Date(sy, sm, sd, 12, 0, 0, 0, time.UTC)).Hours() / 24))
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func earliest(ts []time.Time) int {
	best := 0
	for i, t := range ts {
		if t.Before(ts[best]) {
			best = i
		}
	}
	return best
}

// quantile is the u-quantile (0 ≤ u < 1) of the sorted sample s, interpolated.
func quantile(s []time.Duration, u float64) time.Duration {
	if len(s) == 1 {
		return s[0]
	}
	pos := u * float64(len(s)-1)
	i := int(pos)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + time.Duration(float64(s[i+1]-s[i])*(pos-float64(i)))
}

// cdf is the share of the sorted sample s below x, interpolated (quantile's inverse).
func cdf(s []time.Duration, x time.Duration) float64 {
	if len(s) == 1 || x <= s[0] {
		return 0
	}
	if x >= s[len(s)-1] {
		return 1
	}
	i, _ := slices.BinarySearch(s, x)
	// s[i-1] < x ≤ s[i]
	frac := 1.0
	if s[i] > s[i-1] {
		frac = float64(x-s[i-1]) / float64(s[i]-s[i-1])
	}
	return (float64(i-1) + frac) / float64(len(s)-1)
}

// conditional is the u-quantile of the sample s among values above x: a loan already x past its due date.
func conditional(s []time.Duration, x time.Duration, u float64) time.Duration {
	f := cdf(s, x)
	if f >= 1 {
		return x // later than every measured return: expect it any moment
	}
	return max(x, quantile(s, f+u*(1-f)))
}

// sequence is the additive constants of Roberts' R_d low-discrepancy sequence in d dimensions: α_i = φ_d^-(i+1),
// φ_d the positive root of x^(d+1) = x + 1.
func sequence(d int) []float64 {
	lo, hi := 1.0, 2.0 // x^(d+1) - x - 1 is negative at 1, positive at 2: bisect
	for range 60 {
		mid := (lo + hi) / 2
		if math.Pow(mid, float64(d+1))-mid-1 > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
	phi := (lo + hi) / 2
	a := make([]float64, d)
	for i := range a {
		_, a[i] = math.Modf(math.Pow(1/phi, float64(i+1)))
	}
	return a
}
