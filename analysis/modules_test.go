package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
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
	// Periods beyond the KDE's range have no mode to join (this panicked before).
	if _, err := ModulesKDE([]float64{200, 210, 205}, nil); err == nil {
		t.Error("all periods above Hi: no error")
	}
	if m, err := ModulesKDE([]float64{20, 21, 300}, nil); err != nil || m.Outside != 1 || len(m.Modules) != 1 || len(m.Modules[0].Members) != 2 {
		t.Errorf("a period above Hi: %+v, %v; want it left out of the one module and counted in Outside", m.Modules, err)
	}
	if _, err := ModulesKDE([]float64{20.0123}, &KDESettings{Bandwidth: 1e-4}); err == nil {
		t.Error("bandwidth far below the grid step: no error")
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

// The density of the cut kernels is the full Gaussian sum to within 1e-12 of the density's
// peak (far from every period the full sum's 1e-23 reads as 0), periods at and past the
// range's ends included.
func TestModulesKDEDensityIsFullSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	periods := []float64{-20, 0, 150, 170, math.NaN()}
	for range 3000 {
		periods = append(periods, 10+30*rng.Float64()+5*rng.NormFloat64())
	}
	set := &KDESettings{Bandwidth: 1.7, Lo: 0, Hi: 150, Points: 400}
	m, err := ModulesKDE(periods, set)
	if err != nil {
		t.Fatal(err)
	}
	finite := 0
	for _, p := range periods {
		if !math.IsNaN(p) {
			finite++
		}
	}
	norm := 1 / (float64(finite) * set.Bandwidth * math.Sqrt(2*math.Pi))
	peak := slices.Max(m.Density)
	for g, x := range m.Grid {
		var want float64
		for _, p := range periods {
			if !math.IsNaN(p) {
				z := (x - p) / set.Bandwidth
				want += math.Exp(-z * z / 2)
			}
		}
		want *= norm
		if math.Abs(m.Density[g]-want) > 1e-12*peak {
			t.Fatalf("density at %v = %v; full sum %v", x, m.Density[g], want)
		}
	}
}

func BenchmarkModulesKDE(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	periods := make([]float64, 200000)
	for i := range periods {
		periods[i] = 15 + 20*rng.Float64()
	}
	for b.Loop() {
		if _, err := ModulesKDE(periods, nil); err != nil {
			b.Fatal(err)
		}
	}
}
