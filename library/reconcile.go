// Reconciling: finishing placements a crash cut short. A placement commits the hold's row, then starts
// its workflow; an API process killed in between leaves a hold in 予約申込 that nothing would ever move.
// Every worker runs ReconcileLoop, which starts the missing workflows. Starting is idempotent (the workflow ID is the
// hold's), so several workers, or a placement that is only slow, never get a hold started twice.
package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/store"
)

// ReconcileGrace is how long a placement may take to start its workflow before the reconciler steps in.
const ReconcileGrace = 30 * time.Second

// Reconciled says what one pass started.
type Reconciled struct {
	Holds  []int64 // holds whose workflow it started
	Series []int64 // series holds whose workflow it started
	Groups []int64 // any-of groups whose workflow it started
	// Closures are emergency closings whose workflow it started (recorded, then the API died before the start).
	Closures []int64
}

// Reconcile starts the workflow of every hold still in 予約申込 after ReconcileGrace without one, of every series hold
// or any-of group whose holds are all still in 予約申込 (its start never happened), and of every emergency closing
// not completed (a running one is left alone). A run that failed before approving is
// replaced. Starts that fail are reported together; the others still happen.
func Reconcile(ctx context.Context, db *sqlx.DB, tc client.Client, s Settings) (Reconciled, error) {
	var r Reconciled
	var errs []error
	s.AfterFailure = true // a hold still at its first transition whose run failed gets a new run
	holds, err := store.StrandedHolds(ctx, db, ReconcileGrace)
	if err != nil {
		return r, fmt.Errorf("reconcile: %w", err)
	}
	for _, h := range holds {
		var title int64
		if h.TitleID != nil {
			title = *h.TitleID
		}
		err = StartHold(ctx, tc, s, Hold{ID: h.ID, TitleID: title, Pickup: h.Pickup, Origin: h.Origin})
		switch {
		case err == nil:
			r.Holds = append(r.Holds, h.ID)
		case !AlreadyStarted(err):
			// one hold that cannot start must not keep the later ones waiting
			errs = append(errs, fmt.Errorf("start hold %d: %w", h.ID, err))
		}
	}
	// Series holds and any-of groups: parents whose workflow runs their holds' workflows as children.
	parents := []struct {
		kind     string
		stranded func(context.Context, sqlx.QueryerContext, time.Duration) ([]int64, error)
		holds    func(context.Context, sqlx.QueryerContext, int64) ([]store.SeriesVolume, error)
		start    func(id int64, holds []store.SeriesVolume) error
		started  *[]int64
	}{
		{"series hold", store.StrandedSeries, store.SeriesVolumes, func(id int64, hs []store.SeriesVolume) error {
			return StartSeries(ctx, tc, s, id, volumes(hs), false)
		}, &r.Series},
		{"hold group", store.StrandedGroups, store.GroupMembers, func(id int64, hs []store.SeriesVolume) error {
			return StartGroup(ctx, tc, s, id, volumes(hs))
		}, &r.Groups},
	}
	for _, p := range parents {
		ids, err := p.stranded(ctx, db, ReconcileGrace)
		if err != nil {
			return r, fmt.Errorf("reconcile: %w", err)
		}
		for _, id := range ids {
			hs, err := p.holds(ctx, db, id)
			if err != nil {
				return r, fmt.Errorf("reconcile: %w", err)
			}
			switch err := p.start(id, hs); {
			case err == nil:
				*p.started = append(*p.started, id)
			case !AlreadyStarted(err):
				errs = append(errs, fmt.Errorf("start %s %d: %w", p.kind, id, err))
			}
		}
	}
	closures, err := store.StrandedClosures(ctx, db, ReconcileGrace)
	if err != nil {
		return r, fmt.Errorf("reconcile: %w", err)
	}
	for _, id := range closures {
		err = StartClosure(ctx, tc, s, id)
		switch {
		case err == nil:
			r.Closures = append(r.Closures, id)
		case !AlreadyStarted(err):
			errs = append(errs, fmt.Errorf("start closure %d: %w", id, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("reconcile: %w", err)
	}
	return r, nil
}

// ReconcileLoop runs Reconcile every interval until ctx ends. A pass that fails (PostgreSQL or Temporal restarting) is
// logged and tried again at the next tick.
func ReconcileLoop(ctx context.Context, db *sqlx.DB, tc client.Client, s Settings, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, every)
		r, err := Reconcile(pctx, db, tc, s)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("reconcile pass failed", "err", err)
		case len(r.Holds)+len(r.Series)+len(r.Groups)+len(r.Closures) > 0:
			log.Warn("started workflows of stranded placements", "holds", r.Holds, "series", r.Series, "groups", r.Groups,
				"closures", r.Closures)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
