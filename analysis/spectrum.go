package analysis

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// SpectralPeak is the dominant spatial frequency of a rate map's 2-D Fourier spectrum, the
// usual Fourier analysis of grid modules (Krupic et al. 2012: FFT of the mean-subtracted map,
// zero-padded).
type SpectralPeak struct {
	K     float64 // wavenumber |k|, cycles per bin
	Angle float64 // direction of the wave vector, degrees in (−90, 90], atan2(ky, kx)
	Power float64 // |F|² at the peak
	// Spacing is the hexagonal-lattice spacing that K implies, 2/(√3·K) bins: three plane
	// waves of wavenumber K make fields at that distance.
	Spacing float64
	Reason  string // why the fields are NaN; empty when defined
}

// AngularWavenumber returns K in radians per metre, the unit of package theory's k*, for
// rate-map bins of binSize metres: 2π·K/binSize.
func (p SpectralPeak) AngularWavenumber(binSize float64) float64 {
	return 2 * math.Pi * p.K / binSize
}

// SpectrumSize is the default zero-padded FFT side for rate-map spectra (Krupic et al.
// 2012 use 256).
const SpectrumSize = 256

// PowerSpectrum returns the size×size power spectrum |F|² of the n×n rate map rm after
// subtracting its mean over non-empty bins and setting empty bins to 0 (= the mean), with
// zero padding to size (size ≥ n; 0 means SpectrumSize or n if larger). Frequencies are
// unshifted: index (a, b) is (a/size, b/size) cycles per bin, wrapped at size/2.
func PowerSpectrum(rm []float64, n, size int) ([]float64, int) {
	if len(rm) != n*n {
		panic("analysis: PowerSpectrum: len(rm) != n*n")
	}
	if size <= 0 {
		size = max(SpectrumSize, n)
	}
	if size < n {
		panic("analysis: PowerSpectrum: size < n")
	}
	var mean float64
	cnt := 0
	for _, x := range rm {
		if x == x {
			mean += x
			cnt++
		}
	}
	if cnt > 0 {
		mean /= float64(cnt)
	}
	x := make([]float64, n*n)
	for i, v := range rm {
		if v == v {
			x[i] = v - mean
		}
	}
	power := make([]float64, size*size)
	if size&(size-1) == 0 || (size%3 == 0 && (size/3)&(size/3-1) == 0 && size >= 6) {
		// Sizes 2^k and 3·2^k: the packed-real radix-2 (and radix-3) transform.
		pl := newFFT2Plan(n, size)
		pl.power(x)
		h := pl.h
		for a := 0; a < size; a++ {
			for b := 0; b < h; b++ {
				v := pl.pw[a*h+b]
				power[a*size+b] = v
				// Real input: F(−a, −b) = conj F(a, b).
				power[((size-a)%size)*size+(size-b)%size] = v
			}
		}
		return power, size
	}
	h := size/2 + 1
	rowFFT := fourier.NewFFT(size)
	colFFT := fourier.NewCmplxFFT(size)
	spec := make([]complex128, size*h)
	row := make([]float64, size)
	for i := 0; i < n; i++ {
		clear(row)
		copy(row, x[i*n:(i+1)*n])
		rowFFT.Coefficients(spec[i*h:(i+1)*h], row)
	}
	col := make([]complex128, size)
	for b := 0; b < h; b++ {
		for a := 0; a < size; a++ {
			col[a] = spec[a*h+b]
		}
		colFFT.Coefficients(col, col)
		for a := 0; a < size; a++ {
			v := real(col[a])*real(col[a]) + imag(col[a])*imag(col[a])
			power[a*size+b] = v
			power[((size-a)%size)*size+(size-b)%size] = v
		}
	}
	return power, size
}

// DominantWavenumber returns the peak of the n×n rate map's power spectrum (zero-padded to
// size; 0 means the default), excluding the zero frequency, refined to sub-bin precision by
// a parabola along each axis.
func DominantWavenumber(rm []float64, n, size int) SpectralPeak {
	nan := math.NaN()
	if r, _ := checkMap(rm, SACNaNAware); r != "" {
		return SpectralPeak{K: nan, Angle: nan, Power: nan, Spacing: nan, Reason: r}
	}
	power, s := PowerSpectrum(rm, n, size)
	best, ba, bb := -1.0, 0, 0
	// Half plane b ∈ [0, s/2]: the spectrum is point-symmetric.
	for a := 0; a < s; a++ {
		for b := 0; b <= s/2; b++ {
			if a == 0 && b == 0 {
				continue
			}
			if p := power[a*s+b]; p > best {
				best, ba, bb = p, a, b
			}
		}
	}
	at := func(a, b int) float64 { return power[((a+s)%s)*s+(b+s)%s] }
	fa := float64(ba) + parabolaOffset(at(ba-1, bb), best, at(ba+1, bb))
	fb := float64(bb) + parabolaOffset(at(ba, bb-1), best, at(ba, bb+1))
	if fa > float64(s)/2 {
		fa -= float64(s)
	}
	kx, ky := fa/float64(s), fb/float64(s)
	k := math.Hypot(kx, ky)
	ang := math.Atan2(ky, kx) * 180 / math.Pi
	if ang <= -90 {
		ang += 180
	} else if ang > 90 {
		ang -= 180
	}
	return SpectralPeak{K: k, Angle: ang, Power: best, Spacing: 2 / (math.Sqrt(3) * k)}
}
