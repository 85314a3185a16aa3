package library

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"yoyaku/domain"
	"yoyaku/store"
)

// The staff's reports (集計): holds placed per day, time from placement to ready per pickup branch, queue
// lengths and the titles to buy more copies of. The API answers them as JSON and CSV, the console as a
// page with server-drawn charts; all read Reports, so their numbers agree.

// CodeInvalidRatio: a hold ratio that is not a number above 0 and at most MaxHoldRatio.
const CodeInvalidRatio domain.Code = "invalid_ratio"

const (
	// DefaultHoldRatio is the holds per circulating copy above which a title is listed to buy more copies
	// (Koha's hold-ratio report uses 3 too).
	DefaultHoldRatio = 3.0
	// MaxHoldRatio bounds the ratio asked for: more would list nothing useful.
	MaxHoldRatio = 100.0
	// ReportDays is how far back the reports look: holds placed per day, and holds first ready.
	ReportDays = 90
)

// QueueBucket is how many titles have a queue of Min to Max holds waiting (Max 0: no upper bound).
type QueueBucket struct {
	Label    string
	Min, Max int
	Titles   int
}

// queueBuckets are the queue lengths the distribution counts titles in.
var queueBuckets = []QueueBucket{{"1", 1, 1, 0}, {"2", 2, 2, 0}, {"3–5", 3, 5, 0}, {"6–10", 6, 10, 0}, {"11–20", 11, 20, 0}, {"21+", 21, 0, 0}}

// RatioTitle is a title over the hold ratio: Ratio is its holds per copy (0 with HasRatio false when it has
// no circulating copy), ToBuy the copies that bring it back to the ratio: ceil(holds/ratio) - copies.
type RatioTitle struct {
	store.TitleRatio
	Ratio    float64
	HasRatio bool
	ToBuy    int
}

// Reports is every report, as of Generated.
type Reports struct {
	Generated time.Time // in the library's zone
	Zone      string
	Day       string // Generated's day in the library's zone (YYYY-MM-DD)
	PerDay    []store.DayCount
	Placed    int // holds placed over PerDay
	Waits     []store.BranchWait
	Queues    []store.TitleQueue // every title with holds waiting, the longest queue first
	Waiting   int                // holds waiting over Queues
	Buckets   []QueueBucket
	Ratio     float64
	OverRatio []RatioTitle
}

// ParseHoldRatio reads a hold ratio as typed ("" is DefaultHoldRatio; full-width digits are fine). It is
// kept to hundredths; anything not above 0 and at most MaxHoldRatio is refused with CodeInvalidRatio.
func ParseHoldRatio(s string) (float64, error) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	if s == "" {
		return DefaultHoldRatio, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, refuse(CodeInvalidRatio)
	}
	r = math.Round(r*100) / 100
	if r <= 0 || r > MaxHoldRatio {
		return 0, refuse(CodeInvalidRatio)
	}
	return r, nil
}

// Reports reads every report as of now, with ratio for the titles to buy more copies of (ParseHoldRatio's).
func (s *Service) Reports(ctx context.Context, ratio float64, now time.Time) (Reports, error) {
	if ratio <= 0 || ratio > MaxHoldRatio {
		return Reports{}, refuse(CodeInvalidRatio)
	}
	r := Reports{Generated: now.In(s.location()), Zone: s.location().String(), Day: now.In(s.location()).Format(time.DateOnly), Ratio: ratio}
	var err error
	if r.PerDay, err = store.HoldsPerDay(ctx, s.DB, now, ReportDays, s.location()); err != nil {
		return Reports{}, err
	}
	for _, d := range r.PerDay {
		r.Placed += d.Holds
	}
	if r.Waits, err = store.TimeToReady(ctx, s.DB, ReportDays); err != nil {
		return Reports{}, err
	}
	if r.Queues, err = store.Queues(ctx, s.DB); err != nil {
		return Reports{}, err
	}
	r.Waiting, r.Buckets = distribution(r.Queues)
	ratio100 := int(math.Round(ratio * 100))
	over, err := store.HoldRatios(ctx, s.DB, ratio100)
	if err != nil {
		return Reports{}, err
	}
	r.OverRatio = make([]RatioTitle, len(over))
	for i, t := range over {
		r.OverRatio[i] = overRatio(t, ratio100)
	}
	return r, nil
}

// distribution counts the holds waiting and the titles per queue length bucket.
func distribution(qs []store.TitleQueue) (int, []QueueBucket) {
	bs := append([]QueueBucket(nil), queueBuckets...)
	waiting := 0
	for _, q := range qs {
		waiting += q.Waiting
		for i := range bs {
			if q.Waiting >= bs[i].Min && (bs[i].Max == 0 || q.Waiting <= bs[i].Max) {
				bs[i].Titles++
				break
			}
		}
	}
	return waiting, bs
}

// overRatio works out a title's ratio and copies to buy in hundredths, so that 9 holds at a ratio of 3
// need exactly 3 copies (no rounding of 9/3 up to 4).
func overRatio(t store.TitleRatio, ratio100 int) RatioTitle {
	need := (t.Holds*100 + ratio100 - 1) / ratio100 // ceil(holds / ratio)
	rt := RatioTitle{TitleRatio: t, ToBuy: max(need-t.Copies, 0)}
	if t.Copies > 0 {
		rt.Ratio, rt.HasRatio = math.Round(float64(t.Holds)/float64(t.Copies)*100)/100, true
	}
	return rt
}

// ReportNames are the reports one can have as CSV, in the page's order.
var ReportNames = []string{"holds_per_day", "time_to_ready", "queue_lengths", "queue_distribution", "hold_ratio"}

// CSV is one report as CSV rows, its header first; an unknown name is refused with CodeInvalidRequest.
// Days are given to a tenth and ratios to a hundredth, as the page shows them.
func (r Reports) CSV(name string) ([][]string, error) {
	itoa, id := strconv.Itoa, func(n int64) string { return strconv.FormatInt(n, 10) }
	rows := [][]string{}
	switch name {
	case "holds_per_day":
		rows = append(rows, []string{"date", "holds"})
		for _, d := range r.PerDay {
			rows = append(rows, []string{d.Date, itoa(d.Holds)})
		}
	case "time_to_ready":
		rows = append(rows, []string{"branch", "name", "holds", "median_days", "p90_days"})
		for _, w := range r.Waits {
			rows = append(rows, []string{w.Branch, w.Name, itoa(w.Holds), Fixed(w.Median, 1), Fixed(w.P90, 1)})
		}
	case "queue_lengths":
		rows = append(rows, []string{"title_id", "title", "waiting"})
		for _, q := range r.Queues {
			rows = append(rows, []string{id(q.TitleID), q.Title, itoa(q.Waiting)})
		}
	case "queue_distribution":
		rows = append(rows, []string{"queue_length", "min", "max", "titles"})
		for _, b := range r.Buckets {
			maxLen := ""
			if b.Max > 0 {
				maxLen = itoa(b.Max)
			}
			rows = append(rows, []string{b.Label, itoa(b.Min), maxLen, itoa(b.Titles)})
		}
	case "hold_ratio":
		rows = append(rows, []string{"title_id", "title", "holds", "copies", "ratio", "copies_to_buy"})
		for _, t := range r.OverRatio {
			ratio := ""
			if t.HasRatio {
				ratio = Fixed(t.Ratio, 2)
			}
			rows = append(rows, []string{id(t.TitleID), t.Title, itoa(t.Holds), itoa(t.Copies), ratio, itoa(t.ToBuy)})
		}
	default:
		return nil, refuse(CodeInvalidRequest)
	}
	return rows, nil
}

// Fixed formats f with prec decimals, as the reports show numbers.
func Fixed(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

// CSVName is the download name of a report's CSV: yoyaku-<report>-<day>.csv.
func (r Reports) CSVName(name string) string { return "yoyaku-" + name + "-" + r.Day + ".csv" }
