package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"yoyaku/config"
	"yoyaku/internal/bench"
	"yoyaku/internal/check"
	"yoyaku/store"
)

// runBench measures a running stack (the one `make dev` starts, by default) against the targets, or with --dev
// starts a private one in a temporary directory on free ports and stops it at the end. The table goes to
// stdout, the same as JSON to --out, and the last line printed is the one-line summary.
func runBench(ctx context.Context, appCfg config.Config, log *slog.Logger, args []string) error {
	d := bench.Defaults
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	dev := fs.Bool("dev", false, "start a private stack (temporary state, free ports) and stop it at the end, instead of the one make dev runs")
	cluster := fs.Bool("cluster", false, "like --dev, in the production topology (Temporal server on PostgreSQL, 2 API replicas behind nginx, 2 workers), with the rolling restart and CPU profiles")
	apiURL := fs.String("api", d.APIURL, "the API's base URL (ignored with --dev)")
	temporal := fs.String("temporal", d.TemporalAddress, "Temporal frontend host:port (ignored with --dev)")
	namespace := fs.String("namespace", d.TemporalNamespace, "Temporal namespace")
	mailpit := fs.String("mailpit", d.MailpitURL, "Mailpit's web UI and API base URL (ignored with --dev)")
	dbURL := fs.String("database-url", d.DatabaseURL, "PostgreSQL URL, used only to grow the catalogue to --titles (ignored with --dev; empty: leave it)")
	binDir := fs.String("bin", "", "with --dev: where the temporal and mailpit binaries are (default: beside this binary)")
	out := fs.String("out", "", "write the report as JSON to this file")
	keep := fs.Bool("keep", false, "with --dev: keep the private stack's state directory and service logs (stack.log)")
	cfg := d
	fs.IntVar(&cfg.Patrons, "patrons", d.Patrons, "patrons created for the run (each gets at most 10 holds)")
	fs.IntVar(&cfg.Titles, "titles", d.Titles, "grow the catalogue to this many titles for the search measurement (0: leave it)")
	fs.IntVar(&cfg.Copies, "copies", d.Copies, "lent copies checked in for the check-in → e-mail latency (one sample each)")
	fs.IntVar(&cfg.Holds, "holds", d.Holds, "holds placed in the throughput run; each baseline run starts as many empty workflows")
	fs.IntVar(&cfg.Concurrency, "concurrency", d.Concurrency, "concurrent clients in the throughput and baseline runs")
	fs.DurationVar(&cfg.Duration, "duration", d.Duration, "length of the paced placement → approved run")
	fs.Float64Var(&cfg.Rate, "rate", d.Rate, "holds per second in the paced run")
	fs.DurationVar(&cfg.Poll, "poll", d.Poll, "poll interval for hold status (bounds the precision of the approval latency)")
	fs.IntVar(&cfg.Queries, "search-queries", d.Queries, "catalogue searches per query length (1, 2 and 5 characters)")
	fs.IntVar(&cfg.SearchClients, "search-clients", d.SearchClients, "concurrent clients sending the catalogue searches")
	fs.IntVar(&cfg.Lifecycles, "lifecycles", d.Lifecycles, "holds taken through a whole normal life for their history")
	fs.DurationVar(&cfg.NotifyGap, "checkin-gap", d.NotifyGap, "time between the measured check-ins")
	fs.IntVar(&cfg.BestsellerPatrons, "bestseller", d.BestsellerPatrons, "patrons of the bestseller burst, a hold each on one title (0: skip it; needs --database-url)")
	fs.IntVar(&cfg.BestsellerCopies, "bestseller-copies", d.BestsellerCopies, "copies of the bestseller, all on loan, returned at once after the burst")
	fs.IntVar(&cfg.BestsellerClients, "bestseller-clients", d.BestsellerClients, "concurrent clients of the bestseller burst")
	fs.IntVar(&cfg.RestartHolds, "restart-holds", d.RestartHolds, "with --cluster: holds placed during the rolling restart")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %v", fs.Args())
	}
	if *cluster {
		clusterDefaults(fs, &cfg)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.APIURL, cfg.TemporalAddress, cfg.TemporalNamespace, cfg.MailpitURL, cfg.DatabaseURL = *apiURL, *temporal, *namespace, *mailpit, *dbURL
	cfg.Stack = "running stack at " + cfg.APIURL
	cfg.Log = log
	*dev = *dev || *cluster

	var st *runningStack
	var stateDir string
	stopStack := func() {
		if st != nil {
			st.stop(log)
			st = nil
		}
	}
	defer stopStack()
	if *dev {
		var err error
		st, stateDir, err = startBenchStack(ctx, log, *binDir, &cfg, *cluster)
		if err != nil {
			if stateDir != "" {
				log.Error("the stack did not start; its logs are kept", "log", filepath.Join(stateDir, "stack.log"))
			}
			return err
		}
	}

	// The rolling restart ends with `yoyaku check` on the stack measured.
	cfg.Check = &check.Options{TaskQueue: appCfg.TaskQueue, Settle: 2 * time.Second, Mailpit: cfg.MailpitURL,
		Limits: store.Limits{Total: appCfg.HoldLimitTotal, AV: appCfg.HoldLimitAV}, CancelApprovalDelay: appCfg.CancelApprovalDelay,
		TimeZone: appCfg.Location.String()}
	rep, err := bench.Run(ctx, cfg)
	stopStack()
	if err != nil {
		if stateDir != "" {
			log.Error("the services' logs are kept", "log", filepath.Join(stateDir, "stack.log"))
		}
		return err
	}
	if stateDir != "" && *keep {
		log.Info("the private stack's state and logs are kept", "dir", stateDir)
	} else if stateDir != "" {
		if err := os.RemoveAll(stateDir); err != nil {
			log.Warn("remove the bench's state", "dir", stateDir, "err", err)
		}
	}
	rep.WriteTable(os.Stdout)
	if *out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		fmt.Printf("report written to %s\n", *out)
	}
	fmt.Println(rep.Summary.LastLine())
	return nil
}

// startBenchStack starts a private stack for --dev or --cluster (startPrivateStack) and points cfg at it.
func startBenchStack(ctx context.Context, log *slog.Logger, binDir string, cfg *bench.Config, cluster bool) (*runningStack, string, error) {
	st, dir, err := startPrivateStack(ctx, log, binDir, "bench", nil, cluster)
	if err != nil {
		return nil, dir, err
	}
	o := st.o
	cfg.APIURL = "http://" + o.HTTPAddr
	cfg.TemporalAddress = fmt.Sprintf("127.0.0.1:%d", o.TemporalPort)
	cfg.MailpitURL = fmt.Sprintf("http://127.0.0.1:%d", o.MailUIPort)
	cfg.DatabaseURL = st.databaseURL
	cfg.WorkerPID, cfg.APIPID = st.worker.Pid(), st.api.Pid()
	cfg.Groups = map[string]int{}
	for _, p := range st.procs { // each runs in a process group of its own, led by itself
		cfg.Groups[p.Name] = p.Pid()
	}
	cfg.Stack = "private (--dev): PostgreSQL 15, Temporal dev server (SQLite file), Mailpit, worker, API on free ports"
	if c := o.Cluster; c != nil {
		cfg.Cluster = true
		cfg.Stack = "private (--cluster): PostgreSQL 15, Temporal server " + temporalServerVersion +
			" on it, Mailpit, 2 workers, 2 API replicas behind nginx, on free ports"
		// One worker and one API replica go down in turn; the other of each carries the load meanwhile.
		cfg.RestartTargets = []string{clusterWorkers[0], clusterAPIs[0]}
		cfg.Restart = func(ctx context.Context, name string) error { return st.restart(ctx, name, false) }
		cfg.Profiles = map[string]string{
			clusterAPIs[0]: "http://" + c.APIMetricsAddrs[0], clusterWorkers[0]: "http://" + c.WorkerMetricsAddrs[0],
		}
		// The profiles outlive the stack's state directory, which goes at the end unless --keep.
		if cfg.ProfileDir, err = os.MkdirTemp("", "yoyaku-bench-profiles-"); err != nil {
			return st, dir, fmt.Errorf("bench: %w", err)
		}
		// Memory is read at the end from the replicas that were never restarted.
		for _, p := range st.procs {
			switch p.Name {
			case clusterWorkers[1]:
				cfg.WorkerPID = p.Pid()
			case clusterAPIs[1]:
				cfg.APIPID = p.Pid()
			}
		}
	}
	return st, dir, nil
}

// clusterDefaults are --cluster's sizes where the flags leave them: runs of 1,000 holds (shorter ones are
// noise on a Temporal server on PostgreSQL) with patrons enough for them, and the 1,000,000-title catalogue.
func clusterDefaults(fs *flag.FlagSet, cfg *bench.Config) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["holds"] {
		cfg.Holds = 1000
	}
	if !set["titles"] {
		cfg.Titles = 1_000_000
	}
	if !set["patrons"] {
		// Restart is set only once the stack runs: count its holds now.
		cfg.Patrons = max(cfg.Patrons, (cfg.Holds+int(cfg.Rate*cfg.Duration.Seconds())+cfg.Copies+cfg.Lifecycles+cfg.RestartHolds+9)/10)
	}
}
