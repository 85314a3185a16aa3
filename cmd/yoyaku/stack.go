package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"yoyaku/internal/devstack"
	"yoyaku/store"
)

// stackOptions says where startStack puts the state and which ports the services take.
type stackOptions struct {
	Dir    string // state: PostgreSQL cluster, Temporal's and Mailpit's databases
	BinDir string // where the temporal and mailpit binaries are
	Self   string // this binary, run as `yoyaku worker` and `yoyaku api`
	Out    io.Writer

	PGPort, TemporalPort, TemporalUIPort, SMTPPort, MailUIPort int
	HTTPAddr, APIMetricsAddr                                   string // the API's patron and metrics listeners
	MetricsAddr                                                string // the worker's metrics listener

	Titles int      // grow the catalogue to this many titles before the worker and the API start (0: demo data only)
	Env    []string // more YOYAKU_* settings for the worker and the API

	// Cluster, when set, runs the production topology instead of the dev server: the Temporal server on
	// PostgreSQL (TemporalPort is then its frontend) with the Web UI server on TemporalUIPort, two workers
	// and two API replicas behind nginx, which listens on HTTPAddr.
	Cluster *clusterOptions
}

// clusterOptions are the addresses of the cluster topology's replicas: API i listens on APIAddrs[i] with
// its metrics on APIMetricsAddrs[i], worker i has its metrics on WorkerMetricsAddrs[i].
type clusterOptions struct {
	TemporalPorts                                 devstack.TemporalServerPorts
	APIAddrs, APIMetricsAddrs, WorkerMetricsAddrs [2]string
}

// Replica names in the cluster topology, in start order.
var (
	clusterWorkers = [2]string{"worker-1", "worker-2"}
	clusterAPIs    = [2]string{"api-1", "api-2"}
)

// runningStack is the whole yoyaku stack started by startStack, as child processes.
type runningStack struct {
	procs       []*devstack.Proc // in start order
	worker, api *devstack.Proc
	databaseURL string
	o           stackOptions
	env         []string // the worker's and the API's environment
	deployDir   string   // the cluster topology's shared configuration files (deploy.Files), written out
}

// startStack starts PostgreSQL, the Temporal dev server, Mailpit, the worker and the API, migrates and seeds the
// database, and waits until the worker and the API answer. `yoyaku dev` and `yoyaku bench --dev` share it. On
// failure it stops whatever it started.
func startStack(ctx context.Context, log *slog.Logger, o stackOptions) (_ *runningStack, err error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	st := &runningStack{o: o}
	defer func() {
		if err != nil {
			st.stop(log)
		}
	}()

	pg, err := st.startPostgres(ctx)
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, pg.Proc)
	if err := pg.CreateDatabase(ctx, "yoyaku"); err != nil {
		return nil, err
	}
	st.databaseURL = pg.URL("yoyaku")
	log.Info("postgres ready", "port", o.PGPort, "dir", filepath.Join(o.Dir, "pg"))

	if o.Cluster != nil {
		if err := st.prepareTemporalServer(ctx, pg, log); err != nil {
			return nil, err
		}
	}
	tp, err := st.startTemporal(ctx)
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, tp)
	if o.Cluster != nil {
		if err := st.setupTemporalNamespace(ctx); err != nil {
			return nil, err
		}
		ui, err := st.startTemporalUI(ctx)
		if err != nil {
			return nil, err
		}
		st.procs = append(st.procs, ui)
	}
	log.Info("temporal ready", "port", o.TemporalPort, "ui", o.TemporalUIPort, "cluster", o.Cluster != nil)

	mp, err := devstack.StartMailpit(ctx, devstack.MailpitOptions{
		Bin: filepath.Join(o.BinDir, "mailpit"), Database: filepath.Join(o.Dir, "mailpit.db"),
		SMTPPort: o.SMTPPort, UIPort: o.MailUIPort, Out: o.Out,
	})
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, mp)
	log.Info("mailpit ready", "smtp", o.SMTPPort, "ui", o.MailUIPort)

	db, err := store.Open(ctx, st.databaseURL)
	if err != nil {
		return nil, err
	}
	err = migrate(ctx, db, log)
	if err == nil {
		err = loadSeed(ctx, db, log, o.Titles)
	}
	_ = db.Close()
	if err != nil {
		return nil, err
	}

	st.env = append(os.Environ(),
		"YOYAKU_DATABASE_URL="+st.databaseURL,
		fmt.Sprintf("YOYAKU_TEMPORAL_ADDRESS=127.0.0.1:%d", o.TemporalPort),
		"YOYAKU_SMTP_HOST=127.0.0.1",
		fmt.Sprintf("YOYAKU_SMTP_PORT=%d", o.SMTPPort),
		"YOYAKU_SMTP_TLS=none",
		"YOYAKU_HTTP_ADDR="+o.HTTPAddr,
		"YOYAKU_METRICS_ADDR="+o.APIMetricsAddr,
		"YOYAKU_WORKER_METRICS_ADDR="+o.MetricsAddr,
		devStackEnv+"=1", // the demo accounts loaded above are wanted here: the API does not warn of them
	)
	if o.Cluster != nil {
		extra, err := clusterEnv(o.Dir)
		if err != nil {
			return nil, err
		}
		st.env = append(st.env, extra...)
	}
	st.env = append(st.env, o.Env...)
	apps := []string{"worker", "api"}
	if o.Cluster != nil {
		apps = append(clusterWorkers[:], clusterAPIs[:]...)
	}
	for _, name := range apps {
		p, err := st.startApp(name)
		if err != nil {
			return nil, err
		}
		st.procs = append(st.procs, p)
	}
	for _, name := range apps {
		if err := st.waitApp(ctx, name); err != nil {
			return nil, err
		}
	}
	if o.Cluster != nil {
		np, err := st.startNginx(ctx)
		if err != nil {
			return nil, err
		}
		st.procs = append(st.procs, np)
		if err := waitHealthy(ctx, "http://"+o.HTTPAddr+"/healthz", st.procs); err != nil {
			return nil, err
		}
		log.Info("nginx ready", "addr", o.HTTPAddr, "upstreams", o.Cluster.APIAddrs)
	}
	return st, nil
}

func (st *runningStack) startPostgres(ctx context.Context) (*devstack.Postgres, error) {
	return devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: st.o.Dir, Port: st.o.PGPort, Out: st.o.Out})
}

func (st *runningStack) startTemporal(ctx context.Context) (*devstack.Proc, error) {
	if st.o.Cluster != nil {
		return devstack.StartTemporalServer(ctx, devstack.TemporalServerOptions{
			Bin: filepath.Join(st.o.BinDir, "temporal-server"), DeployDir: st.deployDir,
			PGPort: st.o.PGPort, Ports: st.o.Cluster.TemporalPorts, Out: st.o.Out,
		})
	}
	return devstack.StartTemporal(ctx, devstack.TemporalOptions{
		Bin: filepath.Join(st.o.BinDir, "temporal"), DBFile: filepath.Join(st.o.Dir, "temporal.db"),
		Port: st.o.TemporalPort, UIPort: st.o.TemporalUIPort, Out: st.o.Out,
	})
}

// startTemporalUI starts the cluster topology's Temporal Web UI server.
func (st *runningStack) startTemporalUI(ctx context.Context) (*devstack.Proc, error) {
	return devstack.StartTemporalUI(ctx, devstack.TemporalUIOptions{
		Bin: filepath.Join(st.o.BinDir, "temporal-ui"), DeployDir: st.deployDir,
		Port: st.o.TemporalUIPort, Frontend: st.o.TemporalPort, Out: st.o.Out,
	})
}

// startApp starts `yoyaku worker` or `yoyaku api` on the stack; in the cluster topology name is a replica
// (worker-2, api-1), which gets its own listeners.
func (st *runningStack) startApp(name string) (*devstack.Proc, error) {
	kind, env := st.appEnv(name)
	p, err := devstack.Start(name, st.o.Out, syscall.SIGTERM, nil, env, st.o.Self, kind)
	if err != nil {
		return nil, err
	}
	switch name {
	case "worker", clusterWorkers[0]:
		st.worker = p
	case "api", clusterAPIs[0]:
		st.api = p
	}
	return p, nil
}

// appEnv is the command (worker or api) and the environment of app name: a cluster replica's listeners
// override the stack's (the last value of a variable wins).
func (st *runningStack) appEnv(name string) (string, []string) {
	c := st.o.Cluster
	if c == nil {
		return name, st.env
	}
	env := slices.Clone(st.env)
	if i := slices.Index(clusterAPIs[:], name); i >= 0 {
		return "api", append(env, "YOYAKU_HTTP_ADDR="+c.APIAddrs[i], "YOYAKU_METRICS_ADDR="+c.APIMetricsAddrs[i])
	}
	if i := slices.Index(clusterWorkers[:], name); i >= 0 {
		return "worker", append(env, "YOYAKU_WORKER_METRICS_ADDR="+c.WorkerMetricsAddrs[i])
	}
	return name, env
}

// waitApp waits until the worker's metrics or the API's health check answer.
func (st *runningStack) waitApp(ctx context.Context, name string) error {
	return waitHealthy(ctx, st.appURL(name), st.procs)
}

// appURL is what answers 200 once app name is ready.
func (st *runningStack) appURL(name string) string {
	c := st.o.Cluster
	switch {
	case name == "worker":
		return "http://" + st.o.MetricsAddr + "/metrics"
	case c != nil && slices.Contains(clusterWorkers[:], name):
		return "http://" + c.WorkerMetricsAddrs[slices.Index(clusterWorkers[:], name)] + "/metrics"
	case c != nil && slices.Contains(clusterAPIs[:], name):
		return "http://" + c.APIAddrs[slices.Index(clusterAPIs[:], name)] + "/healthz"
	}
	return "http://" + st.o.HTTPAddr + "/healthz"
}

// restart stops one service — SIGKILL when kill is set, else its own stop signal — and starts it again on
// the same state and ports (the chaos run). It returns when the new process is ready.
func (st *runningStack) restart(ctx context.Context, name string, kill bool) error {
	return st.restartAfter(ctx, name, kill, 0)
}

// restartAfter is restart with the service left down for down before it starts again (the cluster test: the
// other replica must carry the load meanwhile).
func (st *runningStack) restartAfter(ctx context.Context, name string, kill bool, down time.Duration) error {
	i := slices.IndexFunc(st.procs, func(p *devstack.Proc) bool { return p.Name == name })
	if i < 0 {
		return fmt.Errorf("restart: no %s in the stack", name)
	}
	if kill {
		st.procs[i].Kill()
	} else if err := st.procs[i].Stop(30 * time.Second); err != nil {
		return fmt.Errorf("restart: stop %s: %w", name, err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(down):
	}
	var p *devstack.Proc
	var err error
	switch name {
	case "postgres":
		var pg *devstack.Postgres
		if pg, err = st.startPostgres(ctx); err == nil {
			p = pg.Proc
		}
	case "temporal", "temporal-server":
		p, err = st.startTemporal(ctx)
	case "temporal-ui":
		p, err = st.startTemporalUI(ctx)
	case "nginx":
		p, err = st.startNginx(ctx)
	default:
		p, err = st.startApp(name)
	}
	if err != nil {
		return fmt.Errorf("restart %s: %w", name, err)
	}
	st.procs[i] = p
	if strings.HasPrefix(name, "worker") || strings.HasPrefix(name, "api") {
		return st.waitApp(ctx, name)
	}
	return nil
}

// stop stops the services in reverse order: API and worker first, PostgreSQL last.
func (st *runningStack) stop(log *slog.Logger) {
	if len(st.procs) == 0 {
		return
	}
	for i := len(st.procs) - 1; i >= 0; i-- {
		log.Info("stopping", "service", st.procs[i].Name)
		if err := st.procs[i].Stop(30 * time.Second); err != nil {
			log.Warn("stop", "service", st.procs[i].Name, "err", err)
		}
	}
	st.procs = nil
	log.Info("everything stopped")
}

// startPrivateStack starts a stack of its own for `yoyaku bench --dev` and `yoyaku chaos`: state in a new
// temporary directory, every service on a free port (never the defaults of `make dev`), the services' output
// in stack.log there. env adds settings for the worker and the API. cluster runs the production topology
// (stackOptions.Cluster) instead of the dev server.
func startPrivateStack(ctx context.Context, log *slog.Logger, binDir, kind string, env []string, cluster bool) (*runningStack, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", kind, err)
	}
	if binDir == "" {
		binDir = filepath.Dir(self)
	}
	if err := devstack.CheckPostgresBinaries(""); err != nil {
		return nil, "", err
	}
	bins := []string{"temporal", "mailpit"}
	if cluster {
		bins = append(bins, clusterBins...)
		if _, err := devstack.NginxBin(); err != nil {
			return nil, "", err
		}
	}
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return nil, "", fmt.Errorf("%s not found in %s: run `make tools` (or `make %s`, which builds it)", b, binDir, kind)
		}
	}
	o, err := privateStackOptions(cluster)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", kind, err)
	}
	dir, err := os.MkdirTemp("", "yoyaku-"+kind+"-")
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", kind, err)
	}
	logFile, err := os.Create(filepath.Join(dir, "stack.log"))
	if err != nil {
		return nil, dir, fmt.Errorf("%s: %w", kind, err)
	}
	o.Dir, o.BinDir, o.Self, o.Out, o.Env = dir, binDir, self, logFile, env
	t := time.Now()
	log.Info("starting a private stack", "dir", dir, "cluster", cluster)
	st, err := startStack(ctx, log, o)
	if err != nil {
		return nil, dir, err
	}
	log.Info("private stack ready", "took", time.Since(t).Round(100*time.Millisecond), "api", o.HTTPAddr,
		"api_metrics", o.APIMetricsAddr, "worker_metrics", o.MetricsAddr,
		"temporal", o.TemporalPort, "temporal_ui", o.TemporalUIPort, "mailpit_ui", o.MailUIPort, "postgres", o.PGPort)
	return st, dir, nil
}

// privateStackOptions picks a free port for every service of a private stack.
func privateStackOptions(cluster bool) (stackOptions, error) {
	var ports [14]int
	for i := range ports {
		p, err := devstack.FreePort()
		if err != nil {
			return stackOptions{}, err
		}
		ports[i] = p
	}
	addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	o := stackOptions{
		PGPort: ports[0], TemporalPort: ports[1], TemporalUIPort: ports[2], SMTPPort: ports[3], MailUIPort: ports[4],
		HTTPAddr: addr(5), MetricsAddr: addr(6), APIMetricsAddr: addr(7),
	}
	if !cluster {
		return o, nil
	}
	tp, err := devstack.FreeTemporalServerPorts()
	if err != nil {
		return stackOptions{}, err
	}
	o.TemporalPort = tp.Frontend
	o.Cluster = &clusterOptions{TemporalPorts: tp,
		APIAddrs:           [2]string{addr(8), addr(9)},
		APIMetricsAddrs:    [2]string{o.APIMetricsAddr, addr(10)},
		WorkerMetricsAddrs: [2]string{o.MetricsAddr, addr(11)},
	}
	return o, nil
}
