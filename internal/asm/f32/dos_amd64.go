//go:build !noasm && !purego

package f32

// dist2ExpPowSumAVX2 is dist2ExpPowSumGo over n elements, n a multiple of 8, squarings ≥ 1,
// with lo = exp2Underflow and floor = squareFloor(squarings):
//
//	for i := range n { d := (x-px[i])² + (y-py[i])²; m = min(m, d); t := (s-d)*k; e := exp2(t); dstI[i] = e; sI += e
//		if t < floor { e = 0 }; for range squarings { e *= e }; dstE[i] = e; sE += e }
//
//go:noescape
func dist2ExpPowSumAVX2(dstE, dstI, px, py *float32, n int, x, y, k, s, lo, floor float32, squarings int) (sE, sI, d2min float32)

func dist2ExpPowSum(dstE, dstI, px, py []float32, x, y, k, s float32, squarings int) (sE, sI, d2min float32) {
	n := len(dstE) &^ 7
	if !useAVX2 || n == 0 {
		return dist2ExpPowSumGo(dstE, dstI, px, py, x, y, k, s, squarings)
	}
	sE, sI, d2min = dist2ExpPowSumAVX2(&dstE[0], &dstI[0], &px[0], &py[0], n, x, y, k, s, exp2Underflow, squareFloor(squarings), squarings)
	tE, tI, tm := dist2ExpPowSumGo(dstE[n:], dstI[n:], px[n:], py[n:], x, y, k, s, squarings)
	return sE + tE, sI + tI, min(d2min, tm)
}

// prefetchAVX2 prefetches the cache lines of n floats from p, n a multiple of 16.
//
//go:noescape
func prefetchAVX2(p *float32, n int)

func prefetch(x []float32) {
	if n := len(x) &^ 15; n > 0 {
		prefetchAVX2(&x[0], n)
	}
}
