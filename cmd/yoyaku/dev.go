package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"yoyaku/config"
	"yoyaku/internal/devstack"
	"yoyaku/internal/seed"
)

// runDev starts the whole stack in the foreground and stops all of it on Ctrl-C or SIGTERM. State lives in
// the dev directory (YOYAKU_DEV_DIR, default .dev) between runs.
func runDev(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	pgPort := fs.Int("pg-port", 15432, "PostgreSQL port")
	tPort := fs.Int("temporal-port", 7233, "Temporal frontend port")
	tUIPort := fs.Int("temporal-ui-port", 8233, "Temporal Web UI port")
	smtpPort := fs.Int("smtp-port", 1025, "Mailpit SMTP port")
	mailUIPort := fs.Int("mail-ui-port", 8025, "Mailpit web UI and API port")
	binDir := fs.String("bin", "", "where the temporal and mailpit binaries are (default: beside this binary)")
	titles := fs.Int("titles", 0, "grow the catalogue to this many titles at start (bulk-loaded)")
	cluster := fs.Bool("cluster", false, "the production topology: Temporal server on PostgreSQL, 2 API replicas behind nginx, 2 workers (state in .cluster)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cluster && os.Getenv("YOYAKU_DEV_DIR") == "" {
		cfg.DevDir = ".cluster" // never the dev server's state: the cluster's Temporal keeps its own on PostgreSQL
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	if *binDir == "" {
		*binDir = filepath.Dir(self)
	}
	dir, err := filepath.Abs(cfg.DevDir)
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	o := stackOptions{
		Dir: dir, BinDir: *binDir, Self: self, Out: os.Stderr, Titles: *titles,
		PGPort: *pgPort, TemporalPort: *tPort, TemporalUIPort: *tUIPort, SMTPPort: *smtpPort, MailUIPort: *mailUIPort,
		HTTPAddr: cfg.HTTPAddr, APIMetricsAddr: cfg.MetricsAddr, MetricsAddr: cfg.WorkerMetricsAddr,
	}
	ports := []int{*pgPort, *tPort, *tUIPort, *smtpPort, *mailUIPort}
	if *cluster {
		if o.Cluster, err = devClusterOptions(cfg, *tPort); err != nil {
			return err
		}
		ports = append(clusterPorts(o.Cluster), *pgPort, *tUIPort, *smtpPort, *mailUIPort)
	}
	if err := preflight(*binDir, cfg, ports, *cluster); err != nil {
		return err
	}
	start := time.Now()
	st, err := startStack(ctx, log, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C while starting is not a failure
		}
		return err
	}
	defer st.stop(log)
	if *cluster {
		printClusterBanner(o, dir, time.Since(start))
	} else {
		printBanner(cfg, *tPort, *tUIPort, *smtpPort, *mailUIPort, *pgPort, dir, time.Since(start))
	}

	// Run until Ctrl-C/SIGTERM, or until a service dies on its own.
	died := make(chan *devstack.Proc, len(st.procs))
	for _, p := range st.procs {
		go func() {
			<-p.Done()
			died <- p
		}()
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case p := <-died:
		return fmt.Errorf("dev: %s exited unexpectedly: %v", p.Name, p.Err())
	}
}

// preflight says in one line what is missing before anything starts.
func preflight(binDir string, cfg config.Config, ports []int, cluster bool) error {
	if err := devstack.CheckPostgresBinaries(""); err != nil {
		return err
	}
	bins := []string{"temporal", "mailpit"}
	if cluster {
		bins = append(bins, clusterBins...)
		if _, err := devstack.NginxBin(); err != nil {
			return err
		}
	}
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return fmt.Errorf("%s not found in %s: run `make tools` (or `make dev`, which builds it)", b, binDir)
		}
	}
	for _, a := range []struct{ name, addr string }{
		{"YOYAKU_HTTP_ADDR", cfg.HTTPAddr}, {"YOYAKU_METRICS_ADDR", cfg.MetricsAddr}, {"YOYAKU_WORKER_METRICS_ADDR", cfg.WorkerMetricsAddr},
	} {
		_, port, err := net.SplitHostPort(a.addr)
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("%s: port %q is not a number", a.name, port)
		}
		ports = append(ports, p)
	}
	for _, p := range ports {
		if !devstack.PortFree(p) {
			return fmt.Errorf("port %d is already in use: stop whatever listens there (another `make dev`?) or change the port", p)
		}
	}
	return nil
}

func waitHealthy(ctx context.Context, url string, procs []*devstack.Proc) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		for _, p := range procs {
			select {
			case <-p.Done():
				return fmt.Errorf("dev: %s exited while starting: %v", p.Name, p.Err())
			default:
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("dev: %s did not answer 200 within 2 minutes", url)
			}
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printBanner(cfg config.Config, tPort, tUI, smtp, mailUI, pgPort int, dir string, took time.Duration) {
	fmt.Fprintf(os.Stderr, `
yoyaku is running (ready in %s). Ctrl-C stops everything.

  API and web pages  http://%s
  Metrics            API http://%s/metrics   worker http://%s/metrics
  Temporal           127.0.0.1:%d   Web UI http://127.0.0.1:%d
  Mail (Mailpit)     SMTP 127.0.0.1:%d   Web UI http://127.0.0.1:%d
  PostgreSQL         127.0.0.1:%d   (user yoyaku, password yoyaku, database yoyaku)
  State              %s

Demo accounts (dev only):
`, took.Round(100*time.Millisecond), cfg.HTTPAddr, cfg.MetricsAddr, cfg.WorkerMetricsAddr, tPort, tUI, smtp, mailUI, pgPort, dir)
	printDemoAccounts()
}

func printDemoAccounts() {
	for _, p := range seed.DemoPatrons {
		fmt.Fprintf(os.Stderr, "  patron  %-8s password %-12s %s\n", p.Login, p.Password, p.Name)
	}
	for _, s := range seed.DemoStaff {
		fmt.Fprintf(os.Stderr, "  staff   %-8s password %-12s %s\n", s.Login, s.Password, s.Name)
	}
	fmt.Fprintln(os.Stderr)
}
