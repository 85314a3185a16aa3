package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"yoyaku/chaos"
	"yoyaku/testenv"
)

// TestChaosShortDay is the short form of `make chaos` that `make test` runs: a private stack takes 250 holds
// with returns, pulls, receipts, pick-ups, cancellations and expiries while the worker is SIGKILLed twice,
// the API once, PostgreSQL and the Temporal dev server are restarted once each; afterwards `yoyaku check`
// finds nothing, no hold is lost and Mailpit holds no message twice.
func TestChaosShortDay(t *testing.T) {
	bin := buildYoyaku(t)
	out := filepath.Join(t.TempDir(), "chaos.json")
	ctx, cancel := context.WithTimeout(t.Context(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "chaos", "--holds", "250", "--duration", "2m", "--settle", "4m", "--out", out)
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
	} {
		if n == 0 {
			t.Errorf("no %s during the day:\n%s", what, raw)
		}
	}
	if rep.HoldsPlaced < 240 {
		t.Errorf("only %d of 250 holds were placed", rep.HoldsPlaced)
	}
	if len(rep.Faults) != 5 {
		t.Errorf("%d faults, want 5", len(rep.Faults))
	}
}
