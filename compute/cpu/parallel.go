package cpu

import (
	"runtime"
	"sync"
)

// Row-wise and elementwise kernels on large tensors run on several cores: a training step
// at Ng 4096 applies ReLU to 819,200 elements after each recurrent product and Adam to 21
// million parameters, which one core streams through at memory speed only. Small tensors
// stay on the calling goroutine, where waking a worker (a few µs) would cost more than it
// saves.

// minParallel is the number of elements (or row elements) below which an operation runs
// serially: about 20 µs of work for the cheapest kernels.
var minParallel = 1 << 16

// maxWorkers caps the goroutines of one operation; 0 means GOMAXPROCS. Tests set it.
var maxWorkers = 0

// rangeTask is work over an index range: part q of a call runs the indices [lo, hi).
// Parts write disjoint memory; a part's index selects its scratch space.
type rangeTask interface{ run(part, lo, hi int) }

type poolItem struct {
	t      rangeTask
	part   int
	lo, hi int
	wg     *sync.WaitGroup
}

// pool is the persistent set of worker goroutines shared by all backends. It grows to
// GOMAXPROCS−1 workers (the caller runs the first part) and never shrinks.
var pool struct {
	mu      sync.Mutex
	workers int
	items   chan poolItem
}

func startWorkers(n int) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if pool.items == nil {
		pool.items = make(chan poolItem)
	}
	for ; pool.workers < n; pool.workers++ {
		go func() {
			for it := range pool.items {
				it.t.run(it.part, it.lo, it.hi)
				it.wg.Done()
			}
		}()
	}
}

// parts returns how many parts to cut n indices into, each of at least minPart indices.
func parts(n, minPart int) int {
	w := runtime.GOMAXPROCS(0)
	if maxWorkers > 0 {
		w = min(w, maxWorkers)
	}
	return max(1, min(w, n/max(minPart, 1)))
}

// parallelFor runs t over [0, n) in up to parts(n, minPart) parts whose bounds are
// multiples of grain, the calling goroutine taking part 0. wg is the caller's (a Backend's),
// so that a call allocates nothing.
func parallelFor(t rangeTask, n, grain, minPart int, wg *sync.WaitGroup) {
	np := parts(n, minPart)
	if np <= 1 {
		t.run(0, 0, n)
		return
	}
	step := (n + np - 1) / np
	step = (step + grain - 1) / grain * grain
	startWorkers(np - 1)
	q := 1
	for lo := step; lo < n; lo += step {
		wg.Add(1)
		pool.items <- poolItem{t: t, part: q, lo: lo, hi: min(lo+step, n), wg: wg}
		q++
	}
	t.run(0, 0, min(step, n))
	wg.Wait()
}
