package cpu

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/internal/asm/f32"
)

// This file holds the float32 backend's fused passes: each operation of a training step
// that is not a matrix product reads and writes its tensors once, with the AVX2 kernels of
// kernels.go, split over cores for large tensors (parallel.go).

// f32s reinterprets s as []float32. Only the float32 backend (T = float32) calls it.
func f32s[T float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// sumChunk is the number of elements per partial sum of the parallel reductions: the
// partials are added in chunk order, so a sum does not depend on the number of workers.
const sumChunk = 1 << 14

// tasks holds one preallocated task per operation, so that handing work to the pool
// allocates nothing (a Backend is not used concurrently).
type tasks struct {
	elem    elemTask
	adam    adamTask
	sumSq   sumSqTask
	softmax softmaxTask
	sumRows sumRowsTask
}

type elemOp int

const (
	opReLU        elemOp = iota // dst = max(x, 0)
	opReLUMask                  // dst = dst·[x > 0]
	opAxpby                     // dst = a·x + b·y
	opCopy                      // dst = x
	opTanh                      // dst = tanh(x)
	opSigmoid                   // dst = 1/(1 + e^−x)
	opTanhGrad                  // dst = dst·(1 − x²), x = tanh's output
	opSigmoidGrad               // dst = dst·x·(1 − x), x = sigmoid's output
	opMul                       // dst = x·y
	opAddMul                    // dst = dst + x·y
	opAddScalar                 // dst = x + a
)

// elemTask is an elementwise kernel over lines of equal length. Contiguous operands are one
// line of n elements (cols = 0), split over cores by elements. Views, such as the gate
// blocks of an LSTM's (T·B)×4Ng activations, are rows lines of cols elements: line i of
// dst starts at i·ldd (of x at i·ldx, of y at i·ldy; ldy = 0 repeats one row, a bias), and
// they are split over cores by lines, so that a B×Ng gate block costs one parallel pass
// rather than B serial ones.
type elemTask struct {
	op                  elemOp
	dst, x, y           []float32
	a, b                float32
	cols, ldd, ldx, ldy int
}

func (t *elemTask) run(_, lo, hi int) {
	if t.cols == 0 {
		var y []float32
		if t.y != nil {
			y = t.y[lo:hi]
		}
		t.apply(t.dst[lo:hi], t.x[lo:hi], y)
		return
	}
	n := t.cols
	var y []float32
	for i := lo; i < hi; i++ {
		if t.y != nil {
			y = t.y[i*t.ldy : i*t.ldy+n]
		}
		t.apply(t.dst[i*t.ldd:i*t.ldd+n], t.x[i*t.ldx:i*t.ldx+n], y)
	}
}

// apply runs t's operation on one part: d, x and (for two-operand ops) y of one length.
func (t *elemTask) apply(d, x, y []float32) {
	switch t.op {
	case opReLU:
		relu(d, x)
	case opReLUMask:
		reluMask(d, x)
	case opAxpby:
		axpby(d, x, y, t.a, t.b)
	case opCopy:
		copy(d, x)
	case opAddScalar:
		// (x + a)·1 is the rounded sum x + a.
		f32.AddScale(d, x, t.a, 1)
	case opTanh:
		tanhs(d, x)
	case opSigmoid:
		sigmoids(d, x)
	case opTanhGrad:
		tanhGrad(d, x)
	case opSigmoidGrad:
		sigmoidGrad(d, x)
	case opMul:
		mul(d, x, y)
	case opAddMul:
		addMul(d, x, y)
	}
}

// elementwise runs t (filled in by the caller) over n elements.
func (b *Backend[T]) elementwise(t *elemTask, n int) {
	parallelFor(t, n, 8, minParallel, &b.par)
	t.dst, t.x, t.y = nil, nil, nil
}

// sumRowsTask adds alpha times the column sums of src (rows lines of leading dimension ld)
// to dst: part [lo, hi) owns the columns lo … hi−1 and adds the rows to them in row order,
// so every column's sum has one order whatever the number of parts.
type sumRowsTask struct {
	dst, src []float32
	rows, ld int
	alpha    float32
}

func (t *sumRowsTask) run(_, lo, hi int) {
	d := t.dst[lo:hi]
	for i := range t.rows {
		// d + alpha·v, rounded as d += alpha·v: the product, then the sum.
		axpby(d, t.src[i*t.ld+lo:i*t.ld+hi], d, t.alpha, 1)
	}
}

// sumRows32 is SumRows for the float32 backend after dst's scaling by beta: split by
// columns in parts that are whole cache lines (and whole vectors, so that which columns
// the assembly and the Go tail of axpby see does not depend on the split).
func (b *Backend[T]) sumRows32(dst, src *tensor[T], alpha float32) {
	t := &b.tasks.sumRows
	t.dst, t.src, t.rows, t.ld, t.alpha = f32s(dst.row(0)), f32s(src.data), src.rows, src.ld, alpha
	parallelFor(t, src.cols, 16, max(16, minParallel/src.rows), &b.par)
	t.dst, t.src = nil, nil
}

// expChunk is the number of exponentials sigmoids and tanhs compute per vector pass: a
// stack buffer that stays in L1.
const expChunk = 256

// sigmoids sets dst[i] = sigmoid32(x[i]) (dst may be x), with the exponentials e^{−x} of
// each chunk in one vector pass (f32.ExpSum, the same rounding as f32.Exp).
func sigmoids(dst, x []float32) {
	var buf [expChunk]float32
	dst = dst[:len(x)]
	for lo := 0; lo < len(x); lo += expChunk {
		xs := x[lo:min(lo+expChunk, len(x))]
		d, e := dst[lo:lo+len(xs)], buf[:len(xs)]
		f32.ExpSum(e, xs, -1, 0)
		for j, v := range xs {
			if !(v >= -80) { // as sigmoid32: e^{−x} saturates; NaN passes through f32.Exp
				d[j] = f32.Exp(v)
			} else {
				d[j] = 1 / (1 + e[j])
			}
		}
	}
}

// tanhs sets dst[i] = tanh32(x[i]) (dst may be x), with the exponentials e^{2|x|} of each
// chunk in one vector pass; the arguments where tanh32 needs no exponential (|x| < 0.625,
// |x| > 9.1, NaN) go to tanh32 itself.
func tanhs(dst, x []float32) {
	var buf [expChunk]float32
	dst = dst[:len(x)]
	for lo := 0; lo < len(x); lo += expChunk {
		xs := x[lo:min(lo+expChunk, len(x))]
		d, e := dst[lo:lo+len(xs)], buf[:len(xs)]
		for j, v := range xs {
			e[j] = 2 * math.Float32frombits(math.Float32bits(v)&^(1<<31))
		}
		f32.ExpSum(e, e, 1, 0)
		for j, v := range xs {
			if a := math.Float32frombits(math.Float32bits(v) &^ (1 << 31)); a >= 0.625 && a <= 9.1 {
				t := 1 - 2/(e[j]+1)
				if v < 0 {
					t = -t
				}
				d[j] = t
			} else {
				d[j] = tanh32(v)
			}
		}
	}
}

type adamTask struct {
	p, g, m, v              []float32
	b1, c1, b2, c2, lr, eps float32
}

func (t *adamTask) run(_, lo, hi int) {
	adam32(t.p[lo:hi], t.g[lo:hi], t.m[lo:hi], t.v[lo:hi], t.b1, t.c1, t.b2, t.c2, t.lr, t.eps)
}

// sumSqTask sets partial[c] to the sum of squares of chunk c of x (and, with dst, writes
// dst = alpha·x in the same pass).
type sumSqTask struct {
	dst, x  []float32
	alpha   float32
	partial []float64
}

func (t *sumSqTask) run(_, lo, hi int) {
	for c := lo; c < hi; c++ {
		s, e := c*sumChunk, min((c+1)*sumChunk, len(t.x))
		if t.dst != nil {
			t.partial[c] = scaleSumSquares32(t.dst[s:e], t.x[s:e], t.alpha)
		} else {
			t.partial[c] = sumSquares32(t.x[s:e])
		}
	}
}

// sumSquares returns Σ x², and with dst sets dst = alpha·x in the same pass.
func (b *Backend[T]) sumSquares(dst, x []float32, alpha float32) float64 {
	t := &b.tasks.sumSq
	chunks := (len(x) + sumChunk - 1) / sumChunk
	if cap(t.partial) < chunks {
		t.partial = make([]float64, chunks)
	}
	t.partial = t.partial[:chunks]
	t.dst, t.x, t.alpha = dst, x, alpha
	parallelFor(t, chunks, 1, max(1, minParallel/sumChunk), &b.par)
	var s float64
	for _, p := range t.partial {
		s += p
	}
	t.dst, t.x = nil, nil
	return s
}

// softmaxTask computes the softmax cross-entropy of rows [lo, hi) (see
// Backend.SoftmaxCrossEntropy), one pass per kernel over each 2 KB row while it is in L1.
type softmaxTask struct {
	z, y, g       []float32
	ldz, ldy, ldg int
	cols          int
	scale         float64
	loss          []float64 // per row, added in row order by the caller
	scratch       [][]float32
}

func (t *softmaxTask) run(part, lo, hi int) {
	n := t.cols
	for i := lo; i < hi; i++ {
		zr, yr := t.z[i*t.ldz:i*t.ldz+n], t.y[i*t.ldy:i*t.ldy+n]
		mx := rowMax(zr)
		// Σy and Σy·(z − max) before the exponentials, which may overwrite z (grad = logits).
		sy, syd := sumDotShift(yr, zr, mx)
		var e []float32
		if t.g != nil {
			e = t.g[i*t.ldg : i*t.ldg+n]
		} else {
			e = t.scratch[part][:n]
		}
		s := f32.ExpSum(e, zr, 1, -mx)
		// −Σ y_j log softmax_j = Σy·log Σe − Σ y·(z − max).
		t.loss[i] = math.Log(float64(s))*float64(sy) - float64(syd)
		if t.g != nil {
			// grad = scale·(softmax·Σy − y) = (scale·Σy/Σe)·e − scale·y.
			axpby(e, e, yr, float32(t.scale*float64(sy)/float64(s)), float32(-t.scale))
		}
	}
}

func (b *Backend[T]) softmaxCrossEntropy32(g, z, y *tensor[T], scale float64) float64 {
	t := &b.tasks.softmax
	rows, cols := z.rows, z.cols
	t.z, t.y, t.ldz, t.ldy, t.cols, t.scale = f32s(z.data), f32s(y.data), z.ld, y.ld, cols, scale
	if g != nil {
		t.g, t.ldg = f32s(g.data), g.ld
	}
	if cap(t.loss) < rows {
		t.loss = make([]float64, rows)
	}
	t.loss = t.loss[:rows]
	minRows := max(1, minParallel/cols)
	if g == nil {
		np := parts(rows, minRows)
		for len(t.scratch) < np {
			t.scratch = append(t.scratch, nil)
		}
		for q := range np {
			if cap(t.scratch[q]) < cols {
				t.scratch[q] = make([]float32, cols)
			}
		}
	}
	parallelFor(t, rows, 1, minRows, &b.par)
	var total float64
	for _, l := range t.loss {
		total += l
	}
	t.z, t.y, t.g = nil, nil, nil
	return scale * total
}

// Float32 activations: the exponentials in float32 (f32.Exp, relative error ≤ 2.5e-7)
// instead of float64 math.

// tanh32 returns tanh x in float32. Below |x| = 0.625 it uses the odd minimax polynomial of
// Cephes' tanhf (no cancellation near 0); above, 1 − 2/(e^{2|x|} + 1) with the sign of x.
func tanh32(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	switch {
	case a < 0.625:
		z := x * x
		p := (((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z - 3.33332819422e-1
		return x + x*z*p
	case a > 9.1: // 1 − tanh(9.1) < 2.5e-8: rounds to 1 in float32
		a = 1
	case a != a:
		return x
	default:
		a = 1 - 2/(f32.Exp(2*a)+1)
	}
	if x < 0 {
		return -a
	}
	return a
}

// sigmoid32 returns 1/(1 + e^{−x}) in float32. Below −80, where e^{−x} would saturate, it
// returns e^x (the relative difference is e^x < 2e-35).
func sigmoid32(x float32) float32 {
	if x < -80 {
		return f32.Exp(x)
	}
	return 1 / (1 + f32.Exp(-x))
}

// activationOps are the elementwise operations of the activations activate32 runs in parallel.
var activationOps = map[compute.Activation]elemOp{compute.Linear: opCopy, compute.ReLU: opReLU, compute.Tanh: opTanh, compute.Sigmoid: opSigmoid}

// activate32 is Activate for the float32 backend. The LSTM, GRU and UGRNN gates apply tanh
// and sigmoid to T·B·G·Ng values a step, a sixth of an LSTM step's time on one core.
func (b *Backend[T]) activate32(x, y *tensor[T], flat bool, f compute.Activation) {
	op, ok := activationOps[f]
	if !ok {
		panic(fmt.Sprintf("cpu: unknown activation %d", f))
	}
	b.elementwise32(op, x, y, nil, flat, 0, 0)
}

// elementwise32 runs op over the float32 tensors dst, x and (for two-operand ops) y, with
// the scalars a and bb of opAxpby and opAddScalar: as one line split over cores when flat,
// otherwise row by row, the rows split over cores.
func (b *Backend[T]) elementwise32(op elemOp, dst, x, y *tensor[T], flat bool, a, bb float32) {
	t := &b.tasks.elem
	t.op, t.a, t.b = op, a, bb
	if flat {
		n := dst.rows * dst.cols
		t.dst, t.x = f32s(dst.data[:n]), f32s(x.data[:n])
		if y != nil {
			t.y = f32s(y.data[:n])
		}
		b.elementwise(t, n)
		return
	}
	t.cols, t.dst, t.ldd, t.x, t.ldx = dst.cols, f32s(dst.data), dst.ld, f32s(x.data), x.ld
	if y != nil {
		t.y, t.ldy = f32s(y.data), y.ld
	}
	parallelFor(t, dst.rows, 1, max(1, minParallel/dst.cols), &b.par)
	t.cols = 0
	t.dst, t.x, t.y = nil, nil, nil
}
