package analysis

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Module is one group of units that share a grid scale.
type Module struct {
	Scale   float64 // the module's scale: the KDE mode (period, bins) or the cluster's geometric-mean value
	Members []int   // indices (into the input) of the units in the module, ascending
}

// Modules is the result of a module detection over a population.
type Modules struct {
	Modules []Module  // sorted by Scale, ascending
	Ratios  []float64 // Scale[i+1]/Scale[i]; biology: ≈ 1.4 (Stensola et al. 2012)
	// Grid and Density are the KDE's evaluation grid and density (KDE detection only).
	Grid, Density []float64
	// Outside counts the finite periods outside the KDE's range [Lo, Hi]: they add to the
	// density but join no module (KDE detection only).
	Outside int
}

// KDESettings configures ModulesKDE. A nil *KDESettings means the defaults.
type KDESettings struct {
	Bandwidth float64 // Gaussian kernel std, bins (default 1.0, NFL's sklearn KernelDensity)
	Lo, Hi    float64 // evaluation range, bins (default 0 and 150, as NFL)
	Points    int     // evaluation points (default 1000, as NFL)
	// MinRelHeight drops modes whose density is below this fraction of the highest mode's
	// (default 0.1), so that a few stray units do not make a module.
	MinRelHeight float64
}

// kdeCutoff is where ModulesKDE's Gaussian kernels are cut, in bandwidths.
const kdeCutoff = 9

// ModulesKDE groups units by grid period with a Gaussian kernel density estimate over the
// periods, as NFL's Fig. 3 analysis does [spec §5.6 "Module analysis"; NFL plot.py
// plot_grid_periods_mode_vs_place_cell_rf]: NFL takes the single argmax per place-cell width;
// here every local maximum of the density is a module, and each unit joins the mode whose
// basin (between the density minima that separate consecutive modes) holds its period.
// NaN periods are skipped. Every finite period adds to the density, as in NFL's fit; one
// outside [Lo, Hi] joins no module (counted in Outside), since its own mode may lie beyond
// the evaluated range. It returns an error for invalid settings, no finite period, or a
// density with no mode in [Lo, Hi] (every period far outside it).
func ModulesKDE(periods []float64, s *KDESettings) (Modules, error) {
	set := KDESettings{Bandwidth: 1, Lo: 0, Hi: 150, Points: 1000, MinRelHeight: 0.1}
	if s != nil {
		if s.Bandwidth != 0 {
			set.Bandwidth = s.Bandwidth
		}
		if s.Lo != 0 || s.Hi != 0 {
			set.Lo, set.Hi = s.Lo, s.Hi
		}
		if s.Points != 0 {
			set.Points = s.Points
		}
		if s.MinRelHeight != 0 {
			set.MinRelHeight = s.MinRelHeight
		}
	}
	switch {
	case !(set.Bandwidth > 0):
		return Modules{}, fmt.Errorf("analysis: KDE bandwidth must be > 0, got %v", set.Bandwidth)
	case !(set.Hi > set.Lo):
		return Modules{}, fmt.Errorf("analysis: KDE range must have Hi > Lo, got [%v, %v]", set.Lo, set.Hi)
	case set.Points < 3:
		return Modules{}, fmt.Errorf("analysis: KDE needs at least 3 evaluation points, got %d", set.Points)
	}
	var xs []float64
	var idx []int
	for i, p := range periods {
		if p == p && !math.IsInf(p, 0) {
			xs = append(xs, p)
			idx = append(idx, i)
		}
	}
	if len(xs) == 0 {
		return Modules{}, fmt.Errorf("analysis: no finite period among %d units", len(periods))
	}
	grid := linspace(set.Lo, set.Hi, set.Points)
	dens := make([]float64, len(grid))
	norm := 1 / (float64(len(xs)) * set.Bandwidth * math.Sqrt(2*math.Pi))
	// Each grid point sums only the periods within kdeCutoff bandwidths of it: a term beyond
	// is below e^{−kdeCutoff²/2} ≈ 1e-18 of a kernel's peak, so the density is the exact sum
	// to rounding, and a sweep of millions of units costs a few dozen kernels per unit
	// instead of one per unit and grid point (43 % of a 5,000-run report's time).
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	for g, x := range grid {
		lo, _ := slices.BinarySearch(sorted, x-kdeCutoff*set.Bandwidth)
		var d float64
		for _, p := range sorted[lo:] {
			z := (x - p) / set.Bandwidth
			if z < -kdeCutoff {
				break
			}
			d += math.Exp(-z * z / 2)
		}
		dens[g] = d * norm
	}
	// Local maxima (plateaus count once, at their first point).
	var modes []int
	top := 0.0
	for g := range dens {
		left := g == 0 || dens[g] > dens[g-1]
		right := g == len(dens)-1 || dens[g] >= dens[g+1]
		if left && right && dens[g] > 0 {
			modes = append(modes, g)
			top = math.Max(top, dens[g])
		}
	}
	kept := modes[:0]
	for _, g := range modes {
		if dens[g] >= set.MinRelHeight*top {
			kept = append(kept, g)
		}
	}
	modes = kept
	if len(modes) == 0 {
		// Every period lies more than kdeCutoff bandwidths from every grid point: beyond
		// [Lo, Hi], or between points with a bandwidth far below the grid step.
		return Modules{}, fmt.Errorf("analysis: the KDE density has no mode in [%v, %v] bins (%d points, bandwidth %v): the %d periods lie outside it or between its points",
			set.Lo, set.Hi, set.Points, set.Bandwidth, len(xs))
	}
	// Basin borders: the density minimum between consecutive modes.
	borders := make([]float64, 0, len(modes)-1)
	for k := 0; k+1 < len(modes); k++ {
		lo := modes[k]
		for g := modes[k]; g <= modes[k+1]; g++ {
			if dens[g] < dens[lo] {
				lo = g
			}
		}
		borders = append(borders, grid[lo])
	}
	res := Modules{Grid: grid, Density: dens}
	for _, g := range modes {
		res.Modules = append(res.Modules, Module{Scale: grid[g]})
	}
	for k, p := range xs {
		if p < set.Lo || p > set.Hi {
			res.Outside++
			continue
		}
		mod := sort.SearchFloat64s(borders, p)
		res.Modules[mod].Members = append(res.Modules[mod].Members, idx[k])
	}
	res.Ratios = scaleRatios(res.Modules)
	return res, nil
}

// ModulesCluster groups units by a positive scale (for example the Fourier spacing
// SpectralPeak.Spacing, or 1/K) by single-linkage clustering on a log scale: sorted scales
// split wherever consecutive values differ by more than the factor maxGap (for example 1.15).
// A module's Scale is the geometric mean of its members'. Non-positive and NaN scales are
// skipped. It returns an error if maxGap ≤ 1 or no scale is usable.
func ModulesCluster(scales []float64, maxGap float64) (Modules, error) {
	if !(maxGap > 1) {
		return Modules{}, fmt.Errorf("analysis: cluster gap factor must be > 1, got %v", maxGap)
	}
	var idx []int
	for i, s := range scales {
		if s > 0 && !math.IsInf(s, 0) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return Modules{}, fmt.Errorf("analysis: no positive finite scale among %d units", len(scales))
	}
	sort.SliceStable(idx, func(a, b int) bool { return scales[idx[a]] < scales[idx[b]] })
	var res Modules
	var cur Module
	var logSum float64
	flush := func() {
		cur.Scale = math.Exp(logSum / float64(len(cur.Members)))
		sort.Ints(cur.Members)
		res.Modules = append(res.Modules, cur)
		cur, logSum = Module{}, 0
	}
	for k, i := range idx {
		if k > 0 && scales[i] > maxGap*scales[idx[k-1]] {
			flush()
		}
		cur.Members = append(cur.Members, i)
		logSum += math.Log(scales[i])
	}
	flush()
	res.Ratios = scaleRatios(res.Modules)
	return res, nil
}

func scaleRatios(ms []Module) []float64 {
	var r []float64
	for k := 1; k < len(ms); k++ {
		r = append(r, ms[k].Scale/ms[k-1].Scale)
	}
	return r
}

func sortFloat64s(x []float64) { sort.Float64s(x) }
