package activities_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/activities"
	"yoyaku/config"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/internal/testenv"
)

// A bestseller burst (issue 17): many holds on one title with a few copies, approved at once by many
// workflows. Every approval locks the title, so what each one does under that lock bounds the title's rate.

// hotTitle is a title with copies copies (alternately at chuo and kita) and holds holds placed on it, all
// 予約申込 (requested, transition 0), each of its own patron, placed one millisecond apart in id order.
type hotTitle struct {
	title   int64
	holds   []int64 // in placement order
	copies  []string
	patrons map[int64]int64 // hold → patron
}

func hotFixture(tb testing.TB, db *sqlx.DB, copies, holds int) hotTitle {
	tb.Helper()
	db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library'), ('kita', '北図書館', 'library')
		ON CONFLICT DO NOTHING`)
	var h hotTitle
	if err := db.Get(&h.title, `INSERT INTO titles (title, format) VALUES ('ベストセラー', 'book') RETURNING id`); err != nil {
		tb.Fatal(err)
	}
	for i := range copies {
		bc := fmt.Sprintf("H%d-%03d", h.title, i)
		branch := []string{"chuo", "kita"}[i%2]
		db.MustExec(`INSERT INTO items (barcode, title_id, home_branch, location_branch) VALUES ($1, $2, $3, $3)`, bc, h.title, branch)
		h.copies = append(h.copies, bc)
	}
	// patrons are made once per database and reused by every title
	db.MustExec(`INSERT INTO patrons (card_number, name, password_hash)
		SELECT lpad(n::text, 7, '0'), '試験 ' || n, 'x' FROM generate_series(1, $1) n ON CONFLICT DO NOTHING`, holds)
	var rows []struct {
		ID     int64 `db:"id"`
		Patron int64 `db:"patron_id"`
	}
	if err := db.Select(&rows, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, placed_at)
		SELECT p.id, $1, 'chuo', 'web', now() - interval '1 hour' + p.n * interval '1 millisecond'
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM patrons ORDER BY id LIMIT $2) p
		ORDER BY p.n
		RETURNING id, patron_id`, h.title, holds); err != nil {
		tb.Fatal(err)
	}
	h.patrons = map[int64]int64{}
	for _, r := range rows {
		h.holds = append(h.holds, r.ID)
		h.patrons[r.ID] = r.Patron
	}
	slices.Sort(h.holds)
	db.MustExec(`ANALYZE holds`)
	return h
}

// burst approves every hold from clients goroutines at once, as their workflows would (transition 0), and
// returns each approval's outcome and how long it took.
func burst(ctx context.Context, a *activities.Activities, holds []int64, clients int) (map[int64]contract.Outcome, []time.Duration, time.Duration, error) {
	work := make(chan int64)
	var mu sync.Mutex
	outs := map[int64]contract.Outcome{}
	var took []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for id := range work {
				t0 := time.Now()
				out, err := a.Approve(ctx, contract.Step{HoldID: id, Transition: 0})
				d := time.Since(t0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("approve %d: %w", id, err)
				}
				outs[id] = out
				took = append(took, d)
				mu.Unlock()
			}
		})
	}
	for _, id := range holds {
		work <- id
	}
	close(work)
	wg.Wait()
	return outs, took, time.Since(start), firstErr
}

// shuffled is holds in an order that is not placement order (approvals arrive in any order), the same each run.
func shuffled(holds []int64) []int64 {
	out := slices.Clone(holds)
	for i := range out {
		j := (i*7919 + 13) % len(out)
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func p99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*99+99)/100-1]
}

// returnAll lends every set-aside copy to its hold's patron (fulfilling the holds) and then checks all the
// copies in at once, from one goroutine each; it returns how long the check-ins took together.
func returnAll(ctx context.Context, a *activities.Activities, db *sqlx.DB, h hotTitle) (time.Duration, []contract.CheckinResult, error) {
	var served []struct {
		ID      int64  `db:"id"`
		Patron  int64  `db:"patron_id"`
		Barcode string `db:"item_barcode"`
		Branch  string `db:"location_branch"`
	}
	if err := db.Select(&served, `SELECT h.id, h.patron_id, h.item_barcode, i.location_branch FROM holds h JOIN items i ON i.barcode = h.item_barcode
		WHERE h.title_id = $1 AND h.status = 'awaiting_pull'`, h.title); err != nil {
		return 0, nil, err
	}
	for _, s := range served {
		if _, err := a.Checkout(ctx, contract.CheckoutInput{Step: contract.Step{HoldID: s.ID, Transition: 1}, Barcode: s.Barcode,
			PatronID: s.Patron, Branch: s.Branch}); err != nil {
			return 0, nil, fmt.Errorf("checkout %s: %w", s.Barcode, err)
		}
	}
	res := make([]contract.CheckinResult, len(served))
	errs := make([]error, len(served))
	var wg sync.WaitGroup
	start := time.Now()
	for i, s := range served {
		wg.Go(func() { res[i], errs[i] = a.Checkin(ctx, contract.CheckinInput{Barcode: s.Barcode, Branch: "chuo"}) })
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, nil, err
		}
	}
	return took, res, nil
}

func hotActivities(tb testing.TB, db *sqlx.DB) *activities.Activities {
	tb.Helper()
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	return &activities.Activities{DB: db, Cfg: cfg}
}

// TestHotTitleBurst: holds on one title approved concurrently in no particular order. Every hold is approved
// exactly once; each copy goes to one hold; the others wait with positions 1..N in queue (placement) order,
// and each approval reported its queued hold's place as of its transition. Then every copy comes back at once:
// each goes to the next hold in line, first come, first served.
func TestHotTitleBurst(t *testing.T) {
	const copies, holds, clients = 5, 300, 16
	ctx := t.Context()
	db := testenv.DB(t)
	db.SetMaxOpenConns(clients + 4)
	db.SetMaxIdleConns(clients + 4) // as store.Open keeps them: no reconnecting in the middle of the burst
	a := hotActivities(t, db)
	h := hotFixture(t, db, copies, holds)

	outs, _, _, err := burst(ctx, a, shuffled(h.holds), clients)
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	for _, id := range h.holds {
		st := outs[id].State
		switch {
		case st.Transition != 1:
			t.Fatalf("hold %d: transition %d after approval, want 1", id, st.Transition)
		case st.Status == domain.StatusAwaitingPull:
			served++
		case st.Status == domain.StatusQueued && st.Position < 1:
			t.Fatalf("hold %d queued without its position", id)
		case st.Status != domain.StatusQueued:
			t.Fatalf("hold %d: %s after approval", id, st.Status)
		}
	}
	if served != copies {
		t.Fatalf("%d holds took a copy, want %d", served, copies)
	}
	var dup int
	if err := db.Get(&dup, `SELECT count(*) - count(DISTINCT item_barcode) FROM holds WHERE title_id = $1 AND item_barcode IS NOT NULL`, h.title); err != nil {
		t.Fatal(err)
	}
	if dup != 0 {
		t.Fatalf("%d copies set aside twice", dup)
	}
	queue := checkQueue(t, ctx, a, h, holds-copies)

	// every copy back at once: the first five in line get them, one each
	_, res, err := returnAll(ctx, a, db, h)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for _, r := range res {
		if r.Next == nil || r.Next.Kind != contract.CopySecured {
			t.Fatalf("check-in: %+v, want the copy secured for the next hold", r)
		}
		got[r.Next.HoldID] = true
	}
	for _, id := range queue[:copies] {
		if !got[id] {
			t.Fatalf("the returned copies went to %v, not to the first %d in line %v", got, copies, queue[:copies])
		}
	}
}

// checkQueue checks that the title's waiting holds read positions 1..n in placement order, and returns them
// in that order.
func checkQueue(t *testing.T, ctx context.Context, a *activities.Activities, h hotTitle, n int) []int64 {
	t.Helper()
	var queue []int64
	for _, id := range h.holds { // placement order
		st, err := a.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != domain.StatusQueued {
			continue
		}
		queue = append(queue, id)
		if st.Position != len(queue) {
			t.Fatalf("hold %d, %dth in placement order among the waiting, reads position %d", id, len(queue), st.Position)
		}
	}
	if len(queue) != n {
		t.Fatalf("%d holds wait, want %d", len(queue), n)
	}
	return queue
}

// BenchmarkApproveHotTitle: 2,000 holds on a title with 20 copies approved from 32 clients at once, then the
// 20 copies returned at once. Reports approvals/s, the p99 of one approval and the time of the 20 check-ins.
//
//	go test -count=1 -run '^$' -bench BenchmarkApproveHotTitle -benchtime 3x ./activities
func BenchmarkApproveHotTitle(b *testing.B) {
	const copies, holds, clients = 20, 2000, 32
	ctx := b.Context()
	db := testenv.DB(b)
	db.SetMaxOpenConns(clients + 4)
	db.SetMaxIdleConns(clients + 4) // as store.Open keeps them: no reconnecting in the middle of the burst
	a := hotActivities(b, db)
	var rate, tail, back float64
	runs := 0
	for b.Loop() {
		b.StopTimer()
		h := hotFixture(b, db, copies, holds)
		b.StartTimer()
		_, took, wall, err := burst(ctx, a, shuffled(h.holds), clients)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rate += float64(holds) / wall.Seconds()
		tail += float64(p99(took).Microseconds()) / 1000
		returned, _, err := returnAll(ctx, a, db, h)
		if err != nil {
			b.Fatal(err)
		}
		back += float64(returned.Microseconds()) / 1000
		runs++
		b.StartTimer()
	}
	b.ReportMetric(rate/float64(runs), "approvals/s")
	b.ReportMetric(tail/float64(runs), "p99-ms")
	b.ReportMetric(back/float64(runs), "20-returns-ms")
}
