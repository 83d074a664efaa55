package analysis_test

import (
	"context"
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

// ExampleScorer_ScoreAll goes from a network's activations along a trajectory to grid scores:
// rate maps of every unit, then all of them scored at once. Unit 0 fires on a hexagonal
// lattice, unit 1 on stripes.
func ExampleScorer_ScoreAll() {
	const units, n = 2, 32
	acc, err := analysis.NewRateMapAccumulator(units, n, analysis.SquareBox(2.2))
	if err != nil {
		panic(err)
	}
	k := 4 * math.Pi / (math.Sqrt(3) * 0.5) // fields 0.5 m apart
	var pos, act []float32
	for i := range 200 { // a raster through the box stands in for a trajectory
		for j := range 200 {
			x, y := -1.1+2.2*(float64(i)+0.5)/200, -1.1+2.2*(float64(j)+0.5)/200
			hex := 0.0
			for q := range 3 {
				a := math.Pi/6 + float64(q)*math.Pi/3
				hex += math.Cos(k * (x*math.Cos(a) + y*math.Sin(a)))
			}
			pos = append(pos, float32(x), float32(y))
			act = append(act, float32(max(hex, 0)), float32(max(math.Cos(k*x), 0)))
		}
	}
	acc.Add(pos, act)
	sc, err := analysis.NewScorer(n, nil) // NFL's min-max score60
	if err != nil {
		panic(err)
	}
	scores, err := sc.ScoreAll(context.Background(), acc.Maps(nil), 0)
	if err != nil {
		panic(err)
	}
	for u, g := range scores {
		fmt.Printf("unit %d: score60 %.2f\n", u, g.Score60)
	}
	// Output:
	// unit 0: score60 1.28
	// unit 1: score60 0.12
}
