package analysis

import (
	"fmt"
	"math"
)

// Box is the square or rectangular arena the rate maps span, in metres. NFL and DM use
// [−1.1, 1.1]² for the 2.2 m box [spec §5.1].
type Box struct {
	XMin, XMax float64 // x range, m
	YMin, YMax float64 // y range, m
}

// SquareBox returns the box [−side/2, side/2]².
func SquareBox(side float64) Box {
	return Box{-side / 2, side / 2, -side / 2, side / 2}
}

// RateMapAccumulator builds the rate maps of many units from positions and activations
// that arrive in chunks (spec §5.1; scipy binned_statistic_2d(x, y, act, 'mean', bins=n,
// range=box)). It keeps only per-bin sums and counts, so millions of samples × thousands of
// units fit in memory: units·n²·8 bytes (63 MB for 4,096 units at n = 44).
//
// Bins: n equal bins per axis over the box; a point on the upper edge goes in the last
// bin; points outside the box are dropped. The map's first index is the x-bin and the
// second the y-bin.
type RateMapAccumulator struct {
	units, n int
	box      Box
	xEdges   []float64
	yEdges   []float64
	sums     []float64 // bin-major: n² bins × units, so one sample adds a contiguous row
	counts   []int64   // n²
	dropped  int64
}

// NewRateMapAccumulator returns an empty accumulator for units units on n×n bins over box.
// It returns an error for n < 1, units < 1 or an empty box. The grid scores and periods of
// this package assume square bins: for a rectangular arena pass the square around it (its
// outer bins stay empty), not the rectangle, whose n×n bins would be stretched.
func NewRateMapAccumulator(units, n int, box Box) (*RateMapAccumulator, error) {
	switch {
	case units < 1:
		return nil, fmt.Errorf("analysis: rate maps need at least 1 unit, got %d", units)
	case n < 1:
		return nil, fmt.Errorf("analysis: rate maps need at least 1 bin per side, got %d", n)
	case !(box.XMax > box.XMin) || !(box.YMax > box.YMin):
		return nil, fmt.Errorf("analysis: empty box %+v (need XMax > XMin and YMax > YMin)", box)
	}
	return &RateMapAccumulator{
		units: units, n: n, box: box,
		xEdges: linspace(box.XMin, box.XMax, n+1),
		yEdges: linspace(box.YMin, box.YMax, n+1),
		sums:   make([]float64, n*n*units),
		counts: make([]int64, n*n),
	}, nil
}

// linspace is numpy.linspace(lo, hi, num) (endpoint included, last value exactly hi).
func linspace(lo, hi float64, num int) []float64 {
	out := make([]float64, num)
	if num == 1 {
		out[0] = lo
		return out
	}
	step := (hi - lo) / float64(num-1)
	for i := range out {
		out[i] = float64(i)*step + lo
	}
	out[num-1] = hi
	return out
}

// binOf returns the bin of v among edges (len n+1), or −1 when v is outside [edges[0],
// edges[n]] or NaN. A value on an inner edge goes to the bin on its right, one on the upper
// edge to the last bin (numpy.digitize plus scipy's right-edge rule).
func binOf(v float64, edges []float64) int {
	n := len(edges) - 1
	lo, hi := edges[0], edges[n]
	if !(v >= lo && v <= hi) {
		return -1
	}
	if v == hi {
		return n - 1
	}
	b := int((v - lo) / (hi - lo) * float64(n))
	b = min(max(b, 0), n-1)
	// Correct the rounding of the division against the actual edges.
	for b > 0 && v < edges[b] {
		b--
	}
	for b < n-1 && v >= edges[b+1] {
		b++
	}
	return b
}

// Add accumulates T samples: pos holds T (x, y) pairs in metres and act holds T×units
// activations (sample-major). It panics if the lengths disagree.
func (a *RateMapAccumulator) Add(pos, act []float32) {
	if len(pos)%2 != 0 || len(act) != len(pos)/2*a.units {
		panic(fmt.Sprintf("analysis: RateMapAccumulator.Add: %d position values and %d activations for %d units", len(pos), len(act), a.units))
	}
	u := a.units
	for t := 0; t < len(pos)/2; t++ {
		bx := binOf(float64(pos[2*t]), a.xEdges)
		by := binOf(float64(pos[2*t+1]), a.yEdges)
		if bx < 0 || by < 0 {
			a.dropped++
			continue
		}
		b := bx*a.n + by
		a.counts[b]++
		row := a.sums[b*u : (b+1)*u : (b+1)*u]
		src := act[t*u : (t+1)*u : (t+1)*u]
		for i, x := range src {
			row[i] += float64(x)
		}
	}
}

// Dropped returns how many samples fell outside the box.
func (a *RateMapAccumulator) Dropped() int64 { return a.dropped }

// Counts returns the n×n occupancy (samples per bin), first index = x-bin.
func (a *RateMapAccumulator) Counts() []int64 { return append([]int64(nil), a.counts...) }

// Maps returns the units×n×n mean activation per bin (unit-major, then x-bin, then y-bin),
// NaN where a bin has no samples. A non-nil dst must have length units·n·n.
func (a *RateMapAccumulator) Maps(dst []float64) []float64 {
	nn := a.n * a.n
	if dst == nil {
		dst = make([]float64, a.units*nn)
	} else if len(dst) != a.units*nn {
		panic("analysis: RateMapAccumulator.Maps: wrong dst length")
	}
	for b := 0; b < nn; b++ {
		c := a.counts[b]
		row := a.sums[b*a.units : (b+1)*a.units]
		for u, s := range row {
			if c == 0 {
				dst[u*nn+b] = math.NaN()
			} else {
				dst[u*nn+b] = s / float64(c)
			}
		}
	}
	return dst
}

// Reset empties the accumulator for reuse.
func (a *RateMapAccumulator) Reset() {
	clear(a.sums)
	clear(a.counts)
	a.dropped = 0
}

// mapDst checks the n×n map src and the destination dst of the filter fn (Smooth,
// GaussianFilter), and returns dst, made when nil.
func mapDst(fn string, dst, src []float64, n int) []float64 {
	if len(src) != n*n {
		panic("analysis: " + fn + ": len(src) != n*n")
	}
	if dst == nil {
		return make([]float64, n*n)
	}
	if len(dst) != n*n {
		panic("analysis: " + fn + ": len(dst) != n*n")
	}
	return dst
}

// GaussianFilter returns the n×n map src, its empty (NaN) bins set to 0, filtered as
// scipy.ndimage.gaussian_filter(src, sigma) does it: separable correlation with the Gaussian
// of std sigma bins cut at radius ⌊4σ + ½⌋ and normalised to sum 1, the map extended by
// reflection about its edges (mode 'reflect': d c b a | a b c d | d c b a). This is NFL's
// smoothing of rate maps before their participation ratio; Smooth is opexebo's NaN-aware
// one. sigma ≤ 0 copies src with NaN as 0. A non-nil dst must have length n·n and must not
// alias src.
func GaussianFilter(dst, src []float64, n int, sigma float64) []float64 {
	dst = mapDst("GaussianFilter", dst, src, n)
	r := 0
	if sigma > 0 {
		r = int(4*sigma + 0.5) // scipy: int(truncate·sd + 0.5)
	}
	k := []float64{1} // radius 0: the identity, also for sigma ≤ 0
	if r > 0 {
		k = make([]float64, 2*r+1)
		var sum float64
		for i := range k {
			d := float64(i - r)
			k[i] = math.Exp(-0.5 / (sigma * sigma) * d * d)
			sum += k[i]
		}
		for i := range k {
			k[i] /= sum
		}
	}
	// reflect maps an index outside [0, n) into it: period 2n, mirrored in the second half.
	reflect := func(i int) int {
		i %= 2 * n
		if i < 0 {
			i += 2 * n
		}
		if i >= n {
			i = 2*n - 1 - i
		}
		return i
	}
	at := func(v float64) float64 {
		if v != v {
			return 0
		}
		return v
	}
	rows := make([]float64, n*n) // along the first axis (scipy filters axis 0, then axis 1)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for d := -r; d <= r; d++ {
				s += k[d+r] * at(src[reflect(i+d)*n+j])
			}
			rows[i*n+j] = s
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for d := -r; d <= r; d++ {
				s += k[d+r] * rows[i*n+reflect(j+d)]
			}
			dst[i*n+j] = s
		}
	}
	return dst
}

// Smooth returns the n×n map src convolved with a Gaussian of std sigma bins, NaN-aware in
// the way opexebo's rate-map smoothing (astropy convolve) is: each output is the
// kernel-weighted mean of the non-empty bins within 4σ, so empty bins and the area outside
// the map do not pull values towards zero. With keepEmpty, bins empty in src stay NaN;
// otherwise they are filled from their neighbours (NaN if none lies within 4σ). sigma ≤ 0
// copies src. A non-nil dst must have length n·n and must not alias src.
func Smooth(dst, src []float64, n int, sigma float64, keepEmpty bool) []float64 {
	dst = mapDst("Smooth", dst, src, n)
	if !(sigma > 0) {
		copy(dst, src)
		return dst
	}
	half := int(math.Ceil(4 * sigma))
	k := make([]float64, 2*half+1)
	for i := range k {
		d := float64(i - half)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
	}
	// Separable normalised convolution: numerator of values and denominator of weights.
	num := make([]float64, n*n)
	den := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s, w float64
			for d := -half; d <= half; d++ {
				jj := j + d
				if jj < 0 || jj >= n {
					continue
				}
				if x := src[i*n+jj]; x == x {
					s += k[d+half] * x
					w += k[d+half]
				}
			}
			num[i*n+j], den[i*n+j] = s, w
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s, w float64
			for d := -half; d <= half; d++ {
				ii := i + d
				if ii < 0 || ii >= n {
					continue
				}
				s += k[d+half] * num[ii*n+j]
				w += k[d+half] * den[ii*n+j]
			}
			switch {
			case keepEmpty && src[i*n+j] != src[i*n+j], w == 0:
				dst[i*n+j] = math.NaN()
			default:
				dst[i*n+j] = s / w
			}
		}
	}
	return dst
}
