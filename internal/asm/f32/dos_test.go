package f32

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The base-2 exponential, scalar and vector, against math.Exp2 over its whole range and densely
// over [−40, 0], where a DoS row's exponents live. The vector one is read through
// dist2ExpPowSum with k = 1 and one coordinate 0, whose exponent −px² rounds as in Go.
func TestExp2Accuracy(t *testing.T) {
	var ts []float32
	for v := float32(exp2Underflow); v <= 127; v += 1.0 / 1024 {
		ts = append(ts, v)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 1 << 20 {
		ts = append(ts, float32(-40*rng.Float64()))
	}
	worst, at := 0.0, float32(0)
	for _, v := range ts {
		if e := relErr(exp2(v), math.Exp2(float64(v))); e > worst {
			worst, at = e, v
		}
	}
	t.Logf("exp2: max relative error %.3g at t = %g", worst, at)
	if worst > Exp2MaxRelErr {
		t.Errorf("exp2: max relative error %.3g at t = %g exceeds Exp2MaxRelErr %.3g", worst, at, Exp2MaxRelErr)
	}
	for _, c := range []struct{ t, want float32 }{
		{0, 1}, {-1, 0.5}, {3, 8}, {exp2Underflow, 0x1p-125}, {exp2Underflow - 1e-3, 0}, {-1e10, 0}, {float32(math.Inf(-1)), 0},
	} {
		if got := exp2(c.t); got != c.want {
			t.Errorf("exp2(%g) = %g, want %g", c.t, got, c.want)
		}
	}
	if v := exp2(float32(math.NaN())); v == v {
		t.Error("exp2(NaN) is not NaN")
	}
	if !useAVX2 {
		return
	}
	// The vector exponential: px = √(−t) over t ∈ [−125, 0], x = y = py = 0.
	var px []float32
	for _, v := range ts {
		if v <= 0 {
			px = append(px, float32(math.Sqrt(-float64(v))))
		}
	}
	py := make([]float32, len(px))
	gE, gI := make([]float32, len(px)), make([]float32, len(px))
	dist2ExpPowSum(gE, gI, px, py, 0, 0, 1, 0, 1)
	worst = 0
	for i, p := range px {
		tt := -float64(p * p)
		if tt < exp2Underflow {
			continue
		}
		if e := relErr(gI[i], math.Exp2(tt)); e > worst {
			worst, at = e, float32(tt)
		}
	}
	t.Logf("vector exp2: max relative error %.3g at t = %g", worst, at)
	if worst > Exp2MaxRelErr {
		t.Errorf("vector exp2: max relative error %.3g at t = %g exceeds Exp2MaxRelErr %.3g", worst, at, Exp2MaxRelErr)
	}
}

// The DoS kernels against the Go reference loops and float64, with and without the assembly.
func TestDoSKernelsMatchGo(t *testing.T) { withEachPath(t, testDoSKernels) }

func testDoSKernels(t *testing.T) {
	// Lengths around the kernels' blocks: four 8-lane vectors per step (32), single vectors (8),
	// and the Go tail (< 8), alone and combined.
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 47, 56, 63, 64, 65, 512, 515} {
		px, py := make([]float32, n), make([]float32, n)
		for i := range px {
			px[i], py[i] = float32(2.2*rng.Float64()-1.1), float32(2.2*rng.Float64()-1.1)
		}
		px0, py0 := append([]float32(nil), px...), append([]float32(nil), py...)
		mk := func() []float32 {
			d := make([]float32, n+4)
			for i := range d {
				d[i] = float32(math.NaN())
			}
			return d
		}
		checkGuard := func(name string, d []float32) {
			t.Helper()
			for _, v := range d[n:] {
				if v == v {
					t.Fatalf("%s n=%d: wrote past dst", name, n)
				}
			}
		}
		const x, y = 0.7, -0.3
		for _, sq := range []int{1, 2, 3, 4} {
			// a = 50: exponents down to −50·log2(e)·8 ≈ −577, which covers both flushes to 0.
			const a = 50
			gE, gI, wE, wI := mk(), mk(), mk(), mk()
			sE, sI, dm := Dist2ExpPowSum(gE[:n], gI[:n], px, py, x, y, a, 0, sq)
			rE, rI, rm := dist2ExpPowSumGo(wE[:n], wI[:n], px, py, x, y, a*log2e, 0, sq)
			checkGuard("Dist2ExpPowSum E", gE)
			checkGuard("Dist2ExpPowSum I", gI)
			pow := float64(int(1) << sq)
			for i := 0; i < n; i++ {
				dx, dy := x-float64(px[i]), y-float64(py[i])
				direct := math.Exp(-a * (dx*dx + dy*dy))
				tol := expTol(float32(a*(dx*dx+dy*dy)), 0)
				if direct > 0x1p-125 && relErr(gI[i], direct) > tol || relErr(gI[i], float64(wI[i])) > tol {
					t.Fatalf("Dist2ExpPowSum n=%d i=%d: e_I %g, Go %g, float64 %g", n, i, gI[i], wI[i], direct)
				}
				pw := math.Pow(direct, pow)
				if pw > 0x1p-124 && relErr(gE[i], pw) > tol*pow || relErr(gE[i], float64(wE[i])) > tol*pow {
					t.Fatalf("Dist2ExpPowSum n=%d sq=%d i=%d: e_E %g, Go %g, float64 %g", n, sq, i, gE[i], wE[i], pw)
				}
				for _, v := range []float32{gE[i], gI[i]} {
					if v != 0 && v < 0x1p-126 {
						t.Fatalf("Dist2ExpPowSum n=%d sq=%d i=%d: subnormal %g", n, sq, i, v)
					}
				}
			}
			tol := expTol(a*8, 0) * pow
			if relErr(sE, float64(rE)) > tol || relErr(sI, float64(rI)) > tol || math.Abs(float64(dm-rm)) > 1e-6 {
				t.Fatalf("Dist2ExpPowSum n=%d sq=%d: (%g, %g, %g) vs (%g, %g, %g)", n, sq, sE, sI, dm, rE, rI, rm)
			}
			// Shifted by the smallest d², the nearest point gives exactly 1 and nothing exceeds 1.
			if n > 0 {
				Dist2ExpPowSum(gE[:n], gI[:n], px, py, x, y, a, dm, sq)
				one := false
				for i := 0; i < n; i++ {
					one = one || gI[i] == 1 && gE[i] == 1
					if gI[i] > 1 || gE[i] > 1 {
						t.Fatalf("Dist2ExpPowSum shifted n=%d i=%d: (%g, %g) > 1", n, i, gE[i], gI[i])
					}
				}
				if !one {
					t.Fatalf("Dist2ExpPowSum shifted n=%d: no exact 1 at the nearest point", n)
				}
			}
		}

		for i := range px {
			if px[i] != px0[i] || py[i] != py0[i] {
				t.Fatalf("n=%d: a kernel modified its input at %d", n, i)
			}
		}
	}
}

// Prefetch is only a hint: it must leave x unchanged and accept any length.
func TestPrefetch(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 512, 515} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i)
		}
		Prefetch(x)
		for i, v := range x {
			if v != float32(i) {
				t.Fatalf("n=%d: Prefetch changed x[%d] to %g", n, i, v)
			}
		}
	}
}

// BenchmarkDoSRow is one row of the NFL DoS code (spec §2.2: Np 512, σ_E 0.12 m, σ ratio 2 so two
// squarings, softmax weights), the three passes encode runs per position.
func BenchmarkDoSRow(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, sigmaI = 512, 0.24
	px, py := make([]float32, n), make([]float32, n)
	for i := range px {
		px[i], py[i] = float32(2.2*rng.Float64()-1.1), float32(2.2*rng.Float64()-1.1)
	}
	gE, gI, row := make([]float32, n), make([]float32, n), make([]float32, n)
	b.Run("exp", func(b *testing.B) {
		for b.Loop() {
			Dist2ExpPowSum(gE, gI, px, py, 0.3, -0.2, 1/(2*sigmaI*sigmaI), 0, 2)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/cell")
	})
	sE, sI, _ := Dist2ExpPowSum(gE, gI, px, py, 0.3, -0.2, 1/(2*sigmaI*sigmaI), 0, 2)
	b.Run("min", func(b *testing.B) {
		for b.Loop() {
			DiffMinSum(row, gE, gI, 1/sE, 1/sI)
		}
	})
	b.Run("addscale", func(b *testing.B) {
		for b.Loop() {
			AddScale(row, row, 1e-3, 1.5)
		}
	})
}

// NearestField matches its Go loop bit for bit at every tail length, with ties (e equal to
// the best so far: the old field stays), +Inf starting values and NaN centres (never taken).
func TestNearestField(t *testing.T) { withEachPath(t, testNearestField) }

func testNearestField(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 17, 31, 512, 515} {
		bE, bI := make([]float32, n), make([]float32, n)
		cx, cy, hE, hI := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range bE {
			cx[i], cy[i] = float32(2.2*rng.Float64()-1.1), float32(2.2*rng.Float64()-1.1)
			hE[i], hI[i] = float32(1/(2*0.1*0.1)*(0.5+rng.Float64())), float32(1/(2*0.2*0.2)*(0.5+rng.Float64()))
			switch i % 5 {
			case 0:
				bE[i] = float32(math.Inf(1))
			case 1:
				cx[i] = float32(math.NaN())
			default:
				bE[i] = float32(10 * rng.Float64())
			}
			bI[i] = float32(rng.Float64())
		}
		const x, y = 0.3, -0.2
		if n > 3 {
			// A tie: bE[3] equals the value this field gives.
			dx, dy := x-cx[3], y-cy[3]
			bE[3] = (dx*dx + dy*dy) * hE[3]
		}
		wE, wI := append([]float32(nil), bE...), append([]float32(nil), bI...)
		nearestFieldGo(wE, wI, cx, cy, hE, hI, x, y)
		NearestField(bE, bI, cx, cy, hE, hI, x, y)
		for i := range bE {
			if math.Float32bits(bE[i]) != math.Float32bits(wE[i]) || math.Float32bits(bI[i]) != math.Float32bits(wI[i]) {
				t.Fatalf("avx2=%v n=%d i=%d: %g, %g; want %g, %g", useAVX2, n, i, bE[i], bI[i], wE[i], wI[i])
			}
		}
		if n > 3 && bI[3] != wI[3] {
			t.Fatalf("tie at 3 replaced the old field")
		}
	}
}

// Min matches its Go loop at every length around the vector widths, with NaNs skipped.
func TestMin(t *testing.T) { withEachPath(t, testMin) }

func testMin(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 512, 515} {
		for trial := range 20 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(100 * rng.Float64())
				if i%7 == 3 {
					x[i] = float32(math.NaN())
				}
			}
			if n > 0 && trial%2 == 0 {
				x[rng.IntN(n)] = -1 // the minimum somewhere, in any lane and accumulator
			}
			if got, want := Min(x), minGo(x); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("avx2=%v n=%d trial %d: Min = %g; want %g", useAVX2, n, trial, got, want)
			}
		}
	}
}

// TestDoSNaN: a NaN point gives NaN exponentials in its dst elements and NaN sums on both
// paths, and is skipped in the minimum distance, as in Dist2Min.
func TestDoSNaN(t *testing.T) { withEachPath(t, testDoSNaN) }

func testDoSNaN(t *testing.T) {
	for _, n := range []int{1, 8, 9, 17, 33, 40} {
		for _, at := range []int{0, n / 2, n - 1} {
			px, py := make([]float32, n), make([]float32, n)
			for i := range px {
				px[i], py[i] = float32(i-n/2)*0.25+0.1, 0.5
			}
			px[at] = float32(math.NaN())
			want := float32(math.Inf(1))
			for i := range px {
				if i != at {
					want = min(want, px[i]*px[i]+py[i]*py[i])
				}
			}
			e, i := make([]float32, n), make([]float32, n)
			sE, sI, m := Dist2ExpPowSum(e, i, px, py, 0, 0, 1, 0.26, 2)
			if m != want || !isNaN32(sE) || !isNaN32(sI) || !isNaN32(e[at]) || !isNaN32(i[at]) {
				t.Errorf("avx2=%v n %d, NaN at %d: min %v, sums %v %v, e %v %v; want min %v and NaNs",
					useAVX2, n, at, m, sE, sI, e[at], i[at], want)
			}
		}
	}
}
