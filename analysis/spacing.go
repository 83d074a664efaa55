package analysis

import (
	"fmt"
	"math"
)

// Periodicity is a grid's period (spacing) and orientation measured on a rate map's
// autocorrelation [spec §5.6; NFL scores.py calculate_grid_cell_periodicity_and_orientation].
type Periodicity struct {
	Period    float64 // mean distance of the six nearest autocorrelation peaks, bins
	PeriodStd float64 // their standard deviation (NFL's period_err), bins
	// Orientation is the lattice axis angle in degrees in [0, 60): the circular mean of the
	// six peak angles modulo 60°, angles measured as atan2(Δy, Δx) = atan2(column offset,
	// row offset) like NFL's.
	Orientation float64
	Angles      [6]float64    // the six peaks' angles, degrees in (−180, 180]
	Peaks       [6][2]float64 // the six peaks' (row, column) offsets from the centre, bins
	Reason      string        // why the fields are NaN; empty when defined
}

// PeriodicitySettings configures MeasurePeriodicity. A nil *PeriodicitySettings means
// the defaults.
type PeriodicitySettings struct {
	// Subpixel refines each peak with a parabola through it and its two neighbours per axis
	// (default false: NFL's integer-bin peaks).
	Subpixel bool
}

// MeasurePeriodicity measures the period and orientation of the n×n rate map rm with NFL's
// recipe [spec §5.6]: NaN → 0; the unnormalised full 2-D autocorrelation (not the SAC);
// local maxima as skimage.feature.peak_local_max finds them with its defaults (3×3
// neighbourhood, 1-bin border excluded, above the image minimum); offsets from index
// shape//2; sorted by distance; the closest (the centre) dropped and the next six kept.
func MeasurePeriodicity(rm []float64, n int, s *PeriodicitySettings) Periodicity {
	if len(rm) != n*n {
		panic("analysis: MeasurePeriodicity: len(rm) != n*n")
	}
	var set PeriodicitySettings
	if s != nil {
		set = *s
	}
	nan := math.NaN()
	bad := func(reason string) Periodicity {
		p := Periodicity{Period: nan, PeriodStd: nan, Orientation: nan, Reason: reason}
		for i := range p.Angles {
			p.Angles[i] = nan
			p.Peaks[i] = [2]float64{nan, nan}
		}
		return p
	}
	if n < 3 {
		return bad(fmt.Sprintf("map of %d×%d bins is too small for six autocorrelation peaks", n, n))
	}
	r := make([]float64, n*n)
	for i, x := range rm {
		if x == x {
			r[i] = x
		}
	}
	m := 2*n - 1
	ac := make([]float64, m*m)
	newAutoCorrPlan(n).correlate(ac, r)
	// The FFT leaves round-off of about 1e-16 of the centre value where the exact
	// autocorrelation is 0: everywhere a sparse map (a ReLU unit, a place field) does not
	// overlap its shifted self. NFL correlates directly, so those lags are exact zeros and
	// never peaks; without this snap every noise bump there was a "local maximum", and most
	// of the six nearest peaks of a rectified grid were noise. The centre, Σr², bounds |ac|
	// (Cauchy–Schwarz), so 1e-12 of it is far above the round-off and far below any real peak.
	if tol := 1e-12 * ac[(m/2)*m+m/2]; tol > 0 {
		for i, x := range ac {
			if math.Abs(x) <= tol {
				ac[i] = 0
			}
		}
	}

	lo := math.Inf(1)
	for _, x := range ac {
		lo = math.Min(lo, x)
	}
	// The centre and its six nearest peaks, nearest first and, among equals, in scan order
	// (a stable sort's first seven): kept by insertion, since a 512-bin map's autocorrelogram
	// has tens of thousands of local maxima and sorting them all took most of its scoring.
	type peak struct{ di, dj, d float64 }
	nearest := make([]peak, 0, 7)
	found := 0
	c := m / 2
	for i := 1; i < m-1; i++ {
		for j := 1; j < m-1; j++ {
			v := ac[i*m+j]
			if !(v > lo) {
				continue
			}
			isMax := true
			for a := -1; a <= 1 && isMax; a++ {
				for b := -1; b <= 1; b++ {
					if ac[(i+a)*m+j+b] > v {
						isMax = false
						break
					}
				}
			}
			if !isMax {
				continue
			}
			di, dj := float64(i-c), float64(j-c)
			if set.Subpixel {
				di += parabolaOffset(ac[(i-1)*m+j], v, ac[(i+1)*m+j])
				dj += parabolaOffset(ac[i*m+j-1], v, ac[i*m+j+1])
			}
			q := peak{di, dj, math.Hypot(di, dj)}
			found++
			if len(nearest) == cap(nearest) && !(q.d < nearest[len(nearest)-1].d) {
				continue
			}
			at := len(nearest)
			for at > 0 && nearest[at-1].d > q.d {
				at--
			}
			if len(nearest) < cap(nearest) {
				nearest = append(nearest, peak{})
			}
			copy(nearest[at+1:], nearest[at:len(nearest)-1])
			nearest[at] = q
		}
	}
	if found < 7 {
		return bad(fmt.Sprintf("only %d autocorrelation peaks, need the centre and six neighbours", found))
	}
	var p Periodicity
	var sum, sumSq, cs, sn float64
	for k, q := range nearest[1:7] {
		sum += q.d
		sumSq += q.d * q.d
		ang := math.Atan2(q.dj, q.di)
		p.Angles[k] = ang * 180 / math.Pi
		p.Peaks[k] = [2]float64{q.di, q.dj}
		cs += math.Cos(6 * ang)
		sn += math.Sin(6 * ang)
	}
	p.Period = sum / 6
	p.PeriodStd = math.Sqrt(math.Max(sumSq/6-p.Period*p.Period, 0))
	o := math.Atan2(sn, cs) / 6 * 180 / math.Pi
	if o < 0 {
		// A lattice axis on x gives o = −1e-15 or so, and −1e-15 + 60 rounds to 60, outside
		// [0, 60): that wraps to 0.
		if o += 60; o >= 60 {
			o = 0
		}
	}
	p.Orientation = o
	return p
}

// parabolaOffset returns the offset in (−0.5, 0.5) of the vertex of the parabola through
// (−1, a), (0, b), (1, c), or 0 when they do not make a maximum.
func parabolaOffset(a, b, c float64) float64 {
	den := a - 2*b + c
	if !(den < 0) {
		return 0
	}
	return math.Max(-0.5, math.Min(0.5, 0.5*(a-c)/den))
}
