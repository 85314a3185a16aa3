package bench

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"yoyaku/estimate"
	"yoyaku/internal/testenv"
)

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1) // 1 … 100
	}
	for _, c := range []struct {
		name   string
		sorted []float64
		p      float64
		want   float64
	}{
		{"p50 of 1..100", hundred, 50, 50},
		{"p95 of 1..100", hundred, 95, 95},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the max", hundred, 100, 100},
		{"tiny p is the min", hundred, 0.001, 1},
		{"one sample", []float64{7}, 99, 7},
		{"p50 of two takes the lower", []float64{1, 2}, 50, 1},
		{"p99 of ten is the max", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"p95 of 200 is the 190th", seq(200), 95, 190},
		{"p99 of 200 is the 198th", seq(200), 99, 198},
	} {
		if got := Percentile(c.sorted, c.p); float64(got) != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got.Valid() {
		t.Errorf("no samples: got %v, want NaN", got)
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

func TestSummarizeSortsAndConvertsToMilliseconds(t *testing.T) {
	l := Summarize([]time.Duration{300 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 1500 * time.Microsecond}, 2, "m")
	if l.Samples != 4 || l.Errors != 2 || l.Method != "m" {
		t.Fatalf("got %+v", l)
	}
	if l.P50 != 100 || l.P95 != 300 || l.P99 != 300 || l.Max != 300 {
		t.Errorf("got p50 %v p95 %v p99 %v max %v, want 100 300 300 300", l.P50, l.P95, l.P99, l.Max)
	}
	if e := Summarize(nil, 3, ""); e.Samples != 0 || e.P99.Valid() || e.Max.Valid() {
		t.Errorf("empty: %+v", e)
	}
}

func TestLastLineFormat(t *testing.T) {
	s := Summary{Ratio: 0.6049, ApproveP99Ms: 123.5, NotifyP99Ms: 456.4, EventsPerHold: 33, SearchP95Ms: 12.2,
		BestsellerPerS: 41.26, BestsellerP99Ms: 1830.2, RestartFailed: 0}
	want := "ratio=0.60 approve_p99_ms=124 notify_p99_ms=456 events_per_hold=33 search_p95_ms=12 " +
		"bestseller_per_s=41.3 bestseller_p99_ms=1830 restart_failed=0"
	if got := s.LastLine(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	s.SearchP95Ms, s.Ratio, s.BestsellerPerS, s.BestsellerP99Ms, s.RestartFailed = NaN, Float(math.Inf(1)), NaN, NaN, NaN
	want = "ratio=na approve_p99_ms=124 notify_p99_ms=456 events_per_hold=33 search_p95_ms=na " +
		"bestseller_per_s=na bestseller_p99_ms=na restart_failed=na"
	if got := s.LastLine(); got != want {
		t.Errorf("not measured: got %q, want %q", got, want)
	}
}

func TestCheckComparesWithTheTargets(t *testing.T) {
	r := &Report{}
	r.Placement.Ratio = 0.5
	r.Approve.P99, r.Notify.P99, r.Search.WorstP95 = 999, 2000, NaN
	r.Lifecycle = Lifecycle{Holds: 3, EventsMin: 30, EventsMax: 40}
	r.Check()
	met := map[string]bool{}
	for _, c := range r.Targets {
		met[c.Name] = c.Met
	}
	want := map[string]bool{
		"placement/baseline throughput": true, // ≥ 0.5
		"placement → approved p99 (ms)": true, // < 1000
		"check-in → e-mail p99 (ms)":    false,
		"history events per hold":       true,  // ≤ 40, the longest history counts
		"catalogue search p95 (ms)":     false, // not measured is not met
	}
	for k, v := range want {
		if got, ok := met[k]; !ok || got != v {
			t.Errorf("%s: met=%v (present %v), want %v", k, got, ok, v)
		}
	}
	if r.Summary.EventsPerHold != 40 {
		t.Errorf("events per hold = %v, want the longest history, 40", r.Summary.EventsPerHold)
	}
}

// TestReportJSONShape pins the JSON the bench writes to --out: field names, null for a figure not measured,
// and a round trip.
func TestReportJSONShape(t *testing.T) {
	r := &Report{StartedAt: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), Took: 300,
		Machine:  Machine{CPUs: 2, MemoryGiB: 24, OS: "linux/amd64", Go: "go1.26", Stack: "dev"},
		Settings: Settings{Patrons: 60, Titles: 200000, Copies: 40, Holds: 200, Concurrency: 16, Duration: 20, Rate: 10, PollMs: 10, SearchQueries: 200, Lifecycles: 5},
		Placement: Placement{
			Baseline:       []Throughput{{N: 200, Concurrency: 16, StartedS: 2, CompletedS: 2.5, StartedPer: 100, PerSecond: 80}},
			BaselinePerSec: 80, Holds: Throughput{N: 200, Concurrency: 16, PerSecond: 48, StartedPer: 60}, Ratio: 0.6,
			UnderLoad: Summarize([]time.Duration{time.Second}, 0, "load"),
		},
		Approve:   Summarize([]time.Duration{50 * time.Millisecond}, 0, "paced"),
		Notify:    Summarize(nil, 0, ""),
		Lifecycle: Lifecycle{Holds: 1, EventsMin: 33, EventsMax: 33, Categories: map[string]int{"timers": 2}, Actions: 14},
		Search:    Search{Titles: 200000, ByLength: []SearchLength{{Chars: 1, Latency: Summarize([]time.Duration{time.Millisecond}, 0, ""), Hits: 12}}, WorstP95: 1},
		Memory:    []Memory{{Process: "worker", PID: 42, HWMKiB: 50000, RSSKiB: 40000}},
	}
	r.Check()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"started_at", "took_s", "machine", "settings", "placement", "approve", "notify", "lifecycle", "search", "memory", "summary", "targets"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("top-level key %q missing in %s", k, b)
		}
	}
	summary := generic["summary"].(map[string]any)
	for _, k := range []string{"ratio", "approve_p99_ms", "notify_p99_ms", "events_per_hold", "search_p95_ms"} {
		if _, ok := summary[k]; !ok {
			t.Errorf("summary key %q missing", k)
		}
	}
	if summary["notify_p99_ms"] != nil {
		t.Errorf("a figure not measured must be null, got %v", summary["notify_p99_ms"])
	}
	if summary["ratio"] != 0.6 || summary["events_per_hold"] != 33.0 {
		t.Errorf("summary = %v", summary)
	}
	placement := generic["placement"].(map[string]any)
	for _, k := range []string{"baseline", "baseline_per_s", "holds", "ratio", "approve_under_load"} {
		if _, ok := placement[k]; !ok {
			t.Errorf("placement key %q missing", k)
		}
	}
	holds := placement["holds"].(map[string]any)
	for _, k := range []string{"n", "concurrency", "errors", "started_s", "completed_s", "started_per_s", "completed_per_s"} {
		if _, ok := holds[k]; !ok {
			t.Errorf("throughput key %q missing", k)
		}
	}
	for _, k := range []string{"samples", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms"} {
		if _, ok := generic["approve"].(map[string]any)[k]; !ok {
			t.Errorf("latency key %q missing", k)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary.LastLine() != r.Summary.LastLine() {
		t.Errorf("round trip: %q != %q", back.Summary.LastLine(), r.Summary.LastLine())
	}
	var table strings.Builder
	r.WriteTable(&table)
	for _, want := range []string{"hold placement via HTTP", "check-in → e-mail", "search, 1-char queries", "peak RSS worker", "MISSED"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestSearchQueriesHaveTheirLength(t *testing.T) {
	for _, n := range searchLengths {
		if len(searchQueries[n]) < 20 {
			t.Errorf("only %d queries of %d characters", len(searchQueries[n]), n)
		}
		for _, q := range searchQueries[n] {
			if got := utf8.RuneCountInString(q); got != n {
				t.Errorf("query %q has %d characters, listed under %d", q, got, n)
			}
		}
	}
	plan := queryPlan(2, 150, rand.New(rand.NewPCG(1, 2)))
	if len(plan) != 150 {
		t.Fatalf("plan has %d queries, want 150", len(plan))
	}
	for _, q := range plan {
		if !slices.Contains(searchQueries[2], q) {
			t.Errorf("plan query %q is not a 2-character query", q)
		}
	}
}

func TestParseProcStatus(t *testing.T) {
	status := "Name:\tyoyaku\nVmPeak:\t 1700000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40960 kB\nThreads:\t12\n"
	hwm, rss, err := parseStatus([]byte(status))
	if err != nil || hwm != 51234 || rss != 40960 {
		t.Errorf("got %d %d %v, want 51234 40960", hwm, rss, err)
	}
	if _, _, err := parseStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("a status without VmHWM parsed")
	}
}

func TestParseProcStat(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
	line := "4242 (yoyaku (api)) S 1 4200 4200 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 12 0 1000 0 0\n"
	st, ok := parseStat([]byte(line))
	if !ok || st.ppid != 1 || st.pgrp != 4200 || st.ticks != 210 {
		t.Errorf("got %+v ok %v, want ppid 1 pgrp 4200 ticks 210", st, ok)
	}
	if _, ok := parseStat([]byte("garbage")); ok {
		t.Error("garbage parsed")
	}
	c := CPU{"api": 3.5, "worker": 1}.since(CPU{"api": 1.25})
	if c["api"] != 2.25 || c["worker"] != 1 || c.total() != 3.25 {
		t.Errorf("since = %v", c)
	}
}

func TestCategorizeAndActions(t *testing.T) {
	ev := func(t enumspb.EventType) *historypb.HistoryEvent { return &historypb.HistoryEvent{EventType: t} }
	marker := func(name string, wft int64) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_MARKER_RECORDED,
			Attributes: &historypb.HistoryEvent_MarkerRecordedEventAttributes{MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{
				MarkerName: name, WorkflowTaskCompletedEventId: wft}}}
	}
	started := &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED,
		Attributes: &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: 2}}}
	events := []*historypb.HistoryEvent{
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
		ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED), ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED), ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
		marker("LocalActivity", 4), marker("LocalActivity", 4), marker("Version", 4),
		ev(enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
		ev(enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED), ev(enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED),
		marker("LocalActivity", 12),
		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), started, ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
		ev(enumspb.EVENT_TYPE_TIMER_STARTED), ev(enumspb.EVENT_TYPE_TIMER_CANCELED),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
	}
	cats, types := Categorize(events)
	want := map[string]int{"workflow_start_end": 2, "workflow_tasks": 3, "local_activity_markers": 3, "other_markers": 1,
		"search_attributes": 1, "signals": 3, "updates": 2, "activities": 3, "timers": 2}
	for k, v := range want {
		if cats[k] != v {
			t.Errorf("category %s = %d, want %d (all: %v)", k, cats[k], v, cats)
		}
	}
	if types["MarkerRecorded"] != 4 || types["TimerStarted"] != 1 {
		t.Errorf("types = %v", types)
	}
	total, kinds := Actions(events)
	wantKinds := map[string]int{"workflow_started": 1, "local_activity_tasks": 2, "other_markers": 1, "search_attribute_upserts": 1,
		"signals": 1, "updates": 1, "activity_attempts": 2, "timers": 1}
	for k, v := range wantKinds {
		if kinds[k] != v {
			t.Errorf("actions %s = %d, want %d (all: %v)", k, kinds[k], v, kinds)
		}
	}
	if total != 10 {
		t.Errorf("actions total = %d, want 10", total)
	}
}

func TestValidateChecksHoldSlots(t *testing.T) {
	if err := Defaults.Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	c := Defaults
	c.Patrons = 40 // 200 + 200 + 40 + 5 holds need 45 patrons
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--patrons") {
		t.Errorf("too few patrons: %v", err)
	}
}

func TestPoolSpreadsHoldsAndReserves(t *testing.T) {
	p := &pool{patrons: []*patron{{card: "a", email: "a@x"}, {card: "b", email: "b@x"}, {card: "c", email: "c@x"}}}
	mine, err := p.reserve(2)
	if err != nil || len(mine) != 2 || mine[0] == mine[1] {
		t.Fatalf("reserve: %v %v", mine, err)
	}
	taken := map[string]int{}
	for range 3*holdLimit - 2 {
		pt, err := p.take()
		if err != nil {
			t.Fatal(err)
		}
		taken[pt.card]++
	}
	if _, err := p.take(); err == nil {
		t.Error("took past every patron's limit")
	}
	for _, pt := range p.patrons {
		if pt.holds != holdLimit {
			t.Errorf("patron %s has %d holds, want %d", pt.card, pt.holds, holdLimit)
		}
	}
}

// TestEstimateAccuracyTarget: the estimates' share inside their range is a target of its own (≥ 0.80, no
// range too wide), printed in the table.
func TestEstimateAccuracyTarget(t *testing.T) {
	for _, tc := range []struct {
		acc estimate.Accuracy
		met bool
	}{
		{estimate.Accuracy{Holds: 100, Inside: 80}, true},
		{estimate.Accuracy{Holds: 100, Inside: 79}, false},
		{estimate.Accuracy{Holds: 100, Inside: 90, WidthBroken: 1}, false},
		{estimate.Accuracy{}, false}, // nothing measured
	} {
		r := &Report{Estimate: &tc.acc}
		r.Check()
		last := r.Targets[len(r.Targets)-1]
		if last.Name != "estimates: ready inside the range" || last.Met != tc.met {
			t.Errorf("%+v: target %+v, want met=%v", tc.acc, last, tc.met)
		}
	}
	var out strings.Builder
	r := &Report{Estimate: &estimate.Accuracy{Holds: 200, Inside: 170, Years: make([]estimate.YearAccuracy, 5)}}
	r.Check()
	r.WriteTable(&out)
	found := false
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "estimates ready inside their range ") {
			found = strings.Contains(line, " 0.850 ") && strings.Contains(line, "170 of 200 holds over 5 generated years")
		}
	}
	if !found {
		t.Errorf("the table lacks the estimates' row:\n%s", out.String())
	}
}

// TestClusterTargets: on the cluster the placement must reach 0.8 of the median baseline, and the bestseller
// and the rolling restart are judged too (a broken queue or a failed request misses, whatever the speed).
func TestClusterTargets(t *testing.T) {
	runs := []Throughput{{PerSecond: 60}, {PerSecond: 28}, {PerSecond: 41}}
	if got := baselineCeiling(runs, true); got != 41 {
		t.Errorf("median of 60, 28, 41 = %v, want 41", got)
	}
	if got := baselineCeiling(runs, false); got != 60 {
		t.Errorf("best of 60, 28, 41 = %v, want 60", got)
	}
	if got := baselineCeiling([]Throughput{{PerSecond: NaN}}, true); got.Valid() {
		t.Errorf("no valid run: %v, want na", got)
	}
	for _, tc := range []struct {
		name      string
		ratio     Float
		best      Bestseller
		restart   Restart
		wantMet   map[string]bool
		wantSumOK bool
	}{
		{"all met", 0.85, Bestseller{PerSecond: 45, Approve: Latency{P99: 1500}}, Restart{Failed: 0},
			map[string]bool{"placement/baseline throughput": true, "bestseller approvals /s": true, "bestseller approve p99 (ms)": true,
				"bestseller queue: FIFO, 1..N, a copy each": true, "rolling restart: failed requests": true}, true},
		{"slow and broken", 0.7, Bestseller{PerSecond: 30, Approve: Latency{P99: 2500}, Violations: []string{"hold 3 got two copies"}},
			Restart{Failed: 2, Violations: []string{"yoyaku check: fifo"}},
			map[string]bool{"placement/baseline throughput": false, "bestseller approvals /s": false, "bestseller approve p99 (ms)": false,
				"bestseller queue: FIFO, 1..N, a copy each": false, "rolling restart: failed requests": false}, true},
		{"restart clean but check found something", 0.9, Bestseller{PerSecond: 45, Approve: Latency{P99: 10}},
			Restart{Violations: []string{"yoyaku check: stuck"}},
			map[string]bool{"rolling restart: failed requests": false}, true},
		{"skipped bestseller misses", 0.9, Bestseller{Skipped: "needs --database-url", PerSecond: NaN, Approve: Latency{P99: NaN}}, Restart{},
			map[string]bool{"bestseller approvals /s": false, "bestseller queue: FIFO, 1..N, a copy each": false}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Settings: Settings{Cluster: true}, Bestseller: &tc.best, Restart: &tc.restart}
			r.Placement.Ratio = tc.ratio
			r.Check()
			met := map[string]bool{}
			for _, c := range r.Targets {
				met[c.Name] = c.Met
			}
			for k, v := range tc.wantMet {
				if got, ok := met[k]; !ok || got != v {
					t.Errorf("%s: met=%v (present %v), want %v", k, got, ok, v)
				}
			}
			if got := r.Summary.BestsellerPerS.Valid(); got != tc.wantSumOK {
				t.Errorf("bestseller_per_s measured = %v, want %v", got, tc.wantSumOK)
			}
		})
	}
}

// TestBackendDatabase reads a PostgreSQL backend's database from its process title (a real backend of the
// test database), and nothing from the bench's own process.
func TestBackendDatabase(t *testing.T) {
	db := testenv.DB(t)
	var pid int
	var name string
	if err := db.QueryRowContext(t.Context(), `SELECT pg_backend_pid(), current_database()`).Scan(&pid, &name); err != nil {
		t.Fatal(err)
	}
	if got := backendDatabase(pid); got != name {
		t.Errorf("backend %d serves %q, read %q", pid, name, got)
	}
	if got := backendDatabase(os.Getpid()); got != "" {
		t.Errorf("the test process is a backend of %q", got)
	}
}
