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
	cudaemu.RunTests(t, `^TestCUDA`, "TestCUDAMatchesCPU", "TestCUDAEnsembleMatchesCPU", "TestCUDAPhiloxBatches", "TestCUDAProfile",
		"TestCUDAStackedPhilox", "TestCUDALoopLoadsAhead")
}

// TestEmulatedCUDALazy runs the GPU training tests on the emulator's lazy streams
// (internal/cudaemu, GRIDCELLS_CUDAEMU_LAZY), where stream operations run only when the host
// must observe them: a training step reads its losses after the optimizer update is queued
// (nn.Model.StartStep, FinishStep), and the loop uploads the next batches before that
// (batchFeed), so a missing wait or a copy out of stream order shows there as wrong losses
// or weights.
func TestEmulatedCUDALazy(t *testing.T) {
	cudaemu.RunTestsEnv(t, []string{cudaemu.LazyEnv + "=1"}, `^TestCUDA`, "TestCUDAMatchesCPU", "TestCUDAEnsembleMatchesCPU",
		"TestCUDAPhiloxBatches", "TestCUDAProfile", "TestCUDAStackedPhilox", "TestCUDAStackLaneLaunches", "TestCUDALoopLoadsAhead")
}
