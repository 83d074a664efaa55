//go:build !nocuda

package cuda_test

import (
	"strings"
	"testing"

	"github.com/gridcells/gridcells/internal/cudaemu"
)

// TestEmulatedDrive runs the GPU tests of the fused input products (TestDrive*) in a child
// process against internal/cudaemu, as TestEmulated does for the conformance suite (which
// runs them too, as TestConformance/InputDriver: this also checks that it ran).
func TestEmulatedDrive(t *testing.T) {
	out := cudaemu.RunTests(t, `^(TestDrive.*|TestConformance)$`, "TestDriveSettings", "TestDriveEnsemble", "TestConformance")
	const want = "--- PASS: TestConformance/InputDriver "
	if !strings.Contains(out, want) {
		t.Errorf("the emulated conformance suite did not run the InputDriver checks (no %q)", want)
	}
}
