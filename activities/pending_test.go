package activities_test

import (
	"database/sql"
	"testing"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/internal/testenv"
)

// TestCopySignalDuringHandOverIsKept: a hold hands its workflow over to a series hold (old run closed, new
// run not started yet) just as staff check in its set-aside copy. The check-in's copy signal to hold-<id>
// finds no run and is lost; the assignment it carried was kept on the hold in the same transaction, and the
// new run's first transition (Resume) applies it: the copy goes on the hold shelf, or travels, as the desk was
// told. A signal that did arrive (ApplyCopy) clears it, so nothing is applied twice.
func TestCopySignalDuringHandOverIsKept(t *testing.T) {
	cases := []struct {
		name      string
		scannedAt string
		viaSignal bool // the signal reached a run after all
		want      domain.Status
		route     contract.RoutingAction
	}{
		{name: "scanned at the pickup branch, no run listening", scannedAt: "chuo", want: domain.StatusReady, route: contract.RouteHoldShelf},
		{name: "scanned elsewhere, no run listening", scannedAt: "kita", want: domain.StatusInTransit, route: contract.RouteTransit},
		{name: "the signal arrived", scannedAt: "chuo", viaSignal: true, want: domain.StatusReady, route: contract.RouteHoldShelf},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			db := testenv.DB(t)
			cfg, err := config.LoadFrom(func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			a := &activities.Activities{DB: db, Cfg: cfg}
			db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library'), ('kita', '北図書館', 'library')`)
			var title, patron, hold int64
			if err := db.Get(&title, `INSERT INTO titles (title, format) VALUES ('坊っちゃん', 'book') RETURNING id`); err != nil {
				t.Fatal(err)
			}
			db.MustExec(`INSERT INTO items (barcode, title_id, home_branch, location_branch) VALUES ('P0001', $1, 'kita', 'kita')`, title)
			if err := db.Get(&patron, `INSERT INTO patrons (card_number, name, password_hash) VALUES ('7200001', '試験 太郎', 'x') RETURNING id`); err != nil {
				t.Fatal(err)
			}
			// set aside on kita's shelf for a hold picked up at chuo (確認待ち), two transitions in
			if err := db.Get(&hold, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, transition, item_barcode, assigned_at)
				VALUES ($1, $2, 'chuo', 'web', 'awaiting_pull', 2, 'P0001', now()) RETURNING id`, patron, title); err != nil {
				t.Fatal(err)
			}

			res, err := a.Checkin(ctx, contract.CheckinInput{Barcode: "P0001", Branch: tc.scannedAt})
			if err != nil {
				t.Fatal(err)
			}
			if res.Next == nil || res.Next.HoldID != hold || res.Next.Kind != contract.CopySecured {
				t.Fatalf("check-in: %+v, want the copy secured for hold %d", res, hold)
			}
			if pending := pendingCopy(t, db, hold); !pending.Valid {
				t.Fatal("the check-in's assignment is not kept on the hold")
			}

			var out contract.Outcome
			if tc.viaSignal {
				out, err = a.ApplyCopy(ctx, contract.CopyInput{Step: contract.Step{HoldID: hold, Transition: 2}, Assignment: *res.Next})
				if err != nil {
					t.Fatal(err)
				}
				if pending := pendingCopy(t, db, hold); pending.Valid {
					t.Fatalf("applied, yet still pending: %s", pending.String)
				}
				// the converted hold's new run then finds nothing left to do
				again, err := a.Resume(ctx, contract.Step{HoldID: hold, Transition: out.State.Transition})
				if err != nil {
					t.Fatal(err)
				}
				if again.State.Transition != out.State.Transition || again.State.Status != tc.want {
					t.Fatalf("Resume after the applied signal moved the hold: %+v", again.State)
				}
			} else {
				out, err = a.Resume(ctx, contract.Step{HoldID: hold, Transition: 2})
				if err != nil {
					t.Fatal(err)
				}
			}
			if out.State.Status != tc.want || out.Routing == nil || out.Routing.Action != tc.route {
				t.Fatalf("hold after the hand-over: %+v routing %+v, want %s (%s)", out.State, out.Routing, tc.want, tc.route)
			}
			if pending := pendingCopy(t, db, hold); pending.Valid {
				t.Fatalf("still pending after Resume: %s", pending.String)
			}
			var events int
			if err := db.Get(&events, `SELECT count(*) FROM hold_events WHERE hold_id = $1`, hold); err != nil {
				t.Fatal(err)
			}
			if events != 1 {
				t.Errorf("%d transitions recorded, want exactly 1", events)
			}
		})
	}
}

func pendingCopy(t *testing.T, db interface {
	Get(dest any, query string, args ...any) error
}, hold int64) sql.NullString {
	t.Helper()
	var s sql.NullString
	if err := db.Get(&s, `SELECT pending_copy::text FROM holds WHERE id = $1`, hold); err != nil {
		t.Fatal(err)
	}
	return s
}
