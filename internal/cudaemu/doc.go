// Package cudaemu emulates, on the CPU, the three NVIDIA libraries that compute/cuda loads
// (the CUDA driver, cuBLAS and NVRTC), so that the CUDA backend's Go code and its kernels run
// in tests without a GPU. It is test support: nothing outside tests uses it.
//
// Build compiles one shared library with g++ and links it under the names compute/cuda's loader
// looks for (libcuda.so.1, libcublas.so.13, libcublasLt.so.13, libnvrtc.so.13). RunTests
// re-executes the current test binary with GRIDCELLS_CUDA_LIBS pointing there (the libraries
// are loaded once per process) and checks that the named tests pass and none skips.
//
// What is emulated:
//   - the driver entry points of compute/cuda/lib.go: one device (compute capability 9.0,
//     2 multiprocessors), its primary context, current per OS thread as in the driver (calls
//     without one fail with CUDA_ERROR_INVALID_CONTEXT), streams that run every operation
//     before the call returns (or lazily, below), and device memory that is host memory
//     (256-byte aligned, filled with all-ones bytes, NaN, when allocated). Copies, memsets and
//     frees are checked against the live allocations (CUDA_ERROR_INVALID_VALUE outside them);
//   - the releases: cuDevicePrimaryCtxRelease_v2 counts down cuDevicePrimaryCtxRetain's
//     retains, and after the last the context is unusable (CUDA_ERROR_INVALID_CONTEXT) as the
//     driver's is destroyed, but what it held stays allocated, so that a test sees what was not
//     released; cuStreamDestroy_v2 (running the stream's queue first), cuEventDestroy_v2,
//     cuModuleUnload (its functions become invalid handles), cublasDestroy_v2, cublasLtDestroy,
//     cublasLtMatmulDescDestroy, cublasLtMatrixLayoutDestroy and
//     cublasLtMatmulPreferenceDestroy;
//   - modules: kernels.cu and generate.cu, exactly as cuda.Sources returns them, are compiled
//     into the library through shim/cuda_shim.h, one translation unit each, with a table of
//     their __global__ functions. cuModuleGetFunction looks a name up there
//     (CUDA_ERROR_NOT_FOUND otherwise); cuFuncGetAttribute answers MAX_THREADS_PER_BLOCK, the
//     kernel's __launch_bounds__ when it gives a literal number, else 1024 (a real kernel's
//     register use may make it less, which the emulator cannot know; see cudaemuMaxThreads);
//     cuLaunchKernel checks the launch shape against it and the device, copies the
//     arguments out of kernelParams into the kernel's parameter types and runs the grid on the
//     calling thread: blocks in turn, a block's threads as fibers with __syncthreads, warp
//     shuffles and __shared__ memory (see cuda_shim.h for the exact semantics);
//   - cuBLAS: cublasSgemm_v2 and cublasSgemmStridedBatched, column-major, host-pointer alpha and
//     beta, op N/T/C, the argument checks cuBLAS makes (CUBLAS_STATUS_INVALID_VALUE), beta = 0
//     not reading C, each entry summed in double and rounded once; with
//     CUBLAS_TF32_TENSOR_OP_MATH, A's and B's elements are first rounded to TF32 (10 mantissa
//     bits, to nearest even). Operands outside the device allocations fail with
//     CUBLAS_STATUS_EXECUTION_FAILED (a real GPU would fault);
//   - cuBLASLt: the matmul subset compute/cuda's experimental path uses (descriptors with
//     compute type and transposes, strided-batched layouts, a workspace preference, a heuristic
//     that offers one algorithm, cublasLtMatmul in place), computed as cublasSgemm is, in TF32
//     for CUBLAS_COMPUTE_32F_FAST_TF32;
//   - NVRTC: a source compiled into the library "compiles" to an image naming its FNV-1a hash
//     (a CUBIN for --gpu-architecture=sm_XY, PTX for compute_XY), which cuModuleLoadData
//     accepts; any other source fails with NVRTC_ERROR_COMPILATION and a log saying so.
//
// Lazy streams: with GRIDCELLS_CUDAEMU_LAZY=1 (LazyEnv) in the environment of the process
// when it first uses the library, stream operations are queued, one queue per stream, and run
// only when the host must observe them, as on a GPU that lags the host: a host that reads
// results without the synchronisation they need reads stale memory, and one that changes
// memory a queued copy has yet to read changes what the copy delivers. RunTestsEnv(t,
// []string{LazyEnv + "=1"}, …) runs tests so; set for go test, the variable reaches every
// RunTests child. In detail:
//   - queued: cuLaunchKernel (its arguments copied at the call, as the driver does),
//     cuMemsetD32Async, cuMemcpyHtoDAsync and cuMemcpyDtoHAsync whose host memory lies in one
//     cuMemAllocHost allocation (the host memory is read or written when the copy runs),
//     cublasSgemm_v2, cublasSgemmStridedBatched and cublasLtMatmul (alpha and beta read at the
//     call, host pointer mode), cuEventRecord (the event completes, and takes its time, when
//     its stream reaches it) and the release of memory by cuMemFreeAsync (the allocation ends
//     at the call: later operations may not use it, earlier queued ones still do).
//     cuMemAllocAsync allocates at once. Arguments are checked when an operation is queued, so
//     an error is returned by its own call;
//   - run: cuStreamSynchronize (the stream's queue), cuCtxSynchronize and cuMemFreeHost (every
//     stream's, as the driver synchronizes), cuEventSynchronize (the recording stream's queue up
//     to the event's latest record), and a copy from or to pageable host memory (the stream's
//     queue, then the copy, before the call returns: the driver's copies with pageable memory
//     are synchronous). cuEventElapsedTime of an event recorded but not complete returns
//     CUDA_ERROR_NOT_READY;
//   - the NULL stream has the legacy semantics: work queued on it first runs every blocking
//     stream's queue (streams created without CU_STREAM_NON_BLOCKING), and work queued on a
//     blocking stream first runs the NULL stream's. Streams do not run concurrently: a queue
//     runs on the thread that drains it, in order.
//
// Test hooks, exported by the library beside the CUDA entry points, for tests to call
// through purego (compute/cuda's close_test.go):
//   - int cudaemuLive(long long *counts, int n) writes the counts of what is live: device
//     allocations, pinned host allocations, streams, events, loaded modules, cuBLAS handles,
//     cuBLASLt handles, matmul descriptors, matrix layouts, matmul preferences and primary
//     context retains (the first n of them), and returns how many there are (11);
//   - void cudaemuFail(const char *name) makes the named entry point fail from then on
//     (CUDA_ERROR_OUT_OF_MEMORY, or CUBLAS_STATUS_ALLOC_FAILED for cuBLAS; one of those that
//     create something, listed in emu.cpp), until called with "" or NULL;
//   - void cudaemuMaxThreads(const char *kernel, int max) gives the kernel's functions looked
//     up from then on a MAX_THREADS_PER_BLOCK of max (≤ 0: the default again).
//
// What is not: concurrency (no operation overlaps another; lazy streams find a missing
// synchronisation with the host, not a race between streams), several devices, device-side bounds checks inside kernels, dynamic shared
// memory and cuLaunchKernel's extra form, PTX or CUBIN contents, NVRTC's compiler diagnostics,
// CUDA's exact maths functions (expf, tanhf, … are the C library's, within an ulp or two),
// cuBLAS's summation order and tensor-core accumulation, and speed.
package cudaemu
