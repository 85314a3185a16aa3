package bench

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"yoyaku/internal/apiclient"
	"yoyaku/internal/par"
	"yoyaku/store"
	yworker "yoyaku/worker"
)

// BaselineTaskQueue is where the bench runs its bare empty workflows, away from yoyaku's task queue.
const BaselineTaskQueue = "yoyaku-bench-baseline"

// baselineWorkflow is the empty workflow of the baseline: one workflow task, then completion.
const baselineWorkflow = "YoyakuBenchNoop"

func noopWorkflow(workflow.Context) error { return nil }

// startBaselineWorker runs the bench's own worker for the empty workflow, with the SDK's default options (as
// yoyaku's worker has them).
func startBaselineWorker(c client.Client) (worker.Worker, error) {
	w := worker.New(c, BaselineTaskQueue, yworker.Options())
	w.RegisterWorkflowWithOptions(noopWorkflow, workflow.RegisterOptions{Name: baselineWorkflow})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("baseline worker: %w", err)
	}
	return w, nil
}

// runBaseline starts n empty workflows with `concurrency` clients back to back (each client starts its next
// workflow as soon as ExecuteWorkflow returns) and waits for all of them to complete. The rate is n divided
// by the time from the first start request to the last completion.
func runBaseline(ctx context.Context, c client.Client, run string, round, n, concurrency int, log *slog.Logger) Throughput {
	var (
		logged    sync.Once
		errs      atomic.Int64
		mu        sync.Mutex
		lastStart time.Time
		lastDone  time.Time
		waits     sync.WaitGroup
	)
	first := time.Now()
	_ = par.Each(ctx, n, concurrency, func(sctx context.Context, i int) error {
		wr, err := c.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
			ID:        fmt.Sprintf("bench-noop-%s-%d-%d", run, round, i),
			TaskQueue: BaselineTaskQueue,
		}, baselineWorkflow)
		now := time.Now()
		if err != nil {
			logged.Do(func() { log.Warn("baseline: start", "err", err) })
			errs.Add(1)
			return nil
		}
		mu.Lock()
		lastStart = later(lastStart, now)
		mu.Unlock()
		waits.Add(1)
		go func() { // outlives par.Each's context: the run's ctx
			defer waits.Done()
			if err := wr.Get(ctx, nil); err != nil {
				logged.Do(func() { log.Warn("baseline: wait", "err", err) })
				errs.Add(1)
				return
			}
			done := time.Now()
			mu.Lock()
			lastDone = later(lastDone, done)
			mu.Unlock()
		}()
		return nil
	})
	waits.Wait()
	return throughput(n, concurrency, int(errs.Load()), first, lastStart, lastDone)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func throughput(n, concurrency, errs int, first, lastStart, lastDone time.Time) Throughput {
	t := Throughput{N: n, Concurrency: concurrency, Errors: errs,
		StartedS: Seconds(lastStart.Sub(first).Seconds()), CompletedS: Seconds(lastDone.Sub(first).Seconds()),
		StartedPer: NaN, PerSecond: NaN}
	ok := float64(n - errs)
	if t.StartedS > 0 {
		t.StartedPer = Float(ok / float64(t.StartedS))
	}
	if t.CompletedS > 0 {
		t.PerSecond = Float(ok / float64(t.CompletedS))
	}
	return t
}

// sweepPause is the least pause between two sweeps of the throughput run's watcher: its reads compete with
// the placements for the same CPUs, while the baseline waits for completions with long polls that cost
// nothing meanwhile.
const sweepPause = 100 * time.Millisecond

// placed is one hold placed by the throughput run.
type placed struct {
	id       string
	sent     time.Time // the POST was sent
	approved time.Time // first seen approved (zero: not yet)
}

// runPlacement places one hold per title with `concurrency` patrons' clients back to back (each POST
// /api/v1/holds names one title; a client sends its next as soon as the previous returns), while one watcher
// reads the patrons' hold lists (GET /api/v1/holds, one request per patron with holds not yet approved, then
// a pause of poll) to see each hold leave 予約申込. The rate is the holds placed and approved divided by the
// time from the first POST to the moment the last approval was seen; the watcher's sweep bounds how late
// that moment can be seen (one sweep plus poll).
func runPlacement(ctx context.Context, api *apiclient.Client, db *sqlx.DB, fx *fixtures, titles []copyFixture, concurrency int, poll time.Duration) (Throughput, Latency) {
	n := len(titles)
	var (
		mu        sync.Mutex
		errs      int
		lastStart time.Time
		pending   = map[*patron]map[string]*placed{} // not yet seen approved
		all       []*placed
		posted    atomic.Int64
	)
	fail := func() {
		mu.Lock()
		errs++
		mu.Unlock()
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watched := make(chan struct{})
	go func() { // the watcher
		defer close(watched)
		if db != nil {
			watchCommits(watchCtx, db, &mu, pending, func() bool { return int(posted.Load()) == n }, poll)
			return
		}
		for {
			mu.Lock()
			var who []*patron
			for p, hs := range pending {
				if len(hs) > 0 {
					who = append(who, p)
				}
			}
			done := int(posted.Load()) == n && len(who) == 0
			mu.Unlock()
			if done {
				return
			}
			for _, p := range who {
				hs, err := api.ListHolds(watchCtx, p.token)
				seen := time.Now()
				if err != nil {
					if watchCtx.Err() != nil {
						return
					}
					continue
				}
				mu.Lock()
				for _, h := range hs {
					if pl, ok := pending[p][h.ID]; ok && h.Approved() {
						pl.approved = seen
						delete(pending[p], h.ID)
					}
				}
				mu.Unlock()
			}
			select {
			case <-watchCtx.Done():
				return
			case <-time.After(poll):
			}
		}
	}()

	first := time.Now()
	_ = par.Each(ctx, n, concurrency, func(ctx context.Context, i int) error {
		defer posted.Add(1)
		p, err := fx.patrons.take()
		if err != nil {
			fail()
			return nil
		}
		sent := time.Now()
		id, err := api.PlaceHold(ctx, p.token, titles[i].titleID, fx.libraries[i%len(fx.libraries)])
		now := time.Now()
		if err != nil {
			fail()
			return nil
		}
		mu.Lock()
		lastStart = later(lastStart, now)
		pl := &placed{id: id, sent: sent}
		all = append(all, pl)
		if pending[p] == nil {
			pending[p] = map[string]*placed{}
		}
		pending[p][id] = pl
		mu.Unlock()
		return nil
	})
	// Holds never approved within a minute of the last placement count as errors.
	select {
	case <-watched:
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
	stopWatch()
	<-watched

	mu.Lock()
	defer mu.Unlock()
	var lastDone time.Time
	var lat []time.Duration
	for _, pl := range all {
		if pl.approved.IsZero() {
			errs++
			continue
		}
		lastDone = later(lastDone, pl.approved)
		lat = append(lat, pl.approved.Sub(pl.sent))
	}
	method := fmt.Sprintf("POST sent → seen approved in the patron's hold list (swept every %s)", poll)
	if db != nil {
		method = fmt.Sprintf("POST sent → approval committed (PostgreSQL commit timestamp, read every %s)", poll)
	}
	return throughput(n, concurrency, errs, first, lastStart, lastDone), Summarize(lat, n-len(lat), method)
}

// watchCommits is the throughput run's watcher where the bench reaches the database: one query per poll for
// the commit times of the pending holds' approvals (store.ApprovalCommits), instead of hold-list reads that
// would compete with the placements for the same CPUs. A hold counts as approved when its approval
// committed, the moment any reader could see it.
func watchCommits(ctx context.Context, db *sqlx.DB, mu *sync.Mutex, pending map[*patron]map[string]*placed, allPosted func() bool, poll time.Duration) {
	for {
		mu.Lock()
		byID := map[int64]*placed{}
		var ids []int64
		for _, hs := range pending {
			for id, pl := range hs {
				if n, err := strconv.ParseInt(id, 10, 64); err == nil {
					ids = append(ids, n)
					byID[n] = pl
				}
			}
		}
		done := allPosted() && len(ids) == 0
		mu.Unlock()
		if done {
			return
		}
		if len(ids) > 0 {
			at, err := store.ApprovalCommits(ctx, db, ids)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				mu.Lock()
				for id, t := range at {
					byID[id].approved = t
				}
				for _, hs := range pending {
					for id, pl := range hs {
						if !pl.approved.IsZero() {
							delete(hs, id)
						}
					}
				}
				mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// runApproveLatency places holds at a steady rate (open loop: one every 1/rate seconds whatever the answers,
// as patrons arrive) for duration, and polls each hold (GET /api/v1/holds/{id}, every poll) from the moment
// its POST returns until it has left 予約申込. The latency of a hold is from sending its POST to the answer
// that shows it approved, so it is at most one poll interval (plus a GET) late.
func runApproveLatency(ctx context.Context, api *apiclient.Client, fx *fixtures, titles []copyFixture, rate float64, poll time.Duration) (approve, post Latency) {
	var (
		mu    sync.Mutex
		lat   []time.Duration
		posts []time.Duration
		errs  int
		wg    sync.WaitGroup
	)
	start := time.Now()
	for i, t := range titles {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		select {
		case <-ctx.Done():
			wg.Wait()
			return Summarize(lat, len(titles)-len(lat), ""), Summarize(posts, 0, "")
		case <-time.After(time.Until(at)):
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, answered, err := placeAndWait(ctx, api, fx, t, fx.libraries[i%len(fx.libraries)], poll)
			mu.Lock()
			defer mu.Unlock()
			if answered > 0 {
				posts = append(posts, answered)
			}
			if err != nil {
				errs++
				return
			}
			lat = append(lat, d)
		}()
	}
	wg.Wait()
	return Summarize(lat, errs, fmt.Sprintf("%.0f holds/s for %.0f s; POST sent → GET shows approved (polled every %s)",
			rate, float64(len(titles))/rate, poll)),
		Summarize(posts, 0, "the POST /api/v1/holds of the paced run: sent → answered (hold recorded, workflow started)")
}

// placeAndWait places one hold and polls it until it is approved; it returns the time from sending the POST
// to seeing it approved, and to the POST's answer.
func placeAndWait(ctx context.Context, api *apiclient.Client, fx *fixtures, t copyFixture, pickup string, poll time.Duration) (approved, answered time.Duration, err error) {
	p, err := fx.patrons.take()
	if err != nil {
		return 0, 0, err
	}
	sent := time.Now()
	id, err := api.PlaceHold(ctx, p.token, t.titleID, pickup)
	if err != nil {
		return 0, 0, err
	}
	answered = time.Since(sent)
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := api.GetHold(ctx, p.token, id)
		if err == nil && h.Approved() {
			return time.Since(sent), answered, nil
		}
		if time.Now().After(deadline) {
			return 0, answered, fmt.Errorf("hold %s not approved after 30 s (%v, %v)", id, h.Status, err)
		}
		select {
		case <-ctx.Done():
			return 0, answered, ctx.Err()
		case <-time.After(poll):
		}
	}
}
