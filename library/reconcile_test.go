package library_test

import (
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"go.temporal.io/sdk/client"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/internal/seed"
	"yoyaku/internal/testenv"
	"yoyaku/library"
	"yoyaku/store"
)

// TestOnceStartsWhatACrashLeftUnstarted: holds, a series hold and an any-of group placed without their workflow (the API died
// after the commit) get one; a placement still within its grace is left to the API; a second pass starts
// nothing.
func TestOnceStartsWhatACrashLeftUnstarted(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	if _, err := seed.Demo(ctx, db); err != nil {
		t.Fatal(err)
	}
	tc := testenv.Temporal(t)
	var patron int64
	if err := db.GetContext(ctx, &patron, `SELECT id FROM patrons WHERE card_number = '1000001'`); err != nil {
		t.Fatal(err)
	}
	var titles []int64
	if err := db.SelectContext(ctx, &titles, `SELECT id FROM titles WHERE series_id IS NULL AND NOT reference_only AND format = 'book' ORDER BY id LIMIT 5`); err != nil {
		t.Fatal(err)
	}
	var series []int64
	if err := db.SelectContext(ctx, &series, `SELECT id FROM titles WHERE series_id = (SELECT min(series_id) FROM titles) ORDER BY volume LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	p := store.Placement{PatronID: patron, Pickup: "chuo", Origin: "web", Limits: store.Limits{Total: 10, AV: 5}}
	var stranded []int64
	for _, title := range titles[:2] {
		p.TitleID = title
		id, err := store.PlaceHold(ctx, db, p)
		if err != nil {
			t.Fatal(err)
		}
		stranded = append(stranded, id)
	}
	p.TitleID = titles[2]
	fresh, err := store.PlaceHold(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	p.TitleID = 0
	seriesID, _, refusals, err := store.PlaceSeries(ctx, db, p, series)
	if err != nil || len(refusals) > 0 {
		t.Fatalf("series placement: %v %v", err, refusals)
	}
	groupID, members, refusals2, err := store.PlaceGroup(ctx, db, p, titles[3:5])
	if err != nil || len(refusals2) > 0 || len(members) != 2 {
		t.Fatalf("any-of placement: %v %v %v", err, refusals2, members)
	}
	db.MustExec(`UPDATE holds SET placed_at = now() - interval '2 minutes' WHERE id <> $1`, fresh)
	db.MustExec(`UPDATE series_holds SET created_at = now() - interval '2 minutes'`)
	db.MustExec(`UPDATE hold_groups SET created_at = now() - interval '2 minutes'`)
	// Two emergency closings recorded before the API died: one whose workflow never started, one completed.
	var closures []int64
	for _, branch := range []string{"chuo", "kita"} {
		err := store.InTx(ctx, db, func(tx *sqlx.Tx) error {
			today := domain.DateOf(time.Now(), time.UTC)
			id, err := store.RecordClosure(ctx, tx, branch, today, today.AddDays(1), "停電", nil)
			closures = append(closures, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.MustExec(`UPDATE branch_closures SET created_at = now() - interval '2 minutes'`)
	db.MustExec(`UPDATE branch_closures SET completed_at = now() WHERE id = $1`, closures[1])

	// No worker polls this queue: the workflows are started and wait, which is all the reconciler does.
	s := library.Settings{TaskQueue: "reconcile-" + t.Name()}
	r, err := library.Reconcile(ctx, db, tc, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, id := range append(slices.Clone(stranded), fresh) {
			_ = tc.TerminateWorkflow(ctx, contract.HoldWorkflowID(id), "", "test over")
		}
		_ = tc.TerminateWorkflow(ctx, contract.SeriesWorkflowID(seriesID), "", "test over")
		_ = tc.TerminateWorkflow(ctx, contract.GroupWorkflowID(groupID), "", "test over")
		_ = tc.TerminateWorkflow(ctx, contract.ClosureWorkflowID(closures[0]), "", "test over")
	})
	if !slices.Equal(r.Closures, closures[:1]) {
		t.Fatalf("started closures %v, want %v (not the completed one)", r.Closures, closures[:1])
	}
	running(t, tc, contract.ClosureWorkflowID(closures[0]))
	if !slices.Equal(r.Holds, stranded) || !slices.Equal(r.Series, []int64{seriesID}) || !slices.Equal(r.Groups, []int64{groupID}) {
		t.Fatalf("started holds %v series %v groups %v, want holds %v series [%d] groups [%d]", r.Holds, r.Series, r.Groups, stranded, seriesID, groupID)
	}
	for _, id := range stranded {
		running(t, tc, contract.HoldWorkflowID(id))
	}
	running(t, tc, contract.SeriesWorkflowID(seriesID))
	running(t, tc, contract.GroupWorkflowID(groupID))
	if _, err := tc.DescribeWorkflow(ctx, contract.HoldWorkflowID(fresh), ""); err == nil {
		t.Fatalf("the placement within its grace was started by the reconciler")
	}

	again, err := library.Reconcile(ctx, db, tc, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Holds)+len(again.Series)+len(again.Groups)+len(again.Closures) != 0 {
		t.Fatalf("second pass started %+v", again)
	}

	// A run that ended without approving its hold (failed, terminated) is replaced; the hold is still at its
	// first transition, so nothing happens twice.
	if err := tc.TerminateWorkflow(ctx, contract.HoldWorkflowID(stranded[0]), "", "as if it had failed"); err != nil {
		t.Fatal(err)
	}
	third, err := library.Reconcile(ctx, db, tc, s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(third.Holds, stranded[:1]) || len(third.Series) != 0 {
		t.Fatalf("third pass started %+v, want hold %d again", third, stranded[0])
	}
	running(t, tc, contract.HoldWorkflowID(stranded[0]))
}

func running(t *testing.T, tc client.Client, id string) {
	t.Helper()
	d, err := tc.DescribeWorkflow(t.Context(), id, "")
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	if st := d.RawResponse.GetWorkflowExecutionInfo().GetStatus().String(); st != "Running" {
		t.Fatalf("%s is %s", id, st)
	}
}
