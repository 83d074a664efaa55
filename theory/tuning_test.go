package theory

import (
	"math"
	"testing"

	"github.com/gridcells/gridcells/config"
	"gonum.org/v1/gonum/floats/scalar"
)

// Tolerances of the closed-form checks.
const (
	// specTableTol is the rounding of spec §8.4's table (3 significant figures).
	specTableTol = 5e-3
	// derivTol bounds the relative error of a central finite difference of p̂.
	derivTol = 1e-6
)

// TestClosedFormTable checks k* and the spacing against spec §8.4's table and the values
// in issue 5 (hand-derived from k*² = 2 ln(σ_I²/σ_E²)/(σ_I² − σ_E²)).
func TestClosedFormTable(t *testing.T) {
	for _, c := range []struct {
		sigma, s  float64
		conv      string
		k, a, bin float64 // rad/m, m, 5-cm bins (0: not tabulated)
	}{
		{0.08, 2, SigmaRatio, 12.02, 0.604, 12.1},
		{0.12, 1.5, SigmaRatio, 9.49, 0.764, 15.3},
		{0.12, 2, SigmaRatio, 8.01, 0.906, 18.1},
		{0.12, 3, SigmaRatio, 6.18, 1.175, 23.5},
		{0.20, 2, SigmaRatio, 4.81, 1.509, 30.2},
		{0.08, 2, VarianceRatio, 14.72, 0.493, 0},
		{0.12, 1.5, VarianceRatio, 10.61, 0.684, 0},
		{0.12, 2, VarianceRatio, 9.81, 0.739, 0},
		{0.12, 3, VarianceRatio, 8.73, 0.831, 0},
		{0.20, 2, VarianceRatio, 5.89, 1.232, 0},
	} {
		tu := Tuning{Kind: KindDoS, Sigma: c.sigma, Surround: c.s, Convention: c.conv}
		k := tu.PeakWavenumber()
		a := HexSpacing(k)
		if !scalar.EqualWithinRel(k, c.k, specTableTol) || !scalar.EqualWithinRel(a, c.a, specTableTol) {
			t.Errorf("DoS σ %g s %g %s: k* = %.4f, a = %.4f m; want %.2f, %.3f", c.sigma, c.s, c.conv, k, a, c.k, c.a)
		}
		if c.bin != 0 && !scalar.EqualWithinRel(a/0.05, c.bin, specTableTol) {
			t.Errorf("DoS σ %g s %g: spacing %.2f bins; want %.1f", c.sigma, c.s, a/0.05, c.bin)
		}
		if got := HexWavenumber(a); !scalar.EqualWithinRel(got, k, 1e-12) {
			t.Errorf("HexWavenumber(HexSpacing(%g)) = %g", k, got)
		}
	}
}

// TestPeakIsStationary checks, by finite differences, that p̂ is stationary at k* and that
// k* is the global maximum of |p̂| on a fine grid, for every kind.
func TestPeakIsStationary(t *testing.T) {
	for _, tu := range []Tuning{
		{Kind: KindDoS, Sigma: 0.12, Surround: 2, Convention: SigmaRatio},
		{Kind: KindDoS, Sigma: 0.08, Surround: 3, Convention: VarianceRatio},
		{Kind: KindGeneralDoG, Sigma: 0.12, Surround: 2, Convention: SigmaRatio, AlphaE: 4, AlphaI: 1},
		{Kind: KindGeneralDoG, Sigma: 0.12, Surround: 2, Convention: SigmaRatio, AlphaE: 1, AlphaI: 1},
		{Kind: KindTrueDoG, Sigma: 0.12, Surround: 2, Convention: SigmaRatio},
		{Kind: KindTrueDoG, Sigma: 0.05, Surround: 3, Convention: SigmaRatio},
		{Kind: KindGaussian, Sigma: 0.12},
		{Kind: KindSoD, Sigma: 0.12, Surround: 2, Convention: SigmaRatio},
	} {
		k := tu.PeakWavenumber()
		if k > 0 {
			const h = 1e-4
			d := (tu.Transform(k+h) - tu.Transform(k-h)) / (2 * h)
			if math.Abs(d) > derivTol*math.Abs(tu.Transform(k))/h {
				t.Errorf("%+v: dp̂/dk(k*=%g) = %g, want 0", tu, k, d)
			}
		}
		best, bestK := math.Abs(tu.Transform(0)), 0.0
		for kk := 0.01; kk < 100; kk += 0.01 {
			if v := math.Abs(tu.Transform(kk)); v > best {
				best, bestK = v, kk
			}
		}
		if math.Abs(bestK-k) > 0.02 {
			t.Errorf("%+v: PeakWavenumber = %g; grid search finds the max of |p̂| at %g", tu, k, bestK)
		}
	}
}

func TestNoFiniteWavenumber(t *testing.T) {
	// True DoG: |p̂| is largest at k = 0 (spec §8.2); the general DoG with α_E σ_E² = α_I σ_I²
	// (zero-mean tuning) is DoS-like and has a finite k*.
	for _, tu := range []Tuning{
		{Kind: KindTrueDoG, Sigma: 0.12, Surround: 2, Convention: SigmaRatio},
		{Kind: KindTrueDoG, Sigma: 0.12, Surround: 3, Convention: SigmaRatio},
		{Kind: KindTrueDoG, Sigma: 0.05, Surround: 2, Convention: VarianceRatio},
		{Kind: KindGaussian, Sigma: 0.12},
		{Kind: KindSoD, Sigma: 0.12, Surround: 2, Convention: SigmaRatio},
	} {
		if k := tu.PeakWavenumber(); k != 0 {
			t.Errorf("%+v: k* = %g, want 0", tu, k)
		}
	}
	bal := Tuning{Kind: KindGeneralDoG, Sigma: 0.12, Surround: 2, Convention: SigmaRatio, AlphaE: 4, AlphaI: 1}
	dos := Tuning{Kind: KindDoS, Sigma: 0.12, Surround: 2, Convention: SigmaRatio}
	if k, want := bal.PeakWavenumber(), dos.PeakWavenumber(); !scalar.EqualWithinRel(k, want, 1e-12) {
		t.Errorf("balanced general DoG k* = %g, want the DoS value %g", k, want)
	}
	sod := Tuning{Kind: KindSoD, Sigma: 0.12, Surround: 2, Convention: SigmaRatio}
	if got, want := sod.EffectiveSigma(), 0.12*2/math.Sqrt(3); !scalar.EqualWithinRel(got, want, 1e-12) {
		t.Errorf("SoD σ_eff = %g, want σs/√(s²−1) = %g", got, want)
	}
}

func TestTuningOf(t *testing.T) {
	e := config.Encoding{Kind: KindDoS, PlaceCellRF: config.Dist{Kind: "const", A: 0.12},
		SurroundScale: config.Dist{Kind: "const", A: 2}, SurroundConvention: VarianceRatio,
		FieldsPerCell: config.Dist{Kind: "const", A: 1}, Anisotropy: config.Dist{Kind: "const", A: 1}}
	tu, err := TuningOf(e)
	if err != nil {
		t.Fatal(err)
	}
	if k := tu.PeakWavenumber(); !scalar.EqualWithinRel(k, 9.81, specTableTol) {
		t.Errorf("TuningOf(%+v).PeakWavenumber() = %g, want 9.81", e, k)
	}
	bad := []config.Encoding{
		{Kind: "cartesian"},
		{Kind: KindDoS, PlaceCellRF: config.Dist{Kind: "uniform", A: 0.06, B: 0.2}, SurroundScale: config.Dist{Kind: "const", A: 2}},
		{Kind: KindDoS, PlaceCellRF: config.Dist{Kind: "const", A: 0.12}, SurroundScale: config.Dist{Kind: "const", A: 1}},
		{Kind: KindDoS, PlaceCellRF: config.Dist{Kind: "const", A: 0.12}, SurroundScale: config.Dist{Kind: "const", A: 2}, FieldsPerCell: config.Dist{Kind: "poisson", A: 3}},
		{Kind: KindDoS, PlaceCellRF: config.Dist{Kind: "const", A: 0.12}, SurroundScale: config.Dist{Kind: "const", A: 2}, SurroundConvention: "ratio"},
		{Kind: KindGaussian, PlaceCellRF: config.Dist{Kind: "const", A: -1}},
	}
	for _, e := range bad {
		if _, err := TuningOf(e); err == nil {
			t.Errorf("TuningOf(%+v): no error", e)
		}
	}
}

// DoS without its global softmax is the true DoG code (package encode): its spectrum peaks
// at k = 0, not at DoS's k* (8.01 rad/m at σ 0.12, s 2).
func TestTuningOfUnnormalizedDoS(t *testing.T) {
	e := config.Encoding{Kind: KindDoS, Normalization: "none", PlaceCellRF: config.Dist{Kind: "const", A: 0.12},
		SurroundScale: config.Dist{Kind: "const", A: 2}}
	tu, err := TuningOf(e)
	if err != nil {
		t.Fatal(err)
	}
	if tu.Kind != KindTrueDoG || tu.PeakWavenumber() != 0 {
		t.Errorf("DoS, normalization none: kind %s, k* %g; want true DoG's k* 0", tu.Kind, tu.PeakWavenumber())
	}
	e.Normalization = "global"
	if tu, _ := TuningOf(e); tu.Kind != KindDoS || !(tu.PeakWavenumber() > 8) {
		t.Errorf("DoS, normalization global: kind %s, k* %g", tu.Kind, tu.PeakWavenumber())
	}
}

// An unset convention is the sigma-ratio one, as in package encode.
func TestTuningDefaultConvention(t *testing.T) {
	unset := Tuning{Kind: KindDoS, Sigma: 0.12, Surround: 2}
	sigma := unset
	sigma.Convention = SigmaRatio
	if err := unset.Validate(); err != nil {
		t.Fatal(err)
	}
	if a, b := unset.PeakWavenumber(), sigma.PeakWavenumber(); a != b {
		t.Errorf("k* with no convention %g; with sigma_ratio %g", a, b)
	}
}
