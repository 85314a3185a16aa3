package activities_test

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/testsuite"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/contract"
	"yoyaku/internal/testenv"
	"yoyaku/mailer"
	"yoyaku/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var seq atomic.Int64

// notifyFixture is a ready hold at chuo of a patron who chose e-mail to the addresses given, in a fresh
// database; the addresses are unique to the test (the shared Mailpit keeps every test's mail).
type notifyFixture struct {
	t      *testing.T
	db     *sqlx.DB
	cfg    config.Config
	patron int64
	hold   int64
	emails []string
}

// newNotifyFixture makes the patron with one address per local part given ("good" → good-<unique>@...),
// both chosen, and the phone numbers given (registered, not chosen: the patron chose e-mail).
func newNotifyFixture(t *testing.T, locals []string, phones ...string) *notifyFixture {
	t.Helper()
	db := testenv.DB(t)
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	f := &notifyFixture{t: t, db: db, cfg: cfg}
	u := fmt.Sprintf("%d-%d", time.Now().UnixNano(), seq.Add(1))
	db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library')`)
	var title int64
	if err := db.Get(&title, `INSERT INTO titles (title, format) VALUES ('こころ', 'book') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ('N0001', $1, 'chuo', 'chuo', 'hold_shelf')`, title)
	if err := db.Get(&f.patron, `INSERT INTO patrons (card_number, name, password_hash, contact_method)
		VALUES ('7100001', '夏目 花子', 'x', 'email') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for i, l := range locals {
		addr := l + "-" + u + "@example.jp"
		f.emails = append(f.emails, addr)
		db.MustExec(`INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, $2, $3, true)`, f.patron, i+1, addr)
	}
	for _, n := range phones {
		db.MustExec(`INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2)`, f.patron, n)
	}
	if err := db.Get(&f.hold, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, transition, item_barcode, assigned_at, ready_at)
		VALUES ($1, $2, 'chuo', 'web', 'ready', 3, 'N0001', now(), now()) RETURNING id`, f.patron, title); err != nil {
		t.Fatal(err)
	}
	return f
}

// acts are the activities sending through the SMTP server at port (127.0.0.1, no TLS).
func (f *notifyFixture) acts(port int) *activities.Activities {
	cfg := f.cfg
	cfg.SMTP = config.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "yoyaku@library.example.jp"}
	m := mailer.New(cfg.SMTP)
	m.Timeout = 5 * time.Second
	return &activities.Activities{DB: f.db, Cfg: cfg, Mailer: m}
}

// notify runs the Notify activity (one attempt) for the hold's ready event at transition.
func (f *notifyFixture) notify(a *activities.Activities, transition int) (contract.NotifyResult, error) {
	f.t.Helper()
	return runOnce[contract.NotifyResult](f.t, a, a.Notify, contract.Step{HoldID: f.hold, Transition: transition})
}

// runOnce runs one attempt of activity fn (a method of a) with in, in the SDK's activity test environment,
// and decodes its result: the activity's error is returned, a result that cannot be decoded fails the test.
func runOnce[T any](t testing.TB, a *activities.Activities, fn, in any) (T, error) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	var out T
	v, err := env.ExecuteActivity(fn, in)
	if err != nil {
		return out, err
	}
	if err := v.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// mailRow is a ready mail's record.
type mailRow struct {
	Address   string         `db:"address"`
	SentAt    sql.NullTime   `db:"sent_at"`
	MessageID sql.NullString `db:"message_id"`
	RefusedAt sql.NullTime   `db:"refused_at"`
	Refusal   sql.NullString `db:"refusal"`
}

func (f *notifyFixture) mailRows(transition int) map[string]mailRow {
	f.t.Helper()
	var rows []mailRow
	if err := f.db.Select(&rows, `SELECT address, sent_at, message_id, refused_at, refusal FROM notifications
		WHERE hold_id = $1 AND channel = 'email' AND idempotency_key LIKE $2`, f.hold, fmt.Sprintf("ready:%d:%d:%%", f.hold, transition)); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]mailRow{}
	for _, r := range rows {
		out[r.Address] = r
	}
	return out
}

// addressMarks are the patron's addresses with the refusal recorded on each ("" when none).
func (f *notifyFixture) addressMarks() map[string]string {
	f.t.Helper()
	var rows []struct {
		Address string         `db:"address"`
		At      sql.NullTime   `db:"refused_at"`
		Refusal sql.NullString `db:"refusal"`
	}
	if err := f.db.Select(&rows, `SELECT address, refused_at, refusal FROM patron_emails WHERE patron_id = $1`, f.patron); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		if r.At.Valid != r.Refusal.Valid {
			f.t.Fatalf("address %s: refused_at %v but refusal %v", r.Address, r.At, r.Refusal)
		}
		out[r.Address] = r.Refusal.String
	}
	return out
}

func (f *notifyFixture) contact() (sql.NullTime, sql.NullTime) {
	f.t.Helper()
	var c struct {
		Date     sql.NullTime `db:"contact_date"`
		Deadline sql.NullTime `db:"pickup_deadline"`
	}
	if err := f.db.Get(&c, `SELECT contact_date, pickup_deadline FROM holds WHERE id = $1`, f.hold); err != nil {
		f.t.Fatal(err)
	}
	return c.Date, c.Deadline
}

// mailsTo counts the messages to addr in mp, each checked to be addressed to addr alone.
func mailsTo(t *testing.T, mp testenv.Mail, addr string) int {
	t.Helper()
	msgs := mp.Messages(t, `to:"`+addr+`"`)
	for _, m := range msgs {
		if !slices.Equal(m.ToAddresses(), []string{addr}) {
			t.Errorf("a ready mail to %s is addressed to %v, want it alone", addr, m.ToAddresses())
		}
	}
	return len(msgs)
}

// closedPort is a local port nothing listens on: connecting is refused (a temporary failure).
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// One of two chosen addresses is refused by the SMTP server (a real Mailpit with --smtp-allowed-recipients):
// the other gets exactly one mail of its own, the refused one is recorded on its message and on the patron's
// address, nothing is marked sent that was not accepted, and no retry sends anything twice. Before that, the
// server being down fails the activity (retryable) and records nothing.
func TestNotifyOneAddressRefused(t *testing.T) {
	f := newNotifyFixture(t, []string{"good", "typo"})
	good, typo := f.emails[0], f.emails[1]
	refusing := testenv.MailpitRefusing(t, `^good-`)

	// No server: a temporary failure, retried by Temporal; nothing is sent, refused or dated.
	if _, err := f.notify(f.acts(closedPort(t)), 3); err == nil || mailer.IsPermanent(err) {
		t.Fatalf("Notify with the SMTP server down = %v, want a retryable error", err)
	}
	for addr, r := range f.mailRows(3) {
		if r.SentAt.Valid || r.RefusedAt.Valid {
			t.Fatalf("server down: the row of %s is sent %v / refused %v", addr, r.SentAt, r.RefusedAt)
		}
	}
	if d, _ := f.contact(); d.Valid {
		t.Fatalf("server down: contact date %v set", d.Time)
	}

	// The retry reaches the server, which refuses the mistyped address.
	res, err := f.notify(f.acts(refusing.SMTPPort), 3)
	if err != nil {
		t.Fatalf("Notify with one address refused: %v", err)
	}
	if !res.Contacted || res.ExpiresAt.IsZero() {
		t.Fatalf("Notify = %+v, want contacted through the address that accepted", res)
	}
	refusing.WaitFor(t, `to:"`+good+`"`, 1, 10*time.Second)
	if n := mailsTo(t, refusing, good); n != 1 {
		t.Fatalf("%d mails to %s, want 1", n, good)
	}
	if n := mailsTo(t, refusing, typo); n != 0 {
		t.Fatalf("%d mails to the refused %s", n, typo)
	}
	rows := f.mailRows(3)
	if len(rows) != 2 {
		t.Fatalf("rows %v, want one per address", rows)
	}
	if r := rows[good]; !r.SentAt.Valid || !r.MessageID.Valid || r.RefusedAt.Valid {
		t.Fatalf("accepted address: %+v, want sent with a Message-ID, not refused", r)
	}
	if r := rows[typo]; r.SentAt.Valid || r.MessageID.Valid || !r.RefusedAt.Valid || !strings.HasPrefix(r.Refusal.String, "550") {
		t.Fatalf("refused address: %+v, want refused with the 550 reply, never sent", r)
	}
	if strings.Contains(rows[typo].Refusal.String, typo) {
		t.Errorf("the recorded reply names the address: %q", rows[typo].Refusal.String)
	}
	marks := f.addressMarks()
	if marks[good] != "" || marks[typo] != rows[typo].Refusal.String {
		t.Fatalf("address marks %v, want only %s marked with its reply", marks, typo)
	}
	msg := refusing.Messages(t, `to:"`+good+`"`)[0]
	if msg.MessageID != strings.Trim(rows[good].MessageID.String, "<>") {
		t.Errorf("Message-ID %q in the mailbox, %q recorded", msg.MessageID, rows[good].MessageID.String)
	}
	date, deadline := f.contact()
	today := time.Now().In(f.cfg.Location).Format(time.DateOnly)
	if !date.Valid || date.Time.Format(time.DateOnly) != today || !deadline.Valid {
		t.Fatalf("contact date %v deadline %v, want today %s and a deadline", date, deadline, today)
	}
	if calls, err := store.CallList(t.Context(), f.db, "chuo"); err != nil || len(calls) != 0 {
		t.Fatalf("call list %v (%v), want empty: the patron was mailed", calls, err)
	}

	// Retries of the same ready event — against the refusing server, and against one that would accept
	// everything — send nothing more: the accepted address is done, the refused one is not asked again.
	all := testenv.Mailpit(t)
	for _, port := range []int{refusing.SMTPPort, all.SMTPPort} {
		again, err := f.notify(f.acts(port), 3)
		if err != nil || !again.Contacted || !again.ExpiresAt.Equal(res.ExpiresAt) {
			t.Fatalf("retry = %+v, %v; want contacted, expiring at %v as before", again, err, res.ExpiresAt)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := mailsTo(t, refusing, good); n != 1 {
		t.Fatalf("after the retries %d mails to %s, want still 1", n, good)
	}
	if n := mailsTo(t, all, good) + mailsTo(t, all, typo); n != 0 {
		t.Fatalf("a retry sent %d mails again", n)
	}
	if again := f.mailRows(3); !again[good].SentAt.Time.Equal(rows[good].SentAt.Time) || again[good].MessageID != rows[good].MessageID ||
		!again[typo].RefusedAt.Time.Equal(rows[typo].RefusedAt.Time) || again[typo].SentAt.Valid {
		t.Fatalf("a retry changed the records: %+v, was %+v", again, rows)
	}

	// The next ready event mails both again (the patron kept the address); the one accepted now clears
	// the mark on it.
	f.db.MustExec(`UPDATE holds SET transition = 5, contact_date = NULL, pickup_deadline = NULL WHERE id = $1`, f.hold)
	if res, err := f.notify(f.acts(all.SMTPPort), 5); err != nil || !res.Contacted {
		t.Fatalf("next ready event: %+v, %v", res, err)
	}
	if n := mailsTo(t, all, typo); n != 1 {
		t.Fatalf("%d mails to the corrected %s, want 1", n, typo)
	}
	if marks := f.addressMarks(); marks[typo] != "" {
		t.Fatalf("after an accepted mail the address is still marked %q", marks[typo])
	}
	if rows := f.mailRows(3); !rows[typo].RefusedAt.Valid {
		t.Fatalf("the earlier event's record of the refusal was lost: %+v", rows[typo])
	}
}

// Every chosen address refused: the patron was not told. No contact date, no clock (contacted false), and
// the hold is on the pickup branch's call list — with the registered number, or without one for staff to
// follow up — until staff record the call, which dates the contact.
func TestNotifyAllAddressesRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		phones []string
		want   string
	}{
		{"with a phone", []string{"047-321-0001", "03-0000-0002"}, "047-321-0001"},
		{"without a phone", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newNotifyFixture(t, []string{"typo", "gone"}, tc.phones...)
			refusing := testenv.MailpitRefusing(t, `^nobody@nowhere\.invalid$`)
			a := f.acts(refusing.SMTPPort)
			for attempt := range 2 { // the second is a retry: nothing changes
				res, err := f.notify(a, 3)
				if err != nil || res.Contacted || res.Skipped {
					t.Fatalf("attempt %d: Notify = %+v, %v; want not contacted", attempt+1, res, err)
				}
				if d, dl := f.contact(); d.Valid || dl.Valid {
					t.Fatalf("attempt %d: contact date %v deadline %v set though no mail arrived", attempt+1, d, dl)
				}
				rows := f.mailRows(3)
				for _, addr := range f.emails {
					if r := rows[addr]; r.SentAt.Valid || !r.RefusedAt.Valid || !strings.HasPrefix(r.Refusal.String, "550") {
						t.Fatalf("attempt %d: %s: %+v, want refused (550), not sent", attempt+1, addr, r)
					}
				}
				calls, err := store.CallList(t.Context(), f.db, "chuo")
				if err != nil {
					t.Fatal(err)
				}
				if len(calls) != 1 || calls[0].HoldID != f.hold || calls[0].Phone != tc.want || len(calls[0].MailRefused) != 2 {
					t.Fatalf("attempt %d: call list %+v, want hold %d with phone %q and both refusals", attempt+1, calls, f.hold, tc.want)
				}
				for i, r := range calls[0].MailRefused {
					if r.Address != f.emails[i] || !strings.HasPrefix(r.Reply, "550") || r.At.IsZero() {
						t.Fatalf("attempt %d: refusal %d = %+v", attempt+1, i, r)
					}
				}
			}
			if n := len(refusing.Messages(t, "")); n != 0 {
				t.Fatalf("the refusing server holds %d messages", n)
			}
			for addr, mark := range f.addressMarks() {
				if !strings.HasPrefix(mark, "550") {
					t.Fatalf("address %s marked %q, want the refusal", addr, mark)
				}
			}

			// Staff reach the patron and record it (連絡済): the contact date is today, the list is done,
			// and a late retry of the ready event's Notify changes nothing.
			out, err := runOnce[contract.Outcome](t, a, a.Contacted, contract.StaffInput{Step: contract.Step{HoldID: f.hold, Transition: 3}})
			if err != nil || out.Contact == nil || !out.Contact.Contacted {
				t.Fatalf("Contacted = %+v, %v", out, err)
			}
			if d, dl := f.contact(); !d.Valid || !dl.Valid {
				t.Fatalf("after the call: contact date %v deadline %v", d, dl)
			}
			if calls, err := store.CallList(t.Context(), f.db, "chuo"); err != nil || len(calls) != 0 {
				t.Fatalf("after the call the list is %+v (%v)", calls, err)
			}
			if res, err := f.notify(a, 3); err != nil || !res.Skipped {
				t.Fatalf("late Notify = %+v, %v; want skipped", res, err)
			}
		})
	}
}
