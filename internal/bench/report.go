package bench

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"yoyaku/estimate"
)

// Report is everything one run measured. It is written as JSON to --out and printed as a table.
type Report struct {
	StartedAt time.Time `json:"started_at"`
	Took      Seconds   `json:"took_s"`
	Machine   Machine   `json:"machine"`
	Settings  Settings  `json:"settings"`
	Placement Placement `json:"placement"`
	Approve   Latency   `json:"approve"`
	// ApprovePOST is the part of Approve until the POST answered.
	ApprovePOST Latency   `json:"approve_post"`
	Notify      Latency   `json:"notify"`
	Lifecycle   Lifecycle `json:"lifecycle"`
	// Checkin is the workflow behind one check-in scan that gave its copy to a waiting hold.
	Checkin *Workflow `json:"checkin_workflow,omitempty"`
	Search  Search    `json:"search"`
	// Bestseller is the burst on one title; Restart the rolling restart (cluster only).
	Bestseller *Bestseller `json:"bestseller,omitempty"`
	Restart    *Restart    `json:"rolling_restart,omitempty"`
	// Profiles are the CPU profiles taken during the placement run.
	Profiles []string `json:"cpu_profiles,omitempty"`
	Memory   []Memory `json:"memory"`
	// Estimate is how often 用意できる目安 held the day a hold became ready, over generated years (it needs no
	// stack: the model is pure).
	Estimate *estimate.Accuracy `json:"estimate_accuracy,omitempty"`
	Summary  Summary            `json:"summary"`
	Targets  []TargetCheck      `json:"targets"`
	Notes    []string           `json:"notes,omitempty"`
}

// Seconds is a duration written as (fractional) seconds.
type Seconds float64

// Machine describes where the run happened.
type Machine struct {
	CPUs      int     `json:"cpus"`
	MemoryGiB float64 `json:"memory_gib"`
	OS        string  `json:"os"`
	Go        string  `json:"go"`
	Stack     string  `json:"stack"` // "dev (own, temporary)" or the API address used
	// Load averages (1, 5, 15 min) from /proc/loadavg when the run started and ended: other work on the
	// machine makes every figure noisier, which is why the throughput is compared as a ratio in one run.
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

// Settings are the flags of the run.
type Settings struct {
	Patrons       int     `json:"patrons"`
	Titles        int     `json:"titles"`
	Copies        int     `json:"copies"`
	Holds         int     `json:"holds"`
	Concurrency   int     `json:"concurrency"`
	Duration      Seconds `json:"duration_s"`
	Rate          float64 `json:"rate_per_s"`
	Cluster       bool    `json:"cluster"`
	PollMs        float64 `json:"poll_ms"`
	SearchQueries int     `json:"search_queries_per_length"`
	SearchClients int     `json:"search_clients"`
	Lifecycles    int     `json:"lifecycles"`
}

// Throughput is one closed-loop run: Concurrency clients start N units back to back; a unit is done when it has
// been started (its request returned) and completed (its workflow finished, or its hold was seen approved).
type Throughput struct {
	N           int     `json:"n"`
	Concurrency int     `json:"concurrency"`
	Errors      int     `json:"errors"`
	StartedS    Seconds `json:"started_s"`   // first request sent → last start returned
	CompletedS  Seconds `json:"completed_s"` // first request sent → last completion seen
	StartedPer  Float   `json:"started_per_s"`
	PerSecond   Float   `json:"completed_per_s"` // the rate compared: started and completed
	// CPU is the CPU time each service used during the run, in seconds (--dev only: the services' process
	// groups are known); the wall time times the CPUs is what there was.
	CPU CPU `json:"cpu_s,omitempty"`
}

// Placement compares hold placement through the HTTP API with bare empty workflows on the same server.
type Placement struct {
	Baseline       []Throughput `json:"baseline"` // before and after the holds
	BaselinePerSec Float        `json:"baseline_per_s"`
	Holds          Throughput   `json:"holds"`
	Ratio          Float        `json:"ratio"`
	// UnderLoad is placement → approved during the throughput run (queueing included); Approve is the paced one.
	UnderLoad Latency `json:"approve_under_load"`
}

// Latency is a distribution of durations, in milliseconds.
type Latency struct {
	Samples int    `json:"samples"`
	Errors  int    `json:"errors"`
	P50     Float  `json:"p50_ms"`
	P95     Float  `json:"p95_ms"`
	P99     Float  `json:"p99_ms"`
	Max     Float  `json:"max_ms"`
	Method  string `json:"method,omitempty"`
}

// Lifecycle is what a normal hold's whole life leaves in its Temporal history.
type Lifecycle struct {
	Holds      int            `json:"holds"`
	EventsMin  int            `json:"events_min"`
	EventsMax  int            `json:"events_max"`
	Categories map[string]int `json:"categories"`    // of the longest history
	EventTypes map[string]int `json:"event_types"`   // of the longest history
	Bytes      int            `json:"history_bytes"` // of the longest history, as protobuf
	Actions    int            `json:"actions"`       // estimated Temporal Cloud actions of the longest history
	ActionKind map[string]int `json:"action_kinds"`
	WorkflowID string         `json:"workflow_id"` // the longest history, to look at in the Web UI
}

// Workflow is the history of one short workflow.
type Workflow struct {
	WorkflowID string         `json:"workflow_id"`
	Events     int            `json:"events"`
	Bytes      int            `json:"history_bytes"`
	Categories map[string]int `json:"categories"`
	Actions    int            `json:"actions"`
	ActionKind map[string]int `json:"action_kinds"`
}

// Search is catalogue search latency by query length.
type Search struct {
	Skipped  string         `json:"skipped,omitempty"`
	Titles   int            `json:"catalogue_titles_target"`
	Added    int            `json:"titles_added"`
	ByLength []SearchLength `json:"by_length"`
	WorstP95 Float          `json:"worst_p95_ms"`
}

// SearchLength is the latency of queries of one length (in characters).
type SearchLength struct {
	Chars   int     `json:"chars"`
	Latency Latency `json:"latency"`
	Hits    Float   `json:"mean_total_hits"`
	// Slowest are the slowest queries' latencies ("query ms hits"), for whoever tunes the search.
	Slowest []string `json:"slowest"`
}

// Memory is a process's resident memory.
type Memory struct {
	Process string `json:"process"`
	PID     int    `json:"pid"`
	HWMKiB  int64  `json:"vm_hwm_kib"`
	RSSKiB  int64  `json:"vm_rss_kib"`
	Error   string `json:"error,omitempty"`
}

// Summary holds the figures of the last line; NaN (written as null) means not measured.
type Summary struct {
	Ratio           Float `json:"ratio"`
	ApproveP99Ms    Float `json:"approve_p99_ms"`
	NotifyP99Ms     Float `json:"notify_p99_ms"`
	EventsPerHold   Float `json:"events_per_hold"`
	SearchP95Ms     Float `json:"search_p95_ms"`
	BestsellerPerS  Float `json:"bestseller_per_s"`
	BestsellerP99Ms Float `json:"bestseller_p99_ms"`
	RestartFailed   Float `json:"restart_failed"`
}

// TargetCheck compares one figure with its target (the README's Benchmark section).
type TargetCheck struct {
	Name   string `json:"name"`
	Value  Float  `json:"value"`
	Target string `json:"target"`
	Met    bool   `json:"met"`
}

// Float is a measured figure; NaN means "not measured" and is written to JSON as null.
type Float float64

// NaN is a figure that was not measured.
var NaN = Float(math.NaN())

// Valid reports whether f was measured.
func (f Float) Valid() bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// MarshalJSON writes f as a number, or null when it was not measured.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Valid() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, math.Round(float64(f)*1000)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = NaN
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = Float(v)
	return err
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the nearest-rank method: the smallest value
// with at least p% of the samples at or below it. It returns NaN for no samples.
func Percentile(sorted []float64, p float64) Float {
	if len(sorted) == 0 {
		return NaN
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return Float(sorted[min(max(rank, 1), len(sorted))-1])
}

// Summarize turns durations into a Latency (errors counted apart).
func Summarize(ds []time.Duration, errors int, method string) Latency {
	ms := make([]float64, len(ds))
	for i, d := range ds {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	slices.Sort(ms)
	l := Latency{Samples: len(ms), Errors: errors, Method: method,
		P50: Percentile(ms, 50), P95: Percentile(ms, 95), P99: Percentile(ms, 99), Max: NaN}
	if len(ms) > 0 {
		l.Max = Float(ms[len(ms)-1])
	}
	return l
}

// LastLine is the run's one-line result, the last line the bench prints.
func (s Summary) LastLine() string {
	return fmt.Sprintf("ratio=%s approve_p99_ms=%s notify_p99_ms=%s events_per_hold=%s search_p95_ms=%s bestseller_per_s=%s bestseller_p99_ms=%s restart_failed=%s",
		num(s.Ratio, 2), num(s.ApproveP99Ms, 0), num(s.NotifyP99Ms, 0), num(s.EventsPerHold, 0), num(s.SearchP95Ms, 0),
		num(s.BestsellerPerS, 1), num(s.BestsellerP99Ms, 0), num(s.RestartFailed, 0))
}

// num formats v with prec decimals, or "na" when it was not measured.
func num(v Float, prec int) string {
	if !v.Valid() {
		return "na"
	}
	return strconv.FormatFloat(float64(v), 'f', prec, 64)
}

// Check fills Summary and Targets from the measurements. A figure not measured misses its target.
func (r *Report) Check() {
	r.Summary = Summary{
		Ratio:          r.Placement.Ratio,
		ApproveP99Ms:   r.Approve.P99,
		NotifyP99Ms:    r.Notify.P99,
		EventsPerHold:  NaN,
		SearchP95Ms:    r.Search.WorstP95,
		BestsellerPerS: NaN, BestsellerP99Ms: NaN, RestartFailed: NaN,
	}
	if b := r.Bestseller; b != nil && b.Skipped == "" {
		r.Summary.BestsellerPerS, r.Summary.BestsellerP99Ms = b.PerSecond, b.Approve.P99
	}
	if rs := r.Restart; rs != nil && rs.Skipped == "" {
		r.Summary.RestartFailed = Float(rs.Failed)
	}
	if r.Lifecycle.Holds > 0 {
		r.Summary.EventsPerHold = Float(r.Lifecycle.EventsMax)
	}
	s := r.Summary
	ratioTarget := 0.5
	if r.Settings.Cluster {
		ratioTarget = 0.8 // a Temporal server on PostgreSQL is not the ceiling the dev server is
	}
	check := func(v Float, ok func(float64) bool) bool { return v.Valid() && ok(float64(v)) }
	r.Targets = []TargetCheck{
		{"placement/baseline throughput", s.Ratio, fmt.Sprintf("≥ %.1f", ratioTarget), check(s.Ratio, func(v float64) bool { return v >= ratioTarget })},
		{"placement → approved p99 (ms)", s.ApproveP99Ms, "< 1000", check(s.ApproveP99Ms, func(v float64) bool { return v < 1000 })},
		{"check-in → e-mail p99 (ms)", s.NotifyP99Ms, "< 2000", check(s.NotifyP99Ms, func(v float64) bool { return v < 2000 })},
		{"history events per hold", s.EventsPerHold, "≤ 40", check(s.EventsPerHold, func(v float64) bool { return v <= 40 })},
		{"catalogue search p95 (ms)", s.SearchP95Ms, "< 50", check(s.SearchP95Ms, func(v float64) bool { return v < 50 })},
	}
	if b := r.Bestseller; b != nil {
		clean := b.Skipped == "" && len(b.Violations) == 0 && b.Errors == 0
		r.Targets = append(r.Targets,
			TargetCheck{"bestseller approvals /s", s.BestsellerPerS, "≥ 40", check(s.BestsellerPerS, func(v float64) bool { return v >= 40 })},
			TargetCheck{"bestseller approve p99 (ms)", s.BestsellerP99Ms, "< 2000", check(s.BestsellerP99Ms, func(v float64) bool { return v < 2000 })},
			TargetCheck{"bestseller queue: FIFO, 1..N, a copy each", Float(len(b.Violations) + b.Errors), "0 broken", clean})
	}
	if rs := r.Restart; rs != nil {
		r.Targets = append(r.Targets, TargetCheck{"rolling restart: failed requests", s.RestartFailed, "0, check clean",
			check(s.RestartFailed, func(v float64) bool { return v == 0 }) && len(rs.Violations) == 0 && rs.NotApproved == 0})
	}
	if e := r.Estimate; e != nil {
		share := Float(e.Share())
		r.Targets = append(r.Targets, TargetCheck{"estimates: ready inside the range", share, "≥ 0.80, none too wide",
			check(share, func(v float64) bool { return v >= 0.8 }) && e.WidthBroken == 0})
	}
}

// WriteTable prints the report as a table.
func (r *Report) WriteTable(out io.Writer) {
	fmt.Fprintf(out, "\nyoyaku bench — %d CPUs, %.1f GiB, %s, %s; load average %s at the start, %s at the end\nstack: %s; %s, took %.0f s\n\n",
		r.Machine.CPUs, r.Machine.MemoryGiB, r.Machine.OS, r.Machine.Go, r.Machine.LoadStart, r.Machine.LoadEnd, r.Machine.Stack,
		r.StartedAt.UTC().Format(time.RFC3339), float64(r.Took))
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(w, strings.Join(cells, "\t")+"\t") }
	row("measure", "value", "detail")
	row("-------", "-----", "------")
	p := r.Placement
	for i, b := range p.Baseline {
		row(fmt.Sprintf("baseline empty workflows #%d", i+1), num(b.PerSecond, 1)+" /s",
			fmt.Sprintf("%d started+completed, concurrency %d, %.2f s (started %.1f /s), %d errors",
				b.N, b.Concurrency, float64(b.CompletedS), float64(b.StartedPer), b.Errors))
	}
	h := p.Holds
	row("hold placement via HTTP", num(h.PerSecond, 1)+" /s",
		fmt.Sprintf("%d placed+approved, concurrency %d, %.2f s (POSTs %.1f /s), %d errors",
			h.N, h.Concurrency, float64(h.CompletedS), float64(h.StartedPer), h.Errors))
	for i, t := range append(slices.Clone(p.Baseline), h) {
		if t.CPU == nil {
			continue
		}
		name := "  CPU s, hold placement"
		if i < len(p.Baseline) {
			name = fmt.Sprintf("  CPU s, baseline #%d", i+1)
		}
		row(name, fmt.Sprintf("%.1f of %.1f", t.CPU.total(), float64(t.CompletedS)*float64(r.Machine.CPUs)), cpuCell(t.CPU))
	}
	ceiling := "baseline = the better of the runs above"
	if r.Settings.Cluster {
		ceiling = "baseline = the median of the runs above"
	}
	row("ratio placement/baseline", num(p.Ratio, 2), ceiling)
	row("approve latency under load", latencyCell(p.UnderLoad), p.UnderLoad.Method)
	row("placement → approved (paced)", latencyCell(r.Approve), r.Approve.Method)
	row("  of which POST answered", latencyCell(r.ApprovePOST), r.ApprovePOST.Method)
	row("check-in → e-mail accepted", latencyCell(r.Notify), r.Notify.Method)
	lc := r.Lifecycle
	if lc.Holds > 0 {
		row("history events per hold", strconv.Itoa(lc.EventsMax),
			fmt.Sprintf("%d lifecycles, min %d; %.1f KiB; %s", lc.Holds, lc.EventsMin, float64(lc.Bytes)/1024, mapCell(lc.Categories)))
		row("Temporal actions per hold", strconv.Itoa(lc.Actions), "estimate: "+mapCell(lc.ActionKind))
	} else {
		row("history events per hold", "na", "no lifecycle completed")
	}
	if c := r.Checkin; c != nil {
		row("events per check-in scan", strconv.Itoa(c.Events),
			fmt.Sprintf("its own short workflow (copy to a waiting hold); %.1f KiB; %d actions; %s", float64(c.Bytes)/1024, c.Actions, mapCell(c.Categories)))
	}
	if r.Search.Skipped != "" {
		row("catalogue search", "na", r.Search.Skipped)
	}
	for _, l := range r.Search.ByLength {
		catalogue := "the catalogue as it is"
		if r.Search.Titles > 0 {
			catalogue = fmt.Sprintf("%d titles", r.Search.Titles)
		}
		row(fmt.Sprintf("search, %d-char queries", l.Chars), latencyCell(l.Latency),
			fmt.Sprintf("%d queries on %s, mean %.0f hits, %d errors", l.Latency.Samples, catalogue, float64(l.Hits), l.Latency.Errors))
	}
	if b := r.Bestseller; b != nil {
		writeBestseller(row, b)
	}
	if rs := r.Restart; rs != nil {
		row("rolling restart, failed requests", strconv.Itoa(rs.Failed),
			fmt.Sprintf("%d holds placed while %v restarted in turn (SIGTERM) %v; %d not approved; %d violations",
				rs.Holds, rs.Targets, restartTimes(rs), rs.NotApproved, len(rs.Violations)))
	}
	for _, f := range r.Profiles {
		row("cpu profile", filepath.Base(f), f)
	}
	for _, m := range r.Memory {
		if m.Error != "" {
			row("peak RSS "+m.Process, "na", m.Error)
			continue
		}
		row("peak RSS "+m.Process, fmt.Sprintf("%.1f MiB", float64(m.HWMKiB)/1024),
			fmt.Sprintf("pid %d, VmHWM; now %.1f MiB", m.PID, float64(m.RSSKiB)/1024))
	}
	if e := r.Estimate; e != nil {
		row("estimates ready inside their range", num(Float(e.Share()), 3),
			fmt.Sprintf("%d of %d holds over %d generated years; mean range %.1f days; %d too wide; {inside, holds} by holds ahead %v",
				e.Inside, e.Holds, len(e.Years), e.MeanDays, e.WidthBroken, e.ByAhead))
	}
	_ = w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row("target", "value", "goal", "")
	for _, t := range r.Targets {
		verdict := "met"
		if !t.Met {
			verdict = "MISSED"
		}
		prec := 0
		if strings.HasPrefix(t.Name, "placement/") || strings.HasPrefix(t.Name, "estimates") {
			prec = 2
		}
		row(t.Name, num(t.Value, prec), t.Target, verdict)
	}
	_ = w.Flush()
	for _, n := range r.Notes {
		fmt.Fprintln(out, "note:", n)
	}
	fmt.Fprintln(out)
}

func writeBestseller(row func(...string), b *Bestseller) {
	if b.Skipped != "" {
		row("bestseller burst", "na", b.Skipped)
		return
	}
	row("bestseller approvals", num(b.PerSecond, 1)+" /s",
		fmt.Sprintf("%d holds on one title with %d copies from %d clients; POSTs answered in %.1f s, approved in %.1f s, every position shown after %.1f s; %d errors",
			b.Placed, b.Copies, b.Clients, float64(b.PlacedS), float64(b.ApprovedS), float64(b.PositionsS), b.Errors))
	row("  placement → approved", latencyCell(b.Approve), b.Approve.Method)
	row("  every copy returned at once", latencyCell(b.Returns), b.Returns.Method)
	if len(b.Violations) == 0 {
		row("  queue", "ok", "FIFO, positions 1..N, the returned copies to the first holds, one each")
	}
	for _, v := range b.Violations {
		row("  queue", "BROKEN", v)
	}
}

func restartTimes(rs *Restart) string {
	parts := make([]string, 0, len(rs.Targets))
	for _, t := range rs.Targets {
		if d, ok := rs.Restarts[t]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1f s", t, float64(d)))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func latencyCell(l Latency) string {
	if l.Samples == 0 {
		return "na"
	}
	return fmt.Sprintf("p50 %s / p95 %s / p99 %s ms (n=%d, max %s, errors %d)",
		num(l.P50, 0), num(l.P95, 0), num(l.P99, 0), l.Samples, num(l.Max, 0), l.Errors)
}

// cpuCell prints CPU seconds by service, largest first.
func cpuCell(c CPU) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c[a] != c[b] {
			if c[a] > c[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.1f", k, c[k])
	}
	return strings.Join(parts, ", ")
}

// mapCell prints counts sorted by key: "a 1, b 2".
func mapCell(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
