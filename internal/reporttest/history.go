// Package reporttest writes a history of holds whose reports (store/reports.go, library.Reports) are known
// exactly, for the tests of the reports in store, api and e2e. Every time is relative to the database's
// now(): a hold "placed k days ago" was placed at noon, in the library's zone, k days before today there.
//
// The history and what its reports must say (ratio 3 unless said):
//
//   - Titles: A 「予約の多い本（報告テスト）」 2 circulating copies (one more missing, one withdrawn), 9 open
//     holds (1 ready at 中央, 8 waiting); B 「とても予約の多い本（報告テスト）」 1 copy, 7 open holds (1 in
//     transit, 6 waiting); C 「予約三倍の本（報告テスト）」 1 copy, 3 waiting holds (exactly 3 per copy: not
//     over a ratio of 3, over 2); D 「所蔵のない本（報告テスト）」 no copy, 2 waiting holds; E
//     「よく借りられた本（報告テスト）」 2 copies, ended holds only.
//   - Hold ratio over 3: D (2 holds, 0 copies, no ratio, 1 to buy), B (7, 1, 7.00, 2 to buy), A (9, 2, 4.50,
//     1 to buy). Over 2: D (1), B (3), A (3), C (3, 1, 3.00, 1 to buy).
//   - Queues: A 8, B 6, C 3, D 2 waiting (19 in all); by length: 2 → 1 title, 3–5 → 1, 6–10 → 2.
//   - Placed per day (k days ago: holds): 1: 8, 2: 7, 3: 5, 15: 1, 20: 9, 30: 4, 89: 1; 35 in the last 90
//     days (today and the 89 before it); the holds placed 90 and 120 days ago are older.
//   - Placement to first ready, first ready within 90 days: 中央図書館 10 holds (E 1..9 days, A's ready one 10
//     days): median 5.5, p90 9.1; 北図書館 4 holds of 2, 4, 6 and 8 days (the 6-day one was ready again 20
//     days after placement: its first ready counts): median 5.0, p90 7.4. The hold ready 110 days ago and
//     the ones never ready are not counted.
package reporttest

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Titles are the IDs of the history's titles.
type Titles struct{ A, B, C, D, E int64 }

// hold is one hold of the history: placed k days ago; wait, when set, the days from placement to ready
// (ready_at); event, when set, the days from placement to an earlier ready recorded in hold_events.
type hold struct {
	title  *int64
	patron int
	pickup string
	status string
	item   string
	k      int
	wait   *int
	event  *int
}

func days(n int) *int { return &n }

// History writes the history (see the package comment) in one transaction, with loc the library's zone.
func History(ctx context.Context, db *sqlx.DB, loc *time.Location) (Titles, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Titles{}, fmt.Errorf("reporttest: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	ts, err := catalogue(ctx, tx)
	if err != nil {
		return Titles{}, err
	}
	patrons, err := people(ctx, tx, 10)
	if err != nil {
		return Titles{}, err
	}
	for i, h := range holds(&ts) {
		if err := insert(ctx, tx, h, patrons[h.patron], loc); err != nil {
			return Titles{}, fmt.Errorf("reporttest: hold %d: %w", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Titles{}, fmt.Errorf("reporttest: commit: %w", err)
	}
	return ts, nil
}

// catalogue inserts the branches (as the demo data has them, when it is there), the titles and their copies.
func catalogue(ctx context.Context, tx *sqlx.Tx) (Titles, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO branches (code, name, kind, sort_order)
		VALUES ('chuo', '中央図書館', 'library', 1), ('kita', '北図書館', 'library', 2) ON CONFLICT (code) DO NOTHING`); err != nil {
		return Titles{}, fmt.Errorf("reporttest: branches: %w", err)
	}
	var ts Titles
	for _, t := range []struct {
		id    *int64
		title string
	}{{&ts.A, "予約の多い本（報告テスト）"}, {&ts.B, "とても予約の多い本（報告テスト）"}, {&ts.C, "予約三倍の本（報告テスト）"},
		{&ts.D, "所蔵のない本（報告テスト）"}, {&ts.E, "よく借りられた本（報告テスト）"}} {
		if err := tx.GetContext(ctx, t.id, `INSERT INTO titles (title, format) VALUES ($1, 'book') RETURNING id`, t.title); err != nil {
			return Titles{}, fmt.Errorf("reporttest: title: %w", err)
		}
	}
	for _, it := range []struct {
		barcode, status string
		title           int64
	}{{"RPT-A1", "hold_shelf", ts.A}, {"RPT-A2", "on_loan", ts.A}, {"RPT-A3", "missing", ts.A}, {"RPT-A4", "withdrawn", ts.A},
		{"RPT-B1", "in_transit", ts.B}, {"RPT-C1", "on_shelf", ts.C}, {"RPT-E1", "on_shelf", ts.E}, {"RPT-E2", "on_shelf", ts.E}} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status)
			VALUES ($1, $2, 'chuo', 'chuo', $3)`, it.barcode, it.title, it.status); err != nil {
			return Titles{}, fmt.Errorf("reporttest: item %s: %w", it.barcode, err)
		}
	}
	return ts, nil
}

// people inserts n patrons (card numbers 9100001 and on) and returns their IDs.
func people(ctx context.Context, tx *sqlx.Tx, n int) ([]int64, error) {
	ids := make([]int64, n)
	for i := range ids {
		if err := tx.GetContext(ctx, &ids[i], `INSERT INTO patrons (card_number, name, password_hash)
			VALUES ($1, '報告テスト利用者', 'x') RETURNING id`, fmt.Sprintf("%07d", 9100001+i)); err != nil {
			return nil, fmt.Errorf("reporttest: patron: %w", err)
		}
	}
	return ids, nil
}

// holds is the history's holds (the package comment says what they make).
func holds(ts *Titles) []hold {
	var hs []hold
	// Open holds: A's ready one (10 days to ready) and 8 waiting; B's in transit and 6 waiting; C's 3 and D's 2.
	hs = append(hs, hold{title: &ts.A, patron: 0, pickup: "chuo", status: "ready", item: "RPT-A1", k: 15, wait: days(10)})
	for p := 1; p <= 8; p++ {
		hs = append(hs, hold{title: &ts.A, patron: p, pickup: "kita", status: "queued", k: 1})
	}
	hs = append(hs, hold{title: &ts.B, patron: 0, pickup: "kita", status: "in_transit", item: "RPT-B1", k: 2})
	for p := 1; p <= 6; p++ {
		hs = append(hs, hold{title: &ts.B, patron: p, pickup: "chuo", status: "queued", k: 2})
	}
	for p := 0; p < 3; p++ {
		hs = append(hs, hold{title: &ts.C, patron: p, pickup: "chuo", status: "queued", k: 3})
	}
	for p := 0; p < 2; p++ {
		hs = append(hs, hold{title: &ts.D, patron: p, pickup: "kita", status: "queued", k: 3})
	}
	// Ended holds on E: 中央 ready after 1..9 days; 北 after 2, 4, 6 (ready again at 20) and 8.
	for w := 1; w <= 9; w++ {
		hs = append(hs, hold{title: &ts.E, patron: w % 10, pickup: "chuo", status: "fulfilled", k: 20, wait: days(w)})
	}
	for _, w := range []int{2, 4, 8} {
		hs = append(hs, hold{title: &ts.E, patron: w, pickup: "kita", status: "fulfilled", k: 30, wait: days(w)})
	}
	hs = append(hs, hold{title: &ts.E, patron: 6, pickup: "kita", status: "fulfilled", k: 30, wait: days(20), event: days(6)},
		// Older than the windows, and never ready (one on the oldest day counted, one the day before it).
		hold{title: &ts.E, patron: 0, pickup: "chuo", status: "fulfilled", k: 120, wait: days(10)},
		hold{title: &ts.E, patron: 1, pickup: "chuo", status: "cancelled", k: 89},
		hold{title: &ts.E, patron: 2, pickup: "kita", status: "cancelled", k: 90})
	return hs
}

// insert writes one hold: placed at noon k days ago in loc, ready wait days later, fulfilled an hour after
// ready or cancelled an hour after placement; its ready event, when it has one, event days after placement.
func insert(ctx context.Context, tx *sqlx.Tx, h hold, patron int64, loc *time.Location) error {
	var id int64
	item := sql.NullString{String: h.item, Valid: h.item != ""}
	err := tx.GetContext(ctx, &id, `
		WITH t AS (SELECT ((((now() AT TIME ZONE $6)::date - $5::int)::timestamp + interval '12 hours') AT TIME ZONE $6) AS placed),
		r AS (SELECT placed, placed + make_interval(days => $7::int) AS ready FROM t)
		INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, item_barcode, placed_at, assigned_at, ready_at,
			fulfilled_at, cancelled_at, cancel_reason)
		SELECT $1, $2, $3, 'web', $4, $8, placed, CASE WHEN $8::text IS NOT NULL THEN placed END, ready,
			CASE WHEN $4 = 'fulfilled' THEN ready + interval '1 hour' END,
			CASE WHEN $4 = 'cancelled' THEN placed + interval '1 hour' END,
			CASE WHEN $4 = 'cancelled' THEN 'patron' END
		FROM r RETURNING id`, patron, *h.title, h.pickup, h.status, h.k, loc.String(), h.wait, item)
	if err != nil {
		return err
	}
	if h.event == nil {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO hold_events (hold_id, at, from_status, to_status, transition)
		SELECT id, placed_at + make_interval(days => $2), 'preparing', 'ready', 3 FROM holds WHERE id = $1`, id, *h.event)
	return err
}
