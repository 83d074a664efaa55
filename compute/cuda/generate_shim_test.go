//go:build !nocuda

package cuda

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/sim"
)

// Without a GPU, generate.cu is checked by compiling it with g++ through
// internal/cudaemu/shim/cuda_shim.h (a header that gives the CUDA keywords, built-ins and
// intrinsics their CUDA semantics and runs each block's threads as fibers) and comparing what its kernels compute on the CPU with
// the Go references: sim's Philox walk bit for bit, encode's codes within codeTol. The source
// compiled is generateSource, the string the backend hands to NVRTC.

// codeTol bounds |kernel code − encode's code| and |kernel code − the float64 formula| per
// entry. All are evaluations of the same formula (entries up to ≈ 0.05 for Np 512, σ 0.12),
// differing in expf's last bits, the order of the sums and encode's d² = q − |x|²/2 (≈1e-5
// relative in the exponent, see encode's tests); measured at most 6e-8 on the CPU. A GPU's
// expf is within 2 ulps as well, so the same bound holds there (GPU test), well inside the
// 1e-5 the batch generator was asked for.
const codeTol = 1e-6

// shimTimeout bounds one harness run. (A kernel whose threads wait at different barriers
// makes the shim abort with a message, but a kernel that loops forever still hangs.)
const shimTimeout = 2 * time.Minute

// buildHarness compiles testdata/shim/harness.cpp with generateSource, or skips without g++.
func buildHarness(t *testing.T) string {
	t.Helper()
	gxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skipf("no g++ to run generate.cu on the CPU: %v", err)
	}
	harness, err := filepath.Abs("testdata/shim/harness.cpp")
	if err != nil {
		t.Fatal(err)
	}
	// The shim header is internal/cudaemu's, which the emulated CUDA driver compiles too.
	shim, err := filepath.Abs("../../internal/cudaemu/shim")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{harness, filepath.Join(shim, "cuda_shim.h")} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("no harness (a test binary run outside compute/cuda): %v", err)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "generate.cu"), []byte(generateSource), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "harness")
	// -ffp-contract=off: no fused multiply-add (see cuda_shim.h); -I dir first, so that
	// #include "generate.cu" finds the embedded text.
	cmd := exec.Command(gxx, "-std=c++20", "-O2", "-ffp-contract=off", "-pthread", "-Wall", "-Wextra", "-Werror",
		"-Wno-unknown-pragmas", "-I", dir, "-I", shim, "-o", bin, harness)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("g++ harness: %v\n%s", err, out)
	}
	return bin
}

func runHarness(t *testing.T, bin string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), shimTimeout)
	defer cancel()
	s := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case float32:
			s[i] = strconv.FormatUint(uint64(math.Float32bits(v)), 10)
		default:
			s[i] = fmt.Sprint(v)
		}
	}
	if out, err := exec.CommandContext(ctx, bin, s...).CombinedOutput(); err != nil {
		t.Fatalf("harness %v: %v\n%s", s, err, out)
	}
}

func readFloats(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

// unpad splits rows of ld floats into their first cols (the kernel's) and checks that the
// rest kept the harness's NaN fill.
func unpad(t *testing.T, what string, data []float32, rows, cols, ld int) []float32 {
	t.Helper()
	out := make([]float32, 0, rows*cols)
	for r := 0; r < rows; r++ {
		out = append(out, data[r*ld:r*ld+cols]...)
		for c := cols; c < ld; c++ {
			if v := data[r*ld+c]; !math.IsNaN(float64(v)) {
				t.Fatalf("%s: row %d column %d beyond the tensor written (%v)", what, r, c, v)
			}
		}
	}
	return out
}

// walkArgs are gc_gen_walk's scalar arguments for p, key and batch index, rounded as
// NewBatchGenerator rounds them.
func walkArgs(p sim.Params, key, index uint64) []any {
	w := WalkParams{Key: key, BoxWidth: p.BoxWidth, BoxHeight: p.BoxHeight, Dt: p.Dt, Periodic: p.Periodic,
		RotVelStd: p.RotVelStd, SpeedScale: p.SpeedScale, BorderRegion: p.BorderRegion, BorderSlowdown: p.BorderSlowdown}
	c := w.float32s()
	periodic := 0
	if p.Periodic {
		periodic = 1
	}
	return []any{uint32(key), uint32(key >> 32), uint32(index), uint32(index >> 32),
		c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], periodic}
}

// TestShim runs generate.cu's kernels on the CPU (one g++ build for both).
func TestShim(t *testing.T) {
	bin := buildHarness(t)
	t.Run("walk", func(t *testing.T) { shimWalk(t, bin) })
	t.Run("place", func(t *testing.T) { shimPlace(t, bin) })
}

// shimWalk: gc_gen_walk run on the CPU equals sim.PhiloxBatch bit for bit, for several launch
// shapes, walls and a periodic, non-square box, and a batch index above 2³².
func shimWalk(t *testing.T, bin string) {
	const B, T, ld = 200, 20, 3 // ld > 2: rows of a wider tensor, as a View gives
	for _, tc := range []struct {
		name  string
		edit  func(*sim.Params)
		index uint64
	}{
		{"default", func(*sim.Params) {}, 7},
		{"high batch word", func(*sim.Params) {}, 1<<32 + 5},
		{"periodic 1.5x1", func(p *sim.Params) { p.Periodic = true; p.BoxWidth, p.BoxHeight = 1.5, 1 }, 2},
		{"small box, wide band", func(p *sim.Params) { p.BoxWidth, p.BoxHeight, p.BorderRegion = 0.5, 0.4, 0.1 }, 3},
		{"large turns", func(p *sim.Params) { p.RotVelStd = 400 }, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sim.DefaultParams()
			tc.edit(&p)
			const key = 0x243f6a8885a308d3
			want := sim.NewBatch(B, T)
			if err := sim.PhiloxBatch(want, p, key, tc.index); err != nil {
				t.Fatal(err)
			}
			grid, block := walkLaunch(B)
			// The launch Generate uses (32 threads: the draws of all T+1 = 21 steps in one round),
			// one thread per block (all sequential), 16 threads (two rounds) and 8 (three rounds)
			// with extra blocks beyond B.
			for _, shape := range [][2]int{{grid, block}, {B, 1}, {B, 16}, {B + 3, 8}} {
				out := filepath.Join(t.TempDir(), "walk.bin")
				runHarness(t, bin, append([]any{"walk", out, B, T, ld, shape[0], shape[1]}, walkArgs(p, key, tc.index)...)...)
				data := readFloats(t, out)
				n := T * B * ld
				vel := unpad(t, "vel", data[:n], T*B, 2, ld)
				pos := unpad(t, "pos", data[n:2*n], T*B, 2, ld)
				init := unpad(t, "init_pos", data[2*n:], B, 2, ld)
				for _, c := range []struct {
					what      string
					got, want []float32
				}{{"vel", vel, want.Vel}, {"pos", pos, want.Pos}, {"init_pos", init, want.InitPos}} {
					for i := range c.want {
						if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
							t.Fatalf("launch %v: %s[%d] (row %d) = %v, Go walk %v", shape, c.what, i, i/2, c.got[i], c.want[i])
						}
					}
				}
			}
		})
	}
}

// shimPositions returns B initial positions and T·B targets of a Philox batch, followed by
// extra rows at the codes' edges: a centre exactly, the box corner, and a point 6 cm outside
// the box, as far out as walkers get. (Much farther, 50 m say, float32 d² loses the
// differences between cells, in encode as here: a regime the walk never reaches.)
func shimPositions(t *testing.T, B, T int, centres []float32) (xy []float32, rows, b int) {
	walk := sim.NewBatch(B, T)
	if err := sim.PhiloxBatch(walk, sim.DefaultParams(), 99, 0); err != nil {
		t.Fatal(err)
	}
	// The kernel encodes init_pos rows first: put the extras among them (B grows).
	extra := []float32{centres[0], centres[1], 1.1, -1.1, 1.16, 0.3}
	xy = append(append(append([]float32(nil), walk.InitPos...), extra...), walk.Pos...)
	return xy, B + len(extra)/2 + T*B, B + len(extra)/2
}

// placeSpare is the harness's PLACE_SPARE: rows past the positions that the kernel must leave.
const placeSpare = 64

// shimPlace: gc_gen_place run on the CPU equals encode's code of the same positions, and the
// float64 formula, within codeTol, for the Gaussian, both DoS surround conventions and SoD. Np
// 512 and 100 (not a multiple of 32) take the warp path, 600 and 2048 the block path; each
// with the launch Generate uses (placeLaunch: 18 positions are three blocks of 8 warps, the
// last with 6 surplus warps) and other blocks: one warp, two warps, 8 cells per thread, and
// extra blocks past the positions, which must write nothing.
func shimPlace(t *testing.T, bin string) {
	for _, tc := range []struct {
		name  string
		kind  encode.Kind
		conv  string
		gpu   PlaceKind
		np    int
		block int // 0: placeLaunch's
		extra int // blocks past those the positions need
	}{
		{"DoS sigma ratio", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, 512, 0, 0},
		{"DoS variance ratio", encode.DifferenceOfGaussians, encode.VarianceRatio, PlaceDifferenceOfSoftmaxes, 512, 0, 0},
		{"Gaussian", encode.Gaussian, encode.SigmaRatio, PlaceGaussian, 512, 0, 0},
		{"SoD", encode.SoftmaxOfDifferences, encode.SigmaRatio, PlaceSoftmaxOfDifferences, 512, 0, 0},
		{"DoS one warp per block", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, 512, 32, 0},
		{"DoS two warps, extra blocks", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, 512, 64, 2},
		{"DoS Np 100", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, 100, 0, 1},
		{"DoS Np 600 block", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, 600, 0, 0},
		{"DoS Np 600 8 cells per thread", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, 600, 96, 3},
		{"Gaussian Np 2048 block", encode.Gaussian, encode.SigmaRatio, PlaceGaussian, 2048, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := encode.Params{Kind: tc.kind, Np: tc.np, BoxWidth: 2.2, BoxHeight: 2.2,
				Sigma: encode.Dist{Kind: "const", A: 0.12}, Surround: encode.Dist{Kind: "const", A: 2}, SurroundConvention: tc.conv}
			code, err := encode.New(ep, rand.New(rand.NewPCG(5, 6)))
			if err != nil {
				t.Fatal(err)
			}
			centres, nf := code.Centres()
			if nf != 1 {
				t.Fatalf("%d fields per cell", nf)
			}
			pp := PlaceParams{Kind: tc.gpu, Centres: centres, Sigma: 0.12, Surround: 2, VarianceRatio: tc.conv == encode.VarianceRatio}
			if err := pp.validate(); err != nil {
				t.Fatal(err)
			}
			aE, aI := pp.widths()
			if tc.gpu == PlaceSoftmaxOfDifferences {
				aE -= aI
			}
			xy, rows, B := shimPositions(t, 3, 4, centres)
			dir := t.TempDir()
			in := make([]byte, 0, 4*(len(centres)+len(xy)))
			for _, v := range append(append([]float32(nil), centres...), xy...) {
				in = binary.LittleEndian.AppendUint32(in, math.Float32bits(v))
			}
			if err := os.WriteFile(filepath.Join(dir, "in.bin"), in, 0o644); err != nil {
				t.Fatal(err)
			}
			grid, block := placeLaunch(tc.np, rows)
			if tc.block != 0 {
				block, grid = tc.block, rows
				if tc.np <= 32*genWarpCells {
					grid = (rows + block/32 - 1) / (block / 32)
				}
			}
			grid += tc.extra
			ld := tc.np + 5
			runHarness(t, bin, "place", filepath.Join(dir, "out.bin"), filepath.Join(dir, "in.bin"), tc.np, B, rows, ld, grid,
				block, int(tc.gpu), aE, aI)
			data := readFloats(t, filepath.Join(dir, "out.bin"))
			if len(data) != (rows+placeSpare)*ld {
				t.Fatalf("harness wrote %d floats, want %d", len(data), (rows+placeSpare)*ld)
			}
			got := unpad(t, "codes", data[:rows*ld], rows, tc.np, ld)
			for i, v := range data[rows*ld:] {
				if !math.IsNaN(float64(v)) {
					t.Fatalf("grid %d × %d wrote %v at row %d past the %d positions", grid, block, v, rows+i/ld, rows)
				}
			}
			want := code.Encode(nil, xy)
			worstEnc, worstRef := 0.0, 0.0
			for r := 0; r < rows; r++ {
				x, y := xy[2*r], xy[2*r+1]
				ref := refCode(tc.gpu, centres, float64(aE), float64(aI), float64(x), float64(y))
				var sum float64
				for i := 0; i < tc.np; i++ {
					g := float64(got[r*tc.np+i])
					sum += g
					if d := math.Abs(g - ref[i]); !(d <= codeTol) {
						t.Fatalf("row %d (%v, %v) cell %d: %v, float64 formula %v", r, x, y, i, g, ref[i])
					} else {
						worstRef = max(worstRef, d)
					}
					if d := math.Abs(g - float64(want[r*tc.np+i])); !(d <= codeTol) {
						t.Fatalf("row %d (%v, %v) cell %d: %v, encode %v", r, x, y, i, g, want[r*tc.np+i])
					} else {
						worstEnc = max(worstEnc, d)
					}
				}
				if math.Abs(sum-1) > 1e-4 {
					t.Errorf("row %d sums to %v", r, sum)
				}
			}
			t.Logf("%d rows × %d cells, grid %d × %d: max |kernel − encode| %.2g, |kernel − float64 formula| %.2g",
				rows, tc.np, grid, block, worstEnc, worstRef)
		})
	}
}

// refCode is spec §2.2's code of (x, y) in float64 from the kernel's centres and a_E, a_I (a_E
// already a_E − a_I for SoD): softmaxes shifted by their largest exponent.
func refCode(kind PlaceKind, centres []float32, aE, aI, x, y float64) []float64 {
	np := len(centres) / 2
	d2 := make([]float64, np)
	dmin := math.Inf(1)
	for i := range d2 {
		dx, dy := x-float64(centres[2*i]), y-float64(centres[2*i+1])
		d2[i] = dx*dx + dy*dy
		dmin = min(dmin, d2[i])
	}
	softmax := func(a float64) []float64 {
		e := make([]float64, np)
		var s float64
		for i := range e {
			e[i] = math.Exp(-a * (d2[i] - dmin))
			s += e[i]
		}
		for i := range e {
			e[i] /= s
		}
		return e
	}
	if kind != PlaceDifferenceOfSoftmaxes {
		return softmax(aE)
	}
	z, zi := softmax(aE), softmax(aI)
	lo, sum := math.Inf(1), 0.0
	for i := range z {
		z[i] -= zi[i]
		lo = min(lo, z[i])
		sum += z[i]
	}
	total := sum + float64(np)*math.Abs(lo)
	for i := range z {
		z[i] = (z[i] + math.Abs(lo)) / total
	}
	return z
}

// TestGenerateSource checks what NVRTC needs of generate.cu without compiling it: every entry
// point generate.go looks up is a __global__ with C linkage, and no header is included (NVRTC
// compiles without any).
func TestGenerateSource(t *testing.T) {
	ext := strings.Index(generateSource, `extern "C" {`)
	if ext < 0 {
		t.Fatal(`generate.cu has no extern "C" block`)
	}
	for _, n := range generateNames {
		re := regexp.MustCompile(`__global__ void (__launch_bounds__\([0-9]+\) )?` + n + `\(`)
		if loc := re.FindStringIndex(generateSource); loc == nil || loc[0] < ext {
			t.Errorf("generate.cu defines no __global__ %s inside its extern \"C\" block", n)
		}
	}
	if strings.Contains(generateSource, "#include") {
		t.Error("generate.cu includes a header")
	}
	// placeBlock and placeLaunch rest on these, and newLaneRecord writes gen_lane's words.
	for _, c := range []struct {
		name string
		want int
	}{{"GEN_CELLS_PER_THREAD", genCellsPerThread}, {"GEN_WARP_CELLS", genWarpCells}, {"GEN_LANE_WORDS", genLaneWords}} {
		m := regexp.MustCompile(`(?m)^#define ` + c.name + ` (\d+)$`).FindStringSubmatch(generateSource)
		if m == nil || m[1] != strconv.Itoa(c.want) {
			t.Errorf("generate.cu: #define %s %v, Go has %d", c.name, m, c.want)
		}
	}
}
