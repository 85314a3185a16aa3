// Package par runs a loop's iterations concurrently with a bound, for the drivers (yoyaku bench, yoyaku
// chaos) that create fixtures and send requests many at a time.
package par

import (
	"context"
	"sync"
	"sync/atomic"
)

// Each runs f(ctx, 0) … f(ctx, n-1) on at most limit goroutines (at least one) and returns the first error;
// after an error the remaining calls are not started and ctx is cancelled for the running ones. Without an
// error it returns ctx.Err(): nil unless the caller's ctx ended.
func Each(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(max(limit, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { firstErr = err })
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
