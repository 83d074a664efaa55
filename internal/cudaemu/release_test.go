//go:build !nocuda && !windows

package cudaemu

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/gridcells/gridcells/compute/cuda"
)

// live returns cudaemuLive's counts: device allocations, pinned host allocations, streams,
// events, modules, cuBLAS handles, cuBLASLt handles, descriptors, layouts, preferences, and
// primary context retains.
func (l *lib) live() [11]int64 {
	l.t.Helper()
	var c [11]int64
	if n := l.call("cudaemuLive", ptr(&c[0]), uintptr(len(c))); n != int32(len(c)) {
		l.t.Fatalf("cudaemuLive has %d counts; want %d", n, len(c))
	}
	return c
}

// TestRelease checks the destroy and release entry points and the test hooks: every object
// created is counted live until destroyed; the primary context counts its retains and is
// unusable after the last release; an unloaded module's functions are invalid handles; a
// function's thread limit is reported and enforced; an entry point made to fail fails.
func TestRelease(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l := openLib(t, true)
	l.want("cuInit", 0, 0)
	if got := l.live(); got != [11]int64{} {
		t.Fatalf("live before any call: %v", got)
	}
	var ctx, ctx2 uintptr
	l.want("cuDevicePrimaryCtxRelease_v2", 201, 0) // nothing retained: CUDA_ERROR_INVALID_CONTEXT
	l.want("cuDevicePrimaryCtxRetain", 0, ptr(&ctx), 0)
	l.want("cuDevicePrimaryCtxRetain", 0, ptr(&ctx2), 0)
	l.want("cuCtxSetCurrent", 0, ctx)

	var stream, ev, blas, lt, desc, layout, pref uintptr
	l.want("cuStreamCreate", 0, ptr(&stream), 1)
	l.want("cuEventCreate", 0, ptr(&ev), 0)
	d := l.alloc(4)
	var host uintptr
	l.want("cuMemAllocHost_v2", 0, ptr(&host), 64)
	kernels, _ := cuda.Sources()
	mod := l.module(kernels)
	fill := l.function(mod, "gc_fill")
	l.want("cublasCreate_v2", 0, ptr(&blas))
	l.want("cublasLtCreate", 0, ptr(&lt))
	l.want("cublasLtMatmulDescCreate", 0, ptr(&desc), 68, 0)
	l.want("cublasLtMatrixLayoutCreate", 0, ptr(&layout), 0, 4, 4, 4)
	l.want("cublasLtMatmulPreferenceCreate", 0, ptr(&pref))
	if got, want := l.live(), [11]int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}; got != want {
		t.Errorf("live with one of each and two retains: %v; want %v", got, want)
	}

	var max int32
	l.want("cuFuncGetAttribute", 0, ptr(&max), 0, fill) // CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK
	if max != 1024 {
		t.Errorf("gc_fill's MAX_THREADS_PER_BLOCK = %d; want 1024", max)
	}
	l.want("cuFuncGetAttribute", 1, ptr(&max), 4, fill) // other attributes are not emulated
	name := cstr("gc_fill")
	l.call("cudaemuMaxThreads", uintptr(unsafe.Pointer(name)), 64)
	small := l.function(mod, "gc_fill")
	l.call("cudaemuMaxThreads", uintptr(unsafe.Pointer(name)), 0)
	l.want("cuFuncGetAttribute", 0, ptr(&max), 0, small)
	if max != 64 {
		t.Errorf("gc_fill's limit under cudaemuMaxThreads 64 = %d", max)
	}
	l.launch(1, small, 1, 128, 1, 0, uint64(d), 4, 1, 4, f32(1)) // above its limit: CUDA_ERROR_INVALID_VALUE
	l.launch(0, small, 1, 64, 1, 0, uint64(d), 4, 1, 4, f32(1))

	l.call("cudaemuFail", uintptr(unsafe.Pointer(cstr("cuStreamCreate"))))
	var s2 uintptr
	l.want("cuStreamCreate", 2, ptr(&s2), 1) // made to fail: CUDA_ERROR_OUT_OF_MEMORY
	l.call("cudaemuFail", 0)
	l.want("cuStreamCreate", 0, ptr(&s2), 1)
	l.want("cuStreamDestroy_v2", 0, s2)
	l.want("cuStreamDestroy_v2", 400, s2) // CUDA_ERROR_INVALID_HANDLE

	l.want("cublasLtMatmulPreferenceDestroy", 0, pref)
	l.want("cublasLtMatrixLayoutDestroy", 0, layout)
	l.want("cublasLtMatmulDescDestroy", 0, desc)
	l.want("cublasLtDestroy", 0, lt)
	l.want("cublasDestroy_v2", 0, blas)
	l.want("cuModuleUnload", 0, mod)
	l.want("cuModuleUnload", 400, mod)                           // CUDA_ERROR_INVALID_HANDLE
	l.launch(400, fill, 1, 32, 1, 0, uint64(d), 4, 1, 4, f32(1)) // a function of an unloaded module
	l.want("cuFuncGetAttribute", 400, ptr(&max), 0, fill)        // likewise
	l.want("cuMemFreeAsync", 0, d, 0)                            // on the stream of the launches that write d
	l.want("cuMemFreeHost", 0, host)
	l.want("cuEventDestroy_v2", 0, ev)
	l.want("cuStreamDestroy_v2", 0, stream)
	if got, want := l.live(), [11]int64{10: 2}; got != want {
		t.Errorf("live after every destroy: %v; want %v", got, want)
	}
	l.want("cuDevicePrimaryCtxRelease_v2", 0, 0)
	l.want("cuStreamCreate", 0, ptr(&s2), 1) // one retain left: the context works
	l.want("cuStreamDestroy_v2", 0, s2)
	l.want("cuDevicePrimaryCtxRelease_v2", 0, 0)
	l.want("cuStreamCreate", 201, ptr(&s2), 1) // released: CUDA_ERROR_INVALID_CONTEXT
	l.want("cuCtxSetCurrent", 201, ctx)
	l.want("cuDevicePrimaryCtxRelease_v2", 201, 0)
	if got := l.live(); got != [11]int64{} {
		t.Errorf("live after the last release: %v", got)
	}
}
