package activities_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
)

// extend runs the Extend activity (one attempt) for the hold at transition.
func (f *notifyFixture) extend(transition int) (contract.Outcome, error) {
	f.t.Helper()
	a := f.acts(1)
	return runOnce[contract.Outcome](f.t, a, a.Extend, contract.ExtendInput{Step: contract.Step{HoldID: f.hold, Transition: transition}})
}

func refusedWith(t *testing.T, err error, code domain.Code) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != string(code) {
		t.Fatalf("err = %v, want a refusal %s", err, code)
	}
}

// TestExtend: 取置延長 in its transaction, against PostgreSQL. A ready hold whose patron was not told yet has
// no deadline to move (not_ready); a hold another one waits behind is refused (others_waiting); otherwise the
// deadline moves 7 days, to the end of that day in the library's zone, as one ready → ready transition with
// its event; a retried attempt returns the recorded outcome and records nothing twice; a second extension is
// refused (already_extended). Refusals change nothing.
func TestExtend(t *testing.T) {
	f := newNotifyFixture(t, []string{"ext"})
	if _, err := f.extend(3); err == nil {
		t.Fatal("extending a hold with no pickup deadline succeeded")
	} else {
		refusedWith(t, err, contract.ErrNotReady)
	}
	f.db.MustExec(`UPDATE holds SET contact_date = '2026-11-02', pickup_deadline = '2026-11-08' WHERE id = $1`, f.hold)

	var other, waiting int64
	if err := f.db.Get(&other, `INSERT INTO patrons (card_number, name, password_hash) VALUES ('7100002', '森 太郎', 'x') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Get(&waiting, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status)
		SELECT $2, title_id, 'chuo', 'web', 'queued' FROM holds WHERE id = $1 RETURNING id`, f.hold, other); err != nil {
		t.Fatal(err)
	}
	_, err := f.extend(3)
	refusedWith(t, err, contract.ErrOthersWaiting)
	f.db.MustExec(`UPDATE holds SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'patron' WHERE id = $1`, waiting)

	out, err := f.extend(3)
	if err != nil {
		t.Fatal(err)
	}
	loc := f.cfg.Location
	want := time.Date(2026, 11, 16, 0, 0, 0, 0, loc) // the end of 2026-11-15 in the library's zone
	if out.State.Status != domain.StatusReady || out.State.Transition != 4 || !out.State.Extended ||
		out.Contact == nil || !out.Contact.Contacted || !out.Contact.ExpiresAt.Equal(want) {
		t.Fatalf("Extend = %+v (contact %+v), want ready at transition 4, extended, expiring at %s", out.State, out.Contact, want)
	}
	again, err := f.extend(3) // the same attempt retried after its result was lost
	if err != nil || again.Contact == nil || !again.Contact.ExpiresAt.Equal(want) || again.State.Transition != 4 {
		t.Fatalf("retried Extend = %+v, %v", again, err)
	}
	var row struct {
		Deadline time.Time `db:"pickup_deadline"`
		Events   int       `db:"events"`
	}
	if err := f.db.Get(&row, `SELECT pickup_deadline, (SELECT count(*) FROM hold_events WHERE hold_id = h.id AND detail->>'op' = 'extend') AS events
		FROM holds h WHERE id = $1`, f.hold); err != nil {
		t.Fatal(err)
	}
	if domain.CalendarDate(row.Deadline).String() != "2026-11-15" || row.Events != 1 {
		t.Fatalf("after the extension: deadline %s, %d extend events", row.Deadline, row.Events)
	}
	_, err = f.extend(4)
	refusedWith(t, err, contract.ErrAlreadyExtended)
}
