//go:build !nocuda

package cuda_test

import (
	"testing"

	"github.com/gridcells/gridcells/internal/cudaemu"
)

// TestEmulated runs the GPU tests of this package (the backend conformance suite, the batch
// generator, and the examples) in a child process against internal/cudaemu's CPU emulation of
// the CUDA driver, cuBLAS and NVRTC, so that the backend's Go code (argument marshalling,
// strides and views, GemmLanes, deferred scalars, the cuBLASLt path, the generator, Close and
// the release of a failed New) and its kernels run without a GPU. It requires that they pass
// and that none skips. It skips where g++ is missing and where a real GPU is usable (the tests
// then run on it).
func TestEmulated(t *testing.T) {
	cudaemu.RunTests(t, `^(TestConformance|TestConformanceLt|TestSoftmaxAlignment|TestGenerate|TestGenerateWalkOnly|TestUploadsInFlight|TestClose.*|TestLaunchAboveLimit|Example.*)$`,
		"TestConformance", "TestConformanceLt", "TestSoftmaxAlignment", "TestGenerate", "TestGenerateWalkOnly", "TestUploadsInFlight",
		"TestClose", "TestCloseReopen", "TestCloseFailedNew", "TestLaunchAboveLimit")
}

// TestEmulatedLazy runs the conformance suite, the fused input products, the generator,
// TestUploadsInFlight and TestClose (a Close with work still queued) on the emulator's lazy
// streams (internal/cudaemu, GRIDCELLS_CUDAEMU_LAZY): stream operations run only when the host must observe them, so that a wait the backend
// leaves out (before reusing pinned memory a queued copy reads, or before reading what a
// queued copy writes) shows as wrong values, as on a GPU.
func TestEmulatedLazy(t *testing.T) {
	cudaemu.RunTestsEnv(t, []string{cudaemu.LazyEnv + "=1"},
		`^(TestConformance|TestConformanceLt|TestDrive.*|TestGenerate|TestGenerateWalkOnly|TestUploadsInFlight|TestClose|TestCloseReopen)$`,
		"TestConformance", "TestConformanceLt", "TestDriveSettings", "TestDriveEnsemble", "TestGenerate",
		"TestGenerateWalkOnly", "TestUploadsInFlight", "TestClose", "TestCloseReopen")
}
