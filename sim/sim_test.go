package sim

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gridcells/gridcells/config"
)

// chiSquareP is the significance level of every distribution test: a correct
// implementation fails one such test with probability 1e-4 per seed, and seeds are fixed.
const chiSquareP = 1e-4

// chiSquareCritical returns the value a chi-square statistic with df degrees of freedom
// exceeds with probability chiSquareP.
func chiSquareCritical(df int) float64 {
	return distuv.ChiSquared{K: float64(df)}.Quantile(1 - chiSquareP)
}

func mustNew(t testing.TB, p Params, seed uint64) *Generator {
	t.Helper()
	g, err := NewSeed(p, seed)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// wallDist is the distance from (x, y) to the nearest wall of a w×h box (negative outside).
func wallDist(x, y float32, w, h float64) float64 {
	X, Y := float64(x), float64(y)
	return min(w/2-X, h/2-Y, w/2+X, h/2+Y)
}

// sorscherReference holds the statistics of sorscher_reference.py (see its header).
type sorscherReference struct {
	Provenance        string    `json:"provenance"`
	Steps             int       `json:"steps"`
	MeanStepLength    float64   `json:"mean_step_length"`
	FracBand          float64   `json:"frac_band"`
	FracOutside       float64   `json:"frac_outside"`
	InteriorTurnStd   float64   `json:"interior_turn_std"`
	InteriorTurnCount int       `json:"interior_turn_count"`
	OccupancyBins     int       `json:"occupancy_bins"`
	Occupancy         [][]int64 `json:"occupancy"`
}

func loadReference(t *testing.T) sorscherReference {
	b, err := os.ReadFile("testdata/sorscher_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r sorscherReference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSorscherStatistics compares 10⁶ steps of the default walk with the NumPy reference
// implementation of spec §1.1 and with closed forms.
func TestSorscherStatistics(t *testing.T) {
	for _, rng := range []RNG{PCG, Philox} {
		t.Run(string(rng), func(t *testing.T) {
			p := DefaultParams()
			p.RNG = rng
			testSorscherStatistics(t, p)
		})
	}
}

// testSorscherStatistics is TestSorscherStatistics for the walk of p (default constants).
func testSorscherStatistics(t *testing.T, p Params) {
	const (
		B, T, nBatch = 1000, 20, 200 // 4·10⁶ steps
		occBatches   = 200           // 2·10⁵ independent positions for the occupancy tests
		// Tolerances are about five standard errors at 4·10⁶ steps. Steps along a
		// trajectory are correlated (walkers follow walls), so the errors were measured
		// as the spread over 12 seeds at 10⁶ steps (std 0.0009 for the band fraction,
		// 0.00025 outside, 1.3e-5 m for the mean step) and halved; the reference's own
		// error, at 2·10⁷ steps, is smaller still.
		meanStepTol   = 4e-5   // m
		fracBandTol   = 2.5e-3 // fraction of targets within BorderRegion of a wall
		fracOutTol    = 6e-4   // fraction of targets outside the box
		turnStdTol    = 5e-4   // rad; SE of a std from 3.5·10⁶ normals is 8.7e-5
		turnHistBins  = 24     // over ±3 std
		interiorBound = 0.6    // m; occupancy is uniform for |x|, |y| < 0.6 (see the reference's occupancy)
		interiorBins  = 12     // 10 cm bins over the interior square
		wantTurnStd   = 0.2304 // spec §1.1: per-step turn std 11.52·0.02 rad
	)
	ref := loadReference(t)
	g := mustNew(t, p, 1)
	batch := NewBatch(B, T)

	var steps, band, outside int
	var sumLen float64
	var turns []float64
	for range nBatch {
		g.Next(batch)
		for i := 0; i < T; i++ {
			for b := 0; b < B; b++ {
				k := i*B + b
				ux, uy := float64(batch.Vel[2*k]), float64(batch.Vel[2*k+1])
				x, y := batch.Pos[2*k], batch.Pos[2*k+1]
				steps++
				sumLen += math.Hypot(ux, uy)
				d := wallDist(x, y, p.BoxWidth, p.BoxHeight)
				if d < p.BorderRegion {
					band++
				}
				if d < 0 {
					outside++
				}
				if i == 0 {
					continue
				}
				// Turn i used the wall check at P[i]: InitPos for i = 1, target i−2 after.
				wx, wy := batch.InitPos[2*b], batch.InitPos[2*b+1]
				if i >= 2 {
					wx, wy = batch.Pos[2*((i-2)*B+b)], batch.Pos[2*((i-2)*B+b)+1]
				}
				if wallDist(wx, wy, p.BoxWidth, p.BoxHeight) >= p.BorderRegion {
					turns = append(turns, wrapAngle(float64(batch.Heading[k])-float64(batch.Heading[k-B])))
				}
			}
		}
	}

	meanLen := sumLen / float64(steps)
	if math.Abs(meanLen-ref.MeanStepLength) > meanStepTol {
		t.Errorf("mean step length %.6f m, reference %.6f m", meanLen, ref.MeanStepLength)
	}
	// Without walls the mean step is b·√(π/2)·dt; the wall slow-down only lowers it.
	if free := p.SpeedScale * math.Sqrt(math.Pi/2) * p.Dt; meanLen >= free {
		t.Errorf("mean step length %.6f m not below the wall-free %.6f m", meanLen, free)
	}
	if f := float64(band) / float64(steps); math.Abs(f-ref.FracBand) > fracBandTol {
		t.Errorf("fraction of targets within %v m of a wall %.5f, reference %.5f", p.BorderRegion, f, ref.FracBand)
	}
	if f := float64(outside) / float64(steps); math.Abs(f-ref.FracOutside) > fracOutTol || f == 0 {
		t.Errorf("fraction of targets outside the box %.5f, reference %.5f", f, ref.FracOutside)
	}

	// Turns away from walls are pure noise N(0, 0.2304²).
	var ss float64
	for _, x := range turns {
		ss += x * x
	}
	turnStd := math.Sqrt(ss / float64(len(turns)))
	if math.Abs(turnStd-wantTurnStd) > turnStdTol {
		t.Errorf("interior turn std %.5f rad, want %.4f", turnStd, wantTurnStd)
	}
	normal := distuv.Normal{Sigma: wantTurnStd}
	edges := make([]float64, turnHistBins+1)
	for i := range edges {
		edges[i] = wantTurnStd * (-3 + 6*float64(i)/turnHistBins)
	}
	hist := make([]float64, turnHistBins+2) // plus both tails
	for _, x := range turns {
		j := 0
		for j < len(edges) && x >= edges[j] {
			j++
		}
		hist[j]++
	}
	var chi float64
	for j := range hist {
		lo, hi := math.Inf(-1), math.Inf(1)
		if j > 0 {
			lo = edges[j-1]
		}
		if j < len(edges) {
			hi = edges[j]
		}
		want := float64(len(turns)) * (normal.CDF(hi) - normal.CDF(lo))
		chi += (hist[j] - want) * (hist[j] - want) / want
	}
	if crit := chiSquareCritical(len(hist) - 1); chi > crit {
		t.Errorf("interior turn histogram: chi-square %.1f against N(0, %.4f²) exceeds %.1f", chi, wantTurnStd, crit)
	}

	// Occupancy: homogeneous with the reference over the whole box (two-sample
	// chi-square), and uniform over the interior. Positions along one trajectory are
	// strongly correlated (5 steps per 10 cm bin), which would inflate the chi-square,
	// so each trajectory contributes one target at a uniformly drawn step: the samples are
	// independent and follow the reference's occupancy pooled over steps.
	nb := ref.OccupancyBins
	occ := make([]int64, nb*nb)
	interior := make([]int64, interiorBins*interiorBins)
	pick := rand.New(rand.NewPCG(9, 9))
	for range occBatches {
		g.Next(batch)
		for b := 0; b < B; b++ {
			k := pick.IntN(T)*B + b
			x, y := batch.Pos[2*k], batch.Pos[2*k+1]
			if wallDist(x, y, p.BoxWidth, p.BoxHeight) >= 0 {
				ix := min(int((float64(x)+p.BoxWidth/2)/p.BoxWidth*float64(nb)), nb-1)
				iy := min(int((float64(y)+p.BoxHeight/2)/p.BoxHeight*float64(nb)), nb-1)
				occ[ix*nb+iy]++
			}
			if math.Abs(float64(x)) < interiorBound && math.Abs(float64(y)) < interiorBound {
				ix := int((float64(x) + interiorBound) / (2 * interiorBound) * interiorBins)
				iy := int((float64(y) + interiorBound) / (2 * interiorBound) * interiorBins)
				interior[ix*interiorBins+iy]++
			}
		}
	}
	var refTotal, goTotal float64
	for i := range occ {
		refTotal += float64(ref.Occupancy[i/nb][i%nb])
		goTotal += float64(occ[i])
	}
	chi = 0
	for i := range occ {
		a, r := float64(occ[i]), float64(ref.Occupancy[i/nb][i%nb])
		d := math.Sqrt(refTotal/goTotal)*a - math.Sqrt(goTotal/refTotal)*r
		chi += d * d / (a + r)
	}
	if crit := chiSquareCritical(nb*nb - 1); chi > crit {
		t.Errorf("occupancy differs from the reference: chi-square %.1f exceeds %.1f", chi, crit)
	}
	var total float64
	for _, c := range interior {
		total += float64(c)
	}
	want := total / float64(len(interior))
	chi = 0
	for _, c := range interior {
		chi += (float64(c) - want) * (float64(c) - want) / want
	}
	if crit := chiSquareCritical(len(interior) - 1); chi > crit {
		t.Errorf("interior occupancy not uniform: chi-square %.1f exceeds %.1f", chi, crit)
	}
	t.Logf("steps %d: mean step %.6f m (ref %.6f), band %.5f (ref %.5f), outside %.5f (ref %.5f), interior turn std %.5f",
		steps, meanLen, ref.MeanStepLength, float64(band)/float64(steps), ref.FracBand,
		float64(outside)/float64(steps), ref.FracOutside, turnStd)
}

// checkAlignment verifies target t = target t−1 + input t (InitPos for t = 0) exactly in
// float32, through the wrap when periodic.
func checkAlignment(t *testing.T, p Params, b *Batch) {
	t.Helper()
	for i := 0; i < b.T; i++ {
		for j := 0; j < b.B; j++ {
			k := i*b.B + j
			px, py := b.InitPos[2*j], b.InitPos[2*j+1]
			if i > 0 {
				px, py = b.Pos[2*(k-b.B)], b.Pos[2*(k-b.B)+1]
			}
			wx, wy := px+b.Vel[2*k], py+b.Vel[2*k+1]
			if p.Periodic && p.RNG == Philox {
				wx, wy = wrapCoord32(wx, float32(p.BoxWidth), float32(p.BoxWidth/2)), wrapCoord32(wy, float32(p.BoxHeight), float32(p.BoxHeight/2))
			} else if p.Periodic {
				wx, wy = wrapCoord(wx, p.BoxWidth), wrapCoord(wy, p.BoxHeight)
			}
			if b.Pos[2*k] != wx || b.Pos[2*k+1] != wy {
				t.Fatalf("step %d, trajectory %d: target (%v, %v) != previous + input (%v, %v)", i, j, b.Pos[2*k], b.Pos[2*k+1], wx, wy)
			}
		}
	}
}

func TestAlignmentAndBox(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*Params)
		inside bool // every position must lie in the box
	}{
		{"sorscher", func(*Params) {}, false},
		{"sorscher periodic", func(p *Params) { p.Periodic = true }, true},
		{"sorscher 1x0.5", func(p *Params) { p.BoxWidth, p.BoxHeight = 1, 0.5 }, false},
		{"philox", func(p *Params) { p.RNG = Philox }, false},
		{"philox periodic", func(p *Params) { p.RNG = Philox; p.Periodic = true }, true},
		{"philox 1x0.5", func(p *Params) { p.RNG = Philox; p.BoxWidth, p.BoxHeight = 1, 0.5 }, false},
		{"ratinabox", func(p *Params) { p.Model = RatInABox }, true},
		{"ratinabox periodic", func(p *Params) { p.Model = RatInABox; p.Periodic = true }, true},
		{"ratinabox 1x0.5", func(p *Params) { p.Model = RatInABox; p.BoxWidth, p.BoxHeight = 1, 0.5 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.edit(&p)
			g := mustNew(t, p, 7)
			b := NewBatch(500, 200)
			g.Next(b)
			checkAlignment(t, p, b)
			// float32 rounding of a position on the wall may overshoot it by one ulp.
			const edgeTol = 1e-6
			var outside int
			for k := 0; k < len(b.Pos); k += 2 {
				if wallDist(b.Pos[k], b.Pos[k+1], p.BoxWidth, p.BoxHeight) < -edgeTol {
					outside++
				}
				if p.Periodic && (float64(b.Pos[k]) >= p.BoxWidth/2 || float64(b.Pos[k+1]) >= p.BoxHeight/2) {
					t.Fatalf("periodic position (%v, %v) on the far edge", b.Pos[k], b.Pos[k+1])
				}
			}
			for k := 0; k < len(b.InitPos); k += 2 {
				if wallDist(b.InitPos[k], b.InitPos[k+1], p.BoxWidth, p.BoxHeight) < -edgeTol {
					outside++ // Sorscher's InitPos is P[1], one step after the uniform P[0]
				}
			}
			if tc.inside && outside > 0 {
				t.Errorf("%d of %d positions outside the box", outside, len(b.Pos)/2)
			}
			for _, h := range append(b.Heading, b.InitHeading...) {
				// float32 headings: the Philox walk's −π is π rounded to float32 (below −π).
				if h < -pi32 || h >= pi32 {
					t.Fatalf("heading %v outside [−π, π)", h)
				}
			}
		})
	}
}

// TestSorscherHeadingIsStepDirection checks the alignment of step 6: input t moves along
// Heading[t].
func TestSorscherHeadingIsStepDirection(t *testing.T) {
	const angleTol = 1e-5 // rad; float32 rounding of short displacements
	g := mustNew(t, DefaultParams(), 3)
	b := NewBatch(100, 50)
	g.Next(b)
	for k := range b.Heading {
		ux, uy := float64(b.Vel[2*k]), float64(b.Vel[2*k+1])
		if math.Hypot(ux, uy) < 1e-4 {
			continue
		}
		if d := math.Abs(wrapAngle(math.Atan2(uy, ux) - float64(b.Heading[k]))); d > angleTol {
			t.Fatalf("step %d moves at %v rad, heading %v", k, math.Atan2(uy, ux), b.Heading[k])
		}
	}
}

// sincos against math.Sincos over the wrapped headings and a margin beyond.
func TestSincos(t *testing.T) {
	const tol = 1e-11
	worst := 0.0
	for h := -2 * math.Pi; h <= 2*math.Pi; h += 1e-4 {
		s, c := sincos(h)
		ws, wc := math.Sincos(h)
		worst = max(worst, math.Abs(s-ws), math.Abs(c-wc))
	}
	for _, h := range []float64{0, math.Pi / 4, math.Pi / 2, -math.Pi / 2, math.Pi, -math.Pi, 3 * math.Pi / 4, -3 * math.Pi / 4} {
		s, c := sincos(h)
		ws, wc := math.Sincos(h)
		worst = max(worst, math.Abs(s-ws), math.Abs(c-wc))
	}
	if worst > tol {
		t.Errorf("sincos differs from math.Sincos by %g", worst)
	}
}

func TestAvoidWall(t *testing.T) {
	const hw, hh, border, slow = 1.1, 1.1, 0.03, 0.25
	for _, tc := range []struct {
		name            string
		x, y, h         float64
		turn, speedMult float64
	}{
		{"interior", 0, 0, 0, 0, 1},
		{"right wall, heading 30° left of it", 1.09, 0, math.Pi / 6, math.Pi / 3, slow},
		{"right wall, heading 30° right of it", 1.09, 0, -math.Pi / 6, -math.Pi / 3, slow},
		{"right wall, heading away", 1.09, 0, math.Pi, 0, 1},
		{"right wall, head on", 1.09, 0, 0, 0, slow},
		{"top wall, heading along +x +10°", 0, 1.08, math.Pi/2 - 80*math.Pi/180, -10 * math.Pi / 180, slow},
		{"left wall, heading 3π/4", -1.09, 0.5, 3 * math.Pi / 4, -math.Pi / 4, slow},
		{"bottom wall from 7π/4 + 2π", 0.3, -1.08, 7*math.Pi/4 + 2*math.Pi, math.Pi / 4, slow},
		{"just outside the band", 1.1 - border, 0, 0, 0, 1},
		{"outside the box", 1.2, 0, 0.1, math.Pi/2 - 0.1, slow},
	} {
		turn, v := avoidWall(tc.x, tc.y, tc.h, 1, hw, hh, border, slow)
		if math.Abs(turn-tc.turn) > 1e-12 || v != tc.speedMult {
			t.Errorf("%s: turn %v speed ×%v, want %v ×%v", tc.name, turn, v, tc.turn, tc.speedMult)
		}
	}
}

func TestDeterminismAndCheckpoint(t *testing.T) {
	for _, model := range []MotionModel{Sorscher, RatInABox, "philox"} {
		p := DefaultParams()
		p.Model = model
		if model == "philox" {
			p.Model, p.RNG = Sorscher, Philox
		}
		a, b := mustNew(t, p, 42), mustNew(t, p, 42)
		ba, bb := NewBatch(20, 30), NewBatch(20, 30)
		a.Next(ba)
		b.Next(bb)
		if !batchesEqual(ba, bb) {
			t.Fatalf("%s: same seed, different batches", model)
		}
		c := mustNew(t, p, 43)
		c.Next(bb)
		if batchesEqual(ba, bb) {
			t.Fatalf("%s: different seeds, same batch", model)
		}
		// Checkpoint after one batch, draw two more, restore, and redraw.
		state, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		a.Next(ba)
		a.Next(ba)
		restored := mustNew(t, p, 999)
		if err := restored.UnmarshalBinary(state); err != nil {
			t.Fatal(err)
		}
		restored.Next(bb)
		restored.Next(bb)
		if !batchesEqual(ba, bb) {
			t.Fatalf("%s: restored generator diverges", model)
		}
	}
}

// The Sorscher walk's chunks run on as many goroutines as are free: the batch must not depend
// on how many there are, nor on whether a chunk boundary falls inside B.
func TestSorscherIndependentOfGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, B := range []int{1, sorscherChunk, 3*sorscherChunk + 5} {
		var want *Batch
		for _, procs := range []int{1, 2, 5} {
			runtime.GOMAXPROCS(procs)
			g := mustNew(t, DefaultParams(), 11)
			b := NewBatch(B, 7)
			for range 3 { // the pool's workers start with the first call
				g.Next(b)
			}
			if want == nil {
				want = b
			} else if !batchesEqual(b, want) {
				t.Fatalf("B=%d: GOMAXPROCS %d gives a different batch than GOMAXPROCS 1", B, procs)
			}
		}
	}
}

// A batch drawn in parts of SplitSize multiples holds the same trajectories as one batch.
func TestSplitSize(t *testing.T) {
	const B, T = 3*sorscherChunk + 5, 6
	g := mustNew(t, DefaultParams(), 4)
	s := g.SplitSize()
	if s != sorscherChunk {
		t.Fatalf("Sorscher/PCG SplitSize = %d; want %d", s, sorscherChunk)
	}
	whole := NewBatch(B, T)
	g.Next(whole)
	after := NewBatch(1, T)
	g.Next(after)

	g = mustNew(t, DefaultParams(), 4)
	b0 := 0
	for _, n := range []int{2 * s, s, B - 3*s} {
		part := NewBatch(n, T)
		g.Next(part)
		for b := range n {
			if !trajectoryEqual(part, b, whole, b0+b, T) {
				t.Fatalf("part of %d, trajectory %d differs from trajectory %d of the whole batch", n, b, b0+b)
			}
		}
		b0 += n
	}
	// The generator is left in the same state: the next batch is the same too.
	again := NewBatch(1, T)
	g.Next(again)
	if !batchesEqual(again, after) {
		t.Error("the batch after the parts differs from the batch after the whole")
	}

	for name, p := range map[string]Params{"ratinabox": DefaultRatInABoxParams(), "philox": philoxParams()} {
		if s := mustNew(t, p, 4).SplitSize(); s != 0 {
			t.Errorf("%s: SplitSize = %d; want 0", name, s)
		}
	}
}

func batchesEqual(a, b *Batch) bool {
	eq := func(x, y []float32) bool {
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return len(x) == len(y)
	}
	return a.B == b.B && a.T == b.T && eq(a.InitPos, b.InitPos) && eq(a.InitHeading, b.InitHeading) &&
		eq(a.Vel, b.Vel) && eq(a.Pos, b.Pos) && eq(a.Heading, b.Heading)
}

func TestNextDoesNotAllocate(t *testing.T) {
	for _, model := range []MotionModel{Sorscher, RatInABox, "philox"} {
		p := DefaultParams()
		p.Model = model
		if model == "philox" {
			p.Model, p.RNG = Sorscher, Philox
		}
		g := mustNew(t, p, 1)
		b := NewBatch(200, 20)
		g.Next(b)
		if n := testing.AllocsPerRun(20, func() { g.Next(b) }); n != 0 {
			t.Errorf("%s: Next allocates %v times per call", model, n)
		}
	}
}

func TestNextPanicsOnBadBatch(t *testing.T) {
	g := mustNew(t, DefaultParams(), 1)
	b := NewBatch(3, 4)
	b.Vel = b.Vel[:5]
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "sim: ") {
			t.Errorf("recover() = %v, want a sim: panic", r)
		}
	}()
	g.Next(b)
}

// TestRatInABoxStationary checks, in a periodic box where no wall acts, that the speed
// is Rayleigh(SpeedMean) (mean SpeedMean·√(π/2)) and the rotational velocity has std
// RotVelStd, the parameters of the OU processes (ecosystem.md §2.2).
func TestRatInABoxStationary(t *testing.T) {
	const (
		B, T = 2000, 250
		// Relative tolerances: the speed OU has τ = 0.7 s = 35 steps, leaving ≈ 7000
		// independent samples (relative SE of the mean 0.6%); ω has τ = 4 steps (SE of
		// the std ≈ 0.3%).
		speedMeanRelTol = 0.03
		rotStdRelTol    = 0.015
	)
	p := DefaultRatInABoxParams()
	p.Periodic = true
	g := mustNew(t, p, 5)
	b := NewBatch(B, T)
	g.Next(b)
	var sumSpeed, sumW2 float64
	var nW int
	speeds := make([]float64, 0, B*T)
	for i := 0; i < T; i++ {
		for j := 0; j < B; j++ {
			k := i*B + j
			s := math.Hypot(float64(b.Vel[2*k]), float64(b.Vel[2*k+1])) / p.Dt
			sumSpeed += s
			speeds = append(speeds, s)
			prev := float64(b.InitHeading[j])
			if i > 0 {
				prev = float64(b.Heading[k-B])
			}
			w := wrapAngle(float64(b.Heading[k])-prev) / p.Dt
			sumW2 += w * w
			nW++
		}
	}
	wantMean := p.OU.SpeedMean * math.Sqrt(math.Pi/2)
	if got := sumSpeed / float64(B*T); math.Abs(got/wantMean-1) > speedMeanRelTol {
		t.Errorf("mean speed %.5f m/s, want %.5f (Rayleigh σ = %v)", got, wantMean, p.OU.SpeedMean)
	}
	if got := math.Sqrt(sumW2 / float64(nW)); math.Abs(got/p.OU.RotVelStd-1) > rotStdRelTol {
		t.Errorf("rotational velocity std %.4f rad/s, want %.4f", got, p.OU.RotVelStd)
	}
	// Median of Rayleigh(σ) is σ√(2 ln 2).
	var below int
	med := p.OU.SpeedMean * math.Sqrt(2*math.Ln2)
	for _, s := range speeds {
		if s < med {
			below++
		}
	}
	if f := float64(below) / float64(len(speeds)); math.Abs(f-0.5) > speedMeanRelTol {
		t.Errorf("fraction of speeds below the Rayleigh median %.4f, want 0.5", f)
	}
}

func TestRayleighNormalMaps(t *testing.T) {
	const tol = 1e-9
	for _, z := range []float64{-4.5, -3, -1, -0.1, 0, 0.3, 1, 2.5, 4.5} {
		s := normalToRayleigh(z, 0.08)
		if back := rayleighToNormal(s, 0.08); math.Abs(back-z) > tol {
			t.Errorf("z = %v → speed %v → %v", z, s, back)
		}
	}
	// The median maps to 0.
	if z := rayleighToNormal(0.08*math.Sqrt(2*math.Ln2), 0.08); math.Abs(z) > tol {
		t.Errorf("Rayleigh median maps to %v, want 0", z)
	}
}

func TestNewNilSource(t *testing.T) {
	if _, err := New(DefaultParams(), nil); err == nil {
		t.Error("New with a nil source succeeded")
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultRatInABoxParams().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Params)
	}{
		{"motion_model", func(p *Params) { p.Model = "brownian" }},
		{"box_width", func(p *Params) { p.BoxWidth = 0 }},
		{"box_height", func(p *Params) { p.BoxHeight = math.NaN() }},
		{"dt", func(p *Params) { p.Dt = -0.02 }},
		{"dt", func(p *Params) { p.Dt = 1e308 }}, // overflowed every position to NaN
		{"border_region", func(p *Params) { p.Periodic = true; p.BorderRegion = -0.1 }},
		{"rot_vel_std", func(p *Params) { p.RotVelStd = -1 }},
		{"speed_scale", func(p *Params) { p.SpeedScale = 0 }},
		{"border_region", func(p *Params) { p.BorderRegion = 1.1 }},
		{"border_slowdown", func(p *Params) { p.BorderSlowdown = 2 }},
		{"riab_speed_mean", func(p *Params) { p.Model = RatInABox; p.OU.SpeedMean = 0 }},
		{"riab_speed_coherence_time", func(p *Params) { p.Model = RatInABox; p.OU.SpeedCoherence = 0 }},
		{"riab_rot_vel_std", func(p *Params) { p.Model = RatInABox; p.OU.RotVelStd = math.Inf(1) }},
		{"riab_rot_vel_coherence_time", func(p *Params) { p.Model = RatInABox; p.OU.RotVelCoherence = -1 }},
		{"riab_wall_repel_distance", func(p *Params) { p.Model = RatInABox; p.OU.WallRepelDistance = 5 }},
		{"riab_wall_repel_strength", func(p *Params) { p.Model = RatInABox; p.OU.WallRepelStrength = -1 }},
		{"riab_thigmotaxis", func(p *Params) { p.Model = RatInABox; p.OU.Thigmotaxis = 1.5 }},
		{"rng", func(p *Params) { p.RNG = "mt19937" }},
		{"rng", func(p *Params) { p.Model = RatInABox; p.RNG = Philox }},
	} {
		p := DefaultParams()
		tc.edit(&p)
		err := p.Validate()
		var ce *config.ConfigError
		if !errors.As(err, &ce) || ce.Key != "trajectory."+tc.field || !errors.Is(err, config.ErrBadValue) {
			t.Errorf("%s: Validate() = %v, want a ConfigError with key trajectory.%s wrapping ErrBadValue", tc.field, err, tc.field)
		}
		if _, err := New(p, rand.NewPCG(1, 2)); err == nil {
			t.Errorf("%s: New accepted invalid params", tc.field)
		}
	}
}

// A periodic box has no walls: a box smaller than the wall bands is fine, for either model.
func TestValidatePeriodicSmallBox(t *testing.T) {
	for _, p := range []Params{DefaultParams(), DefaultRatInABoxParams()} {
		p.Periodic, p.BoxWidth, p.BoxHeight = true, 0.05, 0.05
		if err := p.Validate(); err != nil {
			t.Errorf("%s, periodic 0.05 m box: %v", p.Model, err)
		}
		p.Periodic = false
		if err := p.Validate(); err == nil {
			t.Errorf("%s, walled 0.05 m box: accepted, with its wall band wider than half the box", p.Model)
		}
	}
}

func TestFromConfig(t *testing.T) {
	c := config.Trajectory{
		MotionModel: "ratinabox", BoxWidth: 1.5, BoxHeight: 1, Dt: 0.01, Periodic: true,
		RotVelStd: 11.52, SpeedScale: 0.8, BorderRegion: 0.03, BorderSlowdown: 0.25,
		RIABSpeedMean: 0.1, RIABSpeedCoherence: 0.7, RIABRotVelStd: 2, RIABRotVelCoherence: 0.08,
		RIABWallRepelDistance: 0.1, RIABWallRepelStrength: 1, RIABThigmotaxis: 0.3,
	}
	p, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if p.Model != RatInABox || p.BoxWidth != 1.5 || p.BoxHeight != 1 || p.Dt != 0.01 || !p.Periodic ||
		p.OU.SpeedMean != 0.1 || p.OU.Thigmotaxis != 0.3 || p.SpeedScale != 0.8 {
		t.Errorf("FromConfig = %+v", p)
	}
	c.BoxWidth = 0
	if _, err := FromConfig(c); err == nil || !strings.Contains(err.Error(), "box_width") {
		t.Errorf("FromConfig with zero width: %v", err)
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 0}, {math.Pi, -math.Pi}, {-math.Pi, -math.Pi}, {3 * math.Pi / 2, -math.Pi / 2}, {-7, -7 + 2*math.Pi},
	} {
		if got := wrapAngle(tc.in); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("wrapAngle(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want float32 }{{1.1, -1.1}, {1.2, -1.0}, {-1.2, 1.0}, {0.5, 0.5}} {
		if got := wrapCoord(tc.in, 2.2); math.Abs(float64(got-tc.want)) > 1e-6 {
			t.Errorf("wrapCoord(%v, 2.2) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func BenchmarkSorscherBatch(b *testing.B) {
	benchmarkBatch(b, DefaultParams())
}

func BenchmarkPhiloxBatch(b *testing.B) {
	p := DefaultParams()
	p.RNG = Philox
	benchmarkBatch(b, p)
}

func BenchmarkRatInABoxBatch(b *testing.B) {
	benchmarkBatch(b, DefaultRatInABoxParams())
}

func benchmarkBatch(b *testing.B, p Params) {
	g := mustNew(b, p, 1)
	batch := NewBatch(200, 20)
	g.Next(batch)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g.Next(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(200*20), "ns/step")
}
