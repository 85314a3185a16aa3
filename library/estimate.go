package library

import (
	"context"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/domain"
	"yoyaku/estimate"
	"yoyaku/store"
)

// historyFresh is how long the measured history serves the estimates before it is read again: it moves
// slowly, and reading a year of loans on every list would not.
const historyFresh = 10 * time.Minute

// estimateHistory caches store.EstimateHistory of one database (in one zone).
type estimateHistory struct {
	mu   sync.Mutex
	read time.Time
	h    estimate.History
}

// histories holds the cache of each database: the history is the database's, whichever Service (a copy with
// other limits, say) asks.
var histories sync.Map

func (s *Service) history(ctx context.Context, now time.Time) (estimate.History, error) {
	type key struct {
		db   *sqlx.DB
		zone string
	}
	v, _ := histories.LoadOrStore(key{s.DB, s.location().String()}, &estimateHistory{})
	c := v.(*estimateHistory)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.read.IsZero() && now.Sub(c.read) < historyFresh {
		return c.h, nil
	}
	h, err := store.EstimateHistory(ctx, s.DB, s.location())
	if err != nil {
		return estimate.History{}, err
	}
	c.h, c.read = h, now
	return h, nil
}

func (s *Service) location() *time.Location {
	if s.Cfg.Location == nil {
		return time.UTC
	}
	return s.Cfg.Location
}

// Estimates is 用意できる目安 for each queued hold among hs (返却待ち, 順番待ち), by hold ID. A queued hold
// whose title has no copy that circulates has a zero Range (unknown). Other holds are absent.
func (s *Service) Estimates(ctx context.Context, hs []store.HoldView) (map[int64]estimate.Range, error) {
	var titles []int64
	for _, h := range hs {
		if queued(h) {
			titles = append(titles, h.TitleID.Int64)
		}
	}
	if len(titles) == 0 {
		return nil, nil
	}
	now := time.Now()
	hist, err := s.history(ctx, now)
	if err != nil {
		return nil, err
	}
	copies, err := store.CirculatingCopies(ctx, s.DB, titles, s.location())
	if err != nil {
		return nil, err
	}
	out := make(map[int64]estimate.Range, len(titles))
	for _, h := range hs {
		if !queued(h) {
			continue
		}
		r, ok := estimate.Estimate(estimate.Input{Now: now, Loc: s.location(), Ahead: int(h.Position.Int64) - 1,
			Copies: copies[h.TitleID.Int64], LoanPeriod: store.LoanDays * estimate.Day, History: hist})
		if !ok {
			r = estimate.Range{Ahead: int(h.Position.Int64) - 1}
		}
		out[h.ID] = r
	}
	return out, nil
}

// queued reports whether h waits in its title's queue with a position (返却待ち or 順番待ち).
func queued(h store.HoldView) bool {
	return h.Status == domain.StatusQueued && h.Position.Valid && h.Position.Int64 >= 1 && h.TitleID.Valid
}
