package cpu

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSoftmaxCrossEntropy times the loss and gradient of one training step's outputs
// (T·B = 4,000 rows of Np = 512, spec §4.1).
func BenchmarkSoftmaxCrossEntropy(b *testing.B) {
	be := New(nil)
	const rows, cols = 4000, 512
	z, y, g := be.New(rows, cols), be.New(rows, cols), be.New(rows, cols)
	rng := rand.New(rand.NewPCG(1, 1))
	zs, ys := be.Slice(z), be.Slice(y)
	for i := range zs {
		zs[i] = float32(rng.NormFloat64())
		ys[i] = float32(rng.Float64()) / cols
	}
	for b.Loop() {
		be.SoftmaxCrossEntropy(g, z, y, 1.0/rows)
	}
}
