package api

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// TestHealthCacheSharesTheCheckInFlight holds a check open while 20 more callers arrive: none starts a
// check of its own, all get the one result when it ends, and a caller that gives up while waiting returns
// at once with its context's error without disturbing the others.
func TestHealthCacheSharesTheCheckInFlight(t *testing.T) {
	var h healthCache
	var checks atomic.Int32
	release := make(chan struct{})
	check := func() healthResult {
		checks.Add(1)
		<-release
		return healthResult{status: http.StatusOK, checks: gin.H{"postgres": "ok", "temporal": "ok"}}
	}
	results := make(chan healthResult, 21)
	var wg sync.WaitGroup
	wg.Go(func() { // the caller that starts the check
		r, err := h.get(t.Context(), check)
		if err != nil {
			t.Error(err)
		}
		results <- r
	})
	for checks.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for range 20 {
		wg.Go(func() {
			r, err := h.get(t.Context(), check)
			if err != nil {
				t.Error(err)
			}
			results <- r
		})
	}
	// One more caller gives up while the check runs.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.get(ctx, check); err == nil {
		t.Error("a waiter whose context ended got a result, want its context's error")
	}
	time.Sleep(50 * time.Millisecond) // the 20 are waiting by now
	close(release)
	wg.Wait()
	close(results)
	n := 0
	for r := range results {
		n++
		if r.status != http.StatusOK {
			t.Errorf("a caller got %d, want the shared 200", r.status)
		}
	}
	if n != 21 || checks.Load() != 1 {
		t.Fatalf("%d callers answered from %d checks, want 21 from 1", n, checks.Load())
	}
	// Within the second the result is reused without a check; a panicking check leaves no waiter stuck.
	if _, err := h.get(t.Context(), check); err != nil || checks.Load() != 1 {
		t.Fatalf("a call within the second ran a check (%d in all, %v)", checks.Load(), err)
	}
	h.at = time.Now().Add(-2 * healthTTL)
	func() {
		defer func() { _ = recover() }()
		_, _ = h.get(t.Context(), func() healthResult { panic("boom") })
	}()
	if r, err := h.get(t.Context(), check); err != nil || r.status != http.StatusServiceUnavailable || h.inflight != nil {
		t.Fatalf("after a panicking check: %d %v (in flight %v), want the 503 it left and nothing in flight", r.status, err, h.inflight != nil)
	}
}
