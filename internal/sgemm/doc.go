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
// golang.org/x/sys/cpu): on amd64 with AVX2 and FMA it is a 6×16 register tile in Go
// assembly; elsewhere, or when built with the purego (or noasm) tag, a portable Go kernel is
// used. Edge tiles are computed into a small buffer and merged in Go, so no kernel
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
// On amd64 the package variable useAVX2FMA (from golang.org/x/sys/cpu) selects the
// kernel; the tests turn it off to run the Go kernel too. An AVX-512 kernel would
// slot in beside the AVX2 one (see kernel_amd64.go); it is left out because it
// cannot be tested on the reference machine.
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
