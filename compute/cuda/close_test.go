//go:build !nocuda

package cuda

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/sim"
)

// emuHooks are the test hooks of internal/cudaemu's library (its doc.go): what is live, an
// entry point made to fail, a kernel's thread limit. TestEmulated and TestEmulatedLazy run
// the tests below against it.
type emuHooks struct{ live, fail, maxThreads uintptr }

// liveNames name cudaemuLive's counts, in its order.
var liveNames = [...]string{"device allocations", "pinned host allocations", "streams", "events", "modules",
	"cuBLAS handles", "cuBLASLt handles", "cuBLASLt matmul descriptors", "cuBLASLt matrix layouts",
	"cuBLASLt matmul preferences", "primary context retains"}

type liveCounts [len(liveNames)]int64

// emuOrSkip returns the emulator's hooks, or skips where no driver loads or the driver is a
// real one, which has no way to tell what is live.
func emuOrSkip(t *testing.T) *emuHooks {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	var h emuHooks
	for name, p := range map[string]*uintptr{"cudaemuLive": &h.live, "cudaemuFail": &h.fail, "cudaemuMaxThreads": &h.maxThreads} {
		var err error
		if *p, err = loaded.driver.sym(name); err != nil {
			t.Skipf("the driver (%s) is not internal/cudaemu's: %v", loaded.driver.path, err)
		}
	}
	return &h
}

func (h *emuHooks) counts(t *testing.T) liveCounts {
	t.Helper()
	var c liveCounts
	if n := call(h.live, uintptr(unsafe.Pointer(&c[0])), uintptr(len(c))); int(n) != len(c) {
		t.Fatalf("cudaemuLive has %d counts; want %d", n, len(c))
	}
	return c
}

// unchanged fails t for every count that differs from before: what the code under test
// created and did not release (earlier tests of the process may hold backends of their own).
func (h *emuHooks) unchanged(t *testing.T, what string, before liveCounts) {
	t.Helper()
	after := h.counts(t)
	for i, name := range liveNames {
		if after[i] != before[i] {
			t.Errorf("%s: %d %s live, %d before", what, after[i], name, before[i])
		}
	}
}

// failing makes the emulator's entry point name fail until the test ends.
func (h *emuHooks) failing(t *testing.T, name string) {
	cs := cString(name)
	call(h.fail, uintptr(unsafe.Pointer(&cs[0])))
	t.Cleanup(func() { call(h.fail, 0) })
}

// TestClose uses every part of a backend that holds something (the pinned ring and its
// events, staging, row losses, lane partials, deferred scalars, the profiler's events, the
// cuBLASLt path with tuning, the generator's module), frees the tensors it made, and closes
// it: nothing it created may stay live. A second Close returns nil, and a use after Close
// panics saying so.
func TestClose(t *testing.T) {
	h := emuOrSkip(t)
	t.Setenv(envLt, "tune")
	// A cache of its own: choices an earlier process saved would leave the tuning's events
	// unmade.
	t.Setenv("GRIDCELLS_CACHE", t.TempDir())
	before := h.counts(t)
	b, err := New(&Settings{Lt: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mine := useEverything(t, b)
	if b.ring == nil || b.staging == nil || b.rowloss == nil || b.lanePartials == nil || b.prof == nil ||
		b.lt == nil || len(b.lt.plans) == 0 || b.lt.events[0] == 0 || b.gen == nil || b.deferred.pinned == nil {
		t.Fatal("the backend's state was not all made: the test does not check its release")
	}
	for _, m := range mine {
		b.Free(m)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	h.unchanged(t, "after Close", before)
	if err := b.Close(); err != nil {
		t.Errorf("a second Close = %v; want nil", err)
	}
	defer func() {
		if r := fmt.Sprint(recover()); !strings.Contains(r, "closed backend") {
			t.Errorf("a use after Close panicked with %q; want the closed backend named", r)
		}
	}()
	b.New(1, 1)
}

// useEverything makes b create every kind of state Close releases (cuBLASLt plans, and
// tuning events for a shape not tuned before, when b has the cuBLASLt path; the profiler's
// events, staging, the lanes' partials, deferred scalars, one left queued, and generate.cu's
// module) and returns the tensors it allocated, for the caller to Free.
func useEverything(t *testing.T, b *Backend) []compute.Tensor {
	t.Helper()
	var mine []compute.Tensor
	tensor := func(rows, cols int) compute.Tensor {
		x := b.New(rows, cols)
		vals := make([]float32, rows*cols)
		for i := range vals {
			vals[i] = float32(i%7) - 3
		}
		b.Upload(x, vals)
		mine = append(mine, x)
		return x
	}
	// A product shape of its own: no other test's tuning has chosen its algorithm already
	// (which would leave the tuning's events unmade).
	a, w, y := tensor(5, 13), tensor(13, 7), tensor(5, 7)
	x := tensor(8, 16)
	if err := b.StartProfile(); err != nil {
		t.Fatal(err)
	}
	b.Gemm(false, false, 1, a, w, 0, y)
	if _, _, err := b.StopProfile(); err != nil {
		t.Fatal(err)
	}
	b.Upload(b.View(y, 0, 0, 2, 3), make([]float32, 6)) // strided: through staging
	b.SoftmaxCrossEntropy(nil, y, y, 1)
	b.DeferScalars()
	b.SquaredErrorLanes(nil, x, x, 1, 2)
	b.QueueScalars()
	if got := b.CollectScalars(nil); len(got) != 2 {
		t.Fatalf("CollectScalars = %v; want 2 values", got)
	}
	b.DeferScalars()
	b.ScaleSumSquaresLanes(nil, 1, x, 4) // left queued: Close must release its event
	b.QueueScalars()
	p := sim.DefaultParams()
	g, err := b.NewBatchGenerator(walkParams(p, 4, 3, 1), &PlaceParams{Kind: PlaceGaussian, Centres: []float32{0, 0, 0.5, 0.5}, Sigma: 0.12})
	if err != nil {
		t.Fatal(err)
	}
	g.Generate(0, tensor(12, 2), tensor(4, 2), tensor(12, 2), tensor(12, 2), tensor(4, 2))
	g.Free()
	return mine
}

// TestCloseReopen closes a backend that has made all its state and opens another: on a GPU
// the last retain's release destroys the primary context, and the next New retains a new
// one, on which products must still come out right.
func TestCloseReopen(t *testing.T) {
	t.Setenv(envLt, "tune")
	b := newOrSkip(t, &Settings{Lt: true})
	for _, m := range useEverything(t, b) {
		b.Free(m)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("a second Close = %v; want nil", err)
	}
	b2 := newOrSkip(t, nil)
	defer b2.Close()
	x, y := b2.New(2, 3), b2.New(2, 2)
	b2.Upload(x, []float32{1, 2, 3, 4, 5, 6})
	b2.Gemm(false, true, 1, x, x, 0, y)
	got := make([]float32, 4)
	b2.Download(got, y)
	if want := []float32{14, 32, 32, 77}; !slices.Equal(got, want) {
		t.Errorf("x·xᵀ on the backend opened after a Close = %v, want %v", got, want)
	}
}

// TestCloseFailedNew makes each step of New after the context's retain fail in turn: New
// must return the step's error and leave nothing live.
func TestCloseFailedNew(t *testing.T) {
	h := emuOrSkip(t)
	for _, step := range []string{"cuStreamCreate", "cublasCreate_v2", "cublasSetStream_v2", "cuModuleLoadData",
		"cuModuleGetFunction", "cuFuncGetAttribute", "cuMemAllocAsync", "cublasLtCreate"} {
		t.Run(step, func(t *testing.T) {
			before := h.counts(t)
			h.failing(t, step)
			b, err := New(&Settings{Lt: true})
			if err == nil || b != nil {
				t.Fatalf("New with %s failing = %v, %v; want an error", step, b, err)
			}
			if !strings.Contains(err.Error(), strings.TrimSuffix(step, "_v2")) {
				t.Errorf("New's error %q does not name %s", err, step)
			}
			h.unchanged(t, "after New failed at "+step, before)
		})
	}
}

// TestLaunchAboveLimit gives gc_fill a limit of 128 threads per block, below the 256 its
// launches use: the launch must panic naming the kernel, its block and the limit, where the
// driver would return a bare CUDA_ERROR_INVALID_VALUE.
func TestLaunchAboveLimit(t *testing.T) {
	h := emuOrSkip(t)
	name := cString("gc_fill")
	call(h.maxThreads, uintptr(unsafe.Pointer(&name[0])), 128)
	b, err := New(nil)
	call(h.maxThreads, uintptr(unsafe.Pointer(&name[0])), 0)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer b.Close()
	if got := b.fns[kFill].maxThreads; got != 128 {
		t.Fatalf("gc_fill's limit read as %d; want 128", got)
	}
	if got := b.fns[kCopy].maxThreads; got != 1024 {
		t.Errorf("gc_copy's limit read as %d; want 1024", got)
	}
	x := b.New(1, 1000)
	defer b.Free(x)
	func() {
		defer func() {
			r := fmt.Sprint(recover())
			for _, want := range []string{"gc_fill", fmt.Sprint(blockSize), "limit of 128"} {
				if !strings.Contains(r, want) {
					t.Errorf("the launch panicked with %q; want it to name %q", r, want)
				}
			}
		}()
		b.Fill(x, 1)
	}()
	b.Copy(x, x) // other kernels launch as before
	b.Synchronize()
}
