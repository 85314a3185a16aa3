// Package chaos runs a library's busy day against a whole yoyaku stack while it breaks the stack: the worker
// is SIGKILLed twice, the API once, PostgreSQL and the Temporal dev server are restarted once each,
// PostgreSQL is frozen (SIGSTOP) for 30 s and the busiest title's row is locked for 20 s. Holds are placed,
// copies returned, pulled, sent, received, picked up, cancelled and left to expire throughout, and patrons
// suspend and resume holds, let the next hold go first and extend ready holds' pickup windows; now and then a
// patron places an any-of group (いずれか予約) of two or three titles. When the stack
// has recovered, `yoyaku check` must find nothing, no hold may be lost or left past its pickup window, and no
// ready mail may have been sent twice. `yoyaku chaos` runs it (`make chaos`; a shorter run is part of `make
// test`).
package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/internal/apiclient"
	"yoyaku/internal/check"
	"yoyaku/store"
)

// Faults breaks the stack under test. Each call returns when the service is back.
type Faults interface {
	KillWorker(ctx context.Context) error      // SIGKILL, then start again
	KillAPI(ctx context.Context) error         // SIGKILL, then start again
	RestartPostgres(ctx context.Context) error // stop (fast shutdown), then start again
	RestartTemporal(ctx context.Context) error // stop, then start again on the same database file
	// FreezePostgres stops every process of the PostgreSQL cluster (SIGSTOP) for d, or until ctx ends, then
	// continues them all (SIGCONT), whatever happens meanwhile. It says what it froze.
	FreezePostgres(ctx context.Context, d time.Duration) (string, error)
}

// Config describes the stack and the run.
type Config struct {
	APIURL, MailpitURL, DatabaseURL, TemporalAddress, TaskQueue string
	Faults                                                      Faults

	Holds    int           // holds placed over the run (at least 1,000 for the full run)
	Titles   int           // titles they are spread over (a few popular ones get queues)
	Patrons  int           // patrons placing them
	Duration time.Duration // length of the busy day; the faults fall at fixed points of it
	Settle   time.Duration // how long the stack may take to recover before the check must pass
	Limits   store.Limits  // the stack's hold limits
	// CancelApprovalDelay and TimeZone are the stack's settings (yoyaku check's stuck rule needs them).
	CancelApprovalDelay time.Duration
	TimeZone            string
	// PickupWindow is the stack's YOYAKU_PICKUP_WINDOW: a ready hold still ready this long (and overdueGrace)
	// after its patron was told is stuck. Zero: the 1-week rule, which yoyaku check's stuck rule covers.
	PickupWindow time.Duration
	Seed         uint64
	Log          *slog.Logger
}

// Fault is one break, how long the service took to come back, and what the day's clients and holds felt of
// it from the break until the service had been back for 30 s or the next fault came: its window.
type Fault struct {
	Name        string  `json:"name"`
	AtSeconds   float64 `json:"at_s"`        // into the day
	DowntimeMS  int64   `json:"downtime_ms"` // from the break until the service answered again (a stall: lifted and answering)
	StallS      float64 `json:"stall_s,omitempty"`
	Detail      string  `json:"detail,omitempty"`
	Title       string  `json:"title,omitempty"`        // the title whose row was locked
	LockWaiters int     `json:"lock_waiters,omitempty"` // the most sessions seen waiting on that lock at once

	Requests         int   `json:"requests"`           // API requests of the actors that ended in the window
	FailedRequests   int   `json:"failed_requests"`    // of them, no answer, timed out or 5xx (retried, or given up for this round)
	FailingMS        int64 `json:"failing_ms"`         // from the break until the last failed request ended
	SlowRequests     int   `json:"slow_requests"`      // requests that took 5 s or more (a request may wait out a stall)
	SlowestRequestMS int64 `json:"slowest_request_ms"` // the longest request
	// The holds' transitions (hold_events, timed when their transaction began; for the title lock, those of
	// the title's holds): how many began in the window, the longest time in which none began, and from the
	// stall's end (SIGCONT, ROLLBACK) or the service's return until the next began.
	Steps          int   `json:"steps"`
	StepPauseMS    int64 `json:"step_pause_ms"`
	StepsResumedMS int64 `json:"steps_resumed_ms"`
	// The steps of issue 12 that fell due in the window: cancellation requests to approve (due the approval
	// delay after the request) and ready holds to expire (due the pickup window after the patron was told);
	// how late the latest of them came, and how long after the fault's end (or its due time, if later).
	ApprovalsDue    int    `json:"approvals_due"`
	ApprovalLateMS  int64  `json:"approval_late_ms"`
	ApprovalAfterMS int64  `json:"approval_after_end_ms"`
	ExpiriesDue     int    `json:"expiries_due"`
	ExpiryLateMS    int64  `json:"expiry_late_ms"`
	ExpiryAfterMS   int64  `json:"expiry_after_end_ms"`
	Err             string `json:"error,omitempty"`

	start, lifted time.Time // the break, and the end of a stall
}

// Report is what one run did and found.
type Report struct {
	HoldsPlaced     int64             `json:"holds_placed"` // placements the API confirmed, or found after a lost answer
	HoldsInDatabase int               `json:"holds_in_database"`
	Returns         int64             `json:"returns"`
	Pulls           int64             `json:"pulls"`
	Missing         int64             `json:"missing"`
	Receipts        int64             `json:"receipts"`
	Pickups         int64             `json:"pickups"`
	WalkIns         int64             `json:"walk_ins"` // set-aside copies lent to somebody else at the desk
	Cancellations   int64             `json:"cancellations"`
	Suspensions     int64             `json:"suspensions"`     // 休止 the API confirmed
	Resumes         int64             `json:"resumes"`         // 再開 the API confirmed
	Defers          int64             `json:"defers"`          // 順位の繰下げ the API confirmed
	Extensions      int64             `json:"extensions"`      // 取置延長 the API confirmed
	Groups          int64             `json:"groups"`          // any-of groups (いずれか予約) placed, their members among HoldsPlaced
	PatronRefusals  int64             `json:"patron_refusals"` // 409s to those moves: the hold had moved on (normal)
	Expiries        int               `json:"expiries"`
	ReadyEvents     int               `json:"ready_events"`
	MailsInMailpit  int               `json:"mails_in_mailpit"`
	ClientErrors    int64             `json:"client_errors"` // requests that failed while the stack was broken (retried)
	Faults          []Fault           `json:"faults"`
	RecoveryS       float64           `json:"recovery_s"` // from the end of the day until the check passed
	Violations      []check.Violation `json:"violations"`
	LostHolds       []string          `json:"lost_holds"` // confirmed holds missing, or closed in a way nobody asked for
	StuckRequested  []int64           `json:"stuck_requested"`
	// StuckOverdue: holds still ready overdueGrace after their pickup window ended (one that ended during the
	// day). Holds left in 取消申込 are the check's stuck violations.
	StuckOverdue []int64 `json:"stuck_overdue"`
	// EarlyExpiries: extended holds (取置延長) that expired before the deadline their extension set.
	EarlyExpiries []int64 `json:"early_expiries"`
	// StuckSuspended: holds 休止中 at the end that the day did not leave suspended (resumed since, or never
	// suspended). A hold the day left suspended is open and not lost.
	StuckSuspended []string `json:"stuck_suspended"`
	// Unexpected: answers to the patrons' moves that a valid move never gets (422 invalid_date, …).
	Unexpected     []string `json:"unexpected_answers"`
	DuplicateMails int      `json:"duplicate_mails"`
	FaultsPlanned  int      `json:"faults_planned"`
	ElapsedS       float64  `json:"elapsed_s"`
}

// OK reports whether the run found nothing wrong.
// A day in which some kind of event never happened proves nothing about it, and is not OK either.
func (r *Report) OK() bool {
	busy := r.HoldsPlaced > 0 && r.Returns > 0 && r.Pulls > 0 && r.Receipts > 0 && r.Pickups > 0 && r.Cancellations > 0 &&
		r.Expiries > 0 && r.ReadyEvents > 0 && r.MailsInMailpit > 0 &&
		r.Suspensions > 0 && r.Resumes > 0 && r.Defers > 0 && r.Extensions > 0 && r.Groups > 0
	return busy && len(r.Violations) == 0 && len(r.LostHolds) == 0 && len(r.StuckRequested) == 0 && len(r.StuckOverdue) == 0 &&
		len(r.EarlyExpiries) == 0 && len(r.StuckSuspended) == 0 && len(r.Unexpected) == 0 &&
		r.DuplicateMails == 0 && r.FaultsPlanned > 0 && len(r.Faults) == r.FaultsPlanned &&
		!slices.ContainsFunc(r.Faults, func(f Fault) bool { return f.Err != "" })
}

// Summary is what a run ends with: one line of figures, then one line per fault.
func (r *Report) Summary() string {
	rules := map[string]int{}
	for _, v := range r.Violations {
		rules[v.Rule]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "holds=%d returns=%d pulls=%d receipts=%d pickups=%d cancellations=%d expiries=%d "+
		"suspensions=%d resumes=%d defers=%d extensions=%d groups=%d mails=%d faults=%d/%d "+
		"violations=%d lost=%d stuck=%d overdue=%d early=%d suspended_stuck=%d unexpected=%d duplicates=%d recovery=%s",
		r.HoldsPlaced, r.Returns, r.Pulls, r.Receipts, r.Pickups, r.Cancellations, r.Expiries,
		r.Suspensions, r.Resumes, r.Defers, r.Extensions, r.Groups, r.MailsInMailpit, len(r.Faults), r.FaultsPlanned,
		len(r.Violations), len(r.LostHolds), len(r.StuckRequested), len(r.StuckOverdue), len(r.EarlyExpiries),
		len(r.StuckSuspended), len(r.Unexpected), r.DuplicateMails,
		time.Duration(r.RecoveryS*float64(time.Second)).Round(time.Second))
	if len(rules) > 0 {
		fmt.Fprintf(&b, " %v", rules)
	}
	for _, f := range r.Faults {
		b.WriteString("\n  " + f.String())
	}
	return b.String()
}

// Run sets up the day's patrons and copies, runs the day with its faults, waits for the stack to recover and
// checks it. An error means the run could not be made; what it found is in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Holds <= 0 || cfg.Titles <= 0 || cfg.Patrons <= 0 || cfg.Duration <= 0 || cfg.Faults == nil {
		return nil, errors.New("chaos: holds, titles, patrons, duration and faults are required")
	}
	if cfg.Holds > cfg.Patrons*(cfg.Limits.Total-1) {
		return nil, fmt.Errorf("chaos: %d patrons cannot place %d holds under the limit of %d: use more patrons", cfg.Patrons, cfg.Holds, cfg.Limits.Total)
	}
	start := time.Now()
	log := cfg.Log
	db, err := sqlx.Open("postgres", cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	defer db.Close()
	w := &world{cfg: cfg, api: apiclient.New(cfg.APIURL), db: db, log: log,
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x6368616f73)), holds: map[string]*holdRec{}, decided: map[string]bool{},
		cancelAsked: map[[2]string]bool{}, suspended: map[string]suspension{}, groupIDs: map[string]bool{}}
	log.Info("chaos: setting up", "titles", cfg.Titles, "patrons", cfg.Patrons)
	w.reqLog = &requestLog{next: w.api.HC.Transport}
	w.api.HC.Transport = w.reqLog
	if err := w.setup(ctx); err != nil {
		return nil, err
	}
	rep := &Report{}
	log.Info("chaos: the day begins", "holds", cfg.Holds, "duration", cfg.Duration)
	w.day(ctx, rep)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	end := time.Now()
	rep.HoldsPlaced = w.placed.Load()
	rep.Returns, rep.Pulls, rep.Missing, rep.Receipts = w.returns.Load(), w.pulls.Load(), w.missing.Load(), w.receipts.Load()
	rep.Pickups, rep.WalkIns, rep.Cancellations, rep.ClientErrors = w.pickups.Load(), w.walkIns.Load(), w.cancels.Load(), w.errs.Load()
	rep.Suspensions, rep.Resumes, rep.Defers, rep.Extensions = w.suspensions.Load(), w.resumes.Load(), w.defers.Load(), w.extensions.Load()
	rep.PatronRefusals, rep.Groups = w.patronRefusals.Load(), w.groups.Load()
	w.mu.Lock()
	rep.Unexpected = slices.Clone(w.unexpected)
	w.mu.Unlock()
	log.Info("chaos: the day is over; waiting for the stack to settle", "up_to", cfg.Settle)
	err = w.verify(ctx, rep, end)
	if merr := w.measureFaults(ctx, rep); err == nil {
		err = merr
	}
	rep.ElapsedS = time.Since(start).Seconds()
	return rep, err
}

// day runs the actors for cfg.Duration and the faults at fixed points of it.
func (w *world) day(ctx context.Context, rep *Report) {
	dctx, cancel := context.WithTimeout(ctx, w.cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	actors := []struct {
		every time.Duration
		act   func(context.Context)
	}{
		{250 * time.Millisecond, w.desk},
		{400 * time.Millisecond, w.van},
		{300 * time.Millisecond, w.returnOne}, // three borrowers' desks: a check-in waits for its workflow
		{300 * time.Millisecond, w.returnOne},
		{300 * time.Millisecond, w.returnOne},
		{800 * time.Millisecond, w.cancelOne},
		{500 * time.Millisecond, w.patronActs},
	}
	for _, a := range actors {
		wg.Go(func() {
			for dctx.Err() == nil {
				a.act(dctx)
				sleep(dctx, a.every)
			}
		})
	}
	wg.Go(func() { w.placeAll(dctx) })
	// The faults, one after the other at fixed points of the day (the stalls take 20 and 30 s of it): one that
	// falls due while the one before still lasts comes as soon as that one is over. A fault still due when the
	// day ends is not run, and the day is not OK.
	simple := func(f func(context.Context) error) func(context.Context, *Fault) error {
		return func(ctx context.Context, _ *Fault) error { return f(ctx) }
	}
	faults := []struct {
		at   float64
		name string
		do   func(context.Context, *Fault) error
	}{
		{0.06, "worker SIGKILL", simple(w.cfg.Faults.KillWorker)},
		{0.12, "API SIGKILL", simple(w.cfg.Faults.KillAPI)},
		// While placements go on: every transition, allocation and placement of that title waits.
		{0.18, fmt.Sprintf("busiest title's row locked %s", lockFor), w.lockTitle},
		{0.42, "PostgreSQL restart", simple(w.cfg.Faults.RestartPostgres)},
		// In the middle of the day: every process of the cluster stopped, so every query in flight hangs.
		{0.50, fmt.Sprintf("PostgreSQL frozen %s (SIGSTOP)", freezeFor), func(_ context.Context, rec *Fault) error {
			return w.freeze(ctx, rec) // the run's context: an interrupted run lifts the freeze at once
		}},
		{0.82, "worker SIGKILL", simple(w.cfg.Faults.KillWorker)},
		{0.92, "Temporal dev server restart", simple(w.cfg.Faults.RestartTemporal)},
	}
	rep.FaultsPlanned = len(faults)
	began := time.Now()
	for _, f := range faults {
		sleep(dctx, time.Until(began.Add(time.Duration(f.at*float64(w.cfg.Duration)))))
		if dctx.Err() != nil {
			w.log.Error("chaos: the day ended before a fault was due", "fault", f.name)
			break
		}
		t := time.Now()
		w.log.Info("chaos: fault", "fault", f.name, "at", t.Sub(began).Round(time.Second))
		rec := Fault{Name: f.name, AtSeconds: t.Sub(began).Seconds(), start: t}
		// The fault itself must finish even when the day ends meanwhile: a half-restarted stack proves nothing.
		err := f.do(context.WithoutCancel(ctx), &rec)
		rec.DowntimeMS = time.Since(t).Milliseconds()
		if err != nil {
			rec.Err = err.Error()
			w.log.Error("chaos: the service did not come back", "fault", f.name, "err", err)
		}
		w.log.Info("chaos: fault over", "fault", f.name, "took", time.Since(t).Round(100*time.Millisecond), "detail", rec.Detail)
		rep.Faults = append(rep.Faults, rec)
	}
	wg.Wait()
}

// overdueGrace is how long a ready hold may stay ready past its pickup window before it counts as stuck: a
// step must happen within about 30 s of the database coming back (workflows/hold_retry.go).
const overdueGrace = 30 * time.Second

// verify waits until the check passes (or cfg.Settle is over) and looks for lost holds, holds left past their
// pickup window and duplicate mail. Then it runs the check once more, since the expiries it waited for move
// copies on.
func (w *world) verify(ctx context.Context, rep *Report, dayEnd time.Time) error {
	tc, err := client.DialContext(ctx, client.Options{HostPort: w.cfg.TemporalAddress, Logger: quiet{}})
	if err != nil {
		return fmt.Errorf("chaos: connect to Temporal: %w", err)
	}
	defer tc.Close()
	o := check.Options{TaskQueue: w.cfg.TaskQueue, Settle: 2 * time.Second, Mailpit: w.cfg.MailpitURL, Limits: w.cfg.Limits,
		CancelApprovalDelay: w.cfg.CancelApprovalDelay, TimeZone: w.cfg.TimeZone}
	cctx, cancel := context.WithTimeout(ctx, w.cfg.Settle)
	defer cancel()
	r, err := check.Until(cctx, w.db, tc, o, 3*time.Second)
	rep.RecoveryS = time.Since(dayEnd).Seconds()
	if err != nil {
		return fmt.Errorf("chaos: check: %w", err)
	}
	rep.Violations = r.Violations
	rep.ReadyEvents = r.ReadyEvents

	// A hold left ready past its pickup window (its expiry dropped) is stuck; yoyaku check's stuck rule goes by
	// the pickup date only, which a window of seconds never passes. Every window that ended during the day gets
	// overdueGrace to be over. An extended hold's window is the one its extension set.
	if w.cfg.PickupWindow > 0 {
		sleep(ctx, time.Until(dayEnd.Add(overdueGrace)))
		if err := w.db.SelectContext(ctx, &rep.StuckOverdue, `
			SELECT h.id FROM holds h
			WHERE h.status = 'ready' AND h.contact_date IS NOT NULL
				AND `+expiresAt("$1")+` < now() - make_interval(secs => $2)
			ORDER BY h.id`, w.cfg.PickupWindow.Seconds(), overdueGrace.Seconds()); err != nil {
			return fmt.Errorf("chaos: look for holds past their pickup window: %w", err)
		}
		for _, id := range rep.StuckOverdue {
			w.log.Error("chaos: hold still ready past its pickup window", "hold", id)
		}
		if r, err = check.Until(cctx, w.db, tc, o, 3*time.Second); err != nil {
			return fmt.Errorf("chaos: check: %w", err)
		}
		rep.Violations = r.Violations
		rep.ReadyEvents = r.ReadyEvents
	}

	// An extension that did not move the expiry timer shows as an expiry before the extended deadline (the
	// timer fires at it or after; a second of slack for the clocks of Temporal and PostgreSQL). Every
	// extension must have its expiry recorded, or these measures would read nothing.
	var unread int
	if err := w.db.GetContext(ctx, &unread, `SELECT count(*) FROM holds h
		WHERE h.extended_at >= h.ready_at AND `+extendedExpiry+` IS NULL`); err != nil {
		return fmt.Errorf("chaos: read the extensions' expiries: %w", err)
	}
	if unread > 0 {
		return fmt.Errorf("chaos: %d extended holds have no expiry recorded with their extension", unread)
	}
	if err := w.db.SelectContext(ctx, &rep.EarlyExpiries, `SELECT h.id FROM holds h
		WHERE h.cancel_reason = 'expired' AND h.cancelled_at < `+extendedExpiry+` - interval '1 second' ORDER BY h.id`); err != nil {
		return fmt.Errorf("chaos: look for extended holds that expired early: %w", err)
	}
	for _, id := range rep.EarlyExpiries {
		w.log.Error("chaos: extended hold expired before its extended deadline", "hold", id)
	}

	w.mu.Lock()
	ids := make([]string, 0, len(w.holds))
	for id := range w.holds {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	var found []string
	if err := w.db.SelectContext(ctx, &found, `SELECT id::text FROM holds WHERE id::text = ANY($1)`, pqArray(ids)); err != nil {
		return fmt.Errorf("chaos: look for the placed holds: %w", err)
	}
	have := map[string]bool{}
	for _, id := range found {
		have[id] = true
	}
	for _, id := range ids {
		if !have[id] {
			rep.LostHolds = append(rep.LostHolds, id)
		}
	}
	// A hold cancelled by a patron or by staff must be one somebody asked to cancel; expiring is the system's,
	// and so is ending a member of an any-of group that another member was served for (other_edition).
	var closed []struct {
		ID     string `db:"id"`
		Reason string `db:"cancel_reason"`
	}
	if err := w.db.SelectContext(ctx, &closed, `SELECT id::text AS id, cancel_reason FROM holds
		WHERE id::text = ANY($1) AND status = 'cancelled' AND cancel_reason <> 'expired'
			AND NOT (cancel_reason = 'other_edition' AND EXISTS (SELECT 1 FROM hold_groups g
				WHERE g.id = holds.group_id AND g.served_hold_id <> holds.id))`, pqArray(ids)); err != nil {
		return fmt.Errorf("chaos: look for the cancelled holds: %w", err)
	}
	w.mu.Lock()
	for _, h := range closed {
		if !w.cancelAsked[[2]string{h.ID, h.Reason}] {
			rep.LostHolds = append(rep.LostHolds, h.ID+" (cancelled as "+h.Reason+" without such a request)")
		}
	}
	w.mu.Unlock()
	// A hold still 休止中 must be one the day suspended and did not resume: a resume that was answered but did
	// not last, or a suspension nobody asked for, is a dropped or invented step.
	var suspended []string
	if err := w.db.SelectContext(ctx, &suspended, `SELECT id::text FROM holds WHERE id::text = ANY($1) AND status = 'suspended'`,
		pqArray(ids)); err != nil {
		return fmt.Errorf("chaos: look for the suspended holds: %w", err)
	}
	w.mu.Lock()
	for _, id := range suspended {
		if _, ok := w.suspended[id]; !ok {
			rep.StuckSuspended = append(rep.StuckSuspended, id)
			w.log.Error("chaos: hold suspended at the end although the day resumed it or never suspended it", "hold", id)
		}
	}
	w.mu.Unlock()
	if err := w.db.GetContext(ctx, &rep.HoldsInDatabase, `SELECT count(*) FROM holds`); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if err := w.db.SelectContext(ctx, &rep.StuckRequested, `SELECT id FROM holds WHERE status = 'requested' ORDER BY id`); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if err := w.db.GetContext(ctx, &rep.Expiries, `SELECT count(*) FROM holds WHERE cancel_reason = 'expired'`); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	// Every message in Mailpit, whatever the database says: one Message-ID to one address twice is a ready
	// mail sent twice (a worker killed between the mail server's acceptance and the record of it).
	copies, read, err := check.MailpitCopies(ctx, w.cfg.MailpitURL)
	if err != nil {
		return fmt.Errorf("chaos: read Mailpit: %w", err)
	}
	rep.MailsInMailpit = read
	for k, n := range copies {
		if n > 1 {
			rep.DuplicateMails += n - 1
			w.log.Error("chaos: ready mail sent more than once", "message_id", k.MessageID, "copies", n)
		}
	}
	return nil
}

// world is what the actors share: the stack, the fixtures, and what happened so far.
type world struct {
	cfg    Config
	api    *apiclient.Client
	db     *sqlx.DB
	log    *slog.Logger
	staff  string
	libs   []string
	lender string // card of the patron the desk lends copies to (the day's first loans, walk-ins)

	mu      sync.Mutex
	rng     *rand.Rand // under mu
	patrons []*patron
	titles  []string
	holds   map[string]*holdRec // placed holds by ID, under mu
	decided map[string]bool     // holds on the hold shelf whose fate (picked up or left to expire) is set, under mu
	// cancelAsked: (hold, "patron" or "staff") for every cancellation asked for, recorded before asking
	cancelAsked map[[2]string]bool
	suspended   map[string]suspension // holds suspended (or maybe, an answer lost) and not resumed since, under mu
	unexpected  []string              // answers to patrons' moves that valid moves never get, under mu
	groupIDs    map[string]bool       // any-of groups placed, under mu
	reqLog      *requestLog           // every API request of the day

	placed, returns, pulls, missing, receipts, pickups, walkIns, cancels, errs atomic.Int64
	suspensions, resumes, defers, extensions, patronRefusals, groups           atomic.Int64
}

type patron struct {
	card, token string
	titles      map[string]bool // titles this patron asked for (under world.mu): never twice
}

type holdRec struct {
	p     *patron
	title string
}

func (w *world) intn(n int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rng.IntN(n)
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// quiet drops the Temporal SDK's log lines.
type quiet struct{}

func (quiet) Debug(string, ...interface{}) {}
func (quiet) Info(string, ...interface{})  {}
func (quiet) Warn(string, ...interface{})  {}
func (quiet) Error(string, ...interface{}) {}
