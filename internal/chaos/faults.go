package chaos

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"yoyaku/store"

	"github.com/lib/pq"
)

// The two long stalls of issue 12 — PostgreSQL frozen, and a busy title's row locked — and what every fault
// did to the day: how long the clients' requests failed or waited, and how long no hold moved.

const (
	freezeFor = 30 * time.Second // PostgreSQL frozen (SIGSTOP) in the middle of the day
	lockFor   = 20 * time.Second // a busy title's row locked by another session, longer than a transition's 12 s
	// effectTail is how long after a fault (the service back, the stall lifted) its effects are still counted
	// as its own, unless the next fault comes first: the 30 s within which a step must happen again.
	effectTail = 30 * time.Second
	// slowRequest is how long a request may take before it counts as one that waited out a fault.
	slowRequest = 5 * time.Second
)

// freeze stops every process of the PostgreSQL cluster for freezeFor (Faults.FreezePostgres) and waits until
// it answers again. ctx is the run's own: an interrupted run ends the freeze at once.
func (w *world) freeze(ctx context.Context, rec *Fault) error {
	t := time.Now()
	detail, err := w.cfg.Faults.FreezePostgres(ctx, freezeFor)
	rec.lifted = time.Now()
	rec.StallS = rec.lifted.Sub(t).Seconds()
	rec.Detail = detail
	if err != nil {
		return err
	}
	return w.waitDB(context.WithoutCancel(ctx))
}

// waitDB waits until PostgreSQL answers a query again (at most a minute).
func (w *world) waitDB(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		qctx, qcancel := context.WithTimeout(ctx, 2*time.Second)
		var one int
		err := w.db.GetContext(qctx, &one, `SELECT 1`)
		qcancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL does not answer: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lockTitle takes the locks of the day's busiest title in a session of its own (store.StallTitle: its
// advisory lock and its row FOR UPDATE), keeps them lockFor while the day goes on, and rolls back. Every
// transition of that title's holds (they lock the title first, exclusively or shared), every allocation of
// its copies and every placement on it (the foreign key check) waits meanwhile. The busiest title is the
// one whose holds moved most in the last minute or have a step ahead soon (a copy being pulled, travelling
// or on the hold shelf, a cancellation request), then the one with the most open holds. It samples who
// waits on the lock.
func (w *world) lockTitle(ctx context.Context, rec *Fault) error {
	var busiest struct {
		ID     string `db:"id"`
		Open   int    `db:"open"`
		Active int    `db:"active"`
		Recent int    `db:"recent"`
	}
	if err := w.db.GetContext(ctx, &busiest, `
		WITH open AS (SELECT title_id, count(*) AS open,
				count(*) FILTER (WHERE status IN ('awaiting_pull', 'in_transit', 'ready', 'cancel_requested')) AS active
			FROM holds WHERE `+store.OpenHold+` AND title_id::text = ANY($1) GROUP BY title_id),
		recent AS (SELECT h.title_id, count(*) AS recent FROM hold_events ev JOIN holds h ON h.id = ev.hold_id
			WHERE ev.at > now() - interval '1 minute' GROUP BY h.title_id)
		SELECT o.title_id::text AS id, o.open, o.active, COALESCE(r.recent, 0) AS recent
		FROM open o LEFT JOIN recent r USING (title_id)
		ORDER BY o.active + COALESCE(r.recent, 0) DESC, o.open DESC, o.title_id LIMIT 1`, pqArray(w.titles)); err != nil {
		return fmt.Errorf("find the busiest title: %w", err)
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	titleID, err := strconv.ParseInt(busiest.ID, 10, 64)
	if err != nil {
		return fmt.Errorf("busiest title %q: %w", busiest.ID, err)
	}
	if err := store.StallTitle(ctx, tx, titleID); err != nil {
		return fmt.Errorf("lock title %s: %w", busiest.ID, err)
	}
	locked := time.Now()
	rec.Title = busiest.ID
	waiters := 0
	seen := map[string]bool{} // backend and statement of every wait seen
	kinds := map[string]int{} // how many waits per statement
	for time.Since(locked) < lockFor {
		// A session waits on the lock directly or behind another waiter (the first one for a row holds its
		// tuple lock, and later ones wait for that one): follow the chains back to the lock's session.
		var rows []struct {
			PID      int           `db:"pid"`
			Blockers pq.Int64Array `db:"blockers"`
			Query    string        `db:"query"`
		}
		if err := w.db.SelectContext(ctx, &rows, `SELECT pid, blockers, left(regexp_replace(query, '\s+', ' ', 'g'), 40) AS query
			FROM (SELECT pid, query, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE wait_event_type = 'Lock') a
			WHERE cardinality(blockers) > 0`); err == nil {
			behind := map[int]bool{pid: true}
			for grew := true; grew; {
				grew = false
				for _, r := range rows {
					if !behind[r.PID] && slices.ContainsFunc(r.Blockers, func(b int64) bool { return behind[int(b)] }) {
						behind[r.PID], grew = true, true
					}
				}
			}
			waiters = max(waiters, len(behind)-1)
			for _, r := range rows {
				if k := fmt.Sprint(r.PID, r.Query); behind[r.PID] && !seen[k] {
					seen[k] = true
					kinds[strings.TrimSpace(r.Query)]++
				}
			}
		}
		sleep(ctx, min(250*time.Millisecond, lockFor-time.Since(locked)))
	}
	err = tx.Rollback()
	rec.lifted = time.Now()
	rec.StallS = rec.lifted.Sub(locked).Seconds()
	rec.LockWaiters = waiters
	var waits []string
	for q, n := range kinds {
		waits = append(waits, fmt.Sprintf("%d× %q", n, q))
	}
	slices.Sort(waits)
	rec.Detail = fmt.Sprintf("title %s: %d open holds, %d with a step ahead, %d transitions in the minute before; "+
		"up to %d sessions waited on it at once, %d waits in all: %s",
		busiest.ID, busiest.Open, busiest.Active, busiest.Recent, waiters, len(seen), strings.Join(waits, ", "))
	if err != nil {
		return fmt.Errorf("release title %s: %w", busiest.ID, err)
	}
	return nil
}

// request is one API request of the day's actors, as the client saw it.
type request struct {
	start, end time.Time
	failed     bool // no answer, a timeout or a 5xx: the actor retried it or gave up on it
}

// requestLog records every API request the actors send (an http.RoundTripper around the client's).
type requestLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []request
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := l.next.RoundTrip(r)
	rec := request{start: start, end: time.Now(), failed: err != nil || resp.StatusCode >= 500}
	l.mu.Lock()
	l.reqs = append(l.reqs, rec)
	l.mu.Unlock()
	return resp, err
}

func (l *requestLog) snapshot() []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]request(nil), l.reqs...)
}

// contactedAt is when a ready hold's patron was told, as SQL over holds h: the first ready mail accepted for
// its ready event (the pickup window counts from about then), else the ready time.
const contactedAt = `COALESCE((SELECT min(n.sent_at) FROM notifications n WHERE n.hold_id = h.id AND n.created_at >= h.ready_at), h.ready_at)`

// extendedExpiry is when a ready hold extended (取置延長) since it became ready expires, as SQL over holds h:
// the expiry its extension's transition recorded (the one the workflow's timer was set to), else NULL.
const extendedExpiry = `(SELECT (e.detail->'contact'->>'ExpiresAt')::timestamptz FROM hold_events e
	WHERE e.hold_id = h.id AND e.detail->>'op' = 'extend' AND e.at >= h.ready_at ORDER BY e.transition DESC LIMIT 1)`

// expiresAt is when a ready hold expires, as SQL over holds h, with window the SQL parameter that holds the
// pickup window in seconds: its extension's expiry, else a window after its patron was told.
func expiresAt(window string) string {
	return `COALESCE(` + extendedExpiry + `, ` + contactedAt + ` + make_interval(secs => ` + window + `))`
}

// measureFaults fills in what each fault did to the day in its window — from the break until the service
// had been back for effectTail or the next fault came, whichever is first: the requests that ended in it, the
// pause in the holds' transitions and how late the approvals and expiries due in it came. The window of the
// last fault may reach past the end of the day (the clients have stopped; the holds go on). The title lock's
// transitions are those of the title's holds, which no other fault singles out: their window is not cut short
// by the next fault.
func (w *world) measureFaults(ctx context.Context, rep *Report) error {
	reqs := w.reqLog.snapshot()
	for i := range rep.Faults {
		f := &rep.Faults[i]
		back := f.start.Add(time.Duration(f.DowntimeMS) * time.Millisecond)
		until := back.Add(effectTail)
		if i+1 < len(rep.Faults) {
			until = maxTime(minTime(until, rep.Faults[i+1].start), back)
		}
		var lastFailed time.Time
		for _, r := range reqs {
			if r.end.Before(f.start) || !r.end.Before(until) { // a request counts where it ended
				continue
			}
			f.Requests++
			d := r.end.Sub(r.start)
			f.SlowestRequestMS = max(f.SlowestRequestMS, d.Milliseconds())
			if d >= slowRequest {
				f.SlowRequests++
			}
			if r.failed {
				f.FailedRequests++
				lastFailed = maxTime(lastFailed, r.end)
			}
		}
		if !lastFailed.IsZero() {
			f.FailingMS = lastFailed.Sub(f.start).Milliseconds()
		}

		// Transitions around the fault: of every hold, or of the locked title's.
		resumed := back
		if !f.lifted.IsZero() {
			resumed = f.lifted
		}
		stepsUntil := until
		if f.Title != "" {
			stepsUntil = back.Add(effectTail)
		}
		var ats []time.Time
		if err := w.db.SelectContext(ctx, &ats, `SELECT ev.at FROM hold_events ev JOIN holds h ON h.id = ev.hold_id
			WHERE ev.at BETWEEN $1 AND $2 AND ($3 = '' OR h.title_id::text = $3) ORDER BY ev.at`,
			f.start.Add(-effectTail), stepsUntil, f.Title); err != nil {
			return fmt.Errorf("chaos: hold events around %s: %w", f.Name, err)
		}
		for j := 1; j < len(ats); j++ {
			if ats[j].After(f.start) && ats[j-1].Before(resumed.Add(time.Second)) {
				f.StepPauseMS = max(f.StepPauseMS, ats[j].Sub(ats[j-1]).Milliseconds())
			}
		}
		if len(ats) > 0 && ats[len(ats)-1].Before(resumed) {
			f.StepPauseMS = max(f.StepPauseMS, stepsUntil.Sub(ats[len(ats)-1]).Milliseconds())
		}
		for _, at := range ats {
			if !at.Before(f.start) {
				f.Steps++
			}
		}
		for _, at := range ats {
			if !at.Before(resumed) {
				f.StepsResumedMS = at.Sub(resumed).Milliseconds()
				break
			}
		}

		// The steps that fell due in the window: how late the latest came, and how long after the service was
		// back (or it fell due, if later) — one not taken yet counts until now.
		var late struct {
			N       int     `db:"n"`
			LateMS  float64 `db:"late_ms"`
			AfterMS float64 `db:"after_ms"`
		}
		const lateness = `SELECT count(*) AS n, COALESCE(max(extract(epoch FROM COALESCE(done, now()) - due) * 1000), 0) AS late_ms,
				COALESCE(max(extract(epoch FROM COALESCE(done, now()) - greatest(due, $4)) * 1000), 0) AS after_ms`
		if err := w.db.GetContext(ctx, &late, lateness+`
			FROM (SELECT cancelled_at AS done, cancel_requested_at + make_interval(secs => $3) AS due FROM holds
				WHERE cancel_requested_at IS NOT NULL AND (cancel_reason = 'patron' OR status = 'cancel_requested')) x
			WHERE due BETWEEN $1 AND $2`, f.start, until, w.cfg.CancelApprovalDelay.Seconds(), resumed); err != nil {
			return fmt.Errorf("chaos: approvals due in %s: %w", f.Name, err)
		}
		f.ApprovalsDue, f.ApprovalLateMS, f.ApprovalAfterMS = late.N, max(0, int64(late.LateMS)), max(0, int64(late.AfterMS))
		if w.cfg.PickupWindow > 0 {
			if err := w.db.GetContext(ctx, &late, lateness+`
				FROM (SELECT h.cancelled_at AS done, `+expiresAt("$3")+` AS due FROM holds h
					WHERE h.contact_date IS NOT NULL AND (h.cancel_reason = 'expired' OR h.status = 'ready')) x
				WHERE due BETWEEN $1 AND $2`, f.start, until, w.cfg.PickupWindow.Seconds(), resumed); err != nil {
				return fmt.Errorf("chaos: expiries due in %s: %w", f.Name, err)
			}
			f.ExpiriesDue, f.ExpiryLateMS, f.ExpiryAfterMS = late.N, max(0, int64(late.LateMS)), max(0, int64(late.AfterMS))
		}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// String is a fault's line in the summary: "PostgreSQL frozen 30s (SIGSTOP) at 54 s: …".
func (f Fault) String() string {
	s := fmt.Sprintf("%s at %.0f s: back after %s", f.Name, f.AtSeconds, dur(f.DowntimeMS))
	if f.Detail != "" {
		s += " (" + f.Detail + ")"
	}
	s += fmt.Sprintf("; %d requests, %d failed and retried", f.Requests, f.FailedRequests)
	if f.FailedRequests > 0 {
		s += fmt.Sprintf(" (failing for %s)", dur(f.FailingMS))
	}
	s += fmt.Sprintf(", %d waited ≥ %s (slowest %s)", f.SlowRequests, slowRequest, dur(f.SlowestRequestMS))
	steps := "hold transitions"
	if f.Title != "" {
		steps = "transitions of the title's holds"
	}
	s += fmt.Sprintf("; %d %s began in the window", f.Steps, steps)
	if f.Steps > 0 {
		s += fmt.Sprintf(", none for %s, the first after the end %s after it", dur(f.StepPauseMS), dur(f.StepsResumedMS))
	}
	s += fmt.Sprintf("; approvals due: %d, the latest %s late (%s after the end); expiries due: %d, the latest %s late (%s after the end)",
		f.ApprovalsDue, dur(f.ApprovalLateMS), dur(f.ApprovalAfterMS), f.ExpiriesDue, dur(f.ExpiryLateMS), dur(f.ExpiryAfterMS))
	if f.Err != "" {
		s += "; ERROR: " + f.Err
	}
	return s
}

func dur(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond).String()
}
