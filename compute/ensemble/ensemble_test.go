package ensemble

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
)

const (
	lanes     = 3
	scalarTol = 1e-12 // relative; float64 sums of float32 values in another order
)

func near(got, want float64) bool {
	return math.Abs(got-want) <= scalarTol*math.Max(1, math.Abs(want))
}

// plainBackend hides the inner backend's LaneGemmer, so that the ensemble takes its
// lane-by-lane GEMM path.
type plainBackend struct{ compute.Backend }

// operand is one tensor of an operation: shape rows×cols, or a row vector when rows is 1.
type operand struct{ rows, cols int }

// op is one backend operation on operands made on backend b; it returns the operation's
// scalar (0 for those without one).
type op struct {
	name     string
	operands []operand
	run      func(b compute.Backend, t []compute.Tensor) float64
	scalar   bool // run returns the operation's scalar
}

// ops lists the operations with their operands. Rows hold 8 values: the CPU's vector
// kernels then round every element the same way whichever lane it belongs to (a row length
// that is not a multiple of 8 leaves the last elements of a lane to a scalar tail, which
// may round another way than the vector body of the ensemble's wider rows).
func ops() []op {
	m, n := 4, 8
	mat, row, pair := operand{m, n}, operand{1, n}, operand{m, 2}
	var list []op
	add := func(name string, operands []operand, run func(b compute.Backend, t []compute.Tensor) float64) {
		list = append(list, op{name, operands, run, true})
	}
	// none adds an operation without a scalar.
	none := func(name string, operands []operand, f func(b compute.Backend, t []compute.Tensor)) {
		list = append(list, op{name, operands, func(b compute.Backend, t []compute.Tensor) float64 { f(b, t); return 0 }, false})
	}
	none("Fill", []operand{mat}, func(b compute.Backend, t []compute.Tensor) { b.Fill(t[0], 0.25) })
	none("Copy", []operand{mat, mat}, func(b compute.Backend, t []compute.Tensor) { b.Copy(t[0], t[1]) })
	none("Scale", []operand{mat}, func(b compute.Backend, t []compute.Tensor) { b.Scale(t[0], -1.5) })
	none("AddScalar", []operand{mat}, func(b compute.Backend, t []compute.Tensor) { b.AddScalar(t[0], 0.3) })
	none("Axpy", []operand{mat, mat}, func(b compute.Backend, t []compute.Tensor) { b.Axpy(t[0], -0.7, t[1]) })
	none("Mul", []operand{mat, mat, mat}, func(b compute.Backend, t []compute.Tensor) { b.Mul(t[0], t[1], t[2]) })
	none("AddMul", []operand{mat, mat, mat}, func(b compute.Backend, t []compute.Tensor) { b.AddMul(t[0], t[1], t[2]) })
	for _, f := range []compute.Activation{compute.Linear, compute.ReLU, compute.Tanh, compute.Sigmoid} {
		none("Activate/"+f.String(), []operand{mat, mat}, func(b compute.Backend, t []compute.Tensor) { b.Activate(t[0], t[1], f) })
		none("ActivationGrad/"+f.String(), []operand{mat, mat}, func(b compute.Backend, t []compute.Tensor) {
			b.Activate(t[1], t[1], f)
			b.ActivationGrad(t[0], t[1], f)
		})
	}
	none("AddRowVector", []operand{mat, row}, func(b compute.Backend, t []compute.Tensor) { b.AddRowVector(t[0], t[1]) })
	none("SumRows", []operand{row, mat}, func(b compute.Backend, t []compute.Tensor) { b.SumRows(t[0], 0.5, t[1], 1) })
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		a, bb := operand{m, 4}, operand{4, n}
		if tr[0] {
			a = operand{4, m}
		}
		if tr[1] {
			bb = operand{n, 4}
		}
		for _, beta := range []float64{0, 0.5} {
			none(fmt.Sprintf("Gemm/tA=%v,tB=%v,β=%v", tr[0], tr[1], beta), []operand{a, bb, mat}, func(b compute.Backend, t []compute.Tensor) {
				b.Gemm(tr[0], tr[1], 1.25, t[0], t[1], beta, t[2])
			})
		}
	}
	add("SoftmaxCrossEntropy", []operand{mat, mat, mat}, func(b compute.Backend, t []compute.Tensor) float64 {
		return b.SoftmaxCrossEntropy(t[0], t[1], t[2], 0.1)
	})
	add("SoftmaxCrossEntropy/nograd", []operand{mat, mat}, func(b compute.Backend, t []compute.Tensor) float64 {
		return b.SoftmaxCrossEntropy(nil, t[0], t[1], 0.1)
	})
	add("SquaredError", []operand{mat, mat, mat}, func(b compute.Backend, t []compute.Tensor) float64 {
		return b.SquaredError(t[0], t[1], t[2], 0.1)
	})
	add("PolarSquaredError", []operand{pair, pair, pair}, func(b compute.Backend, t []compute.Tensor) float64 {
		return b.PolarSquaredError(t[0], t[1], t[2], 0.1)
	})
	add("SumSquares", []operand{mat}, func(b compute.Backend, t []compute.Tensor) float64 { return b.SumSquares(t[0]) })
	add("ScaleSumSquares", []operand{mat, mat}, func(b compute.Backend, t []compute.Tensor) float64 {
		return b.ScaleSumSquares(t[0], 2e-4, t[1])
	})
	add("Sum", []operand{mat}, func(b compute.Backend, t []compute.Tensor) float64 { return b.Sum(t[0]) })
	none("Adam", []operand{mat, mat, mat, mat}, func(b compute.Backend, t []compute.Tensor) {
		b.Fill(t[3], 0.01) // v ≥ 0
		b.Adam(t[0], t[1], t[2], t[3], compute.AdamStep{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7, Step: 3})
	})
	none("RMSProp", []operand{mat, mat, mat}, func(b compute.Backend, t []compute.Tensor) {
		b.Fill(t[2], 0.02)
		b.RMSProp(t[0], t[1], t[2], 1e-3, 0.9, 1e-7)
	})
	none("Adagrad", []operand{mat, mat, mat}, func(b compute.Backend, t []compute.Tensor) {
		b.Fill(t[2], 0.1)
		b.Adagrad(t[0], t[1], t[2], 1e-3, 1e-7)
	})
	return list
}

// geometry places an operand in a parent tensor: one spare row on top, and, when cut, one
// spare column on each side, so that the view cuts columns (the ensemble's lane-by-lane
// path) instead of covering whole rows (its one-operation path).
func geometry(o operand, cut bool) (pr, pc, r0, c0 int) {
	if cut {
		return o.rows + 1, o.cols + 2, 1, 1
	}
	return o.rows + 1, o.cols, 1, 0
}

// TestMatchesLaneByLane runs every operation on an ensemble and, lane by lane, on the inner
// backend with each lane's data: every output and every operand must be the same bits, and
// every lane's scalar the same to scalarTol (a lane of an ensemble is a strided view, which
// the CPU sums in another order than a contiguous tensor). Row vectors are not cut (the
// model's biases are whole tensors).
func TestMatchesLaneByLane(t *testing.T) {
	for _, inner := range []struct {
		name string
		b    compute.Backend
	}{{"float32", cpu.New(nil)}, {"float64", cpu.New64()}, {"float32-no-LaneGemmer", plainBackend{cpu.New(nil)}},
		{"float32-deferred-scalars", computetest.NewDeferring(cpu.New(nil))},
		{"float32-lane-scalars", computetest.NewLaneScalars(cpu.New(nil))}} {
		e, err := New(inner.b, lanes)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []bool{false, true} {
			for i, o := range ops() {
				t.Run(fmt.Sprintf("%s/cut=%v/%s", inner.name, cut, o.name), func(t *testing.T) {
					checkOp(t, e, inner.b, o, cut, uint64(i))
				})
			}
		}
	}
}

func checkOp(t *testing.T, e *Backend, in compute.Backend, o op, cut bool, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	type parent struct {
		pr, pc, r0, c0, rows, cols int
		data                       [][]float64 // per lane
	}
	ps := make([]parent, len(o.operands))
	for i, od := range o.operands {
		c := cut && od.rows > 1
		pr, pc, r0, c0 := geometry(od, c)
		ps[i] = parent{pr, pc, r0, c0, od.rows, od.cols, make([][]float64, lanes)}
		for k := range lanes {
			d := make([]float64, pr*pc)
			for j := range d {
				d[j] = float64(float32(2*rng.Float64() - 1))
			}
			ps[i].data[k] = d
		}
	}
	// The ensemble: each parent uploaded with K lanes, then viewed.
	eParents := make([]compute.Tensor, len(ps))
	eViews := make([]compute.Tensor, len(ps))
	for i, p := range ps {
		eParents[i] = e.New(p.pr, p.pc)
		e.Upload64(eParents[i], slices.Concat(p.data...))
		eViews[i] = e.View(eParents[i], p.r0, p.c0, p.rows, p.cols)
	}
	sum := o.run(e, eViews)
	vals := slices.Clone(e.LaneValues())
	got := make([][]float64, len(ps))
	for i, p := range ps {
		got[i] = make([]float64, lanes*p.pr*p.pc)
		e.Download64(got[i], eParents[i])
	}
	// Lane by lane on the inner backend.
	want := 0.0
	for k := range lanes {
		views := make([]compute.Tensor, len(ps))
		parents := make([]compute.Tensor, len(ps))
		for i, p := range ps {
			parents[i] = in.New(p.pr, p.pc)
			in.Upload64(parents[i], p.data[k])
			views[i] = in.View(parents[i], p.r0, p.c0, p.rows, p.cols)
		}
		v := o.run(in, views)
		want += v
		if o.scalar && !near(vals[k], v) {
			t.Errorf("lane %d scalar = %v, inner backend gives %v", k, vals[k], v)
		}
		for i, p := range ps {
			w := make([]float64, p.pr*p.pc)
			in.Download64(w, parents[i])
			g := got[i][k*p.pr*p.pc : (k+1)*p.pr*p.pc]
			for j := range w {
				if math.Float64bits(g[j]) != math.Float64bits(w[j]) && !(math.IsNaN(g[j]) && math.IsNaN(w[j])) {
					t.Fatalf("operand %d lane %d element %d = %v, inner backend gives %v", i, k, j, g[j], w[j])
				}
			}
		}
	}
	if !near(sum, want) {
		t.Errorf("scalar = %v, sum over lanes %v", sum, want)
	}
}

func TestHostTransfers(t *testing.T) {
	e, err := New(cpu.New(nil), lanes)
	if err != nil {
		t.Fatal(err)
	}
	x := e.New(2, 3)
	// rows·cols values go to every lane.
	e.Upload(x, []float32{1, 2, 3, 4, 5, 6})
	got := make([]float32, lanes*6)
	e.Download(got, x)
	for k := range lanes {
		if !slices.Equal(got[6*k:6*k+6], []float32{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("broadcast upload: lane %d holds %v", k, got[6*k:6*k+6])
		}
	}
	// One lane at a time, and the lane's inner tensor.
	e.UploadLane(x, 1, []float32{9, 8, 7, 6, 5, 4})
	one := make([]float32, 6)
	e.DownloadLane(one, x, 1)
	if !slices.Equal(one, []float32{9, 8, 7, 6, 5, 4}) {
		t.Fatalf("UploadLane/DownloadLane: %v", one)
	}
	e.Inner().Download(one, e.Lane(x, 0))
	if !slices.Equal(one, []float32{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("Lane(x, 0) holds %v", one)
	}
	// Lanes of a view.
	v := e.View(x, 1, 1, 1, 2)
	two := make([]float32, 2)
	e.DownloadLane(two, v, 1)
	if !slices.Equal(two, []float32{5, 4}) {
		t.Fatalf("lane 1 of the view holds %v, want [5 4]", two)
	}
}

// UploadLanes puts each lane's values in its lane, through one interleaved buffer for whole
// tensors and lane by lane for views that cut columns.
func TestUploadLanes(t *testing.T) {
	e, err := New(cpu.New(nil), lanes)
	if err != nil {
		t.Fatal(err)
	}
	x := e.New(3, 4)
	for _, dst := range []compute.Tensor{x, e.View(x, 1, 0, 2, 4), e.View(x, 0, 1, 3, 2)} {
		n := dst.Rows() * dst.Cols()
		srcs := make([][]float32, lanes)
		for k := range srcs {
			srcs[k] = make([]float32, n)
			for i := range srcs[k] {
				srcs[k][i] = float32(100*k + i + 1)
			}
		}
		e.UploadLanes(dst, srcs, nil)
		got := make([]float32, n)
		for k := range lanes {
			e.DownloadLane(got, dst, k)
			if !slices.Equal(got, srcs[k]) {
				t.Errorf("%d×%d: lane %d holds %v, want %v", dst.Rows(), dst.Cols(), k, got, srcs[k])
			}
		}
	}
}

func TestMisuse(t *testing.T) {
	if _, err := New(cpu.New(nil), 0); err == nil {
		t.Error("New with 0 lanes did not fail")
	}
	e, err := New(cpu.New(nil), lanes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(e, 2); err == nil {
		t.Error("an ensemble of an ensemble did not fail")
	}
	x := e.New(2, 3)
	for name, f := range map[string]func(){
		"view out of range":     func() { e.View(x, 1, 0, 2, 3) },
		"upload of wrong size":  func() { e.Upload(x, make([]float32, 7)) },
		"download of one lane":  func() { e.Download(make([]float32, 6), x) },
		"lane out of range":     func() { e.Lane(x, lanes) },
		"mismatched shapes":     func() { e.Copy(x, e.New(3, 2)) },
		"foreign tensor":        func() { e.Fill(cpu.New(nil).New(2, 3), 0) },
		"use after Free":        func() { y := e.New(1, 1); e.Free(y); e.Fill(y, 0) },
		"gemm inner dimensions": func() { e.Gemm(false, false, 1, x, x, 0, e.New(2, 3)) },
	} {
		if !panics(f) {
			t.Errorf("%s did not panic", name)
		}
	}
	var p any
	func() {
		defer func() { p = recover() }()
		e.View(x, 0, 0, 3, 1)
	}()
	if err, ok := p.(error); !ok || !errors.Is(err, compute.ErrView) {
		t.Errorf("View out of range panicked with %v, want compute.ErrView", p)
	}
}

func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

// The test double of the GPU's deferral passes the conformance suite, its DeferScalars
// part included (which otherwise runs only on a GPU).
func TestDeferringBackendConforms(t *testing.T) {
	computetest.TestBackend(t, computetest.NewDeferring(cpu.New(nil)))
	computetest.TestBackend(t, computetest.NewLaneScalars(cpu.New(nil)))
}

// TestDeferScalars checks the ensemble's own deferral (compute.LaneScalarCollector) on inner
// backends with and without deferral and with lane operations: deferred operations return
// 0, CollectLaneScalars returns each one's lane values as LaneValues had them undeferred, bit
// for bit, and CollectScalars their sums as the operations returned them; the deferral ends
// with the collection.
func TestDeferScalars(t *testing.T) {
	const K, rows, cols = 3, 4, 6
	for name, inner := range map[string]compute.Backend{"cpu": cpu.New(nil), "deferring": computetest.NewDeferring(cpu.New(nil)),
		"lane operations": computetest.NewLaneScalars(cpu.New(nil))} {
		e, err := New(inner, K)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		data := func() compute.Tensor {
			x := e.New(rows, cols)
			v := make([]float32, K*rows*cols)
			for i := range v {
				v[i] = float32(rng.Float64()*2 - 1)
			}
			e.Upload(x, v)
			return x
		}
		z, y, g := data(), data(), e.New(rows, cols)
		ops := []func() float64{
			func() float64 { return e.SoftmaxCrossEntropy(g, z, y, 0.5) },
			func() float64 { return e.SumSquares(z) },
			func() float64 { return e.ScaleSumSquares(g, 2, y) },
			func() float64 { return e.SquaredError(nil, z, y, 1) },
		}
		var sums []float64
		var lanes [][]float64
		for _, op := range ops {
			sums = append(sums, op())
			lanes = append(lanes, slices.Clone(e.LaneValues()))
		}
		e.DeferScalars()
		for i, op := range ops {
			if v := op(); v != 0 {
				t.Errorf("%s: deferred operation %d returned %v, want 0", name, i, v)
			}
		}
		got := e.CollectLaneScalars()
		if len(got) != len(ops) {
			t.Fatalf("%s: %d operations collected, want %d", name, len(got), len(ops))
		}
		for i := range ops {
			if !slices.Equal(got[i], lanes[i]) {
				t.Errorf("%s: operation %d: lanes %v deferred, %v undeferred", name, i, got[i], lanes[i])
			}
		}
		e.DeferScalars()
		for _, op := range ops {
			op()
		}
		if s := e.CollectScalars(nil); !slices.Equal(s, sums) {
			t.Errorf("%s: CollectScalars %v, undeferred %v", name, s, sums)
		}
		if v := ops[1](); v != sums[1] {
			t.Errorf("%s: after the collection SumSquares = %v, want %v (the deferral must end)", name, v, sums[1])
		}
	}
}
