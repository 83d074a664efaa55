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
