package analysis_test

import (
	"fmt"
	"math"

	"github.com/gridcells/gridcells/analysis"
)

// ExampleScorer_Score scores a 32×32 hexagonal rate map with the NFL convention.
func ExampleScorer_Score() {
	const n = 32
	rm := make([]float64, n*n)
	k := 4 * math.Pi / (math.Sqrt(3) * 8) // fields 8 bins apart
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for q := 0; q < 3; q++ {
				a := math.Pi/6 + float64(q)*math.Pi/3
				rm[i*n+j] += math.Cos(k * (float64(i)*math.Cos(a) + float64(j)*math.Sin(a)))
			}
		}
	}
	sc, err := analysis.NewScorer(n, &analysis.Settings{Method: analysis.MethodNFL})
	if err != nil {
		panic(err)
	}
	g := sc.Score(rm)
	fmt.Printf("%s score60 %.2f score90 %.2f best ring outer radius %.2f·n\n", g.Method, g.Score60, g.Score90, g.Outer60)
	p := analysis.MeasurePeriodicity(rm, n, nil)
	fmt.Printf("period %.1f bins\n", p.Period)
	// Output:
	// nfl score60 1.37 score90 0.27 best ring outer radius 0.40·n
	// period 8.0 bins
}
