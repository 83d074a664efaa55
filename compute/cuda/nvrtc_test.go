//go:build !nocuda

package cuda

import (
	"fmt"
	"os"
	"regexp"
	"testing"
	"unsafe"
)

// TestNVRTCCompiles compiles kernels.cu and generate.cu with NVIDIA's NVRTC, which runs on
// the host and needs no GPU, for the Ampere and Hopper architectures, and checks that every
// entry point the backend looks up is in the PTX under its C name. The emulator compiles
// the same sources with g++, which accepts code NVRTC may reject; this closes that gap where
// an NVRTC library is installed (CI installs Debian's libnvrtc11.2, CUDA 11.8, for it; the
// backend itself looks for the 12 and 13 libraries). It skips where none is found.
func TestNVRTCCompiles(t *testing.T) {
	names := append([]string{"libnvrtc.so.11.2"}, nvrtcNames...)
	if p := os.Getenv("GRIDCELLS_NVRTC"); p != "" {
		names = []string{p}
	}
	a := &api{}
	if err := a.loadNVRTC(names); err != nil {
		t.Skipf("no NVRTC library: %v", err)
	}
	var major, minor int32
	if err := a.nvrtcCheck("nvrtcVersion", call(a.nvrtcVersion, uintptr(unsafe.Pointer(&major)), uintptr(unsafe.Pointer(&minor)))); err != nil {
		t.Fatal(err)
	}
	t.Logf("NVRTC %d.%d (%s)", major, minor, a.nvrtc.path)
	for _, src := range []struct {
		name, text string
		entries    []string
	}{{"kernels.cu", kernelSource, kernelNames[:]}, {"generate.cu", generateSource, generateNames}} {
		for _, arch := range []string{"compute_80", "compute_90"} {
			ptx, err := a.nvrtcBuild(src.text, []string{"--gpu-architecture=" + arch, "--std=c++17", "-default-device"}, true)
			if err != nil {
				t.Errorf("%s for %s: %v", src.name, arch, err)
				continue
			}
			for _, e := range src.entries {
				if !regexp.MustCompile(fmt.Sprintf(`\.entry %s\(`, regexp.QuoteMeta(e))).Match(ptx) {
					t.Errorf("%s for %s: no entry %s in the PTX", src.name, arch, e)
				}
			}
		}
	}
}
