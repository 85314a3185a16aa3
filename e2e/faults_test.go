package e2e_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/contract"
	"yoyaku/domain"
)

// Faults longer than every timeout and retry window: a step that is delayed is fine, a step that is
// dropped is the worst bug yoyaku can have.

const rowLock = 20 * time.Second // longer than a transition's 12 s, and than its retries' backoff

// TestHoldRowLockedLongerThanItsTransition: a hold's row (and its title's, taken first as every transition
// does) is locked for 20 s by another session while (a) a cancellation request waits for approval, (b) a copy
// returned at the desk is signalled to the hold, (c) a ready hold's pickup window runs out. Once the lock is
// gone each hold reaches 本人取消, 利用可能 and 期限切れ (its copy passed on) within 30 s; nothing is lost and
// `yoyaku check` is clean.
func TestHoldRowLockedLongerThanItsTransition(t *testing.T) {
	all := newStack(t, map[string]string{"YOYAKU_CANCEL_APPROVAL_DELAY": "2s", "YOYAKU_PICKUP_WINDOW": "6s"})

	t.Run("cancellation approval", func(t *testing.T) {
		t.Parallel()
		s := all.sub(t)
		titleID, _, p, id := s.holdAwaitingReturn("none")
		s.mustDo("POST", "/api/v1/holds/"+id+"/cancel", p.token, struct{}{}, 202, nil)
		// the approval comes 2 s later, into the lock
		released := s.lockHoldRows(t, titleID, id, rowLock)
		s.wantStatusDuring(p, id, string(domain.StatusCancelRequested), released)
		h := s.waitStatusAfter(p, id, string(domain.StatusCancelled), released)
		if h.StatusLabel != "本人取消" || h.CancelReason == nil || *h.CancelReason != "patron" {
			t.Errorf("cancelled hold: %+v", h)
		}
	})

	t.Run("copy signal from a check-in", func(t *testing.T) {
		t.Parallel()
		s := all.sub(t)
		// PostgreSQL grants a row lock to whoever asks first once it is free, so on a busy machine the hold's
		// own transition can overtake the queued lock before the locking session is scheduled again: the fault
		// then never happened, and the scenario runs again with another hold (at most 3 times).
		for attempt := 1; ; attempt++ {
			if s.copySignalIntoALock(t) {
				return
			}
			if attempt == 3 {
				t.Fatal("the hold's transition overtook the lock 3 times: the fault could not be set up")
			}
			t.Logf("attempt %d: the hold's transition came before the lock; again with another hold", attempt)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		t.Parallel()
		s := all.sub(t)
		titleID, copies := s.title(domain.FormatBook, copySpec{branch: "chuo", onLoan: true})
		p, next := s.newPatron("email"), s.newPatron("none")
		id := s.placeOne(p, "chuo", titleID)
		nextID := s.placeOne(next, "chuo", titleID)
		s.waitStatus(next, nextID, string(domain.StatusWaiting))
		s.scan("checkin", copies[0], "chuo")
		h, _ := s.waitStatus(p, id, string(domain.StatusReady))
		for h.ContactDate == nil { // the mail went out: the 6 s pickup window runs
			time.Sleep(20 * time.Millisecond)
			h = s.getHold(p, id)
		}
		released := s.lockHoldRows(t, titleID, id, rowLock)
		s.wantStatusDuring(p, id, string(domain.StatusReady), released)
		h = s.waitStatusAfter(p, id, string(domain.StatusCancelled), released)
		if h.StatusLabel != "期限切れ" {
			t.Errorf("expired hold: %+v", h)
		}
		// the copy on the hold shelf went to the next patron, who needs only staff to take it off the shelf
		s.waitStatusAfter(next, nextID, string(domain.StatusAwaitingPull), released)
	})
}

// holdAwaitingReturn places a hold at chuo, for a patron with contact, on a new title whose one copy is on
// loan, and waits until it is 返却待ち.
func (s *stack) holdAwaitingReturn(contact string) (titleID, barcode string, p patron, holdID string) {
	s.t.Helper()
	titleID, copies := s.title(domain.FormatBook, copySpec{branch: "chuo", onLoan: true})
	p = s.newPatron(contact)
	holdID = s.placeOne(p, "chuo", titleID)
	s.waitStatus(p, holdID, string(domain.StatusAwaitingReturn))
	return titleID, copies[0], p, holdID
}

// sub is the stack as seen from subtest t.
func (s *stack) sub(t *testing.T) *stack {
	c := *s
	c.t = t
	return &c
}

// workflowSays reports whether the hold's workflow knows the hold is in status (PostgreSQL alone may show
// a transition whose workflow gave up on it: then nobody is told, and no timer runs). A closed hold's
// workflow has ended with that status.
func (s *stack) workflowSays(id, status string) bool {
	s.t.Helper()
	if status == string(domain.StatusCancelled) {
		var res contract.HoldResult
		ctx, cancel := context.WithTimeout(s.t.Context(), 2*time.Second)
		defer cancel()
		err := s.tc.GetWorkflow(ctx, "hold-"+id, "").Get(ctx, &res)
		return err == nil && res.Status == domain.StatusCancelled
	}
	v, err := s.tc.QueryWorkflow(s.t.Context(), "hold-"+id, "", contract.QueryState)
	if err != nil {
		s.t.Fatalf("query hold %s: %v", id, err)
	}
	var st contract.HoldState
	if err := v.Get(&st); err != nil {
		s.t.Fatal(err)
	}
	shown := domain.Status(status)
	if shown == domain.StatusAwaitingReturn || shown == domain.StatusWaiting {
		shown = domain.StatusQueued
	}
	return st.Status == shown
}

// lockSession opens a transaction of its own (another session) and returns it with its backend's PID.
func (s *stack) lockSession(t *testing.T) (*sqlx.Tx, int) {
	t.Helper()
	tx, err := s.db.BeginTxx(context.WithoutCancel(t.Context()), nil)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := tx.Get(&pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	return tx, pid
}

// lockRows locks the title's row in tx, and the hold's when holdID is not "", as a transition does (title
// first). It waits for locks others hold.
func (s *stack) lockRows(t *testing.T, tx *sqlx.Tx, titleID, holdID string) {
	if _, err := tx.Exec(`SELECT 1 FROM titles WHERE id = $1 FOR UPDATE`, titleID); err != nil {
		t.Error(err)
		return
	}
	if holdID != "" {
		if _, err := tx.Exec(`SELECT 1 FROM holds WHERE id = $1 FOR UPDATE`, holdID); err != nil {
			t.Error(err)
		}
	}
}

// lockHoldRows locks the title's and the hold's rows in a session of its own for d (a long transaction, a
// vacuum, a lock storm), returning once the locks are taken; the channel closes when they are released.
func (s *stack) lockHoldRows(t *testing.T, titleID, holdID string, d time.Duration) <-chan struct{} {
	tx, _ := s.lockSession(t)
	s.lockRows(t, tx, titleID, holdID)
	released := make(chan struct{})
	go func() {
		time.Sleep(d)
		if err := tx.Rollback(); err != nil {
			t.Errorf("release the lock: %v", err)
		}
		close(released)
	}()
	return released
}

// waitBlockedBy waits until some session waits for a lock that session pid holds.
func (s *stack) waitBlockedBy(t *testing.T, pid int) {
	t.Helper()
	s.waitLock(t, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid)
}

// waitBlocked waits until session pid waits for a lock.
func (s *stack) waitBlocked(t *testing.T, pid int) {
	t.Helper()
	s.waitLock(t, `SELECT cardinality(pg_blocking_pids($1))`, pid)
}

func (s *stack) waitLock(t *testing.T, query string, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := s.db.Get(&n, query, pid); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lock wait seen (%s, pid %d)", query, pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wantStatusDuring checks, while the lock lasts, that the hold has not moved (the fault is real) and that
// the patron's pages still answer.
func (s *stack) wantStatusDuring(p patron, id, status string, released <-chan struct{}) {
	s.t.Helper()
	time.Sleep(rowLock / 2)
	select {
	case <-released:
		s.t.Fatalf("the lock ended before the check: the machine is too slow for this test")
	default:
	}
	if h := s.getHold(p, id); h.Status != status {
		s.t.Errorf("during the lock hold %s is %s, want %s", id, h.Status, status)
	}
}

// waitStatusAfter waits for the hold to show status within 30 s of the lock's release.
func (s *stack) waitStatusAfter(p patron, id, status string, released <-chan struct{}) hold {
	s.t.Helper()
	<-released
	gone := time.Now()
	for {
		h := s.getHold(p, id)
		if h.Status == status && s.workflowSays(id, status) {
			s.t.Logf("hold %s became %s %s after the lock", id, status, time.Since(gone).Round(time.Millisecond))
			return h
		}
		if time.Since(gone) > 30*time.Second {
			s.dumpHistory("hold-" + id)
			s.t.Fatalf("hold %s is %s (%s) 30 s after the lock, want %s", id, h.Status, h.StatusLabel, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCheckinRetriedAfterDatabaseOutage: a check-in scanned while the worker cannot reach PostgreSQL fails
// (503, never 500); the desk's retry with the same Idempotency-Key once the database is back runs the scan
// again and routes the copy, once.
func TestCheckinRetriedAfterDatabaseOutage(t *testing.T) {
	role := fmt.Sprintf("worker_%d_%d", os.Getpid(), fixtureSeq.Add(1))
	s := newStackOpts(t, nil, stackOpts{workerDB: func(dbURL string, db *sqlx.DB) string {
		// The worker logs in as a role of its own, so that its database can go away while the API's stays.
		for _, q := range []string{
			`CREATE ROLE ` + pq.QuoteIdentifier(role) + ` LOGIN PASSWORD 'worker'`,
			`GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + pq.QuoteIdentifier(role),
			`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + pq.QuoteIdentifier(role),
		} {
			db.MustExec(q)
		}
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(role, "worker")
		return u.String()
	}})
	_, barcode, p, id := s.holdAwaitingReturn("email")

	// PostgreSQL goes away for the worker: its sessions are cut and it cannot log in again.
	s.db.MustExec(`ALTER ROLE ` + pq.QuoteIdentifier(role) + ` NOLOGIN`)
	s.db.MustExec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, role)
	key := map[string]string{"Idempotency-Key": "desk-retry-" + id}
	body := map[string]string{"barcode": barcode, "branch": "chuo"}
	var failed struct {
		Error struct{ Code string } `json:"error"`
	}
	if code := s.doHeader("POST", "/api/v1/staff/checkin", s.staff, key, body, &failed); code != 503 || failed.Error.Code != "unavailable" {
		t.Fatalf("check-in with the database away = %d %+v, want 503 unavailable", code, failed)
	}
	if h := s.getHold(p, id); h.Status != string(domain.StatusAwaitingReturn) {
		t.Fatalf("a failed check-in moved hold %s to %s", id, h.Status)
	}

	s.db.MustExec(`ALTER ROLE ` + pq.QuoteIdentifier(role) + ` LOGIN`)
	var r routing
	for deadline := time.Now().Add(time.Minute); ; {
		code := s.doHeader("POST", "/api/v1/staff/checkin", s.staff, key, body, &r)
		if code == 200 {
			break
		}
		if code != 503 || time.Now().After(deadline) {
			t.Fatalf("check-in retried with the same key = %d, want 200 (503 while the failed run ends)", code)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != id {
		t.Fatalf("routing %+v, want the hold shelf for hold %s", r, id)
	}
	s.waitStatus(p, id, string(domain.StatusReady))
	// the same key again: the same answer, nothing allocated twice
	var again routing
	s.mustDoHeader("POST", "/api/v1/staff/checkin", s.staff, key, body, 200, &again)
	if again.Action != r.Action || *again.HoldID != id {
		t.Errorf("a second retry answered %+v, want %+v", again, r)
	}
	s.mail.WaitFor(t, "to:"+p.emails[0], 1, 20*time.Second)
	var events int
	if err := s.db.Get(&events, `SELECT count(*) FROM hold_events WHERE hold_id = $1 AND to_status = 'ready'`, id); err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("hold %s became ready %d times", id, events)
	}
}

// copySignalIntoALock is the copy-signal case of TestHoldRowLockedLongerThanItsTransition: a check-in
// allocates the copy to a hold awaiting its return, and the hold's rows are locked before the hold's own
// transition (the copy signal) can commit. It returns false when that transition came first, so the fault
// never happened.
func (s *stack) copySignalIntoALock(t *testing.T) bool {
	titleID, barcode, p, id := s.holdAwaitingReturn("email")
	// The check-in must commit its allocation before the lock is taken, and the hold's own transition
	// must come after: the lock queues behind the check-in on the title's row, so it is taken the moment the
	// check-in commits, unless the transition overtakes it (the caller tries again).
	blocker, blockerPID := s.lockSession(t)
	s.lockRows(t, blocker, titleID, "")
	answer := make(chan routing, 1)
	go func() {
		var r routing
		code := s.do("POST", "/api/v1/staff/checkin", s.staff, map[string]string{"barcode": barcode, "branch": "chuo"}, &r)
		if code != 200 {
			t.Errorf("check-in answered %d", code)
		}
		answer <- r
	}()
	s.waitBlockedBy(t, blockerPID) // the check-in waits for the title
	lock, lockPID := s.lockSession(t)
	released := make(chan struct{})
	lockedStatus := make(chan string, 1)
	go func() {
		s.lockRows(t, lock, titleID, id) // queued behind the check-in
		var status string
		if err := lock.Get(&status, `SELECT status FROM holds WHERE id = $1`, id); err != nil {
			t.Errorf("the hold's status under the lock: %v", err)
		}
		lockedStatus <- status
		time.Sleep(rowLock)
		if err := lock.Rollback(); err != nil {
			t.Errorf("release the lock: %v", err)
		}
		close(released)
	}()
	s.waitBlocked(t, lockPID)
	if err := blocker.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-answer
	if r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != id {
		t.Fatalf("check-in routing %+v, want the hold shelf for hold %s", r, id)
	}
	if status := <-lockedStatus; status == string(domain.StatusReady) { // the row's status, not the shown one
		// Overtaken: the fault never happened. The hold went on without it (and, its 6 s pickup window
		// shorter than the lock, may well have expired by now): nothing to wait for.
		<-released
		return false
	}
	s.wantStatusDuring(p, id, string(domain.StatusAwaitingReturn), released)
	s.waitStatusAfter(p, id, string(domain.StatusReady), released)
	s.mail.WaitFor(t, "to:"+p.emails[0], 1, 30*time.Second) // the patron is told, once
	return true
}
