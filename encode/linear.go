package encode

import (
	"errors"
	"math"
	"math/rand/v2"

	"github.com/gridcells/gridcells/internal/asm/f32"
	"gonum.org/v1/gonum/mat"
)

// cartesianCode is y = x (spec §2.2 "cartesian"); decoding is the identity.
type cartesianCode struct{ base }

func (c *cartesianCode) Encode(dst, pos []float32) []float32 {
	dst, _ = rows(dst, pos, 2, 2, "Encode")
	copy(dst, pos)
	return dst
}

func (c *cartesianCode) Decode(dst, out []float32) []float32 {
	dst, _ = rows(dst, out, 2, 2, "Decode")
	copy(dst, out)
	return dst
}

func (c *cartesianCode) DecodingError(out, pos []float32) float64 { return decodingError(c, out, pos) }

// polarCode is (r, atan(y/x)) (spec §2.2 "polar").
//
// QUIRK reproduced: the reference uses atan(y/x), not atan2, so θ ∈ (−π/2, π/2] and a position
// with x < 0 has the same code as its reflection through the origin; decoding it returns that
// reflection. At the origin itself (0/0, NaN in the reference) θ is 0 here.
type polarCode struct{ base }

func (c *polarCode) Loss() string { return LossPolarMSE }

func (c *polarCode) Encode(dst, pos []float32) []float32 {
	dst, n := rows(dst, pos, 2, 2, "Encode")
	for i := 0; i < n; i++ {
		x, y := float64(pos[2*i]), float64(pos[2*i+1])
		theta := 0.0
		if x != 0 || y != 0 {
			theta = math.Atan(y / x) // atan, not atan2: the reference's QUIRK
		}
		dst[2*i] = float32(math.Hypot(x, y))
		dst[2*i+1] = float32(theta)
	}
	return dst
}

func (c *polarCode) Decode(dst, out []float32) []float32 {
	dst, n := rows(dst, out, 2, 2, "Decode")
	for i := 0; i < n; i++ {
		r, theta := float64(out[2*i]), float64(out[2*i+1])
		dst[2*i] = float32(r * math.Cos(theta))
		dst[2*i+1] = float32(r * math.Sin(theta))
	}
	return dst
}

func (c *polarCode) DecodingError(out, pos []float32) float64 { return decodingError(c, out, pos) }

// highDimCartesian is y = Aᵀx + b with A ∈ U(−1,1)^{2×Np}, b ∈ U(−1,1)^{Np} (spec §2.2), decoded by
// x̂ = (ŷ − b)·pinv(A) (spec §2.3).
type highDimCartesian struct {
	base
	a    []float32 // 2×Np
	b    []float32 // Np
	pinv []float32 // Np×2, Moore–Penrose pseudo-inverse of A
}

func newHighDimCartesian(p Params, rng *rand.Rand) (*highDimCartesian, error) {
	c := &highDimCartesian{base: base{p}, a: make([]float32, 2*p.Np), b: make([]float32, p.Np)}
	for i := range c.a {
		c.a[i] = float32(uniform(rng, -1, 1))
	}
	for i := range c.b {
		c.b[i] = float32(uniform(rng, -1, 1))
	}
	var err error
	c.pinv, err = pseudoInverse(c.a, 2, p.Np)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *highDimCartesian) Encode(dst, pos []float32) []float32 {
	np := c.p.Np
	dst, n := rows(dst, pos, 2, np, "Encode")
	ax, ay := c.a[:np], c.a[np:]
	for i := 0; i < n; i++ {
		x, y := pos[2*i], pos[2*i+1]
		row := dst[i*np : (i+1)*np]
		for j := range row {
			row[j] = x*ax[j] + y*ay[j] + c.b[j]
		}
	}
	return dst
}

func (c *highDimCartesian) Decode(dst, out []float32) []float32 {
	np := c.p.Np
	dst, n := rows(dst, out, np, 2, "Decode")
	for i := 0; i < n; i++ {
		var x, y float64
		for j, v := range out[i*np : (i+1)*np] {
			d := float64(v - c.b[j])
			x += d * float64(c.pinv[2*j])
			y += d * float64(c.pinv[2*j+1])
		}
		dst[2*i], dst[2*i+1] = float32(x), float32(y)
	}
	return dst
}

func (c *highDimCartesian) DecodingError(out, pos []float32) float64 {
	return decodingError(c, out, pos)
}

// highDimPolar (spec §2.2): the first Np/2 cells code distance, r·a_j + b_j with a, b ~ U(−1,1);
// the last Np/2 code angle, exp(κ cos(θ − μ_j)) with μ_j ~ U(−π, π) and θ = atan2(y, x).
// Decoding (spec §2.3): r̂ = (ŷ_dist − b)·pinv(a), θ̂ = μ of the most active angle cell.
type highDimPolar struct {
	base
	a, b         []float32 // Np/2 each
	mu           []float32 // Np/2 preferred angles, rad
	cosMu, sinMu []float32 // cos μ_j, sin μ_j: cos(θ − μ) = cos θ cos μ + sin θ sin μ
	pinv         []float32 // Np/2×1
}

func newHighDimPolar(p Params, rng *rand.Rand) (*highDimPolar, error) {
	h := p.Np / 2
	c := &highDimPolar{base: base{p}, a: make([]float32, h), b: make([]float32, h), mu: make([]float32, h)}
	for i := range c.a {
		c.a[i] = float32(uniform(rng, -1, 1))
	}
	for i := range c.b {
		c.b[i] = float32(uniform(rng, -1, 1))
	}
	c.cosMu, c.sinMu = make([]float32, h), make([]float32, h)
	for i := range c.mu {
		c.mu[i] = float32(uniform(rng, -math.Pi, math.Pi))
		c.cosMu[i], c.sinMu[i] = float32(math.Cos(float64(c.mu[i]))), float32(math.Sin(float64(c.mu[i])))
	}
	var err error
	c.pinv, err = pseudoInverse(c.a, 1, h)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *highDimPolar) Encode(dst, pos []float32) []float32 {
	np, h := c.p.Np, c.p.Np/2
	dst, n := rows(dst, pos, 2, np, "Encode")
	kappa := float32(c.p.Kappa)
	parallel(n, np, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x, y := float64(pos[2*i]), float64(pos[2*i+1])
			r := math.Hypot(x, y)
			cosT, sinT := float32(1), float32(0) // θ = atan2(0, 0) = 0 at the origin
			if r > 0 {
				cosT, sinT = float32(x/r), float32(y/r)
			}
			row := dst[i*np : (i+1)*np]
			for j := 0; j < h; j++ {
				row[j] = float32(r)*c.a[j] + c.b[j]
				row[h+j] = f32.Exp(kappa * (cosT*c.cosMu[j] + sinT*c.sinMu[j]))
			}
		}
	})
	return dst
}

func (c *highDimPolar) Decode(dst, out []float32) []float32 {
	np, h := c.p.Np, c.p.Np/2
	dst, n := rows(dst, out, np, 2, "Decode")
	for i := 0; i < n; i++ {
		row := out[i*np : (i+1)*np]
		var r float64
		for j := 0; j < h; j++ {
			r += float64(row[j]-c.b[j]) * float64(c.pinv[j])
		}
		best := 0
		for j := 1; j < h; j++ {
			if row[h+j] > row[h+best] {
				best = j
			}
		}
		theta := float64(c.mu[best])
		dst[2*i], dst[2*i+1] = float32(r*math.Cos(theta)), float32(r*math.Sin(theta))
	}
	return dst
}

func (c *highDimPolar) DecodingError(out, pos []float32) float64 { return decodingError(c, out, pos) }

// errSingular reports a projection too close to rank-deficient for a pseudo-inverse decoder.
var errSingular = errors.New("encode: random projection is numerically rank-deficient; draw again with another seed")

// pseudoInverse returns the Moore–Penrose pseudo-inverse (c×r, row-major) of the r×c matrix a,
// through gonum's SVD in float64.
func pseudoInverse(a []float32, r, c int) ([]float32, error) {
	data := make([]float64, len(a))
	for i, v := range a {
		data[i] = float64(v)
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(r, c, data), mat.SVDThin) {
		return nil, errSingular
	}
	values := svd.Values(nil)
	if values[len(values)-1] <= 1e-6*values[0] {
		return nil, errSingular
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	// pinv = V Σ⁻¹ Uᵀ.
	k := len(values)
	pinv := make([]float32, c*r)
	for i := 0; i < c; i++ {
		for j := 0; j < r; j++ {
			var s float64
			for l := 0; l < k; l++ {
				s += v.At(i, l) / values[l] * u.At(j, l)
			}
			pinv[i*r+j] = float32(s)
		}
	}
	return pinv, nil
}
