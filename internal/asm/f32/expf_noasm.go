//go:build !amd64 || noasm

package f32

// useAVX2 is false without the assembly kernels (tests toggle it on amd64).
var useAVX2 = false

func expSum(dst, x []float32, a, b float32) float32 { return expSumGo(dst, x, a, b) }

func expSumPow(dstE, dstI, x []float32, a, b float32, squarings int) (sE, sI float32) {
	return expSumPowGo(dstE, dstI, x, a, b, squarings)
}

func affine2Max(dst, p, q, w []float32, u, v float32) float32 {
	return affine2MaxGo(dst, p, q, w, u, v)
}

func diffMinSum(dst, x, y []float32, a, b float32) (lo, sum float32) {
	return diffMinSumGo(dst, x, y, a, b)
}

func addScale(dst []float32, add, mul float32) { addScaleGo(dst, add, mul) }
