// Package philox is the counter-based random number generator Philox4x32-10 (Salmon, Moraes,
// Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11; the constants of their
// Random123 library) and the float32 conversions that turn its output into uniforms, normals
// and Rayleigh variates.
//
// # Why counter-based
//
// Block is a pure function of a 128-bit counter and a 64-bit key. A GPU kernel with one thread
// per trajectory computes trajectory b's draws from a counter that names (step, b, batch), so a
// batch does not depend on how it is split over threads or blocks, and a Go loop computing the
// same counters gets the same numbers: compute/cuda's generate.cu and sim's Philox walk are two
// implementations of one sequence.
//
// # Bit-exact float32
//
// Every conversion here is written so that the Go code and the CUDA code compute the same bits:
// only operations that IEEE 754 rounds exactly (+, −, ×, ÷, √ in float32, round-to-nearest-even,
// integer-to-float of at most 24-bit integers) and no fused multiply-add. In Go, each product
// that feeds a sum is wrapped in an explicit float32 conversion, which the language specification
// says prevents fusion; in CUDA the kernels use the __fadd_rn, __fmul_rn, __fdiv_rn and
// __fsqrt_rn intrinsics, which are never contracted. The logarithm and sine/cosine are therefore
// not the libraries' logf and sincosf (whose last bit differs between Go, glibc and the GPU) but
// short series evaluated in that arithmetic: Log is 2·atanh((m−1)/(m+1)) after splitting off the
// exponent, Sincos reduces by the nearest multiple of π/2 (Cody–Waite, three parts) and sums the
// Taylor series of sin and cos on [−π/4, π/4]. Their error is a few float32 ulps, irrelevant for
// random draws, and they are deterministic, which is what matters.
package philox
