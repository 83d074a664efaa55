package cuda

import (
	"fmt"
	"os"
	"strings"
)

// Settings configures a backend. A nil *Settings means the defaults.
type Settings struct {
	// Device is the CUDA device ordinal (default 0).
	Device int
	// TF32 lets cuBLAS use TF32 tensor cores for the matrix products (10-bit mantissa
	// inputs, float32 accumulation): several times faster on Ampere and newer, less exact.
	// The default is full float32.
	TF32 bool
	// Lt routes the matrix products through cuBLASLt (cublasLtMatmul with the first algorithm
	// of its heuristic) instead of cublasSgemm and cublasSgemmStridedBatched: an experiment,
	// off by default until it is measured faster (lt.go). GRIDCELLS_CUBLASLT=1 turns it on
	// for every backend, GRIDCELLS_CUBLASLT=tune with the fastest of the heuristic's
	// algorithms per shape, GRIDCELLS_CUBLASLT=search with the fastest of every configuration
	// cuBLASLt enumerates too. Asked for without cuBLASLt, New fails.
	Lt bool
	// UnfusedInputs turns off the fused input products of compute.InputDriver (drive.go):
	// MaxDrivenInputs then returns 0, so a SimpleRNN model computes x·W_in of all steps and
	// ∂loss/∂W_in as GEMMs, as before the fusion, and the operations only run when called
	// directly. It is for timing both paths on one GPU (gridcells bench train --profile
	// names the kernels): GRIDCELLS_FUSED_DRIVE=0 sets it for every backend. The default,
	// fused, saves a 64-lane ensemble (Ng 1024, B 200, T 20) the write of x·W_in for all
	// steps, its re-read by the recurrent GEMMs and the read of every step's gradient by the
	// W_in gradient GEMM: about 1.2 ms of a 19 ms step on the H100, estimated from the
	// profile of the unfused step (not yet measured).
	UnfusedInputs bool
}

// envFusedInputs is the environment variable that turns the fused input products off
// (value 0) for every backend: Settings.UnfusedInputs.
const envFusedInputs = "GRIDCELLS_FUSED_DRIVE"

// fusedInputs reports whether a backend made with s fuses the input products: unless
// s.UnfusedInputs or GRIDCELLS_FUSED_DRIVE=0 (any other value, or none, leaves them on).
func (s *Settings) fusedInputs() bool {
	return !s.UnfusedInputs && os.Getenv(envFusedInputs) != "0"
}

// DeviceInfo describes the device a backend runs on.
type DeviceInfo struct {
	Ordinal      int
	Name         string
	Major, Minor int // compute capability
	SMs          int
	MemoryBytes  int64
	Driver       int // cuDriverGetVersion, e.g. 13000
	CUBLAS       int // cublasGetVersion, e.g. 130000
	Library      string
}

func (d DeviceInfo) String() string {
	return fmt.Sprintf("%s (sm_%d%d, %d SMs, %.0f GiB; driver %d.%d, cuBLAS %d)", d.Name, d.Major, d.Minor, d.SMs,
		float64(d.MemoryBytes)/(1<<30), d.Driver/1000, d.Driver%1000/10, d.CUBLAS)
}

// LibraryError reports a library or symbol that could not be loaded, with every name and
// path tried.
type LibraryError struct {
	Library string   // what was looked for, e.g. "cuBLAS"
	Tried   []string // names and paths tried, in order
	// Searched are the folders searched that hold none of the names (the loader was
	// tried on what they do hold, Tried).
	Searched []string
	Symbol   string // the missing symbol, when the library loaded but lacks one
	Err      error  // the last loader error
}

func (e *LibraryError) Error() string {
	if e.Symbol != "" {
		return fmt.Sprintf("cuda: %s (%s) has no symbol %s: %v", e.Library, e.Tried[len(e.Tried)-1], e.Symbol, e.Err)
	}
	searched := ""
	if len(e.Searched) > 0 {
		searched = "; not in " + strings.Join(e.Searched, ", ")
	}
	return fmt.Sprintf("cuda: cannot load %s; tried %s: %v%s (set GRIDCELLS_CUDA_LIBS to the folder that holds it)",
		e.Library, strings.Join(e.Tried, ", "), e.Err, searched)
}

func (e *LibraryError) Unwrap() error { return e.Err }
