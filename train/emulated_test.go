//go:build !nocuda

package train

import (
	"testing"

	"github.com/gridcells/gridcells/internal/cudaemu"
)

// TestEmulatedCUDA runs the GPU training tests (TestCUDA*: CPU against GPU, ensembles, the
// Philox batches made on the device) in a child process against internal/cudaemu's CPU
// emulation of the CUDA driver, cuBLAS and NVRTC, and requires that they pass and that none
// skips. It skips where g++ is missing and where a real GPU is usable (they then run on it).
func TestEmulatedCUDA(t *testing.T) {
	cudaemu.RunTests(t, `^TestCUDA`, "TestCUDAMatchesCPU", "TestCUDAEnsembleMatchesCPU", "TestCUDAPhiloxBatches", "TestCUDAProfile", "TestCUDAStackedPhilox")
}
