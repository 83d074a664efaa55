package parallel

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns the number of goroutines For uses for n items when asked for workers:
// GOMAXPROCS when workers ≤ 0, and never more than n (at least 1).
func Workers(workers, n int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(min(workers, n), 1)
}

// For calls item(w, i) for every i in [0, n) on Workers(workers, n) goroutines; w, in
// [0, Workers(workers, n)), names the goroutine, so that item can reuse per-worker scratch
// space. Items are handed out in increasing order.
//
// For stops handing out items once ctx is cancelled or an item returns an error, waits for
// the items in flight and returns: ctx's error if it was cancelled, otherwise the error of
// the lowest-numbered item that failed, otherwise nil. Because items are handed out in
// order, that is the error a sequential loop would have returned first, whatever the
// scheduling. Items not run leave their outputs as they were.
func For(ctx context.Context, n, workers int, item func(w, i int) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	workers = Workers(workers, n)
	errs := make([]error, workers) // each worker's lowest failing item's error
	failedAt := make([]int, workers)
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		failedAt[w] = n
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if ctx.Err() != nil {
					stop.Store(true)
					return
				}
				if err := item(w, i); err != nil {
					// A worker's items increase, so its first failure is its lowest.
					errs[w], failedAt[w] = err, i
					stop.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	lowest := n
	for w := range workers {
		if failedAt[w] < lowest {
			lowest, err = failedAt[w], errs[w]
		}
	}
	return err
}
