package encode

import "testing"

// BenchmarkDoSBatch is the per-step target cost of training (spec §1.1, §2.2): 200 trajectories ×
// 20 steps of DoS targets over 512 cells. Goal: ≤ 0.4 ms on the 2-core reference machine, 1 % of
// the Python reference's 39–50 ms (issue 2).
func BenchmarkDoSBatch(b *testing.B) {
	c := mustNew(b, placeParams(DifferenceOfGaussians, 512), 1)
	pos := randomPositions(200*20, 2)
	dst := make([]float32, 200*20*512)
	for b.Loop() {
		c.Encode(dst, pos)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(200*20*512), "ns/cell")
}

// BenchmarkDoSBatchGeneral is the same batch through the general (multi-field capable) path.
func BenchmarkDoSBatchGeneral(b *testing.B) {
	c := mustNew(b, placeParams(DifferenceOfGaussians, 512), 1).(*placeCode)
	c.fast = false
	pos := randomPositions(200*20, 2)
	dst := make([]float32, 200*20*512)
	for b.Loop() {
		c.Encode(dst, pos)
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	c := mustNew(b, placeParams(DifferenceOfGaussians, 512), 1)
	pos := randomPositions(200*20, 2)
	out := c.Encode(nil, pos)
	dst := make([]float32, 200*20*2)
	for b.Loop() {
		c.Decode(dst, out)
	}
}
