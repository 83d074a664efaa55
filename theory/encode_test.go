package theory

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/encode"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestSpectrumOfEncodeCodes runs the spectrum on package encode's codes (the targets that
// training uses): DoS peaks at the closed-form k*, Gaussian and true DoG at the origin.
func TestSpectrumOfEncodeCodes(t *testing.T) {
	base := encode.Params{Normalization: encode.NormGlobal, Np: 512, BoxWidth: 2.2, BoxHeight: 2.2,
		Sigma: encode.Dist{Kind: "const", A: 0.12}, Surround: encode.Dist{Kind: "const", A: 2}}
	for _, c := range []struct {
		kind encode.Kind
		conv string
	}{
		{encode.DifferenceOfGaussians, SigmaRatio},
		{encode.DifferenceOfGaussians, VarianceRatio},
		{encode.Gaussian, SigmaRatio},
		{encode.TrueDifferenceOfGaussians, SigmaRatio},
	} {
		p := base
		p.Kind, p.SurroundConvention = c.kind, c.conv
		code, err := encode.New(p, rand.New(rand.NewPCG(11, 12)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := ComputeSpectrum(context.Background(), code, 2.2, 2.2, &SpectrumSettings{Res: 44})
		if err != nil {
			t.Fatal(err)
		}
		tu := Tuning{Kind: string(c.kind), Sigma: 0.12, Surround: 2, Convention: c.conv}
		want := tu.PeakWavenumber()
		ok := s.PeakK == 0
		if want > 0 {
			ok = scalar.EqualWithinRel(s.PeakK, want, numericalPeakTol)
		}
		if !ok {
			t.Errorf("encode %s %s: numerical k* = %.3f, closed form %.3f", c.kind, c.conv, s.PeakK, want)
		}
	}
}
