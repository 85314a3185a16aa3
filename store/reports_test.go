package store_test

import (
	"testing"
	"time"

	"yoyaku/internal/reporttest"
	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// TestReports: the reports' readers over a history with known answers (internal/reporttest's comment
// says which): holds per day with zero days and the 90-day edge, placement to first ready per branch
// (medians and 90th percentiles), queues, and the titles over a hold ratio at its edge.
func TestReports(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := reporttest.History(ctx, db, loc)
	if err != nil {
		t.Fatal(err)
	}
	var now time.Time
	if err := db.GetContext(ctx, &now, `SELECT now()`); err != nil {
		t.Fatal(err)
	}

	perDay, err := store.HoldsPerDay(ctx, db, now, 90, loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(perDay) != 90 {
		t.Fatalf("%d days, want 90", len(perDay))
	}
	today := now.In(loc)
	want := map[int]int{1: 8, 2: 7, 3: 5, 15: 1, 20: 9, 30: 4, 89: 1}
	for i, d := range perDay {
		k := 89 - i // days ago
		if day := today.AddDate(0, 0, -k).Format(time.DateOnly); d.Date != day {
			t.Errorf("day %d is %s, want %s", i, d.Date, day)
		}
		if d.Holds != want[k] {
			t.Errorf("%s (%d days ago): %d holds, want %d", d.Date, k, d.Holds, want[k])
		}
	}

	waits, err := store.TimeToReady(ctx, db, 90)
	if err != nil {
		t.Fatal(err)
	}
	wantWaits := []store.BranchWait{
		{Branch: "chuo", Name: "中央図書館", Holds: 10, Median: 5.5, P90: 9.1},
		{Branch: "kita", Name: "北図書館", Holds: 4, Median: 5.0, P90: 7.4},
	}
	if len(waits) != len(wantWaits) {
		t.Fatalf("time to ready %+v, want %+v", waits, wantWaits)
	}
	for i := range wantWaits {
		if waits[i] != wantWaits[i] {
			t.Errorf("time to ready at %s: %+v, want %+v", wantWaits[i].Branch, waits[i], wantWaits[i])
		}
	}

	queues, err := store.Queues(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	wantQueues := []store.TitleQueue{{ts.A, "予約の多い本（報告テスト）", 8}, {ts.B, "とても予約の多い本（報告テスト）", 6},
		{ts.C, "予約三倍の本（報告テスト）", 3}, {ts.D, "所蔵のない本（報告テスト）", 2}}
	if len(queues) != len(wantQueues) {
		t.Fatalf("queues %+v, want %+v", queues, wantQueues)
	}
	for i := range wantQueues {
		if queues[i] != wantQueues[i] {
			t.Errorf("queue %d: %+v, want %+v", i, queues[i], wantQueues[i])
		}
	}

	for _, c := range []struct {
		ratio100 int
		want     []store.TitleRatio
	}{
		{300, []store.TitleRatio{{ts.D, "所蔵のない本（報告テスト）", 2, 0}, {ts.B, "とても予約の多い本（報告テスト）", 7, 1},
			{ts.A, "予約の多い本（報告テスト）", 9, 2}}},
		{200, []store.TitleRatio{{ts.D, "所蔵のない本（報告テスト）", 2, 0}, {ts.B, "とても予約の多い本（報告テスト）", 7, 1},
			{ts.A, "予約の多い本（報告テスト）", 9, 2}, {ts.C, "予約三倍の本（報告テスト）", 3, 1}}},
		{700, []store.TitleRatio{{ts.D, "所蔵のない本（報告テスト）", 2, 0}}},
	} {
		got, err := store.HoldRatios(ctx, db, c.ratio100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Errorf("ratio %d/100: %+v, want %+v", c.ratio100, got, c.want)
			continue
		}
		for i := range c.want {
			if got[i] != c.want[i] {
				t.Errorf("ratio %d/100, row %d: %+v, want %+v", c.ratio100, i, got[i], c.want[i])
			}
		}
	}
	if _, err := store.HoldRatios(ctx, db, 0); err == nil {
		t.Error("a ratio of 0 was read")
	}
}
