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

// ExampleRateMapAccumulator builds rate maps from positions and activations that arrive in
// chunks, as they do from a long evaluation run.
func ExampleRateMapAccumulator() {
	acc, err := analysis.NewRateMapAccumulator(2, 2, analysis.SquareBox(2)) // 2 units, 2×2 bins over [−1, 1]²
	if err != nil {
		panic(err)
	}
	// Chunk 1: two samples in bin (x 0, y 0) and (x 1, y 1).
	acc.Add([]float32{-0.5, -0.5, 0.5, 0.5}, []float32{1, 10, 3, 30})
	// Chunk 2: one more sample in bin (0, 0).
	acc.Add([]float32{-0.25, -0.75}, []float32{2, 20})
	maps := acc.Maps(nil) // unit-major, then x-bin, then y-bin
	fmt.Println("unit 0:", maps[0:4])
	fmt.Println("unit 1:", maps[4:8])
	// Output:
	// unit 0: [1.5 NaN NaN 3]
	// unit 1: [15 NaN NaN 30]
}
