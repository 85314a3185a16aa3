package auth_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/auth"
	"yoyaku/internal/testenv"
)

// reserve reserves an attempt and fails the test on an error.
func reserve(t *testing.T, db *sqlx.DB, subject, ip string) (*auth.Attempt, time.Duration) {
	t.Helper()
	a, wait, err := auth.Reserve(t.Context(), db, subject, ip)
	if err != nil {
		t.Fatal(err)
	}
	if (a == nil) == (wait == 0) {
		t.Fatalf("Reserve(%s, %s) = %v, %v: want an attempt or a wait, not both or neither", subject, ip, a, wait)
	}
	return a, wait
}

// fail makes one attempt that fails, and fails the test if it cannot be made.
func fail(t *testing.T, db *sqlx.DB, subject, ip string) {
	t.Helper()
	a, wait := reserve(t, db, subject, ip)
	if a == nil {
		t.Fatalf("attempt for %s from %s refused (wait %v)", subject, ip, wait)
	}
	if err := a.Failed(t.Context(), db); err != nil {
		t.Fatal(err)
	}
}

func exec(t *testing.T, db *sqlx.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *sqlx.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.GetContext(t.Context(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestThrottleSubject(t *testing.T) {
	db := testenv.DB(t)
	subject, ip := auth.PatronSubject("1234567"), "192.0.2.10"
	for range auth.MaxSubjectFailures {
		fail(t, db, subject, ip)
	}
	_, wait := reserve(t, db, subject, ip)
	if wait < auth.FailureWindow-time.Minute || wait > auth.FailureWindow {
		t.Fatalf("after %d failures wait = %v, want about %v", auth.MaxSubjectFailures, wait, auth.FailureWindow)
	}
	if n := count(t, db, `SELECT count(*) FROM login_failures`); n != auth.MaxSubjectFailures {
		t.Fatalf("%d rows after %d failures and a refusal: the refusal was recorded", n, auth.MaxSubjectFailures)
	}
	// Another subject from the same address is not affected…
	other, _ := reserve(t, db, auth.PatronSubject("7654321"), ip)
	if other == nil {
		t.Fatal("another card is refused")
	}
	if err := other.Succeeded(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	// …nor is the subject once its failures have left the window; and a success forgets them.
	exec(t, db, `UPDATE login_failures SET at = at - interval '15 minutes'`)
	a, wait := reserve(t, db, subject, ip)
	if a == nil {
		t.Fatalf("still refused after the window (wait %v)", wait)
	}
	if err := a.Succeeded(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM login_failures WHERE subject = $1`, subject); n != 0 {
		t.Fatalf("%d rows of the subject left after a success, want 0", n)
	}
}

// TestThrottleWaitsForTheOldestCountedFailure pins Retry-After: it lasts until enough failures have left the
// window to fall below the limit, not a fixed 15 minutes from the last one.
func TestThrottleWaitsForTheOldestCountedFailure(t *testing.T) {
	db := testenv.DB(t)
	subject := auth.StaffSubject("tester")
	// Failures 14, 10, 6, 4, 2 and 1 minutes ago: six in the window; the 5th most recent is 10 minutes old.
	for _, ago := range []int{14, 10, 6, 4, 2, 1} {
		exec(t, db, `INSERT INTO login_failures (subject, client_ip, at) VALUES ($1, '192.0.2.20', now() - $2 * interval '1 minute')`,
			subject, ago)
	}
	_, wait := reserve(t, db, subject, "192.0.2.21")
	if wait > 5*time.Minute || wait < 5*time.Minute-5*time.Second {
		t.Fatalf("wait = %v, want 5m (until the failure of 10 minutes ago leaves the window)", wait)
	}
}

func TestThrottleClientAddress(t *testing.T) {
	db := testenv.DB(t)
	ip := "2001:db8::1"
	for i := range auth.MaxClientFailures {
		// Every attempt for a different card: only the address limit can apply.
		fail(t, db, auth.PatronSubject(fmt.Sprintf("%07d", i)), ip)
	}
	fresh := auth.PatronSubject("9999999")
	if a, wait := reserve(t, db, fresh, ip); a != nil || wait < auth.FailureWindow-time.Minute {
		t.Errorf("after %d failures from %s: wait = %v; want refused for about %v", auth.MaxClientFailures, ip, wait, auth.FailureWindow)
	}
	if a, _ := reserve(t, db, fresh, "2001:db8::2"); a == nil {
		t.Error("another address is refused")
	} else if err := a.Succeeded(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	// A correct login for one of the cards (from elsewhere) forgets that card's failure, which leaves the
	// address's count too: 29 left.
	a, _ := reserve(t, db, auth.PatronSubject("0000000"), "2001:db8::3")
	if a == nil {
		t.Fatal("card 0000000 refused from another address")
	}
	if err := a.Succeeded(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	if a, wait := reserve(t, db, fresh, ip); a == nil {
		t.Errorf("after one card's success (29 failures left): refused, wait %v", wait)
	}
}

// TestThrottleReservations: attempts being checked hold their places, so concurrent attempts cannot all pass
// one count; an attempt that only they hold back waits for their outcome instead of being refused or let
// through; a reservation whose outcome never came counts as a failure once PendingTimeout old.
func TestThrottleReservations(t *testing.T) {
	db := testenv.DB(t)
	subject, ip := auth.PatronSubject("1234567"), "192.0.2.40"

	t.Run("concurrent attempts", func(t *testing.T) {
		var (
			wg              sync.WaitGroup
			mu              sync.Mutex
			reserved, waits int
		)
		for range 30 {
			wg.Go(func() {
				a, wait, err := auth.Reserve(t.Context(), db, subject, ip)
				if err != nil {
					t.Error(err)
					return
				}
				if a != nil {
					time.Sleep(50 * time.Millisecond) // the password check
					if err := a.Failed(t.Context(), db); err != nil {
						t.Error(err)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				if a != nil {
					reserved++
				} else if wait > 0 {
					waits++
				}
			})
		}
		wg.Wait()
		if reserved != auth.MaxSubjectFailures || waits != 30-auth.MaxSubjectFailures {
			t.Fatalf("%d attempts reserved, %d refused; want %d and %d", reserved, waits, auth.MaxSubjectFailures, 30-auth.MaxSubjectFailures)
		}
		if n := count(t, db, `SELECT count(*) FROM login_failures WHERE subject = $1 AND NOT pending`, subject); n != auth.MaxSubjectFailures {
			t.Fatalf("%d failures recorded, want %d", n, auth.MaxSubjectFailures)
		}
	})

	t.Run("an attempt waits for the checks in progress", func(t *testing.T) {
		exec(t, db, `DELETE FROM login_failures`)
		for range auth.MaxSubjectFailures - 1 {
			fail(t, db, subject, ip)
		}
		inProgress, _ := reserve(t, db, subject, ip) // the 5th: being checked
		if inProgress == nil {
			t.Fatal("the 5th attempt is refused")
		}
		go func() {
			time.Sleep(300 * time.Millisecond)
			_ = inProgress.Succeeded(context.Background(), db) // it was the right password
		}()
		start := time.Now()
		a, wait := reserve(t, db, subject, ip)
		if a == nil {
			t.Fatalf("refused (wait %v) although the check in progress succeeded", wait)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Fatalf("reserved after %v, before the check in progress ended", d)
		}
		if err := a.Failed(t.Context(), db); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a reservation never ended counts as a failure", func(t *testing.T) {
		exec(t, db, `DELETE FROM login_failures`)
		for range auth.MaxSubjectFailures {
			a, _ := reserve(t, db, subject, ip)
			if a == nil {
				t.Fatal("refused")
			}
		}
		exec(t, db, `UPDATE login_failures SET at = at - $1 * interval '1 second'`, (auth.PendingTimeout + time.Second).Seconds())
		_, wait := reserve(t, db, subject, ip)
		if wait < auth.FailureWindow-time.Minute {
			t.Fatalf("wait = %v, want about %v", wait, auth.FailureWindow)
		}
	})
}

// TestAttemptOutcomeOutlivesTheRequest: a client that hangs up during the check does not leave its
// reservation pending.
func TestAttemptOutcomeOutlivesTheRequest(t *testing.T) {
	db := testenv.DB(t)
	a, _ := reserve(t, db, auth.PatronSubject("1234567"), "192.0.2.50")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := a.Failed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM login_failures WHERE NOT pending`); n != 1 {
		t.Fatalf("%d failures recorded, want 1", n)
	}
}

func TestSubjectsAreStorable(t *testing.T) {
	db := testenv.DB(t)
	// Whatever a client typed as a login — NUL bytes, a novel — can be reserved and recorded.
	for _, login := range []string{"a\x00b", strings.Repeat("あ", 5000)} {
		fail(t, db, auth.StaffSubject(login), "192.0.2.30\x00")
	}
}
