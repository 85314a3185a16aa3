package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/store"
)

// Login throttling: too many failed logins for one account, or from one client address, within
// FailureWindow refuse further attempts (even correct ones) until the oldest counted failure leaves the window.
//
// The limits cannot be raced. Reserve takes a transaction-scoped advisory lock on the subject and then on the
// client address, counts, and when one more attempt is allowed inserts it as a pending row of
// login_failures before anyone checks the password; the locks end with that short transaction, never held
// across the (slow) password check. Concurrent attempts for one subject or from one address are therefore
// counted one after the other, and each sees the reservations of those before it. The caller then checks the
// password and ends the attempt: Failed keeps the row as a failure, Succeeded deletes it with the subject's
// failures (as a correct login always has).
//
// A limit counts failures only — never successes, never refused requests (they insert nothing). A pending
// reservation is not yet a failure: when only pending reservations stand between an attempt and a limit,
// Reserve waits (at most QueueWait) for their checks to end rather than count them either way, so a correct
// login is refused by the per-address limit only when MaxClientFailures failed checks came from that address.
// A reservation never ended (its process died during the check) counts as a failure once PendingTimeout old.
const (
	FailureWindow      = 15 * time.Minute
	MaxSubjectFailures = 5  // per card number or staff login
	MaxClientFailures  = 30 // per client IP address
	PendingTimeout     = 30 * time.Second
	QueueWait          = 3 * time.Second
)

// Advisory lock classes (pg_advisory_xact_lock(class, hashtext(key))): the two-key lock space, which does
// not overlap the one-key locks of goose and seed. Subjects are always locked before addresses, and no
// transaction waits for a subject lock while holding an address lock, so the locks cannot deadlock.
const (
	lockSubject int32 = 0x796b0001
	lockClient  int32 = 0x796b0002
)

// PatronSubject is the throttling subject (login_failures.subject) for a login with a normalised card number.
func PatronSubject(cardNumber string) string { return "patron:" + clean(cardNumber) }

// StaffSubject is the throttling subject for a staff login.
func StaffSubject(login string) string { return "staff:" + clean(login) }

// clean keeps a subject or address storable and bounded whatever a client sent: no NUL bytes (which
// PostgreSQL text refuses) and at most 64 runes.
func clean(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64])
	}
	return s
}

// Attempt is a login attempt reserved by Reserve: a pending row of login_failures. End it with exactly one
// of Failed or Succeeded once the password has been checked.
type Attempt struct {
	id               int64
	subject, address string
}

// Reserve reserves one login attempt for subject from clientIP, to be made now. When the attempt may not be
// made it returns a nil Attempt and how long until one may (always at least a second): a limit is reached,
// or other attempts' checks held it back for longer than QueueWait.
func Reserve(ctx context.Context, db *sqlx.DB, subject, clientIP string) (*Attempt, time.Duration, error) {
	subject, clientIP = clean(subject), clean(clientIP)
	deadline := time.Now().Add(QueueWait)
	pause := 10 * time.Millisecond
	for {
		a, wait, busy, err := reserve(ctx, db, subject, clientIP)
		if err != nil || !busy {
			return a, wait, err
		}
		if time.Now().Add(pause).After(deadline) {
			return nil, time.Second, nil
		}
		select {
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("auth: login throttle: %w", ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// reserve is one try of Reserve: busy when only pending reservations stand between the attempt and a limit.
func reserve(ctx context.Context, db *sqlx.DB, subject, clientIP string) (_ *Attempt, wait time.Duration, busy bool, _ error) {
	var a *Attempt
	err := store.InTx(ctx, db, func(tx *sqlx.Tx) error {
		a, wait, busy = nil, 0, false // afresh: the transaction may be run again
		for _, l := range []struct {
			class int32
			key   string
		}{{lockSubject, subject}, {lockClient, clientIP}} {
			if err := store.LockLoginKey(ctx, tx, l.class, l.key); err != nil {
				return err
			}
		}
		for _, q := range []struct {
			key   store.LoginKey
			value string
			limit int
		}{
			{store.LoginBySubject, subject, MaxSubjectFailures},
			{store.LoginByClient, clientIP, MaxClientFailures},
		} {
			w, b, err := limitState(ctx, tx, q.key, q.value, q.limit)
			if err != nil {
				return err
			}
			wait, busy = max(wait, w), busy || b
		}
		if wait > 0 || busy {
			return nil // nothing written: the locks end with the transaction
		}
		id, err := store.InsertLoginReservation(ctx, tx, subject, clientIP)
		if err != nil {
			return err
		}
		a = &Attempt{id: id, subject: subject, address: clientIP}
		return nil
	})
	switch {
	case err != nil:
		return nil, 0, false, fmt.Errorf("auth: login throttle: %w", err)
	case wait > 0:
		return nil, max(wait, time.Second), false, nil
	case busy:
		return nil, 0, true, nil
	}
	return a, 0, false, nil
}

// limitState reads one limit (key = value, at most limit failures in the window) under its lock: wait > 0
// while the limit is reached (until the limit-th most recent failure leaves the window, after which fewer
// than limit remain); busy when it is not, but would be if the pending reservations all failed. A
// reservation older than PendingTimeout counts as a failure.
func limitState(ctx context.Context, tx *sqlx.Tx, key store.LoginKey, value string, limit int) (time.Duration, bool, error) {
	st, err := store.LoginLimitWindow(ctx, tx, key, value, PendingTimeout, FailureWindow, limit)
	if err != nil {
		return 0, false, err
	}
	if st.Nth.Valid {
		return max(st.Nth.Time.Add(FailureWindow).Sub(st.Now), time.Second), false, nil
	}
	return 0, st.Failed+st.Pending >= limit, nil
}

// settle is the context that ends an attempt: not cancelled with the request (a client that hangs up during
// the check must not leave its reservation pending), but bounded.
func settle(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// Failed records the attempt's wrong password: its reservation becomes a failure, counted against the
// subject and the client address for FailureWindow from now.
func (a *Attempt) Failed(ctx context.Context, db sqlx.ExecerContext) error {
	ctx, cancel := settle(ctx)
	defer cancel()
	kept, err := store.FailLoginReservation(ctx, db, a.id)
	if err != nil {
		return fmt.Errorf("auth: record login failure: %w", err)
	}
	if kept {
		return nil
	}
	// The reservation is gone: it had outlived PendingTimeout and a correct login for the subject deleted it.
	if err := store.InsertLoginFailure(ctx, db, a.subject, a.address); err != nil {
		return fmt.Errorf("auth: record login failure: %w", err)
	}
	return nil
}

// Succeeded ends the attempt after a correct password: its reservation and the subject's failures are
// forgotten (from whatever address they came, so they leave that address's count too). Other attempts for
// the subject still being checked keep their reservations.
func (a *Attempt) Succeeded(ctx context.Context, db sqlx.ExecerContext) error {
	ctx, cancel := settle(ctx)
	defer cancel()
	if err := store.ClearLoginFailures(ctx, db, a.subject, a.id, PendingTimeout); err != nil {
		return fmt.Errorf("auth: reset login failures: %w", err)
	}
	return nil
}
