// Package bench measures a running yoyaku against the targets in the README's Benchmark section, the way real clients see it:
// patrons and staff through the HTTP API, mail through the SMTP sink's API (Mailpit), and Temporal only to
// read histories and to run the baseline of bare empty workflows. `yoyaku bench` runs it.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/jmoiron/sqlx"

	"yoyaku/estimate"
	"yoyaku/internal/apiclient"
	"yoyaku/internal/check"
	"yoyaku/internal/seed"
	"yoyaku/store"
)

// Config says what to measure and where.
type Config struct {
	APIURL            string // http://127.0.0.1:8080
	MailpitURL        string // http://127.0.0.1:8025 (Mailpit's web UI and API)
	TemporalAddress   string
	TemporalNamespace string
	// DatabaseURL is used for one thing only: growing the catalogue to Titles with seed.Bulk (COPY). Empty
	// leaves the catalogue as it is.
	DatabaseURL string
	Stack       string // how the stack was started, for the report

	Patrons     int           // patrons created for the run (each holds at most 10)
	Titles      int           // catalogue size for the search measurement
	Copies      int           // lent copies returned for the check-in → e-mail measurement (one sample each)
	Holds       int           // holds placed in the throughput run (and empty workflows in each baseline run)
	Concurrency int           // clients in the throughput and baseline runs
	Duration    time.Duration // length of the paced approval-latency run
	Rate        float64       // holds per second in the paced run
	Poll        time.Duration // poll interval for hold status
	Queries     int           // search queries per query length
	// SearchClients send the search queries at once, each its share one after another.
	SearchClients int
	Lifecycles    int           // holds taken through a whole normal life for their histories
	NotifyGap     time.Duration // time between check-ins

	// The bestseller burst (Bestseller): BestsellerPatrons patrons, one title with BestsellerCopies copies,
	// BestsellerClients clients. 0 patrons skips it; it needs DatabaseURL (patrons are enrolled there).
	BestsellerPatrons, BestsellerCopies, BestsellerClients int

	// Cluster says the stack is the production topology: the baseline is then the median of three runs and
	// the placement target 0.8 of it.
	Cluster bool
	// Restart restarts one service of the stack (by its name in RestartTargets) and returns once it is
	// ready again: the rolling restart places RestartHolds holds meanwhile. nil skips it.
	Restart        func(ctx context.Context, name string) error
	RestartTargets []string
	RestartHolds   int
	// Check, when set (and DatabaseURL), runs `yoyaku check` with these options after the rolling restart.
	Check *check.Options
	// Profiles are services' operator listeners (name → base URL) whose CPU profiles are taken during the
	// hold placement run, into ProfileDir.
	Profiles   map[string]string
	ProfileDir string

	StaffLogin, StaffPassword string
	// PIDs of the worker and API processes for their peak memory; 0 finds them by command line.
	WorkerPID, APIPID int
	// Groups are the services' process groups (name → ID), to account for CPU time; nil when unknown.
	Groups map[string]int
	Log    *slog.Logger
}

// Defaults are the flags' defaults: `make bench` finishes well within 10 minutes on a 2-core machine.
var Defaults = Config{
	APIURL: "http://127.0.0.1:8080", MailpitURL: "http://127.0.0.1:8025",
	TemporalAddress: "127.0.0.1:7233", TemporalNamespace: "default",
	DatabaseURL: "postgres://yoyaku:yoyaku@127.0.0.1:15432/yoyaku?sslmode=disable",
	Patrons:     60, Titles: 200_000, Copies: 40, Holds: 200, Concurrency: 16,
	Duration: 40 * time.Second, Rate: 5, Poll: 10 * time.Millisecond, Queries: 200, SearchClients: 4, Lifecycles: 5,
	NotifyGap:         500 * time.Millisecond,
	BestsellerPatrons: 2000, BestsellerCopies: 20, BestsellerClients: 32, RestartHolds: 400,
	StaffLogin: "staff", StaffPassword: "staff-demo",
}

// Validate checks that the numbers fit together.
func (c Config) Validate() error {
	switch {
	case c.Patrons < 1, c.Holds < 1, c.Concurrency < 1, c.SearchClients < 1, c.Copies < 0, c.Lifecycles < 0, c.Titles < 0, c.Queries < 0:
		return errors.New("bench: --patrons, --holds, --concurrency and --search-clients must be positive; the others not negative")
	case c.BestsellerPatrons < 0 || c.RestartHolds < 0:
		return errors.New("bench: --bestseller and --restart-holds must not be negative")
	case c.BestsellerPatrons > 0 && (c.BestsellerCopies < 1 || c.BestsellerClients < 1 || c.BestsellerCopies >= c.BestsellerPatrons):
		return errors.New("bench: the bestseller needs at least one copy and one client, and fewer copies than patrons")
	case c.Rate <= 0 || c.Duration <= 0 || c.Poll <= 0:
		return errors.New("bench: --rate, --duration and --poll must be positive")
	case c.Copies+c.Lifecycles > c.Patrons:
		return fmt.Errorf("bench: %d notification samples and %d lifecycles need a patron each: --patrons must be at least %d",
			c.Copies, c.Lifecycles, c.Copies+c.Lifecycles)
	}
	if need := c.totalHolds(); need > holdLimit*c.Patrons {
		return fmt.Errorf("bench: %d holds and %d per patron: --patrons must be at least %d", need, holdLimit, (need+holdLimit-1)/holdLimit)
	}
	return nil
}

func (c Config) pacedHolds() int { return max(1, int(c.Rate*c.Duration.Seconds())) }

func (c Config) totalHolds() int {
	return c.Holds + c.pacedHolds() + c.Copies + c.Lifecycles + c.restartHolds()
}

func (c Config) restartHolds() int {
	if c.Restart == nil {
		return 0
	}
	return c.RestartHolds
}

// Run measures everything and returns the report. Setup failures are errors; a phase that fails leaves its
// figures unmeasured (na) with a note.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	r := &Report{StartedAt: start, Machine: machine(cfg.Stack), Settings: Settings{
		Patrons: cfg.Patrons, Titles: cfg.Titles, Copies: cfg.Copies, Holds: cfg.Holds, Concurrency: cfg.Concurrency,
		Duration: Seconds(cfg.Duration.Seconds()), Rate: cfg.Rate, PollMs: float64(cfg.Poll) / float64(time.Millisecond),
		SearchQueries: cfg.Queries, SearchClients: cfg.SearchClients, Lifecycles: cfg.Lifecycles, Cluster: cfg.Cluster,
	}}
	r.Placement.Ratio, r.Placement.BaselinePerSec = NaN, NaN
	r.Approve, r.ApprovePOST, r.Notify = Summarize(nil, 0, ""), Summarize(nil, 0, ""), Summarize(nil, 0, "")
	r.Search.WorstP95, r.Search.Titles = NaN, cfg.Titles

	hc := apiclient.NewHTTPClient()
	api := &apiclient.Client{Base: strings.TrimRight(cfg.APIURL, "/"), HC: hc}
	mail := &apiclient.MailpitClient{Base: strings.TrimRight(cfg.MailpitURL, "/"), HC: hc}
	tc, err := client.DialContext(ctx, client.Options{
		HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace,
		Logger: tlog.NewStructuredLogger(slog.New(warnOnly{log.Handler()}).With("component", "temporal")),
	})
	if err != nil {
		return nil, fmt.Errorf("bench: temporal: %w", err)
	}
	defer tc.Close()
	bw, err := startBaselineWorker(tc)
	if err != nil {
		return nil, err
	}
	defer bw.Stop()

	var db *sqlx.DB // the bestseller's patrons and approval times, and the check
	if cfg.DatabaseURL != "" {
		if db, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer db.Close()
	}

	// The catalogue grows (COPY, ~20 s) while the fixtures are made; nothing is measured until both are done.
	grown := make(chan error, 1)
	go func() { grown <- growCatalogue(ctx, cfg, r, log) }()

	run := runID()
	seedN := uint64(time.Now().UnixNano())
	f := newFixtureMaker(api, run, seedN, 4)
	log.Info("setup: patrons", "patrons", cfg.Patrons, "run", run)
	fx, err := f.setup(ctx, cfg.StaffLogin, cfg.StaffPassword, cfg.Patrons)
	if err != nil {
		return nil, fmt.Errorf("bench: setup: %w", err)
	}
	mine, err := fx.patrons.reserve(cfg.Copies + cfg.Lifecycles)
	if err != nil {
		return nil, err
	}
	notifyPatrons, lifePatrons := mine[:cfg.Copies], mine[cfg.Copies:]
	log.Info("setup: titles with a copy each", "throughput", cfg.Holds, "paced", cfg.pacedHolds())
	tput, err := f.newCopies(ctx, fx, cfg.Holds)
	if err != nil {
		return nil, fmt.Errorf("bench: setup: %w", err)
	}
	paced, err := f.newCopies(ctx, fx, cfg.pacedHolds())
	if err != nil {
		return nil, fmt.Errorf("bench: setup: %w", err)
	}
	var restartTitles []copyFixture
	if cfg.Restart != nil {
		if restartTitles, err = f.newCopies(ctx, fx, cfg.RestartHolds); err != nil {
			return nil, fmt.Errorf("bench: setup: %w", err)
		}
	}
	log.Info("setup: lent copies with a waiting hold each", "samples", cfg.Copies)
	samples, err := prepareNotify(ctx, api, f, fx, notifyPatrons, cfg.Poll)
	if err != nil {
		return nil, fmt.Errorf("bench: setup: %w", err)
	}
	if err := <-grown; err != nil {
		return nil, err
	}
	// Warm the baseline worker up (the API and the yoyaku worker are warm from the setup), then let the
	// setup's last workflows finish.
	_ = runBaseline(ctx, tc, run, 0, min(20, cfg.Holds), cfg.Concurrency, log)
	time.Sleep(2 * time.Second)

	log.Info("throughput: baseline, holds, baseline", "n", cfg.Holds, "concurrency", cfg.Concurrency, "cluster", cfg.Cluster)
	p := &r.Placement
	cpu0 := sampleCPU(cfg.Groups)
	p.Baseline = append(p.Baseline, runBaseline(ctx, tc, run, 1, cfg.Holds, cfg.Concurrency, log))
	cpu1 := sampleCPU(cfg.Groups)
	p.Baseline[0].CPU = cpu1.since(cpu0)
	profiled := takeProfiles(ctx, cfg.Profiles, cfg.ProfileDir, "placement", profileSeconds(cfg.Holds), log)
	p.Holds, p.UnderLoad = runPlacement(ctx, api, db, fx, tput, cfg.Concurrency, max(cfg.Poll, sweepPause))
	cpu2 := sampleCPU(cfg.Groups)
	p.Holds.CPU = cpu2.since(cpu1)
	r.Profiles = append(r.Profiles, profiled()...)
	after := 1
	if cfg.Cluster {
		after = 2
	}
	for i := range after {
		c0 := sampleCPU(cfg.Groups)
		b := runBaseline(ctx, tc, run, 2+i, cfg.Holds, cfg.Concurrency, log)
		b.CPU = sampleCPU(cfg.Groups).since(c0)
		p.Baseline = append(p.Baseline, b)
	}
	p.BaselinePerSec = baselineCeiling(p.Baseline, cfg.Cluster)
	if p.BaselinePerSec.Valid() && p.BaselinePerSec > 0 && p.Holds.PerSecond.Valid() {
		p.Ratio = p.Holds.PerSecond / p.BaselinePerSec
	}
	if p.Holds.Errors > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d of %d throughput holds failed or were not seen approved", p.Holds.Errors, p.Holds.N))
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	log.Info("approval latency, paced", "rate", cfg.Rate, "duration", cfg.Duration)
	time.Sleep(time.Second)
	r.Approve, r.ApprovePOST = runApproveLatency(ctx, api, fx, paced, cfg.Rate, cfg.Poll)

	log.Info("check-in → e-mail", "samples", len(samples))
	time.Sleep(time.Second)
	r.Notify = runNotify(ctx, api, mail, fx, run, samples, cfg.NotifyGap, log)
	for _, s := range samples {
		if s.err == nil && !s.got.IsZero() {
			if w, err := checkinHistory(ctx, tc, s); err != nil {
				r.Notes = append(r.Notes, "check-in history: "+err.Error())
			} else {
				r.Checkin = &w
			}
			break
		}
	}

	log.Info("whole lifecycles", "holds", cfg.Lifecycles)
	lc := &r.Lifecycle
	for _, pt := range lifePatrons {
		wid, events, err := runLifecycle(ctx, api, mail, tc, f, fx, pt, cfg.Poll)
		if err != nil {
			r.Notes = append(r.Notes, "lifecycle: "+err.Error())
			log.Warn("lifecycle failed", "err", err)
			continue
		}
		lc.Holds++
		if lc.EventsMin == 0 || len(events) < lc.EventsMin {
			lc.EventsMin = len(events)
		}
		if len(events) > lc.EventsMax || lc.WorkflowID == "" {
			lc.EventsMax = len(events)
			lc.WorkflowID = wid
			lc.Categories, lc.EventTypes = Categorize(events)
			lc.Bytes = HistoryBytes(events)
			lc.Actions, lc.ActionKind = Actions(events)
		}
	}

	if cfg.BestsellerPatrons > 0 {
		if db == nil {
			r.Bestseller = &Bestseller{Skipped: "needs --database-url (its patrons are enrolled in the database)"}
		} else {
			b := runBestseller(ctx, api, db, f, fx, cfg, log)
			r.Bestseller = &b
		}
	}
	if cfg.Restart != nil {
		log.Info("rolling restart under load", "targets", cfg.RestartTargets, "holds", len(restartTitles))
		var opts *check.Options
		if db != nil {
			opts = cfg.Check
		}
		rs := runRollingRestart(ctx, api, fx, restartTitles, min(cfg.Concurrency, 8), cfg.Restart, cfg.RestartTargets, tc, opts, db, log)
		r.Restart = &rs
		for _, v := range rs.Violations {
			r.Notes = append(r.Notes, "rolling restart: "+v)
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	if cfg.Queries > 0 {
		log.Info("catalogue search", "queries per length", cfg.Queries, "clients", cfg.SearchClients)
		res, err := runSearch(ctx, api, cfg.Queries, cfg.SearchClients, mrand.New(mrand.NewPCG(seedN, 0x736561726368)))
		switch {
		case errors.Is(err, errNoSearch):
			r.Search.Skipped = err.Error()
		case err != nil:
			r.Search.Skipped = "failed: " + err.Error()
		}
		r.Search.ByLength = res
		for _, l := range res {
			if l.Latency.P95.Valid() && (!r.Search.WorstP95.Valid() || l.Latency.P95 > r.Search.WorstP95) {
				r.Search.WorstP95 = l.Latency.P95
			}
		}
	} else {
		r.Search.Skipped = "--search-queries 0"
	}

	r.Memory = memory(cfg)
	r.Machine.LoadEnd = loadAvg()
	log.Info("estimates: measuring over generated years") // after the load reading: a few CPU seconds of its own
	acc := estimate.MeasureAccuracy(estimate.AccuracySeeds)
	r.Estimate = &acc
	r.Took = Seconds(time.Since(start).Seconds())
	r.Check()
	return r, nil
}

// growCatalogue bulk-loads titles up to cfg.Titles. A freshly loaded table is vacuumed and analysed at once,
// as an established catalogue would be, so that autovacuum does not start in the middle of a measurement.
func growCatalogue(ctx context.Context, cfg Config, r *Report, log *slog.Logger) error {
	if cfg.DatabaseURL == "" || cfg.Titles == 0 {
		return nil
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("bench: grow the catalogue: %w", err)
	}
	defer db.Close()
	t := time.Now()
	added, err := seed.Bulk(ctx, db, cfg.Titles)
	if err != nil {
		return fmt.Errorf("bench: grow the catalogue: %w", err)
	}
	r.Search.Added = added
	if added > 0 {
		if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE) titles, items`); err != nil {
			return fmt.Errorf("bench: vacuum the catalogue: %w", err)
		}
	}
	log.Info("catalogue grown", "added", added, "titles", cfg.Titles, "took", time.Since(t).Round(time.Second))
	return nil
}

func memory(cfg Config) []Memory {
	var out []Memory
	for _, p := range []struct {
		name string
		pid  int
	}{{"worker", cfg.WorkerPID}, {"api", cfg.APIPID}} {
		m := Memory{Process: p.name, PID: p.pid}
		if m.PID == 0 {
			if pids := FindProcesses(p.name, cfg.TemporalAddress); len(pids) > 0 {
				m.PID = pids[0]
			}
		}
		if m.PID == 0 {
			m.Error = "no `yoyaku " + p.name + "` process found"
		} else if hwm, rss, err := ProcStatus(m.PID); err != nil {
			m.Error = err.Error()
		} else {
			m.HWMKiB, m.RSSKiB = hwm, rss
		}
		out = append(out, m)
	}
	return out
}

func machine(stack string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), Stack: stack,
		LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kib); err == nil {
			m.MemoryGiB = float64(kib) / (1 << 20)
		}
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load averages, "1.02 0.80 0.51".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// runID is a short random name unique to this run: patrons' addresses, barcodes and workflow IDs carry it.
func runID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// warnOnly passes on warnings and errors only (the SDK's worker logs every start and stop at info).
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(as)} }

func (w warnOnly) WithGroup(name string) slog.Handler { return warnOnly{w.Handler.WithGroup(name)} }

// baselineCeiling is the bare-workflow rate the placement is compared with. On the dev server it is the
// better of the runs (a noisy machine only ever slows a run down, so the ratio errs on the low side); on the
// cluster, whose runs scatter more widely, the median of three.
func baselineCeiling(runs []Throughput, median bool) Float {
	var rates []float64
	for _, b := range runs {
		if b.PerSecond.Valid() {
			rates = append(rates, float64(b.PerSecond))
		}
	}
	if len(rates) == 0 {
		return NaN
	}
	slices.Sort(rates)
	if median {
		return Float(rates[len(rates)/2])
	}
	return Float(rates[len(rates)-1])
}
