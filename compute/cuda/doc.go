// Package cuda is the GPU implementation of compute.Backend, for NVIDIA GPUs, without cgo
// and without CUDA at build time.
//
// At run time it loads, with github.com/ebitengine/purego:
//   - the CUDA driver API (libcuda.so.1, installed with the NVIDIA driver);
//   - cuBLAS (libcublas.so.13, falling back to .12), which runs every Gemm;
//   - NVRTC (libnvrtc.so.13, falling back to .12), which compiles the elementwise,
//     loss, reduction and optimizer kernels of kernels.cu for the device at first use.
//
// Libraries are looked up by name through the dynamic loader first (LD_LIBRARY_PATH,
// ld.so.cache), then in $GRIDCELLS_CUDA_LIBS, $CUDA_HOME/lib64, /usr/local/cuda/lib64 and
// the nvidia/*/lib folders of pip-installed CUDA wheels (PyTorch's). A missing library or
// symbol is a *LibraryError that names it and every name and path tried.
//
// Compiled kernels are cached in $GRIDCELLS_CACHE/cuda (default: the user cache
// directory's gridcells/cuda), keyed by the source, the NVRTC version and the device's
// architecture, so later runs skip the compile (about a second).
//
// Every operation of a Backend is queued on its own CUDA stream and returns at once; the
// host waits only where a value comes back (losses, sums, Download). With scalars deferred
// (compute.ScalarDeferrer, which nn uses) a training step makes one host round trip, after
// its backward pass, and none per time step; so does an ensemble (compute/ensemble), whose
// deferral queues every lane's values. Several Backends in one process (one per goroutine) share the GPU and run
// concurrently, which is how small networks fill it.
//
// Memory-bound kernels have float4 versions (kernels.cu), used when a tensor's columns,
// leading dimension and address are multiples of four floats: the sum of squares of a
// 4096×4096 weight took 91 µs with one 4-byte load per loop trip on the H100 and 53 µs with
// float4s.
//
// Settings.Lt (or GRIDCELLS_CUBLASLT=1) routes the matrix products through cuBLASLt with
// the first algorithm of its heuristic (lt.go), GRIDCELLS_CUBLASLT=tune with the fastest of
// the heuristic's algorithms timed at first use, GRIDCELLS_CUBLASLT=search with the fastest
// of up to 1024 configurations cuBLASLt enumerates (tiles × stages of each algorithm, the
// algorithms taking turns; under TF32 only those with tensor-core instructions): an
// experiment not yet measured on a GPU.
//
// Copies between host and device go through pinned host memory (pinned.go), so that an
// upload does not make the driver wait for the stream; a training step's loss comes back
// through it with an event, so that the host waits for the loss and not for the optimizer
// update queued after it (GRIDCELLS_CUDA_PINNED=0 copies from Go memory directly).
//
// A SimpleRNN's input product x_t·W_in (two velocity columns) is computed inside its
// activation kernels, and W_in's gradient inside the activation-gradient kernels
// (compute.InputDriver, drive.go), instead of two GEMMs over all T·B rows that write and
// read a (T·B)×Ng tensor; GRIDCELLS_FUSED_DRIVE=0 (Settings.UnfusedInputs) uses the GEMMs.
//
// Matrix products use full float32 by default. Settings.TF32 lets cuBLAS use TF32 tensor
// cores (10-bit mantissa inputs, float32 accumulation), several times faster on Ampere
// and newer GPUs.
//
// A BatchGenerator (generate.go, generate.cu, a second NVRTC module compiled at its first
// use) generates training batches on the GPU: sim's Philox random walk, bit for bit (the
// kernel repeats its correctly rounded float32 operations and its counter layout, so neither
// results nor launch shape depend on each other), and the place-cell codes of the presets
// (Gaussian, DoS in both surround conventions, SoD), equal to encode's within float32
// rounding. Without a GPU, the tests compile generate.cu with g++ through testdata/shim and
// compare its kernels, run on the CPU, with the Go references. BatchGeneratorLanes makes the
// batches of an ensemble's lanes, each with its own generator, in one launch of each kernel
// (generate_lanes.go).
//
// Close releases what a Backend holds on the GPU (its buffers, cuBLAS and cuBLASLt state,
// events, pinned memory, modules, stream and its retain of the device's primary context);
// the tensors made with New are the caller's to Free first. A New that fails releases what
// it had created, so that a caller falling back to the CPU leaves no context behind. A
// kernel launched with more threads per block than the driver reports it can take
// (CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, read when its module loads) panics with an error
// naming the kernel, the block and the limit.
//
// Building with -tags nocuda leaves the backend out (Available and New then fail): the
// binary no longer imports purego, whose dlopen links it dynamically against the C
// library, and is fully static.
//
// Reductions (losses, sums, bias gradients) sum in double precision in a fixed order, so
// a backend's results do not change from run to run. They differ from the CPU backend's in
// the last bits of float32 (different summation order and cuBLAS's blocking).
package cuda
