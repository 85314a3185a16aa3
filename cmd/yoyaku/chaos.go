package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"yoyaku/config"
	"yoyaku/internal/chaos"
	"yoyaku/internal/devstack"
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
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Minute, "length of the day; the faults fall at 6, 12, 18 (the 20 s title lock), 42, 50 (the 30 s freeze), 82 and 92% of it")
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
	cfg.PickupWindow = stackCfg.PickupWindow

	st, dir, err := startPrivateStack(ctx, log, *binDir, "chaos", chaosEnv, false)
	if err != nil {
		if dir != "" {
			log.Error("the stack did not start; its logs are kept", "log", filepath.Join(dir, "stack.log"))
		}
		return err
	}
	defer st.stop(log)
	faults := stackFaults{st: st}
	o := st.o
	cfg.APIURL = "http://" + o.HTTPAddr
	cfg.MailpitURL = fmt.Sprintf("http://127.0.0.1:%d", o.MailUIPort)
	cfg.TemporalAddress = fmt.Sprintf("127.0.0.1:%d", o.TemporalPort)
	cfg.DatabaseURL = st.databaseURL
	cfg.Faults = faults

	rep, err := chaos.Run(ctx, cfg) // its faults run one at a time, each undone before it returns
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

// FreezePostgres stops the stack's PostgreSQL cluster — the postmaster and every process it started — with
// SIGSTOP for d (or until ctx ends), then continues them with SIGCONT. Each backend calls setsid() when it is
// forked, so neither the postmaster alone nor its process group is enough: the postmaster is stopped first,
// so that it forks nothing more, then its descendants, found in /proc by their parent, until a pass finds no
// new one. They are continued however this returns (the children first, the postmaster last).
func (f stackFaults) FreezePostgres(ctx context.Context, d time.Duration) (string, error) {
	i := slices.IndexFunc(f.st.procs, func(p *devstack.Proc) bool { return p.Name == "postgres" })
	if i < 0 {
		return "", fmt.Errorf("freeze: no postgres in the stack")
	}
	postmaster := f.st.procs[i].Pid()
	var frozen []int // the postmaster first
	defer func() {
		for i := len(frozen) - 1; i >= 0; i-- {
			_ = syscall.Kill(frozen[i], syscall.SIGCONT) // one that has exited meanwhile is gone
		}
	}()
	stop := func(pid int) error {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			return err
		}
		frozen = append(frozen, pid)
		return nil
	}
	if err := stop(postmaster); err != nil {
		return "", fmt.Errorf("freeze: stop the postmaster %d: %w", postmaster, err)
	}
	for {
		kids, err := descendants(postmaster)
		if err != nil {
			return "", fmt.Errorf("freeze: %w", err)
		}
		stopped := 0
		for _, pid := range kids {
			if !slices.Contains(frozen, pid) {
				if err := stop(pid); err == nil {
					stopped++
				}
			}
		}
		if stopped == 0 {
			break
		}
	}
	// SIGSTOP is delivered asynchronously: wait until each one is stopped (or gone) before the clock runs.
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range frozen {
		for st := procState(pid); st != 'T' && st != 'Z' && st != 0 && time.Now().Before(deadline); st = procState(pid) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	n := len(frozen)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	return fmt.Sprintf("%d processes: the postmaster %d and %d of its children", n, postmaster, n-1), nil
}

// descendants lists the processes below pid (children, their children, …) from /proc.
func descendants(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := procParent(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	for todo := []int{pid}; len(todo) > 0; {
		p := todo[0]
		todo = append(todo[1:], children[p]...)
		out = append(out, children[p]...)
	}
	return out, nil
}

// procStat returns the fields of /proc/pid/stat after the command name: state, ppid, …
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

func procParent(pid int) (int, bool) {
	f := procStat(pid)
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// procState is the process's state letter ('T' when stopped), or 0 when it is gone.
func procState(pid int) byte {
	f := procStat(pid)
	if len(f) < 1 || f[0] == "" {
		return 0
	}
	return f[0][0]
}
