package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fftTol bounds the float64 rounding of a 2-D FFT correlation of O(1) data.
const fftTol = 1e-10

func TestAutoCorrPlanMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for _, n := range []int{1, 2, 3, 7, 20, 32, 33} {
		r := make([]float64, n*n)
		for i := range r {
			r[i] = rng.NormFloat64()
		}
		m := 2*n - 1
		got := make([]float64, m*m)
		newAutoCorrPlan(n).correlate(got, r)
		w := newSACWork(n)
		copy(w.r, r)
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				want := w.directS12(i-(n-1), j-(n-1))
				if math.Abs(got[i*m+j]-want) > fftTol {
					t.Fatalf("n=%d lag (%d, %d): FFT %v, direct %v", n, i-(n-1), j-(n-1), got[i*m+j], want)
				}
			}
		}
	}
}

// TestPowerSpectrumPaths checks the radix-2 spectrum against gonum's on the same map, and
// Parseval's theorem: Σ|F|² = size² · Σx² for the mean-subtracted map.
func TestPowerSpectrumPaths(t *testing.T) {
	const tol = 1e-9
	rng := rand.New(rand.NewPCG(22, 23))
	n := 12
	rm := randomMap(rng, n, 0.1)
	a, _ := PowerSpectrum(rm, n, 32) // radix-2
	b, _ := PowerSpectrum(rm, n, 30) // gonum mixed radix
	var mean float64
	cnt := 0
	for _, x := range rm {
		if x == x {
			mean += x
			cnt++
		}
	}
	mean /= float64(cnt)
	var energy float64
	for _, x := range rm {
		if x == x {
			energy += (x - mean) * (x - mean)
		}
	}
	for _, c := range []struct {
		p    []float64
		size int
	}{{a, 32}, {b, 30}} {
		var s float64
		for _, v := range c.p {
			s += v
		}
		if want := float64(c.size*c.size) * energy; math.Abs(s-want) > tol*want {
			t.Errorf("size %d: Σ|F|² %v, Parseval %v", c.size, s, want)
		}
	}
	// Zero frequency and a shared frequency (1/2 cycle per bin is index 16 of 32 and 15 of 30).
	if math.Abs(a[16*32+16]-b[15*30+15]) > tol*a[16*32+16] {
		t.Errorf("Nyquist power: radix-2 %v, gonum %v", a[16*32+16], b[15*30+15])
	}
}

// TestCFFTMatchesDFT checks both FFT kinds against the O(p²) DFT.
func TestCFFTMatchesDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 27))
	for _, p := range []int{2, 4, 6, 12, 16, 48, 96} {
		x := make([]complex128, p)
		for i := range x {
			x[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		for _, inverse := range []bool{false, true} {
			got := append([]complex128(nil), x...)
			newCFFT(p).transform(got, inverse)
			sign := -1.0
			if inverse {
				sign = 1
			}
			for k := 0; k < p; k++ {
				var want complex128
				for j, v := range x {
					s, c := math.Sincos(sign * 2 * math.Pi * float64(j*k%p) / float64(p))
					want += v * complex(c, s)
				}
				if d := got[k] - want; math.Hypot(real(d), imag(d)) > fftTol {
					t.Fatalf("p=%d inverse=%v k=%d: %v, DFT %v", p, inverse, k, got[k], want)
				}
			}
		}
	}
	if fftLength(87) != 96 || fftLength(63) != 64 || fftLength(39) != 48 || fftLength(1) != 2 {
		t.Errorf("fftLength: 87→%d 63→%d 39→%d 1→%d", fftLength(87), fftLength(63), fftLength(39), fftLength(1))
	}
}
