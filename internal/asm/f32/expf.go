package f32

import "math"

const (
	// MaxRelErr bounds the relative error of Exp (and the slice kernels' exponentials) against
	// the correctly rounded e^x over [ExpUnderflow, ExpSaturate]. Cephes reports 1.7e-7 for
	// this polynomial; the test measures it.
	MaxRelErr = 2.5e-7
	// ExpUnderflow is −125·ln 2: below it (e^x < 2^-125 ≈ 2.4e-38) the kernels return 0. Never
	// producing subnormals matters for speed: arithmetic on them takes a slow microcode path
	// (tens of times slower per vector on the reference machine).
	ExpUnderflow = -86.64339
	// tinySquare is the smallest value ExpSumPow squares; smaller ones would square to a
	// subnormal and are set to 0 first.
	tinySquare = 0x1p-63
	// ExpSaturate is the largest argument reduced with n ≤ 127 (just below 127.5·ln2), so
	// that 2^n stays a normal float32.
	ExpSaturate = 88.37626

	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375     // high part of ln 2, exactly representable with few bits (Cephes C1)
	ln2Lo  = -2.12194440e-4  // ln 2 − ln2Hi (Cephes C2)
	magic  = 12582912        // 1.5·2^23: adding it rounds a float32 to an integer (ties to even)
	expP0  = 1.9875691500e-4 // Cephes expf minimax coefficients, highest degree first
	expP1  = 1.3981999507e-3
	expP2  = 8.3334519073e-3
	expP3  = 4.1665795894e-2
	expP4  = 1.6666665459e-1
	expP5  = 5.0000001201e-1
	expOne = 1
)

// Exp returns e^x in float32 with relative error ≤ MaxRelErr (see the package comment for the
// range). It is about as accurate as float32(math.Exp(float64(x))) and several times faster.
func Exp(x float32) float32 {
	if x != x {
		return x
	}
	if x < ExpUnderflow {
		return 0
	}
	if x > ExpSaturate {
		x = ExpSaturate
	}
	// n = round(x·log2e); the conversions stop the compiler from fusing, so the rounding
	// happens exactly as in the vector kernel.
	t := float32(float32(x*log2e) + magic)
	n := t - magic
	r := float32(x - float32(n*ln2Hi))
	r = float32(r - float32(n*ln2Lo))
	p := float32(expP0)
	p = p*r + expP1
	p = p*r + expP2
	p = p*r + expP3
	p = p*r + expP4
	p = p*r + expP5
	y := p*(r*r) + r + expOne
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// UseAssembly switches the assembly kernels on (where the CPU runs them) or off, and
// returns whether they were on. Tests of the packages built on f32 use it to run their
// checks on the Go loops as well; it must not be called while kernels run.
func UseAssembly(on bool) (was bool) {
	was = useAVX2
	useAVX2 = on && haveAVX2
	return was
}

// ExpSum sets dst[i] = e^(a·x[i] + b) and returns Σ dst[i]. With b = −a·max(x) it is the
// numerator of a softmax of a·x.
func ExpSum(dst, x []float32, a, b float32) float32 {
	if len(dst) != len(x) {
		panic("f32: ExpSum length mismatch")
	}
	return expSum(dst, x, a, b)
}

// ExpSumPow sets dstI[i] = e^(a·x[i] + b) and dstE[i] = dstI[i]^(2^squarings), returning
// Σ dstE and Σ dstI. It computes a pair of exponentials whose scales differ by a power of two,
// e^(2^m·a·x) = (e^(a·x))^(2^m), with one exp and m squarings: the centre and surround of a
// place cell whose variance ratio σ_I²/σ_E² is 2^m (σ ratio 2 gives m = 2). Each squaring doubles
// the relative error, so it stays below 2^m·MaxRelErr. squarings must be in [1, 4].
func ExpSumPow(dstE, dstI, x []float32, a, b float32, squarings int) (sE, sI float32) {
	if len(dstE) != len(x) || len(dstI) != len(x) {
		panic("f32: ExpSumPow length mismatch")
	}
	if squarings < 1 || squarings > 4 {
		panic("f32: ExpSumPow squarings outside [1, 4]")
	}
	return expSumPow(dstE, dstI, x, a, b, squarings)
}

// Dist2Min sets dst[i] = (x − px[i])² + (y − py[i])², the squared distance from (x, y) to
// point i, and returns min dst[i] (+Inf when empty).
//
// Place codes use the distance itself rather than the dot-product form −|x−c|²/2 =
// x·c − |c|²/2 − |x|²/2: that form is one vector op cheaper but cancels terms of size |x|² in
// float32, an exponent error of ≈ε|x|²/σ² (1e-3 relative at σ = 1 cm in a 2.2 m box).
//
// A NaN distance (a NaN point) is skipped in the minimum, as in Min; its dst element is NaN.
func Dist2Min(dst, px, py []float32, x, y float32) float32 {
	if len(px) != len(dst) || len(py) != len(dst) {
		panic("f32: Dist2Min length mismatch")
	}
	return dist2Min(dst, px, py, x, y)
}

// DiffMinSum sets dst[i] = a·x[i] − b·y[i] and returns min dst[i] (+Inf when empty) and Σ dst[i].
// NaNs are skipped in the minimum, as in Min, and carried by the sum. Between +0 and −0 the
// minimum may be either. (Package encode gives non-finite positions NaN rows before they get
// here; the rule is for callers that do not.)
func DiffMinSum(dst, x, y []float32, a, b float32) (lo, sum float32) {
	if len(x) != len(dst) || len(y) != len(dst) {
		panic("f32: DiffMinSum length mismatch")
	}
	return diffMinSum(dst, x, y, a, b)
}

// AddScale sets dst[i] = (x[i] + add)·mul; dst and x may be the same slice.
func AddScale(dst, x []float32, add, mul float32) {
	if len(x) != len(dst) {
		panic("f32: AddScale length mismatch")
	}
	addScale(dst, x, add, mul)
}

// NearestField folds one more field into a nearest-field search (spec §2.1): for each i,
// with d² = (x−cx[i])² + (y−cy[i])², if d²·hE[i] < bE[i] then bE[i] = d²·hE[i] and
// bI[i] = d²·hI[i]. All slices have len(bE) elements; NaNs never replace.
func NearestField(bE, bI, cx, cy, hE, hI []float32, x, y float32) {
	n := len(bE)
	if len(bI) != n || len(cx) != n || len(cy) != n || len(hE) != n || len(hI) != n {
		panic("f32: NearestField length mismatch")
	}
	nearestField(bE, bI, cx, cy, hE, hI, x, y)
}

// Min returns the smallest element of x, +Inf for an empty x. NaNs are skipped (a NaN never
// compares smaller). Between +0 and −0 it may return either.
func Min(x []float32) float32 { return minimum(x) }

// The pure-Go loops below are the reference semantics of the kernels and their fallback.

func expSumGo(dst, x []float32, a, b float32) float32 {
	var s float32
	x = x[:len(dst)]
	for i, v := range x {
		e := Exp(a*v + b)
		dst[i] = e
		s += e
	}
	return s
}

func expSumPowGo(dstE, dstI, x []float32, a, b float32, squarings int) (sE, sI float32) {
	x, dstI = x[:len(dstE)], dstI[:len(dstE)]
	for i, v := range x {
		e := Exp(a*v + b)
		dstI[i] = e
		sI += e
		for range squarings {
			if e < tinySquare {
				e = 0
			}
			e *= e
		}
		dstE[i] = e
		sE += e
	}
	return sE, sI
}

func dist2MinGo(dst, px, py []float32, x, y float32) float32 {
	m := float32(math.Inf(1))
	px, py = px[:len(dst)], py[:len(dst)]
	for i := range dst {
		dx, dy := x-px[i], y-py[i]
		d := dx*dx + dy*dy
		dst[i] = d
		if d < m { // not min(m, d): a NaN is skipped, as the kernel's VMINPS order skips it
			m = d
		}
	}
	return m
}

func diffMinSumGo(dst, x, y []float32, a, b float32) (lo, sum float32) {
	lo = float32(math.Inf(1))
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		d := a*x[i] - b*y[i]
		dst[i] = d
		sum += d
		if d < lo {
			lo = d
		}
	}
	return lo, sum
}

func nearestFieldGo(bE, bI, cx, cy, hE, hI []float32, x, y float32) {
	n := len(bE)
	bI, cx, cy, hE, hI = bI[:n], cx[:n], cy[:n], hE[:n], hI[:n]
	for i := range bE {
		dx, dy := x-cx[i], y-cy[i]
		d2 := dx*dx + dy*dy
		if e := d2 * hE[i]; e < bE[i] {
			bE[i], bI[i] = e, d2*hI[i]
		}
	}
}

func minGo(x []float32) float32 {
	m := float32(math.Inf(1))
	for _, v := range x {
		if v < m {
			m = v
		}
	}
	return m
}

func addScaleGo(dst, x []float32, add, mul float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = (v + add) * mul
	}
}
