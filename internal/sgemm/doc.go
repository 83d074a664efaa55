// Package sgemm provides a packed, cache-blocked single-precision general matrix
// multiply for row-major matrices:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// where op(X) is X or Xᵀ.
//
// # Algorithm
//
// The product follows the Goto/BLIS layering (Goto & van de Geijn, "Anatomy of
// High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008; Van Zee & van de
// Geijn, "BLIS", ACM TOMS 41(3), 2015). Loops from the outside in:
//
//	jc: nc columns of op(B) and C
//	  pc: kc deep slice; op(B)[pc:pc+kc, jc:jc+nc] is packed into nr-wide micro-panels (stays in L3)
//	    ic: mc rows of op(A) and C; op(A)[ic:ic+mc, pc:pc+kc] is packed into mr-tall micro-panels (stays in L2)
//	      jr: one kc×nr micro-panel of B (stays in L1)
//	        ir: one mr×kc micro-panel of A; the micro-kernel updates the mr×nr tile of C in registers
//
// The micro-kernel is chosen at run time from the CPU's features (see
// golang.org/x/sys/cpu): on amd64 with AVX-512F it is a 12×32 register tile in Go
// assembly (24 zmm accumulators), with AVX2 and FMA a 6×16 tile (12 ymm);
// elsewhere, or when built with the purego (or noasm) tag, a portable 4×4 Go
// kernel is used. Edge tiles are computed into a small buffer and merged in Go, so no kernel
// reads or writes outside C.
//
// Large products are split over the spinning worker pool of internal/workpool (the
// caller plus up to GOMAXPROCS−1 goroutines): C is cut into a grid of tile-aligned
// row and column blocks (one per worker, or three per worker for large products),
// each packing its own panels, and the workers take blocks from a shared counter, so
// that a core busy with other work does not hold up the call. With op(B) packed
// already (SgemmPacked) only rows are cut, so that A is packed once. Small products
// run on the calling goroutine. Packing buffers are kept in free lists, so after
// warm-up a call allocates nothing.
//
// # Build tags and CPU features
//
// Building with -tags purego (or noasm) drops the assembly and uses the Go kernel everywhere.
// On amd64 the fastest kernel the CPU supports runs: "avx512" (AVX-512F), then
// "avx2fma" (AVX2 and FMA), then "generic". The environment variable
// GRIDCELLS_SGEMM_KERNEL=generic|avx2fma|avx512, read once when the program starts,
// pins one, for instance to step around a kernel that misbehaves on some CPU; a
// name that is unknown or that the CPU cannot run is ignored (the default runs),
// and KernelName reports the kernel in use. On Intel CPUs of the Skylake-X
// generation 512-bit instructions lower the clock, so avx2fma may be faster
// there; compare the two with BenchmarkSgemm before pinning one.
//
// The tests run every kernel the CPU supports. On AVX2 machines they also run the
// AVX-512 kernel's 12×32 tile and its packers (which use AVX only) with a Go
// micro-kernel, and testdata/kernel_emu.py checks the AVX-512 micro-kernel's
// machine code by emulation, so that a CPU without AVX-512 tests all but the
// micro-kernel's execution.
//
// # Contract
//
// Matrices are row-major float32 slices with a leading dimension (the distance
// between the starts of consecutive rows) at least the number of stored columns
// and at least 1. When beta is zero C is not read, so it may hold NaN or Inf; when
// alpha is zero or k is zero, A and B are not read. Misuse (negative dimensions,
// short leading dimensions, short slices) panics with a message that starts with
// "sgemm: ". Results are deterministic for a given kernel: the split over workers
// never splits the k sum, so the number of goroutines does not change the result.
//
// # Shared right operands
//
// Sgemm packs op(B) on every call. A caller that multiplies many left operands by
// the same B (an RNN's W_rec at every time step) packs it once with PackB and
// calls SgemmPacked, which reads the same panels in the same order and so gives the
// same bits as Sgemm (packed.go).
package sgemm
