package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"yoyaku/config"
	"yoyaku/internal/check"
	"yoyaku/store"
)

// errViolations makes `yoyaku check` exit non-zero when it found something.
var errViolations = errors.New("invariants violated")

func runCheck(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	settle := fs.Duration("settle", 30*time.Second, "ignore changes younger than this (still in flight)")
	mailpit := fs.String("mailpit", "", "base URL of a Mailpit (dev and test stacks): also look every sent ready mail up there")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	wait := fs.Duration("wait", 0, "re-run until nothing is found or this long has passed (after a restart, say)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *settle < 0 || *wait < 0 {
		return fmt.Errorf("check: --settle and --wait must not be negative")
	}
	c, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.close(log)
	o := check.Options{TaskQueue: cfg.TaskQueue, Settle: *settle, Mailpit: *mailpit,
		Limits:              store.Limits{Total: cfg.HoldLimitTotal, AV: cfg.HoldLimitAV},
		CancelApprovalDelay: cfg.CancelApprovalDelay, TimeZone: cfg.Location.String()}
	var rep check.Report
	if *wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, *wait)
		rep, err = check.Until(wctx, c.db, c.temporal, o, 2*time.Second)
		cancel()
	} else {
		rep, err = check.Run(ctx, c.db, c.temporal, o)
	}
	if err != nil {
		return err
	}
	if err := printReport(os.Stdout, rep, *asJSON); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d found", errViolations, len(rep.Violations))
	}
	return nil
}

func printReport(w io.Writer, rep check.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	for _, v := range rep.Violations {
		if _, err := fmt.Fprintln(w, v); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "checked %d open holds, %d running hold workflows, %d ready events, %d mails sent: %d violations\n",
		rep.OpenHolds, rep.Workflows, rep.ReadyEvents, rep.MailsSent, len(rep.Violations))
	return err
}
