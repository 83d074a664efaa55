//go:build !amd64 || noasm || purego

package f32

// useAVX2 is false without the assembly kernels (tests toggle it on amd64).
var useAVX2 = false

// haveAVX2 is false: this build has no assembly kernels.
const haveAVX2 = false

func expSum(dst, x []float32, a, b float32) float32 { return expSumGo(dst, x, a, b) }

func expSumPow(dstE, dstI, x []float32, a, b float32, squarings int) (sE, sI float32) {
	return expSumPowGo(dstE, dstI, x, a, b, squarings)
}

func dist2Min(dst, px, py []float32, x, y float32) float32 { return dist2MinGo(dst, px, py, x, y) }

func diffMinSum(dst, x, y []float32, a, b float32) (lo, sum float32) {
	return diffMinSumGo(dst, x, y, a, b)
}

func addScale(dst, x []float32, add, mul float32) { addScaleGo(dst, x, add, mul) }

func nearestField(bE, bI, cx, cy, hE, hI []float32, x, y float32) {
	nearestFieldGo(bE, bI, cx, cy, hE, hI, x, y)
}

func minimum(x []float32) float32 { return minGo(x) }
