//go:build !nocuda

package cuda_test

import (
	"testing"

	"github.com/gridcells/gridcells/internal/cudaemu"
)

// TestEmulated runs the GPU tests of this package (the backend conformance suite, the batch
// generator, and the examples) in a child process against internal/cudaemu's CPU emulation of
// the CUDA driver, cuBLAS and NVRTC, so that the backend's Go code (argument marshalling,
// strides and views, GemmLanes, deferred scalars, the cuBLASLt path, the generator) and its kernels run without
// a GPU. It requires that they pass and that none skips. It skips where g++ is missing and
// where a real GPU is usable (the tests then run on it).
func TestEmulated(t *testing.T) {
	cudaemu.RunTests(t, `^(TestConformance|TestConformanceLt|TestGenerate|TestGenerateWalkOnly|Example.*)$`,
		"TestConformance", "TestConformanceLt", "TestGenerate", "TestGenerateWalkOnly")
}
