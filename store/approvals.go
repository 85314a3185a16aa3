package store

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// approvedChannel is where a hold leaving 予約申込 is announced (migrations/00018_hold_approved_notify.sql).
const approvedChannel = "hold_approved"

// ApprovalWatch lets a placement wait for its hold's approval: one LISTEN connection per process, and the
// waiters of each hold. A notification lost to a reconnection only makes a waiter wait out its budget.
type ApprovalWatch struct {
	db  *sqlx.DB
	l   *pq.Listener
	log *slog.Logger

	mu      sync.Mutex
	waiting map[int64][]chan struct{}
}

// WatchApprovals listens on the approval channel through a connection of its own to url, until Close.
func WatchApprovals(db *sqlx.DB, url string, log *slog.Logger) (*ApprovalWatch, error) {
	w := &ApprovalWatch{db: db, log: log, waiting: map[int64][]chan struct{}{}}
	w.l = pq.NewListener(url, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("approval notifications", "event", ev, "err", err)
		}
	})
	if err := w.l.Listen(approvedChannel); err != nil {
		_ = w.l.Close()
		return nil, fmt.Errorf("store: listen %s: %w", approvedChannel, err)
	}
	go w.dispatch()
	return w, nil
}

func (w *ApprovalWatch) dispatch() {
	for n := range w.l.Notify {
		if n == nil { // reconnected: whatever was announced meanwhile is lost; its waiters time out
			continue
		}
		id, err := strconv.ParseInt(n.Extra, 10, 64)
		if err != nil {
			continue
		}
		w.mu.Lock()
		for _, ch := range w.waiting[id] {
			close(ch)
		}
		delete(w.waiting, id)
		w.mu.Unlock()
	}
}

// Close stops listening.
func (w *ApprovalWatch) Close() error { return w.l.Close() }

// Await returns once hold holdID has left 予約申込, or when budget has passed or ctx ends; it reports whether
// the hold was approved. It never fails: the placement stands whatever it says.
func (w *ApprovalWatch) Await(ctx context.Context, holdID int64, budget time.Duration) bool {
	ch := make(chan struct{})
	w.mu.Lock()
	w.waiting[holdID] = append(w.waiting[holdID], ch)
	w.mu.Unlock()
	defer w.forget(holdID, ch)
	// Registered first, then asked: an approval that committed before the registration is read here, a later
	// one is announced.
	var status domain.Status
	err := w.db.GetContext(ctx, &status, `SELECT status FROM holds WHERE id = $1`, holdID)
	if err == nil && status != domain.StatusRequested {
		return true
	}
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func (w *ApprovalWatch) forget(holdID int64, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	chs := w.waiting[holdID]
	for i, c := range chs {
		if c == ch {
			w.waiting[holdID] = append(chs[:i], chs[i+1:]...)
			break
		}
	}
	if len(w.waiting[holdID]) == 0 {
		delete(w.waiting, holdID)
	}
}
