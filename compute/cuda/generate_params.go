package cuda

import (
	"fmt"
	"math"
)

// The parameters of BatchGenerator (generate.go), shared with the nocuda build.

// PlaceKind selects the place-cell code of a BatchGenerator (spec §2.2, global normalisation).
type PlaceKind int

const (
	// PlaceGaussian is softmax_i(−d_i²/(2σ²)) (encode "gaussian", normalization global).
	PlaceGaussian PlaceKind = iota
	// PlaceDifferenceOfSoftmaxes is DoS: softmax_i(−d_i²/(2σ_E²)) − softmax_i(−d_i²/(2σ_I²)),
	// then shift-and-normalise (encode "difference_of_gaussians", normalization global).
	PlaceDifferenceOfSoftmaxes
	// PlaceSoftmaxOfDifferences is SoD: softmax_i(−d_i²/(2σ_E²) + d_i²/(2σ_I²)) (encode
	// "softmax_of_differences").
	PlaceSoftmaxOfDifferences
)

// WalkParams are the plain-number parameters of the Philox random walk (sim's Params with RNG
// Philox; spec §1.1). The kernel receives each float64 rounded once to float32 (BoxWidth/2
// and RotVelStd·Dt computed in float64 first), exactly as sim's walk rounds them.
type WalkParams struct {
	B, T int    // trajectories per batch and steps per trajectory
	Key  uint64 // the Philox key: sim.Generator.PhiloxState's key

	BoxWidth, BoxHeight float64 // m
	Dt                  float64 // s per step
	Periodic            bool
	RotVelStd           float64 // rad/s
	SpeedScale          float64 // m/s, Rayleigh scale of the speed
	BorderRegion        float64 // m
	BorderSlowdown      float64
}

// PlaceParams are the plain-number parameters of a place-cell code with one round field per
// cell and one width for all cells (encode's fast path: the presets' codes).
type PlaceParams struct {
	Kind PlaceKind
	// Centres holds the Np cells' centres as (x, y) pairs, m: encode.Code.Centres() of a
	// one-field code.
	Centres []float32
	Sigma   float64 // σ_E, m
	// Surround is the surround factor s of DoS and SoD: σ_I = s·σ_E, or σ_I² = s·σ_E² when
	// VarianceRatio is set (Sorscher's convention). Rounded as encode rounds it: σ_E to float32,
	// then σ_I = float32(σ_E·s) or float32(σ_E·√s) in float64.
	Surround      float64
	VarianceRatio bool
}

// maxPlaceCells is the most cells a place code may have: GEN_CELLS_PER_THREAD (8) cells for
// each of 1024 threads.
const (
	genCellsPerThread = 8
	maxPlaceCells     = genCellsPerThread * 1024
)

// float32s returns gc_gen_walk's float parameters, each rounded once from float64 as sim's
// walk rounds them: BoxWidth/2, BoxHeight/2, BoxWidth, BoxHeight, Dt, RotVelStd·Dt, SpeedScale,
// BorderRegion, BorderSlowdown.
func (w WalkParams) float32s() [9]float32 {
	return [9]float32{float32(w.BoxWidth / 2), float32(w.BoxHeight / 2), float32(w.BoxWidth), float32(w.BoxHeight),
		float32(w.Dt), float32(w.RotVelStd * w.Dt), float32(w.SpeedScale), float32(w.BorderRegion), float32(w.BorderSlowdown)}
}

// validate reports the first invalid field of w, as sim.Params.Validate does.
func (w WalkParams) validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("cuda: WalkParams.%s = %v: %s", field, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case w.B < 1:
		return bad("B", w.B, "want at least 1 trajectory")
	case w.T < 1:
		return bad("T", w.T, "want at least 1 step")
	case int64(w.B)*int64(w.T+1) > math.MaxInt32:
		return bad("B", w.B, fmt.Sprintf("B·(T+1) must stay below 2³¹ (T = %d)", w.T))
	case !finite(w.BoxWidth) || w.BoxWidth <= 0:
		return bad("BoxWidth", w.BoxWidth, "want a positive length in m")
	case !finite(w.BoxHeight) || w.BoxHeight <= 0:
		return bad("BoxHeight", w.BoxHeight, "want a positive length in m")
	case !finite(w.Dt) || w.Dt <= 0:
		return bad("Dt", w.Dt, "want a positive time step in s")
	case !finite(w.RotVelStd) || w.RotVelStd < 0:
		return bad("RotVelStd", w.RotVelStd, "want a non-negative std in rad/s")
	case !finite(w.SpeedScale) || w.SpeedScale <= 0:
		return bad("SpeedScale", w.SpeedScale, "want a positive Rayleigh scale in m/s")
	case !finite(w.BorderRegion) || w.BorderRegion < 0 || w.BorderRegion >= math.Min(w.BoxWidth, w.BoxHeight)/2:
		return bad("BorderRegion", w.BorderRegion, "want a distance in [0, half the shorter box side) m")
	case !finite(w.BorderSlowdown) || w.BorderSlowdown < 0 || w.BorderSlowdown > 1:
		return bad("BorderSlowdown", w.BorderSlowdown, "want a speed factor in [0, 1]")
	}
	return nil
}

// validate reports the first invalid field of p.
func (p *PlaceParams) validate() error {
	switch p.Kind {
	case PlaceGaussian, PlaceDifferenceOfSoftmaxes, PlaceSoftmaxOfDifferences:
	default:
		return fmt.Errorf("cuda: PlaceParams.Kind = %d: want PlaceGaussian, PlaceDifferenceOfSoftmaxes or PlaceSoftmaxOfDifferences", p.Kind)
	}
	if n := len(p.Centres); n < 2 || n%2 != 0 || n/2 > maxPlaceCells {
		return fmt.Errorf("cuda: PlaceParams.Centres holds %d values: want Np (x, y) pairs, 1 ≤ Np ≤ %d", n, maxPlaceCells)
	}
	for _, c := range p.Centres {
		if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
			return fmt.Errorf("cuda: PlaceParams.Centres holds %v: want finite coordinates", c)
		}
	}
	if !(p.Sigma > 0) || math.IsInf(p.Sigma, 0) {
		return fmt.Errorf("cuda: PlaceParams.Sigma = %v: want a positive finite width in m", p.Sigma)
	}
	if p.Kind != PlaceGaussian && (!(p.Surround > 1) || math.IsInf(p.Surround, 0)) {
		return fmt.Errorf("cuda: PlaceParams.Surround = %v: want a finite surround factor > 1", p.Surround)
	}
	return nil
}

// widths returns 1/(2σ_E²) and 1/(2σ_I²) in float32, σ_I derived as encode derives it.
func (p *PlaceParams) widths() (aE, aI float32) {
	sigE := float32(p.Sigma)
	sigI := float32(float64(sigE) * p.Surround)
	if p.VarianceRatio {
		sigI = float32(float64(sigE) * math.Sqrt(p.Surround))
	}
	return 1 / (2 * sigE * sigE), 1 / (2 * sigI * sigI)
}

// walkLaunch returns the grid and block of gc_gen_walk for B trajectories: a block of one warp
// per trajectory, whose threads compute the draws of 32 steps at once before its first thread
// walks them (T+1 ≤ 32 steps for training batches: one round), the blocks spread over the
// multiprocessors. The launch shape does not change the result.
func walkLaunch(B int) (grid, block int) { return B, 32 }

// placeBlock returns gc_gen_place's threads per block for np cells: two cells per thread
// (256 threads for 512 cells), a multiple of 32, at most 1024, so that np ≤ 8·block.
func placeBlock(np int) int { return min(1024, max(32, ((np+1)/2+31)/32*32)) }
