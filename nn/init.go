package nn

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Initializers fill a host rows×cols (inputs×outputs, Keras kernel layout) matrix in float64.
// fan_in = rows and fan_out = cols, as Keras computes them for 2-D kernels.

// glorotUniform is Keras GlorotUniform: U(−l, l) with l = √(6/(fan_in+fan_out)).
func glorotUniform(rng *rand.Rand, rows, cols int) []float64 {
	l := math.Sqrt(6 / float64(rows+cols))
	return uniform(rng, rows*cols, l)
}

// uniform returns n draws of U(−l, l).
func uniform(rng *rand.Rand, n int, l float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = (2*rng.Float64() - 1) * l
	}
	return w
}

// truncatedNormalStdCorrection is the standard deviation of a unit normal truncated to
// [−2, 2]; Keras' VarianceScaling divides the target stddev by it so that the truncated
// draws have the intended variance (keras/initializers/initializers_v2.py).
const truncatedNormalStdCorrection = 0.87962566103423978

// glorotNormal is Keras GlorotNormal: a normal truncated at two standard deviations
// (redrawn outside), std √(2/(fan_in+fan_out)) / 0.8796.
func glorotNormal(rng *rand.Rand, rows, cols int) []float64 {
	std := math.Sqrt(2/float64(rows+cols)) / truncatedNormalStdCorrection
	w := make([]float64, rows*cols)
	for i := range w {
		x := rng.NormFloat64()
		for math.Abs(x) > 2 {
			x = rng.NormFloat64()
		}
		w[i] = x * std
	}
	return w
}

// orthogonal is Keras Orthogonal (gain 1): the Q factor of the QR decomposition of a
// max(r,c)×min(r,c) standard normal matrix, with columns multiplied by sign(diag R) so the
// distribution is uniform (Haar), transposed when rows < cols.
//
// Only the thin n×k Q is formed, as Keras does (qr with full_matrices=False): the full n×n
// Q of mat.QR took 10 s at the LSTM's 4096×1024 (Ng 1024) before the first step.
func orthogonal(rng *rand.Rand, rows, cols int) []float64 {
	n, k := max(rows, cols), min(rows, cols)
	a := blas64.General{Rows: n, Cols: k, Stride: k, Data: make([]float64, n*k)}
	for i := range a.Data {
		a.Data[i] = rng.NormFloat64()
	}
	tau := make([]float64, k)
	work := make([]float64, 1)
	lapack64.Geqrf(a, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(a, tau, work, len(work))
	negative := make([]bool, k) // sign(diag R), read before Orgqr overwrites R
	for j := range k {
		negative[j] = a.Data[j*k+j] < 0
	}
	lapack64.Orgqr(a, tau, work, -1)
	if need := int(work[0]); need > len(work) {
		work = make([]float64, need)
	}
	lapack64.Orgqr(a, tau, work, len(work))
	w := make([]float64, rows*cols)
	for i := range n {
		for j := range k {
			v := a.Data[i*k+j]
			if negative[j] {
				v = -v
			}
			if rows >= cols {
				w[i*cols+j] = v
			} else {
				w[j*cols+i] = v
			}
		}
	}
	return w
}

func (c Config) recurrentInit(rng *rand.Rand, rows, cols int) []float64 {
	switch c.Initializer {
	case GlorotNormal:
		return glorotNormal(rng, rows, cols)
	case Orthogonal:
		return orthogonal(rng, rows, cols)
	}
	return glorotUniform(rng, rows, cols)
}
