package analysis

import (
	"math"
)

// This file holds the opexebo/BNT expanding-annulus grid score [opexebo analysis/grid_score.py
// (BNT +analyses/gridnessScore); ecosystem.md §4.2]:
//  0. keep the centre of the autocorrelogram that opexebo's autocorrelation returns: side
//     round(1.8n), made odd, where the full one is 2n−1 (its overlap_amount 0.8, which BNT
//     fixes because the edge lags correlate too few bins to mean anything);
//  1. normalise the autocorrelogram by its maximum;
//  2. find the radius c of the central field: here the 4-connected region around the centre
//     where the normalised autocorrelogram is > 0, c = ⌊√(area/π)⌋ (opexebo finds the field
//     with its place-field detector; the zero level is the field's natural border);
//  3. radii = int(linspace(max(3, c+1), h, h − c)) with h = ⌊side/2⌋ of the crop; annulus
//     i = {c < ρ < radii[i]} within the crop (radius 3 reaches past a crop with h < 3);
//  4. Pearson r of the annulus with the bilinear (order 1, zero fill) rotations by 30, 60, 90,
//     120, 150°; gridness = min(r60, r120) − max(r30, r90, r150);
//  5. score = max over the sliding means of 3 consecutive radii (opexebo keeps its window
//     count at numSteps − 3, which we copy, "to keep historical values").
// Score90 is our extension with the same annuli: r90 − (r45 + r135)/2.

// bntWindow is opexebo's numGridnessRadii.
const bntWindow = 3

// bntCropHalf returns h: opexebo's autocorrelation of an n×n map keeps the lags with
// |Δx|, |Δy| ≤ h, a (2h+1)×(2h+1) square of side round(n + 0.8n), less one when even
// [opexebo analysis/autocorrelation.py]. 1.8n is a multiple of 0.2, so the rounding never
// meets a tie (numpy rounds ties to even, Go away from zero).
func bntCropHalf(n int) int {
	s := int(math.Round(1.8 * float64(n)))
	if s%2 == 0 {
		s--
	}
	return (s - 1) / 2
}

// bntPlan returns the plan for n×n maps: the half-plane pixels of the cropped
// autocorrelogram (|Δx|, |Δy| ≤ h, bntCropHalf) with ρ < max(h, 3), the largest radius of
// the annuli (opexebo's first radius is at least 3, beyond h for n ≤ 3), sorted by ρ, with
// bilinear rotations at the seven angles.
func bntPlan(n int) *ringPlan {
	key := planKey{n, bilinearZero}
	if p, ok := planCache.Load(key); ok {
		return p.(*ringPlan)
	}
	m := 2*n - 1
	c := float64(n - 1)
	h := float64(bntCropHalf(n))
	outer := math.Max(h, 3)
	pl := &ringPlan{n: n, m: m}
	for p := 0; p < m*m; p++ {
		if !halfPlane(p, m) {
			continue
		}
		x, y := float64(p/m)-c, float64(p%m)-c
		if rho := math.Sqrt(x*x + y*y); rho < outer && math.Abs(x) <= h && math.Abs(y) <= h {
			pl.pix = append(pl.pix, int32(p))
			pl.dist = append(pl.dist, rho)
		}
	}
	pl.sortByDistance()
	for _, a := range sacAngles {
		pl.rots = append(pl.rots, newRotation(m, a, bilinearZero, pl.pix))
	}
	got, _ := planCache.LoadOrStore(key, pl)
	return got.(*ringPlan)
}

// centralFieldRadius returns ⌊√(area/π)⌋ of the 4-connected region of positive values of
// the m×m image a that contains its centre.
func centralFieldRadius(a []float64, m int) int {
	c := (m - 1) / 2
	if !(a[c*m+c] > 0) {
		return 0
	}
	seen := make([]bool, m*m)
	stack := []int{c*m + c}
	seen[c*m+c] = true
	area := 0
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		area++
		i, j := p/m, p%m
		for _, q := range [4][2]int{{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}} {
			if q[0] < 0 || q[0] >= m || q[1] < 0 || q[1] >= m {
				continue
			}
			k := q[0]*m + q[1]
			if !seen[k] && a[k] > 0 {
				seen[k] = true
				stack = append(stack, k)
			}
		}
	}
	return int(math.Floor(math.Sqrt(float64(area) / math.Pi)))
}

// linspaceInt is numpy.linspace(lo, hi, num).astype(int).
func linspaceInt(lo, hi float64, num int) []int {
	out := make([]int, num)
	if num == 1 {
		out[0] = int(lo)
		return out
	}
	step := (hi - lo) / float64(num-1)
	for i := range out {
		out[i] = int(float64(i)*step + lo)
	}
	out[num-1] = int(hi)
	return out
}

func (sc *Scorer) scoreBNT(w *scoreWork) GridScore {
	pl := sc.plan
	m := pl.m
	// Lags outside opexebo's crop become 0: the rotations then fill from outside the crop with
	// zeros, as skimage's rotate of the cropped array does, and the central field stops at
	// the crop's edge.
	h, c := bntCropHalf(sc.n), sc.n-1
	for i := range m {
		for j := range m {
			if i < c-h || i > c+h || j < c-h || j > c+h {
				w.acorr[i*m+j] = 0
			}
		}
	}
	peak := math.Inf(-1)
	for _, x := range w.acorr {
		peak = math.Max(peak, x)
	}
	if !(peak > 0) {
		return invalid(sc.method, "autocorrelogram has no positive peak")
	}
	for i := range w.acorr {
		w.acorr[i] /= peak
	}
	cf := centralFieldRadius(w.acorr, m)
	if cf == 0 {
		return invalid(sc.method, "no central field in the autocorrelogram (radius 0)")
	}
	outer := h
	steps := outer - cf
	if steps < 1 {
		return invalid(sc.method, "central field fills the autocorrelogram")
	}
	radii := linspaceInt(float64(max(3, cf+1)), float64(outer), steps)

	// Pixels with ρ > cf start at lo.
	lo := 0
	for lo < len(pl.dist) && pl.dist[lo] <= float64(cf) {
		lo++
	}
	for k, p := range pl.pix {
		w.half[k] = w.acorr[p]
	}
	ends := make([]int, len(radii))
	for i, r := range radii {
		e := lo
		for e < len(pl.dist) && pl.dist[e] < float64(r) {
			e++
		}
		ends[i] = e
	}
	var corr [7][]float64
	for ai, rot := range pl.rots {
		rot.apply(w.rot, w.acorr)
		corr[ai] = make([]float64, len(radii))
		var sx, sy, sxx, syy, sxy float64
		k := lo
		for i := range radii {
			for ; k < ends[i]; k++ {
				x, y := w.half[k], w.rot[k]
				sx += x
				sy += y
				sxx += x * x
				syy += y * y
				sxy += x * y
			}
			nb := 2 * float64(ends[i]-lo)
			// Full-annulus sums are twice the half-plane sums (point symmetry).
			fx, fy := 2*sx, 2*sy
			cov := 2*sxy - fx*fy/nb
			vx := 2*sxx - fx*fx/nb
			vy := 2*syy - fy*fy/nb
			corr[ai][i] = cov / math.Sqrt(vx*vy)
		}
	}
	g60 := make([]float64, len(radii))
	g90 := make([]float64, len(radii))
	for i := range radii {
		g60[i] = math.Min(corr[a60][i], corr[a120][i]) - math.Max(corr[a30][i], math.Max(corr[a90][i], corr[a150][i]))
		g90[i] = corr[a90][i] - (corr[a45][i]+corr[a135][i])/2
	}
	s60, i60 := slidingMax(g60)
	s90, i90 := slidingMax(g90)
	if math.IsNaN(s60) {
		return invalid(sc.method, "annulus correlations are undefined (flat autocorrelogram)")
	}
	res := GridScore{Method: sc.method, Score60: s60, Score90: s90, Ring60: i60, Ring90: i90,
		MeanDiff60: math.NaN(), MinMax60: math.NaN()}
	res.Outer60 = float64(radii[i60]) / float64(sc.n)
	if i90 >= 0 {
		res.Outer90 = float64(radii[i90]) / float64(sc.n)
	} else {
		res.Outer90 = math.NaN()
	}
	return res
}

// slidingMax is opexebo's smoothing of the gridness over radii: with numStep =
// max(len−3, 1) windows, the maximum of the NaN-ignoring means of g[i:i+3] (or the plain mean
// of all g when numStep is 1). It also returns the start of the best window (the radius
// opexebo reports is its argmax of the raw gridness; we report the window's start).
func slidingMax(g []float64) (float64, int) {
	steps := max(len(g)-bntWindow, 1)
	if steps == 1 {
		var s float64
		for _, x := range g {
			s += x
		}
		return s / float64(len(g)), 0
	}
	best, at := math.NaN(), -1
	for i := 0; i < steps; i++ {
		var s float64
		c := 0
		for _, x := range g[i:min(i+bntWindow, len(g))] {
			if x == x {
				s += x
				c++
			}
		}
		if c == 0 {
			continue
		}
		if mean := s / float64(c); at < 0 || mean > best {
			best, at = mean, i
		}
	}
	return best, at
}
