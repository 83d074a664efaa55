package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// moduleRatioTol bounds the error of a recovered module-scale ratio.
const moduleRatioTol = 0.05

// TestModulesTwoScales builds a population of hexagonal lattices at two known scales
// (ratio 1.42, as between biological modules) with random orientations and phases, measures
// each unit's period (NFL recipe) and Fourier spacing, and expects two modules with the
// right ratio from both detectors.
func TestModulesTwoScales(t *testing.T) {
	const n = 44
	const small, ratio = 8.0, 1.42
	rng := rand.New(rand.NewPCG(10, 11))
	var periods, fourier []float64
	var truth []int
	for u := 0; u < 40; u++ {
		mod := u % 2
		spacing := small * math.Pow(ratio, float64(mod)) * (1 + 0.01*rng.NormFloat64())
		rm := hexLattice(n, spacing, rng.Float64()*math.Pi/3, 20*rng.Float64(), 20*rng.Float64())
		for i := range rm {
			rm[i] += 0.1 * rng.NormFloat64()
		}
		periods = append(periods, MeasurePeriodicity(rm, n, nil).Period)
		fourier = append(fourier, DominantWavenumber(rm, n, 0).Spacing)
		truth = append(truth, mod)
	}
	kde, err := ModulesKDE(periods, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ModulesCluster(fourier, 1.15)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]Modules{"KDE": kde, "Fourier cluster": cl} {
		if len(m.Modules) != 2 {
			t.Errorf("%s: %d modules (scales %v), want 2", name, len(m.Modules), scalesOf(m))
			continue
		}
		if math.Abs(m.Ratios[0]-ratio) > moduleRatioTol {
			t.Errorf("%s: ratio %.3f, want %.3f", name, m.Ratios[0], ratio)
		}
		for k, mod := range m.Modules {
			for _, u := range mod.Members {
				if truth[u] != k {
					t.Errorf("%s: unit %d (scale %d) in module %d", name, u, truth[u], k)
				}
			}
		}
	}
}

func scalesOf(m Modules) []float64 {
	var s []float64
	for _, x := range m.Modules {
		s = append(s, x.Scale)
	}
	return s
}

func TestModulesErrors(t *testing.T) {
	if _, err := ModulesKDE([]float64{math.NaN()}, nil); err == nil {
		t.Error("no finite period: no error")
	}
	if _, err := ModulesKDE([]float64{3}, &KDESettings{Bandwidth: -1}); err == nil {
		t.Error("negative bandwidth: no error")
	}
	if _, err := ModulesCluster([]float64{3}, 1); err == nil {
		t.Error("gap factor 1: no error")
	}
	// One scale, one module.
	m, err := ModulesKDE([]float64{10, 10.2, 9.9, 10.1}, nil)
	if err != nil || len(m.Modules) != 1 || len(m.Ratios) != 0 || math.Abs(m.Modules[0].Scale-10.05) > 0.2 {
		t.Errorf("one scale: %+v, %v", m.Modules, err)
	}
}
