package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gridcells/gridcells/internal/sgemm"
)

// ParticipationRatio returns PR = (Σλ)²/Σλ² of the eigenvalues λ of the covariance of x,
// samples×dims row-major (spec §5.7; skdim lPCA 'participation_ratio'). It needs no
// eigen-decomposition: Σλ = tr C and Σλ² = ‖C‖²_F, and C may be replaced by the Gram
// matrix of the centred samples when there are fewer samples than dimensions (same nonzero
// spectrum). PR is 1 for rank-one data and d for isotropic data in d dimensions. It returns
// an error when there are fewer than two samples or the data have no variance.
func ParticipationRatio(x []float64, samples, dims int) (float64, error) {
	if len(x) != samples*dims {
		panic(fmt.Sprintf("analysis: ParticipationRatio: %d values for %d×%d", len(x), samples, dims))
	}
	if samples < 2 || dims < 1 {
		return math.NaN(), fmt.Errorf("analysis: participation ratio needs ≥ 2 samples and ≥ 1 dimension, got %d×%d", samples, dims)
	}
	xc := make([]float64, len(x))
	for j := 0; j < dims; j++ {
		var mean float64
		for i := 0; i < samples; i++ {
			mean += x[i*dims+j]
		}
		mean /= float64(samples)
		for i := 0; i < samples; i++ {
			xc[i*dims+j] = x[i*dims+j] - mean
		}
	}
	// C ∝ XᵀX (dims×dims) or G = XXᵀ (samples×samples), whichever is smaller; the common
	// scale 1/(samples−1) cancels in the ratio.
	a := blas64.General{Rows: samples, Cols: dims, Stride: dims, Data: xc}
	k := min(samples, dims)
	c := blas64.Symmetric{Uplo: blas.Upper, N: k, Stride: k, Data: make([]float64, k*k)}
	if dims <= samples {
		blas64.Syrk(blas.Trans, 1, a, 0, c)
	} else {
		blas64.Syrk(blas.NoTrans, 1, a, 0, c)
	}
	return ratioOfCovariance(c.Data, k)
}

// ratioOfCovariance is (tr C)²/‖C‖²_F of the symmetric k×k matrix c, read from its upper
// triangle (SYRK fills only that one).
func ratioOfCovariance(c []float64, k int) (float64, error) {
	var tr, fro float64
	for i := 0; i < k; i++ {
		tr += c[i*k+i]
		fro += c[i*k+i] * c[i*k+i]
		for j := i + 1; j < k; j++ {
			fro += 2 * c[i*k+j] * c[i*k+j]
		}
	}
	if !(fro > 0) {
		return math.NaN(), fmt.Errorf("analysis: participation ratio of data with no variance is undefined")
	}
	return tr * tr / fro, nil
}

// ParticipationRatio32 is ParticipationRatio for float32 activations (samples×units). The
// covariance (or Gram) matrix is summed in float64 over products of prCovBlock samples (or
// dimensions) made by the float32 GEMM kernel: the activations of a 4096-unit network took
// 99 s in float64 SYRK. Blocks of 512 products keep the ratio's relative error near 1e-6
// (tested to 1e-5): the sixth significant digit may differ from the float64 ratio's.
func ParticipationRatio32(x []float32, samples, dims int) (float64, error) {
	if len(x) != samples*dims {
		panic(fmt.Sprintf("analysis: ParticipationRatio32: %d values for %d×%d", len(x), samples, dims))
	}
	if samples < 2 || dims < 1 {
		return math.NaN(), fmt.Errorf("analysis: participation ratio needs ≥ 2 samples and ≥ 1 dimension, got %d×%d", samples, dims)
	}
	mean := make([]float64, dims)
	for i := range samples {
		for j, v := range x[i*dims : (i+1)*dims] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(samples)
	}
	xc := make([]float32, len(x))
	for i := range samples {
		for j, v := range x[i*dims : (i+1)*dims] {
			xc[i*dims+j] = float32(float64(v) - mean[j])
		}
	}
	k := min(samples, dims)
	c := make([]float64, k*k)
	part := make([]float32, k*k)
	if dims <= samples { // C ∝ XᵀX: a sum over blocks of samples
		for r := 0; r < samples; r += prCovBlock {
			rb := min(prCovBlock, samples-r)
			sgemm.Sgemm(true, false, dims, dims, rb, 1, xc[r*dims:], dims, xc[r*dims:], dims, 0, part, dims)
			for i, v := range part {
				c[i] += float64(v)
			}
		}
	} else { // G = XXᵀ: a sum over blocks of dimensions
		for d := 0; d < dims; d += prCovBlock {
			db := min(prCovBlock, dims-d)
			sgemm.Sgemm(false, true, samples, samples, db, 1, xc[d:], dims, xc[d:], dims, 0, part, samples)
			for i, v := range part {
				c[i] += float64(v)
			}
		}
	}
	return ratioOfCovariance(c, k)
}

// prCovBlock is how many products ParticipationRatio32 sums in float32 before float64.
const prCovBlock = 512

// RateMapSmoothingSigma is the Gaussian smoothing, in bins, applied to rate maps before
// their participation ratio [spec §5.7; NFL analyze.py].
const RateMapSmoothingSigma = 2.0

// RateMapParticipationRatio returns the participation ratio of units rate maps of n×n bins
// (unit-major, NaN = empty) as NFL computes the x-axis of paper Fig. 6 [spec §5.7, §7.6; NFL
// analyze.py compute_rate_maps_participation_ratio_from_joblib_files_data]: empty bins become
// 0, each map is smoothed by GaussianFilter (use RateMapSmoothingSigma for NFL's 2), and the
// units×bins matrix goes to skdim's lPCA, whose PCA takes the rows as samples: units are the
// samples and bins the dimensions, each bin centred across units, so the value grows with
// the number of units. (Bins as samples, each unit centred, with NaN-aware smoothing, gave
// values up to a quarter higher on synthetic populations, and more where many units are
// silent, which count here as samples at zero.) The golden values of testdata/ratemap_pr.py
// agree to 1e-9.
func RateMapParticipationRatio(maps []float64, units, n int, sigma float64) (float64, error) {
	nn := n * n
	if len(maps) != units*nn {
		panic(fmt.Sprintf("analysis: RateMapParticipationRatio: %d values for %d maps of %d×%d", len(maps), units, n, n))
	}
	sm := make([]float64, len(maps))
	for u := 0; u < units; u++ {
		GaussianFilter(sm[u*nn:(u+1)*nn], maps[u*nn:(u+1)*nn], n, sigma)
	}
	return ParticipationRatio(sm, units, nn)
}

// Decoder turns network outputs (rows×width, row-major) into positions (rows×2, m), written
// into dst and returned; the encode package's codes provide them (encode.Code.Decode).
type Decoder func(dst, out []float32) []float32

// DecodingDistance returns the mean and median Euclidean distance, in metres (not the cm of
// encode.Code.DecodingError), between the positions decode gives for the outputs out
// (rows×width) and the true positions pos (rows×2) [spec §4.3 step 2: NFL's
// pos_decoding_err, reported in cm = 100×].
func DecodingDistance(decode Decoder, out []float32, width int, pos []float32) (mean, median float64) {
	if width < 1 || len(out)%width != 0 || len(pos) != len(out)/width*2 {
		panic(fmt.Sprintf("analysis: DecodingDistance: %d outputs of width %d for %d positions", len(out), width, len(pos)/2))
	}
	rows := len(pos) / 2
	if rows == 0 {
		return math.NaN(), math.NaN()
	}
	dec := decode(make([]float32, 2*rows), out)
	if len(dec) != 2*rows {
		panic(fmt.Sprintf("analysis: DecodingDistance: decoder returned %d values for %d positions", len(dec), rows))
	}
	d := make([]float64, rows)
	var sum float64
	for i := range d {
		dx := float64(dec[2*i]) - float64(pos[2*i])
		dy := float64(dec[2*i+1]) - float64(pos[2*i+1])
		d[i] = math.Hypot(dx, dy)
		sum += d[i]
	}
	mean = sum / float64(rows)
	sortFloat64s(d)
	if rows%2 == 1 {
		median = d[rows/2]
	} else {
		median = (d[rows/2-1] + d[rows/2]) / 2
	}
	return mean, median
}
