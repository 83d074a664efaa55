package cudaemu_test

import (
	"testing"

	"github.com/gridcells/gridcells/internal/cudaemu"
)

// A package with GPU tests runs them under the emulator from a test of its own, which builds
// the library and re-executes the test binary in a child process. (Not run: it needs a
// *testing.T.)
func ExampleRunTests() {
	TestEmulatedExample := func(t *testing.T) {
		cudaemu.RunTests(t, `^TestCUDA`, "TestCUDAMatchesCPU")
	}
	_ = TestEmulatedExample
}
