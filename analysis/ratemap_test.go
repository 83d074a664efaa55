package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRateMapAccumulator(t *testing.T) {
	// Edges −1, −0.5, 0, 0.5, 1 (exact in float32, so the edge cases are exact; positions are
	// compared in float64 as scipy compares them).
	box := SquareBox(2)
	acc, err := NewRateMapAccumulator(2, 4, box)
	if err != nil {
		t.Fatal(err)
	}
	pos := []float32{
		-1, -1, // bin (0, 0): lower edge belongs to the first bin
		1, 1, // bin (3, 3): upper edge goes in the last bin
		0, -0.25, // bin (2, 1): an inner edge belongs to the bin on its right
		0.1, -0.5, // bin (2, 1)
		1.2, 0, // outside: dropped
	}
	act := []float32{1, 10, 2, 20, 3, 30, 5, 50, 100, 100}
	// Feed in two chunks to exercise streaming.
	acc.Add(pos[:4], act[:4])
	acc.Add(pos[4:], act[4:])
	maps := acc.Maps(nil)
	want := map[[2]int][2]float64{{0, 0}: {1, 10}, {3, 3}: {2, 20}, {2, 1}: {4, 40}}
	for bx := 0; bx < 4; bx++ {
		for by := 0; by < 4; by++ {
			for u := 0; u < 2; u++ {
				got := maps[u*16+bx*4+by]
				w, ok := want[[2]int{bx, by}]
				switch {
				case ok && got != w[u]:
					t.Errorf("unit %d bin (%d, %d): %v, want %v", u, bx, by, got, w[u])
				case !ok && !math.IsNaN(got):
					t.Errorf("unit %d empty bin (%d, %d): %v, want NaN", u, bx, by, got)
				}
			}
		}
	}
	if acc.Dropped() != 1 {
		t.Errorf("dropped %d, want 1", acc.Dropped())
	}
	if _, err := NewRateMapAccumulator(1, 0, box); err == nil {
		t.Error("0 bins: no error")
	}
	if _, err := NewRateMapAccumulator(1, 4, Box{1, 1, 0, 1}); err == nil {
		t.Error("empty box: no error")
	}
}

// TestRateMapRecoversTuning checks that a unit whose activation is a known function of
// position gets that function (at the bin centres) as its rate map.
func TestRateMapRecoversTuning(t *testing.T) {
	const n = 10
	const tol = 0.02 // bin-averaging error of a smooth tuning curve, far below its range
	rng := rand.New(rand.NewPCG(5, 6))
	f := func(x, y float64) float64 { return math.Cos(2*x) + 0.5*y }
	acc, _ := NewRateMapAccumulator(1, n, SquareBox(2))
	for chunk := 0; chunk < 60; chunk++ {
		pos := make([]float32, 2000)
		act := make([]float32, 1000)
		for i := range act {
			x, y := rng.Float64()*2-1, rng.Float64()*2-1
			pos[2*i], pos[2*i+1] = float32(x), float32(y)
			act[i] = float32(f(x, y))
		}
		acc.Add(pos, act)
	}
	maps := acc.Maps(nil)
	for bx := 0; bx < n; bx++ {
		for by := 0; by < n; by++ {
			x, y := -1+(float64(bx)+0.5)*0.2, -1+(float64(by)+0.5)*0.2
			if d := math.Abs(maps[bx*n+by] - f(x, y)); d > tol {
				t.Fatalf("bin (%d, %d): %v, want %v", bx, by, maps[bx*n+by], f(x, y))
			}
		}
	}
}

func TestSmooth(t *testing.T) {
	const n = 12
	const tol = 1e-12
	// A constant map stays constant under a normalised smoothing, NaN bins included.
	c := make([]float64, n*n)
	for i := range c {
		c[i] = 3
	}
	c[17] = math.NaN()
	s := Smooth(nil, c, n, 2, false)
	for i, v := range s {
		if math.Abs(v-3) > tol {
			t.Fatalf("bin %d: %v, want 3", i, v)
		}
	}
	if k := Smooth(nil, c, n, 2, true); !math.IsNaN(k[17]) {
		t.Errorf("keepEmpty: empty bin became %v", k[17])
	}
	// A linear ramp away from the borders is unchanged (the kernel is symmetric).
	r := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			r[i*n+j] = float64(i) + 2*float64(j)
		}
	}
	rs := Smooth(nil, r, n, 0.5, false)
	if math.Abs(rs[6*n+6]-r[6*n+6]) > tol {
		t.Errorf("ramp centre: %v, want %v", rs[6*n+6], r[6*n+6])
	}
}
