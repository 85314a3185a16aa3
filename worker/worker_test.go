package worker_test

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"yoyaku/activities"
	"yoyaku/auth"
	"yoyaku/config"
	"yoyaku/contract"
	"yoyaku/internal/seed"
	"yoyaku/internal/testenv"
	"yoyaku/worker"
	"yoyaku/workflows"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestArchiveOnTheDevServer runs the archive workflow through a real worker against real PostgreSQL:
// a hold cancelled 8 days ago leaves the list, one cancelled 2 days ago stays.
func TestArchiveOnTheDevServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	db := testenv.DB(t)
	if _, err := seed.Demo(ctx, db); err != nil {
		t.Fatal(err)
	}
	var patron, title int64
	if err := db.GetContext(ctx, &patron, `SELECT id FROM patrons WHERE card_number = '1000001'`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &title, `SELECT min(id) FROM titles`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at, cancelled_at, cancel_reason)
		VALUES ($1, $2, 'chuo', 'web', 'cancelled', now() - $3 * interval '1 day', now() - $3 * interval '1 day', 'patron') RETURNING id`
	var old, recent int64
	if err := db.GetContext(ctx, &old, insert, patron, title, 8); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &recent, insert, patron, title, 2); err != nil {
		t.Fatal(err)
	}

	tc := testenv.Temporal(t)
	run, res := runArchive(t, tc, db, "", "archive-test-"+t.Name())
	recordHistory(t, tc, run.GetID(), run.GetRunID())
	if res.Archived != 1 {
		t.Fatalf("archived %d holds, want 1", res.Archived)
	}
	var archivedOld, archivedRecent bool
	if err := db.GetContext(ctx, &archivedOld, `SELECT archived_at IS NOT NULL FROM holds WHERE id = $1`, old); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &archivedRecent, `SELECT archived_at IS NOT NULL FROM holds WHERE id = $1`, recent); err != nil {
		t.Fatal(err)
	}
	if !archivedOld || archivedRecent {
		t.Fatalf("archived: 8-day-old %v (want true), 2-day-old %v (want false)", archivedOld, archivedRecent)
	}
}

// TestArchivePurgesExpiredTokensAndOldLoginFailures runs the archive workflow, as the hourly schedule does,
// through a real worker against real PostgreSQL: expired and revoked tokens (patron and staff) and failed
// logins older than auth.FailureWindow are deleted; live tokens and failures still inside the window stay.
func TestArchivePurgesExpiredTokensAndOldLoginFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	db := testenv.DB(t)
	var patron, staff int64
	if err := db.GetContext(ctx, &patron, `INSERT INTO patrons (card_number, name, password_hash)
		VALUES ('2000001', '試験 利用者', 'x') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &staff, `INSERT INTO staff_users (login, name, password_hash)
		VALUES ('purge-test', '試験 職員', 'x') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	issue := func(kind auth.Kind, id int64) string {
		tok, err := auth.Issue(ctx, db, kind, id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	live, liveStaff := issue(auth.KindPatron, patron), issue(auth.KindStaff, staff)
	expired, expiredStaff, revoked := issue(auth.KindPatron, patron), issue(auth.KindStaff, staff), issue(auth.KindPatron, patron)
	// Expire two tokens a minute ago (the same hash Issue stored: sha256 of the token).
	for _, tok := range []string{expired, expiredStaff} {
		h := sha256.Sum256([]byte(tok))
		if _, err := db.ExecContext(ctx, `UPDATE auth_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = $1`, h[:]); err != nil {
			t.Fatal(err)
		}
	}
	if err := auth.Revoke(ctx, db, revoked); err != nil {
		t.Fatal(err)
	}
	window := int(auth.FailureWindow / time.Minute)
	for _, f := range []struct {
		subject string
		minutes int
	}{
		{"old-1", window + 1}, {"old-2", 24 * 60}, {"fresh-1", window - 1}, {"fresh-2", 0},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO login_failures (subject, client_ip, at)
			VALUES ($1, '192.0.2.1', now() - make_interval(mins => $2))`, f.subject, f.minutes); err != nil {
			t.Fatal(err)
		}
	}

	_, res := runArchive(t, testenv.Temporal(t), db, "purge-"+t.Name(), "archive-purge-test-"+t.Name())
	if res.TokensPurged != 3 || res.LoginFailuresPurged != 2 {
		t.Errorf("purged %d tokens and %d login failures, want 3 and 2", res.TokensPurged, res.LoginFailuresPurged)
	}
	var tokens []string
	if err := db.SelectContext(ctx, &tokens, `SELECT kind || ':' || (revoked_at IS NULL) || ':' || (expires_at > now())
		FROM auth_tokens ORDER BY kind`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"patron:true:true", "staff:true:true"}; !slices.Equal(tokens, want) {
		t.Errorf("tokens left (kind:not revoked:not expired) %q, want only the two live ones %q", tokens, want)
	}
	for kind, tok := range map[auth.Kind]string{auth.KindPatron: live, auth.KindStaff: liveStaff} {
		if _, err := auth.Lookup(ctx, db, kind, tok); err != nil {
			t.Errorf("the live %s token no longer works: %v", kind, err)
		}
	}
	var failures []string
	if err := db.SelectContext(ctx, &failures, `SELECT subject FROM login_failures ORDER BY subject`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"fresh-1", "fresh-2"}; !slices.Equal(failures, want) {
		t.Errorf("login failures left %q, want those inside the %s window %q", failures, auth.FailureWindow, want)
	}
}

func TestEnsureSchedulesIsIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tc := testenv.Temporal(t)
	for i := 0; i < 2; i++ {
		if err := worker.EnsureSchedules(ctx, tc, contract.DefaultTaskQueue); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	desc, err := tc.ScheduleClient().GetHandle(ctx, contract.ArchiveScheduleID).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(desc.Schedule.Spec.Intervals); got != 1 || desc.Schedule.Spec.Intervals[0].Every != time.Hour {
		t.Fatalf("schedule spec = %+v, want every hour", desc.Schedule.Spec)
	}
}

// recordHistory writes a run's history to $YOYAKU_RECORD_HISTORIES (when set) for the replay tests of
// workflows/, as the e2e tests do for the hold, check-in and series workflows.
func recordHistory(t *testing.T, tc client.Client, id, runID string) {
	dir := os.Getenv("YOYAKU_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	var events []*historypb.HistoryEvent
	it := tc.GetWorkflowHistory(t.Context(), id, runID, false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		events = append(events, ev)
	}
	js, err := protojson.Marshal(&historypb.History{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, t.Name()+"-archive-"+runID[len(runID)-8:]+".json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runArchive runs one ArchiveWorkflow as its schedule would, on a worker of its own, on task queue (the
// configured one when "", else a queue no other test's worker takes), and returns the run and its result.
func runArchive(t *testing.T, tc client.Client, db *sqlx.DB, queue, id string) (client.WorkflowRun, contract.ArchiveResult) {
	t.Helper()
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if queue != "" {
		cfg.TaskQueue = queue
	}
	w := worker.New(tc, &activities.Activities{DB: db, Cfg: cfg})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := tc.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: cfg.TaskQueue}, workflows.ArchiveWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	var res contract.ArchiveResult
	if err := run.Get(t.Context(), &res); err != nil {
		t.Fatal(err)
	}
	return run, res
}
