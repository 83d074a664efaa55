package cpu

import (
	"runtime"

	"github.com/gridcells/gridcells/internal/workpool"
)

// Row-wise and elementwise kernels on large tensors run on several cores: a training step
// at Ng 4096 applies ReLU to 819,200 elements after each recurrent product and Adam to 21
// million parameters, which one core streams through at memory speed only. Small tensors
// stay on the calling goroutine, where handing parts to a worker (a few µs) would cost more
// than it saves.

// minParallel is the number of elements (or row elements) below which an operation runs
// serially: about 20 µs of work for the cheapest kernels.
var minParallel = 1 << 16

// maxWorkers caps the goroutines of one operation; 0 means GOMAXPROCS. Tests set it.
var maxWorkers = 0

// rangeTask is work over an index range: part q of a call runs the indices [lo, hi).
// Parts write disjoint memory; a part's index selects its scratch space.
type rangeTask interface{ run(part, lo, hi int) }

// rangeRun is one parallelFor call as a workpool.Task: part q runs t over
// [q·step, min((q+1)·step, n)). A Backend keeps one, so that a call allocates nothing.
type rangeRun struct {
	t       rangeTask
	n, step int
}

func (r *rangeRun) Run(q int) {
	lo := q * r.step
	r.t.run(q, lo, min(lo+r.step, r.n))
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
// multiples of grain, on the calling goroutine and the spinning workers of
// internal/workpool (a parked worker costs tens of µs to wake; see there). r is the
// caller's (a Backend's) scratch, so that a call allocates nothing.
func parallelFor(t rangeTask, n, grain, minPart int, r *rangeRun) {
	np := parts(n, minPart)
	if np <= 1 {
		t.run(0, 0, n)
		return
	}
	step := (n + np - 1) / np
	step = (step + grain - 1) / grain * grain
	*r = rangeRun{t: t, n: n, step: step}
	workpool.Run(r, (n+step-1)/step, np)
	r.t = nil
}
