package bench

import (
	"strings"
	"testing"
	"time"
)

// TestQueueViolations checks the bestseller's judgement of a queue: positions 1..N, placed_at in position
// order, and first come, first served as the clients saw it.
func TestQueueViolations(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	placed := func(ms int) string { return at(ms).Format(time.RFC3339Nano) }
	// h makes a hold sent at sent ms, answered at answered ms, placed (server time) at p ms, at position pos.
	h := func(id int64, sent, answered, p, pos int) *bestsellerHold {
		return &bestsellerHold{id: id, sent: at(sent), answered: at(answered), placedAt: placed(p), position: pos}
	}
	for _, tc := range []struct {
		name  string
		holds []*bestsellerHold
		want  string // a substring of the one violation expected; "" for none
	}{
		{"in order", []*bestsellerHold{h(1, 0, 10, 5, 1), h(2, 1, 12, 6, 2), h(3, 20, 30, 25, 3)}, ""},
		// Concurrent POSTs may land in either order: 2 was sent before 1 was answered.
		{"concurrent either way", []*bestsellerHold{h(1, 0, 10, 8, 2), h(2, 1, 12, 6, 1), h(3, 20, 30, 25, 3)}, ""},
		{"a gap", []*bestsellerHold{h(1, 0, 10, 5, 1), h(2, 20, 30, 25, 3)}, "positions are not 1..2"},
		{"a duplicate", []*bestsellerHold{h(1, 0, 10, 5, 1), h(2, 20, 30, 25, 1)}, "positions are not 1..2"},
		{"placed later but ahead", []*bestsellerHold{h(1, 0, 10, 9, 1), h(2, 1, 12, 6, 2)}, "is behind hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := queueViolations(tc.holds)
			if tc.want == "" && len(got) > 0 {
				t.Fatalf("violations %q, want none", got)
			}
			if tc.want != "" && (len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.want)) {
				t.Fatalf("violations %q, want one with %q", got, tc.want)
			}
		})
	}
	// Hold 1 was answered before hold 2 was sent, yet hold 2 is ahead: both the placed_at order and FIFO break.
	got := queueViolations([]*bestsellerHold{h(1, 0, 10, 5, 2), h(2, 20, 30, 25, 1)})
	if s := strings.Join(got, "\n"); !strings.Contains(s, "not first come, first served") || !strings.Contains(s, "is behind hold") {
		t.Errorf("violations %q, want FIFO and placed_at order broken", got)
	}
}

// TestServedViolations: the returned copies go to the first n holds of the queue, one each.
func TestServedViolations(t *testing.T) {
	holds := []*bestsellerHold{{id: 10, position: 1}, {id: 11, position: 2}, {id: 12, position: 3}}
	for _, tc := range []struct {
		name   string
		served []int64
		want   string
	}{
		{"the first two", []int64{11, 10}, ""},
		{"one twice", []int64{10, 10}, "hold 10 got two copies"},
		{"past the head", []int64{10, 12}, "went to hold 12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(servedViolations(holds, tc.served, 2), "\n")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("violations %q, want %q", got, tc.want)
			}
		})
	}
}
