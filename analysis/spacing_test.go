package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Acceptance tolerances for synthetic lattices (issue 4).
const (
	spacingRelTol  = 0.05 // relative
	orientationTol = 3.0  // degrees
)

func angleDiff60(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 60)
	return math.Min(d, 60-d)
}

func TestPeriodicitySyntheticLattices(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n = 44
	for trial := 0; trial < 12; trial++ {
		spacing := 7 + 8*rng.Float64()
		orient := 60 * rng.Float64()
		rm := hexLattice(n, spacing, orient*math.Pi/180, 10*rng.Float64(), 10*rng.Float64())
		for _, sub := range []bool{false, true} {
			p := MeasurePeriodicity(rm, n, &PeriodicitySettings{Subpixel: sub})
			if p.Reason != "" {
				t.Fatalf("spacing %.2f: %s", spacing, p.Reason)
			}
			if math.Abs(p.Period-spacing)/spacing > spacingRelTol {
				t.Errorf("subpixel=%v: period %.3f, lattice %.3f", sub, p.Period, spacing)
			}
			if d := angleDiff60(p.Orientation, orient); d > orientationTol {
				t.Errorf("subpixel=%v spacing %.2f: orientation %.2f°, lattice %.2f°", sub, spacing, p.Orientation, orient)
			}
		}
	}
	// Lattices with an axis on x (or on y: 90° is 30° + 60°): orientation in [0, 60), not 60.
	for _, orient := range []float64{0, 30, 60, 90} {
		for _, spacing := range []float64{8, 10, 12.5} {
			rm := hexLattice(n, spacing, orient*math.Pi/180, 0, 0)
			p := MeasurePeriodicity(rm, n, nil)
			if !(p.Orientation >= 0 && p.Orientation < 60) || angleDiff60(p.Orientation, orient) > orientationTol {
				t.Errorf("lattice at %g°, spacing %g: orientation %v°, want in [0, 60)", orient, spacing, p.Orientation)
			}
		}
	}
	if p := MeasurePeriodicity(make([]float64, 4), 2, nil); p.Reason == "" || !math.IsNaN(p.Period) {
		t.Errorf("2×2 map: %+v, want NaN with a reason", p)
	}
}

// TestPeriodicitySparse measures rectified lattices, whose autocorrelation is exactly zero
// over wide areas: the FFT's round-off there must not count as peaks [spec §5.6 correlates
// directly]. Before the round-off was snapped to zero, a 14-bin lattice measured 8.9 bins and
// a lone place field got a period.
func TestPeriodicitySparse(t *testing.T) {
	const n = 44
	for _, c := range []struct{ spacing, orient, cut float64 }{
		{14, 0, 1.5}, {20, 17, 1.5}, {10, 40, 2}, {17, 25, 2.5},
	} {
		rm := sparseHexLattice(n, c.spacing, c.orient*math.Pi/180, 3, 5, c.cut)
		p := MeasurePeriodicity(rm, n, nil)
		if p.Reason != "" {
			t.Fatalf("spacing %g cut %g: %s", c.spacing, c.cut, p.Reason)
		}
		if math.Abs(p.Period-c.spacing)/c.spacing > spacingRelTol {
			t.Errorf("spacing %g cut %g: period %.3f ± %.3f", c.spacing, c.cut, p.Period, p.PeriodStd)
		}
		if d := angleDiff60(p.Orientation, c.orient); d > orientationTol {
			t.Errorf("spacing %g cut %g: orientation %.2f°, lattice %g°", c.spacing, c.cut, p.Orientation, c.orient)
		}
	}
	// One place field: its autocorrelation has one peak (the centre), so no period.
	field := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if d2 := math.Pow(float64(i)-20, 2) + math.Pow(float64(j)-17, 2); d2 < 36 {
				field[i*n+j] = math.Exp(-d2 / 8)
			}
		}
	}
	if p := MeasurePeriodicity(field, n, nil); p.Reason == "" || !math.IsNaN(p.Period) {
		t.Errorf("one place field: period %v ± %v, want NaN with a reason", p.Period, p.PeriodStd)
	}
}

func TestDominantWavenumber(t *testing.T) {
	const n = 44
	for _, c := range []struct{ spacing, orient float64 }{{9, 10}, {13, 37}, {17.5, 55}} {
		rm := hexLattice(n, c.spacing, c.orient*math.Pi/180, 2, 3)
		pk := DominantWavenumber(rm, n, 0)
		if math.Abs(pk.Spacing-c.spacing)/c.spacing > spacingRelTol {
			t.Errorf("spacing %.2f: spectrum gives %.3f (K %.4f)", c.spacing, pk.Spacing, pk.K)
		}
		// In rad/m, with 5 cm bins, the hexagonal lattice's 4π/(√3·a) (package theory's k*).
		const bin = 0.05
		if want := 4 * math.Pi / (math.Sqrt(3) * c.spacing * bin); math.Abs(pk.AngularWavenumber(bin)-want)/want > spacingRelTol {
			t.Errorf("spacing %.2f: %.3f rad/m; want %.3f", c.spacing, pk.AngularWavenumber(bin), want)
		}
		// Wave vectors lie at orient + 30° + k·60°.
		if d := angleDiff60(pk.Angle, c.orient+30); d > orientationTol {
			t.Errorf("orientation %.1f: wave vector at %.2f°", c.orient, pk.Angle)
		}
	}
	if pk := DominantWavenumber(make([]float64, 16), 4, 0); pk.Reason == "" {
		t.Error("constant map: no reason")
	}
}

// BenchmarkMeasurePeriodicity512 is a 512-bin map as a short evaluation leaves it (eval.nbins
// up to 512): most bins unvisited (NaN), the rest noisy, so that its autocorrelogram has
// tens of thousands of local maxima.
func BenchmarkMeasurePeriodicity512(b *testing.B) {
	const n = 512
	rng := rand.New(rand.NewPCG(3, 4))
	rm := make([]float64, n*n)
	for i := range rm {
		rm[i] = math.NaN()
		if rng.IntN(10) == 0 {
			rm[i] = rng.Float64()
		}
	}
	for b.Loop() {
		MeasurePeriodicity(rm, n, nil)
	}
}
