package cpu

import "math"

// The float32 kernels of the hot loops of a training step (spec §4: softmax cross-entropy,
// ReLU and its derivative mask, Adam, the weight-decay term). On amd64 with AVX2 and FMA they
// run in assembly (kernels_amd64.s); the loops below are their reference semantics and the
// fallback elsewhere (build tags noasm or purego, or another GOARCH). All slices of one call
// have the same length; dst may be the same slice as an input.

// rowMaxGo returns max x[i] (x not empty).
func rowMaxGo(x []float32) float32 {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// sumDotShiftGo returns Σ y[i] and Σ y[i]·(z[i] − shift).
func sumDotShiftGo(y, z []float32, shift float32) (sy, syd float32) {
	z = z[:len(y)]
	for i, v := range y {
		sy += v
		syd += v * (z[i] - shift)
	}
	return sy, syd
}

// axpbyGo sets dst[i] = a·x[i] + b·y[i].
func axpbyGo(dst, x, y []float32, a, b float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = a*x[i] + b*y[i]
	}
}

// reluGo sets dst[i] = max(src[i], 0).
func reluGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// reluMaskGo zeroes dst[i] where out[i] ≤ 0: the ReLU derivative [y > 0] from its output y
// (compute.Activation.DerivFromOutput).
func reluMaskGo(dst, out []float32) {
	out = out[:len(dst)]
	for i, v := range out {
		if v <= 0 {
			dst[i] = 0
		}
	}
}

// adamGo applies one Adam update with the bias corrections folded into lr and eps
// (see Backend.Adam): m ← β1·m + c1·g, v ← β2·v + c2·g², p ← p − lr·m/(√v + eps), where
// c1 = 1 − β1 and c2 = 1 − β2.
func adamGo(p, g, m, v []float32, b1, c1, b2, c2, lr, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := b1*m[i] + c1*gi
		vi := b2*v[i] + c2*(gi*gi)
		m[i], v[i] = mi, vi
		p[i] -= lr * mi / (float32(math.Sqrt(float64(vi))) + eps)
	}
}

// sumSquaresGo returns Σ x[i]², accumulated in float64.
func sumSquaresGo(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// scaleSumSquaresGo sets dst[i] = alpha·x[i] and returns Σ x[i]² in float64.
func scaleSumSquaresGo(dst, x []float32, alpha float32) float64 {
	x = x[:len(dst)]
	var s float64
	for i, v := range x {
		s += float64(v) * float64(v)
		dst[i] = alpha * v
	}
	return s
}

// mulGo sets dst[i] = x[i]·y[i].
func mulGo(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i, v := range x {
		dst[i] = v * y[i]
	}
}

// addMulGo sets dst[i] += x[i]·y[i].
func addMulGo(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i, v := range x {
		dst[i] += v * y[i]
	}
}

// sigmoidGradGo sets dst[i] *= out[i]·(1 − out[i]): the sigmoid derivative from its output.
func sigmoidGradGo(dst, out []float32) {
	out = out[:len(dst)]
	for i, v := range out {
		dst[i] *= v * (1 - v)
	}
}

// tanhGradGo sets dst[i] *= 1 − out[i]²: the tanh derivative from its output.
func tanhGradGo(dst, out []float32) {
	out = out[:len(dst)]
	for i, v := range out {
		dst[i] *= 1 - v*v
	}
}
