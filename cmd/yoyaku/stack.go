package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"yoyaku/devstack"
	"yoyaku/store"
)

// stackOptions says where startStack puts the state and which ports the services take.
type stackOptions struct {
	Dir    string // state: PostgreSQL cluster, Temporal's and Mailpit's databases
	BinDir string // where the temporal and mailpit binaries are
	Self   string // this binary, run as `yoyaku worker` and `yoyaku api`
	Out    io.Writer

	PGPort, TemporalPort, TemporalUIPort, SMTPPort, MailUIPort int
	HTTPAddr, MetricsAddr                                      string // the API's and the worker's listen addresses

	Titles int // grow the catalogue to this many titles before the worker and the API start (0: demo data only)
}

// runningStack is the whole yoyaku stack started by startStack, as child processes.
type runningStack struct {
	procs       []*devstack.Proc // in start order
	worker, api *devstack.Proc
	databaseURL string
}

// startStack starts PostgreSQL, the Temporal dev server, Mailpit, the worker and the API, migrates and seeds the
// database, and waits until the worker and the API answer. `yoyaku dev` and `yoyaku bench --dev` share it. On
// failure it stops whatever it started.
func startStack(ctx context.Context, log *slog.Logger, o stackOptions) (_ *runningStack, err error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	st := &runningStack{}
	defer func() {
		if err != nil {
			st.stop(log)
		}
	}()

	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: o.Dir, Port: o.PGPort, Out: o.Out})
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, pg.Proc)
	if err := pg.CreateDatabase(ctx, "yoyaku"); err != nil {
		return nil, err
	}
	st.databaseURL = pg.URL("yoyaku")
	log.Info("postgres ready", "port", o.PGPort, "dir", filepath.Join(o.Dir, "pg"))

	tp, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		Bin: filepath.Join(o.BinDir, "temporal"), DBFile: filepath.Join(o.Dir, "temporal.db"),
		Port: o.TemporalPort, UIPort: o.TemporalUIPort, Out: o.Out,
	})
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, tp)
	log.Info("temporal ready", "port", o.TemporalPort, "ui", o.TemporalUIPort)

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

	env := append(os.Environ(),
		"YOYAKU_DATABASE_URL="+st.databaseURL,
		fmt.Sprintf("YOYAKU_TEMPORAL_ADDRESS=127.0.0.1:%d", o.TemporalPort),
		"YOYAKU_SMTP_HOST=127.0.0.1",
		fmt.Sprintf("YOYAKU_SMTP_PORT=%d", o.SMTPPort),
		"YOYAKU_SMTP_TLS=none",
		"YOYAKU_HTTP_ADDR="+o.HTTPAddr,
		"YOYAKU_WORKER_METRICS_ADDR="+o.MetricsAddr,
	)
	for _, name := range []string{"worker", "api"} {
		p, err := devstack.Start(name, o.Out, syscall.SIGTERM, nil, env, o.Self, name)
		if err != nil {
			return nil, err
		}
		st.procs = append(st.procs, p)
		if name == "worker" {
			st.worker = p
		} else {
			st.api = p
		}
	}
	for _, url := range []string{"http://" + o.MetricsAddr + "/metrics", "http://" + o.HTTPAddr + "/healthz"} {
		if err := waitHealthy(ctx, url, st.procs); err != nil {
			return nil, err
		}
	}
	return st, nil
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
