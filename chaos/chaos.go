// Package chaos runs a library's busy day against a whole yoyaku stack while it breaks the stack: the worker
// is SIGKILLed twice, the API once, PostgreSQL and the Temporal dev server are restarted once each. Holds are
// placed, copies returned, pulled, sent, received, picked up, cancelled and left to expire throughout. When
// the stack has recovered, `yoyaku check` must find nothing, no hold may be lost and no ready mail may have
// been sent twice. `yoyaku chaos` runs it (`make chaos`; a shorter run is part of `make test`).
package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/apiclient"
	"yoyaku/check"
	"yoyaku/store"
)

// Faults breaks the stack under test. Each call returns when the service is back.
type Faults interface {
	KillWorker(ctx context.Context) error      // SIGKILL, then start again
	KillAPI(ctx context.Context) error         // SIGKILL, then start again
	RestartPostgres(ctx context.Context) error // stop (fast shutdown), then start again
	RestartTemporal(ctx context.Context) error // stop, then start again on the same database file
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
	Seed                uint64
	Log                 *slog.Logger
}

// Fault is one break and how long the service took to come back.
type Fault struct {
	Name       string  `json:"name"`
	AtSeconds  float64 `json:"at_s"`        // into the day
	DowntimeMS int64   `json:"downtime_ms"` // from the break until the service answered again
	Err        string  `json:"error,omitempty"`
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
	Expiries        int               `json:"expiries"`
	ReadyEvents     int               `json:"ready_events"`
	MailsInMailpit  int               `json:"mails_in_mailpit"`
	ClientErrors    int64             `json:"client_errors"` // requests that failed while the stack was broken (retried)
	Faults          []Fault           `json:"faults"`
	RecoveryS       float64           `json:"recovery_s"` // from the end of the day until the check passed
	Violations      []check.Violation `json:"violations"`
	LostHolds       []string          `json:"lost_holds"` // confirmed holds missing, or closed in a way nobody asked for
	StuckRequested  []int64           `json:"stuck_requested"`
	DuplicateMails  int               `json:"duplicate_mails"`
	ElapsedS        float64           `json:"elapsed_s"`
}

// OK reports whether the run found nothing wrong.
// A day in which some kind of event never happened proves nothing about it, and is not OK either.
func (r *Report) OK() bool {
	busy := r.HoldsPlaced > 0 && r.Returns > 0 && r.Pulls > 0 && r.Receipts > 0 && r.Pickups > 0 && r.Cancellations > 0 &&
		r.Expiries > 0 && r.ReadyEvents > 0 && r.MailsInMailpit > 0
	return busy && len(r.Violations) == 0 && len(r.LostHolds) == 0 && len(r.StuckRequested) == 0 && r.DuplicateMails == 0 &&
		len(r.Faults) == 5 && !slices.ContainsFunc(r.Faults, func(f Fault) bool { return f.Err != "" })
}

// Summary is the one line a run ends with.
func (r *Report) Summary() string {
	return fmt.Sprintf("holds=%d returns=%d pulls=%d receipts=%d pickups=%d cancellations=%d expiries=%d mails=%d faults=%d "+
		"violations=%d lost=%d stuck=%d duplicates=%d recovery=%s",
		r.HoldsPlaced, r.Returns, r.Pulls, r.Receipts, r.Pickups, r.Cancellations, r.Expiries, r.MailsInMailpit, len(r.Faults),
		len(r.Violations), len(r.LostHolds), len(r.StuckRequested), r.DuplicateMails, time.Duration(r.RecoveryS*float64(time.Second)).Round(time.Second))
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
		cancelAsked: map[[2]string]bool{}}
	log.Info("chaos: setting up", "titles", cfg.Titles, "patrons", cfg.Patrons)
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
	log.Info("chaos: the day is over; waiting for the stack to settle", "up_to", cfg.Settle)
	err = w.verify(ctx, rep)
	rep.RecoveryS = time.Since(end).Seconds()
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
	faults := []struct {
		at   float64
		name string
		do   func(context.Context) error
	}{
		{0.15, "worker SIGKILL", w.cfg.Faults.KillWorker},
		{0.30, "API SIGKILL", w.cfg.Faults.KillAPI},
		{0.45, "PostgreSQL restart", w.cfg.Faults.RestartPostgres},
		{0.60, "worker SIGKILL", w.cfg.Faults.KillWorker},
		{0.75, "Temporal dev server restart", w.cfg.Faults.RestartTemporal},
	}
	began := time.Now()
	for _, f := range faults {
		sleep(dctx, time.Until(began.Add(time.Duration(f.at*float64(w.cfg.Duration)))))
		if dctx.Err() != nil {
			break
		}
		t := time.Now()
		w.log.Info("chaos: fault", "fault", f.name, "at", t.Sub(began).Round(time.Second))
		// The fault itself must finish even when the day ends meanwhile: a half-restarted stack proves nothing.
		err := f.do(context.WithoutCancel(ctx))
		rec := Fault{Name: f.name, AtSeconds: t.Sub(began).Seconds(), DowntimeMS: time.Since(t).Milliseconds()}
		if err != nil {
			rec.Err = err.Error()
			w.log.Error("chaos: the service did not come back", "fault", f.name, "err", err)
		}
		rep.Faults = append(rep.Faults, rec)
	}
	wg.Wait()
}

// verify waits until the check passes (or cfg.Settle is over) and looks for lost holds and duplicate mail.
func (w *world) verify(ctx context.Context, rep *Report) error {
	tc, err := client.DialContext(ctx, client.Options{HostPort: w.cfg.TemporalAddress, Logger: quiet{}})
	if err != nil {
		return fmt.Errorf("chaos: connect to Temporal: %w", err)
	}
	defer tc.Close()
	o := check.Options{TaskQueue: w.cfg.TaskQueue, Settle: 2 * time.Second, Mailpit: w.cfg.MailpitURL, Limits: w.cfg.Limits,
		CancelApprovalDelay: w.cfg.CancelApprovalDelay, TimeZone: w.cfg.TimeZone}
	cctx, cancel := context.WithTimeout(ctx, w.cfg.Settle)
	r, err := check.Until(cctx, w.db, tc, o, 3*time.Second)
	cancel()
	if err != nil {
		return fmt.Errorf("chaos: check: %w", err)
	}
	rep.Violations = r.Violations
	rep.ReadyEvents = r.ReadyEvents

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
	// A hold cancelled by a patron or by staff must be one somebody asked to cancel; expiring is the system's.
	var closed []struct {
		ID     string `db:"id"`
		Reason string `db:"cancel_reason"`
	}
	if err := w.db.SelectContext(ctx, &closed, `SELECT id::text AS id, cancel_reason FROM holds
		WHERE id::text = ANY($1) AND status = 'cancelled' AND cancel_reason <> 'expired'`, pqArray(ids)); err != nil {
		return fmt.Errorf("chaos: look for the cancelled holds: %w", err)
	}
	w.mu.Lock()
	for _, h := range closed {
		if !w.cancelAsked[[2]string{h.ID, h.Reason}] {
			rep.LostHolds = append(rep.LostHolds, h.ID+" (cancelled as "+h.Reason+" without such a request)")
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

	placed, returns, pulls, missing, receipts, pickups, walkIns, cancels, errs atomic.Int64
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
