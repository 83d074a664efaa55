package cpu

import (
	"math"
	"testing"
)

// expF32Tol is the relative accuracy expF32 promises (float32 ulp is 6e-8 relative).
const expF32Tol = 1e-7

func TestExpF32(t *testing.T) {
	for x := -708.0; x <= 0; x += 0.0137 {
		got, want := expF32(x), math.Exp(x)
		if math.Abs(got-want) > expF32Tol*want {
			t.Fatalf("expF32(%v) = %v; math.Exp %v", x, got, want)
		}
	}
	if got := expF32(-800); got != 0 {
		t.Errorf("expF32(-800) = %v; want 0", got)
	}
	if got := expF32(0); got != 1 {
		t.Errorf("expF32(0) = %v; want 1", got)
	}
}

func BenchmarkExp(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = -float64(i) / 200
	}
	b.Run("expF32", func(b *testing.B) {
		s := 0.0
		for b.Loop() {
			for _, x := range xs {
				s += expF32(x)
			}
		}
		_ = s
	})
	b.Run("math.Exp", func(b *testing.B) {
		s := 0.0
		for b.Loop() {
			for _, x := range xs {
				s += math.Exp(x)
			}
		}
		_ = s
	})
}
