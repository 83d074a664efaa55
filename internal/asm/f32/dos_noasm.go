//go:build !amd64 || noasm || purego

package f32

func dist2ExpPowSum(dstE, dstI, px, py []float32, x, y, k, s float32, squarings int) (sE, sI, d2min float32) {
	return dist2ExpPowSumGo(dstE, dstI, px, py, x, y, k, s, squarings)
}

func prefetch(x []float32) {} // pure Go has no prefetch; the hint is optional
