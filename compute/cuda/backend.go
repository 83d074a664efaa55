//go:build !nocuda

package cuda

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"unsafe"

	"github.com/gridcells/gridcells/compute"
)

// kernel indexes kernelNames.
type kernel int

const (
	kFill kernel = iota
	kCopy
	kScale
	kAddScalar
	kAxpy
	kMul
	kActivate
	kActivationGrad
	kAddRowVector
	kSumRows
	kSumSquares
	kSum
	kSquaredError
	kSoftmaxCE
	kPolarSE
	kReduce
	kAdam
	kRMSProp
	kActivate4
	kActivationGrad4
	kSumSquares4
	kAdam4
	kSoftmaxCEWarp
	kActivateDriven // drive.go
	kActivateDriven4
	kActivationGradDriven
	kActivationGradDriven4
	numKernels
)

// quadKernels are the float4 versions of memory-bound kernels (kernels.cu).
var quadKernels = map[kernel]kernel{kActivate: kActivate4, kActivationGrad: kActivationGrad4, kSumSquares: kSumSquares4, kAdam: kAdam4,
	kActivateDriven: kActivateDriven4, kActivationGradDriven: kActivationGradDriven4}

// quad returns k's float4 version and 4, the floats per element it reads, when k has one
// and every tensor (nil ones skipped) can be read as float4s: columns, leading dimension and
// address multiples of 4 floats. Every allocation can; so can the views of the models'
// workspaces (time steps, whole rows, lanes of an ensemble). Otherwise it returns k and 1.
func quad(k kernel, ts ...*tensor) (kernel, int) {
	k4, ok := quadKernels[k]
	if !ok {
		return k, 1
	}
	for _, t := range ts {
		if t != nil && (t.cols%4 != 0 || t.ld%4 != 0 || t.ptr%16 != 0) {
			return k, 1
		}
	}
	return k4, 4
}

// laneQuad is quad for a launch over lanes column blocks of width w, each of which must be
// whole float4s too (a lane's block starts at column lane·w).
func laneQuad(k kernel, w int, ts ...*tensor) (kernel, int) {
	if w%4 != 0 {
		return k, 1
	}
	return quad(k, ts...)
}

const (
	blockSize   = 256  // threads per block of the one-dimensional kernels
	maxPartials = 1024 // blocks of a reduction's first pass, the length of its partials
	maxArgs     = 20
)

// launchArgs is the heap memory handed to cuLaunchKernel and cuBLAS: the argument values
// and the table of pointers to them (cuLaunchKernel's kernelParams), built once so that a
// launch allocates nothing.
type launchArgs struct {
	vals        [maxArgs]uint64
	ptrs        [maxArgs]uintptr
	alpha, beta float32 // cuBLAS scalars (host pointer mode)
	result      float64 // a reduction's result, copied back from the device
}

// Backend is the CUDA implementation of compute.Backend, in float32. Its operations are
// queued on one CUDA stream of its own and return without waiting, except those that
// return a value to the host (the losses and sums, Download), which wait for the stream.
// Several backends in one process run concurrently on the same GPU. A Backend is not safe
// for concurrent use by several goroutines.
type Backend struct {
	a      *api
	info   DeviceInfo
	tf32   bool
	drive  bool    // the fused input products (drive.go), off with Settings.UnfusedInputs
	lt     *lt     // the cuBLASLt path (lt.go), nil when off
	dev    int32   // the device whose primary context ctx is
	ctx    uintptr // the device's primary context, retained until Close
	stream uintptr
	blas   uintptr
	fns    [numKernels]kfn
	args   *launchArgs
	maxGrd int

	partials     *tensor          // maxPartials+1 doubles, stored as 2·(maxPartials+1) float32 slots
	deferred     *deferredScalars // the sums queued by DeferScalars (lanes.go), kept for reuse
	deferring    bool             // between DeferScalars and CollectScalars
	prof         *profiler        // the events of StartProfile (profile.go), kept for reuse
	profiling    bool             // between StartProfile and StopProfile
	rowloss      *tensor          // per-row losses, doubles, grown on demand
	lanePartials *tensor          // the partials of a LaneScalarer reduction, doubles, grown on demand
	staging      *tensor          // contiguous copy for Upload/Download of strided views
	ring         *pinnedRing      // pinned host memory that Upload copies through (pinned.go)
	events       streamEvents     // the ring's and CollectScalars' events
	pageable     bool             // GRIDCELLS_CUDA_PINNED=0: copy from Go memory directly (pinned.go)

	gen *genModule // generate.cu's kernels, loaded by the first NewBatchGenerator (generate.go)

	modules []uintptr // the loaded modules (kernels.cu, generate.cu), unloaded by Close
	closed  bool      // Close has run: every use panics (close.go)
}

// kfn is a kernel's function handle and the most threads per block it launches with
// (cuFuncGetAttribute's MAX_THREADS_PER_BLOCK: register or shared memory use may put it below
// the device's 1024).
type kfn struct {
	h          uintptr
	maxThreads int
}

var _ compute.Backend = (*Backend)(nil)

// tensor is a rows×cols block at device address ptr with leading dimension ld.
type tensor struct {
	ptr            uintptr
	rows, cols, ld int
	view           bool
	owner          *Backend
	end            uintptr // the end of the allocation the tensor views (GemmLanes checks lanes against it)
}

func (t *tensor) Rows() int { return t.rows }
func (t *tensor) Cols() int { return t.cols }

func (t *tensor) contiguous() bool { return t.ld == t.cols || t.rows == 1 }

// Available reports whether a CUDA device can be used, and why not.
func Available() error {
	a, err := load()
	if err != nil {
		return err
	}
	if err := a.check("cuInit", call(a.cuInit, 0)); err != nil {
		return err
	}
	var n int32
	if err := a.check("cuDeviceGetCount", call(a.cuDeviceGetCount, uintptr(unsafe.Pointer(&n)))); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("cuda: the driver loaded but finds no CUDA device")
	}
	return nil
}

// New returns a backend on a CUDA device, loading the driver, cuBLAS and NVRTC and
// compiling the kernels (cached after the first run; see the package doc). Close releases
// what it holds; a New that fails releases what it had created before returning.
func New(s *Settings) (*Backend, error) {
	if s == nil {
		s = &Settings{}
	}
	if err := Available(); err != nil {
		return nil, err
	}
	// The driver's current context is per OS thread: keep this goroutine on one thread
	// while it sets up (the NVRTC compile is long enough for the scheduler to move it).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a := loaded
	b := &Backend{a: a, tf32: s.TF32, args: &launchArgs{}, pageable: os.Getenv(envPinned) == "0"}
	b.events.b = b
	for i := range b.args.ptrs {
		b.args.ptrs[i] = uintptr(unsafe.Pointer(&b.args.vals[i]))
	}
	if err := a.check("cuDeviceGet", call(a.cuDeviceGet, uintptr(unsafe.Pointer(&b.dev)), uintptr(s.Device))); err != nil {
		return nil, fmt.Errorf("cuda: device %d: %w", s.Device, err)
	}
	if err := b.describe(b.dev, s.Device); err != nil {
		return nil, err
	}
	if err := a.check("cuDevicePrimaryCtxRetain", call(a.cuDevicePrimaryCtxRetain, uintptr(unsafe.Pointer(&b.ctx)), uintptr(b.dev))); err != nil {
		return nil, err
	}
	// From here on every way out but the last return, an error or a panic, releases what
	// was created: a retained context keeps its memory on the GPU, which a caller falling
	// back to the CPU (training.device auto) would never give back.
	ok := false
	defer func() {
		if !ok {
			b.release()
		}
	}()
	defer b.enter()()
	const streamNonBlocking = 1
	if err := a.check("cuStreamCreate", call(a.cuStreamCreate, uintptr(unsafe.Pointer(&b.stream)), streamNonBlocking)); err != nil {
		return nil, err
	}
	if err := cublasCheck("cublasCreate_v2", call(a.cublasCreate, uintptr(unsafe.Pointer(&b.blas)))); err != nil {
		return nil, err
	}
	if err := cublasCheck("cublasSetStream_v2", call(a.cublasSetStream, b.blas, b.stream)); err != nil {
		return nil, err
	}
	// cublasMath_t: CUBLAS_DEFAULT_MATH 0, CUBLAS_PEDANTIC_MATH 2, CUBLAS_TF32_TENSOR_OP_MATH 3.
	mode := uintptr(0)
	if s.TF32 {
		mode = 3
	}
	if err := cublasCheck("cublasSetMathMode", call(a.cublasSetMathMode, b.blas, mode)); err != nil {
		return nil, err
	}
	var ver int32
	if cublasCheck("cublasGetVersion_v2", call(a.cublasGetVersion, b.blas, uintptr(unsafe.Pointer(&ver)))) == nil {
		b.info.CUBLAS = int(ver)
	}
	if err := b.loadKernels(); err != nil {
		return nil, err
	}
	b.maxGrd = max(1, b.info.SMs) * 16
	b.drive = s.fusedInputs()
	var err error
	if b.partials, err = b.tryAlloc(1, 2*(maxPartials+1)); err != nil {
		return nil, err
	}
	if err := b.startLt(s); err != nil {
		return nil, err
	}
	ok = true
	return b, nil
}

// describe fills b.info from the driver's device attributes.
func (b *Backend) describe(dev int32, ordinal int) error {
	a := b.a
	name := make([]byte, 256)
	if err := a.check("cuDeviceGetName", call(a.cuDeviceGetName, uintptr(unsafe.Pointer(&name[0])), uintptr(len(name)), uintptr(dev))); err != nil {
		return err
	}
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	attr := func(id int) int {
		var v int32
		call(a.cuDeviceGetAttribute, uintptr(unsafe.Pointer(&v)), uintptr(id), uintptr(dev))
		return int(v)
	}
	// CUdevice_attribute: MULTIPROCESSOR_COUNT 16, COMPUTE_CAPABILITY_MAJOR 75, _MINOR 76.
	var mem uint64
	call(a.cuDeviceTotalMem, uintptr(unsafe.Pointer(&mem)), uintptr(dev))
	var drv int32
	call(a.cuDriverGetVersion, uintptr(unsafe.Pointer(&drv)))
	b.info = DeviceInfo{Ordinal: ordinal, Name: string(name), Major: attr(75), Minor: attr(76), SMs: attr(16),
		MemoryBytes: int64(mem), Driver: int(drv), Library: a.cublas.path}
	return nil
}

// loadKernels compiles (or takes from the cache) kernels.cu and looks up every entry point.
func (b *Backend) loadKernels() error {
	fns, err := b.loadModule(kernelSource, kernelNames[:])
	if err != nil {
		return err
	}
	copy(b.fns[:], fns)
	return nil
}

// loadModule compiles (or takes from the cache) CUDA source, loads it on the backend's
// context and returns the entry points names, in order, with their thread limits. A CUBIN
// for the device's own architecture is tried first; if the driver cannot load it (an NVRTC
// newer than the driver), PTX is compiled and left to the driver's JIT. The module is kept
// in b.modules for Close, also when a look-up fails.
func (b *Backend) loadModule(source string, names []string) ([]kfn, error) {
	a := b.a
	var mod uintptr
	var loadErr error
	for _, ptx := range []bool{false, true} {
		img, err := a.compile(source, b.info.Major, b.info.Minor, ptx)
		if err != nil {
			return nil, err
		}
		if ptx {
			img.data = append(img.data, 0) // cuModuleLoadData takes PTX as a C string
		}
		defer b.enter()()
		loadErr = a.check("cuModuleLoadData", call(a.cuModuleLoadData, uintptr(unsafe.Pointer(&mod)), uintptr(unsafe.Pointer(&img.data[0]))))
		if loadErr == nil {
			break
		}
	}
	if loadErr != nil {
		return nil, loadErr
	}
	b.modules = append(b.modules, mod)
	fns := make([]kfn, len(names))
	for i, n := range names {
		cn := cString(n)
		if err := a.check("cuModuleGetFunction "+n, call(a.cuModuleGetFunction, uintptr(unsafe.Pointer(&fns[i].h)), mod, uintptr(unsafe.Pointer(&cn[0])))); err != nil {
			return nil, err
		}
		const maxThreadsPerBlock = 0 // CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK
		var v int32
		if err := a.check("cuFuncGetAttribute "+n, call(a.cuFuncGetAttribute, uintptr(unsafe.Pointer(&v)), maxThreadsPerBlock, fns[i].h)); err != nil {
			return nil, err
		}
		fns[i].maxThreads = int(v)
	}
	return fns, nil
}

// Info describes the backend's device.
func (b *Backend) Info() DeviceInfo { return b.info }

// TF32 reports whether the matrix products use TF32 tensor cores.
func (b *Backend) TF32() bool { return b.tf32 }

// Name is "cuda/float32", with "+tf32" for TF32 products and "+cublaslt" for the cuBLASLt
// path (lt.go).
func (b *Backend) Name() string {
	n := "cuda/float32"
	if b.tf32 {
		n += "+tf32"
	}
	if b.lt != nil {
		n += "+cublaslt"
	}
	return n
}

func (b *Backend) DType() compute.DType { return compute.Float32 }

// enter makes the backend's context current on this OS thread and keeps the goroutine on
// that thread until the returned function runs: the driver keeps the current context per
// thread, and a goroutine that moved to another thread between two driver calls would make
// the second without a context (CUDA_ERROR_INVALID_CONTEXT). Use as defer b.enter()().
func (b *Backend) enter() (exit func()) {
	if b.closed {
		panic("cuda: use of a closed backend")
	}
	runtime.LockOSThread()
	if r := call(b.a.cuCtxSetCurrent, b.ctx); r != 0 {
		runtime.UnlockOSThread()
		panic(b.a.check("cuCtxSetCurrent", r))
	}
	return runtime.UnlockOSThread
}

func (b *Backend) must(err error) {
	if err != nil {
		panic(err)
	}
}

// Synchronize waits until every queued operation of b has finished.
func (b *Backend) Synchronize() {
	defer b.enter()()
	b.must(b.a.check("cuStreamSynchronize", call(b.a.cuStreamSynchronize, b.stream)))
}

// alloc returns a zeroed rows×cols tensor in stream-ordered memory, and panics when the
// driver refuses.
func (b *Backend) alloc(rows, cols int) *tensor {
	t, err := b.tryAlloc(rows, cols)
	b.must(err)
	return t
}

// tryAlloc is alloc returning the driver's error, for New, which returns it.
func (b *Backend) tryAlloc(rows, cols int) (*tensor, error) {
	if rows < 1 || cols < 1 {
		panic(fmt.Sprintf("cuda: New(%d, %d): non-positive dimension", rows, cols))
	}
	defer b.enter()()
	n := rows * cols
	t := &tensor{rows: rows, cols: cols, ld: cols, owner: b}
	if err := b.a.check("cuMemAllocAsync", call(b.a.cuMemAllocAsync, uintptr(unsafe.Pointer(&t.ptr)), uintptr(4*n), b.stream)); err != nil {
		err.(*CUDAError).Info = fmt.Sprintf("%d×%d float32 (%.1f MiB) on %s", rows, cols, float64(4*n)/(1<<20), b.info.Name)
		return nil, err
	}
	t.end = t.ptr + uintptr(4*n)
	if err := b.a.check("cuMemsetD32Async", call(b.a.cuMemsetD32Async, t.ptr, 0, uintptr(n), b.stream)); err != nil {
		call(b.a.cuMemFreeAsync, t.ptr, b.stream)
		return nil, err
	}
	return t, nil
}

func (b *Backend) New(rows, cols int) compute.Tensor { return b.alloc(rows, cols) }

func (b *Backend) t(t compute.Tensor) *tensor {
	x, ok := t.(*tensor)
	if !ok || x.owner != b {
		panic(fmt.Sprintf("cuda: tensor %T does not belong to this %s backend", t, b.Name()))
	}
	if x.ptr == 0 {
		panic("cuda: use of a freed tensor")
	}
	return x
}

func (b *Backend) View(t compute.Tensor, r0, c0, rows, cols int) compute.Tensor {
	x := b.t(t)
	if r0 < 0 || c0 < 0 || rows < 1 || cols < 1 || r0+rows > x.rows || c0+cols > x.cols {
		panic(fmt.Errorf("%w: View(%d, %d, %d, %d) of a %d×%d tensor", compute.ErrView, r0, c0, rows, cols, x.rows, x.cols))
	}
	return &tensor{ptr: x.ptr + uintptr(4*(r0*x.ld+c0)), rows: rows, cols: cols, ld: x.ld, view: true, owner: b, end: x.end}
}

func (b *Backend) Free(t compute.Tensor) {
	x := b.t(t)
	if x.view {
		return
	}
	defer b.enter()()
	b.must(b.a.check("cuMemFreeAsync", call(b.a.cuMemFreeAsync, x.ptr, b.stream)))
	x.ptr = 0
}

// scratch returns *buf resized to hold at least n float32 slots.
func (b *Backend) scratch(buf **tensor, n int) *tensor {
	if *buf == nil || (*buf).cols < n {
		if *buf != nil {
			b.Free(*buf)
		}
		*buf = b.alloc(1, max(n, 1024))
	}
	return *buf
}

// shapeErr panics for operands of mismatched shapes.
func shapeErr(op string, ts ...compute.Tensor) { compute.PanicShape(op, ts...) }

func (b *Backend) same(op string, ts ...compute.Tensor) {
	for _, t := range ts {
		if !compute.SameShape(ts[0], t) {
			shapeErr(op, ts...)
		}
	}
}

// Launch arguments, each in an 8-byte slot: the kernel reads the width of its parameter's
// type from the slot's start (little-endian).
func ptrArg(t *tensor) uint64 {
	if t == nil {
		return 0
	}
	return uint64(t.ptr)
}
func intArg(v int) uint64          { return uint64(uint32(int32(v))) }
func f32Arg(v float64) uint64      { return uint64(math.Float32bits(float32(v))) }
func f64Arg(v float64) uint64      { return math.Float64bits(v) }
func longArg(v int) uint64         { return uint64(int64(v)) }
func partialsOut(p *tensor) uint64 { return uint64(p.ptr) + 8*maxPartials }

// launch queues kernel k of kernels.cu on a gx-block grid of bx×by threads.
func (b *Backend) launch(k kernel, gx, bx, by int, args ...uint64) {
	b.launchFn(b.fns[k], kernelNames[k], gx, 1, bx, by, args...)
}

// launchFn queues the kernel fn (of kernels.cu or generate.cu), named name in profiles and
// errors, on a gx×gy-block grid of bx×by threads with args, each in an 8-byte slot of the
// backend's argument memory read from its start. A block above fn's thread limit panics
// naming both: the driver would refuse it with a bare CUDA_ERROR_INVALID_VALUE. The check
// is here rather than at load time because several kernels' blocks depend on the call
// (placeBlock, the fused input products' row groups).
func (b *Backend) launchFn(fn kfn, name string, gx, gy, bx, by int, args ...uint64) {
	if bx*by > fn.maxThreads {
		panic(fmt.Errorf("cuda: kernel %s launched with blocks of %d×%d = %d threads, above its limit of %d on %s (CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK)",
			name, bx, by, bx*by, fn.maxThreads, b.info.Name))
	}
	copy(b.args.vals[:], args)
	b.timeStart(func() string { return name })
	r := call(b.a.cuLaunchKernel, fn.h, uintptr(gx), uintptr(gy), 1, uintptr(bx), uintptr(by), 1, 0, b.stream,
		uintptr(unsafe.Pointer(&b.args.ptrs[0])), 0)
	b.timeEnd()
	if r != 0 {
		err := b.a.check("cuLaunchKernel", r)
		err.(*CUDAError).Info = name
		panic(err)
	}
}

// grid returns the number of blocks for n elements, one per blockSize, at most maxGrd.
func (b *Backend) grid(n int) int { return max(1, min((n+blockSize-1)/blockSize, b.maxGrd)) }

// elementwise launches k over the rows×cols of shape, with args after the leading ones.
func (b *Backend) elementwise(k kernel, n int, args ...uint64) {
	defer b.enter()()
	b.launch(k, b.grid(n), blockSize, 1, args...)
}

func (b *Backend) Upload(dst compute.Tensor, src []float32) {
	x := b.t(dst)
	n := x.rows * x.cols
	if len(src) != n {
		panic(fmt.Errorf("%w: Upload of %d values into %d×%d", compute.ErrShape, len(src), x.rows, x.cols))
	}
	defer b.enter()()
	to := x
	if !x.contiguous() {
		to = b.stagingLike(x)
	}
	// Through pinned memory, or from pageable memory, which the driver stages before
	// returning: either way src may change after.
	b.timeStart(func() string { return "memcpy HtoD (Upload)" })
	if b.uploadsPinned(n) {
		b.uploadPinned(to.ptr, src)
	} else {
		b.must(b.a.check("cuMemcpyHtoDAsync", call(b.a.cuMemcpyHtoDAsync, to.ptr, uintptr(unsafe.Pointer(&src[0])), uintptr(4*n), b.stream)))
	}
	b.timeEnd()
	if to != x {
		b.Copy(x, to)
	}
}

// stagingLike returns a contiguous tensor of x's shape in the staging buffer, through which
// Upload and Download move strided views.
func (b *Backend) stagingLike(x *tensor) *tensor {
	buf := b.scratch(&b.staging, x.rows*x.cols)
	return &tensor{ptr: buf.ptr, rows: x.rows, cols: x.cols, ld: x.cols, view: true, owner: b, end: buf.end}
}

func (b *Backend) Upload64(dst compute.Tensor, src []float64) {
	f := make([]float32, len(src))
	for i, v := range src {
		f[i] = float32(v)
	}
	b.Upload(dst, f)
}

func (b *Backend) Download(dst []float32, src compute.Tensor) {
	x := b.t(src)
	n := x.rows * x.cols
	if len(dst) != n {
		panic(fmt.Errorf("%w: Download of %d×%d into %d values", compute.ErrShape, x.rows, x.cols, len(dst)))
	}
	defer b.enter()()
	from := x
	if !x.contiguous() {
		from = b.stagingLike(x)
		b.Copy(from, x)
	}
	b.timeStart(func() string { return "memcpy DtoH (Download)" })
	b.must(b.a.check("cuMemcpyDtoHAsync", call(b.a.cuMemcpyDtoHAsync, uintptr(unsafe.Pointer(&dst[0])), from.ptr, uintptr(4*n), b.stream)))
	b.timeEnd()
	b.Synchronize()
}

func (b *Backend) Download64(dst []float64, src compute.Tensor) {
	f := make([]float32, len(dst))
	b.Download(f, src)
	for i, v := range f {
		dst[i] = float64(v)
	}
}

// strided returns the leading arguments of an elementwise kernel on x: pointer and ld.
func strided(x *tensor) (uint64, uint64) { return ptrArg(x), intArg(x.ld) }

func (b *Backend) Fill(dst compute.Tensor, v float64) {
	x := b.t(dst)
	p, ld := strided(x)
	b.elementwise(kFill, x.rows*x.cols, p, ld, intArg(x.rows), intArg(x.cols), f32Arg(v))
}

// pair launches the elementwise kernel k over dst and src, of the same shape, with the
// arguments (dst, its ld, src, its ld, rows, cols) and then extra, the kernels' common form.
func (b *Backend) pair(op string, k kernel, dst, src compute.Tensor, extra ...uint64) {
	b.same(op, dst, src)
	x, y := b.t(dst), b.t(src)
	k, q := quad(k, x, y)
	var args [maxArgs]uint64
	n := copy(args[:], []uint64{ptrArg(x), intArg(x.ld / q), ptrArg(y), intArg(y.ld / q), intArg(x.rows), intArg(x.cols / q)})
	n += copy(args[n:], extra)
	b.elementwise(k, x.rows*x.cols/q, args[:n]...)
}

func (b *Backend) Copy(dst, src compute.Tensor) { b.pair("Copy", kCopy, dst, src) }

func (b *Backend) Scale(dst compute.Tensor, alpha float64) {
	x := b.t(dst)
	p, ld := strided(x)
	b.elementwise(kScale, x.rows*x.cols, p, ld, intArg(x.rows), intArg(x.cols), f32Arg(alpha))
}

func (b *Backend) AddScalar(dst compute.Tensor, v float64) {
	x := b.t(dst)
	p, ld := strided(x)
	b.elementwise(kAddScalar, x.rows*x.cols, p, ld, intArg(x.rows), intArg(x.cols), f32Arg(v))
}

func (b *Backend) Axpy(dst compute.Tensor, alpha float64, src compute.Tensor) {
	b.pair("Axpy", kAxpy, dst, src, f32Arg(alpha))
}

func (b *Backend) mul(op string, acc int, dst, p, q compute.Tensor) {
	b.same(op, dst, p, q)
	x, y, z := b.t(dst), b.t(p), b.t(q)
	xp, xl := strided(x)
	yp, yl := strided(y)
	zp, zl := strided(z)
	b.elementwise(kMul, x.rows*x.cols, xp, xl, yp, yl, zp, zl, intArg(x.rows), intArg(x.cols), intArg(acc))
}

func (b *Backend) Mul(dst, p, q compute.Tensor)    { b.mul("Mul", 0, dst, p, q) }
func (b *Backend) AddMul(dst, p, q compute.Tensor) { b.mul("AddMul", 1, dst, p, q) }

// cublasOperation_t: CUBLAS_OP_N 0, CUBLAS_OP_T 1.
func op(t bool) uintptr {
	if t {
		return 1
	}
	return 0
}

// Gemm runs cuBLAS on the row-major operands by computing the column-major product
// cᵀ = op(b)ᵀ·op(a)ᵀ: a row-major matrix with leading dimension ld is, read column-major,
// its transpose with the same leading dimension, so no data moves.
func (b *Backend) Gemm(tA, tB bool, alpha float64, a, bb compute.Tensor, beta float64, c compute.Tensor) {
	x, y, z := b.t(a), b.t(bb), b.t(c)
	m, n, k, ok := compute.GemmDims(tA, tB, a, bb, c)
	if !ok {
		shapeErr(fmt.Sprintf("Gemm[tA=%v tB=%v]", tA, tB), a, bb, c)
	}
	defer b.enter()()
	b.args.alpha, b.args.beta = float32(alpha), float32(beta)
	if b.lt != nil {
		b.ltProduct(tA, tB, m, n, k, x, y, z, 0, 0, 0, 0)
		return
	}
	b.timeStart(func() string { return gemmName("cublasSgemm", tA, tB, m, n, k, 0) })
	defer b.timeEnd()
	r := call(b.a.cublasSgemm, b.blas, op(tB), op(tA), uintptr(n), uintptr(m), uintptr(k),
		uintptr(unsafe.Pointer(&b.args.alpha)), y.ptr, uintptr(y.ld), x.ptr, uintptr(x.ld),
		uintptr(unsafe.Pointer(&b.args.beta)), z.ptr, uintptr(z.ld))
	if err := cublasCheck("cublasSgemm_v2", r); err != nil {
		err.(*CUDAError).Info = fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v", m, n, k, tA, tB)
		panic(err)
	}
}

func (b *Backend) Activate(dst, src compute.Tensor, f compute.Activation) {
	b.pair("Activate", kActivate, dst, src, intArg(kernelActivation(f)))
}

func (b *Backend) ActivationGrad(dst, out compute.Tensor, f compute.Activation) {
	b.pair("ActivationGrad", kActivationGrad, dst, out, intArg(kernelActivation(f)))
}

// kernelActivation returns the kernels' code of f (kernels.cu gc_act: 0 linear, 1 relu,
// 2 tanh, 3 sigmoid). It panics on values the kernels do not know, which they would
// compute as linear.
func kernelActivation(f compute.Activation) int {
	if f < compute.Linear || f > compute.Sigmoid {
		panic(fmt.Sprintf("cuda: unknown activation %d", f))
	}
	return int(f - compute.Linear)
}

func (b *Backend) AddRowVector(dst, v compute.Tensor) {
	x, y := b.t(dst), b.t(v)
	if y.rows != 1 || y.cols != x.cols {
		shapeErr("AddRowVector", dst, v)
	}
	p, ld := strided(x)
	b.elementwise(kAddRowVector, x.rows*x.cols, p, ld, ptrArg(y), intArg(x.rows), intArg(x.cols))
}

func (b *Backend) SumRows(dst compute.Tensor, alpha float64, src compute.Tensor, beta float64) {
	x, y := b.t(dst), b.t(src)
	if x.rows != 1 || x.cols != y.cols {
		shapeErr("SumRows", dst, src)
	}
	defer b.enter()()
	b.launch(kSumRows, (y.cols+31)/32, 32, 8, ptrArg(x), ptrArg(y), intArg(y.ld), intArg(y.rows), intArg(y.cols), f32Arg(alpha), f32Arg(beta))
}

// reduce sums the n doubles at in on the device and returns scale times the sum to the
// host, waiting for the stream; while scalars are deferred (DeferScalars, lanes.go) it
// queues the sum and returns 0.
func (b *Backend) reduce(in uint64, n int, scale float64) float64 {
	if b.deferring {
		b.deferReduceLanes(in, n, 1, scale)
		return 0
	}
	p := b.partials
	b.launch(kReduce, 1, blockSize, 1, partialsOut(p), in, longArg(n))
	b.must(b.a.check("cuMemcpyDtoHAsync", call(b.a.cuMemcpyDtoHAsync, uintptr(unsafe.Pointer(&b.args.result)), uintptr(partialsOut(p)), 8, b.stream)))
	b.Synchronize()
	return scale * b.args.result
}

// lossGrad checks the shapes of a loss's operands (grad, when not nil, as well) and
// returns grad's pointer and leading dimension as launch arguments: 0, 0 without a grad,
// which the kernels read as "loss only".
func (b *Backend) lossGrad(op string, grad, out, targets compute.Tensor) (ptr, ld uint64) {
	if grad == nil {
		b.same(op, out, targets)
		return 0, 0
	}
	b.same(op, grad, out, targets)
	return strided(b.t(grad))
}

// partialGrid is the block count of a reduction's first pass over n elements.
func partialGrid(n int) int { return max(1, min((n+blockSize-1)/blockSize, maxPartials)) }

func (b *Backend) SoftmaxCrossEntropy(grad, logits, targets compute.Tensor, scale float64) float64 {
	gp, gl := b.lossGrad("SoftmaxCrossEntropy", grad, logits, targets)
	z, y := b.t(logits), b.t(targets)
	defer b.enter()()
	rl := b.scratch(&b.rowloss, 2*z.rows)
	b.softmaxCE(rl, gp, gl, z, y, z.cols, scale, 1)
	return b.reduce(ptrArg(rl), z.rows, scale)
}

// ceWarpMaxCols is the widest row gc_softmax_ce_warp takes (one warp per row, the row in its
// registers: 32 floats of z and 32 of y per thread at 1024); wider rows take gc_softmax_ce
// (one block per row). The choice depends on the width alone, so a lane of an ensemble takes
// the kernel the network alone would.
const ceWarpMaxCols = 1024

// softmaxCE launches the cross-entropy of lanes column blocks of width w of z and y (one for a
// single tensor), each lane's row losses at rl + 8·lane·rows.
func (b *Backend) softmaxCE(rl *tensor, gp, gl uint64, z, y *tensor, w int, scale float64, lanes int) {
	if w <= ceWarpMaxCols {
		wpl := z.rows // one warp per row
		warps := lanes * wpl
		b.launch(kSoftmaxCEWarp, (warps*32+blockSize-1)/blockSize, blockSize, 1, ptrArg(rl), gp, gl, ptrArg(z), intArg(z.ld),
			ptrArg(y), intArg(y.ld), intArg(z.rows), intArg(w), f64Arg(scale), intArg(wpl), intArg(lanes))
		return
	}
	bpl := max(1, min(z.rows, 65535/lanes))
	b.launch(kSoftmaxCE, lanes*bpl, blockSize, 1, ptrArg(rl), gp, gl, ptrArg(z), intArg(z.ld), ptrArg(y), intArg(y.ld),
		intArg(z.rows), intArg(w), f64Arg(scale), intArg(bpl))
}

func (b *Backend) SquaredError(grad, out, targets compute.Tensor, scale float64) float64 {
	gp, gl := b.lossGrad("SquaredError", grad, out, targets)
	o, y := b.t(out), b.t(targets)
	defer b.enter()()
	part, bpl := b.squaredErrorPartials(gp, gl, o, y, o.cols, scale, 1)
	return b.reduce(ptrArg(part), bpl, scale)
}

// squaredErrorPartials queues gc_squared_error over lanes column blocks of width w of o and
// y (one block of every column for a single tensor), each block partitioned as its own call
// partitions it, and returns the partials (bpl doubles per lane, lane by lane).
func (b *Backend) squaredErrorPartials(gp, gl uint64, o, y *tensor, w int, scale float64, lanes int) (part *tensor, bpl int) {
	bpl = partialGrid(o.rows * w)
	part = b.partialsFor(lanes, bpl)
	b.launch(kSquaredError, lanes*bpl, blockSize, 1, ptrArg(part), gp, gl, ptrArg(o), intArg(o.ld), ptrArg(y), intArg(y.ld),
		intArg(o.rows), intArg(w), f64Arg(2*scale), intArg(bpl))
	return part, bpl
}

// partialsFor returns a buffer for the partials of lanes reductions of bpl blocks each: the
// backend's partials for one, a scratch buffer for more.
func (b *Backend) partialsFor(lanes, bpl int) *tensor {
	if lanes == 1 {
		return b.partials
	}
	return b.scratch(&b.lanePartials, 2*lanes*bpl)
}

func (b *Backend) PolarSquaredError(grad, out, targets compute.Tensor, scale float64) float64 {
	gp, gl := b.lossGrad("PolarSquaredError", grad, out, targets)
	if out.Cols() != 2 {
		shapeErr("PolarSquaredError", out, targets)
	}
	o, y := b.t(out), b.t(targets)
	defer b.enter()()
	rl := b.scratch(&b.rowloss, 2*o.rows)
	b.launch(kPolarSE, b.grid(o.rows), blockSize, 1, ptrArg(rl), gp, gl, ptrArg(o), intArg(o.ld), ptrArg(y), intArg(y.ld),
		intArg(o.rows), f64Arg(scale))
	return b.reduce(ptrArg(rl), o.rows, scale)
}

// sumSquares returns Σ src² and, with dst set, stores dst = alpha·src on the way.
func (b *Backend) sumSquares(dst *tensor, alpha float64, src *tensor) float64 {
	defer b.enter()()
	part, bpl := b.sumSquaresPartials(dst, alpha, src, src.cols, 1)
	return b.reduce(ptrArg(part), bpl, 1)
}

// sumSquaresPartials queues the sum of squares of lanes column blocks of width w of src (one
// block of every column for a single tensor), with dst = alpha·src on the way when dst is
// set, each block with the kernel and partition of its own call (float4s when its columns,
// leading dimension and address allow), and returns the partials (bpl doubles per lane).
func (b *Backend) sumSquaresPartials(dst *tensor, alpha float64, src *tensor, w, lanes int) (part *tensor, bpl int) {
	k, q := laneQuad(kSumSquares, w, src, dst)
	dp, dl := uint64(0), uint64(0)
	if dst != nil {
		dp, dl = ptrArg(dst), intArg(dst.ld/q)
	}
	bpl = partialGrid(src.rows * w / q)
	part = b.partialsFor(lanes, bpl)
	b.launch(k, lanes*bpl, blockSize, 1, ptrArg(part), dp, dl, ptrArg(src), intArg(src.ld/q), intArg(src.rows), intArg(w/q),
		f32Arg(alpha), intArg(bpl))
	return part, bpl
}

func (b *Backend) SumSquares(x compute.Tensor) float64 { return b.sumSquares(nil, 0, b.t(x)) }

func (b *Backend) ScaleSumSquares(dst compute.Tensor, alpha float64, src compute.Tensor) float64 {
	b.same("ScaleSumSquares", dst, src)
	return b.sumSquares(b.t(dst), alpha, b.t(src))
}

func (b *Backend) Sum(t compute.Tensor) float64 {
	x := b.t(t)
	defer b.enter()()
	n := x.rows * x.cols
	blocks := partialGrid(n)
	b.launch(kSum, blocks, blockSize, 1, ptrArg(b.partials), ptrArg(x), intArg(x.ld), intArg(x.rows), intArg(x.cols))
	return b.reduce(ptrArg(b.partials), blocks, 1)
}

func (b *Backend) Adam(param, grad, m, v compute.Tensor, s compute.AdamStep) {
	b.same("Adam", param, grad, m, v)
	if s.Step < 1 {
		panic(fmt.Sprintf("cuda: Adam step %d, want ≥ 1", s.Step))
	}
	p, g, mm, vv := b.t(param), b.t(grad), b.t(m), b.t(v)
	// The same scalars as the CPU backend: both conventions reduce to
	// θ ← θ − lrT·m/(√v + epsT) (see compute.AdamEpsilon).
	c1 := 1 - math.Pow(s.Beta1, float64(s.Step))
	c2 := 1 - math.Pow(s.Beta2, float64(s.Step))
	lrT := float64(float32(s.LR * math.Sqrt(c2) / c1))
	epsT := s.Eps
	if s.Convention == compute.EpsilonPyTorch {
		epsT = s.Eps * math.Sqrt(c2)
	}
	k, q := quad(kAdam, p, g, mm, vv)
	b.elementwise(k, p.rows*p.cols/q, ptrArg(p), intArg(p.ld/q), ptrArg(g), intArg(g.ld/q), ptrArg(mm), intArg(mm.ld/q),
		ptrArg(vv), intArg(vv.ld/q), intArg(p.rows), intArg(p.cols/q),
		f32Arg(s.Beta1), f32Arg(1-s.Beta1), f32Arg(s.Beta2), f32Arg(1-s.Beta2), f32Arg(lrT), f32Arg(epsT))
}

func (b *Backend) rmsprop(op string, param, grad, acc compute.Tensor, lr, rho, eps float64) {
	b.same(op, param, grad, acc)
	p, g, a := b.t(param), b.t(grad), b.t(acc)
	pp, pl := strided(p)
	gp, gl := strided(g)
	ap, al := strided(a)
	b.elementwise(kRMSProp, p.rows*p.cols, pp, pl, gp, gl, ap, al, intArg(p.rows), intArg(p.cols), f32Arg(rho), f32Arg(lr), f32Arg(eps))
}

func (b *Backend) RMSProp(param, grad, acc compute.Tensor, lr, rho, eps float64) {
	b.rmsprop("RMSProp", param, grad, acc, lr, rho, eps)
}

// Adagrad runs the RMSProp kernel with ρ = −1, its switch to a ← a + g².
func (b *Backend) Adagrad(param, grad, acc compute.Tensor, lr, eps float64) {
	b.rmsprop("Adagrad", param, grad, acc, lr, -1, eps)
}
