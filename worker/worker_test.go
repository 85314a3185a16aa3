package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/seed"
	"yoyaku/testenv"
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
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(tc, &activities.Activities{DB: db, Cfg: cfg})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "archive-test-" + t.Name(), TaskQueue: cfg.TaskQueue},
		workflows.ArchiveWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ArchiveResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
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

func TestEnsureSchedulesIsIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tc := testenv.Temporal(t)
	for i := 0; i < 2; i++ {
		if err := worker.EnsureSchedules(ctx, tc, workflows.DefaultTaskQueue); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	desc, err := tc.ScheduleClient().GetHandle(ctx, workflows.ArchiveScheduleID).Describe(ctx)
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
