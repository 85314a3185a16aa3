package bench

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/internal/apiclient"
	"yoyaku/internal/check"
	"yoyaku/internal/par"
)

// Restart is a rolling restart under load: while clients place holds, each of Targets is restarted in turn
// (SIGTERM: it finishes its work and leaves; then it starts again and is waited for).
type Restart struct {
	Skipped  string             `json:"skipped,omitempty"`
	Targets  []string           `json:"targets"`
	Holds    int                `json:"holds"`    // holds the clients placed meanwhile
	Failed   int                `json:"failed"`   // requests that failed (error or no answer): the figure that must be 0
	Restarts map[string]Seconds `json:"restarts"` // how long each target took from its stop to ready again
	// NotApproved are holds placed but not seen approved a minute after the run.
	NotApproved int `json:"not_approved"`
	// Violations are what `yoyaku check` found after the run, and restarts that failed.
	Violations []string `json:"violations"`
}

// restartRate is the rolling restart's load: holds placed per second (400 holds: 16 s, which outlasts a
// worker's and an API replica's restart by far).
const restartRate = 25

// runRollingRestart places one hold on each of titles with concurrency clients, restartRate a second, and restarts
// the targets one after another once a tenth of the holds are placed. Then it waits for every hold to be
// approved and runs `yoyaku check` (when opts is given).
func runRollingRestart(ctx context.Context, api *apiclient.Client, fx *fixtures, titles []copyFixture, concurrency int,
	restart func(context.Context, string) error, targets []string, tc client.Client, opts *check.Options, db *sqlx.DB, log *slog.Logger) Restart {
	r := Restart{Targets: targets, Restarts: map[string]Seconds{}}
	var (
		mu      sync.Mutex
		placed  []placedHold
		failed  atomic.Int64
		started = make(chan struct{})
		kick    sync.Once
	)
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		select {
		case <-started:
		case <-ctx.Done():
			return
		}
		for _, name := range targets {
			t := time.Now()
			if err := restart(ctx, name); err != nil {
				mu.Lock()
				r.Violations = append(r.Violations, fmt.Sprintf("restart %s: %v", name, err))
				mu.Unlock()
				continue
			}
			r.Restarts[name] = Seconds(time.Since(t).Seconds())
			log.Info("rolling restart: back", "service", name, "took", time.Since(t).Round(10*time.Millisecond))
			time.Sleep(time.Second) // the replica settles before the next one goes
		}
	}()
	begin := time.Now()
	_ = par.Each(ctx, len(titles), concurrency, func(ctx context.Context, i int) error {
		// Paced, so that the load outlasts the restarts whatever the machine's speed.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(begin.Add(time.Duration(float64(i) / restartRate * float64(time.Second))))):
		}
		if i == len(titles)/10 {
			kick.Do(func() { close(started) })
		}
		p, err := fx.patrons.take()
		if err != nil {
			return err
		}
		id, err := api.PlaceHold(ctx, p.token, titles[i].titleID, fx.libraries[i%len(fx.libraries)])
		if err != nil {
			failed.Add(1)
			log.Warn("rolling restart: a placement failed", "err", err)
			return nil
		}
		mu.Lock()
		placed = append(placed, placedHold{id: id, token: p.token})
		mu.Unlock()
		return nil
	})
	kick.Do(func() { close(started) })
	select {
	case <-restarted:
	default:
		mu.Lock()
		r.Violations = append(r.Violations, "the load ended before the restarts did: run with more holds")
		mu.Unlock()
		<-restarted
	}
	r.Holds, r.Failed = len(placed), int(failed.Load())
	r.NotApproved = awaitApproved(ctx, api, placed, time.Minute)
	if opts != nil && db != nil {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		rep, err := check.Until(cctx, db, tc, *opts, 3*time.Second)
		if err != nil {
			r.Violations = append(r.Violations, "yoyaku check: "+err.Error())
		}
		for _, v := range rep.Violations {
			r.Violations = append(r.Violations, "yoyaku check: "+v.String())
		}
	}
	return r
}

// placedHold is a hold and its patron's token, to read it back.
type placedHold struct {
	id, token string
}

// awaitApproved reads the holds (8 clients) until each is approved or wait has passed, and returns how many
// were not.
func awaitApproved(ctx context.Context, api *apiclient.Client, holds []placedHold, wait time.Duration) int {
	pending := holds
	deadline := time.Now().Add(wait)
	for len(pending) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		var mu sync.Mutex
		var still []placedHold
		_ = par.Each(ctx, len(pending), 8, func(ctx context.Context, i int) error {
			h, err := api.GetHold(ctx, pending[i].token, pending[i].id)
			if err != nil || !h.Approved() {
				mu.Lock()
				still = append(still, pending[i])
				mu.Unlock()
			}
			return nil
		})
		pending = still
		if len(pending) > 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	return len(pending)
}
