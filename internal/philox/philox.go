package philox

import (
	"math"
	"math/bits"
)

// The Philox4x32 constants of Salmon et al. (SC'11, Table 2) and Random123's philox.h: the round
// multipliers and the Weyl increments of the key schedule (the golden ratio and √3 − 1 in 0.32
// fixed point).
const (
	m0 = 0xD2511F53
	m1 = 0xCD9E8D57
	w0 = 0x9E3779B9
	w1 = 0xBB67AE85

	// Rounds is the number of rounds of Philox4x32-10, the variant Random123 and cuRAND use
	// by default (7 already pass BigCrush; 10 is the recommended safety margin).
	Rounds = 10
)

// Block returns Philox4x32-10 of the counter ctr under the key key: a bijection of the
// 128-bit counter for each 64-bit key, computed as Random123's philox4x32_R(10, ctr, key).
// Each round multiplies words 0 and 2 by m0 and m1 and mixes the 64-bit products' halves
// with words 1 and 3 and the round key; the key is bumped by (w0, w1) before every round
// after the first.
func Block(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for r := 0; r < Rounds; r++ {
		if r > 0 {
			k0 += w0
			k1 += w1
		}
		hi0, lo0 := bits.Mul32(m0, c0)
		hi1, lo1 := bits.Mul32(m1, c2)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
	}
	return [4]uint32{c0, c1, c2, c3}
}

// Key splits a 64-bit key into Block's two words, low word first.
func Key(k uint64) [2]uint32 { return [2]uint32{uint32(k), uint32(k >> 32)} }

// twoPow24 is 2⁻²⁴, the spacing of the uniforms.
const twoPow24 = 1.0 / (1 << 24)

// Uniform maps x to a float32 uniform on [0, 1): the top 24 bits of x times 2⁻²⁴,
// (x >> 8)·2⁻²⁴, exact (every value is a multiple of 2⁻²⁴, as in CUDA: __uint2float_rn(x >> 8) * 2⁻²⁴).
func Uniform(x uint32) float32 { return float32(x>>8) * twoPow24 }

// UniformNonZero maps x to a float32 uniform on (0, 1]: ((x >> 8) + 1)·2⁻²⁴, exact. Its
// logarithm is finite, as Box–Muller and inversion sampling need.
func UniformNonZero(x uint32) float32 { return float32(x>>8+1) * twoPow24 }

// Constants of Log: ln 2 in two parts, the first with 8 significant bits so that e·ln2Hi is
// exact for every float32 exponent e; √2 rounded to float32; and the coefficients 1/(2k+1) of
// atanh's series.
const (
	ln2Hi = float32(0.69140625)            // 177/256
	ln2Lo = float32(1.7409306019544601e-3) // ln 2 − ln2Hi, rounded (residual 4e-11)
	sqrt2 = float32(1.4142135381698608)
	inv3  = float32(1.0 / 3)
	inv5  = float32(1.0 / 5)
	inv7  = float32(1.0 / 7)
	inv9  = float32(1.0 / 9)
	inv11 = float32(1.0 / 11)
	inv13 = float32(1.0 / 13)
)

// Log returns the natural logarithm of u, for u a positive normal float32 (every output of
// Uniform and UniformNonZero except Uniform's 0). With u = m·2^e, m ∈ [√½, √2], it returns
// e·ln 2 + 2·atanh(s) with s = (m−1)/(m+1), |s| ≤ 0.1716, the series summed to s¹³ (the first
// neglected term, 2s¹⁵/15, is below 4e-13). The CUDA kernels' gc_log is the same sequence of
// correctly rounded float32 operations, so the two agree bit for bit; it is within 2 ulps of
// math.Log (tested).
func Log(u float32) float32 {
	b := math.Float32bits(u)
	e := int32(b>>23) - 127
	m := math.Float32frombits(b&0x7fffff | 0x3f800000) // [1, 2)
	if m > sqrt2 {
		m *= 0.5 // exact
		e++
	}
	s := (m - 1) / (m + 1) // m − 1 is exact (Sterbenz)
	s2 := float32(s * s)
	q := inv13
	q = float32(q*s2) + inv11
	q = float32(q*s2) + inv9
	q = float32(q*s2) + inv7
	q = float32(q*s2) + inv5
	q = float32(q*s2) + inv3
	t := s + float32(float32(s*s2)*q) // atanh s
	fe := float32(e)
	r := float32(fe*ln2Lo) + float32(2*t)
	return float32(fe*ln2Hi) + r
}

// Constants of Sincos: π/2 in three parts, the first two with 8 and 12 significant bits so that
// j·pio2A and j·pio2B are exact for |j| ≤ 16; 2/π and 2π rounded to float32; and the Taylor
// coefficients of sin and cos, whose first neglected terms on [−π/4, π/4], r¹¹/11! and r¹²/12!,
// are below 2e-9.
const (
	pio2A     = float32(1.5703125)
	pio2B     = float32(4.837512969970703e-4)
	pio2C     = float32(7.549790126404332e-08)
	twoOverPi = float32(0.6366197466850281)
	twoPi     = float32(6.2831854820251465)
	sin3      = float32(-1.0 / 6)
	sin5      = float32(1.0 / 120)
	sin7      = float32(-1.0 / 5040)
	sin9      = float32(1.0 / 362880)
	cos4      = float32(1.0 / 24)
	cos6      = float32(-1.0 / 720)
	cos8      = float32(1.0 / 40320)
	cos10     = float32(-1.0 / 3628800)
)

// MaxSincosArg bounds the argument of Sincos: beyond it j·pio2A would no longer be exact.
const MaxSincosArg = 24

// Sincos returns sin h and cos h for |h| ≤ MaxSincosArg (the walk's headings lie in [−π, π]):
// h − j·π/2 for the nearest integer j (ties to even), reduced in three parts (Cody and Waite),
// then the Taylor series of sin and cos on the remainder, placed by the quadrant j mod 4. The
// CUDA kernels' gc_sincos is the same float32 sequence; both are within 1.5e-7 of math.Sincos
// (tested).
func Sincos(h float32) (sin, cos float32) {
	j := float32(math.RoundToEven(float64(float32(h * twoOverPi))))
	r := h - float32(j*pio2A)
	r -= float32(j * pio2B)
	r -= float32(j * pio2C)
	return quadrant(r, int32(j))
}

// SincosTurns returns sin 2πu and cos 2πu for |u| ≤ 1. The reduction is exact for the
// multiples of 2⁻²⁴ that Uniform returns: j = the nearest integer to 4u, then
// r = 2π·(u − j/4) with u − j/4 exact, one rounding in all.
func SincosTurns(u float32) (sin, cos float32) {
	j := float32(math.RoundToEven(float64(4 * u)))
	f := u - float32(0.25*j)
	return quadrant(float32(f*twoPi), int32(j))
}

// quadrant returns sin and cos of r + j·π/2 from the series at r ∈ [−π/4, π/4].
func quadrant(r float32, j int32) (sin, cos float32) {
	r2 := float32(r * r)
	q := sin9
	q = float32(q*r2) + sin7
	q = float32(q*r2) + sin5
	q = float32(q*r2) + sin3
	s := r + float32(float32(r*r2)*q)
	p := cos10
	p = float32(p*r2) + cos8
	p = float32(p*r2) + cos6
	p = float32(p*r2) + cos4
	c := 1 + (float32(float32(r2*r2)*p) - float32(0.5*r2))
	switch j & 3 {
	case 0:
		return s, c
	case 1:
		return c, -s
	case 2:
		return -s, -c
	default:
		return -c, s
	}
}

// Rayleigh maps x to a Rayleigh variate of unit scale by inversion, √(−2·ln U) with
// U = UniformNonZero(x): its largest value is √(48 ln 2) ≈ 5.77 (the distribution's tail
// beyond it has probability 2⁻²⁴). 0 − 2·ln U keeps U = 1 at +0 rather than −0.
func Rayleigh(x uint32) float32 {
	return float32(math.Sqrt(float64(0 - float32(2*Log(UniformNonZero(x))))))
}

// Normal maps (x1, x2) to a standard normal by Box–Muller: Rayleigh(x1)·cos(2π·Uniform(x2)).
// (Its partner Rayleigh(x1)·sin(2π·Uniform(x2)), independent of it, is left unused.)
func Normal(x1, x2 uint32) float32 {
	_, c := SincosTurns(Uniform(x2))
	return float32(Rayleigh(x1) * c)
}
