package theory_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/theory"
)

// The NFL default code: DoS, σ 0.12 m, surround σ_I = 2σ (spec §8.4).
func ExampleTuning_PeakWavenumber() {
	t := theory.Tuning{Kind: theory.KindDoS, Sigma: 0.12, Surround: 2, Convention: theory.SigmaRatio}
	k := t.PeakWavenumber()
	fmt.Printf("k* = %.2f rad/m, spacing %.3f m = %.1f bins of 5 cm\n", k, theory.HexSpacing(k), theory.HexSpacing(k)/0.05)
	t.Convention = theory.VarianceRatio
	k = t.PeakWavenumber()
	fmt.Printf("Sorscher convention: k* = %.2f rad/m, spacing %.3f m\n", k, theory.HexSpacing(k))
	// Output:
	// k* = 8.01 rad/m, spacing 0.906 m = 18.1 bins of 5 cm
	// Sorscher convention: k* = 9.81 rad/m, spacing 0.739 m
}

// The numerical spectrum of a target code built by package encode.
func ExampleComputeSpectrum() {
	code, err := encode.New(encode.Params{
		Kind: encode.DifferenceOfGaussians, Normalization: encode.NormGlobal, Np: 512,
		BoxWidth: 2.2, BoxHeight: 2.2, Sigma: encode.Dist{Kind: "const", A: 0.12},
		Surround: encode.Dist{Kind: "const", A: 2}, SurroundConvention: encode.SigmaRatio,
	}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := theory.ComputeSpectrum(context.Background(), code, 2.2, 2.2, &theory.SpectrumSettings{Res: 44})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("pattern forms: %v; k* within 3%% of 8.01 rad/m: %v\n", s.FormsPattern(), s.PeakK > 8.01*0.97 && s.PeakK < 8.01*1.03)
	// Output:
	// pattern forms: true; k* within 3% of 8.01 rad/m: true
}
