package analysis

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/gridcells/gridcells/internal/parallel"
)

// Method names a grid-score convention [spec §5.5–5.6; ecosystem.md §4.4].
type Method string

const (
	// MethodNFL is the DeepMind scorer with the min-max 60° score,
	// min(c60, c120) − max(c30, c90, c150): the NFL (and BNT) convention and NFL's default.
	MethodNFL Method = "nfl"
	// MethodDeepMind is the DeepMind scorer with the mean-difference 60° score,
	// (c60 + c120)/2 − (c30 + c90 + c150)/3: the DeepMind and Sorscher default.
	MethodDeepMind Method = "deepmind"
	// MethodBNT is the opexebo/BNT expanding-annulus score: Pearson correlations with
	// bilinear rotations over annuli from the central field's radius out to the edge of
	// opexebo's cropped autocorrelogram (side ≈ 1.8n), min-max 60° score, maximum of a
	// 3-radius sliding mean [opexebo analysis/autocorrelation.py, analysis/grid_score.py].
	MethodBNT Method = "bnt"
)

// Methods lists the accepted method names.
var Methods = []Method{MethodNFL, MethodDeepMind, MethodBNT}

// ParseMethod returns the Method named s, or an error naming the allowed values.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("analysis: unknown grid-score method %q (allowed: nfl, deepmind, bnt)", s)
}

// Ring parameters used by DM, SOR and NFL: ten annuli with inner radius 0.2 and outer
// radius linspace(0.4, 1.0, 10), in units of the rate map's bin count n [spec §5.3].
const (
	ringInner   = 0.2
	ringCount   = 10
	ringOuterLo = 0.4
	ringOuterHi = 1.0
)

// RingOuter returns the outer radius of ring k (0 ≤ k < 10) in units of n, computed as
// numpy.linspace(0.4, 1.0, 10)[k] is, bit for bit.
func RingOuter(k int) float64 {
	if k == ringCount-1 {
		return ringOuterHi
	}
	step := (ringOuterHi - ringOuterLo) / float64(ringCount-1)
	return float64(k)*step + ringOuterLo
}

// sacAngles are the rotation angles of the DeepMind scorer, degrees [spec §5.4].
var sacAngles = [7]float64{30, 45, 60, 90, 120, 135, 150}

// Indices into sacAngles.
const (
	a30 = iota
	a45
	a60
	a90
	a120
	a135
	a150
)

// maskVarianceFloor is the 1e-5 that the reference adds to the masked variance before
// dividing [DM scores.py get_grid_scores_for_mask; spec §5.5].
const maskVarianceFloor = 1e-5

// GridScore is the grid score of one rate map.
type GridScore struct {
	Method  Method  // convention of Score60 and of the ring choice
	Score60 float64 // 60° score, maximum over rings (NaN when undefined, see Reason)
	Score90 float64 // 90° score c90 − (c45 + c135)/2, maximum over rings
	Ring60  int     // index of the ring that gave Score60 (−1 when undefined)
	Ring90  int     // index of the ring that gave Score90 (−1 when undefined)
	Outer60 float64 // outer radius of that ring in units of n (DM's mask parameter; for bnt radius/n)
	Outer90 float64 // outer radius of the Score90 ring in units of n
	// MeanDiff60 and MinMax60 are the 60° scores of both conventions with the fixed rings
	// (max over rings of each); NaN for MethodBNT.
	MeanDiff60, MinMax60 float64
	Reason               string // why the scores are NaN, or that a flat map scored 0 as the reference scores it; empty otherwise
}

// Settings configures a Scorer. A nil *Settings means the defaults.
type Settings struct {
	Method Method  // default MethodNFL
	SAC    SACMode // default SACReference (the published scores' NaN handling)
}

// ringPlan is everything about scoring n×n maps that does not depend on the map: the ring
// pixels and the rotation stencils. It is immutable once built and shared by goroutines.
type ringPlan struct {
	n, m int
	// pix are the flat indices of the pixels in one half-plane of the autocorrelogram
	// (row > centre, or row = centre and column > centre) with distance ρ from the centre in
	// the plan's radius range, sorted by ρ. The SAC and its rotations are point-symmetric, so
	// sums over a full ring are twice the sums over its half.
	pix  []int32
	dist []float64
	// ends[k] is the number of pix in ring k (fixed-ring plans).
	ends [ringCount]int
	rots []*rotation
	// gather90 is the 90° rotation as a pixel gather: it maps integer pixels to integer
	// pixels, where the interpolating spline reproduces the samples, so rot90(SAC)(pix[k]) =
	// SAC[gather90[k]] up to rounding (fixed-ring plans).
	gather90 []int32
}

var planCache sync.Map // planKey → *ringPlan

type planKey struct {
	n    int
	kind interpKind
}

// halfPlane reports whether flat index p of an m×m image lies in the half-plane used for
// point-symmetric sums.
func halfPlane(p, m int) bool {
	c := (m - 1) / 2
	i, j := p/m, p%m
	return i > c || (i == c && j > c)
}

// fixedRingPlan returns the plan of the DM scorer for n×n maps: pixels with
// 0.2n < ρ ≤ 1.0n, rotations by cubic spline at the seven angles.
func fixedRingPlan(n int) *ringPlan {
	key := planKey{n, splineCubic}
	if p, ok := planCache.Load(key); ok {
		return p.(*ringPlan)
	}
	m := 2*n - 1
	c := float64(n - 1)
	inner := ringInner * float64(n)
	outer := RingOuter(ringCount-1) * float64(n)
	pl := &ringPlan{n: n, m: m}
	for p := 0; p < m*m; p++ {
		if !halfPlane(p, m) {
			continue
		}
		// The reference's masks use coordinates linspace(−⌊m/2⌋, ⌊m/2⌋, m), exact integers.
		x, y := float64(p/m)-c, float64(p%m)-c
		rho := math.Sqrt(x*x + y*y)
		if rho > inner && rho <= outer {
			pl.pix = append(pl.pix, int32(p))
			pl.dist = append(pl.dist, rho)
		}
	}
	pl.sortByDistance()
	for k := 0; k < ringCount; k++ {
		r := RingOuter(k) * float64(n)
		pl.ends[k] = sort.Search(len(pl.dist), func(i int) bool { return pl.dist[i] > r })
	}
	for _, a := range sacAngles {
		pl.rots = append(pl.rots, newRotation(m, a, splineCubic, pl.pix))
	}
	// scipy's 90° matrix is [[−0, 1], [−1, −0]] with offset (0, m−1): input (o1, m−1−o0).
	for _, p := range pl.pix {
		o0, o1 := int(p)/m, int(p)%m
		pl.gather90 = append(pl.gather90, int32(o1*m+m-1-o0))
	}
	got, _ := planCache.LoadOrStore(key, pl)
	return got.(*ringPlan)
}

func (pl *ringPlan) sortByDistance() {
	idx := make([]int, len(pl.pix))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return pl.dist[idx[a]] < pl.dist[idx[b]] })
	pix := make([]int32, len(idx))
	dist := make([]float64, len(idx))
	for i, k := range idx {
		pix[i], dist[i] = pl.pix[k], pl.dist[k]
	}
	pl.pix, pl.dist = pix, dist
}

// Scorer computes grid scores of n×n rate maps. It is safe for concurrent use; each call
// borrows a workspace from a pool.
type Scorer struct {
	n      int
	method Method
	sac    SACMode
	plan   *ringPlan
	pool   sync.Pool
}

// NewScorer returns a Scorer for n×n rate maps. It returns an error for n < 2 or an unknown
// method.
func NewScorer(n int, s *Settings) (*Scorer, error) {
	set := Settings{Method: MethodNFL, SAC: SACReference}
	if s != nil {
		if s.Method != "" {
			set.Method = s.Method
		}
		set.SAC = s.SAC
	}
	if _, err := ParseMethod(string(set.Method)); err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, fmt.Errorf("analysis: rate maps must be at least 2×2 bins to have a grid score, got %d×%d", n, n)
	}
	sc := &Scorer{n: n, method: set.Method, sac: set.SAC}
	if set.Method == MethodBNT {
		sc.plan = bntPlan(n)
	} else {
		sc.plan = fixedRingPlan(n)
	}
	sc.pool.New = func() any { return newScoreWork(sc.plan) }
	return sc, nil
}

// N returns the side of the maps the Scorer takes.
func (sc *Scorer) N() int { return sc.n }

// Method returns the Scorer's convention.
func (sc *Scorer) Method() Method { return sc.method }

// scoreWork is one goroutine's buffers.
type scoreWork struct {
	sac   *sacWork
	acorr []float64 // m×m
	coef  []float64 // m×m spline coefficients
	half  []float64 // SAC at plan pixels
	rot   []float64 // rotated SAC at plan pixels
	line  []float64 // m·m scratch for the prefilter
}

func newScoreWork(pl *ringPlan) *scoreWork {
	m := pl.m
	w := &scoreWork{
		sac:   newSACWork(pl.n),
		acorr: make([]float64, m*m),
		coef:  make([]float64, m*m),
		half:  make([]float64, len(pl.pix)),
		rot:   make([]float64, len(pl.pix)),
		line:  make([]float64, m*m),
	}
	return w
}

// invalid returns a NaN score with the given reason.
func invalid(method Method, reason string) GridScore {
	nan := math.NaN()
	return GridScore{Method: method, Score60: nan, Score90: nan, Ring60: -1, Ring90: -1,
		Outer60: nan, Outer90: nan, MeanDiff60: nan, MinMax60: nan, Reason: reason}
}

// checkMap classifies a rate map that has no ordinary grid score: non-finite rates, all bins
// empty, or a constant map (whose autocorrelogram is 0/0 everywhere). flat reports a map that
// is constant once the mode has treated its NaN bins (with SACReference an all-empty map is a
// zero map): the reference scores such a map 0 (see Score).
func checkMap(rm []float64, mode SACMode) (reason string, flat bool) {
	first, seen, nonConst := 0.0, false, false
	nan := 0
	for _, x := range rm {
		if x != x {
			nan++
			if mode == SACReference {
				x = 0 // the reference's NaN → 0 makes empty bins zeros
			} else {
				continue
			}
		}
		if math.IsInf(x, 0) {
			return "rate map holds ±Inf", false
		}
		if !seen {
			first, seen = x, true
		} else if x != first {
			nonConst = true
		}
	}
	switch {
	case nan == len(rm):
		return "all bins are empty (NaN)", mode == SACReference
	case !nonConst:
		return "constant rate map (a silent unit)", true
	}
	return "", false
}

// Score returns the grid score of the n×n rate map rm (row-major, first index = x-bin,
// NaN = empty bin). A map that has no score gets NaN scores and a Reason. It panics if
// len(rm) != n*n.
func (sc *Scorer) Score(rm []float64) GridScore {
	if len(rm) != sc.n*sc.n {
		panic(fmt.Sprintf("analysis: Score: map has %d values, want %d×%d", len(rm), sc.n, sc.n))
	}
	w := sc.pool.Get().(*scoreWork)
	defer sc.pool.Put(w)
	if r, flat := checkMap(rm, sc.sac); r != "" {
		if flat {
			r += ": its autocorrelogram is 0/0"
		}
		if !flat || sc.sac != SACReference || sc.method == MethodBNT {
			return invalid(sc.method, r)
		}
		// The reference turns the 0/0 of a flat map's autocorrelogram into 0 (spec §5.2
		// step 4), so every ring correlation is 0/(0 + 1e-5) = 0 and the map scores 0 at
		// ring 0 (numpy's argmax of ties): a silent unit counts as a score of 0 in the
		// published survival curves and unit fractions, not as a missing one. A nonzero
		// constant map is 0/0 too in exact arithmetic, and in the reference's when its sums
		// are exact (1.0, 2.5); otherwise their rounding leaves ±Inf or arbitrary
		// correlations at some lags, which depend on the value, not on the map: we score
		// the exact 0/0. opexebo (bnt) has no score for a flat map: its normalisation by
		// the maximum is 0/0.
		clear(w.acorr)
		g := sc.scoreFixed(w)
		if g.Reason == "" {
			g.Reason = r + ", which the reference makes 0, so it scores 0"
		}
		return g
	}
	if !w.sac.compute(w.acorr, rm, sc.sac) {
		return invalid(sc.method, "autocorrelogram overflow: rates this small make the reference's "+
			"correlation ±Inf, which it turns into ±MaxFloat64 and then NaN scores (spec §5.2 step 4)")
	}
	if sc.method == MethodBNT {
		return sc.scoreBNT(w)
	}
	return sc.scoreFixed(w)
}

// scoreFixed is the DM scorer [spec §5.5–5.6]: for each ring, mean μ and variance v of the
// SAC in the ring; corr_θ = Σ (SAC−μ)(rot_θ SAC − μ) / A / (v + 1e-5); scores per ring; max
// over rings.
func (sc *Scorer) scoreFixed(w *scoreWork) GridScore {
	pl := sc.plan
	for k, p := range pl.pix {
		w.half[k] = w.acorr[p]
	}
	copy(w.coef, w.acorr)
	splinePrefilter(w.coef, pl.m, w.line)

	// Cumulative sums over the half-ring pixels at each ring's end.
	var sumS, sumSS [ringCount]float64
	{
		var s, ss float64
		k := 0
		for r := 0; r < ringCount; r++ {
			for ; k < pl.ends[r]; k++ {
				x := w.half[k]
				s += x
				ss += x * x
			}
			sumS[r], sumSS[r] = s, ss
		}
	}
	var sumR, sumSR [7][ringCount]float64
	for ai, rot := range pl.rots {
		if ai == a90 {
			for k, q := range pl.gather90 {
				w.rot[k] = w.acorr[q]
			}
		} else {
			rot.apply(w.rot, w.coef)
		}
		var s, sp float64
		k := 0
		for r := 0; r < ringCount; r++ {
			for ; k < pl.ends[r]; k++ {
				y := w.rot[k]
				s += y
				sp += w.half[k] * y
			}
			sumR[ai][r], sumSR[ai][r] = s, sp
		}
	}

	res := GridScore{Method: sc.method, Ring60: -1, Ring90: -1}
	bestMD, bestMM, best90 := math.Inf(-1), math.Inf(-1), math.Inf(-1)
	ring60MD, ring60MM := -1, -1
	for r := 0; r < ringCount; r++ {
		a := 2 * float64(pl.ends[r]) // full ring pixel count
		if a == 0 {
			// The reference's mean over an empty mask is 0/0, so its max over rings is NaN.
			return invalid(sc.method, fmt.Sprintf("ring %d (radii %.3g–%.3g bins) holds no pixel at n = %d, so the reference's score is NaN",
				r, ringInner*float64(pl.n), RingOuter(r)*float64(pl.n), pl.n))
		}
		mu := 2 * sumS[r] / a
		v := (2*sumSS[r]-a*mu*mu)/a + maskVarianceFloor
		var corr [7]float64
		for ai := range corr {
			cov := 2*sumSR[ai][r] - mu*2*(sumS[r]+sumR[ai][r]) + a*mu*mu
			corr[ai] = cov / a / v
		}
		md := (corr[a60]+corr[a120])/2 - (corr[a30]+corr[a90]+corr[a150])/3
		mm := math.Min(corr[a60], corr[a120]) - math.Max(corr[a30], math.Max(corr[a90], corr[a150]))
		s90 := corr[a90] - (corr[a45]+corr[a135])/2
		if md > bestMD {
			bestMD, ring60MD = md, r
		}
		if mm > bestMM {
			bestMM, ring60MM = mm, r
		}
		if s90 > best90 {
			best90, res.Ring90 = s90, r
		}
	}
	if res.Ring90 < 0 || ring60MD < 0 || ring60MM < 0 {
		return invalid(sc.method, "the ring correlations are NaN")
	}
	res.MeanDiff60, res.MinMax60, res.Score90 = bestMD, bestMM, best90
	if sc.method == MethodDeepMind {
		res.Score60, res.Ring60 = bestMD, ring60MD
	} else {
		res.Score60, res.Ring60 = bestMM, ring60MM
	}
	res.Outer60 = RingOuter(res.Ring60)
	res.Outer90 = RingOuter(res.Ring90)
	return res
}

// ScoreAll scores count maps stored back to back in maps (count·n·n values) with a pool of
// workers goroutines (≤ 0: GOMAXPROCS). It stops early and returns ctx's error when ctx is
// cancelled; the maps not scored by then are left zero.
func (sc *Scorer) ScoreAll(ctx context.Context, maps []float64, workers int) ([]GridScore, error) {
	nn := sc.n * sc.n
	if len(maps)%nn != 0 {
		panic(fmt.Sprintf("analysis: ScoreAll: %d values is not a whole number of %d×%d maps", len(maps), sc.n, sc.n))
	}
	out := make([]GridScore, len(maps)/nn)
	// One map per item: a 512-bin map takes up to a second, so Ctrl-C is answered within it.
	err := parallel.For(ctx, len(out), workers, func(_, i int) error {
		out[i] = sc.Score(maps[i*nn : (i+1)*nn])
		return nil
	})
	return out, err
}
