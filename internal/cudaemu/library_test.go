//go:build !nocuda && !windows

package cudaemu

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/gridcells/gridcells/compute/cuda"
)

// Tolerances of the library tests against float64 references.
const (
	// sumRowsTol: gc_sum_rows sums float32 inputs in double and rounds once, so its result is
	// the float64 sum rounded to float32: within half an ulp, 2⁻²⁴ relative, plus the double
	// sums' own rounding (≈1e-16).
	sumRowsTol = 1.0 / (1 << 23)
	// reduceTol: gc_sum and gc_reduce return the double sum of float32 values in another
	// order than the reference: a few 1e-16 relative for 1000 terms of one sign.
	reduceTol = 1e-13
)

// lib is the built emulator, opened in this process.
type lib struct {
	t   *testing.T
	h   uintptr
	ctx uintptr // the primary context, once retained
}

// sub returns l for subtest t, with the context current on t's OS thread (the driver's
// current context is per thread, and a subtest runs on a goroutine of its own); the caller
// defers runtime.UnlockOSThread.
func (l *lib) sub(t *testing.T) *lib {
	runtime.LockOSThread()
	s := &lib{t, l.h, l.ctx}
	s.want("cuCtxSetCurrent", 0, l.ctx)
	return s
}

// The emulator built once for the test process (TestMain removes it): openLib loads copies.
var (
	buildOnce sync.Once
	builtDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// openLib loads a copy of the emulator of its own, in lazy mode or not: a library loaded
// from another path has state of its own, and reads GRIDCELLS_CUDAEMU_LAZY (set here for the
// rest of the test) at its first use.
func openLib(t *testing.T, lazy bool) *lib {
	t.Helper()
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skipf("no g++: %v", err)
	}
	buildOnce.Do(func() {
		if builtDir, buildErr = os.MkdirTemp("", "cudaemu-test-"); buildErr == nil {
			buildErr = Build(context.Background(), builtDir)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	so, err := os.ReadFile(filepath.Join(builtDir, LibraryFile))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), LibraryFile)
	if err := os.WriteFile(path, so, 0o755); err != nil {
		t.Fatal(err)
	}
	mode := ""
	if lazy {
		mode = "1"
	}
	t.Setenv(LazyEnv, mode)
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		t.Fatal(err)
	}
	return &lib{t, h, 0}
}

// call calls the library's function name with integer and pointer arguments and returns its
// 32-bit status. Pointer arguments come from ptr, which keeps what they point to on the heap.
func (l *lib) call(name string, args ...uintptr) int32 {
	l.t.Helper()
	fn, err := purego.Dlsym(l.h, name)
	if err != nil {
		l.t.Fatalf("%s: %v", name, err)
	}
	r, _, _ := purego.SyscallN(fn, args...)
	return int32(r)
}

func (l *lib) want(name string, want int32, args ...uintptr) {
	l.t.Helper()
	if r := l.call(name, args...); r != want {
		l.t.Fatalf("%s = %d; want %d", name, r, want)
	}
}

// pinned keeps every object whose address ptr took reachable and on the heap, where Go does
// not move memory, for as long as the test runs.
var pinned []any

func ptr[T any](p *T) uintptr {
	pinned = append(pinned, p)
	return uintptr(unsafe.Pointer(p))
}

func cstr(s string) *byte { return &append([]byte(s), 0)[0] }

// device is a float32 device buffer of n elements.
func (l *lib) alloc(n int) uintptr {
	l.t.Helper()
	var d uintptr
	l.want("cuMemAllocAsync", 0, ptr(&d), uintptr(4*n), 0)
	return d
}

func (l *lib) upload(d uintptr, v []float32) {
	l.t.Helper()
	l.want("cuMemcpyHtoDAsync_v2", 0, d, ptr(&v[0]), uintptr(4*len(v)), 0)
}

func (l *lib) download(v []float32, d uintptr) {
	l.t.Helper()
	l.want("cuMemcpyDtoHAsync_v2", 0, ptr(&v[0]), d, uintptr(4*len(v)), 0)
}

// module "compiles" src with emulated NVRTC and loads it.
func (l *lib) module(src string) uintptr {
	l.t.Helper()
	var prog uintptr
	l.want("nvrtcCreateProgram", 0, ptr(&prog), uintptr(unsafe.Pointer(cstr(src))), uintptr(unsafe.Pointer(cstr("m.cu"))), 0, 0, 0)
	opt := uintptr(unsafe.Pointer(cstr("--gpu-architecture=sm_90")))
	l.want("nvrtcCompileProgram", 0, prog, 1, ptr(&opt))
	var n uintptr
	l.want("nvrtcGetCUBINSize", 0, prog, ptr(&n))
	img := make([]byte, n)
	l.want("nvrtcGetCUBIN", 0, prog, ptr(&img[0]))
	l.want("nvrtcDestroyProgram", 0, ptr(&prog))
	var mod uintptr
	l.want("cuModuleLoadData", 0, ptr(&mod), ptr(&img[0]))
	return mod
}

func (l *lib) function(mod uintptr, name string) uintptr {
	l.t.Helper()
	var f uintptr
	l.want("cuModuleGetFunction", 0, ptr(&f), mod, uintptr(unsafe.Pointer(cstr(name))))
	return f
}

// launch runs f on a gx-block grid of bx×by threads with args in 8-byte slots, as the
// backend passes them.
func (l *lib) launch(want int32, f uintptr, gx, bx, by int, shmem uintptr, args ...uint64) {
	l.t.Helper()
	vals := make([]uint64, len(args)+1)
	copy(vals, args)
	ptrs := make([]uintptr, len(vals))
	for i := range vals {
		ptrs[i] = ptr(&vals[i])
	}
	l.want("cuLaunchKernel", want, f, uintptr(gx), 1, 1, uintptr(bx), uintptr(by), 1, shmem, 0, ptr(&ptrs[0]), 0)
}

func f32(v float32) uint64 { return uint64(math.Float32bits(v)) }

// TestLibrary calls the built library directly: the driver's checks, NVRTC's images, kernels of
// kernels.cu with two-dimensional blocks and double shuffles, and cuBLAS.
func TestLibrary(t *testing.T) { testLibrary(t, false) }

// TestLibraryLazy runs TestLibrary's checks in lazy mode, where they work on the NULL stream
// and read results through pageable copies (which drain it), and then the lazy mode's own
// (testLazy).
func TestLibraryLazy(t *testing.T) { testLibrary(t, true) }

func testLibrary(t *testing.T, lazy bool) {
	// The current context is per OS thread, as in the driver.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l := openLib(t, lazy)
	var count int32
	l.want("cuDeviceGetCount", 3, ptr(&count)) // CUDA_ERROR_NOT_INITIALIZED before cuInit
	l.want("cuInit", 0, 0)
	var stream uintptr
	l.want("cuStreamCreate", 201, ptr(&stream), 0) // CUDA_ERROR_INVALID_CONTEXT without one
	var name *byte
	l.want("cuGetErrorName", 0, 201, ptr(&name))
	if got := goString(name); got != "CUDA_ERROR_INVALID_CONTEXT" {
		t.Errorf("cuGetErrorName(201) = %q", got)
	}
	var dev int32
	l.want("cuDeviceGet", 101, ptr(&dev), 1) // CUDA_ERROR_INVALID_DEVICE: one device
	l.want("cuDeviceGet", 0, ptr(&dev), 0)
	l.want("cuDevicePrimaryCtxRetain", 0, ptr(&l.ctx), uintptr(dev))
	l.want("cuCtxSetCurrent", 0, l.ctx)
	l.want("cuStreamCreate", 0, ptr(&stream), 1)

	t.Run("memory", func(t *testing.T) {
		l := l.sub(t)
		defer runtime.UnlockOSThread()
		d := l.alloc(4)
		got := make([]float32, 4)
		l.download(got, d)
		for i, v := range got {
			if !math.IsNaN(float64(v)) {
				t.Errorf("fresh allocation [%d] = %v; want NaN (undefined memory)", i, v)
			}
		}
		five := make([]float32, 5)
		l.want("cuMemcpyHtoDAsync_v2", 1, d, ptr(&five[0]), 20, 0) // past the end: CUDA_ERROR_INVALID_VALUE
		l.want("cuMemsetD32Async", 0, d+4, 0x3f800000, 3, 0)
		l.want("cuMemsetD32Async", 1, d+4, 0, 4, 0)
		l.download(got, d)
		if got[1] != 1 || got[3] != 1 || !math.IsNaN(float64(got[0])) {
			t.Errorf("after memset of elements 1..3 to 1: %v", got)
		}
		l.want("cuMemFreeAsync", 1, d+4, 0) // not an allocation's start
		l.want("cuMemFreeAsync", 0, d, 0)
	})

	kernels, _ := cuda.Sources()
	t.Run("nvrtc", func(t *testing.T) {
		l := l.sub(t)
		defer runtime.UnlockOSThread()
		var prog uintptr
		l.want("nvrtcCreateProgram", 0, ptr(&prog), uintptr(unsafe.Pointer(cstr(kernels+"\n// edited\n"))), 0, 0, 0, 0)
		l.want("nvrtcCompileProgram", 6, prog, 0, 0) // NVRTC_ERROR_COMPILATION: not compiled in
		var n uintptr
		l.want("nvrtcGetProgramLogSize", 0, prog, ptr(&n))
		log := make([]byte, n)
		l.want("nvrtcGetProgramLog", 0, prog, ptr(&log[0]))
		if !strings.Contains(string(log), "rebuild") {
			t.Errorf("log %q does not say to rebuild", log)
		}
		l.want("nvrtcDestroyProgram", 0, ptr(&prog))
		mod := l.module(kernels)
		var f uintptr
		l.want("cuModuleGetFunction", 500, ptr(&f), mod, uintptr(unsafe.Pointer(cstr("gc_no_such_kernel")))) // CUDA_ERROR_NOT_FOUND
		l.want("cuModuleLoadData", 200, ptr(&f), uintptr(unsafe.Pointer(cstr("not an image"))))              // CUDA_ERROR_INVALID_IMAGE
	})

	t.Run("kernels", func(t *testing.T) {
		l := l.sub(t)
		defer runtime.UnlockOSThread()
		mod := l.module(kernels)
		// gc_sum_rows: 32×8 blocks, a __shared__ double[8][33]; d = alpha·Σ_rows s.
		const rows, cols, lds = 37, 45, 47
		s := make([]float32, rows*lds)
		for i := range s {
			s[i] = float32(math.Sin(float64(i))) + 2
		}
		ds, dd := l.alloc(len(s)), l.alloc(cols)
		l.upload(ds, s)
		sumRows := l.function(mod, "gc_sum_rows")
		l.launch(0, sumRows, (cols+31)/32, 32, 8, 0, uint64(dd), uint64(ds), lds, rows, cols, f32(0.5), f32(0))
		got := make([]float32, cols)
		l.download(got, dd)
		for c := 0; c < cols; c++ {
			var want float64
			for r := 0; r < rows; r++ {
				want += float64(s[r*lds+c])
			}
			want *= 0.5
			if d := math.Abs(float64(got[c])-want) / want; d > sumRowsTol {
				t.Errorf("gc_sum_rows column %d = %v; want %v (rel. diff %.2g)", c, got[c], want, d)
			}
		}
		// gc_sum (4 blocks, partials in double) then gc_reduce: shuffles of doubles.
		const n, blocks = 1000, 4
		dp := l.alloc(2 * (blocks + 1))
		l.launch(0, l.function(mod, "gc_sum"), blocks, 256, 1, 0, uint64(dp), uint64(ds), n, 1, n)
		l.launch(0, l.function(mod, "gc_reduce"), 1, 256, 1, 0, uint64(dp)+8*blocks, uint64(dp), blocks)
		part := make([]float32, 2*(blocks+1))
		l.download(part, dp)
		total := *(*float64)(unsafe.Pointer(&part[2*blocks]))
		var want float64
		for i := 0; i < n; i++ {
			want += float64(s[i])
		}
		if d := math.Abs(total-want) / want; d > reduceTol {
			t.Errorf("gc_sum+gc_reduce = %v; want %v (rel. diff %.2g)", total, want, d)
		}
		l.launch(1, sumRows, 1, 1025, 1, 0)  // more than 1024 threads: CUDA_ERROR_INVALID_VALUE
		l.launch(801, sumRows, 1, 32, 8, 16) // dynamic shared memory: CUDA_ERROR_NOT_SUPPORTED
	})

	t.Run("cublas", func(t *testing.T) {
		defer runtime.UnlockOSThread()
		testCublas(t, l.sub(t))
	})

	if lazy {
		t.Run("lazy", func(t *testing.T) {
			defer runtime.UnlockOSThread()
			testLazy(t, l.sub(t), kernels)
		})
	}
}

// tf32 rounds x to 10 explicit mantissa bits, to nearest, ties to even (finite x).
func tf32(x float32) float32 {
	u := math.Float32bits(x)
	low := u & 0x1fff
	u &^= 0x1fff
	if low > 0x1000 || (low == 0x1000 && u&0x2000 != 0) {
		u += 0x2000
	}
	return math.Float32frombits(u)
}

func testCublas(t *testing.T, l *lib) {
	var h uintptr
	l.want("cublasCreate_v2", 0, ptr(&h))
	// C (m×n) = A^T·B with A stored k×m (lda k+1) and B k×n (ldb k), column-major.
	const m, n, k, lda, ldb, ldc = 3, 4, 5, 6, 5, 3
	a := make([]float32, lda*m)
	b := make([]float32, ldb*n)
	for i := range a {
		a[i] = 1 + float32(i)/7 + 1.0/(1<<15) // low mantissa bits, which TF32 drops
	}
	for i := range b {
		b[i] = float32(i%5) - 1.7
	}
	da, db, dc := l.alloc(len(a)), l.alloc(len(b)), l.alloc(ldc*n) // C stays NaN: beta = 0 must not read it
	l.upload(da, a)
	l.upload(db, b)
	one, zero := float32(1), float32(0)
	gemm := func(want int32, ta, m, n, k, lda, ldb, ldc int) {
		t.Helper()
		l.want("cublasSgemm_v2", want, h, uintptr(ta), 0, uintptr(m), uintptr(n), uintptr(k), ptr(&one), da, uintptr(lda), db, uintptr(ldb), ptr(&zero), dc, uintptr(ldc))
	}
	check := func(round func(float32) float32) {
		t.Helper()
		got := make([]float32, ldc*n)
		l.download(got, dc)
		for j := 0; j < n; j++ {
			for i := 0; i < m; i++ {
				var s float64
				for p := 0; p < k; p++ {
					s += float64(round(a[i*lda+p])) * float64(round(b[j*ldb+p]))
				}
				if want := float32(s); got[j*ldc+i] != want {
					t.Errorf("C[%d,%d] = %v; want %v", i, j, got[j*ldc+i], want)
				}
			}
		}
	}
	gemm(7, 1, m, n, k, k-1, ldb, ldc) // lda < k for op(A) = Aᵀ: CUBLAS_STATUS_INVALID_VALUE
	gemm(7, 1, m, n, k, lda, ldb, m-1)
	gemm(7, 5, m, n, k, lda, ldb, ldc) // no such op
	gemm(7, 1, -1, n, k, lda, ldb, ldc)
	gemm(13, 1, m, n+1, k, lda, ldb, ldc) // B's last column past its allocation
	gemm(0, 1, m, n, k, lda, ldb, ldc)
	check(func(x float32) float32 { return x })
	l.want("cublasSetMathMode", 0, h, 3) // CUBLAS_TF32_TENSOR_OP_MATH
	gemm(0, 1, m, n, k, lda, ldb, ldc)
	check(tf32)
	if tf32(a[0]) == a[0] {
		t.Fatal("the TF32 check cannot tell TF32 from FP32")
	}
	l.want("cublasSetMathMode", 7, h, 9)
	l.want("cublasSetMathMode", 0, h, 0)

	// Batched: C_i = A_i·B_i for three 2×2 products, strides past the blocks.
	const sa, sb, sc, batch = 5, 6, 4, 3
	ab := make([]float32, sa*batch)
	bb := make([]float32, sb*batch)
	for i := range ab {
		ab[i] = float32(i) / 3
	}
	for i := range bb {
		bb[i] = 2 - float32(i)/5
	}
	dab, dbb, dcb := l.alloc(len(ab)), l.alloc(len(bb)), l.alloc(sc*batch)
	l.upload(dab, ab)
	l.upload(dbb, bb)
	l.want("cublasSgemmStridedBatched", 7, h, 0, 0, 2, 2, 2, ptr(&one), dab, 2, sa, dbb, 2, sb, ptr(&zero), dcb, 2, sc, ^uintptr(0))
	l.want("cublasSgemmStridedBatched", 0, h, 0, 0, 2, 2, 2, ptr(&one), dab, 2, sa, dbb, 2, sb, ptr(&zero), dcb, 2, sc, batch)
	cb := make([]float32, sc*batch)
	l.download(cb, dcb)
	for q := 0; q < batch; q++ {
		for j := 0; j < 2; j++ {
			for i := 0; i < 2; i++ {
				var s float64
				for p := 0; p < 2; p++ {
					s += float64(ab[q*sa+p*2+i]) * float64(bb[q*sb+j*2+p])
				}
				if got, want := cb[q*sc+j*2+i], float32(s); got != want {
					t.Errorf("batch %d C[%d,%d] = %v; want %v", q, i, j, got, want)
				}
			}
		}
	}
}

// TestTF32Rounding checks the test's TF32 reference on ties and carries.
func TestTF32Rounding(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{
		{1 + 1.0/(1<<11), 1},                             // tie, 1 is even
		{1 + 3.0/(1<<11), 1 + 1.0/(1<<9)},                // tie, rounds up to even
		{1 + 1.0/(1<<11) + 1.0/(1<<20), 1 + 1.0/(1<<10)}, // above the tie
		{-(2 - 1.0/(1<<12)), -2},                         // carry into the exponent
	} {
		if got := tf32(c.in); got != c.want {
			t.Errorf("tf32(%v) = %v; want %v", c.in, got, c.want)
		}
	}
}

func goString(p *byte) string {
	if p == nil {
		return ""
	}
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}
