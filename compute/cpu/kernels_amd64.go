//go:build amd64 && !noasm && !purego

package cpu

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; tests turn it off to check the fallback.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Each assembly kernel is its Go twin in kernels.go over n elements, n a positive multiple
// of 8. The wrappers run the largest multiple of 8 in assembly and the tail in Go.

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func sumDotShiftAVX2(y, z *float32, n int, shift float32) (sy, syd float32)

//go:noescape
func axpbyAVX2(dst, x, y *float32, n int, a, b float32)

//go:noescape
func reluAVX2(dst, src *float32, n int)

//go:noescape
func reluMaskAVX2(dst, out *float32, n int)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, lr, eps float32)

//go:noescape
func sumSquaresAVX2(x *float32, n int) float64

//go:noescape
func scaleSumSquaresAVX2(dst, x *float32, n int, alpha float32) float64

// rowMax is rowMaxGo, but with a NaN in x the assembly may return a finite value (VMAXPS
// returns its second source when either is NaN). Its one user, the softmax, still turns a
// NaN logit into NaN outputs through its exponentials (TestSoftmaxNaN).
func rowMax(x []float32) float32 {
	n := len(x) &^ 7
	if !useAVX2 || n == 0 {
		return rowMaxGo(x)
	}
	m := maxAVX2(&x[0], n)
	if n < len(x) {
		m = max(m, rowMaxGo(x[n:]))
	}
	return m
}

func sumDotShift(y, z []float32, shift float32) (sy, syd float32) {
	n := len(y) &^ 7
	if !useAVX2 || n == 0 {
		return sumDotShiftGo(y, z, shift)
	}
	z = z[:len(y)]
	sy, syd = sumDotShiftAVX2(&y[0], &z[0], n, shift)
	ty, tyd := sumDotShiftGo(y[n:], z[n:], shift)
	return sy + ty, syd + tyd
}

func axpby(dst, x, y []float32, a, b float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		axpbyGo(dst, x, y, a, b)
		return
	}
	x, y = x[:len(dst)], y[:len(dst)]
	axpbyAVX2(&dst[0], &x[0], &y[0], n, a, b)
	axpbyGo(dst[n:], x[n:], y[n:], a, b)
}

func relu(dst, src []float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		reluGo(dst, src)
		return
	}
	src = src[:len(dst)]
	reluAVX2(&dst[0], &src[0], n)
	reluGo(dst[n:], src[n:])
}

func reluMask(dst, out []float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		reluMaskGo(dst, out)
		return
	}
	out = out[:len(dst)]
	reluMaskAVX2(&dst[0], &out[0], n)
	reluMaskGo(dst[n:], out[n:])
}

func adam32(p, g, m, v []float32, b1, c1, b2, c2, lr, eps float32) {
	n := len(p) &^ 7
	if !useAVX2 || n == 0 {
		adamGo(p, g, m, v, b1, c1, b2, c2, lr, eps)
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	adamAVX2(&p[0], &g[0], &m[0], &v[0], n, b1, c1, b2, c2, lr, eps)
	adamGo(p[n:], g[n:], m[n:], v[n:], b1, c1, b2, c2, lr, eps)
}

func sumSquares32(x []float32) float64 {
	n := len(x) &^ 7
	if !useAVX2 || n == 0 {
		return sumSquaresGo(x)
	}
	return sumSquaresAVX2(&x[0], n) + sumSquaresGo(x[n:])
}

func scaleSumSquares32(dst, x []float32, alpha float32) float64 {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		return scaleSumSquaresGo(dst, x, alpha)
	}
	x = x[:len(dst)]
	return scaleSumSquaresAVX2(&dst[0], &x[0], n, alpha) + scaleSumSquaresGo(dst[n:], x[n:], alpha)
}

//go:noescape
func mulAVX2(dst, x, y *float32, n int)

//go:noescape
func addMulAVX2(dst, x, y *float32, n int)

//go:noescape
func sigmoidGradAVX2(dst, out *float32, n int)

//go:noescape
func tanhGradAVX2(dst, out *float32, n int)

func mul(dst, x, y []float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		mulGo(dst, x, y)
		return
	}
	x, y = x[:len(dst)], y[:len(dst)]
	mulAVX2(&dst[0], &x[0], &y[0], n)
	mulGo(dst[n:], x[n:], y[n:])
}

func addMul(dst, x, y []float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		addMulGo(dst, x, y)
		return
	}
	x, y = x[:len(dst)], y[:len(dst)]
	addMulAVX2(&dst[0], &x[0], &y[0], n)
	addMulGo(dst[n:], x[n:], y[n:])
}

func sigmoidGrad(dst, out []float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		sigmoidGradGo(dst, out)
		return
	}
	out = out[:len(dst)]
	sigmoidGradAVX2(&dst[0], &out[0], n)
	sigmoidGradGo(dst[n:], out[n:])
}

func tanhGrad(dst, out []float32) {
	n := len(dst) &^ 7
	if !useAVX2 || n == 0 {
		tanhGradGo(dst, out)
		return
	}
	out = out[:len(dst)]
	tanhGradAVX2(&dst[0], &out[0], n)
	tanhGradGo(dst[n:], out[n:])
}
