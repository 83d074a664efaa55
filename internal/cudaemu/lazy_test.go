//go:build !nocuda && !windows

package cudaemu

import (
	"testing"
	"unsafe"
)

// testLazy checks what lazy streams change (l is a library in lazy mode): stream operations
// wait in their stream's queue until the host must observe them; copies with pinned memory
// read and write it when they run, not when they are queued; what the driver reads at the
// call (kernel arguments, cuBLAS's alpha and beta) is read at the call; and each way of
// draining a queue drains what it should.
func testLazy(t *testing.T, l *lib, kernels string) {
	const n = 8
	var s, s2, blocking uintptr
	l.want("cuStreamCreate", 0, ptr(&s), 1)
	l.want("cuStreamCreate", 0, ptr(&s2), 1)
	l.want("cuStreamCreate", 0, ptr(&blocking), 0)
	fill := l.function(l.module(kernels), "gc_fill")
	// launch queues gc_fill(d, n, 1, n, v) on stream st and returns its argument values,
	// which the caller may change at once.
	launch := func(st, d uintptr, v float32) []uint64 {
		t.Helper()
		vals := []uint64{uint64(d), n, 1, n, f32(v)}
		ptrs := make([]uintptr, len(vals))
		for i := range vals {
			ptrs[i] = ptr(&vals[i])
		}
		l.want("cuLaunchKernel", 0, fill, 1, 1, 1, 32, 1, 1, 0, st, ptr(&ptrs[0]), 0)
		return vals
	}
	pinned := func() []float32 {
		t.Helper()
		var p unsafe.Pointer
		l.want("cuMemAllocHost_v2", 0, ptr(&p), 4*n)
		h := unsafe.Slice((*float32)(p), n)
		clear(h)
		return h
	}
	toHost := func(h []float32, d, st uintptr) {
		t.Helper()
		l.want("cuMemcpyDtoHAsync_v2", 0, uintptr(unsafe.Pointer(&h[0])), d, 4*n, st)
	}
	check := func(what string, h []float32, want float32) {
		t.Helper()
		for i, v := range h {
			if v != want {
				t.Errorf("%s: [%d] = %v; want %v", what, i, v, want)
				return
			}
		}
	}
	event := func() uintptr {
		var e uintptr
		l.want("cuEventCreate", 0, ptr(&e), 0)
		return e
	}

	d, h1, h2, h3 := l.alloc(n), pinned(), pinned(), pinned()
	e0, e1, e2 := event(), event(), event()
	l.want("cuEventRecord", 0, e0, s)
	vals := launch(s, d, 3)
	vals[4] = f32(5) // the launch copied its arguments: this does not reach it
	toHost(h1, d, s)
	l.want("cuEventRecord", 0, e1, s)
	h2[0] = 1
	l.want("cuMemcpyHtoDAsync_v2", 0, d, uintptr(unsafe.Pointer(&h2[0])), 4*n, s)
	toHost(h3, d, s)
	l.want("cuEventRecord", 0, e2, s)
	for i := range h2 {
		h2[i] = 7 // the copy from h2 reads it when it runs
	}
	check("queued copy to pinned memory, before any synchronisation", h1, 0)
	var ms float32
	l.want("cuEventElapsedTime_v2", 600, ptr(&ms), e0, e1) // CUDA_ERROR_NOT_READY
	l.want("cuEventSynchronize", 0, e1)
	check("pinned copy before the event, after cuEventSynchronize", h1, 3)
	check("pinned copy after the event, after cuEventSynchronize", h3, 0)
	l.want("cuEventElapsedTime_v2", 0, ptr(&ms), e0, e1)
	l.want("cuEventElapsedTime_v2", 600, ptr(&ms), e1, e2)
	l.want("cuStreamSynchronize", 0, s)
	check("copy from pinned memory changed after it was queued", h3, 7)
	l.want("cuEventElapsedTime_v2", 0, ptr(&ms), e1, e2)

	// A copy to pageable memory runs the stream's queue first.
	launch(s, d, 4)
	got := make([]float32, n)
	toHost(got, d, s)
	check("pageable copy after a queued fill", got, 4)
	// And one from pageable memory.
	launch(s, d, 5)
	for i := range got {
		got[i] = 6
	}
	l.want("cuMemcpyHtoDAsync_v2", 0, d, ptr(&got[0]), 4*n, s)
	toHost(h1, d, s)
	l.want("cuStreamSynchronize", 0, s)
	check("pageable copy after a queued fill", h1, 6)

	// cuBLAS reads alpha and beta at the call.
	var blas uintptr
	l.want("cublasCreate_v2", 0, ptr(&blas))
	l.want("cublasSetStream_v2", 0, blas, s)
	a, b, c := l.alloc(1), l.alloc(1), l.alloc(1)
	two, three, alpha, beta := []float32{2}, []float32{3}, float32(1), float32(0)
	l.want("cuMemcpyHtoDAsync_v2", 0, a, ptr(&two[0]), 4, s)
	l.want("cuMemcpyHtoDAsync_v2", 0, b, ptr(&three[0]), 4, s)
	l.want("cublasSgemm_v2", 0, blas, 0, 0, 1, 1, 1, ptr(&alpha), a, 1, b, 1, ptr(&beta), c, 1)
	alpha, beta = 10, 1
	l.want("cuMemcpyDtoHAsync_v2", 0, ptr(&got[0]), c, 4, s)
	if got[0] != 6 {
		t.Errorf("1·2·3 with alpha changed to 10 after the call = %v; want 6", got[0])
	}

	// A free releases the memory when the stream reaches it; later work may not use it.
	d2 := l.alloc(n)
	launch(s, d2, 1)
	l.want("cuMemFreeAsync", 0, d2, s)
	l.want("cuMemsetD32Async", 1, d2, 0, n, s) // CUDA_ERROR_INVALID_VALUE
	l.want("cuStreamSynchronize", 0, s)

	// cuCtxSynchronize drains every stream; cuMemFreeHost synchronizes too.
	launch(s, d, 8)
	toHost(h1, d, s)
	d3 := l.alloc(n)
	launch(s2, d3, 9)
	toHost(h2, d3, s2)
	l.want("cuCtxSynchronize", 0)
	check("stream 1 after cuCtxSynchronize", h1, 8)
	check("stream 2 after cuCtxSynchronize", h2, 9)
	launch(s2, d3, 10)
	toHost(h2, d3, s2)
	l.want("cuMemFreeHost", 0, uintptr(unsafe.Pointer(&h3[0])))
	check("after cuMemFreeHost", h2, 10)

	// The NULL stream waits for the blocking streams, and they for it.
	launch(blocking, d3, 11)
	toHost(h2, d3, blocking)
	launch(0, d, 12)
	check("a blocking stream after work on the NULL stream", h2, 11)
	toHost(h1, d, 0)
	launch(blocking, d3, 13)
	check("the NULL stream after work on a blocking stream", h1, 12)
	launch(s, d, 14) // a non-blocking stream waits for neither
	toHost(h1, d, s)
	l.want("cuMemsetD32Async", 0, d3, 0, n, 0)
	check("a non-blocking stream after work on the NULL stream", h1, 12)
	l.want("cuCtxSynchronize", 0)
	check("after cuCtxSynchronize", h1, 14)
}
