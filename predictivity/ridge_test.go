package predictivity

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// linearTruth returns samples×units Gaussian units X and samples×neurons responses
// Y = X·W + noise, with W Gaussian scaled so that each neuron's signal has unit variance
// and noise of std noiseStd.
func linearTruth(samples, units, neurons int, noiseStd float64, seed uint64) (X, Y *mat.Dense) {
	rng := rand.New(rand.NewPCG(seed, 99))
	X = mat.NewDense(samples, units, nil)
	for i := 0; i < samples; i++ {
		for j := 0; j < units; j++ {
			X.Set(i, j, rng.NormFloat64())
		}
	}
	W := mat.NewDense(units, neurons, nil)
	for i := 0; i < units; i++ {
		for j := 0; j < neurons; j++ {
			W.Set(i, j, rng.NormFloat64()/math.Sqrt(float64(units)))
		}
	}
	Y = new(mat.Dense)
	Y.Mul(X, W)
	for i := 0; i < samples; i++ {
		for j := 0; j < neurons; j++ {
			Y.Set(i, j, Y.At(i, j)+noiseStd*rng.NormFloat64())
		}
	}
	return X, Y
}

// Tolerances of the acceptance criteria of issue 10.
const (
	recoverMinR = 0.95 // median held-out r on a linear ground truth with small noise
	shuffleMaxR = 0.1  // |median r| for rows permuted
)

func TestFitRecoversLinearTruth(t *testing.T) {
	X, Y := linearTruth(400, 30, 40, 0.1, 1)
	res, err := Fit(X, Y, &Settings{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("linear truth: median r %.4f, median R² %.4f, median α %.2g", res.MedianR, res.MedianR2, res.MedianPenalty)
	if res.MedianR < recoverMinR {
		t.Errorf("median r = %.4f, want > %g", res.MedianR, recoverMinR)
	}
	// With unit signal variance and noise std 0.1 the best possible R² is 1/(1+0.01).
	if res.MedianR2 < 0.95 || res.MedianR2 > 1 {
		t.Errorf("median R² = %.4f, want in [0.95, 1]", res.MedianR2)
	}
	if res.Samples != 400 || res.Units != 30 || res.Neurons != 40 {
		t.Errorf("counts %d %d %d", res.Samples, res.Units, res.Neurons)
	}

	// Shuffled control: the same responses with their rows permuted carry no information
	// about the units.
	perm := rand.New(rand.NewPCG(5, 5)).Perm(400)
	Ys := mat.NewDense(400, 40, nil)
	for i, p := range perm {
		Ys.SetRow(i, Y.RawRowView(p))
	}
	sh, err := Fit(X, Ys, &Settings{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shuffled: median r %.4f, median R² %.4f, median α %.2g", sh.MedianR, sh.MedianR2, sh.MedianPenalty)
	if math.Abs(sh.MedianR) > shuffleMaxR {
		t.Errorf("shuffled median r = %.4f, want |r| < %g", sh.MedianR, shuffleMaxR)
	}
	if sh.MedianR2 > 0.02 {
		t.Errorf("shuffled median R² = %.4f, want ≤ 0.02", sh.MedianR2)
	}
}

// The inner cross-validation must shrink more when the responses are noisier.
func TestFitPenaltyGrowsWithNoise(t *testing.T) {
	prev := 0.0
	for _, noise := range []float64{0.03, 1, 5} {
		X, Y := linearTruth(300, 40, 30, noise, 2)
		res, err := Fit(X, Y, &Settings{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("noise %g: median α %.3g, median r %.3f", noise, res.MedianPenalty, res.MedianR)
		if !(res.MedianPenalty > prev) {
			t.Errorf("noise %g: median penalty %.3g, not above %.3g at the lower noise", noise, res.MedianPenalty, prev)
		}
		prev = res.MedianPenalty
	}
}

func TestFitNaNRowsAndSubsampling(t *testing.T) {
	X, Y := linearTruth(300, 40, 10, 0.1, 4)
	for _, i := range []int{3, 50, 299} {
		X.Set(i, 7, math.NaN())
	}
	Y.Set(10, 2, math.NaN())
	res, err := Fit(X, Y, &Settings{Units: 10, Repeats: 3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if res.Samples != 296 {
		t.Errorf("samples = %d, want 296 (4 rows with NaN dropped)", res.Samples)
	}
	if res.Units != 10 || len(res.RepeatMedianR) != 3 {
		t.Errorf("units %d, repeats %d", res.Units, len(res.RepeatMedianR))
	}
	// Ten of forty regressors explain about a quarter of each neuron's variance.
	if res.MedianR > 0.8 || res.MedianR < 0.2 {
		t.Errorf("median r with 10 of 40 units = %.3f, want between 0.2 and 0.8", res.MedianR)
	}
	again, err := Fit(X, Y, &Settings{Units: 10, Repeats: 3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if again.MedianR != res.MedianR {
		t.Errorf("not deterministic: %v vs %v", again.MedianR, res.MedianR)
	}
}

func TestFitErrors(t *testing.T) {
	X, Y := linearTruth(20, 3, 2, 0.1, 1)
	if _, err := Fit(X, Y, nil); !errors.Is(err, ErrTooFewSamples) {
		t.Errorf("20 samples for 5×3 folds: %v, want ErrTooFewSamples", err)
	}
	for _, s := range []Settings{{Folds: 1}, {InnerFolds: 1}, {Units: -1}, {Penalties: []float64{1, -1}}} {
		if _, err := Fit(X, Y, &s); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}

// The SVD path must give the same coefficients as solving the normal equations.
func TestRidgePathMatchesNormalEquations(t *testing.T) {
	X, Y := linearTruth(50, 6, 3, 0.5, 7)
	rp, err := newRidgePath(X, Y)
	if err != nil {
		t.Fatal(err)
	}
	const alpha = 0.3
	xs := mat.DenseCopyOf(X)
	standardise(xs, rp.mean, rp.scale)
	yc := mat.DenseCopyOf(Y)
	standardise(yc, rp.ymean, nil)
	var a mat.Dense
	a.Mul(xs.T(), xs)
	for i := 0; i < 6; i++ {
		a.Set(i, i, a.At(i, i)+50*alpha)
	}
	var rhs, b mat.Dense
	rhs.Mul(xs.T(), yc)
	if err := b.Solve(&a, &rhs); err != nil {
		t.Fatal(err)
	}
	var want mat.Dense
	want.Mul(xs, &b)
	got := rp.predict(rp.project(X), []float64{alpha, alpha, alpha})
	const tol = 1e-10
	for i := 0; i < 50; i++ {
		for j := 0; j < 3; j++ {
			if d := math.Abs(got.At(i, j) - rp.ymean[j] - want.At(i, j)); d > tol {
				t.Fatalf("(%d,%d): SVD path %g, normal equations %g", i, j, got.At(i, j)-rp.ymean[j], want.At(i, j))
			}
		}
	}
}

// With more units than samples the dual form (SVD's U, kernel X̃*·X̃ᵀ) must give the
// same predictions as the normal equations.
func TestRidgePathDualMatchesNormalEquations(t *testing.T) {
	X, Y := linearTruth(12, 30, 2, 0.5, 8)
	rp, err := newRidgePath(X, Y)
	if err != nil {
		t.Fatal(err)
	}
	if !rp.dual {
		t.Fatal("12×30 design not in dual form")
	}
	const alpha = 0.05
	xs := mat.DenseCopyOf(X)
	standardise(xs, rp.mean, rp.scale)
	yc := mat.DenseCopyOf(Y)
	standardise(yc, rp.ymean, nil)
	var a mat.Dense
	a.Mul(xs.T(), xs)
	for i := 0; i < 30; i++ {
		a.Set(i, i, a.At(i, i)+12*alpha)
	}
	var rhs, b mat.Dense
	rhs.Mul(xs.T(), yc)
	if err := b.Solve(&a, &rhs); err != nil {
		t.Fatal(err)
	}
	Xnew, _ := linearTruth(5, 30, 2, 0.5, 9)
	xn := mat.DenseCopyOf(Xnew)
	standardise(xn, rp.mean, rp.scale)
	var want mat.Dense
	want.Mul(xn, &b)
	got := rp.predict(rp.project(Xnew), []float64{alpha, alpha})
	const tol = 1e-9
	for i := 0; i < 5; i++ {
		for j := 0; j < 2; j++ {
			if d := math.Abs(got.At(i, j) - rp.ymean[j] - want.At(i, j)); d > tol {
				t.Fatalf("(%d,%d): dual path %g, normal equations %g", i, j, got.At(i, j)-rp.ymean[j], want.At(i, j))
			}
		}
	}
}
