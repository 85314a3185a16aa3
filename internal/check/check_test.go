package check_test

import (
	"context"
	"fmt"
	"net/smtp"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/internal/check"
	"yoyaku/internal/testenv"
	"yoyaku/store"
	"yoyaku/workflows"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// fixture writes database states directly, as a bug or a crash could have left them.
type fixture struct {
	t  *testing.T
	db *sqlx.DB
	n  int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.DB(t)
	for _, b := range []string{"chuo", "kita"} {
		db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ($1, $1, 'library')`, b)
	}
	return &fixture{t: t, db: db}
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Exec(q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.Get(&id, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *fixture) title() int64 {
	return f.id(`INSERT INTO titles (title, format) VALUES ('本', 'book') RETURNING id`)
}

// patron makes a patron; with an address, contacted by e-mail.
func (f *fixture) patron(email string) int64 {
	f.n++
	method := "none"
	if email != "" {
		method = "email"
	}
	id := f.id(`INSERT INTO patrons (card_number, name, password_hash, contact_method) VALUES ($1, '利用者', 'x', $2) RETURNING id`,
		fmt.Sprintf("%07d", 7000000+f.n), method)
	if email != "" {
		f.exec(`INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, 1, $2, true)`, id, email)
	}
	return id
}

// copy makes a copy of title at chuo, last changed a minute ago.
func (f *fixture) copy(title int64, status string) string {
	f.n++
	barcode := fmt.Sprintf("C%06d", f.n)
	f.exec(`INSERT INTO items (barcode, title_id, home_branch, location_branch, status, updated_at)
		VALUES ($1, $2, 'chuo', 'chuo', $3, now() - interval '1 minute')`, barcode, title, status)
	return barcode
}

// hold makes a hold placed ago, whose last transition (to status) was a minute ago unless ago is shorter. A
// ready hold has been told (contact date today).
func (f *fixture) hold(patron, title int64, status string, ago time.Duration, barcode string) int64 {
	var item any
	if barcode != "" {
		item = barcode
	}
	id := f.id(`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at, item_barcode, assigned_at, transition,
			ready_at, contact_date)
		VALUES ($1, $2, 'chuo', 'web', $3, now() - make_interval(secs => $4), $5::text,
			CASE WHEN $5::text IS NOT NULL THEN now() - make_interval(secs => $4) END, 1,
			CASE WHEN $3 = 'ready' THEN now() - make_interval(secs => $4) END,
			CASE WHEN $3 = 'ready' THEN current_date END) RETURNING id`,
		patron, title, status, ago.Seconds(), item)
	f.event(id, status, min(ago, time.Minute))
	return id
}

// retire closes a hold as picked up and takes its copy out of circulation: it leaves every rule.
func (f *fixture) retire(hold int64) {
	f.exec(`UPDATE items SET status = 'withdrawn' WHERE barcode = (SELECT item_barcode FROM holds WHERE id = $1)`, hold)
	f.exec(`UPDATE holds SET status = 'fulfilled', fulfilled_at = now() - interval '1 minute' WHERE id = $1`, hold)
}

func (f *fixture) event(hold int64, status string, ago time.Duration) {
	f.exec(`INSERT INTO hold_events (hold_id, at, to_status, transition)
		VALUES ($1, now() - make_interval(secs => $3), $2, (SELECT COALESCE(max(transition), 0) + 1 FROM hold_events WHERE hold_id = $1))`,
		hold, status, ago.Seconds())
}

func run(t *testing.T, db *sqlx.DB, tc client.Client, o check.Options) check.Report {
	t.Helper()
	if o.Settle == 0 {
		o.Settle = 10 * time.Second
	}
	r, err := check.Run(t.Context(), db, tc, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// clean asserts that the report holds no violation (what names the state checked).
func clean(t *testing.T, r check.Report, what string) {
	t.Helper()
	if !r.OK() {
		t.Fatalf("%s: %v", what, r.Violations)
	}
}

// only asserts that the report holds exactly one violation, of rule, naming the holds and copy given.
func only(t *testing.T, r check.Report, rule string, holds []int64, copy string) {
	t.Helper()
	if len(r.Violations) != 1 {
		t.Fatalf("want one %s violation, got %d: %v", rule, len(r.Violations), r.Violations)
	}
	v := r.Violations[0]
	if v.Rule != rule || !slices.Equal(v.Holds, holds) || v.Copy != copy || v.Detail == "" {
		t.Fatalf("got %v, want %s holds=%v copy=%q", v, rule, holds, copy)
	}
}

// TestDatabaseRules breaks each invariant PostgreSQL alone can tell, once, and expects exactly that violation
// with the IDs; the same state without the fault is clean.
func TestDatabaseRules(t *testing.T) {
	t.Run("a consistent state is clean", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		ready := f.copy(title, "hold_shelf")
		f.hold(f.patron(""), title, "ready", 2*time.Minute, ready)
		f.hold(f.patron(""), title, "queued", 2*time.Minute, "")
		lent := f.copy(title, "on_loan")
		f.exec(`INSERT INTO loans (barcode, patron_id, branch, due_date) VALUES ($1, $2, 'chuo', current_date + 14)`, lent, f.patron(""))
		if r := run(t, f.db, nil, check.Options{Limits: store.Limits{Total: 10, AV: 5}}); !r.OK() {
			t.Fatalf("violations in a consistent state: %v", r.Violations)
		}
	})
	t.Run("any-of group counted once, its lost member no idle copy", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		p := f.patron("")
		g := f.id(`INSERT INTO hold_groups (patron_id) VALUES ($1) RETURNING id`, p)
		titleA, titleB, titleC := f.title(), f.title(), f.title()
		won := f.hold(p, titleA, "awaiting_pull", 2*time.Minute, f.copy(titleA, "on_shelf"))
		lost := f.hold(p, titleB, "queued", 2*time.Minute, "")
		third := f.hold(p, titleC, "queued", 2*time.Minute, "")
		f.exec(`UPDATE holds SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'other_edition' WHERE id = $1`, third)
		f.exec(`UPDATE holds SET group_id = $1 WHERE id IN ($2, $3, $4)`, g, won, lost, third)
		f.exec(`UPDATE hold_groups SET served_hold_id = $2, decided_at = now() WHERE id = $1`, g, won)
		f.copy(titleB, "on_shelf") // free, but the only hold on title B lost to its sibling: nobody waits for it
		if r := run(t, f.db, nil, check.Options{Limits: store.Limits{Total: 1, AV: 1}}); !r.OK() {
			t.Fatalf("violations: %v", r.Violations)
		}
	})
	t.Run("any-of group served twice", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		p := f.patron("")
		g := f.id(`INSERT INTO hold_groups (patron_id) VALUES ($1) RETURNING id`, p)
		titleA, titleB := f.title(), f.title()
		won := f.hold(p, titleA, "awaiting_pull", 2*time.Minute, f.copy(titleA, "on_shelf"))
		also := f.hold(p, titleB, "awaiting_pull", 2*time.Minute, f.copy(titleB, "on_shelf"))
		f.exec(`UPDATE holds SET group_id = $1 WHERE id IN ($2, $3)`, g, won, also)
		f.exec(`UPDATE hold_groups SET served_hold_id = $2, decided_at = now() WHERE id = $1`, g, won)
		only(t, run(t, f.db, nil, check.Options{Limits: store.Limits{Total: 5, AV: 5}}), check.RuleGroup, []int64{also}, "")
	})
	t.Run("copy set aside for two holds", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.exec(`DROP INDEX holds_item_once`) // as a damaged or hand-edited database could be
		title := f.title()
		c := f.copy(title, "on_shelf")
		a := f.hold(f.patron(""), title, "awaiting_pull", 2*time.Minute, c)
		b := f.hold(f.patron(""), title, "awaiting_pull", 2*time.Minute, c)
		only(t, run(t, f.db, nil, check.Options{}), check.RuleCopyShared, []int64{a, b}, c)
	})
	t.Run("ready hold whose copy is not on the hold shelf", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		c := f.copy(title, "on_shelf")
		h := f.hold(f.patron(""), title, "ready", 2*time.Minute, c)
		only(t, run(t, f.db, nil, check.Options{}), check.RuleCopyState, []int64{h}, c)
	})
	t.Run("copy on the hold shelf for nobody", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		c := f.copy(f.title(), "hold_shelf")
		only(t, run(t, f.db, nil, check.Options{}), check.RuleCopyState, nil, c)
	})
	t.Run("copy on loan without a loan", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		c := f.copy(f.title(), "on_loan")
		only(t, run(t, f.db, nil, check.Options{}), check.RuleCopyState, nil, c)
	})
	t.Run("later hold served while an earlier one waited", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		c := f.copy(title, "on_shelf")
		early := f.hold(f.patron(""), title, "queued", 5*time.Minute, "")
		late := f.hold(f.patron(""), title, "awaiting_pull", 4*time.Minute, c)
		f.exec(`UPDATE holds SET assigned_at = now() - interval '30 seconds' WHERE id = $1`, late)
		only(t, run(t, f.db, nil, check.Options{}), check.RuleFIFO, []int64{early, late}, c)
	})
	t.Run("hold that became eligible after the copy was given is not passed over", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		c := f.copy(title, "on_shelf")
		f.hold(f.patron(""), title, "queued", 5*time.Minute, "") // its queued event: 1 minute ago
		late := f.hold(f.patron(""), title, "awaiting_pull", 4*time.Minute, c)
		f.exec(`UPDATE holds SET assigned_at = now() - interval '3 minutes' WHERE id = $1`, late)
		clean(t, run(t, f.db, nil, check.Options{}), "want no violation")
	})
	t.Run("free copy on the shelf while a hold waits", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		h := f.hold(f.patron(""), title, "queued", 2*time.Minute, "")
		c := f.copy(title, "on_shelf")
		only(t, run(t, f.db, nil, check.Options{}), check.RuleIdleCopy, []int64{h}, c)
	})
	t.Run("a copy freed just now is still settling", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		f.hold(f.patron(""), title, "queued", 2*time.Minute, "")
		c := f.copy(title, "on_shelf")
		f.exec(`UPDATE items SET updated_at = now() WHERE barcode = $1`, c)
		clean(t, run(t, f.db, nil, check.Options{}), "want no violation within the settling time")
	})
	t.Run("patron past the limit", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		p := f.patron("")
		a := f.hold(p, f.title(), "queued", 2*time.Minute, "")
		b := f.hold(p, f.title(), "queued", 2*time.Minute, "")
		only(t, run(t, f.db, nil, check.Options{Limits: store.Limits{Total: 1, AV: 1}}), check.RuleLimit, []int64{a, b}, "")
	})
	t.Run("patron holding one title twice", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.exec(`DROP INDEX holds_patron_title_once`)
		p, title := f.patron(""), f.title()
		a := f.hold(p, title, "queued", 2*time.Minute, "")
		b := f.hold(p, title, "queued", 2*time.Minute, "")
		only(t, run(t, f.db, nil, check.Options{Limits: store.Limits{Total: 10, AV: 5}}), check.RuleLimit, []int64{a, b}, "")
	})
	t.Run("ready hold of an e-mail patron without a message", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		h := f.hold(f.patron("a@example.jp"), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		f.exec(`UPDATE holds SET contact_date = NULL WHERE id = $1`, h)
		only(t, run(t, f.db, nil, check.Options{}), check.RuleMailMissing, []int64{h}, "")
	})
	t.Run("unsent message of a hold picked up before the retry", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		h := f.hold(f.patron("a@example.jp"), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		f.exec(`INSERT INTO notifications (hold_id, channel, address, idempotency_key, created_at)
			VALUES ($1::bigint, 'email', 'a@example.jp', 'ready:' || $1::bigint || ':1:a@example.jp', now() - interval '1 minute')`, h)
		f.retire(h)
		clean(t, run(t, f.db, nil, check.Options{}), "want no violation")
	})
	t.Run("patron who chose e-mail after being told is not owed a mail", func(t *testing.T) { // told: contact date set
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		f.hold(f.patron("a@example.jp"), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		clean(t, run(t, f.db, nil, check.Options{}), "want no violation")
	})
	t.Run("phone patron on the call list is not owed anything yet", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		h := f.hold(f.patron(""), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		f.exec(`UPDATE holds SET contact_date = NULL WHERE id = $1`, h)
		f.exec(`INSERT INTO notifications (hold_id, channel, idempotency_key) VALUES ($1, 'phone', 'call')`, h)
		clean(t, run(t, f.db, nil, check.Options{}), "want no violation")
	})
	t.Run("message never accepted by the mail server", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		h := f.hold(f.patron("a@example.jp"), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		f.exec(`INSERT INTO notifications (hold_id, channel, address, idempotency_key, created_at)
			VALUES ($1::bigint, 'email', 'a@example.jp', 'ready:' || $1::bigint || ':1:a@example.jp', now() - interval '1 minute')`, h)
		only(t, run(t, f.db, nil, check.Options{}), check.RuleMailUnsent, []int64{h}, "")
	})
	t.Run("two messages to one address for one ready event", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		h := f.hold(f.patron("a@example.jp"), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		for _, k := range []string{"k1", "k2"} {
			f.exec(`INSERT INTO notifications (hold_id, channel, address, idempotency_key, sent_at) VALUES ($1, 'email', 'a@example.jp', $2, now())`, h, k)
		}
		only(t, run(t, f.db, nil, check.Options{}), check.RuleMailDuplicate, []int64{h}, "")
	})
	// A refused address is neither unsent nor missing: its message is settled, and its patron was told at the
	// other address or is on the call list.
	refused := func(f *fixture, h int64, addr string) {
		f.exec(`INSERT INTO notifications (hold_id, channel, address, idempotency_key, created_at, refused_at, refusal)
			VALUES ($1::bigint, 'email', $2::text, 'ready:' || $1::bigint || ':1:' || $2::text, now() - interval '1 minute',
				now() - interval '1 minute', '550 5.1.1 recipient-1: User unknown')`, h, addr)
	}
	// refusedEverywhere is a ready hold whose only address refused its mail: no contact date yet.
	refusedEverywhere := func(f *fixture) int64 {
		title := f.title()
		h := f.hold(f.patron("a@example.jp"), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		f.exec(`UPDATE holds SET contact_date = NULL WHERE id = $1`, h)
		refused(f, h, "a@example.jp")
		return h
	}
	t.Run("one address refused, the other mailed", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		title := f.title()
		p := f.patron("a@example.jp")
		f.exec(`INSERT INTO patron_emails (patron_id, slot, address, notify, refused_at, refusal) VALUES ($1, 2, 'typo@example.jp', true, now(), '550')`, p)
		h := f.hold(p, title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		f.exec(`INSERT INTO notifications (hold_id, channel, address, idempotency_key, created_at, sent_at, message_id)
			VALUES ($1::bigint, 'email', 'a@example.jp', 'ready:' || $1::bigint || ':1:a@example.jp', now() - interval '1 minute', now() - interval '1 minute', 'm1@x')`, h)
		refused(f, h, "typo@example.jp")
		clean(t, run(t, f.db, nil, check.Options{}), "want no violation")
	})
	t.Run("every address refused, the hold on the call list", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		h := refusedEverywhere(f)
		f.exec(`INSERT INTO notifications (hold_id, channel, idempotency_key) VALUES ($1::bigint, 'phone', 'ready:' || $1::bigint || ':1:phone')`, h)
		clean(t, run(t, f.db, nil, check.Options{}), "want no violation")
	})
	t.Run("every address refused and the patron never told", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		h := refusedEverywhere(f)
		only(t, run(t, f.db, nil, check.Options{}), check.RuleMailMissing, []int64{h}, "")
	})
}

// TestStuckHolds: holds that should have moved on long ago are reported, each with its reason.
func TestStuckHolds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fixture) int64
	}{
		{"never approved", func(f *fixture) int64 { return f.hold(f.patron(""), f.title(), "requested", 2*time.Minute, "") }},
		{"copy set aside but never taken", func(f *fixture) int64 {
			title := f.title()
			return f.hold(f.patron(""), title, "queued", 2*time.Minute, f.copy(title, "on_shelf"))
		}},
		{"set-aside copy lent to somebody else", func(f *fixture) int64 {
			title := f.title()
			c := f.copy(title, "on_loan")
			f.exec(`INSERT INTO loans (barcode, patron_id, branch, due_date) VALUES ($1, $2, 'chuo', current_date + 14)`, c, f.patron(""))
			return f.hold(f.patron(""), title, "awaiting_pull", 2*time.Minute, c)
		}},
		{"cancellation never approved", func(f *fixture) int64 {
			h := f.hold(f.patron(""), f.title(), "cancel_requested", 2*time.Minute, "")
			f.exec(`UPDATE holds SET cancel_requested_at = now() - interval '2 minutes' WHERE id = $1`, h)
			return h
		}},
		{"series volume whose turn came", func(f *fixture) int64 {
			p := f.patron("")
			s := f.id(`INSERT INTO series_holds (patron_id) VALUES ($1) RETURNING id`, p)
			first := f.hold(p, f.title(), "queued", 3*time.Minute, "")
			f.exec(`UPDATE holds SET series_hold_id = $2, series_seq = 1, status = 'cancelled',
				cancelled_at = now() - interval '1 minute', cancel_reason = 'patron' WHERE id = $1`, first, s)
			second := f.hold(p, f.title(), "preparing", 3*time.Minute, "")
			f.exec(`UPDATE holds SET series_hold_id = $2, series_seq = 2 WHERE id = $1`, second, s)
			return second
		}},
		{"copy signal never applied", func(f *fixture) int64 {
			title := f.title()
			c := f.copy(title, "on_shelf")
			h := f.hold(f.patron(""), title, "awaiting_pull", 2*time.Minute, c)
			f.exec(`UPDATE holds SET pending_copy = jsonb_build_object('HoldID', id, 'Barcode', $2::text, 'Branch', 'chuo', 'Kind', 'secured'),
				pending_at = now() - interval '2 minutes' WHERE id = $1`, h, c)
			return h
		}},
		{"any-of member whose group another member took", func(f *fixture) int64 {
			p := f.patron("")
			g := f.id(`INSERT INTO hold_groups (patron_id) VALUES ($1) RETURNING id`, p)
			title := f.title()
			won := f.hold(p, title, "awaiting_pull", 3*time.Minute, f.copy(title, "on_shelf"))
			lost := f.hold(p, f.title(), "queued", 3*time.Minute, "")
			f.exec(`UPDATE holds SET group_id = $1 WHERE id IN ($2, $3)`, g, won, lost)
			f.exec(`UPDATE hold_groups SET served_hold_id = $2, decided_at = now() - interval '2 minutes' WHERE id = $1`, g, won)
			return lost
		}},
		{"ready past its deadline", func(f *fixture) int64 {
			title := f.title()
			h := f.hold(f.patron(""), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
			f.exec(`UPDATE holds SET contact_date = current_date - 10, pickup_deadline = current_date - 4 WHERE id = $1`, h)
			return h
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			h := tc.setup(f)
			only(t, run(t, f.db, nil, check.Options{}), check.RuleStuck, []int64{h}, "")
		})
	}
}

// TestPendingCopyStuckOnlyWhenOpenAndOld: a copy kept for a hold's workflow is stuck only while the hold is
// open and the copy has waited past the settling time; a closed hold's leftover (its copy was released when
// it closed, as when two desks scan one copy at once) and a fresh one are not.
func TestPendingCopyStuckOnlyWhenOpenAndOld(t *testing.T) {
	f := newFixture(t)
	pend := func(h int64, c string, ago string) {
		f.exec(`UPDATE holds SET pending_copy = jsonb_build_object('HoldID', id, 'Barcode', $2::text, 'Branch', 'chuo', 'Kind', 'secured'),
			pending_at = now() - $3::interval WHERE id = $1`, h, c, ago)
	}
	title := f.title()
	closed := f.copy(title, "on_shelf")
	h := f.hold(f.patron(""), title, "awaiting_pull", 2*time.Minute, closed)
	pend(h, closed, "2 minutes")
	f.retire(h)
	fresh := f.copy(title, "on_shelf")
	pend(f.hold(f.patron(""), title, "awaiting_pull", 2*time.Minute, fresh), fresh, "0 seconds")
	clean(t, run(t, f.db, nil, check.Options{Settle: 30 * time.Second}), "want no violation")
}

// startHoldWorkflow starts a hold workflow on a task queue no worker polls: it runs (and never moves) with
// the status given as its search attribute.
func startHoldWorkflow(t *testing.T, tc client.Client, queue string, hold int64, status string) {
	t.Helper()
	_, err := tc.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
		ID: contract.HoldWorkflowID(hold), TaskQueue: queue,
		TypedSearchAttributes: temporal.NewSearchAttributes(contract.StatusKey.ValueSet(status)),
	}, workflows.HoldWorkflow, contract.HoldInput{HoldID: hold})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = tc.TerminateWorkflow(context.WithoutCancel(t.Context()), contract.HoldWorkflowID(hold), "", "test over")
	})
}

// eventually runs the check until a violation of rule shows (visibility lags a little behind a start).
func eventually(t *testing.T, db *sqlx.DB, tc client.Client, o check.Options, rule string) check.Report {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := run(t, db, tc, o)
		for _, v := range r.Violations {
			if v.Rule == rule {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s violation after 20 s; last report %+v", rule, r)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestWorkflowRules compares holds with hold workflows on the dev server: a matching pair is clean; a hold
// without a workflow, a workflow for a closed or unknown hold, and a status disagreement are each reported.
func TestWorkflowRules(t *testing.T) {
	tc := testenv.Temporal(t)
	f := newFixture(t)
	queue := "check-" + t.Name()
	o := check.Options{TaskQueue: queue}

	fine := f.hold(f.patron(""), f.title(), "queued", 2*time.Minute, "")
	startHoldWorkflow(t, tc, queue, fine, "queued")
	deadline := time.Now().Add(20 * time.Second)
	for r := run(t, f.db, tc, o); !r.OK() || r.Workflows != 1; r = run(t, f.db, tc, o) {
		if time.Now().After(deadline) {
			t.Fatalf("a hold with its workflow: %+v", r)
		}
		time.Sleep(300 * time.Millisecond)
	}

	lost := f.hold(f.patron(""), f.title(), "queued", 2*time.Minute, "")
	only(t, run(t, f.db, tc, o), check.RuleNoWorkflow, []int64{lost}, "")
	f.exec(`UPDATE holds SET status = 'cancelled', cancelled_at = now() - interval '1 minute', cancel_reason = 'patron' WHERE id = $1`, lost)

	title := f.title()
	closed := f.hold(f.patron(""), title, "queued", 2*time.Minute, "")
	f.exec(`UPDATE holds SET status = 'fulfilled', fulfilled_at = now() - interval '1 minute' WHERE id = $1`, closed)
	startHoldWorkflow(t, tc, queue, closed, "ready")
	only(t, eventually(t, f.db, tc, o, check.RuleOrphanWorkflow), check.RuleOrphanWorkflow, []int64{closed}, "")
	f.exec(`UPDATE holds SET status = 'ready', fulfilled_at = NULL, item_barcode = $2, assigned_at = now(), ready_at = now() WHERE id = $1`,
		closed, f.copy(title, "hold_shelf"))
	f.exec(`UPDATE holds SET ready_at = now() - interval '1 minute' WHERE id = $1`, closed)

	const unknown = 999_999_999
	startHoldWorkflow(t, tc, queue, unknown, "queued")
	r := eventually(t, f.db, tc, o, check.RuleOrphanWorkflow)
	only(t, r, check.RuleOrphanWorkflow, []int64{unknown}, "")
	if err := tc.TerminateWorkflow(t.Context(), contract.HoldWorkflowID(unknown), "", "test over"); err != nil {
		t.Fatal(err)
	}

	other := f.title()
	mismatch := f.hold(f.patron(""), other, "awaiting_pull", 2*time.Minute, f.copy(other, "on_shelf"))
	startHoldWorkflow(t, tc, queue, mismatch, "queued")
	r = eventually(t, f.db, tc, o, check.RuleStatusMismatch)
	only(t, r, check.RuleStatusMismatch, []int64{mismatch}, "")
	if !strings.Contains(r.Violations[0].Detail, "queued") {
		t.Errorf("detail should name the workflow's status: %s", r.Violations[0].Detail)
	}
}

// TestMailpitRules sends ready mails to Mailpit as the worker would: one message per Message-ID is clean; a
// second copy, a missing message and a missing address are reported.
func TestMailpitRules(t *testing.T) {
	mail := testenv.Mailpit(t)
	f := newFixture(t)
	title := f.title()
	tag := strings.ReplaceAll(fmt.Sprintf("%s.%d", t.Name(), time.Now().UnixNano()), "/", "-")
	send := func(msgID string, to ...string) {
		t.Helper()
		body := fmt.Sprintf("From: yoyaku@library.example.jp\r\nTo: %s\r\nSubject: ready\r\nMessage-ID: <%s>\r\n\r\nready\r\n", strings.Join(to, ", "), msgID)
		if err := smtp.SendMail(fmt.Sprintf("%s:%d", mail.SMTPHost, mail.SMTPPort), nil, "yoyaku@library.example.jp", to, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	sent := func(hold int64, addr, msgID string) {
		f.exec(`INSERT INTO notifications (hold_id, channel, address, idempotency_key, message_id, sent_at)
			VALUES ($1, 'email', $2, $3, $4, now() - interval '1 minute')`, hold, addr, msgID+addr, "<"+msgID+">")
	}
	ready := func(addr string) int64 {
		return f.hold(f.patron(addr), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
	}
	o := check.Options{Mailpit: mail.APIURL}

	once := ready("once-" + tag + "@example.jp")
	send("once."+tag+"@library.example.jp", "once-"+tag+"@example.jp")
	sent(once, "once-"+tag+"@example.jp", "once."+tag+"@library.example.jp")
	if r := run(t, f.db, nil, o); !r.OK() {
		t.Fatalf("one message per ready event: %v", r.Violations)
	}

	twice := ready("twice-" + tag + "@example.jp")
	send("twice."+tag+"@library.example.jp", "twice-"+tag+"@example.jp")
	send("twice."+tag+"@library.example.jp", "twice-"+tag+"@example.jp")
	sent(twice, "twice-"+tag+"@example.jp", "twice."+tag+"@library.example.jp")
	only(t, run(t, f.db, nil, o), check.RuleMailDuplicate, []int64{twice}, "")
	f.exec(`DELETE FROM notifications WHERE hold_id = $1`, twice)
	f.retire(twice)

	lost := ready("lost-" + tag + "@example.jp")
	sent(lost, "lost-"+tag+"@example.jp", "lost."+tag+"@library.example.jp")
	only(t, run(t, f.db, nil, o), check.RuleMailLost, []int64{lost}, "")
	f.exec(`DELETE FROM notifications WHERE hold_id = $1`, lost)
	f.retire(lost)

	// A message refused for good was never sent: Mailpit is not asked for it.
	refused := ready("refused-" + tag + "@example.jp")
	f.exec(`INSERT INTO notifications (hold_id, channel, address, idempotency_key, refused_at, refusal)
		VALUES ($1, 'email', $2, $3, now() - interval '1 minute', '550 5.1.1 recipient-1: User unknown')`, refused, "refused-"+tag+"@example.jp", "refused."+tag)
	if r := run(t, f.db, nil, o); !r.OK() {
		t.Fatalf("a refused message: %v", r.Violations)
	}
	f.retire(refused)

	misaddressed := ready("right-" + tag + "@example.jp")
	send("mis."+tag+"@library.example.jp", "wrong-"+tag+"@example.jp")
	sent(misaddressed, "right-"+tag+"@example.jp", "mis."+tag+"@library.example.jp")
	only(t, run(t, f.db, nil, o), check.RuleMailLost, []int64{misaddressed}, "")
}

// TestExtendedDeadline: a ready hold's pickup deadline is 1 week counting the contact date, 2 weeks once it
// was extended (取置延長); a day more is a deadline violation, extended or not.
func TestExtendedDeadline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		days     int // deadline = contact date + days
		extended bool
		want     bool // a violation
	}{
		{"1 week", 6, false, false},
		{"1 week and a day", 7, false, true},
		{"extended by 7 days", 13, true, false},
		{"extended by 8 days", 14, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			title := f.title()
			h := f.hold(f.patron(""), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
			f.exec(`UPDATE holds SET pickup_deadline = contact_date + $2::int,
				extended_at = CASE WHEN $3 THEN now() END WHERE id = $1`, h, tc.days, tc.extended)
			r := run(t, f.db, nil, check.Options{})
			if tc.want {
				only(t, r, check.RuleDeadline, []int64{h}, "")
				return
			}
			clean(t, r, "a deadline within the rules")
		})
	}
}

// TestDeadlineFollowsCalendarAndClosing: a deadline moved past the pickup branch's closed days (1 week
// counting the contact date, then the next open day) or re-dated by an emergency closing (the deadline the
// closing recorded) is within the rules; a day more is a violation.
func TestDeadlineFollowsCalendarAndClosing(t *testing.T) {
	f := newFixture(t)
	f.exec(`INSERT INTO branch_calendar_days (branch, day, open) VALUES ('chuo', current_date + 6, false)`)
	ready := func(days int) int64 {
		title := f.title()
		h := f.hold(f.patron(""), title, "ready", 2*time.Minute, f.copy(title, "hold_shelf"))
		f.exec(`UPDATE holds SET pickup_deadline = contact_date + $2::int WHERE id = $1`, h, days)
		return h
	}
	moved, tooFar := ready(7), ready(8)
	redated, pastRedate := ready(10), ready(11)
	closure := f.id(`INSERT INTO branch_closures (branch, from_date, to_date, reason, open_days)
		VALUES ('chuo', current_date + 1, current_date + 3, '断水', 3) RETURNING id`)
	for _, h := range []int64{redated, pastRedate} {
		f.exec(`INSERT INTO closure_holds (closure_id, hold_id, patron_id, old_deadline, new_deadline, redated_at)
			SELECT $1, id, patron_id, contact_date + 7, contact_date + 10, now() FROM holds WHERE id = $2`, closure, h)
	}
	r := run(t, f.db, nil, check.Options{})
	var bad []int64
	for _, v := range r.Violations {
		if v.Rule != check.RuleDeadline {
			t.Fatalf("unexpected violation: %v", v)
		}
		bad = append(bad, v.Holds...)
	}
	slices.Sort(bad)
	if want := []int64{tooFar, pastRedate}; !slices.Equal(bad, want) {
		t.Fatalf("deadline violations for holds %v, want %v (moved %d, re-dated %d are within the rules)", bad, want, moved, redated)
	}
}
