//go:build !nocuda

package cuda

import (
	"fmt"
	"unsafe"

	"github.com/gridcells/gridcells/compute"
)

var _ compute.LaneGemmer = (*Backend)(nil)

// GemmLanes implements compute.LaneGemmer with one cublasSgemmStridedBatched call: the
// lanes' products of an ensemble (package compute/ensemble) run as one batched kernel
// instead of lanes launches. The row-major trick of Gemm applies lane by lane: each lane is
// the column-major product cᵀ = op(b)ᵀ·op(a)ᵀ, and the lanes' offsets are the strides.
func (b *Backend) GemmLanes(tA, tB bool, alpha float64, a, bb compute.Tensor, beta float64, c compute.Tensor, lanes, strideA, strideB, strideC int) {
	x, y, z := b.t(a), b.t(bb), b.t(c)
	m, n, k, ok := compute.GemmDims(tA, tB, a, bb, c)
	if !ok {
		shapeErr(fmt.Sprintf("GemmLanes[tA=%v tB=%v]", tA, tB), a, bb, c)
	}
	if lanes < 1 || strideA < 1 || strideB < 1 || strideC < 1 {
		panic(fmt.Sprintf("cuda: GemmLanes(lanes %d, strides %d, %d, %d): want positive values", lanes, strideA, strideB, strideC))
	}
	for _, l := range []struct {
		t      *tensor
		stride int
	}{{x, strideA}, {y, strideB}, {z, strideC}} {
		last := l.t.ptr + uintptr(4*((lanes-1)*l.stride+(l.t.rows-1)*l.t.ld+l.t.cols))
		if last > l.t.end {
			panic(fmt.Errorf("%w: GemmLanes lane %d at offset %d of a %d×%d view (ld %d) runs past its allocation",
				compute.ErrView, lanes-1, (lanes-1)*l.stride, l.t.rows, l.t.cols, l.t.ld))
		}
	}
	b.enter()
	b.args.alpha, b.args.beta = float32(alpha), float32(beta)
	r := call(b.a.cublasSgemmStridedBatched, b.blas, op(tB), op(tA), uintptr(n), uintptr(m), uintptr(k),
		uintptr(unsafe.Pointer(&b.args.alpha)), y.ptr, uintptr(y.ld), uintptr(int64(strideB)),
		x.ptr, uintptr(x.ld), uintptr(int64(strideA)),
		uintptr(unsafe.Pointer(&b.args.beta)), z.ptr, uintptr(z.ld), uintptr(int64(strideC)), uintptr(lanes))
	if err := cublasCheck("cublasSgemmStridedBatched", r); err != nil {
		err.(*CUDAError).Info = fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v lanes=%d", m, n, k, tA, tB, lanes)
		panic(err)
	}
}
