package predictivity

import (
	"fmt"
	"testing"
)

// BenchmarkFit times one cross-validated fit (5 outer × 3 inner folds, 17 penalties) on
// NFL-sized rate maps: 44×44 bins, 100 neurons, a ladder of regressor counts (the last in
// the dual form, more units than training bins).
func BenchmarkFit(b *testing.B) {
	for _, units := range []int{64, 256, 2048} {
		b.Run(fmt.Sprintf("bins=1936,units=%d,neurons=100", units), func(b *testing.B) {
			X, Y := linearTruth(1936, units, 100, 0.5, 1)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Fit(X, Y, &Settings{Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
