package analysis

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// SACMode selects how the spatial autocorrelogram treats empty (NaN) bins.
type SACMode int

const (
	// SACReference reproduces DM/SOR/NFL calculate_sac exactly, including its QUIRK: NaN bins
	// are replaced by 0 before the valid-bin indicator is built, so empty bins count as
	// valid zeros [spec §5.2, §0.1 item 3]. This is the default because the published scores
	// were computed this way.
	SACReference SACMode = iota
	// SACNaNAware leaves empty bins out of every lag's sums (the evident intent of the
	// reference code): N, S1, S2, S11, S22 and S12 run over pairs of non-empty bins only.
	SACNaNAware
)

// String returns the mode's name.
func (m SACMode) String() string {
	switch m {
	case SACReference:
		return "reference"
	case SACNaNAware:
		return "nan-aware"
	}
	return "SACMode(?)"
}

// tinyRate is the magnitude below which a non-zero rate makes squares and products
// underflow into subnormals, where the reference's float64 arithmetic starts to produce
// ±Inf correlations; maps holding such values take the direct (reference-order) path.
const tinyRate = 1e-145

// hugeRate is the magnitude above which squares overflow float64.
const hugeRate = 1e150

// corrPlan holds the FFT plans and buffers that compute 2-D linear cross-correlations of
// n×n images by zero-padding to p×p, p ≥ 2n−1. It is not safe for concurrent use.
type corrPlan struct {
	n, p   int
	rowFFT *fourier.FFT
	colFFT *fourier.CmplxFFT
	row    []float64
	col    []complex128
	specs  [][]complex128 // p rows × (p/2+1) columns, one per transformed image
	out    []float64      // p×p
}

// goodFFTSize returns the smallest 2,3,5-smooth integer ≥ k.
func goodFFTSize(k int) int {
	for p := k; ; p++ {
		q := p
		for _, f := range []int{2, 3, 5} {
			for q%f == 0 {
				q /= f
			}
		}
		if q == 1 {
			return p
		}
	}
}

func newCorrPlan(n, nspec int) *corrPlan {
	p := goodFFTSize(2*n - 1)
	cp := &corrPlan{
		n: n, p: p,
		rowFFT: fourier.NewFFT(p),
		colFFT: fourier.NewCmplxFFT(p),
		row:    make([]float64, p),
		col:    make([]complex128, p),
		out:    make([]float64, p*p),
	}
	cp.specs = make([][]complex128, nspec)
	for i := range cp.specs {
		cp.specs[i] = make([]complex128, p*(p/2+1))
	}
	return cp
}

// forward stores the 2-D spectrum of the n×n image a (zero-padded) in specs[k].
func (cp *corrPlan) forward(k int, a []float64) {
	n, p, h := cp.n, cp.p, cp.p/2+1
	s := cp.specs[k]
	clear(s)
	for i := 0; i < n; i++ {
		clear(cp.row)
		copy(cp.row, a[i*n:(i+1)*n])
		cp.rowFFT.Coefficients(s[i*h:(i+1)*h], cp.row)
	}
	for j := 0; j < h; j++ {
		for i := 0; i < p; i++ {
			cp.col[i] = s[i*h+j]
		}
		cp.colFFT.Coefficients(cp.col, cp.col)
		for i := 0; i < p; i++ {
			s[i*h+j] = cp.col[i]
		}
	}
}

// correlate computes C(Δ) = Σ_p a[p]·b[p+Δ] from the spectra specs[ka] and specs[kb] and
// writes it as an m×m image (m = 2n−1, zero lag at (n−1, n−1)) into dst.
func (cp *corrPlan) correlate(dst []float64, ka, kb int) {
	n, p, h := cp.n, cp.p, cp.p/2+1
	sa, sb := cp.specs[ka], cp.specs[kb]
	prod := cp.specs[len(cp.specs)-1]
	for i := range prod {
		prod[i] = complex(real(sa[i]), -imag(sa[i])) * sb[i]
	}
	for j := 0; j < h; j++ {
		for i := 0; i < p; i++ {
			cp.col[i] = prod[i*h+j]
		}
		cp.colFFT.Sequence(cp.col, cp.col)
		for i := 0; i < p; i++ {
			prod[i*h+j] = cp.col[i]
		}
	}
	m := 2*n - 1
	scale := 1 / float64(p*p)
	for i := 0; i < m; i++ {
		di := (i - (n - 1) + p) % p
		cp.rowFFT.Sequence(cp.row, prod[di*h:(di+1)*h])
		for j := 0; j < m; j++ {
			dj := (j - (n - 1) + p) % p
			dst[i*m+j] = cp.row[dj] * scale
		}
	}
}

// sacWork is the per-goroutine workspace of the autocorrelogram.
type sacWork struct {
	n       int
	auto    *autoCorrPlan // S12 of the reference mode
	plan    *corrPlan     // the NaN-aware mode's cross-correlations
	r       []float64     // n×n, NaN replaced
	r2      []float64     // n×n squares
	v       []float64     // n×n validity
	s12     []float64     // m×m
	s1      []float64     // m×m
	s11     []float64     // m×m
	cnt     []float64     // m×m
	corner  [4][]float64  // corner sums of r
	corner2 [4][]float64  // corner sums of r²
}

func newSACWork(n int) *sacWork {
	m := 2*n - 1
	w := &sacWork{
		n:    n,
		auto: newAutoCorrPlan(n),
		r:    make([]float64, n*n),
		r2:   make([]float64, n*n),
		v:    make([]float64, n*n),
		s12:  make([]float64, m*m),
		s1:   make([]float64, m*m),
		s11:  make([]float64, m*m),
		cnt:  make([]float64, m*m),
	}
	for i := range w.corner {
		w.corner[i] = make([]float64, (n+1)*(n+1))
		w.corner2[i] = make([]float64, (n+1)*(n+1))
	}
	return w
}

// Autocorrelogram returns the (2n−1)×(2n−1) spatial autocorrelogram of the n×n rate map
// rm (row-major; NaN = empty bin), with the zero lag at index (n−1, n−1) [spec §5.2]. Each
// lag's value is the Pearson correlation of the overlapping parts of the map with itself,
// computed with the reference's formula (cov/(std1·std2) from the five sums); lags where
// that is undefined (0/0) are 0, as the reference's nan_to_num makes them. S12 comes from an
// FFT and the other sums from corner-anchored running sums; the result matches the direct
// formula (SACDirect) to rounding.
//
// With SACReference a lag whose correlation overflows (possible only when rates are so
// small that their squares underflow) is reported as ok = false, because the reference then
// puts ±MaxFloat64 there and every score of the map becomes NaN.
func Autocorrelogram(rm []float64, n int, mode SACMode) (sac []float64, ok bool) {
	if len(rm) != n*n || n < 1 {
		panic("analysis: Autocorrelogram: len(rm) != n*n")
	}
	sac = make([]float64, (2*n-1)*(2*n-1))
	ok = newSACWork(n).compute(sac, rm, mode)
	return sac, ok
}

// compute writes the SAC of rm into dst; see Autocorrelogram.
func (w *sacWork) compute(dst, rm []float64, mode SACMode) bool {
	n := w.n
	hazard := false
	for i, x := range rm {
		if x != x {
			w.r[i], w.v[i] = 0, 0
			if mode == SACReference {
				w.v[i] = 1
			}
			continue
		}
		if a := math.Abs(x); a != 0 && (a < tinyRate || a > hugeRate) {
			hazard = true
		}
		w.r[i], w.v[i] = x, 1
	}
	if hazard {
		return sacDirect(dst, w.r, w.v, n, mode)
	}
	// The FFT's S12 carries an absolute error of about eps·log(p)·Σr²; where a lag's
	// nb·std1·std2 is not far above it (lags whose overlap holds only tiny rates, such as
	// the tail of a place field), S12 is summed directly, in O(nb), as the reference does.
	var sumSq float64
	for i, x := range w.r {
		sumSq += x * x * w.v[i]
	}
	fftErr := fftRelErr * sumSq
	if mode == SACReference {
		w.referenceLags(dst, fftErr*fftSafety)
		return true
	}
	w.nanAwareSums()
	// SAC(−Δ) = SAC(Δ) exactly (the formula is symmetric in the two series), so only the
	// lags up to the centre are computed and mirrored.
	m := 2*n - 1
	for k := 0; k <= m*m/2; k++ {
		i, j := k/m, k%m
		kr := m*m - 1 - k // the opposite lag −Δ
		nb := w.cnt[k]
		s1, s2 := w.s1[k], w.s1[kr]
		s11, s22 := w.s11[k], w.s11[kr]
		den := lagStd(s11/nb, s1/nb) * lagStd(s22/nb, s2/nb)
		s12 := w.s12[k]
		if !(nb*den >= fftErr*fftSafety) {
			// All six sums came from FFTs: redo the lag directly.
			s12, s1, s2, s11, s22, nb = w.directSums(i-(n-1), j-(n-1))
		}
		dst[k] = pearsonFromSums(s12, s1, s2, s11, s22, nb)
		dst[kr] = dst[k]
	}
	return true
}

// referenceLags computes every lag of the reference-mode SAC into dst: S12 by FFT, S1, S2,
// S11, S22 from corner-anchored running sums. For a lag Δ = (dr, dc) the bins p with p and
// p+Δ inside form an (n−|dr|)×(n−|dc|) rectangle anchored at the corner given by the signs
// of dr and dc, and the p+Δ rectangle is the same size at the opposite corner. Lags with
// nb·std1·std2 below direct get their S12 summed directly. SAC(−Δ) = SAC(Δ) exactly (the
// formula is symmetric in the two series), so half the lags are computed and mirrored.
func (w *sacWork) referenceLags(dst []float64, direct float64) {
	n, m := w.n, 2*w.n-1
	w.auto.correlate(w.s12, w.r)
	for i := range w.r2 {
		w.r2[i] = w.r[i] * w.r[i]
	}
	w.cornerSums(w.corner[:], w.r)
	w.cornerSums(w.corner2[:], w.r2)
	for k := 0; k <= m*m/2; k++ {
		dr, dc := k/m-(n-1), k%m-(n-1)
		c := 0
		if dr < 0 {
			c |= 2
		}
		if dc < 0 {
			c |= 1
		}
		h, wd := n-abs(dr), n-abs(dc)
		t := h*(n+1) + wd
		s1, s2 := w.corner[c][t], w.corner[c^3][t]
		s11, s22 := w.corner2[c][t], w.corner2[c^3][t]
		nb := float64(h * wd)
		// The reference's formula [spec §5.2 step 3], with 1/nb multiplied rather than
		// divided (a last-bit difference).
		inb := 1 / nb
		m1, m2 := s1*inb, s2*inb
		den := math.Sqrt(s11*inb-m1*m1) * math.Sqrt(s22*inb-m2*m2)
		var v float64
		if den > 0 { // 0/0 and NaN → 0, as nan_to_num makes them
			s12 := w.s12[k]
			if nb*den < direct {
				s12 = w.directS12(dr, dc)
			}
			v = (s12*inb - m1*m2) / den
		}
		dst[k] = v
		dst[m*m-1-k] = v
	}
}

// fftRelErr bounds the FFT correlation's rounding error relative to Σr² (float64 epsilon
// times a generous factor for the log p butterfly stages and the padding).
const fftRelErr = 1e-14

// fftSafety is how far above the FFT's error a lag's nb·std1·std2 must be (1e8: relative
// error of the correlation below 1e-8) for the FFT's S12 to be used.
const fftSafety = 1e8

// directSums returns the six NaN-aware sums of one lag, summed directly.
func (w *sacWork) directSums(dr, dc int) (s12, s1, s2, s11, s22, nb float64) {
	n := w.n
	for a := max(0, -dr); a < n-max(0, dr); a++ {
		for b := max(0, -dc); b < n-max(0, dc); b++ {
			p, q := a*n+b, (a+dr)*n+b+dc
			x, y, vx, vy := w.r[p], w.r[q], w.v[p], w.v[q]
			s12 += x * y
			s1 += x * vy
			s2 += vx * y
			s11 += x * x * vy
			s22 += vx * y * y
			nb += vx * vy
		}
	}
	return
}

// directS12 returns Σ r[p]·r[p+Δ] over the pairs inside the map (empty bins are zeros in
// w.r in both modes, so this is S12 for either mode).
func (w *sacWork) directS12(dr, dc int) float64 {
	n := w.n
	var s float64
	for a := max(0, -dr); a < n-max(0, dr); a++ {
		row, row2 := w.r[a*n:(a+1)*n], w.r[(a+dr)*n:(a+dr+1)*n]
		for b := max(0, -dc); b < n-max(0, dc); b++ {
			s += row[b] * row2[b+dc]
		}
	}
	return s
}

// constantRelVar is the variance, relative to the mean square, below which the NaN-aware
// SAC takes a lag's overlap as constant. E[x²] − E[x]² of a constant overlap is rounding, up
// to about 1e-15 of E[x²], and dividing by its square root gave correlations of ±1 or more
// (±MaxFloat64 directly) at lags whose correlation is 0/0: a saturated unit's plateau, a
// map constant but for one field; the FFT and direct SACs then disagreed by up to 1. Real
// variances of a rate map are far above 1e-12 of its mean square. The reference mode keeps
// the reference's arithmetic, whose rounding its golden scores record [spec §5.2 step 4].
const constantRelVar = 1e-12

// lagStd is the standard deviation √(E[x²] − E[x]²) of one side of a lag's overlap, given
// its mean square and mean, or 0 when the overlap is constant to rounding (constantRelVar).
func lagStd(meanSq, mean float64) float64 {
	v := meanSq - mean*mean
	if !(v > constantRelVar*meanSq) {
		return 0
	}
	return math.Sqrt(v)
}

// pearsonFromSums is the reference's per-lag formula [spec §5.2 step 3]; NaN (0/0, sqrt of a
// tiny negative) becomes 0 as nan_to_num makes it. Only the NaN-aware SAC uses it, so a
// side constant to rounding has std 0 (lagStd), which gives 0: there the true covariance is
// 0 too and only rounding could make it otherwise.
func pearsonFromSums(s12, s1, s2, s11, s22, nb float64) float64 {
	nb2 := nb * nb
	den := lagStd(s11/nb, s1/nb) * lagStd(s22/nb, s2/nb)
	if den == 0 {
		return 0
	}
	c := (s12/nb - s1*s2/nb2) / den
	if c != c {
		return 0
	}
	return c
}

// cornerSums fills corner[c][h*(n+1)+w] with the sum of a over the h×w rectangle anchored at
// corner c (bit 1: bottom instead of top, bit 0: right instead of left).
func (w *sacWork) cornerSums(tables [][]float64, a []float64) {
	n := w.n
	for c := 0; c < 4; c++ {
		t := tables[c]
		clear(t)
		for h := 1; h <= n; h++ {
			row := h - 1
			if c&2 != 0 {
				row = n - h
			}
			var run float64
			for wd := 1; wd <= n; wd++ {
				col := wd - 1
				if c&1 != 0 {
					col = n - wd
				}
				run += a[row*n+col]
				t[h*(n+1)+wd] = t[(h-1)*(n+1)+wd] + run
			}
		}
	}
}

// nanAwareSums fills the sums over pairs of non-empty bins, all by FFT correlation:
// S12 = r⋆r, S1(Δ) = Σ r[p]v[p+Δ] = r⋆v, S11 = r²⋆v, N = v⋆v (rounded to an integer).
func (w *sacWork) nanAwareSums() {
	if w.plan == nil {
		w.plan = newCorrPlan(w.n, 4)
	}
	for i := range w.r2 {
		w.r2[i] = w.r[i] * w.r[i]
	}
	w.plan.forward(0, w.r)
	w.plan.forward(1, w.v)
	w.plan.forward(2, w.r2)
	w.plan.correlate(w.s12, 0, 0)
	w.plan.correlate(w.s1, 0, 1)
	w.plan.correlate(w.s11, 2, 1)
	w.plan.correlate(w.cnt, 1, 1)
	for i, c := range w.cnt {
		w.cnt[i] = math.Round(c)
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// SACDirect computes the autocorrelogram with the reference's direct per-lag sums, in the
// reference's order of operations (DM scores.py calculate_sac: five 'full' correlations,
// then std1 = sqrt(S11/N − S1²/N²), cov = S12/N − S1·S2/N², cov/(std1·std2), NaN → 0,
// ±Inf → ±MaxFloat64). It costs O(n⁴) and serves as the check on Autocorrelogram and as its
// path for maps with extreme magnitudes. ok is false when a lag overflowed.
func SACDirect(rm []float64, n int, mode SACMode) (sac []float64, ok bool) {
	if len(rm) != n*n || n < 1 {
		panic("analysis: SACDirect: len(rm) != n*n")
	}
	r := make([]float64, n*n)
	v := make([]float64, n*n)
	for i, x := range rm {
		switch {
		case x == x:
			r[i], v[i] = x, 1
		case mode == SACReference:
			v[i] = 1
		}
	}
	sac = make([]float64, (2*n-1)*(2*n-1))
	ok = sacDirect(sac, r, v, n, mode)
	return sac, ok
}

func sacDirect(dst, r, v []float64, n int, mode SACMode) bool {
	m := 2*n - 1
	ok := true
	for i := 0; i < m; i++ {
		dr := i - (n - 1)
		for j := 0; j < m; j++ {
			dc := j - (n - 1)
			var s12, s1, s2, s11, s22, nb float64
			for a := max(0, -dr); a < n-max(0, dr); a++ {
				for b := max(0, -dc); b < n-max(0, dc); b++ {
					p, q := a*n+b, (a+dr)*n+b+dc
					x, y := r[p], r[q]
					vx, vy := v[p], v[q]
					s12 += x * y
					s1 += x * vy
					s2 += vx * y
					s11 += x * x * vy
					s22 += vx * y * y
					nb += vx * vy
				}
			}
			nb2 := nb * nb
			var den float64
			if mode == SACNaNAware {
				den = lagStd(s11/nb, s1/nb) * lagStd(s22/nb, s2/nb)
			} else {
				den = math.Sqrt(s11/nb-s1*s1/nb2) * math.Sqrt(s22/nb-s2*s2/nb2)
			}
			c := (s12/nb - s1*s2/nb2) / den
			switch {
			case c != c, mode == SACNaNAware && den == 0:
				c = 0
			case math.IsInf(c, 0):
				ok = false
				c = math.Copysign(math.MaxFloat64, c)
			}
			dst[i*m+j] = c
		}
	}
	return ok
}
