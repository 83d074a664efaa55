package f32

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// expTol is the allowed relative difference between two float32 evaluations of e^(ax+b): each
// exp is within MaxRelErr, and the argument itself may round differently (fused or not), which
// moves the result by up to 2 ulp of the argument's magnitude.
func expTol(ax, b float32) float64 {
	return 2*MaxRelErr + 2*float64(math.Abs(float64(ax))+math.Abs(float64(b)))*0x1p-23
}

func relErr(got float32, want float64) float64 {
	if want == 0 {
		return math.Abs(float64(got))
	}
	return math.Abs(float64(got)-want) / math.Abs(want)
}

// Exp against math.Exp over its whole normal range and densely over [−30, 0], where softmax
// arguments live.
func TestExpAccuracy(t *testing.T) {
	worst, at := 0.0, float32(0)
	check := func(x float32) {
		if e := relErr(Exp(x), math.Exp(float64(x))); e > worst {
			worst, at = e, x
		}
	}
	for x := float32(ExpUnderflow); x <= ExpSaturate; x += 1e-3 {
		check(x)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1_000_000; i++ {
		check(float32(-30 * rng.Float64()))
	}
	t.Logf("max relative error %.3g at x = %g", worst, at)
	if worst > MaxRelErr {
		t.Fatalf("max relative error %.3g at x = %g exceeds MaxRelErr %.3g", worst, at, MaxRelErr)
	}
	if Exp(0) != 1 {
		t.Fatalf("Exp(0) = %g", Exp(0))
	}
	if Exp(-100) != 0 || Exp(float32(math.Inf(-1))) != 0 {
		t.Fatal("Exp below ExpUnderflow is not 0")
	}
	if v := Exp(1000); v <= 2e38 || math.IsInf(float64(v), 0) {
		t.Fatalf("Exp(1000) = %g, want saturation near 2.4e38", v)
	}
	if v := Exp(float32(math.NaN())); v == v {
		t.Fatal("Exp(NaN) is not NaN")
	}
}

// The slice kernels against the Go reference loops, for every tail length around the 8-lane
// vector width and with guard values after dst that must stay untouched.
func TestKernelsMatchGo(t *testing.T) { withEachPath(t, testKernels) }

// withEachPath runs test with the assembly kernels (where the CPU has them) and with the Go
// loops.
func withEachPath(t *testing.T, test func(*testing.T)) {
	for _, asm := range []bool{true, false} {
		if asm && !useAVX2 {
			continue
		}
		saved := useAVX2
		useAVX2 = asm
		test(t)
		useAVX2 = saved
	}
}

func testKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 512, 515} {
		x, y, w := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i], w[i] = float32(2*rng.Float64()-1), float32(2*rng.Float64()-1), float32(-rng.Float64())
		}
		// Inputs must come out unchanged.
		x0, y0 := append([]float32(nil), x...), append([]float32(nil), y...)
		defer func() {
			for i := range x0 {
				if x[i] != x0[i] || y[i] != y0[i] {
					t.Errorf("n=%d: a kernel modified its input at %d", n, i)
					return
				}
			}
		}()
		guard := float32(math.NaN())
		mk := func() []float32 {
			d := make([]float32, n+4)
			for i := range d {
				d[i] = guard
			}
			return d
		}
		checkGuard := func(name string, d []float32) {
			for _, v := range d[n:] {
				if v == v {
					t.Fatalf("%s n=%d: wrote past dst", name, n)
				}
			}
		}

		got, want := mk(), mk()
		s := ExpSum(got[:n], x, -37.5, 1.25)
		sw := expSumGo(want[:n], x, -37.5, 1.25)
		checkGuard("ExpSum", got)
		for i := 0; i < n; i++ {
			if relErr(got[i], float64(want[i])) > expTol(-37.5*x[i], 1.25) {
				t.Fatalf("ExpSum n=%d i=%d: %g vs %g", n, i, got[i], want[i])
			}
		}
		if relErr(s, float64(sw)) > expTol(37.5, 1.25) {
			t.Fatalf("ExpSum n=%d sum %g vs %g", n, s, sw)
		}

		got, want = mk(), mk()
		got2, want2 := mk(), mk()
		for _, m := range []int{1, 2, 3} {
			sE, sI := ExpSumPow(got[:n], got2[:n], x, -3.5, 0.25, m)
			wE, wI := expSumPowGo(want[:n], want2[:n], x, -3.5, 0.25, m)
			checkGuard("ExpSumPow E", got)
			checkGuard("ExpSumPow I", got2)
			tol := expTol(3.5, 0.25) * float64(int(1)<<m)
			for i := 0; i < n; i++ {
				if relErr(got[i], float64(want[i])) > tol || relErr(got2[i], float64(want2[i])) > expTol(3.5, 0.25) {
					t.Fatalf("ExpSumPow n=%d m=%d i=%d: (%g, %g) vs (%g, %g)", n, m, i, got[i], got2[i], want[i], want2[i])
				}
				// Against the direct exponential of the scaled argument.
				direct := math.Exp(float64(int(1)<<m) * (-3.5*float64(x[i]) + 0.25))
				if relErr(got[i], direct) > tol {
					t.Fatalf("ExpSumPow n=%d m=%d i=%d: %g vs e^(2^m·(ax+b)) = %g", n, m, i, got[i], direct)
				}
			}
			if relErr(sE, float64(wE)) > tol || relErr(sI, float64(wI)) > tol {
				t.Fatalf("ExpSumPow n=%d m=%d sums (%g, %g) vs (%g, %g)", n, m, sE, sI, wE, wI)
			}
		}

		got, want = mk(), mk()
		m := Dist2Min(got[:n], x, y, 0.7, -0.3)
		mw := dist2MinGo(want[:n], x, y, 0.7, -0.3)
		checkGuard("Dist2Min", got)
		if math.Abs(float64(m-mw)) > 1e-6 {
			t.Fatalf("Dist2Min n=%d min %g vs %g", n, m, mw)
		}
		for i := 0; i < n; i++ {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("Dist2Min n=%d i=%d: %g vs %g", n, i, got[i], want[i])
			}
		}

		got, want = mk(), mk()
		lo, sum := DiffMinSum(got[:n], x, y, 1.5, 0.5)
		low, sumw := diffMinSumGo(want[:n], x, y, 1.5, 0.5)
		checkGuard("DiffMinSum", got)
		if math.Abs(float64(lo-low)) > 1e-6 || math.Abs(float64(sum-sumw)) > 1e-5*float64(n+1) {
			t.Fatalf("DiffMinSum n=%d: (%g, %g) vs (%g, %g)", n, lo, sum, low, sumw)
		}
		for i := 0; i < n; i++ {
			if got[i] != want[i] && math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("DiffMinSum n=%d i=%d: %g vs %g", n, i, got[i], want[i])
			}
		}

		got, want = mk(), mk()
		AddScale(got[:n], x, 0.25, 3)
		addScaleGo(want[:n], x, 0.25, 3)
		checkGuard("AddScale", got)
		for i := 0; i < n; i++ {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 || math.Abs(float64(got[i])-(float64(x[i])+0.25)*3) > 1e-6 {
				t.Fatalf("AddScale n=%d i=%d: %g vs %g", n, i, got[i], want[i])
			}
		}
		copy(got, x) // in place
		AddScale(got[:n], got[:n], 0.25, 3)
		checkGuard("AddScale in place", got)
		for i := 0; i < n; i++ {
			if got[i] != want[i] && math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("AddScale in place n=%d i=%d: %g vs %g", n, i, got[i], want[i])
			}
		}
	}
}

func BenchmarkExpSum512(b *testing.B) {
	x, dst := make([]float32, 512), make([]float32, 512)
	for i := range x {
		x[i] = -float32(i) / 50
	}
	for b.Loop() {
		ExpSum(dst, x, 1, 0)
	}
}

// BenchmarkExpSumPow512 is one DoS row (512 cells, σ ratio 2): arguments down to −80 as in a
// 2.2 m box with σ_I = 0.24 m.
func BenchmarkExpSumPow512(b *testing.B) {
	x, e, i := make([]float32, 512), make([]float32, 512), make([]float32, 512)
	for k := range x {
		x[k] = -80 * float32(k) / 512
	}
	for b.Loop() {
		ExpSumPow(e, i, x, 1, 0, 2)
	}
}

// TestExpNaN: a NaN argument gives NaN on both paths, and so does every sum it enters. The
// AVX2 clamp to the upper limit returned the limit for NaN (VMINPS returns its second
// source), so a NaN logit became e^88.7 ≈ 2.4e38 and the softmax went on with finite values.
func TestExpNaN(t *testing.T) { withEachPath(t, testExpNaN) }

func testExpNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, n := range []int{1, 8, 9, 17, 33} {
		for _, at := range []int{0, n / 2, n - 1} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(i) * 0.1
			}
			x[at] = nan
			d := make([]float32, n)
			if s := ExpSum(d, x, 1, 0); !isNaN32(s) || !isNaN32(d[at]) {
				t.Errorf("avx2=%v n %d, NaN at %d: ExpSum %v, e %v; want NaN", useAVX2, n, at, s, d[at])
			}
			dI := make([]float32, n)
			if sE, sI := ExpSumPow(d, dI, x, 1, 0, 2); !isNaN32(sE) || !isNaN32(sI) {
				t.Errorf("avx2=%v n %d, NaN at %d: ExpSumPow %v, %v; want NaN", useAVX2, n, at, sE, sI)
			}
		}
	}
}

func isNaN32(v float32) bool { return v != v }

// TestMinReductionsSkipNaN: the minima of Dist2Min, DiffMinSum and Dist2ExpPowSum skip a NaN
// element, on both paths, wherever it falls (each vector lane and accumulator of the kernels'
// unrolled loops, and the Go tail), and agree bit for bit with the minimum of the other
// elements that the same call wrote. Before, the kernels' VMINPS operand order let a NaN replace
// the running minimum, and the next element replace the NaN, so the result could be any
// element: random data puts the true minimum in every lane, which a monotone row did not.
func TestMinReductionsSkipNaN(t *testing.T) { withEachPath(t, testMinReductionsSkipNaN) }

func testMinReductionsSkipNaN(t *testing.T) {
	nan := float32(math.NaN())
	rng := rand.New(rand.NewPCG(11, 12))
	// minOthers is the minimum of d without element at (comparisons skip nothing else: d has
	// no other NaN).
	minOthers := func(d []float32, at int) float32 {
		m := float32(math.Inf(1))
		for i, v := range d {
			if i != at && v < m {
				m = v
			}
		}
		return m
	}
	for n := 1; n <= 80; n++ {
		px, py := make([]float32, n), make([]float32, n)
		for i := range px {
			px[i], py[i] = float32(2*rng.Float64()-1), float32(2*rng.Float64()-1)
		}
		d, dE, dI := make([]float32, n), make([]float32, n), make([]float32, n)
		for at := range n {
			x := slices.Clone(px)
			x[at] = nan
			got := Dist2Min(d, x, py, 0.1, -0.2)
			if want := minOthers(d, at); got != want || !isNaN32(d[at]) {
				t.Fatalf("avx2=%v n %d, NaN at %d: Dist2Min %v (dst %v), want %v (dst NaN)", useAVX2, n, at, got, d[at], want)
			}
			// The same squared distances, computed the same way on this path.
			if _, _, dm := Dist2ExpPowSum(dE, dI, x, py, 0.1, -0.2, 1, 0, 2); dm != got {
				t.Fatalf("avx2=%v n %d, NaN at %d: Dist2ExpPowSum's minimum %v, want %v", useAVX2, n, at, dm, got)
			}
			lo, sum := DiffMinSum(d, x, py, 2, 1)
			if want := minOthers(d, at); lo != want || !isNaN32(sum) {
				t.Fatalf("avx2=%v n %d, NaN at %d: DiffMinSum min %v sum %v, want %v and NaN", useAVX2, n, at, lo, sum, want)
			}
		}
		// Every element NaN: nothing to take the minimum of, +Inf as for an empty slice.
		all, d, dI := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range all {
			all[i] = nan
		}
		inf := float32(math.Inf(1))
		lo, _ := DiffMinSum(d, all, all, 1, 1)
		_, _, dm := Dist2ExpPowSum(d, dI, all, all, 0, 0, 1, 0, 2)
		if m, mm := Dist2Min(d, all, all, 0, 0), Min(all); m != inf || lo != inf || dm != inf || mm != inf {
			t.Errorf("avx2=%v n %d, all NaN: Dist2Min %v, DiffMinSum %v, Dist2ExpPowSum %v, Min %v; want +Inf", useAVX2, n, m, lo, dm, mm)
		}
	}
}
