package philox

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestKnownAnswers checks Block against the Philox4x32-10 known-answer vectors published with
// Random123 (its tests/kat_vectors, lines "philox4x32 10 ctr[4] key[2] out[4]"; the same three
// appear in Random123-Boost's test_philox.cpp and in TensorFlow's random-op tests, which cite it).
func TestKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0},
			[4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		// π's hexadecimal digits.
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	} {
		if got := Block(tc.ctr, tc.key); got != tc.want {
			t.Errorf("Block(%08x, %08x) = %08x, want %08x", tc.ctr, tc.key, got, tc.want)
		}
	}
	if k := Key(0x0123456789abcdef); k != [2]uint32{0x89abcdef, 0x01234567} {
		t.Errorf("Key = %08x", k)
	}
}

func TestUniformRange(t *testing.T) {
	const ulp = 1.0 / (1 << 24)
	for _, tc := range []struct {
		x           uint32
		lo, nonzero float32
	}{
		{0, 0, ulp},
		{0xff, 0, ulp}, // the low 8 bits are dropped
		{0x100, ulp, 2 * ulp},
		{0x80000000, 0.5, 0.5 + ulp},
		{0xffffffff, 1 - ulp, 1},
	} {
		if got := Uniform(tc.x); got != tc.lo {
			t.Errorf("Uniform(%#x) = %v, want %v", tc.x, got, tc.lo)
		}
		if got := UniformNonZero(tc.x); got != tc.nonzero {
			t.Errorf("UniformNonZero(%#x) = %v, want %v", tc.x, got, tc.nonzero)
		}
	}
}

// stream returns n words of Philox output: the four words of counters (i, 0, 0, 0).
func stream(n int, key uint64) []uint32 {
	out := make([]uint32, 0, n+3)
	for i := uint32(0); len(out) < n; i++ {
		b := Block([4]uint32{i, 0, 0, 0}, Key(key))
		out = append(out, b[:]...)
	}
	return out[:n]
}

// Moments of the uniforms and normals over 10⁶ draws, and a chi-square of the normals'
// histogram. Tolerances are five standard errors.
func TestMoments(t *testing.T) {
	const (
		n          = 1 << 20
		chiSquareP = 1e-4 // a correct generator fails with this probability; the key is fixed
		bins       = 40   // over ±4, plus both tails
	)
	se := 1 / math.Sqrt(n)
	words := stream(2*n, 42)
	var su, suu float64
	for _, x := range words[:n] {
		u := float64(Uniform(x))
		su += u
		suu += u * u
	}
	if m := su / n; math.Abs(m-0.5) > 5*se*math.Sqrt(1.0/12) {
		t.Errorf("uniform mean %v, want 0.5", m)
	}
	if v := suu/n - (su/n)*(su/n); math.Abs(v-1.0/12) > 5*se*math.Sqrt(1.0/180) {
		t.Errorf("uniform variance %v, want 1/12", v)
	}

	var s1, s2, s4 float64
	hist := make([]float64, bins+2)
	for i := 0; i < n; i++ {
		z := float64(Normal(words[2*i], words[2*i+1]))
		s1 += z
		s2 += z * z
		s4 += z * z * z * z
		j := int(math.Floor((z+4)/8*bins)) + 1
		hist[min(max(j, 0), bins+1)]++
	}
	if m := s1 / n; math.Abs(m) > 5*se {
		t.Errorf("normal mean %v, want 0", m)
	}
	if v := s2 / n; math.Abs(v-1) > 5*se*math.Sqrt2 {
		t.Errorf("normal variance %v, want 1", v)
	}
	if k := s4 / n; math.Abs(k-3) > 5*se*math.Sqrt(96) {
		t.Errorf("normal fourth moment %v, want 3", k)
	}
	norm := distuv.UnitNormal
	var chi float64
	for j := range hist {
		lo, hi := math.Inf(-1), math.Inf(1)
		if j > 0 {
			lo = -4 + 8*float64(j-1)/bins
		}
		if j <= bins {
			hi = -4 + 8*float64(j)/bins
		}
		want := n * (norm.CDF(hi) - norm.CDF(lo))
		chi += (hist[j] - want) * (hist[j] - want) / want
	}
	if crit := (distuv.ChiSquared{K: bins + 1}).Quantile(1 - chiSquareP); chi > crit {
		t.Errorf("normal histogram chi-square %.1f exceeds %.1f", chi, crit)
	}

	// Rayleigh: mean √(π/2), second moment 2.
	var r1, r2 float64
	for _, x := range words[:n] {
		r := float64(Rayleigh(x))
		r1 += r
		r2 += r * r
	}
	if m := r1 / n; math.Abs(m-math.Sqrt(math.Pi/2)) > 5*se*math.Sqrt(2-math.Pi/2) {
		t.Errorf("Rayleigh mean %v, want √(π/2)", m)
	}
	if m := r2 / n; math.Abs(m-2) > 5*se*2 {
		t.Errorf("Rayleigh second moment %v, want 2", m)
	}
	if r := Rayleigh(0xffffffff); math.Float32bits(r) != 0 {
		t.Errorf("Rayleigh at U = 1 is %v (bits %#x), want +0", r, math.Float32bits(r))
	}
}

// ulpDiff is the distance in float32 ulps between a and the float64 b.
func ulpDiff(a float32, b float64) float64 {
	ulp := float64(math.Nextafter32(float32(math.Abs(b)), float32(math.Inf(1))) - float32(math.Abs(b)))
	return math.Abs(float64(a)-b) / ulp
}

func TestLog(t *testing.T) {
	const maxUlps = 2 // of the float32 result; measured 1.56 over the uniforms below
	worst := 0.0
	check := func(u float32) {
		got, want := Log(u), math.Log(float64(u))
		if want == 0 {
			if got != 0 {
				t.Fatalf("Log(%v) = %v, want 0", u, got)
			}
			return
		}
		worst = max(worst, ulpDiff(got, want))
	}
	// Every value UniformNonZero can return above 1 − 2⁻⁸, every 97th one below, and the
	// smallest ones: all exponents and the √2 split.
	for k := uint32(1); k <= 1<<24; k++ {
		if k > 1<<24-1<<16 || k%97 == 0 || k < 1<<12 {
			check(float32(k) * twoPow24)
		}
	}
	for _, u := range []float32{sqrt2, math.Nextafter32(sqrt2, 2), 0.5 * sqrt2, 1e-30, 3, 1e20} {
		check(u)
	}
	if worst > maxUlps {
		t.Errorf("Log is %.2f ulps from math.Log", worst)
	}
	t.Logf("Log: worst %.2f ulps", worst)
}

func TestSincos(t *testing.T) {
	const tol = 1.5e-7 // absolute; float32 rounding of values up to 1 is 6e-8
	worst := 0.0
	check := func(gs, gc float32, angle float64) {
		ws, wc := math.Sincos(angle)
		worst = max(worst, math.Abs(float64(gs)-ws), math.Abs(float64(gc)-wc))
	}
	pi := float32(math.Pi)
	for h := -pi; h <= pi; h += 1e-4 {
		s, c := Sincos(h)
		check(s, c, float64(h))
	}
	for _, h := range []float32{0, pi, -pi, pi / 2, -pi / 2, pi / 4, math.Nextafter32(pi/4, 1), 7, -MaxSincosArg, MaxSincosArg} {
		s, c := Sincos(h)
		check(s, c, float64(h))
	}
	for k := uint32(0); k < 1<<24; k += 61 {
		u := float32(k) * twoPow24
		s, c := SincosTurns(u)
		check(s, c, 2*math.Pi*float64(u))
		s, c = SincosTurns(-u)
		check(s, c, -2*math.Pi*float64(u))
	}
	if worst > tol {
		t.Errorf("Sincos/SincosTurns differ from math.Sincos by %g", worst)
	}
	t.Logf("sincos: worst %.3g", worst)
}
