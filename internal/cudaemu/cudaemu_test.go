package cudaemu

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute/cuda"
)

// TestKernels checks the kernel table's source: every __global__ function of both .cu files
// is found, in order, and a small source gives exactly its kernels.
func TestKernels(t *testing.T) {
	src := "__device__ float f(float x) { return x; }\nextern \"C\" {\n__global__ void k_one(float *d) {}\n" +
		"__global__  void\tk_two (int n, double *p) {}\n__global__ void __launch_bounds__(1024) k_three(float *d) {}\n}\n"
	if got, want := Kernels(src), []string{"k_one", "k_two", "k_three"}; !slices.Equal(got, want) {
		t.Errorf("Kernels = %q; want %q", got, want)
	}
	if got := launchBounds(src); len(got) != 1 || got["k_three"] != 1024 {
		t.Errorf("launchBounds = %v; want k_three 1024 alone", got)
	}
	kernels, generate := cuda.Sources()
	for _, src := range []string{kernels, generate} {
		if got, want := len(Kernels(src)), strings.Count(src, "__global__"); got != want {
			t.Errorf("%d kernels found for %d __global__ in a source", got, want)
		}
	}
	if got := Kernels(generate); !slices.Equal(got, []string{"gc_gen_walk", "gc_gen_place"}) {
		t.Errorf("generate.cu kernels %q", got)
	}
	unit := moduleUnit("generate.cu", generate)
	for _, want := range []string{`#include "generate.cu"`, "GC_EMU_KERNEL(gc_gen_walk)", "GC_EMU_KERNEL_BOUNDS(gc_gen_place, 1024)"} {
		if !strings.Contains(unit, want) {
			t.Errorf("module unit lacks %q:\n%s", want, unit)
		}
	}
}

// TestSourceHash checks the FNV-1a 64 hash against the algorithm's published test vectors.
func TestSourceHash(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{{"", 0xcbf29ce484222325}, {"a", 0xaf63dc4c8601ec8c}, {"foobar", 0x85944171f73967e8}} {
		if got := SourceHash(c.in); got != c.want {
			t.Errorf("SourceHash(%q) = %#x; want %#x", c.in, got, c.want)
		}
	}
}

// TestOutcome checks how a child's -test.v output is judged.
func TestOutcome(t *testing.T) {
	pass := "=== RUN   TestA\n--- PASS: TestA (0.01s)\n=== RUN   TestB\n    --- PASS: TestB/x (0.00s)\n--- PASS: TestB (0.02s)\nPASS\n"
	if p := outcome(pass, []string{"TestA", "TestB"}); len(p) != 0 {
		t.Errorf("passing output judged %q", p)
	}
	for _, c := range []struct{ name, text string }{
		{"skipped", "--- SKIP: TestA (0.00s)\n--- PASS: TestB (0.02s)\n"},
		{"subtest skipped", "--- PASS: TestA (0.01s)\n    --- SKIP: TestB/x (0.00s)\n--- PASS: TestB (0.02s)\n"},
		{"subtest failed", "--- PASS: TestA (0.01s)\n    --- FAIL: TestB/x (0.00s)\n--- PASS: TestB (0.02s)\n"},
		{"not run", "--- PASS: TestA (0.01s)\n"},
		{"prefix only", "--- PASS: TestA (0.01s)\n--- PASS: TestBB (0.02s)\n"},
	} {
		if p := outcome(c.text, []string{"TestA", "TestB"}); len(p) == 0 {
			t.Errorf("%s: output judged passing", c.name)
		}
	}
}

// TestBuildInto builds the emulator into $GRIDCELLS_CUDAEMU_OUT, for running gridcells or a
// GPU script on it by hand (LD_LIBRARY_PATH and GRIDCELLS_CUDA_LIBS set to that directory);
// it skips when the variable is unset.
func TestBuildInto(t *testing.T) {
	dir := os.Getenv("GRIDCELLS_CUDAEMU_OUT")
	if dir == "" {
		t.Skip("GRIDCELLS_CUDAEMU_OUT is not set")
	}
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skipf("no g++: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Build(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("built the CUDA emulator in %s", dir)
}
