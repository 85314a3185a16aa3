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

	"yoyaku/chaos"
	"yoyaku/config"
	"yoyaku/store"
)

// chaosEnv makes the private stack's day short enough to see its expiries and its cancellation requests.
var chaosEnv = []string{"YOYAKU_PICKUP_WINDOW=20s", "YOYAKU_CANCEL_APPROVAL_DELAY=3s", "YOYAKU_LOG_LEVEL=warn"}

// runChaos starts a private stack, runs chaos.Run against it and prints the report; it fails when the run
// found anything (violations, lost holds, duplicate mail) or a service did not come back.
func runChaos(ctx context.Context, _ config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	cfg := chaos.Config{Log: log}
	fs.IntVar(&cfg.Holds, "holds", 1000, "holds placed during the day")
	fs.IntVar(&cfg.Titles, "titles", 0, "titles (default: holds/5)")
	fs.IntVar(&cfg.Patrons, "patrons", 0, "patrons (default: holds/7)")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Minute, "length of the day; the faults fall at 15, 30, 45, 60 and 75% of it")
	fs.DurationVar(&cfg.Settle, "settle", 4*time.Minute, "how long the stack may take to recover before `yoyaku check` must pass")
	fs.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()), "random seed of the day")
	binDir := fs.String("bin", "", "where the temporal and mailpit binaries are (default: beside this binary)")
	out := fs.String("out", "", "write the report as JSON to this file")
	keep := fs.Bool("keep", false, "keep the private stack's state directory and service logs (stack.log)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Titles == 0 {
		cfg.Titles = max(1, cfg.Holds/5)
	}
	if cfg.Patrons == 0 {
		cfg.Patrons = max(1, cfg.Holds/7)
	}
	stackCfg, err := config.LoadFrom(func(k string) string { return envValue(chaosEnv, k) })
	if err != nil {
		return err
	}
	cfg.Limits = store.Limits{Total: stackCfg.HoldLimitTotal, AV: stackCfg.HoldLimitAV}
	cfg.TaskQueue = stackCfg.TaskQueue
	cfg.CancelApprovalDelay, cfg.TimeZone = stackCfg.CancelApprovalDelay, stackCfg.Location.String()

	st, dir, err := startPrivateStack(ctx, log, *binDir, "chaos", chaosEnv)
	if err != nil {
		if dir != "" {
			log.Error("the stack did not start; its logs are kept", "log", filepath.Join(dir, "stack.log"))
		}
		return err
	}
	defer st.stop(log)
	o := st.o
	cfg.APIURL = "http://" + o.HTTPAddr
	cfg.MailpitURL = fmt.Sprintf("http://127.0.0.1:%d", o.MailUIPort)
	cfg.TemporalAddress = fmt.Sprintf("127.0.0.1:%d", o.TemporalPort)
	cfg.DatabaseURL = st.databaseURL
	cfg.Faults = stackFaults{st}

	rep, err := chaos.Run(ctx, cfg)
	st.stop(log)
	if rep != nil {
		b, jerr := json.MarshalIndent(rep, "", "  ")
		if jerr != nil {
			return jerr
		}
		fmt.Println(string(b))
		if *out != "" {
			if werr := os.WriteFile(*out, append(b, '\n'), 0o644); werr != nil {
				return werr
			}
		}
		fmt.Println(rep.Summary())
	}
	switch {
	case err != nil:
	case !rep.OK():
		err = fmt.Errorf("chaos: the stack did not survive the day intact (see the report)")
	}
	if err != nil || *keep {
		log.Info("the private stack's state and logs are kept", "dir", dir, "log", filepath.Join(dir, "stack.log"))
		return err
	}
	if rerr := os.RemoveAll(dir); rerr != nil {
		log.Warn("remove the chaos run's state", "dir", dir, "err", rerr)
	}
	return nil
}

// envValue looks name up in a list of NAME=value settings.
func envValue(env []string, name string) string {
	for _, kv := range env {
		if len(kv) > len(name) && kv[:len(name)] == name && kv[len(name)] == '=' {
			return kv[len(name)+1:]
		}
	}
	return ""
}

// stackFaults breaks the private stack's processes.
type stackFaults struct{ st *runningStack }

func (f stackFaults) KillWorker(ctx context.Context) error { return f.st.restart(ctx, "worker", true) }
func (f stackFaults) KillAPI(ctx context.Context) error    { return f.st.restart(ctx, "api", true) }
func (f stackFaults) RestartPostgres(ctx context.Context) error {
	return f.st.restart(ctx, "postgres", false)
}
func (f stackFaults) RestartTemporal(ctx context.Context) error {
	return f.st.restart(ctx, "temporal", false)
}
