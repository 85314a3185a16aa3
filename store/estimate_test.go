package store_test

import (
	"testing"
	"time"

	"yoyaku/estimate"
	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// TestEstimateInputs: what the estimates read matches the rows: the circulating copies of each title (due
// dates, copies set aside, missing ones left out) and the history's counts, shares and percentiles.
func TestEstimateInputs(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library')`)
	db.MustExec(`INSERT INTO patrons (id, card_number, name, password_hash) VALUES (1, '1000001', '利用者', 'x'), (2, '1000002', '利用者', 'x')`)
	db.MustExec(`INSERT INTO titles (id, title, format) VALUES (10, '本', 'book'), (11, '別の本', 'book'), (12, '誰も借りない本', 'book')`)
	db.MustExec(`INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES
		('A001', 10, 'chuo', 'chuo', 'on_loan'), ('A002', 10, 'chuo', 'chuo', 'hold_shelf'), ('A003', 10, 'chuo', 'chuo', 'missing'),
		('A004', 10, 'chuo', 'chuo', 'on_shelf'), ('B001', 11, 'chuo', 'chuo', 'on_loan'), ('H001', 12, 'chuo', 'chuo', 'on_shelf')`)
	// Current loans, and a year of returned ones: 30 returned 2 days before their due date, 10 returned 5
	// days after it (as the library's clock reads the due date: its start in Tokyo), one too old to count.
	db.MustExec(`INSERT INTO loans (barcode, patron_id, branch, checked_out_at, due_date) VALUES
		('A001', 1, 'chuo', now(), '2026-12-20'), ('B001', 1, 'chuo', now(), '2026-12-24')`)
	db.MustExec(`INSERT INTO loans (barcode, patron_id, branch, checked_out_at, due_date, returned_at)
		SELECT 'H001', 2, 'chuo', d - interval '20 days', d::date, (d::date::timestamp AT TIME ZONE 'Asia/Tokyo') + off
		FROM generate_series(1, 40) g,
			LATERAL (SELECT date_trunc('day', now() - interval '6 days' - g * interval '3 days') AS d,
				CASE WHEN g <= 30 THEN interval '-2 days' ELSE interval '5 days' END AS off) x`)
	db.MustExec(`INSERT INTO loans (barcode, patron_id, branch, checked_out_at, due_date, returned_at)
		VALUES ('H001', 2, 'chuo', now() - interval '500 days', (now() - interval '486 days')::date, now() - interval '400 days')`)
	// Holds: one open with copy A002 set aside; ended ones: 3 collected (1, 2 and 3 days after ready), 1
	// expired, 2 cancelled while waiting, 1 cancelled after its copy was ready (not waiting: it counts as served).
	db.MustExec(`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, item_barcode, assigned_at, ready_at)
		VALUES (2, 10, 'chuo', 'web', 'ready', 'A002', now(), now())`)
	db.MustExec(`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, ready_at, fulfilled_at)
		SELECT 1, 12, 'chuo', 'web', 'fulfilled', now() - interval '10 days', now() - interval '10 days' + g * interval '1 day'
		FROM generate_series(1, 3) g`)
	db.MustExec(`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, ready_at, cancelled_at, cancel_reason) VALUES
		(1, 12, 'chuo', 'web', 'cancelled', now() - interval '9 days', now() - interval '2 days', 'expired'),
		(1, 12, 'chuo', 'web', 'cancelled', NULL, now() - interval '1 day', 'patron'),
		(1, 12, 'chuo', 'web', 'cancelled', NULL, now() - interval '1 day', 'staff'),
		(1, 12, 'chuo', 'web', 'cancelled', now() - interval '3 days', now() - interval '1 day', 'patron')`)

	copies, err := store.CirculatingCopies(ctx, db, []int64{10, 11, 99}, loc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][]estimate.Copy{
		10: {{Due: time.Date(2026, 12, 20, 0, 0, 0, 0, loc)}, {Held: true}, {}},
		11: {{Due: time.Date(2026, 12, 24, 0, 0, 0, 0, loc)}},
	}
	if len(copies) != len(want) {
		t.Errorf("copies of %d titles, want %d: %+v", len(copies), len(want), copies)
	}
	for title, cs := range want {
		got := copies[title]
		if len(got) != len(cs) {
			t.Errorf("title %d: copies %+v, want %+v", title, got, cs)
			continue
		}
		for i := range cs {
			if !got[i].Due.Equal(cs[i].Due) || got[i].Held != cs[i].Held {
				t.Errorf("title %d copy %d: %+v, want %+v", title, i, got[i], cs[i])
			}
		}
	}

	h, err := store.EstimateHistory(ctx, db, loc)
	if err != nil {
		t.Fatal(err)
	}
	if h.Returns != 40 || len(h.ReturnOffsets) != store.EstimateQuantiles {
		t.Fatalf("history: %d returns, %d percentiles; want 40 and %d", h.Returns, len(h.ReturnOffsets), store.EstimateQuantiles)
	}
	// 30 of 40 came back 2 days early: the percentiles up to 75% say so, the rest 5 days late.
	for i, off := range h.ReturnOffsets {
		want := -2 * estimate.Day
		if float64(i)/float64(store.EstimateQuantiles-1) > 0.75 {
			want = 5 * estimate.Day
		}
		if off != want {
			t.Errorf("return percentile %d: %v, want %v", i, off, want)
		}
	}
	if first, last := h.PickupDelays[0], h.PickupDelays[len(h.PickupDelays)-1]; first != estimate.Day || last != 3*estimate.Day {
		t.Errorf("pickup delays from %v to %v, want 24h to 72h", first, last)
	}
	if h.Expired != 0.25 { // 1 expired of 4 ready holds that ended collected or expired
		t.Errorf("expired share %v, want 0.25", h.Expired)
	}
	if h.Withdrawn != 2.0/7 { // 2 cancelled while waiting, 5 served (3 collected, 1 expired, 1 cancelled when ready)
		t.Errorf("withdrawn share %v, want 2/7", h.Withdrawn)
	}
}
