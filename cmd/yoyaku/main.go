// Command yoyaku is the one binary of the hold fulfilment system: `api`, `worker`, `migrate`, `seed`,
// `staff`, `dev`, `bench`, `check`, `chaos`.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"yoyaku/config"
)

const usage = `usage: yoyaku <command> [flags]

commands:
  api       serve the patron and staff HTTP API and web pages
  worker    run the Temporal worker (hold workflows and their activities)
  migrate   apply pending database migrations
  seed      load the library's branches; with YOYAKU_DEMO=1 also the demo data (idempotent);
            --titles N (demo only) grows the catalogue to N titles
  staff     staff add LOGIN --branch CODE [--name NAME]: create a staff account; the password is read
            from the terminal (not echoed) or from standard input, never from an argument
  dev       start the whole stack on this machine (PostgreSQL, Temporal, Mailpit, worker, API)
  bench     measure a running stack against the targets (--dev: start a private one); see the README
  chaos     break a private stack while it is busy (kills, restarts), then check nothing was lost; see the README
  check     verify the invariants (copies, queues, workflows, mail); prints each violation, exits 1 if any

Configuration comes from YOYAKU_* environment variables; see the README.`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	cmds := map[string]func(context.Context, config.Config, *slog.Logger, []string) error{
		"api": runAPI, "worker": runWorker, "migrate": runMigrate, "seed": runSeed, "staff": runStaff, "dev": runDev,
		"bench": runBench, "check": runCheck, "chaos": runChaos,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "yoyaku: unknown command %q\n\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "yoyaku:", err)
		os.Exit(2)
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, os.Args[2:]); err != nil {
		if errors.As(err, new(userError)) {
			fmt.Fprintln(os.Stderr, "yoyaku:", err)
		} else {
			log.Error(os.Args[1]+" failed", "err", err)
		}
		stop()
		os.Exit(1)
	}
}

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // validated by config.Load
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
