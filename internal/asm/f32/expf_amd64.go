//go:build !noasm && !purego

package f32

import "golang.org/x/sys/cpu"

// haveAVX2 says whether the CPU runs the assembly kernels; useAVX2 selects them, and tests
// turn it off to check the fallback (UseAssembly).
var (
	haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	useAVX2  = haveAVX2
)

// expSumAVX2 is expSumGo over n elements, n a multiple of 8:
//
//	for i := range n { dst[i] = Exp(a*x[i] + b); s += dst[i] }
//
//go:noescape
func expSumAVX2(dst, x *float32, n int, a, b float32) float32

// expSumPowAVX2 is expSumPowGo over n elements, n a multiple of 8, squarings ≥ 1:
//
//	for i := range n { e := Exp(a*x[i] + b); dstI[i] = e; sI += e; for range squarings { if e < 2^-63 { e = 0 }; e *= e }; dstE[i] = e; sE += e }
//
//go:noescape
func expSumPowAVX2(dstE, dstI, x *float32, n int, a, b float32, squarings int) (sE, sI float32)

// dist2MinAVX2 is dist2MinGo over n elements, n a multiple of 8:
//
//	for i := range n { dst[i] = (x-px[i])² + (y-py[i])²; m = min(m, dst[i]) }
//
//go:noescape
func dist2MinAVX2(dst, px, py *float32, n int, x, y float32) float32

// diffMinSumAVX2 is diffMinSumGo over n elements, n a multiple of 8:
//
//	for i := range n { dst[i] = a*x[i] - b*y[i]; lo = min(lo, dst[i]); sum += dst[i] }
//
//go:noescape
func diffMinSumAVX2(dst, x, y *float32, n int, a, b float32) (lo, sum float32)

// addScaleAVX2 is addScaleGo over n elements, n a multiple of 8:
//
//	for i := range n { dst[i] = (x[i] + add) * mul }
//
//go:noescape
func addScaleAVX2(dst, x *float32, n int, add, mul float32)

// nearestFieldAVX2 is nearestFieldGo over n elements, n a multiple of 8, with a compare
// and two blends in place of the branch (the same results: d² without FMA, as Go computes
// it on amd64).
//
//go:noescape
func nearestFieldAVX2(bE, bI, cx, cy, hE, hI *float32, n int, x, y float32)

// minAVX2 is minGo over n elements, n a multiple of 8: four running minima of 8 lanes from
// +Inf, each updated as m = x < m ? x : m, then combined.
//
//go:noescape
func minAVX2(x *float32, n int) float32

// Each wrapper runs the vector kernel on the largest multiple of 8 and the Go loop on the tail.

func expSum(dst, x []float32, a, b float32) float32 {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		return expSumGo(dst, x, a, b)
	}
	s := expSumAVX2(&dst[0], &x[0], n, a, b)
	return s + expSumGo(dst[n:], x[n:], a, b)
}

func expSumPow(dstE, dstI, x []float32, a, b float32, squarings int) (sE, sI float32) {
	n := len(dstE) &^ 7
	if !useAVX2 || n == 0 {
		return expSumPowGo(dstE, dstI, x, a, b, squarings)
	}
	sE, sI = expSumPowAVX2(&dstE[0], &dstI[0], &x[0], n, a, b, squarings)
	tE, tI := expSumPowGo(dstE[n:], dstI[n:], x[n:], a, b, squarings)
	return sE + tE, sI + tI
}

func dist2Min(dst, px, py []float32, x, y float32) float32 {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		return dist2MinGo(dst, px, py, x, y)
	}
	m := dist2MinAVX2(&dst[0], &px[0], &py[0], n, x, y)
	return min(m, dist2MinGo(dst[n:], px[n:], py[n:], x, y))
}

func diffMinSum(dst, x, y []float32, a, b float32) (lo, sum float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		return diffMinSumGo(dst, x, y, a, b)
	}
	lo, sum = diffMinSumAVX2(&dst[0], &x[0], &y[0], n, a, b)
	tlo, tsum := diffMinSumGo(dst[n:], x[n:], y[n:], a, b)
	return min(lo, tlo), sum + tsum
}

func addScale(dst, x []float32, add, mul float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		addScaleGo(dst, x, add, mul)
		return
	}
	addScaleAVX2(&dst[0], &x[0], n, add, mul)
	addScaleGo(dst[n:], x[n:], add, mul)
}

func nearestField(bE, bI, cx, cy, hE, hI []float32, x, y float32) {
	n := len(bE) &^ 7
	if !useAVX2 || n == 0 {
		nearestFieldGo(bE, bI, cx, cy, hE, hI, x, y)
		return
	}
	nearestFieldAVX2(&bE[0], &bI[0], &cx[0], &cy[0], &hE[0], &hI[0], n, x, y)
	nearestFieldGo(bE[n:], bI[n:], cx[n:], cy[n:], hE[n:], hI[n:], x, y)
}

func minimum(x []float32) float32 {
	n := len(x) &^ 7
	if !useAVX2 || n == 0 {
		return minGo(x)
	}
	m, t := minAVX2(&x[0], n), minGo(x[n:])
	if t < m {
		m = t
	}
	return m
}
