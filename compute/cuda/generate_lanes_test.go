//go:build !nocuda

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/sim"
)

// laneCase is one lane of testGenerateLanes: its walk and its code, each unlike the others'.
type laneCase struct {
	walk  sim.Params
	key   uint64
	kind  encode.Kind
	conv  string
	gpu   PlaceKind
	sigma float64
	surr  float64
	seed  uint64 // the centres' draw
}

// laneCases are three lanes that share nothing but B, T and Np: a Gaussian code in the default
// box, DoS (variance ratio) in a small box with a wide border band, and SoD in a periodic
// 1.5 m × 1 m box, each with its own σ, surround, centres and Philox key.
func laneCases() []laneCase {
	small, periodic := sim.DefaultParams(), sim.DefaultParams()
	small.BoxWidth, small.BoxHeight, small.BorderRegion = 0.5, 0.4, 0.1
	periodic.Periodic, periodic.BoxWidth, periodic.BoxHeight = true, 1.5, 1
	return []laneCase{
		{sim.DefaultParams(), 0x9e3779b97f4a7c15, encode.Gaussian, encode.SigmaRatio, PlaceGaussian, 0.12, 2, 1},
		{small, 0x243f6a8885a308d3, encode.DifferenceOfGaussians, encode.VarianceRatio, PlaceDifferenceOfSoftmaxes, 0.10, 2, 2},
		{periodic, 0x13198a2e03707344, encode.SoftmaxOfDifferences, encode.SigmaRatio, PlaceSoftmaxOfDifferences, 0.14, 1.5, 3},
	}
}

// code returns lane c's encode code of np cells and its PlaceParams.
func (c laneCase) code(t *testing.T, np int) (encode.Code, *PlaceParams) {
	t.Helper()
	ep := encode.Params{Kind: c.kind, Np: np, BoxWidth: 2.2, BoxHeight: 2.2, Sigma: encode.Dist{Kind: "const", A: c.sigma},
		Surround: encode.Dist{Kind: "const", A: c.surr}, SurroundConvention: c.conv}
	code, err := encode.New(ep, rand.New(rand.NewPCG(c.seed, 6)))
	if err != nil {
		t.Fatal(err)
	}
	centres, _ := code.Centres()
	return code, &PlaceParams{Kind: c.gpu, Centres: centres, Sigma: c.sigma, Surround: c.surr, VarianceRatio: c.conv == encode.VarianceRatio}
}

// laneSet is an ensemble tensor as compute/ensemble lays it out: the K lanes' rows×cols
// matrices side by side in one allocation, here with pad more columns that no lane owns.
type laneSet struct {
	all               compute.Tensor
	rows, cols, lanes int
	pad               int
	views             []compute.Tensor
}

const lanePad = 3

// newLaneSet returns a laneSet filled with NaN, so that a write outside the lanes shows.
func newLaneSet(b *Backend, lanes, rows, cols int) *laneSet {
	s := &laneSet{all: b.New(rows, lanes*cols+lanePad), rows: rows, cols: cols, lanes: lanes, pad: lanePad}
	nan := make([]float32, rows*(lanes*cols+lanePad))
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	b.Upload(s.all, nan)
	for k := range lanes {
		s.views = append(s.views, b.View(s.all, 0, k*cols, rows, cols))
	}
	return s
}

// lane returns lane k's values, after checking (once, for k 0) that the padding columns kept
// their NaN.
func (s *laneSet) lane(t *testing.T, b *Backend, what string, k int) []float32 {
	t.Helper()
	if k == 0 {
		w := s.lanes*s.cols + s.pad
		all := make([]float32, s.rows*w)
		b.Download(all, s.all)
		for r := range s.rows {
			for c := s.lanes * s.cols; c < w; c++ {
				if v := all[r*w+c]; !math.IsNaN(float64(v)) {
					t.Fatalf("%s: row %d column %d, past the lanes, was written (%v)", what, r, c, v)
				}
			}
		}
	}
	out := make([]float32, s.rows*s.cols)
	b.Download(out, s.views[k])
	return out
}

// sameBits fails t unless got and want are equal bit for bit.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, one lane launched alone %v", what, i, got[i], want[i])
		}
	}
}

// testGenerateLanes (TestGenerate's "lanes" subtests): one BatchGeneratorLanes launch of three
// lanes with different walks, kinds, widths and centres (laneCases) writes each lane's batch
// exactly as its generator launched alone does, bit for bit, into the lanes of ensemble-shaped
// tensors, and nothing beside them; that batch is sim's Philox walk bit for bit and encode's
// code within codeTol. B 7, T 4 make 35 positions a lane, which leave the last block of
// gc_gen_place's warp path (8 positions) part empty; Np 100 takes the warp path, Np 600 the
// block path. The lanes walk the same batch (the index as an argument) and different ones
// (the indices uploaded), and EncodePositions encodes positions in ensemble lanes and the same
// positions for every lane (inputs 0 floats apart).
func testGenerateLanes(t *testing.T, b *Backend) {
	const B, T = 7, 4
	cases := laneCases()
	K := len(cases)
	for _, np := range []int{100, 600} {
		t.Run(fmt.Sprintf("Np %d", np), func(t *testing.T) {
			gens := make([]*BatchGenerator, K)
			codes := make([]encode.Code, K)
			for k, c := range cases {
				var pp *PlaceParams
				codes[k], pp = c.code(t, np)
				g, err := b.NewBatchGenerator(walkParams(c.walk, B, T, c.key), pp)
				if err != nil {
					t.Fatal(err)
				}
				defer g.Free()
				gens[k] = g
			}
			l := NewBatchGeneratorLanes(gens)
			defer l.Free()
			if l.Lanes() != K {
				t.Fatalf("Lanes() = %d; want %d", l.Lanes(), K)
			}
			vel, pos, initPos := newLaneSet(b, K, T*B, 2), newLaneSet(b, K, T*B, 2), newLaneSet(b, K, B, 2)
			initCode, targets := newLaneSet(b, K, B, np), newLaneSet(b, K, T*B, np)
			alone := func(k int) (vel, pos, initPos, initCode, targets compute.Tensor) {
				return b.New(T*B, 2), b.New(T*B, 2), b.New(B, 2), b.New(B, np), b.New(T*B, np)
			}
			get := func(x compute.Tensor) []float32 {
				out := make([]float32, x.Rows()*x.Cols())
				b.Download(out, x)
				return out
			}
			for _, index := range [][]uint64{{1<<32 + 3, 1<<32 + 3, 1<<32 + 3}, {0, 5, 1<<32 + 7}} {
				t.Run(fmt.Sprintf("Generate %v", index), func(t *testing.T) {
					l.Generate(index, vel.views, initCode.views, targets.views, pos.views, initPos.views)
					for k, c := range cases {
						v, p, ip, ic, tg := alone(k)
						gens[k].Generate(index[k], v, ic, tg, p, ip)
						for _, o := range []struct {
							what  string
							lanes *laneSet
							alone compute.Tensor
						}{{"vel", vel, v}, {"pos", pos, p}, {"initPos", initPos, ip}, {"initCode", initCode, ic}, {"targets", targets, tg}} {
							sameBits(t, fmt.Sprintf("lane %d %s", k, o.what), o.lanes.lane(t, b, o.what, k), get(o.alone))
						}
						// The lane's own truth: sim's walk, encode's code.
						want := sim.NewBatch(B, T)
						if err := sim.PhiloxBatch(want, c.walk, c.key, index[k]); err != nil {
							t.Fatal(err)
						}
						sameBits(t, fmt.Sprintf("lane %d pos (against sim)", k), pos.lane(t, b, "pos", k), want.Pos)
						ref := codes[k].Encode(nil, want.Pos)
						got := targets.lane(t, b, "targets", k)
						for i := range ref {
							if d := math.Abs(float64(got[i] - ref[i])); !(d <= codeTol) {
								t.Fatalf("lane %d targets[%d] = %v, encode %v", k, i, got[i], ref[i])
							}
						}
						for _, x := range []compute.Tensor{v, p, ip, ic, tg} {
							b.Free(x)
						}
					}
				})
			}
			// EncodePositions of the positions just walked, in their lanes, and of lane 0's
			// positions for every lane.
			shared := func(s *laneSet) []compute.Tensor {
				return []compute.Tensor{s.views[0], s.views[0], s.views[0]}
			}
			for _, in := range []struct {
				name        string
				pos, initPs []compute.Tensor
			}{{"own positions", pos.views, initPos.views}, {"lane 0's positions", shared(pos), shared(initPos)}} {
				t.Run("EncodePositions "+in.name, func(t *testing.T) {
					ic, tg := newLaneSet(b, K, B, np), newLaneSet(b, K, T*B, np)
					l.EncodePositions(in.pos, in.initPs, ic.views, tg.views)
					for k := range K {
						aic, atg := b.New(B, np), b.New(T*B, np)
						gens[k].EncodePositions(in.pos[k], in.initPs[k], aic, atg)
						sameBits(t, fmt.Sprintf("lane %d initCode", k), ic.lane(t, b, "initCode", k), get(aic))
						sameBits(t, fmt.Sprintf("lane %d targets", k), tg.lane(t, b, "targets", k), get(atg))
						b.Free(aic)
						b.Free(atg)
					}
				})
			}
		})
	}
}

// panicMessage runs f and returns its panic's message, "" when it does not panic.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "(empty panic)"
			}
		}
	}()
	f()
	return ""
}

// testGenerateLanesMisuse: generators that cannot be lanes of one launch, and tensors that
// are not an ensemble's lanes, panic with a message that says what is wrong.
func testGenerateLanesMisuse(t *testing.T, b *Backend) {
	const B, T, np = 3, 2, 40
	c := laneCases()
	gen := func(c laneCase, np int) *BatchGenerator {
		_, pp := c.code(t, np)
		g, err := b.NewBatchGenerator(walkParams(c.walk, B, T, c.key), pp)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0, g1, other := gen(c[0], np), gen(c[1], np), gen(c[2], np+1)
	defer g0.Free()
	defer g1.Free()
	defer other.Free()
	freed := gen(c[2], np)
	freed.Free()
	l := NewBatchGeneratorLanes([]*BatchGenerator{g0, g1})
	defer l.Free()
	set := func(rows, cols int) []compute.Tensor { return newLaneSet(b, 2, rows, cols).views }
	vel, pos, initPos, initCode, targets := set(T*B, 2), set(T*B, 2), set(B, 2), set(B, np), set(T*B, np)
	// Lane 1 of targets one column right of where the distance of the other tensors puts it.
	skewed := b.New(T*B, 2*np+1)
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"no generators", "NewBatchGeneratorLanes of 0", func() { NewBatchGeneratorLanes(nil) }},
		{"different Np", "generator 1 has B=3, T=2, Np=41", func() { NewBatchGeneratorLanes([]*BatchGenerator{g0, other}) }},
		{"freed generator", "generator 1 is nil or freed", func() { NewBatchGeneratorLanes([]*BatchGenerator{g0, freed}) }},
		{"indices", "1 batch indices for 2 lanes", func() { l.Generate([]uint64{0}, vel, initCode, targets, pos, initPos) }},
		{"lanes", "1 vel tensors for 2 lanes", func() { l.Generate([]uint64{0, 0}, vel[:1], initCode, targets, pos, initPos) }},
		{"codes without", "initCode and targets must both be given", func() { l.Generate([]uint64{0, 0}, vel, nil, nil, pos, initPos) }},
		{"shape", "lane 1 of initPos, want 3×2", func() { l.Generate([]uint64{0, 0}, vel, initCode, targets, pos, []compute.Tensor{initPos[0], pos[1]}) }},
		{"not evenly spaced", "lane 2 of targets is not at 2 × the distance", func() {
			l3 := NewBatchGeneratorLanes([]*BatchGenerator{g0, g1, g0})
			defer l3.Free()
			tg := []compute.Tensor{b.View(skewed, 0, 0, T*B, np), b.View(skewed, 0, 1, T*B, np), b.View(skewed, 0, np+1, T*B, np)}
			l3.EncodePositions(set3(b, T*B, 2), set3(b, B, 2), set3(b, B, np), tg)
		}},
		{"overlapping outputs", "the 2 lanes of targets overlap", func() {
			l.EncodePositions(pos, initPos, initCode, []compute.Tensor{targets[0], targets[0]})
		}},
	} {
		msg := panicMessage(tc.f)
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s: panic %q; want one containing %q", tc.name, msg, tc.want)
		}
	}
}

// set3 returns the views of a new laneSet of 3 lanes.
func set3(b *Backend, rows, cols int) []compute.Tensor { return newLaneSet(b, 3, rows, cols).views }

// BenchmarkGenerateLanes times the codes of an ensemble step on the GPU to completion
// (Synchronize): 64 lanes of B 200, T 20, DoS with Np 512 (the NFL preset), encoded lane by
// lane (64 gc_gen_place launches, as train's ensembles did) and in one launch
// (BatchGeneratorLanes), each lane with its own centres.
func BenchmarkGenerateLanes(bb *testing.B) {
	if err := Available(); err != nil {
		bb.Skipf("no CUDA device: %v", err)
	}
	b, err := New(nil)
	if err != nil {
		bb.Fatal(err)
	}
	const K, B, T, np = 64, 200, 20, 512
	gens := make([]*BatchGenerator, K)
	for k := range gens {
		ep := encode.Params{Kind: encode.DifferenceOfGaussians, Np: np, BoxWidth: 2.2, BoxHeight: 2.2,
			Sigma: encode.Dist{Kind: "const", A: 0.12}, Surround: encode.Dist{Kind: "const", A: 2}}
		code, err := encode.New(ep, rand.New(rand.NewPCG(uint64(k), 6)))
		if err != nil {
			bb.Fatal(err)
		}
		centres, _ := code.Centres()
		if gens[k], err = b.NewBatchGenerator(walkParams(sim.DefaultParams(), B, T, uint64(k)),
			&PlaceParams{Kind: PlaceDifferenceOfSoftmaxes, Centres: centres, Sigma: 0.12, Surround: 2}); err != nil {
			bb.Fatal(err)
		}
		defer gens[k].Free()
	}
	l := NewBatchGeneratorLanes(gens)
	defer l.Free()
	set := func(rows, cols int) []compute.Tensor {
		all := b.New(rows, K*cols)
		views := make([]compute.Tensor, K)
		for k := range views {
			views[k] = b.View(all, 0, k*cols, rows, cols)
		}
		return views
	}
	pos, initPos, initCode, targets := set(T*B, 2), set(B, 2), set(B, np), set(T*B, np)
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"lane by lane", func() {
			for k, g := range gens {
				g.EncodePositions(pos[k], initPos[k], initCode[k], targets[k])
			}
		}},
		{"one launch", func() { l.EncodePositions(pos, initPos, initCode, targets) }},
	} {
		bb.Run(tc.name, func(bb *testing.B) {
			tc.run()
			b.Synchronize()
			for bb.Loop() {
				tc.run()
				b.Synchronize()
			}
			bb.ReportMetric(float64(bb.Elapsed().Nanoseconds())/1e3/float64(bb.N), "µs/step")
		})
	}
}
