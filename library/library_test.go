package library_test

// Unit tests of the library's operations without HTTP: every refusal with its code, and that a refusal
// changes nothing (a snapshot of every table an operation could write, taken before and compared after).
// They run against the test binary's PostgreSQL (a fresh database with the demo data per test) and, for the
// operations that go through a hold's workflow, its Temporal dev server with a worker of the test's own.

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/domain"
	"yoyaku/internal/seed"
	"yoyaku/internal/testenv"
	"yoyaku/library"
	"yoyaku/mailer"
	"yoyaku/store"
	"yoyaku/worker"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// env is one test's library: a fresh seeded database and, with a worker, the Temporal dev server with a
// worker on a task queue of the test's own.
type env struct {
	t     *testing.T
	db    *sqlx.DB
	tc    client.Client
	cfg   config.Config
	svc   *library.Service
	staff int64 // the demo staff user
}

var (
	queues   atomic.Int64
	fixtures atomic.Int64
)

// newEnv builds the service over a fresh database with the demo data. withWorker: Temporal, Mailpit and a
// worker of the test's own; without, the service has no Temporal client (operations that need it must not
// be called).
func newEnv(t *testing.T, withWorker bool) *env {
	t.Helper()
	ctx := t.Context()
	db := testenv.DB(t)
	if _, err := seed.Demo(ctx, db); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	if withWorker {
		mail := testenv.Mailpit(t)
		vars["YOYAKU_SMTP_HOST"] = mail.SMTPHost
		vars["YOYAKU_SMTP_PORT"] = strconv.Itoa(mail.SMTPPort)
		vars["YOYAKU_TEMPORAL_TASK_QUEUE"] = fmt.Sprintf("library-%d-%d", os.Getpid(), queues.Add(1))
	}
	cfg, err := config.LoadFrom(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, cfg: cfg}
	if withWorker {
		e.tc = testenv.Temporal(t)
		w := worker.New(e.tc, &activities.Activities{DB: db, Cfg: cfg, Mailer: mailer.New(cfg.SMTP), Temporal: e.tc})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	e.svc = &library.Service{DB: db, Temporal: e.tc, Cfg: cfg, Log: slog.New(slog.DiscardHandler)}
	if err := db.GetContext(ctx, &e.staff, `SELECT id FROM staff_users WHERE login = 'staff'`); err != nil {
		t.Fatal(err)
	}
	return e
}

// withLimits is the service with other hold limits (YOYAKU_HOLD_LIMIT_TOTAL and _AV).
func (e *env) withLimits(total, av int) *library.Service {
	s := *e.svc
	s.Cfg.HoldLimitTotal, s.Cfg.HoldLimitAV = total, av
	return &s
}

// patron is a demo patron's ID.
func (e *env) patron(card string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.GetContext(e.t.Context(), &id, `SELECT id FROM patrons WHERE card_number = $1`, card); err != nil {
		e.t.Fatalf("patron %s: %v", card, err)
	}
	return id
}

// seedTitle is the ID of a demo title matching where (reference-only, e-text, ...).
func (e *env) seedTitle(where string) string {
	e.t.Helper()
	var id int64
	if err := e.db.GetContext(e.t.Context(), &id, `SELECT id FROM titles WHERE `+where+` ORDER BY id LIMIT 1`); err != nil {
		e.t.Fatalf("a demo title where %s: %v", where, err)
	}
	return strconv.FormatInt(id, 10)
}

// copyAt is one copy of a test title: its branch and status (on_shelf when "").
type copyAt struct {
	branch, status string
}

// title creates a title of its own for the test (no holds, no queue) with copies, and returns its ID and
// the copies' barcodes. A copy on loan is lent to a background patron.
func (e *env) title(format domain.Format, copies ...copyAt) (string, []string) {
	e.t.Helper()
	ctx := e.t.Context()
	n := fixtures.Add(1)
	name := fmt.Sprintf("試験資料%d", n)
	var id int64
	if err := e.db.GetContext(ctx, &id, `INSERT INTO titles (title, format, search_text, url) VALUES ($1, $2, $3, $4) RETURNING id`,
		name, format, domain.SearchKey(name), sql.NullString{String: "https://example.jp/" + name, Valid: format == domain.FormatEText}); err != nil {
		e.t.Fatal(err)
	}
	var barcodes []string
	for i, c := range copies {
		bc := fmt.Sprintf("L%d-%d", id, i)
		status := c.status
		if status == "" {
			status = "on_shelf"
		}
		if _, err := e.db.ExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, $3, $3, $4)`,
			bc, id, c.branch, status); err != nil {
			e.t.Fatal(err)
		}
		if status == "on_loan" {
			if _, err := e.db.ExecContext(ctx, `INSERT INTO loans (barcode, patron_id, branch, due_date)
				VALUES ($1, (SELECT id FROM patrons WHERE card_number = '1000100'), $2, now() + interval '7 days')`, bc, c.branch); err != nil {
				e.t.Fatal(err)
			}
		}
		barcodes = append(barcodes, bc)
	}
	return strconv.FormatInt(id, 10), barcodes
}

// snapshotTables are every table an operation of the library writes.
var snapshotTables = []string{"holds", "hold_events", "hold_notes", "series_holds", "basket_items", "titles", "series",
	"patrons", "patron_emails", "patron_phones", "items", "loans", "notifications"}

// snapshot is every row of snapshotTables: its count and a digest of the rows.
type snapshot map[string]string

func (e *env) snapshot() snapshot {
	e.t.Helper()
	s := snapshot{}
	for _, table := range snapshotTables {
		var v string
		if err := e.db.GetContext(e.t.Context(), &v, fmt.Sprintf(
			`SELECT count(*) || ' rows ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM %s x`, table)); err != nil {
			e.t.Fatal(err)
		}
		s[table] = v
	}
	return s
}

// unchanged fails the test when any table differs from the snapshot.
func (e *env) unchanged(t *testing.T, before snapshot) {
	t.Helper()
	after := e.snapshot()
	for _, table := range snapshotTables {
		if before[table] != after[table] {
			t.Errorf("the refusal changed %s: %s before, %s after", table, before[table], after[table])
		}
	}
}

// refused fails the test unless err is a refusal with code.
func refused(t *testing.T, err error, code domain.Code) {
	t.Helper()
	if got := library.Refused(err); got != code {
		t.Fatalf("error %v: refusal %q, want %q", err, got, code)
	}
	var le *library.Error
	if !errors.As(err, &le) || le.Err != nil {
		t.Fatalf("error %v is not a refusal (*library.Error without Err)", err)
	}
}

// place places one title for the patron online, which must be accepted, and waits until its workflow
// approved it (the hold left 予約申込).
func (e *env) place(patron int64, pickup, titleID string) store.HoldView {
	e.t.Helper()
	placed, rejected, err := e.svc.Place(e.t.Context(), library.Placement{PatronID: patron, TitleIDs: []string{titleID}, Pickup: pickup})
	if err != nil || len(placed) != 1 || len(rejected) != 0 {
		e.t.Fatalf("placing %s at %s: placed %+v rejected %+v err %v", titleID, pickup, placed, rejected, err)
	}
	return e.waitHold(placed[0].Hold.ID, func(h store.HoldView) bool { return h.Status != domain.StatusRequested })
}

// counter places a counter hold for the card, which must be accepted, and waits until it left 予約申込.
func (e *env) counter(req library.CounterHold) store.HoldView {
	e.t.Helper()
	h, err := e.svc.PlaceCounterHold(e.t.Context(), req, e.staff)
	if err != nil {
		e.t.Fatalf("counter hold %+v: %v", req, err)
	}
	return e.waitHold(h.ID, func(h store.HoldView) bool { return h.Status != domain.StatusRequested })
}

// waitHold polls the hold until ok, for up to 20 s, and returns it.
func (e *env) waitHold(id int64, ok func(store.HoldView) bool) store.HoldView {
	e.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		h, err := store.GetHold(e.t.Context(), e.db, id, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("hold %d is still %s (%+v) after 20 s", id, h.Status, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantStatus fails the test unless the hold is in status.
func wantStatus(t *testing.T, h store.HoldView, status domain.Status) {
	t.Helper()
	if h.Status != status {
		t.Fatalf("hold %d is %s, want %s", h.ID, h.Status, status)
	}
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }
