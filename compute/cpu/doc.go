// Package cpu implements compute.Backend on the CPU in pure Go.
//
// The implementation is generic over the element type: New returns the float32 backend used
// for training, New64 the float64 backend used by gradient checks. Elementwise operations,
// losses and optimizer updates are single passes over memory; every matrix product goes
// through one function value, Settings.Sgemm (SgemmFunc, default gonum's blas32), so the
// project's own assembly SGEMM replaces it without touching the models. The backend itself
// starts no goroutines; any parallelism lives in the GEMM.
package cpu
