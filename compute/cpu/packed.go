package cpu

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/internal/sgemm"
)

var _ compute.PackedGemmer = (*Backend[float32])(nil)
var _ compute.PackedGemmer = (*Backend[float64])(nil)

// packed is the CPU backend's compute.Packed. With the float32 backend's own sgemm it
// holds op(b) in sgemm's packed layout (sgemm.PackedB), which saves the repacking of b
// that every Gemm call does (issue 7: 40 recurrent products per training step share
// W_rec). Otherwise (float64, or a replaced SgemmFunc) it remembers b and GemmPacked is
// a plain Gemm, so results do not depend on which path runs.
type packed[T float] struct {
	pb     sgemm.PackedB
	fast   bool // pb holds op(b)
	transB bool
	b      *tensor[T]
	k, n   int
}

func (p *packed[T]) PackedShape() (k, n int) { return p.k, p.n }

func (b *Backend[T]) NewPacked() compute.Packed { return &packed[T]{} }

func (b *Backend[T]) packed(p compute.Packed) *packed[T] {
	x, ok := p.(*packed[T])
	if !ok {
		panic(fmt.Sprintf("cpu: packed operand %T does not belong to the %s backend", p, b.Name()))
	}
	return x
}

func (b *Backend[T]) Pack(p compute.Packed, transB bool, bb compute.Tensor) {
	x, y := b.packed(p), b.t(bb)
	x.transB, x.b = transB, y
	x.k, x.n = y.rows, y.cols
	if transB {
		x.k, x.n = x.n, x.k
	}
	x.fast = b.ownSgemm
	if x.fast {
		sgemm.PackB(&x.pb, transB, x.k, x.n, f32s(y.data), y.ld)
	}
}

func (b *Backend[T]) GemmPacked(tA bool, alpha float64, a compute.Tensor, p compute.Packed, beta float64, c compute.Tensor) {
	x := b.packed(p)
	if x.b == nil {
		panic("cpu: GemmPacked with an operand that was never packed")
	}
	if !x.fast {
		b.Gemm(tA, x.transB, alpha, a, x.b, beta, c)
		return
	}
	y, z := b.t(a), b.t(c)
	m, k := y.rows, y.cols
	if tA {
		m, k = k, m
	}
	if k != x.k || z.rows != m || z.cols != x.n {
		shapeErr(fmt.Sprintf("GemmPacked[tA=%v, packed %d×%d]", tA, x.k, x.n), a, c)
	}
	sgemm.SgemmPacked(tA, m, float32(alpha), f32s(y.data), y.ld, &x.pb, float32(beta), f32s(z.data), z.ld)
}
