package par

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestEach(t *testing.T) {
	var running, most, calls atomic.Int64
	done := make([]bool, 100)
	err := Each(t.Context(), len(done), 4, func(ctx context.Context, i int) error {
		r := running.Add(1)
		for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
		}
		defer running.Add(-1)
		calls.Add(1)
		done[i] = true
		return nil
	})
	if err != nil || calls.Load() != 100 || most.Load() > 4 {
		t.Fatalf("Each = %v after %d calls, at most %d at once; want nil, 100, ≤ 4", err, calls.Load(), most.Load())
	}
	for i, d := range done {
		if !d {
			t.Fatalf("f(%d) was not called", i)
		}
	}

	boom := errors.New("boom")
	calls.Store(0)
	err = Each(t.Context(), 1000, 1, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if err != boom || calls.Load() != 3 {
		t.Fatalf("Each = %v after %d calls, want boom after 3", err, calls.Load())
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Each(ctx, 10, 2, func(context.Context, int) error { return nil }); err != context.Canceled {
		t.Fatalf("Each on a cancelled context = %v, want context.Canceled", err)
	}
}
