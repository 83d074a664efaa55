package analysis

import (
	"math"
	"math/bits"
)

// cfft is an in-place unnormalised complex FFT of a fixed length.
type cfft interface {
	transform(x []complex128, inverse bool)
}

// newCFFT returns an FFT of length p, which must be 2^k or 3·2^k.
func newCFFT(p int) cfft {
	if p%3 == 0 {
		return newRadix3x2(p)
	}
	return newRadix2(p)
}

// fftLength returns the smallest length ≥ k of the form 2^j or 3·2^j.
func fftLength(k int) int {
	p := 1
	for p < k {
		p <<= 1
	}
	if q := p / 4 * 3; q >= k && q > 0 {
		return q
	}
	return max(p, 2)
}

// radix3x2 is an FFT of length p = 3q, q a power of two: one decimation-in-time radix-3
// step over three radix-2 transforms of the interleaved thirds,
// X[k] = Y0[k mod q] + w^k·Y1[k mod q] + w^2k·Y2[k mod q], w = exp(∓2πi/p).
type radix3x2 struct {
	p, q int
	sub  *radix2
	tw   []complex128 // exp(−2πik/p), k < p
	part [3][]complex128
}

func newRadix3x2(p int) *radix3x2 {
	q := p / 3
	f := &radix3x2{p: p, q: q, tw: make([]complex128, p)}
	if q >= 2 {
		f.sub = newRadix2(q)
	}
	for k := range f.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(p))
		f.tw[k] = complex(c, s)
	}
	for r := range f.part {
		f.part[r] = make([]complex128, q)
	}
	return f
}

func (f *radix3x2) transform(x []complex128, inverse bool) {
	p, q := f.p, f.q
	for r := 0; r < 3; r++ {
		y := f.part[r]
		for t := range y {
			y[t] = x[3*t+r]
		}
		if f.sub != nil {
			f.sub.transform(y, inverse)
		}
	}
	y0, y1, y2 := f.part[0], f.part[1], f.part[2]
	for k := 0; k < p; k++ {
		w1, w2 := f.tw[k], f.tw[2*k%p]
		if inverse {
			w1, w2 = complex(real(w1), -imag(w1)), complex(real(w2), -imag(w2))
		}
		kk := k % q
		x[k] = y0[kk] + w1*y1[kk] + w2*y2[kk]
	}
}

// radix2 is an in-place iterative radix-2 complex FFT of a fixed power-of-two length, with
// its twiddles and bit-reversal table precomputed. The autocorrelogram is the scorer's
// hottest FFT use, and a plain radix-2 transform with packed real rows is several times
// faster there than a general mixed-radix one.
type radix2 struct {
	p   int
	tw  []complex128 // tw[k] = exp(−2πik/p), k < p/2
	itw []complex128 // conjugate twiddles for the inverse
	rev []int32
}

func newRadix2(p int) *radix2 {
	if p < 2 || p&(p-1) != 0 {
		panic("analysis: radix2: length must be a power of two ≥ 2")
	}
	f := &radix2{p: p, tw: make([]complex128, p/2), itw: make([]complex128, p/2), rev: make([]int32, p)}
	for k := range f.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(p))
		f.tw[k] = complex(c, s)
		f.itw[k] = complex(c, -s)
	}
	shift := 64 - bits.TrailingZeros(uint(p))
	for i := range f.rev {
		f.rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
	}
	return f
}

// transform replaces x (length p) by its unnormalised DFT, Σ x[t]·exp(∓2πikt/p) with the
// minus sign for forward and the plus sign for inverse.
func (f *radix2) transform(x []complex128, inverse bool) {
	p := f.p
	x = x[:p]
	for i, r := range f.rev {
		if j := int(r); i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	tw := f.tw
	if inverse {
		tw = f.itw
	}
	// First stage: twiddle 1.
	for i := 0; i+1 < p; i += 2 {
		a, b := x[i], x[i+1]
		x[i], x[i+1] = a+b, a-b
	}
	for size := 4; size <= p; size <<= 1 {
		half := size >> 1
		step := p / size
		for start := 0; start < p; start += size {
			a := x[start : start+half : start+half]
			b := x[start+half : start+size : start+size]
			for k := range a {
				t := tw[k*step] * b[k]
				b[k] = a[k] - t
				a[k] += t
			}
		}
	}
}

// autoCorrPlan computes the full linear autocorrelation S(Δ) = Σ_p r[p]·r[p+Δ] of a real
// n×n image by a p×p radix-2 FFT (p ≥ 2n−1), packing two real rows (or columns) into one
// complex transform wherever the data are real. It is not safe for concurrent use.
type autoCorrPlan struct {
	n, p, h int
	f       cfft
	buf     []complex128 // p
	spec    []complex128 // p rows × h columns
	pw      []float64    // p rows × h columns, the power spectrum
	col     []complex128 // p × h after the inverse column transforms
}

func newAutoCorrPlan(n int) *autoCorrPlan {
	return newFFT2Plan(n, fftLength(2*n-1))
}

// newFFT2Plan returns a plan for n×n images zero-padded to p×p (p = 2^k or 3·2^k, ≥ n);
// with p ≥ 2n−1 its correlate is a linear autocorrelation.
func newFFT2Plan(n, p int) *autoCorrPlan {
	h := p/2 + 1
	return &autoCorrPlan{n: n, p: p, h: h, f: newCFFT(p),
		buf:  make([]complex128, p),
		spec: make([]complex128, p*h),
		pw:   make([]float64, p*h),
		col:  make([]complex128, p*h),
	}
}

// correlate writes the (2n−1)×(2n−1) autocorrelation of the n×n image r into dst, zero lag
// at (n−1, n−1).
func (a *autoCorrPlan) correlate(dst, r []float64) {
	a.power(r)
	a.inverse(dst)
}

// power fills a.pw (p rows × h columns, columns 0…p/2) with |F|² of the n×n image r
// zero-padded to p×p.
func (a *autoCorrPlan) power(r []float64) {
	n, p, h := a.n, a.p, a.h
	buf := a.buf
	// Rows: pack rows i and i+1 as real and imaginary parts; split the spectra with
	// A[k] = (Z[k] + conj Z[−k])/2, B[k] = (Z[k] − conj Z[−k])/(2i).
	clear(a.spec)
	for i := 0; i < n; i += 2 {
		clear(buf)
		for j := 0; j < n; j++ {
			im := 0.0
			if i+1 < n {
				im = r[(i+1)*n+j]
			}
			buf[j] = complex(r[i*n+j], im)
		}
		a.f.transform(buf, false)
		ra := a.spec[i*h : (i+1)*h]
		var rb []complex128
		if i+1 < n {
			rb = a.spec[(i+1)*h : (i+2)*h]
		}
		for k := 0; k < h; k++ {
			z := buf[k]
			zc := buf[(p-k)%p]
			zc = complex(real(zc), -imag(zc))
			ra[k] = complex(0.5*(real(z)+real(zc)), 0.5*(imag(z)+imag(zc)))
			if rb != nil {
				// (z − zc)/(2i)
				rb[k] = complex(0.5*(imag(z)-imag(zc)), -0.5*(real(z)-real(zc)))
			}
		}
	}
	// Columns forward, then the power spectrum.
	for k := 0; k < h; k++ {
		for i := 0; i < p; i++ {
			buf[i] = a.spec[i*h+k]
		}
		a.f.transform(buf, false)
		for i := 0; i < p; i++ {
			v := buf[i]
			a.pw[i*h+k] = real(v)*real(v) + imag(v)*imag(v)
		}
	}
}

// inverse writes the (2n−1)×(2n−1) inverse transform of a.pw, lags wrapped, into dst.
func (a *autoCorrPlan) inverse(dst []float64) {
	n, p, h := a.n, a.p, a.h
	buf := a.buf
	// Columns inverse: two real power columns per complex transform.
	for k := 0; k < h; k += 2 {
		for i := 0; i < p; i++ {
			im := 0.0
			if k+1 < h {
				im = a.pw[i*h+k+1]
			}
			buf[i] = complex(a.pw[i*h+k], im)
		}
		a.f.transform(buf, true)
		for t := 0; t < p; t++ {
			z := buf[t]
			zc := buf[(p-t)%p]
			zc = complex(real(zc), -imag(zc))
			a.col[t*h+k] = complex(0.5*(real(z)+real(zc)), 0.5*(imag(z)+imag(zc)))
			if k+1 < h {
				a.col[t*h+k+1] = complex(0.5*(imag(z)-imag(zc)), -0.5*(real(z)-real(zc)))
			}
		}
	}
	// Rows inverse: each output row is real; pack two rows per transform, rebuilding the
	// full spectrum from the half with Hermitian symmetry.
	m := 2*n - 1
	scale := 1 / float64(p*p)
	for i := 0; i < m; i += 2 {
		t1 := (i - (n - 1) + p) % p
		t2 := -1
		if i+1 < m {
			t2 = (i + 1 - (n - 1) + p) % p
		}
		for k := 0; k < h; k++ {
			g1 := a.col[t1*h+k]
			var g2 complex128
			if t2 >= 0 {
				g2 = a.col[t2*h+k]
			}
			// Z[k] = G1[k] + i·G2[k]; Z[p−k] = conj G1[k] + i·conj G2[k].
			buf[k] = g1 + complex(-imag(g2), real(g2))
			if k > 0 && k < p-k {
				buf[p-k] = complex(real(g1), -imag(g1)) + complex(imag(g2), real(g2))
			}
		}
		a.f.transform(buf, true)
		for j := 0; j < m; j++ {
			v := buf[(j-(n-1)+p)%p]
			dst[i*m+j] = real(v) * scale
			if t2 >= 0 {
				dst[(i+1)*m+j] = imag(v) * scale
			}
		}
	}
}
