package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"yoyaku/internal/chaos"
	"yoyaku/internal/devstack"
	"yoyaku/internal/testenv"
)

// TestChaosShortDay is the short form of `make chaos` that `make test` runs: a private stack takes 250 holds
// with returns, pulls, receipts, pick-ups, cancellations, expiries, and patrons' suspensions and resumes
// (休止, 再開), defers (順位の繰下げ), extensions (取置延長) and any-of groups (いずれか予約) while the worker
// is SIGKILLed twice, the API once, PostgreSQL and the Temporal dev server are restarted once each,
// PostgreSQL is frozen for 30 s and the busiest title's row locked for 20 s (issue 12's long stalls, both in
// the 2-minute day);
// afterwards `yoyaku check` finds nothing, no hold is lost, left past its (extended) pickup window, expired
// before it or left suspended after its resume, no patron's move got an answer other than done or a 409, and
// Mailpit holds no message twice.
func TestChaosShortDay(t *testing.T) {
	bin := buildYoyaku(t)
	out := filepath.Join(t.TempDir(), "chaos.json")
	ctx, cancel := context.WithTimeout(t.Context(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "chaos", "--holds", "250", "--duration", "2m", "--settle", "4m", "--out", out)
	// Out of time, interrupt it rather than kill it: it continues a frozen PostgreSQL and stops its stack.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	var log testenv.LockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	var rep chaos.Report
	raw, rerr := os.ReadFile(out)
	if rerr == nil {
		rerr = json.Unmarshal(raw, &rep)
	}
	if err != nil || rerr != nil {
		t.Fatalf("yoyaku chaos: %v (report: %v)\n%s", err, rerr, log.String())
	}
	t.Log(rep.Summary())
	if !rep.OK() {
		t.Fatalf("the day did not end intact:\n%s", raw)
	}
	// The day really was busy: every kind of event happened, and the faults hit a stack at work.
	for what, n := range map[string]int64{
		"holds placed": rep.HoldsPlaced, "returns": rep.Returns, "pulls": rep.Pulls, "receipts": rep.Receipts,
		"pick-ups": rep.Pickups, "cancellations": rep.Cancellations, "expiries": int64(rep.Expiries),
		"ready mails": int64(rep.MailsInMailpit), "requests refused by the broken stack": rep.ClientErrors,
		"suspensions": rep.Suspensions, "resumes": rep.Resumes, "defers": rep.Defers, "extensions": rep.Extensions,
		"any-of groups": rep.Groups,
	} {
		if n == 0 {
			t.Errorf("no %s during the day:\n%s", what, raw)
		}
	}
	if rep.HoldsPlaced < 240 {
		t.Errorf("only %d of 250 holds were placed", rep.HoldsPlaced)
	}
	if len(rep.Faults) != 7 || rep.FaultsPlanned != 7 {
		t.Errorf("%d of %d faults, want 7", len(rep.Faults), rep.FaultsPlanned)
	}
	// The long stalls lasted as long as they should, and the stack kept working through them.
	for _, f := range rep.Faults {
		var want float64
		switch {
		case strings.HasPrefix(f.Name, "PostgreSQL frozen"):
			want = 30
		case strings.HasPrefix(f.Name, "busiest title"):
			want = 20
		default:
			continue
		}
		if f.StallS < want-1 || f.StallS > want+5 {
			t.Errorf("%s lasted %.1f s, want %.0f s", f.Name, f.StallS, want)
		}
		if f.Detail == "" {
			t.Errorf("%s: no detail of what it stopped or locked", f.Name)
		}
	}
}

// TestChaosFreezeStopsEveryProcess: the freeze stops the whole process tree under the postmaster — children
// that made sessions of their own (as PostgreSQL's backends do with setsid) included — and continues every
// one of them afterwards.
func TestChaosFreezeStopsEveryProcess(t *testing.T) {
	p, err := devstack.Start("postgres", nil, syscall.SIGTERM, nil, nil, "/bin/sh", "-c",
		"setsid sleep 30 & setsid sleep 30 & sleep 30 & wait")
	if err != nil {
		t.Fatal(err)
	}
	var kids []int
	t.Cleanup(func() {
		for _, pid := range kids {
			_ = syscall.Kill(pid, syscall.SIGKILL) // the setsid ones are not in the group
		}
		p.Kill()
	})
	for deadline := time.Now().Add(5 * time.Second); len(kids) < 3; time.Sleep(20 * time.Millisecond) {
		if kids, err = descendants(p.Pid()); err != nil || time.Now().After(deadline) {
			t.Fatalf("children of the test postmaster: %v %v", kids, err)
		}
	}
	all := append([]int{p.Pid()}, kids...)
	f := stackFaults{st: &runningStack{procs: []*devstack.Proc{p}}}
	done := make(chan error, 1)
	go func() {
		_, err := f.FreezePostgres(t.Context(), 5*time.Second)
		done <- err
	}()
	for _, pid := range all { // each is stopped well before the freeze ends, however busy the machine
		st := procState(pid)
		for deadline := time.Now().Add(4 * time.Second); st != 'T' && time.Now().Before(deadline); st = procState(pid) {
			time.Sleep(20 * time.Millisecond)
		}
		if st != 'T' {
			t.Errorf("process %d is %q during the freeze, want stopped (T)", pid, st)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	for _, pid := range all {
		if st := procState(pid); st == 'T' || st == 0 {
			t.Errorf("process %d is %q after the freeze, want running or sleeping", pid, st)
		}
	}
}
