package predictivity

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// PCG stream numbers under Settings.Seed, one per independent use of randomness.
const (
	streamFolds = 1 // outer and inner fold assignment
	streamUnits = 2 // unit subsamples
)

// Settings configures Fit. A nil *Settings means the defaults; a zero field means its
// default.
type Settings struct {
	Folds      int // outer cross-validation folds (default 5)
	InnerFolds int // inner folds on each outer training set that choose the penalties (default 3)
	// Penalties is the grid of ridge penalties α searched by the inner cross-validation
	// (default DefaultPenalties). α multiplies the mean squared coefficient norm of the
	// standardised design: the fit minimises (1/n)‖Y − XB‖² + α‖B‖², so one α means the
	// same shrinkage whatever the number of samples.
	Penalties []float64
	// Units is the number of model units drawn (without replacement) as regressors in each
	// repeat, so that models with more units do not predict better merely by having more
	// regressors (default 0: all units, one repeat).
	Units   int
	Repeats int    // unit subsamples averaged over when Units is set (default 1)
	Seed    uint64 // seed of the fold assignment and of the unit draws (default 0)
}

// DefaultPenalties returns the default penalty grid: 10⁻⁵ … 10³ in half decades (17
// values).
// ErrTooFewSamples: after the rows with NaN are dropped (unvisited bins, silent neurons),
// too few samples remain for the cross-validation's folds: a problem of the input data or
// of the fold counts, not of the computation.
var ErrTooFewSamples = errors.New("too few samples")

func DefaultPenalties() []float64 {
	p := make([]float64, 17)
	for i := range p {
		p[i] = math.Pow(10, -5+0.5*float64(i))
	}
	return p
}

func (s *Settings) resolve() (Settings, error) {
	var r Settings
	if s != nil {
		r = *s
		r.Penalties = slices.Clone(s.Penalties)
	}
	if r.Folds == 0 {
		r.Folds = 5
	}
	if r.InnerFolds == 0 {
		r.InnerFolds = 3
	}
	if len(r.Penalties) == 0 {
		r.Penalties = DefaultPenalties()
	}
	if r.Repeats == 0 {
		r.Repeats = 1
	}
	switch {
	case r.Folds < 2:
		return r, fmt.Errorf("predictivity: Folds = %d: need at least 2 outer folds", r.Folds)
	case r.InnerFolds < 2:
		return r, fmt.Errorf("predictivity: InnerFolds = %d: need at least 2 inner folds", r.InnerFolds)
	case r.Units < 0:
		return r, fmt.Errorf("predictivity: Units = %d: must be ≥ 0 (0 = all units)", r.Units)
	case r.Repeats < 1:
		return r, fmt.Errorf("predictivity: Repeats = %d: must be ≥ 1", r.Repeats)
	}
	for _, a := range r.Penalties {
		if !(a > 0) || math.IsInf(a, 0) {
			return r, fmt.Errorf("predictivity: Penalties holds %g: penalties must be positive and finite", a)
		}
	}
	// Search from the largest penalty down so that ties go to the stronger shrinkage.
	slices.Sort(r.Penalties)
	slices.Reverse(r.Penalties)
	return r, nil
}

// Result is the outcome of Fit.
type Result struct {
	// R is each neuron's held-out Pearson correlation between prediction and recording,
	// computed within each outer test fold and averaged over the folds and repeats; NaN when
	// no fold defines it (a constant neuron). Correlating within folds, rather than over the
	// pooled held-out predictions, keeps the fold-to-fold changes of the training mean out
	// of r: pooled, a model that has learnt nothing scores about −√((K−1)/n), not 0.
	R []float64
	// R2 is each neuron's held-out coefficient of determination 1 − SSE/SST over the pooled
	// out-of-fold predictions (SST about the neuron's mean over all used samples), averaged
	// over repeats; it is ≤ 1 and negative for predictions worse than the mean.
	R2 []float64
	// Penalty is the geometric mean, over outer folds and repeats, of the penalty α the
	// inner cross-validation chose for each neuron.
	Penalty []float64
	// MedianR and MedianR2 are the medians of R and R2 over the neurons where they are
	// defined; MedianPenalty is the median of Penalty.
	MedianR, MedianR2, MedianPenalty float64
	// RepeatMedianR is the median r of each unit subsample, in draw order.
	RepeatMedianR []float64
	Samples       int // samples used: those where no unit and no neuron is NaN
	Units         int // regressors per fit (Settings.Units, or all units)
	Neurons       int
}

// Fit predicts the neurons from the model's units by cross-validated ridge regression
// (package doc). model is samples×units and neural samples×neurons, sharing their rows
// (rate-map bins, or time points); use Transpose for units×bins data. Rows where any
// value is NaN or infinite are dropped from both. Each fit centres the neurons and
// standardises the units with the statistics of its training rows, so an intercept is
// fitted and not penalised.
//
// It returns an error for invalid settings and when too few usable samples remain for
// the folds. It panics if the row counts differ.
func Fit(model, neural *mat.Dense, s *Settings) (*Result, error) {
	n, p := model.Dims()
	if rn, _ := neural.Dims(); rn != n {
		panic(fmt.Sprintf("predictivity: model has %d samples, neural %d", n, rn))
	}
	_, m := neural.Dims()
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	keep := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if finiteRow(model.RawRowView(i)) && finiteRow(neural.RawRowView(i)) {
			keep = append(keep, i)
		}
	}
	// Every inner training set needs more than one row, and every outer test fold at
	// least two rows for a correlation.
	if need := 2 * set.Folds * set.InnerFolds; len(keep) < need {
		return nil, fmt.Errorf("predictivity: %w: %d usable (of %d; rows with NaN dropped), need at least %d for Folds = %d and InnerFolds = %d",
			ErrTooFewSamples, len(keep), n, need, set.Folds, set.InnerFolds)
	}
	X := gatherRows(model, keep)
	Y := gatherRows(neural, keep)
	n = len(keep)

	units := p
	if set.Units > 0 && set.Units < p {
		units = set.Units
	} else {
		set.Repeats = 1 // every repeat would draw the same (all) units
	}

	// Fold assignment: a seeded permutation dealt round-robin, so that fold sizes differ
	// by at most one; the inner folds of each outer training set likewise.
	frng := rand.New(rand.NewPCG(set.Seed, streamFolds))
	outer := assignFolds(n, set.Folds, frng)
	trainIdx := make([][]int, set.Folds)
	testIdx := make([][]int, set.Folds)
	innerFold := make([][]int, set.Folds)
	for k := 0; k < set.Folds; k++ {
		for i, f := range outer {
			if f == k {
				testIdx[k] = append(testIdx[k], i)
			} else {
				trainIdx[k] = append(trainIdx[k], i)
			}
		}
		innerFold[k] = assignFolds(len(trainIdx[k]), set.InnerFolds, frng)
	}

	res := &Result{
		R:       make([]float64, m),
		R2:      make([]float64, m),
		Penalty: make([]float64, m),
		Samples: n, Units: units, Neurons: m,
	}
	rCount := make([]int, m)
	r2Count := make([]int, m)
	urng := rand.New(rand.NewPCG(set.Seed, streamUnits))
	pred := mat.NewDense(n, m, nil)
	foldR := make([]float64, m)
	for rep := 0; rep < set.Repeats; rep++ {
		Xr := X
		if units < p {
			cols := urng.Perm(p)[:units]
			slices.Sort(cols)
			Xr = gatherCols(X, cols)
		}
		repR := make([]float64, m)
		repN := make([]int, m)
		for k := 0; k < set.Folds; k++ {
			alpha := choosePenalties(Xr, Y, trainIdx[k], innerFold[k], set.InnerFolds, set.Penalties)
			path, err := newRidgePath(gatherRows(Xr, trainIdx[k]), gatherRows(Y, trainIdx[k]))
			if err != nil {
				return nil, err
			}
			pk := path.predict(path.project(gatherRows(Xr, testIdx[k])), alpha)
			for j, i := range testIdx[k] {
				pred.SetRow(i, pk.RawRowView(j))
			}
			pearsonColumns(foldR, gatherRows(Y, testIdx[k]), pk)
			for j, r := range foldR {
				if !math.IsNaN(r) {
					repR[j] += r
					repN[j]++
				}
				res.Penalty[j] += math.Log(alpha[j])
			}
		}
		for j := range repR {
			if repN[j] > 0 {
				repR[j] /= float64(repN[j])
				res.R[j] += repR[j]
				rCount[j]++
			} else {
				repR[j] = math.NaN()
			}
		}
		res.RepeatMedianR = append(res.RepeatMedianR, Median(repR))
		for j := 0; j < m; j++ {
			if r2 := rSquared(Y, pred, j); !math.IsNaN(r2) {
				res.R2[j] += r2
				r2Count[j]++
			}
		}
	}
	for j := 0; j < m; j++ {
		res.R[j] = meanOrNaN(res.R[j], rCount[j])
		res.R2[j] = meanOrNaN(res.R2[j], r2Count[j])
		res.Penalty[j] = math.Exp(res.Penalty[j] / float64(set.Folds*set.Repeats))
	}
	res.MedianR = Median(res.R)
	res.MedianR2 = Median(res.R2)
	res.MedianPenalty = Median(res.Penalty)
	return res, nil
}

// choosePenalties returns, for each neuron, the penalty of grid (sorted descending) with
// the smallest squared error summed over the inner folds of the training rows train.
func choosePenalties(X, Y *mat.Dense, train, fold []int, folds int, grid []float64) []float64 {
	_, m := Y.Dims()
	sse := make([][]float64, len(grid))
	for a := range sse {
		sse[a] = make([]float64, m)
	}
	var fitRows, valRows []int
	lam := make([]float64, m)
	for f := 0; f < folds; f++ {
		fitRows, valRows = fitRows[:0], valRows[:0]
		for i, g := range fold {
			if g == f {
				valRows = append(valRows, train[i])
			} else {
				fitRows = append(fitRows, train[i])
			}
		}
		path, err := newRidgePath(gatherRows(X, fitRows), gatherRows(Y, fitRows))
		if err != nil {
			// A failed SVD leaves this inner fold out of the choice; the outer fit
			// reports the failure if it persists.
			continue
		}
		// The squared error of every penalty without forming the predictions: with
		// residual ỹ − P·Z (ỹ centred by the fit's means, Z the coefficients),
		// ‖ỹ − PZ‖² = ‖ỹ‖² − 2·Σ Z∘(Pᵀỹ) + Σ Z∘(PᵀP·Z), which costs k²·m per penalty
		// instead of rows·k·m.
		pv := path.project(gatherRows(X, valRows))
		yv := gatherRows(Y, valRows)
		standardise(yv, path.ymean, nil)
		var gram, pty, gz mat.Dense
		gram.Mul(pv.T(), pv)
		pty.Mul(pv.T(), yv)
		yy := make([]float64, m)
		rows, _ := yv.Dims()
		for i := 0; i < rows; i++ {
			for j, v := range yv.RawRowView(i) {
				yy[j] += v * v
			}
		}
		k, _ := pty.Dims()
		for a, alpha := range grid {
			for j := range lam {
				lam[j] = alpha
			}
			z := path.coefficients(lam)
			gz.Mul(&gram, z)
			for j := range yy {
				sse[a][j] += yy[j]
			}
			for c := 0; c < k; c++ {
				zr, pr, gr := z.RawRowView(c), pty.RawRowView(c), gz.RawRowView(c)
				for j := range zr {
					sse[a][j] += zr[j] * (gr[j] - 2*pr[j])
				}
			}
			gz.Reset()
		}
	}
	best := make([]float64, m)
	for j := range best {
		b := 0
		for a := 1; a < len(grid); a++ {
			if sse[a][j] < sse[b][j] {
				b = a
			}
		}
		best[j] = grid[b]
	}
	return best
}

// ridgePath holds what the ridge solution for any penalty needs, from one thin SVD
// X̃ = U·diag(s)·Vᵀ of the standardised training design (ESL eq. 3.47): B(λ) =
// V·diag(s/(s² + λ))·Uᵀ·Ỹ. Predictions for new rows X̃* are P·diag(1/(s² + λ))·Q with
//
//	primal (n ≥ p): P = X̃*·V,     Q = Vᵀ·X̃ᵀ·Ỹ   (only V is computed: the SVD's QR path)
//	dual   (n < p): P = X̃*·X̃ᵀ·U,  Q = Uᵀ·Ỹ      (only U is computed)
//
// both equal to X̃*·V·diag(s/(s² + λ))·Uᵀ·Ỹ without dividing by s, so zero singular
// values need no special case.
type ridgePath struct {
	n           int       // training rows
	mean, scale []float64 // per unit, of the training rows
	ymean       []float64 // per neuron, of the training rows
	d           []float64 // squared singular values s²
	dual        bool
	v, u        *mat.Dense // V (primal) or U (dual)
	xs          *mat.Dense // standardised training design (dual only)
	q           *mat.Dense // k×m
}

func newRidgePath(X, Y *mat.Dense) (*ridgePath, error) {
	n, p := X.Dims()
	_, m := Y.Dims()
	rp := &ridgePath{n: n, mean: make([]float64, p), scale: make([]float64, p), ymean: make([]float64, m)}
	Xs := mat.DenseCopyOf(X)
	columnStats(Xs, rp.mean, rp.scale)
	standardise(Xs, rp.mean, rp.scale)
	Yc := mat.DenseCopyOf(Y)
	columnStats(Yc, rp.ymean, nil)
	standardise(Yc, rp.ymean, nil)
	var svd mat.SVD
	rp.dual = n < p
	kind := mat.SVDThinV
	if rp.dual {
		kind = mat.SVDThinU
	}
	if !svd.Factorize(Xs, kind) {
		return nil, fmt.Errorf("predictivity: SVD of the %d×%d design did not converge", n, p)
	}
	s := svd.Values(nil)
	rp.d = make([]float64, len(s))
	for i, v := range s {
		rp.d[i] = v * v
	}
	rp.q = new(mat.Dense)
	if rp.dual {
		rp.u = new(mat.Dense)
		svd.UTo(rp.u)
		rp.xs = Xs
		rp.q.Mul(rp.u.T(), Yc)
	} else {
		rp.v = new(mat.Dense)
		svd.VTo(rp.v)
		var xty mat.Dense
		xty.Mul(Xs.T(), Yc)
		rp.q.Mul(rp.v.T(), &xty)
	}
	return rp, nil
}

// project returns P for new rows X, standardised with the training statistics.
func (rp *ridgePath) project(X *mat.Dense) *mat.Dense {
	Xs := mat.DenseCopyOf(X)
	standardise(Xs, rp.mean, rp.scale)
	var pr mat.Dense
	if rp.dual {
		var k mat.Dense
		k.Mul(Xs, rp.xs.T())
		pr.Mul(&k, rp.u)
	} else {
		pr.Mul(Xs, rp.v)
	}
	return &pr
}

// coefficients returns diag(1/(s² + λ_j))·Q column by column, with penalty α_j (λ_j = n·α_j)
// for neuron j.
func (rp *ridgePath) coefficients(alpha []float64) *mat.Dense {
	k, m := rp.q.Dims()
	coef := mat.NewDense(k, m, nil)
	for c := 0; c < k; c++ {
		src, dst := rp.q.RawRowView(c), coef.RawRowView(c)
		for j := range dst {
			dst[j] = src[j] / (rp.d[c] + float64(rp.n)*alpha[j])
		}
	}
	return coef
}

// predict returns the predictions P·diag(1/(s² + λ_j))·Q + ȳ for projected rows pr.
func (rp *ridgePath) predict(pr *mat.Dense, alpha []float64) *mat.Dense {
	var out mat.Dense
	out.Mul(pr, rp.coefficients(alpha))
	rows, _ := out.Dims()
	for i := 0; i < rows; i++ {
		r := out.RawRowView(i)
		for j := range r {
			r[j] += rp.ymean[j]
		}
	}
	return &out
}

// columnStats writes each column's mean and, when scale is non-nil, its standard
// deviation (1 for a constant column, which standardising then leaves at zero).
func columnStats(X *mat.Dense, mean, scale []float64) {
	n, p := X.Dims()
	clear(mean)
	for i := 0; i < n; i++ {
		for j, v := range X.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	if scale == nil {
		return
	}
	clear(scale)
	for i := 0; i < n; i++ {
		for j, v := range X.RawRowView(i) {
			d := v - mean[j]
			scale[j] += d * d
		}
	}
	for j := 0; j < p; j++ {
		sd := math.Sqrt(scale[j] / float64(n))
		if !(sd > 1e-12*math.Max(1, math.Abs(mean[j]))) {
			sd = 1
		}
		scale[j] = sd
	}
}

func standardise(X *mat.Dense, mean, scale []float64) {
	n, _ := X.Dims()
	for i := 0; i < n; i++ {
		r := X.RawRowView(i)
		for j := range r {
			r[j] -= mean[j]
			if scale != nil {
				r[j] /= scale[j]
			}
		}
	}
}

// pearsonColumns writes the Pearson correlation of each column of a with the same column
// of b into dst (NaN where either column is constant).
func pearsonColumns(dst []float64, a, b *mat.Dense) {
	n, m := a.Dims()
	ma := make([]float64, m)
	mb := make([]float64, m)
	columnStats(a, ma, nil)
	columnStats(b, mb, nil)
	sab := make([]float64, m)
	saa := make([]float64, m)
	sbb := make([]float64, m)
	for i := 0; i < n; i++ {
		ra, rb := a.RawRowView(i), b.RawRowView(i)
		for j := 0; j < m; j++ {
			da, db := ra[j]-ma[j], rb[j]-mb[j]
			sab[j] += da * db
			saa[j] += da * da
			sbb[j] += db * db
		}
	}
	for j := range dst {
		if saa[j] > 0 && sbb[j] > 0 {
			dst[j] = sab[j] / math.Sqrt(saa[j]*sbb[j])
		} else {
			dst[j] = math.NaN()
		}
	}
}

// rSquared returns 1 − Σ(y − ŷ)²/Σ(y − ȳ)² for column j (NaN for a constant column).
func rSquared(Y, pred *mat.Dense, j int) float64 {
	n, _ := Y.Dims()
	var mean float64
	for i := 0; i < n; i++ {
		mean += Y.At(i, j)
	}
	mean /= float64(n)
	var sse, sst float64
	for i := 0; i < n; i++ {
		y := Y.At(i, j)
		d := y - pred.At(i, j)
		sse += d * d
		sst += (y - mean) * (y - mean)
	}
	if !(sst > 0) {
		return math.NaN()
	}
	return 1 - sse/sst
}

// assignFolds deals a seeded permutation of n items round-robin into k folds and
// returns each item's fold.
func assignFolds(n, k int, rng *rand.Rand) []int {
	f := make([]int, n)
	for pos, i := range rng.Perm(n) {
		f[i] = pos % k
	}
	return f
}

func gatherRows(X *mat.Dense, rows []int) *mat.Dense {
	_, c := X.Dims()
	out := mat.NewDense(len(rows), c, nil)
	for i, r := range rows {
		copy(out.RawRowView(i), X.RawRowView(r))
	}
	return out
}

func gatherCols(X *mat.Dense, cols []int) *mat.Dense {
	r, _ := X.Dims()
	out := mat.NewDense(r, len(cols), nil)
	for i := 0; i < r; i++ {
		src, dst := X.RawRowView(i), out.RawRowView(i)
		for j, c := range cols {
			dst[j] = src[c]
		}
	}
	return out
}

func finiteRow(r []float64) bool {
	for _, v := range r {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func meanOrNaN(sum float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// Median returns the median of the non-NaN values of x (the mean of the two middle ones
// for an even count), or NaN if there are none.
func Median(x []float64) float64 {
	v := make([]float64, 0, len(x))
	for _, a := range x {
		if !math.IsNaN(a) {
			v = append(v, a)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	h := len(v) / 2
	if len(v)%2 == 1 {
		return v[h]
	}
	return (v[h-1] + v[h]) / 2
}

// Transpose returns the cols×rows matrix of the row-major rows×cols data: it turns units×bins
// rate maps or neurons×samples recordings into the samples×features layout Fit takes.
// It panics if len(data) != rows·cols.
func Transpose(data []float64, rows, cols int) *mat.Dense {
	if len(data) != rows*cols {
		panic(fmt.Sprintf("predictivity: Transpose of %d values as %d×%d", len(data), rows, cols))
	}
	out := mat.NewDense(cols, rows, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			out.Set(j, i, data[i*cols+j])
		}
	}
	return out
}

// mat64 wraps row-major rows×cols data as a *mat.Dense without copying.
func mat64(data []float64, rows, cols int) *mat.Dense { return mat.NewDense(rows, cols, data) }
