package f32

import "math"

// Dist2ExpPowSum is the first of three passes over the cells that compute one row of a
// difference-of-softmaxes place code (spec §2.2), all in L1: the surround and centre
// exponentials g_I, g_E and their sums; then, once the softmax weights are known, DiffMinSum
// z = w_E·g_E − w_I·g_I with its minimum and sum, and AddScale the shifted and normalised row.
//
// The exponential works in base 2, which saves the natural-log range reduction of Exp: with
// n = round(t) and f = t − n ∈ [−½, ½] (exact in float32), 2^t = 2^n·p(f) with p a degree-5
// polynomial, and the product with 2^n is an integer add to the exponent bits. Together with
// the split passes of the assembly kernel this made a 512-cell row 1.6× faster than the
// Cephes-based kernel it replaces on the reference machine (BenchmarkDoSRow/exp, one core).

const (
	// Exp2MaxRelErr bounds the relative error of the base-2 exponential of these kernels against
	// 2^t for t in [exp2Underflow, 127]: 1.7e-7 measured for the FMA evaluation over every
	// float32 f in [−½, ½] (TestExp2Accuracy re-measures it densely, scalar and vector).
	Exp2MaxRelErr = 2.5e-7

	// exp2Underflow is the smallest exponent t whose 2^t the kernels return; below it they return
	// 0 (2^−125 ≈ 2.4e-38), never a subnormal, whose arithmetic takes a slow microcode path.
	exp2Underflow = -125

	// Coefficients of p(f) ≈ 2^f on [−½, ½], lowest degree first: the relative-error minimax
	// polynomial of degree 5 (Remez, max error 7.5e-8 in exact arithmetic), rounded to float32
	// with p(0) = 1 exactly and then tuned by a search over the last bits of c1…c5 for the
	// smallest error of the float32 Horner evaluation with FMA (1.7e-7, against 2.2e-7 rounded).
	exp2C0 = 1
	exp2C1 = 0x1.62e42ap-01
	exp2C2 = 0x1.ebf966p-03
	exp2C3 = 0x1.c6b6fp-05
	exp2C4 = 0x1.3d0c4ep-07
	exp2C5 = 0x1.5c08eep-10
)

// exp2 returns 2^t with relative error ≤ Exp2MaxRelErr for t in [exp2Underflow, 127], 0 below
// exp2Underflow; larger t gives an unspecified result (the callers' exponents are ≤ 0). The
// kernels compute the same steps on 8 lanes at once.
func exp2(t float32) float32 {
	if t != t {
		return t
	}
	if t < exp2Underflow {
		return 0
	}
	n := float32(math.RoundToEven(float64(t)))
	f := t - n // exact: n is the integer nearest t
	p := float32(exp2C5)
	p = float32(p*f) + exp2C4 // the conversions round as the kernels do, fused or not
	p = float32(p*f) + exp2C3
	p = float32(p*f) + exp2C2
	p = float32(p*f) + exp2C1
	p = float32(p*f) + exp2C0
	return math.Float32frombits(math.Float32bits(p) + uint32(int32(n))<<23)
}

// squareFloor returns the smallest exponent t whose 2^t the kernels square m times: below it
// the squares would fall below 2^−125, the threshold exp2 applies to its own result, and they
// are set to 0 first rather than become subnormal.
func squareFloor(m int) float32 { return exp2Underflow / float32(int(1)<<m) }

// Dist2ExpPowSum computes the centre and surround exponentials of one place-cell row: with
// d_i² the squared distance from (x, y) to point i, it sets dstI[i] = e^(a·(s − d_i²)) and
// dstE[i] = dstI[i]^(2^squarings), and returns Σ dstE, Σ dstI and min d_i² (+Inf when empty),
// without storing d². Relative errors are ≤ Exp2MaxRelErr (times 2^squarings for dstE) plus the
// rounding of the exponent; values below 2^−125 are 0. The shift s is subtracted before
// scaling, so that d_i² = s gives exactly 1, as a softmax shifted by its maximum does; the
// exponents a·(s − d_i²) must be ≤ 88 (a ≥ 0 and s ≤ min d_i² make them ≤ 0). squarings must
// be in [1, 4].
//
// It serves codes whose surround-to-centre variance ratio σ_I²/σ_E² is 2^squarings:
// e^(−d²/(2σ_E²)) = (e^(−d²/(2σ_I²)))^(2^m), one exponential and m squarings instead of two
// exponentials (σ ratio 2 gives m = 2).
// A NaN point gives NaN exponentials and sums and is skipped in the minimum, as in Dist2Min.
func Dist2ExpPowSum(dstE, dstI, px, py []float32, x, y, a, s float32, squarings int) (sE, sI, d2min float32) {
	n := len(dstE)
	if len(dstI) != n || len(px) != n || len(py) != n {
		panic("f32: Dist2ExpPowSum length mismatch")
	}
	if squarings < 1 || squarings > 4 {
		panic("f32: Dist2ExpPowSum squarings outside [1, 4]")
	}
	return dist2ExpPowSum(dstE, dstI, px, py, x, y, a*log2e, s, squarings)
}

// Prefetch asks the cache for the lines of x ahead of their use, without changing x. Encode
// calls it on the output of a row it computes two rows later: that row's stores then find
// their lines in cache instead of each waiting for memory (about 10% of a DoS batch on the
// reference machine, whose 8 MB output does not stay in cache).
func Prefetch(x []float32) { prefetch(x) }

// The pure-Go loops below are the reference semantics of the kernels and their fallback.

// dist2ExpPowSumGo takes k = a·log2(e): the exponents are t = (s − d²)·k in base 2.
func dist2ExpPowSumGo(dstE, dstI, px, py []float32, x, y, k, s float32, squarings int) (sE, sI, d2min float32) {
	d2min = float32(math.Inf(1))
	floor := squareFloor(squarings)
	dstI, px, py = dstI[:len(dstE)], px[:len(dstE)], py[:len(dstE)]
	for i := range dstE {
		dx, dy := x-px[i], y-py[i]
		d := dx*dx + dy*dy
		if d < d2min { // a NaN is skipped, as the kernel's VMINPS order skips it
			d2min = d
		}
		t := (s - d) * k
		e := exp2(t)
		dstI[i] = e
		sI += e
		if t < floor {
			e = 0
		}
		for range squarings {
			e *= e
		}
		dstE[i] = e
		sE += e
	}
	return sE, sI, d2min
}
