package cpu

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/internal/sgemm"
)

// SgemmFunc is the single-precision matrix product the float32 backend calls for every Gemm:
// row-major c = alpha·op(a)·op(b) + beta·c with op(a) m×k, op(b) k×n, leading dimensions
// lda, ldb, ldc (the BLAS convention, row-major). It is the one place a faster kernel
// plugs in; the default is the project's own packed AVX2/FMA kernel (internal/sgemm, with a
// pure-Go fallback on other CPUs), ~10× gonum's pure-Go blas32 on the step's shapes. As in BLAS, with beta = 0
// c is output only: its old contents (possibly NaN) must not be read.
type SgemmFunc func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// DgemmFunc is the float64 counterpart of SgemmFunc, used by the float64 backend.
type DgemmFunc func(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)

// Settings configures a backend. A nil *Settings means the defaults.
type Settings struct {
	// Sgemm replaces the float32 matrix product (default sgemm.Sgemm; GonumSgemm is the
	// pure-Go reference).
	Sgemm SgemmFunc
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// GonumSgemm is gonum's pure-Go SGEMM behind the SgemmFunc signature.
func GonumSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GonumDgemm is gonum's pure-Go DGEMM behind the DgemmFunc signature.
func GonumDgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gonum.Implementation{}.Dgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

type float interface{ float32 | float64 }

// tensor is a rows×cols block of a row-major buffer with leading dimension ld:
// element (i, j) is data[i*ld+j].
type tensor[T float] struct {
	data           []T
	rows, cols, ld int
	view           bool
}

func (t *tensor[T]) Rows() int { return t.rows }
func (t *tensor[T]) Cols() int { return t.cols }

func (t *tensor[T]) contiguous() bool { return t.ld == t.cols || t.rows == 1 }

// row returns row i of t.
func (t *tensor[T]) row(i int) []T { return t.data[i*t.ld : i*t.ld+t.cols] }

// Backend is the CPU implementation of compute.Backend for element type T (float32 or
// float64). It is not safe for concurrent use by several goroutines on the same tensors.
type Backend[T float] struct {
	f32 bool // float32 elements: the fused AVX2 passes of fast32.go
	// ownSgemm: gemm is sgemm.Sgemm, so GemmPacked may use sgemm's packed operands.
	ownSgemm bool
	gemm     func(tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

	par   rangeRun // parallelFor's scratch
	tasks tasks    // float32 work handed to the worker pool, reused
}

// New returns the float32 CPU backend.
func New(s *Settings) *Backend[float32] {
	if s != nil && s.Sgemm != nil {
		return &Backend[float32]{f32: true, gemm: s.Sgemm}
	}
	return &Backend[float32]{f32: true, ownSgemm: true, gemm: sgemm.Sgemm}
}

// New64 returns the float64 CPU backend, used by the finite-difference gradient checks.
func New64() *Backend[float64] {
	return &Backend[float64]{gemm: GonumDgemm}
}

var _ compute.Backend = (*Backend[float32])(nil)
var _ compute.Backend = (*Backend[float64])(nil)

func (b *Backend[T]) Name() string { return "cpu/" + b.DType().String() }

func (b *Backend[T]) DType() compute.DType {
	var z T
	if _, ok := any(z).(float64); ok {
		return compute.Float64
	}
	return compute.Float32
}

func (b *Backend[T]) New(rows, cols int) compute.Tensor {
	if rows < 1 || cols < 1 {
		panic(fmt.Sprintf("cpu: New(%d, %d): non-positive dimension", rows, cols))
	}
	return &tensor[T]{data: make([]T, rows*cols), rows: rows, cols: cols, ld: cols}
}

// Slice returns the row-major elements of a contiguous tensor of b without copying. It is
// for tests and host-side tools that know they hold a CPU backend; model code must not use it.
func (b *Backend[T]) Slice(t compute.Tensor) []T {
	x := b.t(t)
	if !x.contiguous() {
		panic("cpu: Slice of a non-contiguous view")
	}
	return x.data[:x.rows*x.cols]
}

func (b *Backend[T]) t(t compute.Tensor) *tensor[T] {
	x, ok := t.(*tensor[T])
	if !ok {
		panic(fmt.Sprintf("cpu: tensor %T does not belong to the %s backend", t, b.Name()))
	}
	return x
}

func (b *Backend[T]) View(t compute.Tensor, r0, c0, rows, cols int) compute.Tensor {
	x := b.t(t)
	if r0 < 0 || c0 < 0 || rows < 1 || cols < 1 || r0+rows > x.rows || c0+cols > x.cols {
		panic(fmt.Errorf("%w: View(%d, %d, %d, %d) of a %d×%d tensor", compute.ErrView, r0, c0, rows, cols, x.rows, x.cols))
	}
	start := r0*x.ld + c0
	end := (r0+rows-1)*x.ld + c0 + cols
	// The slice keeps the allocation's capacity: GemmLanes reaches the other lanes of an
	// ensemble tensor from lane 0's view, within that capacity.
	return &tensor[T]{data: x.data[start:end], rows: rows, cols: cols, ld: x.ld, view: true}
}

func (b *Backend[T]) Free(t compute.Tensor) {
	x := b.t(t)
	if !x.view {
		x.data = nil
	}
}

// shapeErr panics for operands of mismatched shapes.
func shapeErr(op string, ts ...compute.Tensor) { compute.PanicShape(op, ts...) }

// same checks that all tensors have the shape of the first and reports whether all are
// contiguous, in which case the caller may treat them as one long row.
func (b *Backend[T]) same(op string, ts ...compute.Tensor) bool {
	flat := true
	for _, t := range ts {
		if !compute.SameShape(ts[0], t) {
			shapeErr(op, ts...)
		}
		if !b.t(t).contiguous() {
			flat = false
		}
	}
	return flat
}

// lines returns the number of lines to iterate and line i of x: the whole buffer when flat.
func lines[T float](x *tensor[T], flat bool) int {
	if flat {
		return 1
	}
	return x.rows
}

func line[T float](x *tensor[T], i int, flat bool) []T {
	if flat {
		return x.data[:x.rows*x.cols]
	}
	return x.row(i)
}

func (b *Backend[T]) Upload(dst compute.Tensor, src []float32) {
	x := b.t(dst)
	if len(src) != x.rows*x.cols {
		panic(fmt.Errorf("%w: Upload of %d values into %d×%d", compute.ErrShape, len(src), x.rows, x.cols))
	}
	if b.f32 && x.contiguous() {
		// A step uploads its 4,000×Np targets: a copy on two cores streams faster.
		t := &b.tasks.elem
		t.op, t.dst, t.x = opCopy, f32s(x.data[:len(src)]), src
		b.elementwise(t, len(src))
		return
	}
	for i := range x.rows {
		r := x.row(i)
		if b.f32 {
			copy(f32s(r), src[i*x.cols:(i+1)*x.cols])
			continue
		}
		for j, v := range src[i*x.cols : (i+1)*x.cols] {
			r[j] = T(v)
		}
	}
}

func (b *Backend[T]) Upload64(dst compute.Tensor, src []float64) {
	x := b.t(dst)
	if len(src) != x.rows*x.cols {
		panic(fmt.Errorf("%w: Upload64 of %d values into %d×%d", compute.ErrShape, len(src), x.rows, x.cols))
	}
	for i := range x.rows {
		r := x.row(i)
		for j, v := range src[i*x.cols : (i+1)*x.cols] {
			r[j] = T(v)
		}
	}
}

func (b *Backend[T]) Download(dst []float32, src compute.Tensor) {
	x := b.t(src)
	if len(dst) != x.rows*x.cols {
		panic(fmt.Errorf("%w: Download of %d×%d into %d values", compute.ErrShape, x.rows, x.cols, len(dst)))
	}
	for i := range x.rows {
		d := dst[i*x.cols : (i+1)*x.cols]
		if b.f32 {
			copy(d, f32s(x.row(i)))
			continue
		}
		for j, v := range x.row(i) {
			d[j] = float32(v)
		}
	}
}

func (b *Backend[T]) Download64(dst []float64, src compute.Tensor) {
	x := b.t(src)
	if len(dst) != x.rows*x.cols {
		panic(fmt.Errorf("%w: Download64 of %d×%d into %d values", compute.ErrShape, x.rows, x.cols, len(dst)))
	}
	for i := range x.rows {
		d := dst[i*x.cols : (i+1)*x.cols]
		for j, v := range x.row(i) {
			d[j] = float64(v)
		}
	}
}

func (b *Backend[T]) Fill(dst compute.Tensor, v float64) {
	x := b.t(dst)
	flat := x.contiguous()
	for i := range lines(x, flat) {
		d := line(x, i, flat)
		for j := range d {
			d[j] = T(v)
		}
	}
}

func (b *Backend[T]) Copy(dst, src compute.Tensor) {
	flat := b.same("Copy", dst, src)
	x, y := b.t(dst), b.t(src)
	if b.f32 {
		// The GRU and UGRNN steps copy h_{t−1} (B×Ng) and gate blocks: split over cores.
		b.elementwise32(opCopy, x, y, nil, flat, 0, 0)
		return
	}
	for i := range lines(x, flat) {
		copy(line(x, i, flat), line(y, i, flat))
	}
}

func (b *Backend[T]) Scale(dst compute.Tensor, alpha float64) {
	x := b.t(dst)
	flat := x.contiguous()
	a := T(alpha)
	for i := range lines(x, flat) {
		d := line(x, i, flat)
		for j := range d {
			d[j] *= a
		}
	}
}

func (b *Backend[T]) AddScalar(dst compute.Tensor, v float64) {
	x := b.t(dst)
	flat := x.contiguous()
	if b.f32 {
		b.elementwise32(opAddScalar, x, x, nil, flat, float32(v), 0)
		return
	}
	a := T(v)
	for i := range lines(x, flat) {
		d := line(x, i, flat)
		for j := range d {
			d[j] += a
		}
	}
}

func (b *Backend[T]) Axpy(dst compute.Tensor, alpha float64, src compute.Tensor) {
	flat := b.same("Axpy", dst, src)
	x, y := b.t(dst), b.t(src)
	a := T(alpha)
	if b.f32 {
		b.elementwise32(opAxpby, x, x, y, flat, 1, float32(alpha))
		return
	}
	for i := range lines(x, flat) {
		d, s := line(x, i, flat), line(y, i, flat)
		s = s[:len(d)]
		for j, v := range s {
			d[j] += a * v
		}
	}
}

func (b *Backend[T]) Mul(dst, p, q compute.Tensor) {
	flat := b.same("Mul", dst, p, q)
	x, y, z := b.t(dst), b.t(p), b.t(q)
	if b.f32 {
		b.elementwise32(opMul, x, y, z, flat, 0, 0)
		return
	}
	for i := range lines(x, flat) {
		d, s, r := line(x, i, flat), line(y, i, flat), line(z, i, flat)
		s, r = s[:len(d)], r[:len(d)]
		for j := range d {
			d[j] = s[j] * r[j]
		}
	}
}

func (b *Backend[T]) AddMul(dst, p, q compute.Tensor) {
	flat := b.same("AddMul", dst, p, q)
	x, y, z := b.t(dst), b.t(p), b.t(q)
	if b.f32 {
		b.elementwise32(opAddMul, x, y, z, flat, 0, 0)
		return
	}
	for i := range lines(x, flat) {
		d, s, r := line(x, i, flat), line(y, i, flat), line(z, i, flat)
		s, r = s[:len(d)], r[:len(d)]
		for j := range d {
			d[j] += s[j] * r[j]
		}
	}
}

func (b *Backend[T]) Gemm(tA, tB bool, alpha float64, a, bb compute.Tensor, beta float64, c compute.Tensor) {
	x, y, z := b.t(a), b.t(bb), b.t(c)
	m, n, k, ok := compute.GemmDims(tA, tB, a, bb, c)
	if !ok {
		shapeErr(fmt.Sprintf("Gemm[tA=%v tB=%v]", tA, tB), a, bb, c)
	}
	b.gemm(tA, tB, m, n, k, T(alpha), x.data, x.ld, y.data, y.ld, T(beta), z.data, z.ld)
}

// GemmLanes implements compute.LaneGemmer: one Gemm per lane on the lane's slice of the
// operands (the CPU gains nothing from batching; it lets ensembles and their tests take the
// same path as on a GPU).
func (b *Backend[T]) GemmLanes(tA, tB bool, alpha float64, a, bb compute.Tensor, beta float64, c compute.Tensor, lanes, strideA, strideB, strideC int) {
	x, y, z := b.t(a), b.t(bb), b.t(c)
	m, n, k := compute.GemmLanesDims(tA, tB, a, bb, c, lanes, strideA, strideB, strideC)
	for l := range lanes {
		b.gemm(tA, tB, m, n, k, T(alpha), laneData(x, l*strideA), x.ld, laneData(y, l*strideB), y.ld, T(beta), laneData(z, l*strideC), z.ld)
	}
}

// laneData returns the elements of x shifted by off, checked against x's allocation.
func laneData[T float](x *tensor[T], off int) []T {
	n := (x.rows-1)*x.ld + x.cols
	if off+n > cap(x.data) {
		panic(fmt.Errorf("%w: GemmLanes lane at offset %d of a %d×%d view (ld %d) runs past its allocation", compute.ErrView, off, x.rows, x.cols, x.ld))
	}
	return x.data[off : off+n : off+n]
}

func (b *Backend[T]) Activate(dst, src compute.Tensor, f compute.Activation) {
	flat := b.same("Activate", dst, src)
	x, y := b.t(dst), b.t(src)
	if b.f32 {
		b.activate32(x, y, flat, f)
		return
	}
	for i := range lines(x, flat) {
		d, s := line(x, i, flat), line(y, i, flat)
		s = s[:len(d)]
		switch f {
		case compute.Linear:
			copy(d, s)
		case compute.ReLU:
			for j, v := range s {
				d[j] = max(v, 0)
			}
		case compute.Tanh:
			for j, v := range s {
				d[j] = T(math.Tanh(float64(v)))
			}
		case compute.Sigmoid:
			for j, v := range s {
				d[j] = T(1 / (1 + math.Exp(-float64(v))))
			}
		default:
			panic(fmt.Sprintf("cpu: unknown activation %d", f))
		}
	}
}

func (b *Backend[T]) ActivationGrad(dst, out compute.Tensor, f compute.Activation) {
	flat := b.same("ActivationGrad", dst, out)
	x, y := b.t(dst), b.t(out)
	if op, ok := activationGradOps[f]; b.f32 && ok {
		b.elementwise32(op, x, y, nil, flat, 0, 0)
		return
	}
	for i := range lines(x, flat) {
		d, s := line(x, i, flat), line(y, i, flat)
		s = s[:len(d)]
		switch f {
		case compute.Linear:
		case compute.ReLU:
			for j, v := range s {
				if v <= 0 {
					d[j] = 0
				}
			}
		case compute.Tanh:
			for j, v := range s {
				d[j] *= 1 - v*v
			}
		case compute.Sigmoid:
			for j, v := range s {
				d[j] *= v * (1 - v)
			}
		default:
			panic(fmt.Sprintf("cpu: unknown activation %d", f))
		}
	}
}

// activationGradOps are the float32 backend's parallel passes of ActivationGrad.
var activationGradOps = map[compute.Activation]elemOp{compute.ReLU: opReLUMask, compute.Tanh: opTanhGrad, compute.Sigmoid: opSigmoidGrad}

func (b *Backend[T]) AddRowVector(dst, v compute.Tensor) {
	x, y := b.t(dst), b.t(v)
	if y.rows != 1 || y.cols != x.cols {
		shapeErr("AddRowVector", dst, v)
	}
	if b.f32 {
		// One pass over the T·B rows of a layer's pre-activations, split over cores by
		// rows; the bias row repeats (leading dimension 0). 1·x + 1·bias is the rounded sum.
		b.elementwise32(opAxpby, x, x, &tensor[T]{data: y.data, rows: x.rows, cols: x.cols, ld: 0}, false, 1, 1)
		return
	}
	bias := y.row(0)
	for i := range x.rows {
		d := x.row(i)
		for j, w := range bias {
			d[j] += w
		}
	}
}

func (b *Backend[T]) SumRows(dst compute.Tensor, alpha float64, src compute.Tensor, beta float64) {
	x, y := b.t(dst), b.t(src)
	if x.rows != 1 || x.cols != y.cols {
		shapeErr("SumRows", dst, src)
	}
	d := x.row(0)
	if beta == 0 {
		clear(d)
	} else if beta != 1 {
		for j := range d {
			d[j] *= T(beta)
		}
	}
	if b.f32 {
		b.sumRows32(x, y, float32(alpha))
		return
	}
	a := T(alpha)
	for i := range y.rows {
		for j, v := range y.row(i) {
			d[j] += a * v
		}
	}
}

func (b *Backend[T]) SoftmaxCrossEntropy(grad, logits, targets compute.Tensor, scale float64) float64 {
	if grad != nil {
		b.same("SoftmaxCrossEntropy", grad, logits, targets)
	} else {
		b.same("SoftmaxCrossEntropy", logits, targets)
	}
	z, y := b.t(logits), b.t(targets)
	var g *tensor[T]
	if grad != nil {
		g = b.t(grad)
	}
	if b.f32 {
		return b.softmaxCrossEntropy32(g, z, y, scale)
	}
	var total float64
	for i := range z.rows {
		zr, yr := z.row(i), y.row(i)
		yr = yr[:len(zr)]
		mx := zr[0]
		for _, v := range zr {
			mx = max(mx, v)
		}
		// The exponentials are computed once and kept in grad for the gradient pass.
		var gr []T
		if g != nil {
			gr = g.row(i)[:len(zr)]
		}
		var s, sy, syz float64
		for j, v := range zr {
			d := float64(v - mx)
			e := math.Exp(d)
			s += e
			sy += float64(yr[j])
			syz += float64(yr[j]) * d
			if gr != nil {
				gr[j] = T(e)
			}
		}
		total += math.Log(s)*sy - syz
		if gr != nil {
			a := scale * sy / s
			for j, e := range gr {
				gr[j] = T(a*float64(e) - scale*float64(yr[j]))
			}
		}
	}
	return scale * total
}

func (b *Backend[T]) SquaredError(grad, out, targets compute.Tensor, scale float64) float64 {
	var flat bool
	if grad != nil {
		flat = b.same("SquaredError", grad, out, targets)
	} else {
		flat = b.same("SquaredError", out, targets)
	}
	o, y := b.t(out), b.t(targets)
	var g *tensor[T]
	if grad != nil {
		g = b.t(grad)
	}
	var total float64
	for i := range lines(o, flat) {
		or, yr := line(o, i, flat), line(y, i, flat)
		yr = yr[:len(or)]
		var gr []T
		if g != nil {
			gr = line(g, i, flat)[:len(or)]
		}
		for j, v := range or {
			d := float64(v) - float64(yr[j])
			total += d * d
			if gr != nil {
				gr[j] = T(2 * scale * d)
			}
		}
	}
	return scale * total
}

func (b *Backend[T]) PolarSquaredError(grad, out, targets compute.Tensor, scale float64) float64 {
	if grad != nil {
		b.same("PolarSquaredError", grad, out, targets)
	} else {
		b.same("PolarSquaredError", out, targets)
	}
	if out.Cols() != 2 {
		shapeErr("PolarSquaredError", out, targets)
	}
	o, y := b.t(out), b.t(targets)
	var total float64
	for i := range o.rows {
		or, yr := o.row(i), y.row(i)
		r1, t1 := float64(or[0]), float64(or[1])
		r2, t2 := float64(yr[0]), float64(yr[1])
		c, s := math.Cos(t1-t2), math.Sin(t1-t2)
		total += r1*r1 + r2*r2 - 2*r1*r2*c
		if grad != nil {
			gr := b.t(grad).row(i)
			gr[0] = T(scale * (2*r1 - 2*r2*c))
			gr[1] = T(scale * (2 * r1 * r2 * s))
		}
	}
	return scale * total
}

func (b *Backend[T]) SumSquares(t compute.Tensor) float64 {
	x := b.t(t)
	flat := x.contiguous()
	var s float64
	if b.f32 {
		for i := range lines(x, flat) {
			s += b.sumSquares(nil, f32s(line(x, i, flat)), 0)
		}
		return s
	}
	for i := range lines(x, flat) {
		for _, v := range line(x, i, flat) {
			s += float64(v) * float64(v)
		}
	}
	return s
}

func (b *Backend[T]) ScaleSumSquares(dst compute.Tensor, alpha float64, src compute.Tensor) float64 {
	flat := b.same("ScaleSumSquares", dst, src)
	x, y := b.t(dst), b.t(src)
	var s float64
	for i := range lines(x, flat) {
		d, v := line(x, i, flat), line(y, i, flat)
		if b.f32 {
			s += b.sumSquares(f32s(d), f32s(v), float32(alpha))
			continue
		}
		v = v[:len(d)]
		a := T(alpha)
		for j, e := range v {
			s += float64(e) * float64(e)
			d[j] = a * e
		}
	}
	return s
}

func (b *Backend[T]) Sum(t compute.Tensor) float64 {
	x := b.t(t)
	flat := x.contiguous()
	var s float64
	for i := range lines(x, flat) {
		for _, v := range line(x, i, flat) {
			s += float64(v)
		}
	}
	return s
}

func (b *Backend[T]) Adam(param, grad, m, v compute.Tensor, s compute.AdamStep) {
	flat := b.same("Adam", param, grad, m, v)
	if s.Step < 1 {
		panic(fmt.Sprintf("cpu: Adam step %d, want ≥ 1", s.Step))
	}
	p, g, mm, vv := b.t(param), b.t(grad), b.t(m), b.t(v)
	c1 := 1 - math.Pow(s.Beta1, float64(s.Step))
	c2 := 1 - math.Pow(s.Beta2, float64(s.Step))
	b1, b2 := T(s.Beta1), T(s.Beta2)
	// Both conventions reduce to θ ← θ − lrT·m/(√v + epsT):
	// Keras: lrT = lr·√c2/c1, epsT = ε; PyTorch: lrT = lr·√c2/c1, epsT = ε·√c2.
	lrT := T(s.LR * math.Sqrt(c2) / c1)
	epsT := T(s.Eps)
	if s.Convention == compute.EpsilonPyTorch {
		epsT = T(s.Eps * math.Sqrt(c2))
	}
	if b.f32 {
		t := &b.tasks.adam
		t.b1, t.c1, t.b2, t.c2 = float32(s.Beta1), float32(1-s.Beta1), float32(s.Beta2), float32(1-s.Beta2)
		t.lr, t.eps = float32(lrT), float32(epsT)
		for i := range lines(p, flat) {
			t.p, t.g, t.m, t.v = f32s(line(p, i, flat)), f32s(line(g, i, flat)), f32s(line(mm, i, flat)), f32s(line(vv, i, flat))
			parallelFor(t, len(t.p), 8, minParallel, &b.par)
		}
		t.p, t.g, t.m, t.v = nil, nil, nil, nil
		return
	}
	for i := range lines(p, flat) {
		pr, gr, mr, vr := line(p, i, flat), line(g, i, flat), line(mm, i, flat), line(vv, i, flat)
		gr, mr, vr = gr[:len(pr)], mr[:len(pr)], vr[:len(pr)]
		for j, gj := range gr {
			mj := b1*mr[j] + (1-b1)*gj
			vj := b2*vr[j] + (1-b2)*gj*gj
			mr[j], vr[j] = mj, vj
			pr[j] -= lrT * mj / (T(math.Sqrt(float64(vj))) + epsT)
		}
	}
}

func (b *Backend[T]) RMSProp(param, grad, acc compute.Tensor, lr, rho, eps float64) {
	flat := b.same("RMSProp", param, grad, acc)
	p, g, a := b.t(param), b.t(grad), b.t(acc)
	r, l, e := T(rho), T(lr), T(eps)
	for i := range lines(p, flat) {
		pr, gr, ar := line(p, i, flat), line(g, i, flat), line(a, i, flat)
		gr, ar = gr[:len(pr)], ar[:len(pr)]
		for j, gj := range gr {
			aj := r*ar[j] + (1-r)*gj*gj
			ar[j] = aj
			pr[j] -= l * gj / (T(math.Sqrt(float64(aj))) + e)
		}
	}
}

func (b *Backend[T]) Adagrad(param, grad, acc compute.Tensor, lr, eps float64) {
	flat := b.same("Adagrad", param, grad, acc)
	p, g, a := b.t(param), b.t(grad), b.t(acc)
	l, e := T(lr), T(eps)
	for i := range lines(p, flat) {
		pr, gr, ar := line(p, i, flat), line(g, i, flat), line(a, i, flat)
		gr, ar = gr[:len(pr)], ar[:len(pr)]
		for j, gj := range gr {
			aj := ar[j] + gj*gj
			ar[j] = aj
			pr[j] -= l * gj / (T(math.Sqrt(float64(aj))) + e)
		}
	}
}
