//go:build !nocuda

package cuda

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/sim"
)

// walkParams maps sim's Params onto WalkParams, as the train package does.
func walkParams(p sim.Params, B, T int, key uint64) WalkParams {
	return WalkParams{B: B, T: T, Key: key, BoxWidth: p.BoxWidth, BoxHeight: p.BoxHeight, Dt: p.Dt, Periodic: p.Periodic,
		RotVelStd: p.RotVelStd, SpeedScale: p.SpeedScale, BorderRegion: p.BorderRegion, BorderSlowdown: p.BorderSlowdown}
}

// presetCode returns an encode code of the presets' shape (one field, σ 0.12, s 2) and its
// PlaceParams.
func presetCode(t testing.TB, kind encode.Kind, conv string, gpu PlaceKind, np int) (encode.Code, *PlaceParams) {
	ep := encode.Params{Kind: kind, Np: np, BoxWidth: 2.2, BoxHeight: 2.2,
		Sigma: encode.Dist{Kind: "const", A: 0.12}, Surround: encode.Dist{Kind: "const", A: 2}, SurroundConvention: conv}
	code, err := encode.New(ep, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	centres, _ := code.Centres()
	return code, &PlaceParams{Kind: gpu, Centres: centres, Sigma: 0.12, Surround: 2, VarianceRatio: conv == encode.VarianceRatio}
}

// TestGenerate runs the batch generator on the GPU: the walk must equal sim.PhiloxBatch bit for
// bit (the kernel performs the same correctly rounded float32 operations, so no wall-rule
// branch can flip), and the codes must equal encode's code of the same positions within
// codeTol. Outputs are views into wider tensors, and a batch index above 2³² is used. The
// presets' Np 512 and Np 100 take gc_gen_place's warp path (one warp per position), Np 600 and
// 2048 its block path (2048: blocks of 1024 threads, the most a launch may have), with a smaller
// batch (B 20, T 4), which is enough for them and keeps the emulated run short. The "lanes"
// subtests check BatchGeneratorLanes against these generators launched alone
// (generate_lanes_test.go).
func TestGenerate(t *testing.T) {
	b := newOrSkip(t, nil)
	const key = 0x9e3779b97f4a7c15
	for _, tc := range []struct {
		name     string
		kind     encode.Kind
		conv     string
		gpu      PlaceKind
		edit     func(*sim.Params)
		index    uint64
		np, B, T int
	}{
		{"DoS sigma ratio", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, func(*sim.Params) {}, 0, 512, 200, 20},
		{"DoS variance ratio", encode.DifferenceOfGaussians, encode.VarianceRatio, PlaceDifferenceOfSoftmaxes, func(*sim.Params) {}, 1<<32 + 3, 512, 200, 20},
		{"Gaussian periodic", encode.Gaussian, encode.SigmaRatio, PlaceGaussian, func(p *sim.Params) { p.Periodic = true }, 5, 512, 200, 20},
		{"SoD", encode.SoftmaxOfDifferences, encode.SigmaRatio, PlaceSoftmaxOfDifferences, func(*sim.Params) {}, 6, 512, 200, 20},
		{"DoS Np 100", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, func(*sim.Params) {}, 7, 100, 20, 4},
		{"DoS Np 600", encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, func(*sim.Params) {}, 8, 600, 20, 4},
		{"SoD Np 2048", encode.SoftmaxOfDifferences, encode.SigmaRatio, PlaceSoftmaxOfDifferences, func(*sim.Params) {}, 9, 2048, 20, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			B, T := tc.B, tc.T
			p := sim.DefaultParams()
			tc.edit(&p)
			code, pp := presetCode(t, tc.kind, tc.conv, tc.gpu, tc.np)
			g, err := b.NewBatchGenerator(walkParams(p, B, T, key), pp)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Free()
			// Views: each output is the left part of a wider tensor.
			view := func(rows, cols int) compute.Tensor { return b.View(b.New(rows, cols+3), 0, 0, rows, cols) }
			vel, pos, initPos := view(T*B, 2), view(T*B, 2), view(B, 2)
			initCode, targets := view(B, tc.np), view(T*B, tc.np)
			g.Generate(tc.index, vel, initCode, targets, pos, initPos)

			want := sim.NewBatch(B, T)
			if err := sim.PhiloxBatch(want, p, key, tc.index); err != nil {
				t.Fatal(err)
			}
			get := func(x compute.Tensor) []float32 {
				out := make([]float32, x.Rows()*x.Cols())
				b.Download(out, x)
				return out
			}
			for _, c := range []struct {
				what      string
				got, want []float32
			}{{"vel", get(vel), want.Vel}, {"pos", get(pos), want.Pos}, {"initPos", get(initPos), want.InitPos}} {
				var differ int
				worst := 0.0
				for i := range c.want {
					if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
						differ++
						worst = max(worst, math.Abs(float64(c.got[i]-c.want[i])))
					}
				}
				if differ > 0 {
					t.Errorf("%s: %d of %d values differ from the Go walk (largest by %g m)", c.what, differ, len(c.want), worst)
				}
			}
			for _, c := range []struct {
				what     string
				got, pos []float32
			}{{"initCode", get(initCode), want.InitPos}, {"targets", get(targets), want.Pos}} {
				ref := code.Encode(nil, c.pos)
				worst := 0.0
				for i := range ref {
					worst = max(worst, math.Abs(float64(c.got[i]-ref[i])))
				}
				if !(worst <= codeTol) {
					t.Errorf("%s: max |GPU − encode| = %g > %g", c.what, worst, codeTol)
				}
				t.Logf("%s: max |GPU − encode| = %.2g", c.what, worst)
			}
		})
	}
	t.Run("lanes", func(t *testing.T) { testGenerateLanes(t, b) })
	t.Run("lanes misuse", func(t *testing.T) { testGenerateLanesMisuse(t, b) })
}

// TestGenerateWalkOnly: a generator without place cells takes nil codes; shapes and parameters
// are checked.
func TestGenerateWalkOnly(t *testing.T) {
	b := newOrSkip(t, nil)
	p := sim.DefaultParams()
	g, err := b.NewBatchGenerator(walkParams(p, 3, 4, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	vel, pos, initPos := b.New(12, 2), b.New(12, 2), b.New(3, 2)
	g.Generate(0, vel, nil, nil, pos, initPos)
	got := make([]float32, 24)
	b.Download(got, pos)
	want := sim.NewBatch(3, 4)
	if err := sim.PhiloxBatch(want, p, 1, 0); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want.Pos[i] {
			t.Fatalf("pos[%d] = %v, Go walk %v", i, got[i], want.Pos[i])
		}
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("Generate with a wrong vel shape did not panic")
		}
	}()
	g.Generate(0, b.New(11, 2), nil, nil, pos, initPos)
}

// TestBatchGeneratorParams checks the errors for invalid parameters (no GPU needed beyond
// the validation, which runs first).
func TestBatchGeneratorParams(t *testing.T) {
	p := sim.DefaultParams()
	good := walkParams(p, 200, 20, 1)
	for _, tc := range []struct {
		field string
		edit  func(*WalkParams, *PlaceParams)
	}{
		{"B", func(w *WalkParams, _ *PlaceParams) { w.B = 0 }},
		{"T", func(w *WalkParams, _ *PlaceParams) { w.T = 0 }},
		{"BoxWidth", func(w *WalkParams, _ *PlaceParams) { w.BoxWidth = math.NaN() }},
		{"Dt", func(w *WalkParams, _ *PlaceParams) { w.Dt = 0 }},
		{"BorderRegion", func(w *WalkParams, _ *PlaceParams) { w.BorderRegion = 2 }},
		{"BorderSlowdown", func(w *WalkParams, _ *PlaceParams) { w.BorderSlowdown = 1.5 }},
		{"Centres", func(_ *WalkParams, q *PlaceParams) { q.Centres = q.Centres[:3] }},
		{"Sigma", func(_ *WalkParams, q *PlaceParams) { q.Sigma = 0 }},
		{"Surround", func(_ *WalkParams, q *PlaceParams) { q.Surround = 1 }},
		{"Kind", func(_ *WalkParams, q *PlaceParams) { q.Kind = 7 }},
	} {
		w := good
		q := PlaceParams{Kind: PlaceDifferenceOfSoftmaxes, Centres: []float32{0, 0, 0.5, 0.5}, Sigma: 0.12, Surround: 2}
		tc.edit(&w, &q)
		err := w.validate()
		if err == nil {
			err = q.validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %v, want one naming it", tc.field, err)
		}
	}
	if err := good.validate(); err != nil {
		t.Errorf("default walk: %v", err)
	}
	// One thread per 8 cells at most: 8192 cells fit 1024 threads. The warp path: one warp per
	// position, 16 cells per lane, whole blocks of 8 warps covering the positions.
	for _, np := range []int{1, 31, 100, 512, 513, 2048, 2049, maxPlaceCells} {
		if bl := placeBlock(np); bl%32 != 0 || bl > 1024 || np > genCellsPerThread*bl {
			t.Errorf("placeBlock(%d) = %d", np, bl)
		}
		for _, rows := range []int{1, 8, 9, 4200} {
			grid, block := placeLaunch(np, rows)
			if np <= 32*genWarpCells {
				if warps := block / 32; block%32 != 0 || block > 1024 || grid*warps < rows || (grid-1)*warps >= rows {
					t.Errorf("placeLaunch(%d, %d) = %d × %d: want whole warps, one per position, no block without one", np, rows, grid, block)
				}
			} else if grid != rows || block != placeBlock(np) {
				t.Errorf("placeLaunch(%d, %d) = %d × %d: want %d blocks of placeBlock(%d) = %d", np, rows, grid, block, rows, np, placeBlock(np))
			}
		}
	}
}

// BenchmarkGenerateBatch times one training batch on the GPU (B 200, T 20, DoS with Np 512,
// σ 0.12, σ ratio 2: the NFL preset) to completion (Synchronize): the walk alone, then the walk
// and the codes, so that the two kernels' shares show.
func BenchmarkGenerateBatch(bb *testing.B) {
	if err := Available(); err != nil {
		bb.Skipf("no CUDA device: %v", err)
	}
	b, err := New(nil)
	if err != nil {
		bb.Fatal(err)
	}
	const B, T = 200, 20
	_, pp := presetCode(bb, encode.DifferenceOfGaussians, encode.SigmaRatio, PlaceDifferenceOfSoftmaxes, 512)
	vel, pos, initPos := b.New(T*B, 2), b.New(T*B, 2), b.New(B, 2)
	initCode, targets := b.New(B, 512), b.New(T*B, 512)
	for _, codes := range []bool{false, true} {
		name, place, ic, tg := "walk", (*PlaceParams)(nil), compute.Tensor(nil), compute.Tensor(nil)
		if codes {
			name, place, ic, tg = "walk+codes", pp, initCode, targets
		}
		bb.Run(name, func(bb *testing.B) {
			g, err := b.NewBatchGenerator(walkParams(sim.DefaultParams(), B, T, 1), place)
			if err != nil {
				bb.Fatal(err)
			}
			defer g.Free()
			g.Generate(0, vel, ic, tg, pos, initPos)
			b.Synchronize()
			i := uint64(1)
			for bb.Loop() {
				g.Generate(i, vel, ic, tg, pos, initPos)
				b.Synchronize()
				i++
			}
			bb.ReportMetric(float64(bb.Elapsed().Nanoseconds())/1e3/float64(bb.N), "µs/batch")
		})
	}
}
