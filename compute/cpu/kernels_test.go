package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/internal/asm/f32"
)

// kernelTol bounds the relative difference between an assembly kernel and its Go twin: they
// round differently only where the assembly fuses a multiply-add or sums in another order.
const kernelTol = 1e-6

// Measured accuracy of the float32 activations against float64 math (relative, or absolute
// near zero crossings for sigmoid's complement): float32 rounding is 6e-8.
const (
	tanh32Tol    = 3e-7
	sigmoid32Tol = 3e-7
)

func randF32(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32((rng.Float64()*2 - 1) * scale)
	}
	return x
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

func closeSlices(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range got {
		if !relClose(float64(got[i]), float64(want[i]), kernelTol) {
			t.Fatalf("%s[%d] = %v; Go twin %v", name, i, got[i], want[i])
		}
	}
}

// TestKernelsMatchGo compares every kernel wrapper (assembly body and Go tail) with its Go
// twin at lengths around the vector width.
func TestKernelsMatchGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2/FMA kernels on this machine or build")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 9, 16, 31, 512, 1001} {
		x, y, z := randF32(rng, n, 3), randF32(rng, n, 1), randF32(rng, n, 2)
		x[0] = 0
		if got, want := rowMax(x), rowMaxGo(x); got != want {
			t.Errorf("n=%d: rowMax = %v; want %v", n, got, want)
		}
		gy, gd := sumDotShift(y, z, 0.5)
		wy, wd := sumDotShiftGo(y, z, 0.5)
		if !relClose(float64(gy), float64(wy), kernelTol*float64(n)) || !relClose(float64(gd), float64(wd), kernelTol*float64(n)) {
			t.Errorf("n=%d: sumDotShift = %v, %v; want %v, %v", n, gy, gd, wy, wd)
		}
		d1, d2 := make([]float32, n), make([]float32, n)
		axpby(d1, x, y, 0.7, -1.3)
		axpbyGo(d2, x, y, 0.7, -1.3)
		closeSlices(t, fmt.Sprintf("n=%d axpby", n), d1, d2)
		relu(d1, x)
		reluGo(d2, x)
		if !slices.Equal(d1, d2) {
			t.Errorf("n=%d: relu differs from the Go loop", n)
		}
		copy(d1, y)
		copy(d2, y)
		reluMask(d1, x)
		reluMaskGo(d2, x)
		if !slices.Equal(d1, d2) {
			t.Errorf("n=%d: reluMask differs from the Go loop", n)
		}
		// The products and derivative masks round step by step as their Go loops: equal bits.
		for _, k := range []struct {
			name     string
			vec, ref func(dst []float32)
		}{
			{"mul", func(d []float32) { mul(d, x, y) }, func(d []float32) { mulGo(d, x, y) }},
			{"addMul", func(d []float32) { addMul(d, x, y) }, func(d []float32) { addMulGo(d, x, y) }},
			{"sigmoidGrad", func(d []float32) { sigmoidGrad(d, y) }, func(d []float32) { sigmoidGradGo(d, y) }},
			{"tanhGrad", func(d []float32) { tanhGrad(d, y) }, func(d []float32) { tanhGradGo(d, y) }},
		} {
			copy(d1, z)
			copy(d2, z)
			k.vec(d1)
			k.ref(d2)
			if !slices.Equal(d1, d2) {
				t.Errorf("n=%d: %s differs from the Go loop", n, k.name)
			}
		}
		p1, p2 := slices.Clone(x), slices.Clone(x)
		m1, m2 := slices.Clone(z), slices.Clone(z)
		v1 := make([]float32, n)
		for i := range v1 {
			v1[i] = y[i] * y[i]
		}
		v2 := slices.Clone(v1)
		adam32(p1, y, m1, v1, 0.9, 0.1, 0.999, 0.001, 0.01, 1e-7)
		adamGo(p2, y, m2, v2, 0.9, 0.1, 0.999, 0.001, 0.01, 1e-7)
		closeSlices(t, fmt.Sprintf("n=%d adam p", n), p1, p2)
		closeSlices(t, fmt.Sprintf("n=%d adam m", n), m1, m2)
		closeSlices(t, fmt.Sprintf("n=%d adam v", n), v1, v2)
		if got, want := sumSquares32(x), sumSquaresGo(x); !relClose(got, want, 1e-12) {
			t.Errorf("n=%d: sumSquares = %v; want %v", n, got, want)
		}
		gs := scaleSumSquares32(d1, x, -2)
		ws := scaleSumSquaresGo(d2, x, -2)
		if !relClose(gs, ws, 1e-12) || !slices.Equal(d1, d2) {
			t.Errorf("n=%d: scaleSumSquares = %v; want %v (or dst differs)", n, gs, ws)
		}
	}
}

// TestParallelDeterministic checks that the operations split over workers give the same
// bits as on one goroutine, on tensors large enough to be split (and with three parts).
func TestParallelDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	defer splitSmall()()
	run := func(workers int) [][]float32 {
		defer func(w int) { maxWorkers = w }(maxWorkers)
		maxWorkers = workers
		b := New(nil)
		rng := rand.New(rand.NewPCG(3, 4))
		const rows, cols = 400, 517 // odd width: vector tails in every row
		up := func(scale float64) compute.Tensor {
			x := b.New(rows, cols)
			b.Upload(x, randF32(rng, rows*cols, scale))
			return x
		}
		z, y, p, g := up(4), up(1), up(1), up(1)
		m, v := b.New(rows, cols), b.New(rows, cols)
		grad := b.New(rows, cols)
		loss := b.SoftmaxCrossEntropy(grad, z, y, 1.0/rows)
		lossOnly := b.SoftmaxCrossEntropy(nil, z, y, 1.0/rows)
		for step := 1; step <= 2; step++ {
			b.Adam(p, g, m, v, compute.AdamStep{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7, Step: step})
		}
		b.Activate(z, z, compute.ReLU)
		th, sg := up(3), up(3)
		b.Activate(th, th, compute.Tanh)
		b.Activate(sg, sg, compute.Sigmoid)
		gt, gs, pr := up(1), up(1), up(1)
		b.ActivationGrad(gt, th, compute.Tanh)
		b.ActivationGrad(gs, sg, compute.Sigmoid)
		b.AddMul(pr, th, sg)
		b.Mul(gt, gt, sg)
		b.ActivationGrad(g, z, compute.ReLU)
		b.Axpy(y, -0.3, g)
		// Column blocks (split by rows), a bias row and column sums (split by columns).
		half := cols / 2
		zl, gr := b.View(z, 0, 0, rows, half), b.View(g, 0, cols-half, rows, half)
		b.Activate(zl, zl, compute.Sigmoid)
		b.AddMul(gr, zl, b.View(p, 0, 1, rows, half))
		b.AddRowVector(pr, b.View(y, 7, 0, 1, cols))
		sums := b.New(1, cols)
		b.SumRows(sums, -0.7, pr, 0)
		ss := b.SumSquares(y)
		sss := b.ScaleSumSquares(m, 0.5, y)
		out := [][]float32{{float32(loss), float32(lossOnly), float32(ss), float32(sss)}}
		for _, x := range []compute.Tensor{grad, p, m, v, z, g, y, th, sg, gt, gs, pr, sums} {
			out = append(out, slices.Clone(b.Slice(x)))
		}
		if loss != lossOnly {
			t.Errorf("workers=%d: loss with gradient %v, without %v", workers, loss, lossOnly)
		}
		return out
	}
	serial, par := run(1), run(0)
	for i := range serial {
		if !slices.Equal(serial[i], par[i]) {
			t.Errorf("result %d differs between 1 and 3 workers", i)
		}
	}
}

// TestSoftmaxCrossEntropyLarge compares the float32 loss and gradient at the training
// step's row width (Np 512) with the float64 backend.
func TestSoftmaxCrossEntropyLarge(t *testing.T) {
	const rows, cols = 300, 512
	const tol = 2e-5 // float32 rounding of exponentials and row sums
	rng := rand.New(rand.NewPCG(5, 6))
	zs, ys := randF32(rng, rows*cols, 6), randF32(rng, rows*cols, 1)
	for i := range ys {
		ys[i] = (ys[i] + 1) / cols
	}
	res := func(b compute.Backend) (float64, []float64) {
		z, y, g := b.New(rows, cols), b.New(rows, cols), b.New(rows, cols)
		b.Upload(z, zs)
		b.Upload(y, ys)
		l := b.SoftmaxCrossEntropy(g, z, y, 1.0/rows)
		d := make([]float64, rows*cols)
		b.Download64(d, g)
		return l, d
	}
	l32, g32 := res(New(nil))
	l64, g64 := res(New64())
	if !relClose(l32, l64, tol) {
		t.Errorf("loss %v; float64 backend %v", l32, l64)
	}
	for i := range g32 {
		if math.Abs(g32[i]-g64[i]) > tol/rows {
			t.Fatalf("grad[%d] = %v; float64 backend %v", i, g32[i], g64[i])
		}
	}
}

func TestActivations32(t *testing.T) {
	worstT, worstS := 0.0, 0.0
	for x := -30.0; x <= 30; x += 0.00123 {
		xf := float32(x)
		wt := math.Tanh(float64(xf))
		et := math.Abs(float64(tanh32(xf))-wt) / max(math.Abs(wt), 1e-30)
		ws := 1 / (1 + math.Exp(-float64(xf)))
		es := math.Abs(float64(sigmoid32(xf))-ws) / ws
		worstT, worstS = max(worstT, et), max(worstS, es)
	}
	for _, x := range []float32{1e-30, -1e-20, 1e-7, 0.3, 0.6249, 0.625, -0.626, 9.09, 9.2, 50, -1e30} {
		wt := math.Tanh(float64(x))
		worstT = max(worstT, math.Abs(float64(tanh32(x))-wt)/math.Abs(wt))
	}
	if worstT > tanh32Tol {
		t.Errorf("tanh32 relative error %.3g; want ≤ %g", worstT, tanh32Tol)
	}
	if worstS > sigmoid32Tol {
		t.Errorf("sigmoid32 relative error %.3g; want ≤ %g", worstS, sigmoid32Tol)
	}
	t.Logf("max relative error: tanh32 %.3g, sigmoid32 %.3g", worstT, worstS)
	if v := tanh32(float32(math.NaN())); v == v {
		t.Errorf("tanh32(NaN) = %v; want NaN", v)
	}
	if v := sigmoid32(-100); v < 0 || v > 1e-43 {
		t.Errorf("sigmoid32(-100) = %v; want ≈ 3.7e-44", v)
	}
	if tanh32(0) != 0 || sigmoid32(0) != 0.5 {
		t.Errorf("tanh32(0), sigmoid32(0) = %v, %v; want 0, 0.5", tanh32(0), sigmoid32(0))
	}
}

// TestFallback runs the conformance suite's elementwise checks on the Go loops: this
// package's and those of internal/asm/f32 (exponentials, sums), which it calls too.
func TestFallback(t *testing.T) {
	defer func(u bool) { useAVX2 = u }(useAVX2)
	defer f32.UseAssembly(f32.UseAssembly(false))
	useAVX2 = false
	TestFloat32(t)
}

// TestSoftmaxNaN: a NaN logit makes the loss and the whole row's gradient NaN on every
// path, as on the float64 backend. The assembly's exponential once clamped NaN to e^88.7,
// and rowMax (VMAXPS) may drop a NaN, so the float32 gradient came out finite and
// plausible while only the loss said NaN.
func TestSoftmaxNaN(t *testing.T) {
	const cols = 20
	for _, asm := range []bool{true, false} {
		saved := useAVX2
		useAVX2 = asm && saved
		was := f32.UseAssembly(asm)
		for _, at := range []int{0, 2, 9, cols - 1} {
			z, y := make([]float32, cols), make([]float32, cols)
			for i := range z {
				z[i], y[i] = float32(i)*0.1, 1.0/cols
			}
			z[at] = float32(math.NaN())
			b := New(nil)
			zt, yt, gt := b.New(1, cols), b.New(1, cols), b.New(1, cols)
			b.Upload(zt, z)
			b.Upload(yt, y)
			loss := b.SoftmaxCrossEntropy(gt, zt, yt, 1)
			g := make([]float32, cols)
			b.Download(g, gt)
			for i, v := range g {
				if v == v || loss == loss {
					t.Fatalf("assembly %v, NaN logit %d: loss %v, gradient[%d] %v; want NaN", asm, at, loss, i, v)
				}
			}
		}
		f32.UseAssembly(was)
		useAVX2 = saved
	}
}

// TestParallelAllocs checks that operations split over the worker pool allocate nothing
// once warm (the training step's zero-allocation guarantee, nn.TestStepAllocs, at sizes
// large enough to use the pool).
func TestParallelAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	defer splitSmall()()
	b := New(nil)
	const rows, cols = 300, 512
	z, y, g, m, v := b.New(rows, cols), b.New(rows, cols), b.New(rows, cols), b.New(rows, cols), b.New(rows, cols)
	bias := b.New(1, cols)
	zv, gv := b.View(z, 0, 1, rows, cols/2), b.View(g, 0, 3, rows, cols/2) // column blocks, split by rows
	host := make([]float32, rows*cols)
	step := 0
	ops := func() {
		step++
		b.Upload(y, host)
		b.SoftmaxCrossEntropy(g, z, y, 1)
		b.SoftmaxCrossEntropy(nil, z, y, 1)
		b.Activate(z, z, compute.ReLU)
		b.Activate(g, z, compute.Tanh)
		b.Activate(g, z, compute.Sigmoid)
		b.ActivationGrad(g, z, compute.Tanh)
		b.ActivationGrad(g, z, compute.Sigmoid)
		b.Mul(g, g, z)
		b.AddMul(g, g, z)
		b.ActivationGrad(g, z, compute.ReLU)
		b.Axpy(y, 0.5, g)
		b.Activate(gv, zv, compute.Sigmoid)
		b.Mul(gv, gv, zv)
		b.Axpy(gv, -1, zv)
		b.Copy(gv, zv)
		b.AddScalar(gv, 1)
		b.AddRowVector(g, bias)
		b.SumRows(bias, 1, g, 0)
		b.SumSquares(y)
		b.ScaleSumSquares(m, 2, y)
		b.Adam(z, g, m, v, compute.AdamStep{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7, Step: step})
	}
	ops()
	if n := testing.AllocsPerRun(5, ops); n != 0 {
		t.Errorf("parallel operations allocate %v times per run; want 0", n)
	}
}

// TestVectorActivations checks the chunked vector sigmoid and tanh against float64 math
// with the tolerances of sigmoid32 and tanh32, across chunk boundaries, vector tails, the
// branch points of tanh32 and the special values (below −80, ±Inf, NaN), in place and not.
func TestVectorActivations(t *testing.T) {
	// f32.Exp flushes to zero below f32.ExpUnderflow, where e^x < 2^−125 (as sigmoid32).
	const flushed = 0x1p-125
	rng := rand.New(rand.NewPCG(7, 8))
	for _, f := range []struct {
		name string
		vec  func(dst, x []float32)
		want func(float64) float64
		tol  float64
	}{
		{"sigmoids", sigmoids, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, sigmoid32Tol},
		{"tanhs", tanhs, math.Tanh, tanh32Tol},
	} {
		for _, n := range []int{1, 7, 9, expChunk - 1, expChunk, expChunk + 9, 3*expChunk + 5} {
			x := randF32(rng, n, 100)
			if n > 100 {
				copy(x[n/2:], randF32(rng, n/4, 4)) // the exponential branch of tanh32
			}
			for i, v := range []float32{-80.5, -80, -79.9, -1e30, 1e30, float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), 0,
				0.625, -0.6249, 9.1, -9.11, 1e-30} {
				if i < n {
					x[(i*37)%n] = v
				}
			}
			got := make([]float32, n)
			f.vec(got, x)
			inPlace := slices.Clone(x)
			f.vec(inPlace, inPlace)
			for i, v := range x {
				want := f.want(float64(v))
				for _, g := range []float32{got[i], inPlace[i]} {
					ok := math.Abs(float64(g)-want) <= f.tol*math.Abs(want)+flushed || g != g && want != want
					if !ok {
						t.Fatalf("n=%d: %s(%v) = %v (in place %v); want %v", n, f.name, v, got[i], inPlace[i], want)
					}
				}
			}
		}
	}
}

// viewTol bounds the difference between the float32 and float64 backends on one elementwise
// operation of values of order 1: a few float32 roundings.
const viewTol = 1e-6

// TestViewsMatchFloat64 runs the elementwise operations, AddRowVector and SumRows of a
// training step on column blocks of wide tensors (an LSTM's gate blocks), large enough to be
// split over cores by rows or columns, and compares them with the float64 backend, whose
// loops are independent of the float32 passes.
func TestViewsMatchFloat64(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	defer splitSmall()()
	const rows, blk = 300, 261 // odd width: vector tails in every row
	rng := rand.New(rand.NewPCG(9, 10))
	hosts := [][]float32{randF32(rng, rows*3*blk, 3), randF32(rng, rows*3*blk, 1), randF32(rng, 3*blk, 1)}
	run := func(b compute.Backend) [][]float64 {
		x, y := b.New(rows, 3*blk), b.New(rows, 3*blk)
		bias := b.New(1, 3*blk)
		b.Upload(x, hosts[0])
		b.Upload(y, hosts[1])
		b.Upload(bias, hosts[2])
		sums := b.New(2, blk)
		b.Fill(sums, 0.25)
		x0, x1, x2 := b.View(x, 0, 0, rows, blk), b.View(x, 0, blk, rows, blk), b.View(x, 0, 2*blk, rows, blk)
		y0, y1, y2 := b.View(y, 0, 0, rows, blk), b.View(y, 0, blk, rows, blk), b.View(y, 0, 2*blk, rows, blk)
		b.AddRowVector(x, bias)
		b.AddScalar(x2, 0.5)
		b.Activate(x0, x0, compute.Sigmoid)
		b.Activate(y2, x1, compute.Tanh)
		b.Activate(x1, x1, compute.ReLU)
		b.Mul(y0, y0, x0)
		b.ActivationGrad(y0, x0, compute.Sigmoid)
		b.ActivationGrad(y1, x1, compute.ReLU)
		b.ActivationGrad(y2, y2, compute.Tanh)
		b.AddMul(y1, x0, x2)
		b.Axpy(y2, -0.75, x2)
		b.Copy(x2, y0)
		b.SumRows(b.View(sums, 0, 0, 1, blk), 1, y1, 0)
		b.SumRows(b.View(sums, 1, 0, 1, blk), -0.5, y2, 2)
		var out [][]float64
		for _, s := range []compute.Tensor{x, y, sums} {
			d := make([]float64, s.Rows()*s.Cols())
			b.Download64(d, s)
			out = append(out, d)
		}
		return out
	}
	got, want := run(New(nil)), run(New64())
	for k, name := range []string{"x", "y", "column sums"} {
		tol := viewTol
		if k == 2 {
			tol *= rows // a sum of rows terms
		}
		for i := range got[k] {
			if !relClose(got[k][i], want[k][i], tol) {
				t.Fatalf("%s[%d] = %v; float64 backend %v", name, i, got[k][i], want[k][i])
			}
		}
	}
}

// splitSmall lowers minParallel so that the tests' tensors of a few hundred rows are split
// into several parts (column blocks by rows, column sums by columns); it returns the undo.
func splitSmall() func() {
	n := minParallel
	minParallel = 1 << 12
	return func() { minParallel = n }
}
