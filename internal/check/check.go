// Package check verifies yoyaku's invariants across PostgreSQL (the facts) and Temporal (the lifecycles):
// what `yoyaku check` prints for operators and what the tests assert at the end of every scenario. It only
// reads; it never repairs.
package check

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/store"
)

// Rules, the names violations are reported under.
const (
	RuleCopyShared      = "copy_shared"      // a copy set aside for more than one open hold
	RuleCopyState       = "copy_state"       // a hold's copy is not where its status says (hold shelf, in transit, loan)
	RuleFIFO            = "fifo"             // a later hold got a copy while an earlier one on the title waited
	RuleIdleCopy        = "idle_copy"        // a free copy stays on a shelf while an eligible hold on its title waits
	RuleStuck           = "stuck"            // a hold that should have moved on long ago and did not
	RuleLimit           = "limit"            // a patron has more open holds than the limits allow, or two on one title
	RuleNoWorkflow      = "no_workflow"      // an open hold (or series hold, or any-of group) without a running workflow
	RuleOrphanWorkflow  = "orphan_workflow"  // a running workflow whose hold is closed or does not exist
	RuleStatusMismatch  = "status_mismatch"  // the workflow and the database disagree on a hold's status
	RuleMailUnsent      = "mail_unsent"      // a ready e-mail recorded but never accepted (nor refused for good) by the SMTP server
	RuleMailMissing     = "mail_missing"     // a ready hold whose patron was never told (no mail, no call, no contact date)
	RuleMailDuplicate   = "mail_duplicate"   // the mail server holds a ready message more than once
	RuleMailLost        = "mail_lost"        // a message marked sent is not in the mail server, or misses an address
	RuleDeadline        = "deadline"         // a ready hold's pickup deadline is later than 1 week from contact (+7 days once extended)
	RuleGroup           = "group"            // an any-of group (いずれか予約) served more than one of its holds
	RuleCheckIncomplete = "check_incomplete" // a part of the check could not run (a service did not answer)
)

// Violation is one broken invariant, with the IDs an operator needs to look into it.
type Violation struct {
	Rule   string  `json:"rule"`
	Holds  []int64 `json:"holds,omitempty"`
	Copy   string  `json:"copy,omitempty"`
	Detail string  `json:"detail"`
}

func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Rule)
	if len(v.Holds) > 0 {
		ids := make([]string, len(v.Holds))
		for i, id := range v.Holds {
			ids[i] = fmt.Sprint(id)
		}
		b.WriteString(" holds=" + strings.Join(ids, ","))
	}
	if v.Copy != "" {
		b.WriteString(" copy=" + v.Copy)
	}
	b.WriteString(": " + v.Detail)
	return b.String()
}

// Options says what to check against.
type Options struct {
	// TaskQueue limits the workflows compared with the database to this task queue (the configured one);
	// empty compares every hold workflow of the namespace.
	TaskQueue string
	// Settle is how old a change must be before it counts: placements, copies and mails younger than this
	// are still in flight. Zero checks everything as it is now.
	Settle time.Duration
	// Limits are the configured per-patron limits (zero: not checked).
	Limits store.Limits
	// CancelApprovalDelay is the configured wait of a cancellation request before it is approved.
	CancelApprovalDelay time.Duration
	// TimeZone is the library's (pickup deadlines are dates there); empty: UTC.
	TimeZone string
	// Mailpit is the base URL of a Mailpit (dev and test stacks): every sent ready mail is looked up there,
	// once. Empty checks the notification records only.
	Mailpit string
}

// Report is what one run found.
type Report struct {
	OpenHolds   int         `json:"open_holds"`
	Workflows   int         `json:"running_workflows"`
	ReadyEvents int         `json:"ready_events"`
	MailsSent   int         `json:"mails_sent"`
	Violations  []Violation `json:"violations"`
}

// OK reports whether no invariant is broken.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// Run checks every invariant once. An error means the check could not be made at all (PostgreSQL down);
// a part that could not run (Temporal or Mailpit down) is reported as a check_incomplete violation, so an
// operator never reads "nothing found" from a check that did not look.
func Run(ctx context.Context, db *sqlx.DB, tc client.Client, o Options) (Report, error) {
	var r Report
	for _, rule := range []func(context.Context, *sqlx.DB, Options, *Report) error{
		copyShared, copyState, fifo, idleCopies, readyMail, stuck, limits, deadlines, groups,
	} {
		if err := rule(ctx, db, o, &r); err != nil {
			return r, err
		}
	}
	if tc != nil {
		if err := workflowsMatch(ctx, db, tc, o, &r); err != nil {
			r.add(Violation{Rule: RuleCheckIncomplete, Detail: "workflows not compared: " + err.Error()})
		}
	}
	if o.Mailpit != "" {
		if err := mailpitMatch(ctx, db, o, &r); err != nil {
			r.add(Violation{Rule: RuleCheckIncomplete, Detail: "Mailpit not compared: " + err.Error()})
		}
	}
	sort.SliceStable(r.Violations, func(i, j int) bool { return r.Violations[i].Rule < r.Violations[j].Rule })
	return r, nil
}

// Until runs the check until it finds nothing or ctx ends, pausing between runs, and returns the last
// complete report: for tests and the chaos run, where a scenario's last changes may still be in flight. Each
// run gets up to a minute of its own, so the deadline never cuts a report in half.
func Until(ctx context.Context, db *sqlx.DB, tc client.Client, o Options, pause time.Duration) (Report, error) {
	var last Report
	var lastErr error
	for {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		r, err := Run(rctx, db, tc, o)
		cancel()
		switch {
		case err == nil && r.OK():
			return r, nil
		case err == nil:
			last, lastErr = r, nil
		case last.Violations == nil:
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return last, lastErr
		case <-time.After(pause):
		}
	}
}

func (r *Report) add(v Violation) { r.Violations = append(r.Violations, v) }
