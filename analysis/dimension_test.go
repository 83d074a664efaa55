package analysis

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/npyio"
)

func TestParticipationRatioClosedForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	// Isotropic Gaussian in d dimensions: PR → d; with s samples the sample covariance's
	// PR is d·(1 − O(d/s)), so allow 5 % for s = 20,000, d = 8.
	const isoTol = 0.05
	for _, d := range []int{1, 3, 8} {
		const s = 20000
		x := make([]float64, s*d)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		pr, err := ParticipationRatio(x, s, d)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(pr-float64(d))/float64(d) > isoTol {
			t.Errorf("isotropic d=%d: PR %.3f", d, pr)
		}
	}
	// Rank one: every sample a multiple of one direction: PR = 1 exactly (to rounding), in
	// both the covariance (samples ≥ dims) and the Gram (samples < dims) branch.
	const rankOneTol = 1e-9
	for _, shape := range [][2]int{{500, 6}, {5, 40}} {
		s, d := shape[0], shape[1]
		dir := make([]float64, d)
		for j := range dir {
			dir[j] = rng.NormFloat64()
		}
		x := make([]float64, s*d)
		for i := 0; i < s; i++ {
			a := rng.NormFloat64()
			for j := 0; j < d; j++ {
				x[i*d+j] = a * dir[j]
			}
		}
		pr, err := ParticipationRatio(x, s, d)
		if err != nil || math.Abs(pr-1) > rankOneTol {
			t.Errorf("rank one %d×%d: PR %v, %v", s, d, pr, err)
		}
	}
	// Two independent directions with variances 1 and 4: PR = (1+4)²/(1+16) = 25/17.
	const s = 50000
	x := make([]float64, s*2)
	for i := 0; i < s; i++ {
		x[2*i], x[2*i+1] = rng.NormFloat64(), 2*rng.NormFloat64()
	}
	if pr, _ := ParticipationRatio(x, s, 2); math.Abs(pr-25.0/17) > 0.02 {
		t.Errorf("variances 1 and 4: PR %.4f, want %.4f", pr, 25.0/17)
	}
	if _, err := ParticipationRatio(make([]float64, 6), 3, 2); err == nil {
		t.Error("no variance: no error")
	}
}

func TestRateMapParticipationRatio(t *testing.T) {
	// Units that are all scaled copies of one map are rank one: PR = 1.
	const n, units = 16, 5
	base := hexLattice(n, 6, 0.1, 0, 0)
	maps := make([]float64, 0, units*n*n)
	for u := 0; u < units; u++ {
		for _, v := range base {
			maps = append(maps, float64(u+1)*v)
		}
	}
	pr, err := RateMapParticipationRatio(maps, units, n, RateMapSmoothingSigma)
	if err != nil || math.Abs(pr-1) > 1e-9 {
		t.Errorf("scaled copies: PR %v, %v; want 1", pr, err)
	}
}

func TestDecodingDistance(t *testing.T) {
	// An identity "decoder" on 2-wide outputs offset by (0.03, 0.04) m is 5 cm off everywhere.
	pos := []float32{0, 0, 1, 1, -0.5, 0.2}
	out := []float32{0.03, 0.04, 1.03, 1.04, -0.47, 0.24}
	mean, median := DecodingDistance(func(dst, o []float32) []float32 { copy(dst, o); return dst }, out, 2, pos)
	if math.Abs(mean-0.05) > 1e-6 || math.Abs(median-0.05) > 1e-6 {
		t.Errorf("mean %v median %v, want 0.05", mean, median)
	}
}

// TestDecodingErrorWithEncode decodes a real place-cell code of the encode package: the
// decoding error of the targets themselves is small and equals what the code reports.
func TestDecodingErrorWithEncode(t *testing.T) {
	p := encode.Params{Kind: encode.Gaussian, Np: 256, Sigma: config.Const(0.12), BoxWidth: 2.2, BoxHeight: 2.2}
	code, err := encode.New(p, rand.New(rand.NewPCG(18, 19)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20, 21))
	pos := make([]float32, 2*500)
	for i := range pos {
		pos[i] = float32(rng.Float64()*2 - 1)
	}
	out := code.Encode(nil, pos)
	mean, _ := DecodingDistance(code.Decode, out, code.Np(), pos)
	if want := code.DecodingError(out, pos) / 100; math.Abs(mean-want) > 1e-6 {
		t.Errorf("mean error %v m, encode reports %v m", mean, want)
	}
}

// The float32 ratio, its covariance summed in blocks, is the float64 one to 1e-5, with more
// samples than dimensions and fewer, across several blocks, and for nearly rank-one data.
func TestParticipationRatio32(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sh := range [][2]int{{1300, 40}, {30, 1100}, {700, 700}} {
		samples, dims := sh[0], sh[1]
		for _, lowRank := range []bool{false, true} {
			x32 := make([]float32, samples*dims)
			x64 := make([]float64, samples*dims)
			for i := range samples {
				a := rng.NormFloat64()
				for j := range dims {
					v := 3 + rng.NormFloat64() // an offset the centring removes
					if lowRank {
						v = 3 + a*float64(j%7+1) + 0.01*rng.NormFloat64()
					}
					x32[i*dims+j] = float32(v)
					x64[i*dims+j] = float64(float32(v))
				}
			}
			want, err := ParticipationRatio(x64, samples, dims)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParticipationRatio32(x32, samples, dims)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > 1e-5*want {
				t.Errorf("%d×%d low rank %v: float32 PR %v; float64 %v", samples, dims, lowRank, got, want)
			}
		}
	}
	if _, err := ParticipationRatio32(make([]float32, 6), 3, 2); err == nil {
		t.Error("constant data: no error")
	}
}

func BenchmarkParticipationRatio32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const samples, dims = 4000, 1024
	x := make([]float32, samples*dims)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for b.Loop() {
		ParticipationRatio32(x, samples, dims)
	}
}

// TestGaussianFilter compares GaussianFilter with scipy.ndimage.gaussian_filter (σ 2, mode
// reflect, NaN as 0) on the 20-bin golden maps (testdata/ratemap_pr.py).
func TestGaussianFilter(t *testing.T) {
	in, err := npyio.ReadFile("testdata/dmscores_n20.npy")
	if err != nil {
		t.Fatal(err)
	}
	want, err := npyio.ReadFile("testdata/gaussian_filter_n20.npy")
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	maps, ref := in.AsFloat64(), want.AsFloat64()
	if len(maps) != len(ref) {
		t.Fatalf("%d values filtered, %d in scipy's", len(maps), len(ref))
	}
	for u := 0; u < len(maps)/(n*n); u++ {
		got := GaussianFilter(nil, maps[u*n*n:(u+1)*n*n], n, 2)
		scale := 0.0
		for _, v := range ref[u*n*n : (u+1)*n*n] {
			scale = math.Max(scale, math.Abs(v))
		}
		for i, v := range got {
			if w := ref[u*n*n+i]; math.Abs(v-w) > 1e-12*math.Max(scale, 1) {
				t.Fatalf("map %d bin %d: %v, scipy %v", u, i, v, w)
			}
		}
	}
}

// A normalised kernel over a reflected map keeps a constant map constant at every size, also
// where the kernel (radius 8 at σ 2) is wider than the map and the reflection wraps.
func TestGaussianFilterConstant(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		for _, sigma := range []float64{0, 0.3, 2} {
			src := make([]float64, n*n)
			for i := range src {
				src[i] = 1.5
			}
			for i, v := range GaussianFilter(nil, src, n, sigma) {
				if math.Abs(v-1.5) > 1e-14 {
					t.Fatalf("n %d σ %g: bin %d is %v, want 1.5", n, sigma, i, v)
				}
			}
		}
	}
}

// TestRateMapParticipationRatioNFL compares RateMapParticipationRatio with NFL's recipe in
// numpy and scipy (testdata/ratemap_pr.py): units as the samples, smoothing by
// gaussian_filter. Bins as the samples gave other values on all three sets.
func TestRateMapParticipationRatioNFL(t *testing.T) {
	rows := readCSVRecords(t, "testdata/ratemap_pr.csv")
	if len(rows) != 9 {
		t.Fatalf("%d golden rows, want 9 (3 sets × 3 σ)", len(rows))
	}
	for _, row := range rows {
		name := row[0]
		sigma, err1 := strconv.ParseFloat(row[1], 64)
		want, err2 := strconv.ParseFloat(row[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("row %q", row)
		}
		file := "testdata/" + name + ".npy"
		if name == "gridscore_synthetic" {
			file = "testdata/gridscore_synthetic_ratemaps.npy"
		}
		a, err := npyio.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := RateMapParticipationRatio(a.AsFloat64(), a.Shape[0], a.Shape[1], sigma)
		if err != nil || math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s σ %g: PR %v (%v), NFL's recipe %v", name, sigma, got, err, want)
		}
	}
}
