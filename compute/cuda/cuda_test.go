//go:build !nocuda

package cuda

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute/computetest"
)

// newOrSkip returns a backend on device 0, or skips the test where there is no usable GPU
// (CI has none).
func newOrSkip(t *testing.T, s *Settings) *Backend {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	b, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Logf("device: %s", b.Info())
	return b
}

// TestConformance runs the backend conformance suite (every operation against a float64
// host loop, tolerance 2e-5 relative) on the GPU in full float32, with the copies between
// host and device through pinned memory (the default) and directly from Go memory.
func TestConformance(t *testing.T) {
	b := newOrSkip(t, nil)
	computetest.TestBackend(t, b)
	if b.ring == nil || b.deferred == nil || b.deferred.pinned == nil {
		t.Error("the uploads or the deferred scalars did not go through pinned memory")
	}
	// An upload above ringMaxUpload goes from Go memory directly and leaves the ring as it
	// was; one below it lands through the ring.
	for _, n := range []int{ringMaxUpload/4 + 64, 3000} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i%1000) - 0.5
		}
		x := b.New(1, n)
		size := b.ring.size
		b.Upload(x, src)
		got := make([]float32, n)
		b.Download(got, x)
		if !slices.Equal(got, src) {
			t.Errorf("an upload of %d floats came back different", n)
		}
		if b.ring.size != size || size > 2*ringMaxUpload {
			t.Errorf("an upload of %d floats: the pinned ring is %d bytes, was %d (at most %d)", n, b.ring.size, size, 2*ringMaxUpload)
		}
		b.Free(x)
	}
	// GRIDCELLS_CUDA_PINNED=0: the copies from and to Go memory directly (pinned.go).
	t.Run("pageable", func(t *testing.T) {
		t.Setenv(envPinned, "0")
		p := newOrSkip(t, nil)
		computetest.TestBackend(t, p)
		if p.ring != nil || (p.deferred != nil && p.deferred.pinned != nil) {
			t.Errorf("%s=0, but pinned memory was used", envPinned)
		}
	})
}

// TestConformanceLt runs the suite with the products through cuBLASLt (Settings.Lt), in
// float32 and TF32 (whose products the suite's tolerance does not cover, so only the
// products' shapes, strides and lanes are checked there: against the same products through
// cublasSgemm, to TF32's rounding).
func TestConformanceLt(t *testing.T) {
	b := newOrSkip(t, &Settings{Lt: true})
	if b.lt == nil {
		t.Fatal("Settings.Lt: the cuBLASLt path is off")
	}
	computetest.TestBackend(t, b)
	t.Run("TF32", func(t *testing.T) {
		lt, plain := newOrSkip(t, &Settings{Lt: true, TF32: true}), newOrSkip(t, &Settings{TF32: true})
		computetest.TestGemmAgainst(t, lt, plain, 2e-3)
	})
	// GRIDCELLS_CUBLASLT=tune: each shape's algorithm is the fastest of those timed; the
	// products must be those of the default path to float32 rounding.
	t.Run("tune", func(t *testing.T) {
		plain := newOrSkip(t, &Settings{}) // before the variable, which applies to every backend
		t.Setenv(envLt, "tune")
		t.Setenv("GRIDCELLS_CACHE", t.TempDir()) // no earlier run's choices (lt_cache.go)
		tuned := newOrSkip(t, nil)
		if tuned.lt == nil || !tuned.lt.tune {
			t.Fatalf("%s=tune: the tuning cuBLASLt path is off", envLt)
		}
		computetest.TestGemmAgainst(t, tuned, plain, 1e-5)
		if len(tuned.lt.plans) == 0 {
			t.Fatal("no cuBLASLt plans were made")
		}
		for k, p := range tuned.lt.plans {
			if p.timed < 2 {
				t.Errorf("%+v: %d algorithms timed, want at least 2 (the emulator offers 3)", k, p.timed)
			}
		}
	})
	// GRIDCELLS_CUBLASLT=search: the heuristic's algorithms and every enumerated
	// configuration are timed. On a GPU their number depends on the library; the emulator
	// offers 3 from its heuristic and 8 configurations (algorithm 0: 2 tiles; algorithm 1:
	// 3 tiles × 2 stages), all accepted by its cublasLtMatmulAlgoCheck.
	t.Run("search", func(t *testing.T) {
		plain := newOrSkip(t, &Settings{})
		t.Setenv(envLt, "search")
		t.Setenv("GRIDCELLS_CACHE", t.TempDir())
		searched := newOrSkip(t, nil)
		if searched.lt == nil || !searched.lt.search {
			t.Fatalf("%s=search: the searching cuBLASLt path is off", envLt)
		}
		computetest.TestGemmAgainst(t, searched, plain, 1e-5)
		want := 3
		if emulated() {
			want = 11
		}
		for k, p := range searched.lt.plans {
			if p.timed < want || (emulated() && p.timed != want) {
				t.Errorf("%+v: %d configurations timed, want %d", k, p.timed, want)
			}
			if !strings.HasPrefix(p.config, "algo ") || !strings.Contains(p.config, " tile ") {
				t.Errorf("%+v: configuration described as %q", k, p.config)
			}
		}
		// The ids take turns, tiles first: algorithm 0's two configurations are the first and
		// third, not the first two (enumerate).
		if emulated() {
			for k, p := range searched.lt.plans {
				var got []string
				for _, h := range searched.enumerate(k, p, ltComputeF32) {
					got = append(got, searched.lt.describe(&h))
				}
				want := []string{"algo 0 tile 64x256 stages 0", "algo 1 tile 128x128 stages 1", "algo 0 tile 128x128 stages 0",
					"algo 1 tile 128x256 stages 1", "algo 1 tile 256x128 stages 1", "algo 1 tile 128x128 stages 2",
					"algo 1 tile 128x256 stages 2", "algo 1 tile 256x128 stages 2"}
				if len(got) != len(want) {
					t.Fatalf("%+v: enumerated %q; want %q", k, got, want)
				}
				for i := range want {
					if !strings.HasPrefix(got[i], want[i]+" ") {
						t.Errorf("%+v: configuration %d is %q; want %q", k, i, got[i], want[i])
					}
				}
				break
			}
		}
		// A later run takes the choices from the file (the process's shared ones forgotten
		// first): nothing timed, the same algorithms, the same products.
		ltChoicesOf.Lock()
		clear(ltChoicesOf.m)
		ltChoicesOf.Unlock()
		again := newOrSkip(t, nil)
		computetest.TestGemmAgainst(t, again, plain, 1e-5)
		if len(again.lt.plans) != len(searched.lt.plans) {
			t.Fatalf("%d plans from the cache, %d searched", len(again.lt.plans), len(searched.lt.plans))
		}
		for k, p := range again.lt.plans {
			q := searched.lt.plans[k]
			if !p.cached || p.timed != 0 || q == nil || p.algo.algo != q.algo.algo || p.config != q.config {
				t.Errorf("%+v: cached %v, timed %d, algorithm %q; searched %q", k, p.cached, p.timed, p.config, q.config)
			}
		}
	})
	// Under TF32 the search leaves out the algorithms that use no tensor core: in the emulator
	// algorithm 0 (FMA), so the 3 of the heuristic and algorithm 1's 6 configurations are
	// timed.
	t.Run("search TF32", func(t *testing.T) {
		plain := newOrSkip(t, &Settings{TF32: true})
		t.Setenv(envLt, "search")
		t.Setenv("GRIDCELLS_CACHE", t.TempDir())
		searched := newOrSkip(t, &Settings{TF32: true})
		computetest.TestGemmAgainst(t, searched, plain, 2e-3)
		if len(searched.lt.plans) == 0 {
			t.Fatal("no cuBLASLt plans were made")
		}
		for k, p := range searched.lt.plans {
			if emulated() && p.timed != 9 {
				t.Errorf("%+v: %d configurations timed, want 9", k, p.timed)
			}
			for _, h := range searched.enumerate(k, p, ltComputeTF32) {
				if c := searched.lt.describe(&h); searched.lt.fmaOnly(&h) {
					t.Errorf("%+v: %s, an FMA-only algorithm, enumerated under TF32", k, c)
				}
			}
		}
	})
}

// emulated reports whether this is internal/cudaemu's child process (cudaemu.ChildEnv,
// which imports this package and so cannot be imported here), whose libraries are emulated.
func emulated() bool { return os.Getenv("GRIDCELLS_CUDAEMU") != "" }

// TestKernelNames checks that every entry point the backend looks up is defined, with C
// linkage, in kernels.cu, so a renamed kernel fails here and not only on a GPU.
func TestKernelNames(t *testing.T) {
	if len(kernelNames) != int(numKernels) {
		t.Fatalf("%d kernel names for %d kernel constants", len(kernelNames), numKernels)
	}
	ext := strings.Index(kernelSource, `extern "C" {`)
	if ext < 0 {
		t.Fatal(`kernels.cu has no extern "C" block`)
	}
	for _, n := range kernelNames {
		re := regexp.MustCompile(`__global__ void (__launch_bounds__\([0-9]+\) )?` + n + `\(`)
		loc := re.FindStringIndex(kernelSource)
		if loc == nil {
			t.Errorf("kernels.cu defines no __global__ %s", n)
		} else if loc[0] < ext {
			t.Errorf("%s is defined before the extern \"C\" block: its name would be mangled", n)
		}
	}
}

// TestMissingLibrary checks the error for a library that is not there: it names the
// library, every name tried and the environment variable that points to it.
func TestMissingLibrary(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GRIDCELLS_CUDA_LIBS", dir)
	_, err := openLibrary("cuFAKE", []string{"libcufake.so.13", "libcufake.so.12"}, nil)
	var le *LibraryError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T); want *LibraryError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{"cuFAKE", "libcufake.so.13", "libcufake.so.12", "GRIDCELLS_CUDA_LIBS", "not in " + dir} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

// TestArgEncoding checks the launch-argument slots: kernels read int and float parameters
// from the low bytes of a little-endian slot.
func TestArgEncoding(t *testing.T) {
	if got := intArg(-1); got != 0xffffffff {
		t.Errorf("intArg(-1) = %#x; want 0xffffffff", got)
	}
	if got := f32Arg(1); got != 0x3f800000 {
		t.Errorf("f32Arg(1) = %#x; want 0x3f800000", got)
	}
	if got := f64Arg(1); got != 0x3ff0000000000000 {
		t.Errorf("f64Arg(1) = %#x; want 0x3ff0000000000000", got)
	}
}

// TestSoftmaxAlignment checks that a row's cross-entropy and gradient do not depend on
// whether gc_softmax_ce_warp can read it as float4s: the same rows in a tensor of their own
// (aligned, read as float4s) and in a view one column into a wider tensor (read as floats)
// give the same loss and gradient, bit for bit, at widths of one to eight chunks of 128.
func TestSoftmaxAlignment(t *testing.T) {
	b := newOrSkip(t, nil)
	const rows = 5
	for _, cols := range []int{8, 128, 300, 512, 1024} {
		z, y := make([]float32, rows*cols), make([]float32, rows*cols)
		for i := range z {
			z[i] = float32((i*7919)%1000)/250 - 2
			y[i] = float32((i*104729)%997) / 997
		}
		az, ay, ag := b.New(rows, cols), b.New(rows, cols), b.New(rows, cols)
		b.Upload(az, z)
		b.Upload(ay, y)
		wz, wy, wg := b.New(rows, cols+1), b.New(rows, cols+1), b.New(rows, cols+1)
		vz, vy, vg := b.View(wz, 0, 1, rows, cols), b.View(wy, 0, 1, rows, cols), b.View(wg, 0, 1, rows, cols)
		b.Copy(vz, az)
		b.Copy(vy, ay)
		if k, _ := quad(kAdam, b.t(vz)); k != kAdam {
			t.Fatalf("cols %d: the view one column in can be read as float4s; the test needs one that cannot", cols)
		}
		aligned := b.SoftmaxCrossEntropy(ag, az, ay, 0.3)
		offset := b.SoftmaxCrossEntropy(vg, vz, vy, 0.3)
		if aligned != offset {
			t.Errorf("cols %d: loss %v aligned, %v one column in", cols, aligned, offset)
		}
		ga, gv := make([]float32, rows*cols), make([]float32, rows*cols)
		b.Download(ga, ag)
		b.Download(gv, vg)
		if !slices.Equal(ga, gv) {
			t.Errorf("cols %d: the gradients differ between the aligned rows and the rows one column in", cols)
		}
	}
}

// ltAlign is the largest power of two, at most 256, dividing the address and, for a batch,
// the byte stride between lanes.
func TestLtAlign(t *testing.T) {
	for _, c := range []struct {
		ptr           uintptr
		stride, batch int
		want          int
	}{
		{0x7f0000000000, 0, 1, 256}, {0x7f0000000004, 0, 1, 4}, {0x7f0000000010, 0, 1, 16},
		{0x7f0000000000, 6, 2, 8}, {0x7f0000000000, 6, 1, 256}, {0x7f0000000008, 64, 4, 8}, {0, 0, 1, 256},
	} {
		if got := ltAlign(c.ptr, c.stride, c.batch); got != c.want {
			t.Errorf("ltAlign(%#x, stride %d, batch %d) = %d, want %d", c.ptr, c.stride, c.batch, got, c.want)
		}
	}
}

// The preferred name is tried in every directory before an older one: a libcublas.so.13 in
// a later directory wins over a .12 in an earlier one (the directories of gpu_check.sh come
// from a sorted find, which put them in either order).
func TestLibraryNamesBeforeDirectories(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(a, "libcufake.so.12"), nil, 0o644)
	os.WriteFile(filepath.Join(b, "libcufake.so.13"), nil, 0o644)
	t.Setenv("GRIDCELLS_CUDA_LIBS", a+string(filepath.ListSeparator)+b)
	_, err := openLibrary("cuFAKE", []string{"libcufake.so.13", "libcufake.so.12"}, nil)
	var le *LibraryError
	if !errors.As(err, &le) {
		t.Fatalf("error %v; want *LibraryError (the files are not libraries)", err)
	}
	i13, i12 := slices.Index(le.Tried, filepath.Join(b, "libcufake.so.13")), slices.Index(le.Tried, filepath.Join(a, "libcufake.so.12"))
	if i13 < 0 || i12 < 0 || i13 > i12 {
		t.Errorf("tried %q; want %s before %s", le.Tried, filepath.Join(b, "libcufake.so.13"), filepath.Join(a, "libcufake.so.12"))
	}
}
