// Package cpu implements compute.Backend on the CPU in pure Go and Go assembly (cgo-free).
//
// The implementation is generic over the element type: New returns the float32 backend used
// for training, New64 the float64 backend used by gradient checks. Every matrix product goes
// through one function value, Settings.Sgemm (SgemmFunc; default the project's packed
// AVX2/FMA kernel, internal/sgemm), so a faster kernel replaces it without touching the
// models.
//
// What a training step does besides matrix products is fused into single passes over memory
// in the float32 backend (fast32.go): softmax cross-entropy computes the row maximum, Σy and
// Σy·z, the exponentials (internal/asm/f32) and the gradient in one visit of each row; ReLU
// and its derivative mask, Adam's moment and parameter update, and the weight-decay term
// λΣw² with its gradient 2λw (ScaleSumSquares) are each one pass. These kernels are AVX2/FMA
// assembly on amd64 (kernels_amd64.s, pure-Go twins in kernels.go for other CPUs and the
// noasm or purego build tags); tanh and sigmoid are evaluated in float32.
//
// Tensors of 2¹⁶ elements or more are split over a persistent pool of GOMAXPROCS−1 worker
// goroutines plus the caller (parallel.go); smaller ones run on the caller. Split results are
// bit-identical to serial ones: reductions add fixed-size chunk partials in order. A Backend
// is not safe for concurrent use; after warm-up no operation allocates.
package cpu
