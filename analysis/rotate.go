package analysis

import (
	"math"
)

// This file holds the rotation of a square autocorrelogram about its centre, as
// scipy.ndimage.rotate(sac, angle, reshape=False) does it with its defaults (order 3, mode
// 'constant', cval 0, prefilter on) [spec §5.4; DM/NFL scores.py rotated_sacs], and the
// bilinear zero-fill rotation of skimage.transform.rotate used by opexebo/BNT [ecosystem.md §4.2].
//
// A rotation by a fixed angle of an m×m image is a fixed sparse linear map. For the cubic
// spline it is "prefilter, then a 4×4 separable stencil per output pixel"; the prefilter is
// global (an IIR filter), so it is applied once per map, and the stencils are precomputed per
// (size, angle, pixel set) and cached.

// splinePole is the single pole z = √3 − 2 of the cubic B-spline interpolation prefilter
// (Unser, Aldroubi & Eden 1991; scipy ni_splines.c get_filter_poles, order 3).
const splinePole = -0.267949192431122706472553658494127633

// prefilterLine replaces the samples of line c by their cubic B-spline coefficients under
// the mirror boundary condition, exactly as scipy's apply_filter does for mode 'constant'
// (which uses the mirror initialisation): gain, causal pass, anticausal pass. zn1 is
// z^(len(c)−1).
func prefilterLine(c []float64, zn1 float64) {
	n := len(c)
	if n < 2 {
		return
	}
	const z = splinePole
	const gain = (1 - z) * (1 - 1/z)
	for i := range c {
		c[i] *= gain
	}
	// Causal initialisation for the mirror boundary (scipy _init_causal_mirror).
	zi := z
	c0 := c[0] + zn1*c[n-1]
	for i := 1; i < n-1; i++ {
		c0 += zi * (c[i] + zn1*c[n-1-i])
		zi *= z
	}
	c[0] = c0 / (1 - zn1*zn1)
	for i := 1; i < n; i++ {
		c[i] += z * c[i-1]
	}
	// Anticausal initialisation (scipy _init_anticausal_mirror).
	c[n-1] = (z*c[n-2] + c[n-1]) * z / (z*z - 1)
	for i := n - 2; i >= 0; i-- {
		c[i] = z * (c[i+1] - c[i])
	}
}

// splinePrefilter turns the m×m row-major image a into cubic B-spline coefficients in place:
// first along axis 0 (columns), then along axis 1 (rows), as scipy.ndimage.spline_filter
// does. The arithmetic per line is prefilterLine's, but all columns advance together (and
// the rows are filtered as columns of the transpose), so the recursions' latency chains run
// side by side. buf needs room for m·m values.
func splinePrefilter(a []float64, m int, buf []float64) {
	if m < 2 {
		return
	}
	zn1 := math.Pow(splinePole, float64(m-1))
	filterColumns(a, m, zn1, buf[:m])
	t := buf[:m*m]
	transpose(t, a, m)
	filterColumns(t, m, zn1, a[:m]) // a's first row is scratch until the transpose back
	transpose(a, t, m)
}

func transpose(dst, src []float64, m int) {
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			dst[j*m+i] = src[i*m+j]
		}
	}
}

// filterColumns runs prefilterLine on every column of the m×m image a at once; acc needs m
// values (it must not alias a).
func filterColumns(a []float64, m int, zn1 float64, acc []float64) {
	const z = splinePole
	const gain = (1 - z) * (1 - 1/z)
	for i := range a[:m*m] {
		a[i] *= gain
	}
	first, last := a[:m], a[(m-1)*m:m*m]
	for j := range acc {
		acc[j] = first[j] + zn1*last[j]
	}
	zi := z
	for i := 1; i < m-1; i++ {
		ri, rk := a[i*m:(i+1)*m], a[(m-1-i)*m:(m-i)*m]
		for j := range acc {
			acc[j] += zi * (ri[j] + zn1*rk[j])
		}
		zi *= z
	}
	for j := range acc {
		first[j] = acc[j] / (1 - zn1*zn1)
	}
	for i := 1; i < m; i++ {
		prev, cur := a[(i-1)*m:i*m], a[i*m:(i+1)*m]
		for j := range cur {
			cur[j] += z * prev[j]
		}
	}
	prev := a[(m-2)*m : (m-1)*m]
	for j := range last {
		last[j] = (z*prev[j] + last[j]) * z / (z*z - 1)
	}
	for i := m - 2; i >= 0; i-- {
		next, cur := a[(i+1)*m:(i+2)*m], a[i*m:(i+1)*m]
		for j := range cur {
			cur[j] = z * (next[j] - cur[j])
		}
	}
}

// cubicWeights returns the four cubic B-spline weights for the taps floor(x)-1 … floor(x)+2
// (scipy ni_splines.c get_spline_interpolation_weights, order 3).
func cubicWeights(x float64) [4]float64 {
	t := x - math.Floor(x)
	u := 1 - t
	var w [4]float64
	w[0] = u * u * u / 6
	w[1] = (t*t*(3*t-6) + 4) / 6
	w[3] = t * t * t / 6
	w[2] = 1 - w[0] - w[1] - w[3] // the weights sum to 1
	return w
}

// mirrorIndex folds an out-of-range tap index back into [0, n) with the "mirror" rule
// (…2 1 | 0 1 2 … n-2 n-1 | n-2 …) that scipy uses for the spline taps at the border.
func mirrorIndex(i, n int) int {
	if n <= 1 {
		return 0
	}
	s2 := 2*n - 2
	if i < 0 {
		i = s2*(-i/s2) + i
		if i <= 1-n {
			i += s2
		} else {
			i = -i
		}
	} else if i >= n {
		i -= s2 * (i / s2)
		if i >= n {
			i = s2 - i
		}
	}
	return i
}

// degreeTrig holds scipy.special.cosdg and sindg at multiples of 15°, bit for bit, so that
// rotated coordinates that land exactly on the border (90°, for example) are classified
// exactly as scipy classifies them (values printed by scipy 1.10.1).
var degreeTrig = map[int][2]float64{
	0:   {1.0, 0.0},
	15:  {0.9659258262890683, 0.25881904510252074},
	30:  {0.8660254037844387, 0.49999999999999994},
	45:  {0.7071067811865475, 0.7071067811865476},
	60:  {0.49999999999999994, 0.8660254037844387},
	75:  {0.25881904510252074, 0.9659258262890683},
	90:  {math.Copysign(0, -1), 1.0},
	105: {-0.25881904510252074, 0.9659258262890683},
	120: {-0.49999999999999994, 0.8660254037844387},
	135: {-0.7071067811865476, 0.7071067811865475},
	150: {-0.8660254037844387, 0.49999999999999994},
	165: {-0.9659258262890683, 0.25881904510252074},
	180: {-1.0, math.Copysign(0, -1)},
}

// cosSinDeg returns cos and sin of an angle in degrees, exact at multiples of 15° in [0, 180].
func cosSinDeg(deg float64) (c, s float64) {
	if d := int(deg); float64(d) == deg {
		if cs, ok := degreeTrig[d]; ok {
			return cs[0], cs[1]
		}
	}
	r := deg * math.Pi / 180
	return math.Cos(r), math.Sin(r)
}

// interpKind selects the interpolation of a rotation.
type interpKind int

const (
	// splineCubic is scipy.ndimage's order-3 B-spline with prefilter and mode 'constant'.
	splineCubic interpKind = iota
	// bilinearZero is skimage.transform.rotate's default order 1 with zero fill.
	bilinearZero
)

// rotation is the precomputed sparse map from an m×m image (spline coefficients for
// splineCubic, raw pixels for bilinearZero) to the rotated image at a list of output pixels.
// Output pixel k reads taps×taps input values at rows[k*taps+a] (already times m) and
// cols[k*taps+b] with weight wr[k*taps+a]*wc[k*taps+b]. Pixels mapped outside the input
// have zero weights.
type rotation struct {
	taps   int
	rows   []int32
	cols   []int32
	wr, wc []float64
	// base[k] is the flat index of the first tap of pixel k when its taps×taps block is a
	// plain contiguous block of the image (no mirrored or dropped taps), else −1.
	base []int32
	m    int
}

// newRotation builds the rotation of an m×m image by deg degrees counter-clockwise in the
// (row, column) plane, evaluated at the output pixels pix (flat row-major indices).
func newRotation(m int, deg float64, kind interpKind, pix []int32) *rotation {
	taps := 4
	if kind == bilinearZero {
		taps = 2
	}
	r := &rotation{
		taps: taps,
		rows: make([]int32, len(pix)*taps),
		cols: make([]int32, len(pix)*taps),
		wr:   make([]float64, len(pix)*taps),
		wc:   make([]float64, len(pix)*taps),
		base: make([]int32, len(pix)),
	}
	c, s := cosSinDeg(deg)
	h := float64(m-1) / 2
	switch kind {
	case splineCubic:
		// scipy rotate: matrix [[c, s], [-s, c]], offset = in_centre - matrix·out_centre;
		// input coordinate = ((0 + o0·M00) + o1·M01) + shift, evaluated in that order
		// (scipy _interpolation.py rotate, ni_interpolation.c NI_GeometricTransform).
		off0 := h - (float64(c*h) + float64(s*h))
		off1 := h - (float64(-s*h) + float64(c*h))
		for k, p := range pix {
			o0, o1 := float64(int(p)/m), float64(int(p)%m)
			x0 := float64(float64(o0*c)+float64(o1*s)) + off0
			x1 := float64(float64(o0*(-s))+float64(o1*c)) + off1
			// mode 'constant': a coordinate outside [0, m-1] on either axis gives cval = 0.
			if x0 < 0 || x0 > float64(m-1) || x1 < 0 || x1 > float64(m-1) {
				continue
			}
			w0, w1 := cubicWeights(x0), cubicWeights(x1)
			s0, s1 := int(math.Floor(x0))-1, int(math.Floor(x1))-1
			for a := 0; a < 4; a++ {
				r.rows[k*4+a] = int32(mirrorIndex(s0+a, m) * m)
				r.cols[k*4+a] = int32(mirrorIndex(s1+a, m))
				r.wr[k*4+a] = w0[a]
				r.wc[k*4+a] = w1[a]
			}
		}
	case bilinearZero:
		// skimage.transform.rotate: centre ((cols-1)/2, (rows-1)/2) for the default centre
		// cols/2 - 0.5; inverse map from output to input, order 1, neighbours outside the
		// image read cval = 0.
		for k, p := range pix {
			o0, o1 := float64(int(p)/m)-h, float64(int(p)%m)-h
			x0 := c*o0 + s*o1 + h
			x1 := -s*o0 + c*o1 + h
			f0, f1 := math.Floor(x0), math.Floor(x1)
			t0, t1 := x0-f0, x1-f1
			i0, i1 := int(f0), int(f1)
			for a := 0; a < 2; a++ {
				ri, ci := i0+a, i1+a
				wr := [2]float64{1 - t0, t0}[a]
				wc := [2]float64{1 - t1, t1}[a]
				if ri < 0 || ri >= m {
					ri, wr = 0, 0
				}
				if ci < 0 || ci >= m {
					ci, wc = 0, 0
				}
				r.rows[k*2+a] = int32(ri * m)
				r.cols[k*2+a] = int32(ci)
				r.wr[k*2+a] = wr
				r.wc[k*2+a] = wc
			}
		}
	}
	for k := range pix {
		r.base[k] = -1
		j := k * taps
		plain := true
		for a := 1; a < taps; a++ {
			plain = plain && r.rows[j+a] == r.rows[j]+int32(a*m) && r.cols[j+a] == r.cols[j]+int32(a)
		}
		for a := 0; a < taps; a++ {
			plain = plain && r.wr[j+a] != 0 && r.wc[j+a] != 0
		}
		if plain {
			r.base[k] = r.rows[j] + r.cols[j]
		}
	}
	r.m = m
	return r
}

// apply writes the rotated values of src (m×m) at the rotation's output pixels into dst.
func (r *rotation) apply(dst, src []float64) {
	if r.taps == 4 {
		rows, cols, wr, wc := r.rows, r.cols, r.wr, r.wc
		m := r.m
		for k := range dst {
			j := k * 4
			if b := int(r.base[k]); b >= 0 {
				// Interior pixel: four contiguous rows of four.
				ar := wr[j : j+4 : j+4]
				ac := wc[j : j+4 : j+4]
				s0 := src[b : b+4 : b+4]
				s1 := src[b+m : b+m+4 : b+m+4]
				s2 := src[b+2*m : b+2*m+4 : b+2*m+4]
				s3 := src[b+3*m : b+3*m+4 : b+3*m+4]
				dst[k] = ar[0]*(ac[0]*s0[0]+ac[1]*s0[1]+ac[2]*s0[2]+ac[3]*s0[3]) +
					ar[1]*(ac[0]*s1[0]+ac[1]*s1[1]+ac[2]*s1[2]+ac[3]*s1[3]) +
					ar[2]*(ac[0]*s2[0]+ac[1]*s2[1]+ac[2]*s2[2]+ac[3]*s2[3]) +
					ar[3]*(ac[0]*s3[0]+ac[1]*s3[1]+ac[2]*s3[2]+ac[3]*s3[3])
				continue
			}
			rr := rows[j : j+4 : j+4]
			cc := cols[j : j+4 : j+4]
			ar := wr[j : j+4 : j+4]
			ac := wc[j : j+4 : j+4]
			var t float64
			for a := 0; a < 4; a++ {
				row := src[rr[a]:]
				t += ar[a] * (ac[0]*row[cc[0]] + ac[1]*row[cc[1]] + ac[2]*row[cc[2]] + ac[3]*row[cc[3]])
			}
			dst[k] = t
		}
		return
	}
	for k := range dst {
		j := k * 2
		r0, r1 := src[r.rows[j]:], src[r.rows[j+1]:]
		c0, c1 := r.cols[j], r.cols[j+1]
		dst[k] = r.wr[j]*(r.wc[j]*r0[c0]+r.wc[j+1]*r0[c1]) + r.wr[j+1]*(r.wc[j]*r1[c0]+r.wc[j+1]*r1[c1])
	}
}

// RotateSAC returns the m×m image a rotated by deg degrees about its centre exactly as
// scipy.ndimage.rotate(a, deg, reshape=False) does with its defaults (order-3 B-spline with
// prefilter, zero fill outside) [spec §5.4]. It is the slow, whole-image form of what the grid
// scorer does on ring pixels only; it exists for checks and plots.
func RotateSAC(a []float64, m int, deg float64) []float64 {
	if len(a) != m*m {
		panic("analysis: RotateSAC: len(a) != m*m")
	}
	pix := make([]int32, m*m)
	for i := range pix {
		pix[i] = int32(i)
	}
	coef := append([]float64(nil), a...)
	splinePrefilter(coef, m, make([]float64, m*m))
	out := make([]float64, m*m)
	newRotation(m, deg, splineCubic, pix).apply(out, coef)
	return out
}
