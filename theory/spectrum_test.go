package theory

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// numericalPeakTol is issue 5's acceptance tolerance between the closed-form and the
// numerical k*.
const numericalPeakTol = 0.03

// TestSpectrumMatchesClosedForm compares the numerical peak of the DoS code (spec §2.2,
// softmaxes plus shift-and-normalise) with k*² = 2 ln(σ_I²/σ_E²)/(σ_I² − σ_E²) in both
// surround conventions. The closed form assumes an unbounded plane; in a box the softmax
// normalisation changes the tuning of cells within ~σ_I of a wall, which moves the
// numerical peak of σ 0.20 up by ~5 % in the 2.2-m box, so the widest field is checked in a
// 4.4-m box at the same cell density (and the 2.2-m value is logged).
func TestSpectrumMatchesClosedForm(t *testing.T) {
	cases := []struct {
		sigma, box float64
		np, res    int
	}{
		{0.08, 2.2, 512, 55},
		{0.12, 2.2, 512, 55},
		{0.20, 4.4, 2048, 66},
	}
	if testing.Short() {
		cases = cases[:2]
	}
	for _, conv := range []string{SigmaRatio, VarianceRatio} {
		for _, c := range cases {
			tu := Tuning{Kind: KindDoS, Sigma: c.sigma, Surround: 2, Convention: conv}
			code := newPlaceCode(tu, c.np, c.box, c.box, rand.New(rand.NewPCG(1, 2)))
			s, err := ComputeSpectrum(context.Background(), code, c.box, c.box, &SpectrumSettings{Res: c.res})
			if err != nil {
				t.Fatal(err)
			}
			want := tu.PeakWavenumber()
			if !scalar.EqualWithinRel(s.PeakK, want, numericalPeakTol) {
				t.Errorf("DoS σ %g %s box %g: numerical k* = %.3f, closed form %.3f", c.sigma, conv, c.box, s.PeakK, want)
			}
			if !s.FormsPattern() {
				t.Errorf("DoS σ %g %s: FormsPattern false", c.sigma, conv)
			}
			t.Logf("DoS σ %g %s box %g: numerical k* = %.3f, closed form %.3f (%+.1f %%)", c.sigma, conv, c.box, s.PeakK, want, 100*(s.PeakK/want-1))
		}
	}
}

// TestSpectrumPeaksAtOrigin: the Gaussian, SoD and true DoG spectra peak at k = 0 (spec
// §8.2, NFL Fig. 4c), in both covariance estimates.
func TestSpectrumPeaksAtOrigin(t *testing.T) {
	for _, tu := range []Tuning{
		{Kind: KindGaussian, Sigma: 0.12},
		{Kind: KindSoD, Sigma: 0.12, Surround: 2, Convention: SigmaRatio},
		{Kind: KindTrueDoG, Sigma: 0.12, Surround: 2, Convention: SigmaRatio},
		{Kind: KindTrueDoG, Sigma: 0.05, Surround: 3, Convention: SigmaRatio},
	} {
		wraps := []bool{false, true}
		if testing.Short() {
			wraps = wraps[:1]
		}
		for _, wrap := range wraps {
			code := newPlaceCode(tu, 512, 2.2, 2.2, rand.New(rand.NewPCG(3, 4)))
			s, err := ComputeSpectrum(context.Background(), code, 2.2, 2.2, &SpectrumSettings{Res: 44, Wrap: wrap})
			if err != nil {
				t.Fatal(err)
			}
			if s.PeakK != 0 || s.FormsPattern() || !math.IsInf(s.PredictedSpacing(), 1) {
				t.Errorf("%s σ %g wrap %v: numerical k* = %g, want 0", tu.Kind, tu.Sigma, wrap, s.PeakK)
			}
		}
	}
}

// TestSpectrumTranslationInvariantCode: for a code of unit-mass DoS differences without
// normalisation (translation invariant up to the box edge), Σ̃ = ρ|p̂|² (spec §8.1), so the
// radial profile's shape follows the closed form.
func TestSpectrumTranslationInvariantCode(t *testing.T) {
	const (
		peakTol  = 0.01 // relative, k*
		shapeTol = 0.05 // relative to the profile's peak, for k in [k*/2, 2k*]
	)
	tu := Tuning{Kind: KindDoS, Sigma: 0.12, Surround: 2, Convention: SigmaRatio}
	code := linearDoS{newPlaceCode(tu, 512, 2.2, 2.2, rand.New(rand.NewPCG(5, 6)))}
	// Both estimates find the peak; the profile's shape near the peak is checked on the
	// default (non-wrapping) estimate, whose low-k end is shaped by the box edges.
	for _, wrap := range []bool{false, true} {
		s, err := ComputeSpectrum(context.Background(), code, 2.2, 2.2, &SpectrumSettings{Wrap: wrap})
		if err != nil {
			t.Fatal(err)
		}
		want := tu.PeakWavenumber()
		if !scalar.EqualWithinRel(s.PeakK, want, peakTol) {
			t.Errorf("wrap %v: k* = %g, want %g", wrap, s.PeakK, want)
		}
		var top int
		for i := range s.Profile {
			if s.Profile[i] > s.Profile[top] {
				top = i
			}
		}
		pk := tu.Transform(s.K[top])
		for i, k := range s.K {
			if wrap || k < want/2 || k > 2*want {
				continue
			}
			got := s.Profile[i] / s.Profile[top]
			p := tu.Transform(k)
			if w := p * p / (pk * pk); math.Abs(got-w) > shapeTol {
				t.Errorf("wrap %v: Σ̃(%.2f)/Σ̃(peak) = %.3f, closed form %.3f", wrap, k, got, w)
			}
		}
	}
}

// linearDoS encodes N_σE(x−c) − N_σI(x−c), unit-mass Gaussians without any normalisation
// across cells.
type linearDoS struct{ *placeCode }

func (c linearDoS) Encode(dst, pos []float32) []float32 {
	np := len(c.cx)
	sE, sI := c.tuning.Sigma, c.tuning.SurroundSigma()
	for p := 0; p < len(pos)/2; p++ {
		x, y := float64(pos[2*p]), float64(pos[2*p+1])
		for i := 0; i < np; i++ {
			d2 := (x-c.cx[i])*(x-c.cx[i]) + (y-c.cy[i])*(y-c.cy[i])
			dst[p*np+i] = float32(math.Exp(-d2/(2*sE*sE))/(2*math.Pi*sE*sE) - math.Exp(-d2/(2*sI*sI))/(2*math.Pi*sI*sI))
		}
	}
	return dst
}

func TestSpectrumDeterministic(t *testing.T) {
	tu := Tuning{Kind: KindDoS, Sigma: 0.12, Surround: 2, Convention: SigmaRatio}
	code := newPlaceCode(tu, 101, 2.2, 2.2, rand.New(rand.NewPCG(1, 1)))
	a, _ := ComputeSpectrum(context.Background(), code, 2.2, 2.2, &SpectrumSettings{Res: 20})
	b, _ := ComputeSpectrum(context.Background(), code, 2.2, 2.2, &SpectrumSettings{Res: 20})
	for i := range a.Covariance {
		if a.Covariance[i] != b.Covariance[i] {
			t.Fatalf("covariance differs between identical runs at %d", i)
		}
	}
	// Σ(0) is the mean squared norm of the code vector, computed directly.
	pos := make([]float32, 2)
	out := make([]float32, 101)
	var want float64
	for ix := 0; ix < 20; ix++ {
		for iy := 0; iy < 20; iy++ {
			pos[0], pos[1] = float32(-1.1+(float64(ix)+0.5)*0.11), float32(-1.1+(float64(iy)+0.5)*0.11)
			code.Encode(out, pos)
			for _, v := range out {
				want += float64(v) * float64(v)
			}
		}
	}
	want /= 400
	if got := a.Lag(0, 0); !scalar.EqualWithinRel(got, want, 1e-9) {
		t.Errorf("Σ(0) = %g, want mean |p(x)|² = %g", got, want)
	}
	// Σ(Δ) = Σ(−Δ).
	if a.Lag(3, -2) != a.Lag(-3, 2) && !scalar.EqualWithinRel(a.Lag(3, -2), a.Lag(-3, 2), 1e-12) {
		t.Errorf("Σ(3,−2) = %g ≠ Σ(−3,2) = %g", a.Lag(3, -2), a.Lag(-3, 2))
	}
}

func TestSpectrumErrors(t *testing.T) {
	code := newPlaceCode(Tuning{Kind: KindGaussian, Sigma: 0.1}, 10, 1, 1, rand.New(rand.NewPCG(1, 1)))
	for _, c := range []struct {
		w, h float64
		set  *SpectrumSettings
	}{
		{0, 1, nil}, {1, math.Inf(1), nil}, {1, 1, &SpectrumSettings{Res: 4}}, {1, 1, &SpectrumSettings{KStep: -1}},
	} {
		if _, err := ComputeSpectrum(context.Background(), code, c.w, c.h, c.set); err == nil {
			t.Errorf("ComputeSpectrum(context.Background(), box %g×%g, %+v): no error", c.w, c.h, c.set)
		}
	}
}

// A cancelled context stops the spectrum with its error.
func TestSpectrumCancelled(t *testing.T) {
	tu := Tuning{Kind: KindDoS, Sigma: 0.12, Surround: 2, Convention: SigmaRatio}
	code := newPlaceCode(tu, 64, 2.2, 2.2, rand.New(rand.NewPCG(1, 2)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ComputeSpectrum(ctx, code, 2.2, 2.2, &SpectrumSettings{Res: 40}); err != context.Canceled {
		t.Errorf("cancelled: %v; want context.Canceled", err)
	}
}
