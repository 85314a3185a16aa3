package estimate

import (
	"testing"
	"time"
)

// TestAccuracyOverAGeneratedYear is the test 4: over generated years of loans, the share of holds
// that became ready inside their estimated range (at least 80% over the years together; one year alone
// varies by a few points around it), and the width rule for every range.
func TestAccuracyOverAGeneratedYear(t *testing.T) {
	a := MeasureAccuracy(AccuracySeeds)
	for _, y := range a.Years {
		if y.Holds < 300 {
			t.Errorf("year %d: only %d estimated holds became ready: the generated year is too quiet to measure", y.Seed, y.Holds)
		}
		t.Logf("year %d: %d of %d holds (%.1f%%) became ready inside their range", y.Seed, y.Inside, y.Holds,
			100*float64(y.Inside)/float64(y.Holds))
	}
	t.Logf("estimate accuracy: %d of %d holds (%.1f%%) became ready inside their range; mean range %.1f days; {inside, holds} by holds ahead %v",
		a.Inside, a.Holds, 100*a.Share(), a.MeanDays, a.ByAhead)
	if a.Share() < 0.80 {
		t.Errorf("%.1f%% of holds ready inside their range, want at least 80%%", 100*a.Share())
	}
	if a.WidthBroken > 0 {
		t.Errorf("%d ranges break the width rule (at most 14 days, or a quarter of the wait when longer)", a.WidthBroken)
	}
}

func TestEstimate(t *testing.T) {
	loc := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, loc)
	day := func(d int) time.Time { return time.Date(2026, 12, 4+d, 0, 0, 0, 0, loc) }
	measured := History{Returns: 200, ReturnOffsets: []time.Duration{-5 * Day, -2 * Day, -Day, 0, Day / 2, 2 * Day, 6 * Day},
		PickupDelays: []time.Duration{0, Day, 2 * Day, 4 * Day}}
	for _, tc := range []struct {
		name     string
		in       Input
		from, to int // days after today
		basis    string
	}{
		{"a copy on the shelf: today", Input{Copies: []Copy{{}}},
			0, 0, "0 holds ahead, 1 copy, loan period (no returns measured yet)"},
		{"first in line, one loan due in 10 days, nothing measured: its last days", Input{Copies: []Copy{{Due: day(10)}}},
			8, 10, "0 holds ahead, 1 copy, loan period (no returns measured yet)"},
		{"first in line, measured returns spread the range", Input{Copies: []Copy{{Due: day(10)}}, History: measured},
			6, 15, "0 holds ahead, 1 copy, 200 returns measured"},
		{"an overdue loan comes back any day", Input{Copies: []Copy{{Due: day(-30)}}, History: measured},
			1, 1, "0 holds ahead, 1 copy, 200 returns measured"},
		{"the earlier of two loans", Input{Copies: []Copy{{Due: day(20)}, {Due: day(3)}}},
			1, 3, "0 holds ahead, 2 copies, loan period (no returns measured yet)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Now, tc.in.Loc, tc.in.LoanPeriod = now, loc, 14*Day
			r, ok := Estimate(tc.in)
			if !ok {
				t.Fatal("no estimate")
			}
			if !r.From.Equal(day(tc.from)) || !r.To.Equal(day(tc.to)) {
				t.Errorf("range %s..%s, want %s..%s", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly),
					day(tc.from).Format(time.DateOnly), day(tc.to).Format(time.DateOnly))
			}
			if r.Basis() != tc.basis {
				t.Errorf("basis %q, want %q", r.Basis(), tc.basis)
			}
			if !r.WidthOK(now) {
				t.Errorf("range %s..%s breaks the width rule", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
			}
		})
	}
	if _, ok := Estimate(Input{Now: now, Loc: loc, Ahead: 3, LoanPeriod: 14 * Day}); ok {
		t.Error("an estimate with no copy that circulates")
	}
	if _, ok := Estimate(Input{Now: now, Loc: loc, Ahead: -1, Copies: []Copy{{}}, LoanPeriod: 14 * Day}); ok {
		t.Error("an estimate for no queue place (holds ahead -1)")
	}
	if b := (Range{Ahead: 3}).Basis(); b != "no copy circulates" {
		t.Errorf("the basis of an unknown range: %q", b)
	}
	// A long queue: later than one loan per hold ahead would say, and never wider than the rule.
	var cs []Copy
	for i := range 3 {
		cs = append(cs, Copy{Due: day(2 + 4*i)})
	}
	r, _ := Estimate(Input{Now: now, Loc: loc, Ahead: 30, Copies: cs, LoanPeriod: 14 * Day, History: measured})
	if waited := r.From.Sub(day(0)) / Day; waited < 100 || !r.WidthOK(now) || r.To.Sub(r.From) <= 14*Day {
		t.Errorf("30 ahead of 3 copies: %s..%s", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
	}
}

// TestDeepQueuePlaysFewerScenarios: a bestseller's deep queue plays fewer scenarios (its work stays about that
// of 100 holds ahead), never fewer than minScenarios, and still gives a range that keeps the width rule and
// lies later than a shallower place's.
func TestDeepQueuePlaysFewerScenarios(t *testing.T) {
	for _, tc := range []struct{ ahead, want int }{{0, Scenarios}, {100, Scenarios}, {200, Scenarios / 2}, {500, 80}, {2000, minScenarios}, {100000, minScenarios}} {
		if got := scenariosFor(tc.ahead); got != tc.want {
			t.Errorf("scenariosFor(%d) = %d, want %d", tc.ahead, got, tc.want)
		}
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	copies := make([]Copy, 20)
	for i := range copies {
		copies[i].Due = now.AddDate(0, 0, 1+i%14)
	}
	var prev Range
	for _, ahead := range []int{50, 500, 2000} {
		r, ok := Estimate(Input{Now: now, Loc: time.UTC, Ahead: ahead, Copies: copies, LoanPeriod: 14 * Day})
		if !ok || !r.WidthOK(now) {
			t.Fatalf("ahead %d: %+v ok=%v, want a range within the width rule", ahead, r, ok)
		}
		if !prev.From.IsZero() && !r.From.After(prev.From) {
			t.Errorf("ahead %d starts %s, not after a shallower place's %s", ahead, r.From.Format(time.DateOnly), prev.From.Format(time.DateOnly))
		}
		prev = r
	}
}
