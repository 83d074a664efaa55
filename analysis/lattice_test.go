package analysis

import "math"

// hexLattice returns an n×n map of the sum of three cosines whose wave vectors are 60°
// apart (not rectified: it is negative between fields; see sparseHexLattice): a hexagonal grid with spacing (distance between neighbouring
// fields) in bins, lattice axis at angle orient (radians, in the (x, y) = (first, second
// index) plane) and an offset (x0, y0) in bins.
func hexLattice(n int, spacing, orient, x0, y0 float64) []float64 {
	// Neighbouring fields at distance λ along the axis ψ need wave vectors of length
	// 4π/(√3 λ) at angles ψ + 30° + k·60°.
	k := 4 * math.Pi / (math.Sqrt(3) * spacing)
	out := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			x, y := float64(i)-x0, float64(j)-y0
			var s float64
			for q := 0; q < 3; q++ {
				a := orient + math.Pi/6 + float64(q)*math.Pi/3
				s += math.Cos(k * (x*math.Cos(a) + y*math.Sin(a)))
			}
			out[i*n+j] = s
		}
	}
	return out
}

// sparseHexLattice is hexLattice shifted down by cut and rectified at zero, max(0, s − cut),
// as a ReLU grid unit looks: fields on a background of exact zeros (s peaks at 3).
func sparseHexLattice(n int, spacing, orient, x0, y0, cut float64) []float64 {
	out := hexLattice(n, spacing, orient, x0, y0)
	for i, s := range out {
		out[i] = math.Max(0, s-cut)
	}
	return out
}
