package estimate

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// How far the estimates are from the truth, measured on generated years of a library (the accuracy test and
// `yoyaku bench` report it). A generated year: titles released through the
// year, a few bestsellers among them whose holds pile up, walk-in loans, borrowers who return early, on the
// last days, late or very late, patrons who collect within the week or let the hold expire, and holds
// cancelled while they wait. At each hold placed behind a loaned copy the estimate is made from the history
// measured so far, as the API makes it; the hold's real ready time is recorded when it comes.

// AccuracySeeds are the generated years the test and the bench measure: the same five every time.
var AccuracySeeds = []uint64{1, 2, 3, 4, 5}

// Accuracy is what MeasureAccuracy found.
type Accuracy struct {
	Years []YearAccuracy `json:"years"`
	// Holds estimated that became ready (not cancelled, not still waiting when the year ended), Inside the
	// ones ready on a date of their range, WidthBroken the ranges wider than the width rule allows.
	Holds       int `json:"holds"`
	Inside      int `json:"inside"`
	WidthBroken int `json:"width_broken"`
	// ByAhead is {inside, holds} by holds ahead when the hold was placed: "0-1", "2-9", "10+".
	ByAhead map[string][2]int `json:"by_ahead"`
	// MeanDays is the mean length of a range in days, both ends counted.
	MeanDays float64 `json:"mean_days"`
}

// YearAccuracy is one generated year.
type YearAccuracy struct {
	Seed   uint64 `json:"seed"`
	Holds  int    `json:"holds"`
	Inside int    `json:"inside"`
}

// Share is the share of holds that became ready inside their range.
func (a Accuracy) Share() float64 {
	if a.Holds == 0 {
		return math.NaN()
	}
	return float64(a.Inside) / float64(a.Holds)
}

// MeasureAccuracy generates a year of a library per seed, estimates each hold placed behind a loaned copy
// from the history measured so far, and compares the range with the day the hold became ready.
func MeasureAccuracy(seeds []uint64) Accuracy {
	a := Accuracy{ByAhead: map[string][2]int{}}
	var days float64
	for _, seed := range seeds {
		y := YearAccuracy{Seed: seed}
		for _, h := range simulateYear(seed) {
			if !h.estimated || h.cancelled || h.ready.IsZero() {
				continue // no estimate shown, cancelled while waiting, or still waiting when the year ended
			}
			y.Holds++
			days += h.est.To.Sub(h.est.From).Hours()/24 + 1
			if !h.est.WidthOK(h.placed) {
				a.WidthBroken++
			}
			bucket := "0-1"
			switch {
			case h.est.Ahead >= 10:
				bucket = "10+"
			case h.est.Ahead >= 2:
				bucket = "2-9"
			}
			b := a.ByAhead[bucket]
			b[1]++
			if h.est.Within(h.ready) {
				y.Inside++
				b[0]++
			}
			a.ByAhead[bucket] = b
		}
		a.Years = append(a.Years, y)
		a.Holds, a.Inside = a.Holds+y.Holds, a.Inside+y.Inside
	}
	if a.Holds > 0 {
		a.MeanDays = days / float64(a.Holds)
	}
	return a
}

const (
	simLoanDays = 14
	simQuantile = 51 // the store's summary of the history: the 0, 2, …, 100th percentiles
)

type simCopy struct {
	title   int
	due     time.Time // start of the due date of the current loan; zero when not on loan
	held    bool      // assigned to a hold (on the way to, or on, the hold shelf)
	onShelf bool
}

type simHold struct {
	title     int
	placed    time.Time
	est       Range
	estimated bool
	ready     time.Time
	cancelled bool
}

type simEvent struct {
	at   time.Time
	kind int
	a, b int // copy, hold or title, by kind
	seq  int
}

const (
	evPlace  = iota // a = title
	evWalkIn        // a = title
	evReturn        // a = copy
	evReady         // a = copy, b = hold
	evPickup        // a = copy, b = hold
	evExpire        // a = copy, b = hold
	evCancel        // b = hold
)

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type simLibrary struct {
	rng               *rand.Rand
	loc               *time.Location
	events            simQueue
	seq               int
	copies            []simCopy
	byTitle           [][]int
	queues            [][]int // queued holds per title, FIFO
	holds             []*simHold
	offsets           []time.Duration // measured: return - start of due date
	pickups           []time.Duration // measured: ready → collected
	readies, expiries int
	withdrawn         int // holds cancelled before a copy came
}

func (s *simLibrary) at(t time.Time, kind, a, b int) {
	s.seq++
	heap.Push(&s.events, simEvent{at: t, kind: kind, a: a, b: b, seq: s.seq})
}

func (s *simLibrary) days(lo, hi float64) time.Duration {
	return time.Duration((lo + s.rng.Float64()*(hi-lo)) * float64(Day))
}

// returnOffset is when a borrower brings a copy back, from the start of its due date.
func (s *simLibrary) returnOffset() time.Duration {
	switch p := s.rng.Float64(); {
	case p < 0.20:
		return s.days(-10, -3) // done early
	case p < 0.78:
		return s.days(-3, 1) // in the last days, the due date included
	case p < 0.95:
		return s.days(1, 6) // late, until the reminder
	default:
		return s.days(6, 21) // forgotten, reminded again
	}
}

func (s *simLibrary) dayStart(t time.Time) time.Time {
	y, m, d := t.In(s.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.loc)
}

// lend puts copy c on loan from t and schedules its return.
func (s *simLibrary) lend(c int, t time.Time) {
	due := s.dayStart(t).AddDate(0, 0, simLoanDays)
	s.copies[c] = simCopy{title: s.copies[c].title, due: due}
	ret := due.Add(s.returnOffset())
	if ret.Before(t) {
		ret = t.Add(time.Hour)
	}
	s.at(ret, evReturn, c, 0)
}

// free gives copy c, free at t, to the first queued hold of its title, or puts it on the shelf.
func (s *simLibrary) free(c int, t time.Time, handling time.Duration) {
	title := s.copies[c].title
	if q := s.queues[title]; len(q) > 0 {
		h := q[0]
		s.queues[title] = q[1:]
		s.copies[c] = simCopy{title: title, held: true}
		s.at(t.Add(handling), evReady, c, h)
		return
	}
	s.copies[c] = simCopy{title: title, onShelf: true}
}

func summary(sample []time.Duration) []time.Duration {
	if len(sample) == 0 {
		return nil
	}
	s := slices.Clone(sample)
	slices.Sort(s)
	out := make([]time.Duration, simQuantile)
	for i := range out {
		// percentile_disc: the first value whose cumulative share reaches the fraction
		f := float64(i) / float64(simQuantile-1)
		k := max(0, int(f*float64(len(s))+0.999999)-1)
		out[i] = s[min(k, len(s)-1)]
	}
	return out
}

func (s *simLibrary) estimate(title int, now time.Time) (Range, bool) {
	var cs []Copy
	for _, c := range s.byTitle[title] {
		cs = append(cs, Copy{Due: s.copies[c].due, Held: s.copies[c].held})
	}
	expired := 0.0
	if s.readies > 0 {
		expired = float64(s.expiries) / float64(s.readies)
	}
	return Estimate(Input{Now: now, Loc: s.loc, Ahead: len(s.queues[title]), Copies: cs,
		LoanPeriod: simLoanDays * Day,
		History: History{ReturnOffsets: summary(s.offsets), PickupDelays: summary(s.pickups), Returns: len(s.offsets), Expired: expired,
			Withdrawn: float64(s.withdrawn) / float64(max(1, s.withdrawn+s.readies))}})
}

// simulateYear runs a year of a generated library and returns its holds.
func simulateYear(seed uint64) []*simHold {
	loc := time.FixedZone("JST", 9*3600)
	start := time.Date(2025, 4, 1, 9, 0, 0, 0, loc)
	end := start.AddDate(1, 0, 0)
	s := &simLibrary{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), loc: loc}
	const titles = 60
	s.byTitle, s.queues = make([][]int, titles), make([][]int, titles)
	type demand struct {
		release time.Time
		peak    float64 // holds a day at release
		decay   float64 // days for demand to fall to 1/e
	}
	demands := make([]demand, titles)
	for t := range titles {
		n := 1 + s.rng.IntN(4)
		if t%6 == 0 { // a bestseller: more copies, a rush of holds
			n = 2 + s.rng.IntN(5)
			demands[t] = demand{start.Add(s.days(0, 300)), 0.4 + s.rng.Float64()*1.2, 30 + s.rng.Float64()*60}
		} else {
			demands[t] = demand{start.Add(s.days(0, 300)), 0.03 + s.rng.Float64()*0.15, 60 + s.rng.Float64()*200}
		}
		for range n {
			s.copies = append(s.copies, simCopy{title: t, onShelf: true})
			s.byTitle[t] = append(s.byTitle[t], len(s.copies)-1)
		}
		s.at(demands[t].release, evPlace, t, 0)
		s.at(start.Add(s.days(0, 10)), evWalkIn, t, 0)
	}
	for s.events.Len() > 0 {
		e := heap.Pop(&s.events).(simEvent)
		if e.at.After(end) {
			break
		}
		now := e.at
		switch e.kind {
		case evPlace:
			d := demands[e.a]
			rate := d.peak * math.Exp(-now.Sub(d.release).Hours()/24/d.decay)
			if rate < 0.02 {
				rate = 0.02 // a title keeps a trickle of holds
			}
			s.at(now.Add(time.Duration(s.rng.ExpFloat64()/rate*float64(Day))), evPlace, e.a, 0)
			h := &simHold{title: e.a, placed: now}
			s.holds = append(s.holds, h)
			id := len(s.holds) - 1
			shelf := -1
			for _, c := range s.byTitle[e.a] {
				if s.copies[c].onShelf {
					shelf = c
					break
				}
			}
			if shelf >= 0 { // a free copy: set aside at once, no estimate shown
				s.copies[shelf] = simCopy{title: e.a, held: true}
				s.at(now.Add(s.days(0.1, 1.5)), evReady, shelf, id)
				continue
			}
			h.est, h.estimated = s.estimate(e.a, now)
			s.queues[e.a] = append(s.queues[e.a], id)
			if s.rng.Float64() < 0.06 {
				s.at(now.Add(s.days(1, 60)), evCancel, 0, id)
			}
		case evWalkIn:
			s.at(now.Add(s.days(1, 12)), evWalkIn, e.a, 0)
			for _, c := range s.byTitle[e.a] {
				if s.copies[c].onShelf {
					s.lend(c, now)
					break
				}
			}
		case evReturn:
			s.offsets = append(s.offsets, now.Sub(s.copies[e.a].due))
			s.free(e.a, now, s.days(0.1, 1.5))
		case evReady:
			s.holds[e.b].ready = now
			s.readies++
			if s.rng.Float64() < 0.08 {
				s.at(now.Add(7*Day), evExpire, e.a, e.b)
			} else {
				s.at(now.Add(s.days(0, 5)), evPickup, e.a, e.b)
			}
		case evPickup:
			s.pickups = append(s.pickups, now.Sub(s.holds[e.b].ready))
			s.lend(e.a, now)
		case evExpire:
			s.expiries++
			s.free(e.a, now, s.days(0.05, 1))
		case evCancel:
			h := s.holds[e.b]
			if i := slices.Index(s.queues[h.title], e.b); i >= 0 {
				s.queues[h.title] = slices.Delete(s.queues[h.title], i, i+1)
				h.cancelled = true
				s.withdrawn++
			}
		}
	}
	return s.holds
}
