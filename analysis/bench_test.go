package analysis

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// referenceSecondsPerMap is the DeepMind reference scorer's time for one 32×32 map on one
// core: 266 s for 4,096 maps (issue 4), the yardstick of the speed goal (≥ 100×).
const referenceSecondsPerMap = 0.065

// benchMaps returns count noisy hexagonal n×n maps.
func benchMaps(n, count int) []float64 {
	rng := rand.New(rand.NewPCG(7, 11))
	maps := make([]float64, 0, count*n*n)
	for c := 0; c < count; c++ {
		lat := hexLattice(n, 5+rng.Float64()*5, rng.Float64()*math.Pi/3, rng.Float64()*10, rng.Float64()*10)
		for i := range lat {
			lat[i] += 0.2 * rng.NormFloat64()
		}
		maps = append(maps, lat...)
	}
	return maps
}

// BenchmarkGridScore scores batches of maps with all cores, as ScoreAll does for a run's
// units, and reports maps/s (wall), the speed-up over the reference's 65 ms per map, and
// maps per CPU-second (wall-clock figures are only meaningful on an otherwise idle machine).
func BenchmarkGridScore(b *testing.B) {
	for _, n := range []int{20, 32, 44} {
		for _, method := range []Method{MethodNFL, MethodBNT} {
			b.Run(fmt.Sprintf("n=%d/method=%s", n, method), func(b *testing.B) {
				const batch = 256
				maps := benchMaps(n, batch)
				sc, err := NewScorer(n, &Settings{Method: method})
				if err != nil {
					b.Fatal(err)
				}
				sc.Score(maps[:n*n]) // build the plan outside the timing
				b.ResetTimer()
				cpu0 := processCPUTime()
				for i := 0; i < b.N; i++ {
					if _, err := sc.ScoreAll(context.Background(), maps, 0); err != nil {
						b.Fatal(err)
					}
				}
				cpu := processCPUTime() - cpu0
				perSec := float64(b.N*batch) / b.Elapsed().Seconds()
				b.ReportMetric(perSec, "maps/s")
				b.ReportMetric(perSec*referenceSecondsPerMap, "x_reference")
				if cpu > 0 {
					// Throughput per CPU-second: what each core delivers when not shared.
					b.ReportMetric(float64(b.N*batch)/cpu.Seconds(), "maps/cpu-s")
				}
			})
		}
	}
}
