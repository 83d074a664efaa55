//go:build !amd64 || noasm || purego

package cpu

// useAVX2 is false without the assembly kernels.
var useAVX2 = false

func rowMax(x []float32) float32                                   { return rowMaxGo(x) }
func sumDotShift(y, z []float32, shift float32) (float32, float32) { return sumDotShiftGo(y, z, shift) }
func axpby(dst, x, y []float32, a, b float32)                      { axpbyGo(dst, x, y, a, b) }
func relu(dst, src []float32)                                      { reluGo(dst, src) }
func reluMask(dst, out []float32)                                  { reluMaskGo(dst, out) }
func adam32(p, g, m, v []float32, b1, c1, b2, c2, lr, eps float32) {
	adamGo(p, g, m, v, b1, c1, b2, c2, lr, eps)
}
func sumSquares32(x []float32) float64 { return sumSquaresGo(x) }
func scaleSumSquares32(dst, x []float32, alpha float32) float64 {
	return scaleSumSquaresGo(dst, x, alpha)
}
func mul(dst, x, y []float32)        { mulGo(dst, x, y) }
func addMul(dst, x, y []float32)     { addMulGo(dst, x, y) }
func sigmoidGrad(dst, out []float32) { sigmoidGradGo(dst, out) }
func tanhGrad(dst, out []float32)    { tanhGradGo(dst, out) }
