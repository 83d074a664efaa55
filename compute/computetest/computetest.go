package computetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/compute"
)

// Tolerances relative to max(1, |want|): float32 backends round every element, and a
// float32 GEMM over k terms loses about k·2⁻²⁴ in the worst case.
const (
	tol32 = 2e-5
	tol64 = 1e-12
	// fdTol bounds the error of a central difference with step 1e-6 in float64
	// (truncation h² plus rounding ε/h).
	fdTol = 1e-7
)

func tol(b compute.Backend) float64 {
	if b.DType() == compute.Float64 {
		return tol64
	}
	return tol32
}

type host struct {
	r, c int
	v    []float64
}

func randHost(rng *rand.Rand, r, c int) host {
	h := host{r, c, make([]float64, r*c)}
	for i := range h.v {
		h.v[i] = rng.Float64()*2 - 1
	}
	return h
}

func (h host) at(i, j int) float64 { return h.v[i*h.c+j] }

func up(b compute.Backend, h host) compute.Tensor {
	t := b.New(h.r, h.c)
	b.Upload64(t, h.v)
	return t
}

func down(b compute.Backend, t compute.Tensor) []float64 {
	d := make([]float64, t.Rows()*t.Cols())
	b.Download64(d, t)
	return d
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func check(t *testing.T, b compute.Backend, name string, got, want []float64) {
	t.Helper()
	checkTol(t, name, got, want, tol(b))
}

func checkFD(t *testing.T, b compute.Backend, name string, got, want []float64) {
	t.Helper()
	checkTol(t, name, got, want, max(tol(b), fdTol))
}

func checkTol(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values; want %d", name, len(got), len(want))
	}
	for i := range got {
		if !near(got[i], want[i], tol) {
			t.Errorf("%s[%d] = %.10g; want %.10g", name, i, got[i], want[i])
			return
		}
	}
}

// rounded returns v rounded to the backend's dtype, so that host references start from the
// same inputs the backend holds.
func rounded(b compute.Backend, h host) host {
	if b.DType() == compute.Float32 {
		for i, x := range h.v {
			h.v[i] = float64(float32(x))
		}
	}
	return h
}

// TestBackend runs every conformance test on b.
func TestBackend(t *testing.T, b compute.Backend) {
	t.Run("UploadDownload", func(t *testing.T) { testUploadDownload(t, b) })
	t.Run("View", func(t *testing.T) { testView(t, b) })
	t.Run("Gemm", func(t *testing.T) { testGemm(t, b) })
	if pg, ok := b.(compute.PackedGemmer); ok {
		t.Run("GemmPacked", func(t *testing.T) { testGemmPacked(t, b, pg) })
	}
	if lg, ok := b.(compute.LaneGemmer); ok {
		t.Run("GemmLanes", func(t *testing.T) { testGemmLanes(t, b, lg) })
	}
	if d, ok := b.(compute.ScalarDeferrer); ok {
		t.Run("DeferScalars", func(t *testing.T) { testDeferScalars(t, b, d) })
	}
	if ls, ok := b.(compute.LaneScalarer); ok {
		t.Run("LaneScalars", func(t *testing.T) { testLaneScalars(t, b, ls) })
	}
	if d, ok := b.(compute.InputDriver); ok && d.MaxDrivenInputs() > 0 {
		t.Run("InputDriver", func(t *testing.T) { TestInputDriver(t, b, d) })
	}
	t.Run("Elementwise", func(t *testing.T) { testElementwise(t, b) })
	t.Run("Activations", func(t *testing.T) { testActivations(t, b) })
	t.Run("Rows", func(t *testing.T) { testRows(t, b) })
	t.Run("Losses", func(t *testing.T) { testLosses(t, b) })
	t.Run("Optimizers", func(t *testing.T) { testOptimizers(t, b) })
}

func testUploadDownload(t *testing.T, b compute.Backend) {
	x := b.New(3, 4)
	for _, v := range down(b, x) {
		if v != 0 {
			t.Fatalf("New: element %v; want 0", v)
		}
	}
	src := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5}
	b.Upload(x, src)
	got := make([]float32, 12)
	b.Download(got, x)
	for i := range got {
		if got[i] != src[i] {
			t.Fatalf("Download[%d] = %v; want %v", i, got[i], src[i])
		}
	}
}

func testView(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := rounded(b, randHost(rng, 5, 6))
	x := up(b, h)
	v := b.View(x, 1, 2, 3, 3)
	got := down(b, v)
	var want []float64
	for i := 1; i < 4; i++ {
		for j := 2; j < 5; j++ {
			want = append(want, h.at(i, j))
		}
	}
	check(t, b, "View read", got, want)
	// A view of a view, written through.
	vv := b.View(v, 1, 1, 2, 2)
	b.Fill(vv, 7)
	all := down(b, x)
	for i := range 5 {
		for j := range 6 {
			w := h.at(i, j)
			if i >= 2 && i < 4 && j >= 3 && j < 5 {
				w = 7
			}
			if all[i*6+j] != w {
				t.Fatalf("after Fill of a nested view: x[%d,%d] = %v; want %v", i, j, all[i*6+j], w)
			}
		}
	}
	if !panics(func() { b.View(x, 3, 0, 3, 6) }) {
		t.Errorf("View past the last row did not panic")
	}
}

func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

func testGemm(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ m, n, k int }{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 65, 31}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float64{{1, 0}, {0.5, 1}, {-2, 0.25}} {
					alpha, beta := ab[0], ab[1]
					ar, ac, br, bc := operandShapes(tc.m, tc.n, tc.k, tA, tB)
					// Operands are views with a leading dimension larger than their width.
					ha := rounded(b, randHost(rng, ar+1, ac+2))
					hb := rounded(b, randHost(rng, br+2, bc+1))
					hc := rounded(b, randHost(rng, tc.m, tc.n+3))
					a := b.View(up(b, ha), 1, 1, ar, ac)
					bb := b.View(up(b, hb), 2, 0, br, bc)
					cFull := up(b, hc)
					c := b.View(cFull, 0, 2, tc.m, tc.n)
					if beta == 0 {
						b.Fill(c, math.NaN()) // must not propagate
					}
					b.Gemm(tA, tB, alpha, a, bb, beta, c)
					want := make([]float64, tc.m*tc.n)
					for i := range tc.m {
						for j := range tc.n {
							var s float64
							for l := range tc.k {
								var x, y float64
								if tA {
									x = ha.at(1+l, 1+i)
								} else {
									x = ha.at(1+i, 1+l)
								}
								if tB {
									y = hb.at(2+j, l)
								} else {
									y = hb.at(2+l, j)
								}
								s += x * y
							}
							want[i*tc.n+j] = alpha * s
							if beta != 0 {
								want[i*tc.n+j] += beta * hc.at(i, 2+j)
							}
						}
					}
					check(t, b, fmt.Sprintf("Gemm m%d n%d k%d tA=%v tB=%v α=%v β=%v", tc.m, tc.n, tc.k, tA, tB, alpha, beta), down(b, c), want)
					// Columns outside the view are untouched.
					full := down(b, cFull)
					for i := range tc.m {
						for _, j := range []int{0, 1, tc.n + 2} {
							if full[i*(tc.n+3)+j] != hc.at(i, j) {
								t.Fatalf("Gemm wrote outside its view at (%d, %d)", i, j)
							}
						}
					}
				}
			}
		}
	}
	if !panics(func() { b.Gemm(false, false, 1, b.New(2, 3), b.New(4, 2), 0, b.New(2, 2)) }) {
		t.Errorf("Gemm with mismatched inner dimensions did not panic")
	}
}

// testGemmLanes checks that GemmLanes equals one Gemm per lane (to the backend's tolerance;
// cuBLAS may pick another kernel for a batch), for lanes laid
// side by side in the columns of one tensor (package ensemble's layout) with a gap column
// between them that must stay untouched, on row views, both transposes and beta 0 (c not
// read) and 1.
func testGemmLanes(t *testing.T, b compute.Backend, lg compute.LaneGemmer) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ m, n, k, lanes int }{{1, 1, 1, 1}, {3, 5, 7, 3}, {17, 9, 33, 4}, {40, 64, 24, 2}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, beta := range []float64{0, 1} {
					ar, ac, br, bc := operandShapes(tc.m, tc.n, tc.k, tA, tB)
					// Lane l of x is the view at column l·(xc+1) of rows 1 … of a tensor with one
					// spare row on top and one gap column after each lane.
					operands := func(r, c int) (compute.Tensor, []compute.Tensor) {
						full := up(b, rounded(b, randHost(rng, r+1, tc.lanes*(c+1))))
						lanes := make([]compute.Tensor, tc.lanes)
						for l := range lanes {
							lanes[l] = b.View(full, 1, l*(c+1), r, c)
						}
						return full, lanes
					}
					_, a := operands(ar, ac)
					_, bb := operands(br, bc)
					cFull, c := operands(tc.m, tc.n)
					before := down(b, cFull)
					// The expected result: the same products lane by lane with Gemm, on copies.
					want := make([][]float64, tc.lanes)
					for l := range c {
						cc := b.New(tc.m, tc.n)
						b.Copy(cc, c[l])
						b.Gemm(tA, tB, 0.75, a[l], bb[l], beta, cc)
						want[l] = down(b, cc)
						if beta == 0 {
							b.Fill(c[l], math.NaN()) // must not propagate
						}
					}
					lg.GemmLanes(tA, tB, 0.75, a[0], bb[0], beta, c[0], tc.lanes, ac+1, bc+1, tc.n+1)
					name := fmt.Sprintf("GemmLanes m%d n%d k%d lanes %d tA=%v tB=%v β=%v", tc.m, tc.n, tc.k, tc.lanes, tA, tB, beta)
					for l := range c {
						check(t, b, fmt.Sprintf("%s lane %d", name, l), down(b, c[l]), want[l])
					}
					full := down(b, cFull)
					w := tc.lanes * (tc.n + 1)
					for l := range tc.lanes {
						j := l*(tc.n+1) + tc.n // the gap column after lane l
						for i := range tc.m + 1 {
							if full[i*w+j] != before[i*w+j] {
								t.Fatalf("%s wrote the gap column at (%d, %d)", name, i, j)
							}
						}
					}
				}
			}
		}
	}
}

// testDeferScalars checks that deferred scalar operations return 0, do their other work
// (gradients) as usual, and that CollectScalars returns the values the operations return
// undeferred, bit for bit, in call order; and that deferral ends with the collection.
func testDeferScalars(t *testing.T, b compute.Backend, d compute.ScalarDeferrer) {
	rng := rand.New(rand.NewPCG(7, 8))
	z := up(b, rounded(b, randHost(rng, 9, 6)))
	y := up(b, rounded(b, randHost(rng, 9, 6)))
	p := up(b, rounded(b, randHost(rng, 9, 2)))
	q := up(b, rounded(b, randHost(rng, 9, 2)))
	ops := []func(g compute.Tensor) float64{
		func(g compute.Tensor) float64 { return b.SoftmaxCrossEntropy(g, z, y, 0.25) },
		func(g compute.Tensor) float64 { return b.SquaredError(g, z, y, 0.5) },
		func(compute.Tensor) float64 { return b.PolarSquaredError(nil, p, q, 2) },
		func(compute.Tensor) float64 { return b.SumSquares(z) },
		func(g compute.Tensor) float64 { return b.ScaleSumSquares(g, 3, y) },
		func(compute.Tensor) float64 { return b.Sum(y) },
	}
	want := make([]float64, len(ops))
	wantGrad := make([][]float64, len(ops))
	for i, f := range ops {
		g := b.New(9, 6)
		want[i] = f(g)
		wantGrad[i] = down(b, g)
	}
	d.DeferScalars()
	grads := make([]compute.Tensor, len(ops))
	for i, f := range ops {
		grads[i] = b.New(9, 6)
		if v := f(grads[i]); v != 0 {
			t.Errorf("deferred operation %d returned %v, want 0", i, v)
		}
	}
	got := d.CollectScalars([]float64{-1})
	if len(got) != len(ops)+1 || got[0] != -1 {
		t.Fatalf("CollectScalars appended %v to [-1]; want %d values", got, len(ops))
	}
	for i := range ops {
		if math.Float64bits(got[i+1]) != math.Float64bits(want[i]) {
			t.Errorf("deferred operation %d: %v, undeferred %v", i, got[i+1], want[i])
		}
		if g := down(b, grads[i]); !slices.Equal(g, wantGrad[i]) {
			t.Errorf("deferred operation %d changed its gradient", i)
		}
	}
	if v := b.Sum(y); v != want[5] {
		t.Errorf("Sum after CollectScalars = %v, want %v (deferral must end)", v, want[5])
	}
	if got := d.CollectScalars(nil); len(got) != 0 {
		t.Errorf("CollectScalars without DeferScalars returned %v", got)
	}

	// QueueScalars ends the deferral early: a scalar operation after it is not deferred, and
	// what is queued after it (here, operands overwritten) does not change the values
	// CollectScalars then returns.
	d.DeferScalars()
	for i, f := range ops {
		f(grads[i])
	}
	d.QueueScalars()
	if v := b.Sum(y); v != want[5] {
		t.Errorf("Sum after QueueScalars = %v, want %v (deferral must end)", v, want[5])
	}
	b.Fill(z, 7)
	b.Fill(y, -3)
	got = d.CollectScalars(nil)
	if len(got) != len(ops) {
		t.Fatalf("CollectScalars after QueueScalars returned %d values, want %d", len(got), len(ops))
	}
	for i := range ops {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("operation %d collected after QueueScalars and later writes: %v, want %v", i, got[i], want[i])
		}
	}
	if got := d.CollectScalars(nil); len(got) != 0 {
		t.Errorf("a second CollectScalars returned %v", got)
	}
}

// testLaneScalars checks that each compute.LaneScalarer operation queues, lane by lane, the
// values that the single operation queues for each lane's column block, bit for bit, with the
// same gradients; on small shapes (4 lanes of 6 columns: 24 in all, a multiple of 4 that a
// lane's 6 are not) and on one whose lanes need many reduction blocks.
func testLaneScalars(t *testing.T, b compute.Backend, ls compute.LaneScalarer) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, sh := range []struct{ lanes, rows, w int }{{3, 9, 6}, {4, 9, 6}, {4, 150, 700}} {
		z := up(b, rounded(b, randHost(rng, sh.rows, sh.lanes*sh.w)))
		y := up(b, rounded(b, randHost(rng, sh.rows, sh.lanes*sh.w)))
		lane := func(x compute.Tensor, k int) compute.Tensor {
			if x == nil {
				return nil
			}
			return b.View(x, 0, k*sh.w, sh.rows, sh.w)
		}
		ops := []struct {
			name  string
			grad  bool
			one   func(g compute.Tensor, k int) float64
			lanes func(g compute.Tensor)
		}{
			{"SoftmaxCrossEntropy", true,
				func(g compute.Tensor, k int) float64 {
					return b.SoftmaxCrossEntropy(lane(g, k), lane(z, k), lane(y, k), 0.25)
				},
				func(g compute.Tensor) { ls.SoftmaxCrossEntropyLanes(g, z, y, 0.25, sh.lanes) }},
			{"SoftmaxCrossEntropy (loss only)", false,
				func(_ compute.Tensor, k int) float64 { return b.SoftmaxCrossEntropy(nil, lane(z, k), lane(y, k), 0.5) },
				func(compute.Tensor) { ls.SoftmaxCrossEntropyLanes(nil, z, y, 0.5, sh.lanes) }},
			{"SquaredError", true,
				func(g compute.Tensor, k int) float64 { return b.SquaredError(lane(g, k), lane(z, k), lane(y, k), 0.5) },
				func(g compute.Tensor) { ls.SquaredErrorLanes(g, z, y, 0.5, sh.lanes) }},
			{"ScaleSumSquares", true,
				func(g compute.Tensor, k int) float64 { return b.ScaleSumSquares(lane(g, k), 3, lane(z, k)) },
				func(g compute.Tensor) { ls.ScaleSumSquaresLanes(g, 3, z, sh.lanes) }},
			{"SumSquares", false,
				func(_ compute.Tensor, k int) float64 { return b.SumSquares(lane(y, k)) },
				func(compute.Tensor) { ls.ScaleSumSquaresLanes(nil, 0, y, sh.lanes) }},
		}
		for _, op := range ops {
			var gOne, gLanes compute.Tensor
			if op.grad {
				gOne, gLanes = b.New(sh.rows, sh.lanes*sh.w), b.New(sh.rows, sh.lanes*sh.w)
			}
			ls.DeferScalars()
			for k := range sh.lanes {
				op.one(gOne, k)
			}
			want := ls.CollectScalars(nil)
			ls.DeferScalars()
			op.lanes(gLanes)
			got := ls.CollectScalars([]float64{-1})
			if len(got) != sh.lanes+1 || got[0] != -1 {
				t.Fatalf("%s, %d lanes of %d×%d: CollectScalars appended %v to [-1]; want %d values", op.name, sh.lanes, sh.rows, sh.w, got, sh.lanes)
			}
			for k := range sh.lanes {
				if math.Float64bits(got[k+1]) != math.Float64bits(want[k]) {
					t.Errorf("%s, %d lanes of %d×%d: lane %d = %v, alone %v", op.name, sh.lanes, sh.rows, sh.w, k, got[k+1], want[k])
				}
			}
			if op.grad && !slices.Equal(down(b, gLanes), down(b, gOne)) {
				t.Errorf("%s, %d lanes of %d×%d: gradients differ from the lanes' own", op.name, sh.lanes, sh.rows, sh.w)
			}
		}
	}
}

// testGemmPacked checks that GemmPacked equals Gemm bit for bit, on views, both
// transposes, several row counts per packing and one Packed reused for every shape.
func testGemmPacked(t *testing.T, b compute.Backend, pg compute.PackedGemmer) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := pg.NewPacked()
	for _, tc := range []struct{ n, k int }{{1, 1}, {5, 7}, {9, 33}, {65, 31}} {
		for _, tB := range []bool{false, true} {
			br, bc := tc.k, tc.n
			if tB {
				br, bc = bc, br
			}
			bb := b.View(up(b, rounded(b, randHost(rng, br+2, bc+1))), 2, 0, br, bc)
			pg.Pack(p, tB, bb)
			if k, n := p.PackedShape(); k != tc.k || n != tc.n {
				t.Fatalf("PackedShape = %d×%d, want %d×%d", k, n, tc.k, tc.n)
			}
			for _, m := range []int{1, 3, 17, 64} {
				for _, tA := range []bool{false, true} {
					for _, ab := range [][2]float64{{1, 0}, {-2, 0.25}} {
						ar, ac := m, tc.k
						if tA {
							ar, ac = ac, ar
						}
						a := b.View(up(b, rounded(b, randHost(rng, ar+1, ac+2))), 1, 1, ar, ac)
						hc := rounded(b, randHost(rng, m, tc.n+3))
						want, got := up(b, hc), up(b, hc)
						wantV, gotV := b.View(want, 0, 2, m, tc.n), b.View(got, 0, 2, m, tc.n)
						if ab[1] == 0 {
							b.Fill(gotV, math.NaN()) // must not propagate
						}
						b.Gemm(tA, tB, ab[0], a, bb, ab[1], wantV)
						pg.GemmPacked(tA, ab[0], a, p, ab[1], gotV)
						w, g := down(b, want), down(b, got)
						for i := range w {
							if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
								t.Fatalf("GemmPacked m%d n%d k%d tA=%v tB=%v α=%v β=%v: element %d = %v, Gemm gives %v",
									m, tc.n, tc.k, tA, tB, ab[0], ab[1], i, g[i], w[i])
							}
						}
					}
				}
			}
		}
	}
	pg.Pack(p, false, b.New(4, 3))
	if !panics(func() { pg.GemmPacked(false, 1, b.New(2, 3), p, 0, b.New(2, 3)) }) {
		t.Errorf("GemmPacked with mismatched inner dimensions did not panic")
	}
}

// testElementwise runs on 4×7 and 4×8 tensors and views at column 4 of a 4-column-wider
// parent: backends with vector kernels (the GPU's float4s) take them on the second shape.
func testElementwise(t *testing.T, b compute.Backend) {
	for _, cols := range []int{7, 8} {
		testElementwiseShape(t, b, 4, cols)
	}
}

func testElementwiseShape(t *testing.T, b compute.Backend, rows, cols int) {
	rng := rand.New(rand.NewPCG(5, uint64(cols)))
	hx := rounded(b, randHost(rng, rows, cols))
	hy := rounded(b, randHost(rng, rows, cols))
	hz := rounded(b, randHost(rng, rows, cols))
	n := len(hx.v)
	want := make([]float64, n)
	// Views: at row 1, column 4 of a parent 4 columns wider; and at the origin of one 2 columns
	// wider, whose rows (a leading dimension that is no multiple of 4) a float4 kernel must
	// not take even when the columns are a multiple of 4.
	for _, view := range []struct {
		name          string
		r0, c0, extra int
	}{{"", 0, 0, 0}, {" (view)", 1, 4, 4}, {" (view, leading dimension +2)", 0, 0, 2}} {
		mk := func(h host) compute.Tensor {
			if view.extra == 0 {
				return up(b, h)
			}
			big := b.New(h.r+view.r0, h.c+view.extra)
			v := b.View(big, view.r0, view.c0, h.r, h.c)
			b.Upload64(v, h.v)
			return v
		}
		name := fmt.Sprintf(" %d×%d", rows, cols) + view.name
		x, y, z := mk(hx), mk(hy), mk(hz)

		b.Scale(x, -1.5)
		for i := range want {
			want[i] = -1.5 * hx.v[i]
		}
		check(t, b, "Scale"+name, down(b, x), want)

		b.AddScalar(x, 0.25)
		for i := range want {
			want[i] += 0.25
		}
		check(t, b, "AddScalar"+name, down(b, x), want)

		b.Axpy(x, 2, y)
		for i := range want {
			want[i] += 2 * hy.v[i]
		}
		check(t, b, "Axpy"+name, down(b, x), want)

		b.AddMul(x, y, z)
		for i := range want {
			want[i] += hy.v[i] * hz.v[i]
		}
		check(t, b, "AddMul"+name, down(b, x), want)

		b.Mul(x, x, z) // aliasing dst and an operand
		for i := range want {
			want[i] *= hz.v[i]
		}
		check(t, b, "Mul"+name, down(b, x), want)

		var ss, s float64
		for _, v := range want {
			ss += v * v
			s += v
		}
		if got := b.SumSquares(x); !near(got, ss, tol(b)) {
			t.Errorf("SumSquares%s = %v; want %v", name, got, ss)
		}
		if got := b.Sum(x); !near(got, s, tol(b)) {
			t.Errorf("Sum%s = %v; want %v", name, got, s)
		}
		scaled := mk(hx)
		if got := b.ScaleSumSquares(scaled, -0.5, x); !near(got, ss, tol(b)) {
			t.Errorf("ScaleSumSquares%s = %v; want %v", name, got, ss)
		}
		half := make([]float64, n)
		for i, v := range want {
			half[i] = -0.5 * v
		}
		check(t, b, "ScaleSumSquares dst"+name, down(b, scaled), half)
		if got := b.ScaleSumSquares(scaled, 2, scaled); !near(got, ss/4, tol(b)) { // in place
			t.Errorf("ScaleSumSquares in place%s = %v; want %v", name, got, ss/4)
		}
		for i := range half {
			half[i] *= 2
		}
		check(t, b, "ScaleSumSquares in place"+name, down(b, scaled), half)

		b.Copy(x, y)
		check(t, b, "Copy"+name, down(b, x), hy.v)
		b.Fill(x, 3)
		for i := range want {
			want[i] = 3
		}
		check(t, b, "Fill"+name, down(b, x), want)
	}
	if !panics(func() { b.Axpy(b.New(2, 3), 1, b.New(3, 2)) }) {
		t.Errorf("Axpy with mismatched shapes did not panic")
	}
}

// testActivations runs on 3×9 and 3×8 tensors (vector kernels take the second).
func testActivations(t *testing.T, b compute.Backend) {
	for _, cols := range []int{9, 8} {
		testActivationsShape(t, b, 3, cols)
	}
}

func testActivationsShape(t *testing.T, b compute.Backend, rows, cols int) {
	rng := rand.New(rand.NewPCG(7, uint64(cols)))
	hx := rounded(b, randHost(rng, rows, cols))
	for i := range hx.v {
		hx.v[i] *= 4
	}
	hx.v[0] = 0 // the ReLU kink
	hd := rounded(b, randHost(rng, rows, cols))
	for _, f := range []compute.Activation{compute.Linear, compute.ReLU, compute.Tanh, compute.Sigmoid} {
		x := up(b, hx)
		out := b.New(rows, cols)
		b.Activate(out, x, f)
		want := make([]float64, len(hx.v))
		for i, v := range hx.v {
			want[i] = f.Apply(v)
		}
		check(t, b, "Activate "+f.String(), down(b, out), want)
		got := down(b, out)
		d := up(b, hd)
		b.ActivationGrad(d, out, f)
		for i, v := range got {
			want[i] = hd.v[i] * f.DerivFromOutput(v)
		}
		check(t, b, "ActivationGrad "+f.String(), down(b, d), want)
		// DerivFromOutput agrees with a central difference of Apply away from the kink.
		for _, v := range hx.v[1:] {
			const h = 1e-6
			fd := (f.Apply(v+h) - f.Apply(v-h)) / (2 * h)
			if !near(f.DerivFromOutput(f.Apply(v)), fd, 1e-6) {
				t.Errorf("%v: φ'(%v) = %v; central difference %v", f, v, f.DerivFromOutput(f.Apply(v)), fd)
			}
		}
		b.Activate(x, x, f) // in place
		check(t, b, "Activate in place "+f.String(), down(b, x), got)
	}
}

func testRows(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(9, 10))
	hx := rounded(b, randHost(rng, 5, 4))
	hv := rounded(b, randHost(rng, 1, 4))
	x, v := up(b, hx), up(b, hv)
	b.AddRowVector(x, v)
	want := make([]float64, 20)
	for i := range 5 {
		for j := range 4 {
			want[i*4+j] = hx.at(i, j) + hv.v[j]
		}
	}
	check(t, b, "AddRowVector", down(b, x), want)
	b.SumRows(v, 2, x, 0.5)
	sums := make([]float64, 4)
	for j := range 4 {
		s := 0.0
		for i := range 5 {
			s += want[i*4+j]
		}
		sums[j] = 0.5*hv.v[j] + 2*s
	}
	check(t, b, "SumRows", down(b, v), sums)
}

// testWideSoftmax checks the cross-entropy and its gradient, g = scale·(softmax(z)·Σy − y),
// on rows of 100 to 2500 values. The GPU takes a row of at most 1024 with one warp, the row
// in its registers in chunks of 128 (100: one chunk, partly filled; 512: four full chunks;
// 1000: eight, the last partly filled), and a wider one (1030, 2500) with a block.
func testWideSoftmax(t *testing.T, b compute.Backend) {
	for _, cols := range []int{100, 512, 1000, 1030, 2500} {
		testSoftmaxRows(t, b, 3, cols)
	}
}

// testLargeLogits checks the cross-entropy on logits far from 0: rows shifted by +100, −100
// and +1000, and a row with one logit 60 above the rest. A softmax that does not subtract
// the row's maximum overflows (e^100 is beyond float32) or underflows there; the logits of
// the other tests lie in [−1, 1], where it passed. Widths take the GPU's warp (37, 512) and
// block (1500) paths.
func testLargeLogits(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(31, 32))
	const rows = 4
	for _, cols := range []int{37, 512, 1500} {
		hz := randHost(rng, rows, cols)
		for j := range cols {
			hz.v[j] += 100
			hz.v[cols+j] -= 100
			hz.v[2*cols+j] += 1000
			hz.v[3*cols+j] = 0
		}
		hz.v[3*cols+cols/3] = 60
		checkSoftmaxRows(t, b, fmt.Sprintf("large logits, rows of %d", cols), rounded(b, hz), rng, 0.5)
	}
}

func testSoftmaxRows(t *testing.T, b compute.Backend, rows, cols int) {
	rng := rand.New(rand.NewPCG(21, uint64(cols)))
	checkSoftmaxRows(t, b, fmt.Sprintf("rows of %d", cols), rounded(b, randHost(rng, rows, cols)), rng, 0.7)
}

// checkSoftmaxRows checks SoftmaxCrossEntropy's loss and gradient on the logits hz, with
// non-negative targets drawn from rng, against the formula in float64 (each row's maximum
// subtracted, so that the reference itself neither overflows nor underflows).
func checkSoftmaxRows(t *testing.T, b compute.Backend, what string, hz host, rng *rand.Rand, scale float64) {
	rows, cols := hz.r, hz.c
	hy := randHost(rng, rows, cols)
	for i := range hy.v {
		hy.v[i] = math.Abs(hy.v[i])
	}
	hy = rounded(b, hy)
	var loss float64
	grad := make([]float64, rows*cols)
	for i := range rows {
		mx := math.Inf(-1)
		for j := range cols {
			mx = math.Max(mx, hz.at(i, j))
		}
		var s, sy float64
		for j := range cols {
			s += math.Exp(hz.at(i, j) - mx)
			sy += hy.at(i, j)
		}
		for j := range cols {
			lp := hz.at(i, j) - mx - math.Log(s)
			loss -= scale * hy.at(i, j) * lp
			grad[i*cols+j] = scale * (math.Exp(lp)*sy - hy.at(i, j))
		}
	}
	g := b.New(rows, cols)
	if got := b.SoftmaxCrossEntropy(g, up(b, hz), up(b, hy), scale); !near(got, loss, tol(b)) {
		t.Errorf("SoftmaxCrossEntropy, %s = %v; want %v", what, got, loss)
	}
	check(t, b, "SoftmaxCrossEntropy grad, "+what, down(b, g), grad)
}

func testLosses(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(11, 12))
	const rows, cols = 6, 5
	hz := rounded(b, randHost(rng, rows, cols))
	hy := randHost(rng, rows, cols)
	for i := range hy.v {
		hy.v[i] = math.Abs(hy.v[i]) // non-negative targets; rows need not sum to 1
	}
	hy = rounded(b, hy)
	const scale = 0.3

	// Softmax cross-entropy against the direct formula and a central difference.
	ce := func(z []float64) float64 {
		var total float64
		for i := range rows {
			row := z[i*cols : (i+1)*cols]
			var s float64
			for _, v := range row {
				s += math.Exp(v)
			}
			for j, v := range row {
				total -= hy.at(i, j) * (v - math.Log(s))
			}
		}
		return scale * total
	}
	z, y, g := up(b, hz), up(b, hy), b.New(rows, cols)
	if got, want := b.SoftmaxCrossEntropy(g, z, y, scale), ce(hz.v); !near(got, want, tol(b)) {
		t.Errorf("SoftmaxCrossEntropy = %v; want %v", got, want)
	}
	checkFD(t, b, "SoftmaxCrossEntropy grad", down(b, g), centralDiff(ce, hz.v))
	if got, want := b.SoftmaxCrossEntropy(nil, z, y, scale), ce(hz.v); !near(got, want, tol(b)) {
		t.Errorf("SoftmaxCrossEntropy without grad = %v; want %v", got, want)
	}
	// The gradient may overwrite the logits.
	za := up(b, hz)
	if got, want := b.SoftmaxCrossEntropy(za, za, y, scale), ce(hz.v); !near(got, want, tol(b)) {
		t.Errorf("SoftmaxCrossEntropy(grad = logits) = %v; want %v", got, want)
	}
	check(t, b, "SoftmaxCrossEntropy grad aliasing logits", down(b, za), down(b, g))
	testWideSoftmax(t, b)
	testLargeLogits(t, b)

	se := func(o []float64) float64 {
		var s float64
		for i, v := range o {
			s += (v - hy.v[i]) * (v - hy.v[i])
		}
		return scale * s
	}
	if got, want := b.SquaredError(g, z, y, scale), se(hz.v); !near(got, want, tol(b)) {
		t.Errorf("SquaredError = %v; want %v", got, want)
	}
	checkFD(t, b, "SquaredError grad", down(b, g), centralDiff(se, hz.v))

	hp := rounded(b, randHost(rng, 4, 2))
	hq := rounded(b, randHost(rng, 4, 2))
	polar := func(o []float64) float64 {
		var s float64
		for i := range 4 {
			// Squared distance of the two points in the plane.
			x1, y1 := o[2*i]*math.Cos(o[2*i+1]), o[2*i]*math.Sin(o[2*i+1])
			x2, y2 := hq.at(i, 0)*math.Cos(hq.at(i, 1)), hq.at(i, 0)*math.Sin(hq.at(i, 1))
			s += (x1-x2)*(x1-x2) + (y1-y2)*(y1-y2)
		}
		return scale * s
	}
	p, q, gp := up(b, hp), up(b, hq), b.New(4, 2)
	if got, want := b.PolarSquaredError(gp, p, q, scale), polar(hp.v); !near(got, want, tol(b)) {
		t.Errorf("PolarSquaredError = %v; want %v", got, want)
	}
	checkFD(t, b, "PolarSquaredError grad", down(b, gp), centralDiff(polar, hp.v))
}

// centralDiff returns the gradient of f at x by central differences (float64 on the host).
func centralDiff(f func([]float64) float64, x []float64) []float64 {
	const h = 1e-6
	g := make([]float64, len(x))
	xx := append([]float64(nil), x...)
	for i := range xx {
		v := xx[i]
		xx[i] = v + h
		fp := f(xx)
		xx[i] = v - h
		fm := f(xx)
		xx[i] = v
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

func testOptimizers(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(13, 14))
	hp := rounded(b, randHost(rng, 3, 4))
	hg := rounded(b, randHost(rng, 3, 4))
	n := len(hp.v)

	for _, conv := range []compute.AdamEpsilon{compute.EpsilonKeras, compute.EpsilonPyTorch} {
		p, g, m, v := up(b, hp), up(b, hg), b.New(3, 4), b.New(3, 4)
		s := compute.AdamStep{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-3, Convention: conv}
		want := append([]float64(nil), hp.v...)
		mw, vw := make([]float64, n), make([]float64, n)
		for step := 1; step <= 3; step++ {
			s.Step = step
			b.Adam(p, g, m, v, s)
			c1 := 1 - math.Pow(s.Beta1, float64(step))
			c2 := 1 - math.Pow(s.Beta2, float64(step))
			for i, gi := range hg.v {
				mw[i] = s.Beta1*mw[i] + (1-s.Beta1)*gi
				vw[i] = s.Beta2*vw[i] + (1-s.Beta2)*gi*gi
				if conv == compute.EpsilonKeras {
					want[i] -= s.LR * math.Sqrt(c2) / c1 * mw[i] / (math.Sqrt(vw[i]) + s.Eps)
				} else {
					want[i] -= s.LR * (mw[i] / c1) / (math.Sqrt(vw[i]/c2) + s.Eps)
				}
			}
		}
		check(t, b, fmt.Sprintf("Adam(convention %d) param", conv), down(b, p), want)
		check(t, b, "Adam m", down(b, m), mw)
		check(t, b, "Adam v", down(b, v), vw)
	}

	{
		p, g, a := up(b, hp), up(b, hg), b.New(3, 4)
		want := append([]float64(nil), hp.v...)
		aw := make([]float64, n)
		for range 2 {
			b.RMSProp(p, g, a, 0.01, 0.9, 1e-7)
			for i, gi := range hg.v {
				aw[i] = 0.9*aw[i] + 0.1*gi*gi
				want[i] -= 0.01 * gi / (math.Sqrt(aw[i]) + 1e-7)
			}
		}
		check(t, b, "RMSProp param", down(b, p), want)
		check(t, b, "RMSProp acc", down(b, a), aw)
	}
	{
		p, g, a := up(b, hp), up(b, hg), b.New(3, 4)
		b.Fill(a, 0.1)
		want := append([]float64(nil), hp.v...)
		aw := make([]float64, n)
		for i := range aw {
			aw[i] = 0.1
		}
		for range 2 {
			b.Adagrad(p, g, a, 0.01, 1e-7)
			for i, gi := range hg.v {
				aw[i] += gi * gi
				want[i] -= 0.01 * gi / (math.Sqrt(aw[i]) + 1e-7)
			}
		}
		check(t, b, "Adagrad param", down(b, p), want)
		check(t, b, "Adagrad acc", down(b, a), aw)
	}
}

// NewDeferring returns b with compute.ScalarDeferrer.
func NewDeferring(b compute.Backend) *Deferring { return &Deferring{Backend: b} }

// NewLaneScalars returns b with compute.LaneScalarer.
func NewLaneScalars(b compute.Backend) LaneScalars { return LaneScalars{NewDeferring(b)} }

// Deferring is a backend with compute.ScalarDeferrer added, as the GPU has it, for testing
// the code that defers scalars on a synchronous backend (the CPU): while deferring, its
// scalar operations queue their value and return 0.
type Deferring struct {
	compute.Backend
	deferring, inFlight bool
	queued              []float64
	// Waits counts the collections that ended a deferral: the host waits a GPU would make.
	Waits int
	// Overlapped counts the Adam updates queued between QueueScalars and CollectScalars:
	// the work a GPU runs while the host waits for the values.
	Overlapped int
}

func (d *Deferring) DeferScalars() {
	if d.inFlight {
		panic("computetest: DeferScalars after QueueScalars without CollectScalars")
	}
	d.deferring, d.queued = true, d.queued[:0]
}

func (d *Deferring) QueueScalars() {
	if d.deferring {
		d.deferring, d.inFlight = false, true
	}
}

func (d *Deferring) CollectScalars(dst []float64) []float64 {
	d.QueueScalars()
	if !d.inFlight {
		return dst
	}
	d.inFlight = false
	d.Waits++
	return append(dst, d.queued...)
}

func (d *Deferring) Adam(param, grad, m, v compute.Tensor, s compute.AdamStep) {
	if d.inFlight {
		d.Overlapped++
	}
	d.Backend.Adam(param, grad, m, v, s)
}

func (d *Deferring) scalar(v float64) float64 {
	if !d.deferring {
		return v
	}
	d.queued = append(d.queued, v)
	return 0
}

func (d *Deferring) SoftmaxCrossEntropy(g, z, y compute.Tensor, s float64) float64 {
	return d.scalar(d.Backend.SoftmaxCrossEntropy(g, z, y, s))
}
func (d *Deferring) SquaredError(g, o, y compute.Tensor, s float64) float64 {
	return d.scalar(d.Backend.SquaredError(g, o, y, s))
}
func (d *Deferring) PolarSquaredError(g, o, y compute.Tensor, s float64) float64 {
	return d.scalar(d.Backend.PolarSquaredError(g, o, y, s))
}
func (d *Deferring) SumSquares(x compute.Tensor) float64 {
	return d.scalar(d.Backend.SumSquares(x))
}
func (d *Deferring) ScaleSumSquares(dst compute.Tensor, a float64, src compute.Tensor) float64 {
	return d.scalar(d.Backend.ScaleSumSquares(dst, a, src))
}
func (d *Deferring) Sum(x compute.Tensor) float64 { return d.scalar(d.Backend.Sum(x)) }

// LaneScalars adds compute.LaneScalarer to Deferring, each lane operation as the single
// operation on every lane's column block in turn: the contract that testLaneScalars checks
// the GPU's one-launch versions against, for testing the ensemble's use of it on the CPU.
type LaneScalars struct{ *Deferring }

func (l LaneScalars) lane(x compute.Tensor, k, lanes int) compute.Tensor {
	if x == nil {
		return nil
	}
	w := x.Cols() / lanes
	return l.View(x, 0, k*w, x.Rows(), w)
}

func (l LaneScalars) SoftmaxCrossEntropyLanes(g, z, y compute.Tensor, s float64, lanes int) {
	for k := range lanes {
		l.SoftmaxCrossEntropy(l.lane(g, k, lanes), l.lane(z, k, lanes), l.lane(y, k, lanes), s)
	}
}

func (l LaneScalars) SquaredErrorLanes(g, o, y compute.Tensor, s float64, lanes int) {
	for k := range lanes {
		l.SquaredError(l.lane(g, k, lanes), l.lane(o, k, lanes), l.lane(y, k, lanes), s)
	}
}

func (l LaneScalars) ScaleSumSquaresLanes(dst compute.Tensor, a float64, src compute.Tensor, lanes int) {
	for k := range lanes {
		if dst == nil {
			l.SumSquares(l.lane(src, k, lanes))
		} else {
			l.ScaleSumSquares(l.lane(dst, k, lanes), a, l.lane(src, k, lanes))
		}
	}
}

// operandShapes returns the shapes of A (ar×ac) and B (br×bc) whose op(A)·op(B) is m×k by
// k×n under the transposes tA and tB.
func operandShapes(m, n, k int, tA, tB bool) (ar, ac, br, bc int) {
	ar, ac, br, bc = m, k, k, n
	if tA {
		ar, ac = k, m
	}
	if tB {
		br, bc = n, k
	}
	return ar, ac, br, bc
}

// TestGemmAgainst checks b's products against ref's, which may round differently (TF32
// through two libraries, say): Gemm on views for every transpose and a few shapes, and
// GemmLanes when both have it, each entry within tol of the reference relative to the
// largest magnitude of its result.
func TestGemmAgainst(t *testing.T, b, ref compute.Backend, tol float64) {
	rng := rand.New(rand.NewPCG(15, 16))
	compare := func(name string, got, want []float64) {
		t.Helper()
		scale := 0.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range want {
			if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol*scale {
				t.Errorf("%s: entry %d = %v, reference %v (tolerance %g of %g)", name, i, got[i], want[i], tol, scale)
				return
			}
		}
	}
	for _, tc := range []struct{ m, n, k, lanes int }{{3, 5, 7, 3}, {64, 65, 31, 2}, {200, 48, 64, 4}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				ar, ac, br, bc := operandShapes(tc.m, tc.n, tc.k, tA, tB)
				ha, hb := randHost(rng, ar+1, tc.lanes*ac), randHost(rng, br, tc.lanes*bc+2)
				hc := randHost(rng, tc.m, tc.lanes*tc.n)
				name := fmt.Sprintf("%d×%d×%d tA=%v tB=%v", tc.m, tc.n, tc.k, tA, tB)
				var results [2][2][]float64
				for i, be := range []compute.Backend{b, ref} {
					a := be.View(up(be, ha), 1, 0, ar, tc.lanes*ac)
					bb := be.View(up(be, hb), 0, 2, br, tc.lanes*bc)
					c := up(be, hc)
					first := func(x compute.Tensor, w int) compute.Tensor { return be.View(x, 0, 0, x.Rows(), w) }
					be.Gemm(tA, tB, 0.5, first(a, ac), first(bb, bc), 1, first(c, tc.n))
					results[i][0] = down(be, c)
					if lg, ok := be.(compute.LaneGemmer); ok {
						c := up(be, hc)
						lg.GemmLanes(tA, tB, 1, first(a, ac), first(bb, bc), 0, first(c, tc.n), tc.lanes, ac, bc, tc.n)
						results[i][1] = down(be, c)
					}
				}
				compare("Gemm "+name, results[0][0], results[1][0])
				if results[0][1] != nil && results[1][1] != nil {
					compare(fmt.Sprintf("GemmLanes ×%d %s", tc.lanes, name), results[0][1], results[1][1])
				}
			}
		}
	}
}
