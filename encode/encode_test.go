package encode

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
)

// Tolerances. Codes are float32; the fast path computes −d²/2 as q − |x|²/2 (cancellation of up to
// |x|²/2 ≈ 1.2 in float32, then ×1/σ²), so entries carry ≈1e-5 relative error in the exponent.
const (
	codeTol   = 2e-4 // |got − want| ≤ codeTol·max|want| per row, against float64 formulas
	sumTol    = 1e-5 // |Σ code − 1| for probability codes
	pinvTolCm = 1e-3 // high-dim Cartesian decode error of its own code, cm
	// dosMaxCm bounds the mean top-3 decoding error of the true DoS code (σ 0.12, Np 512, 2.2 m box).
	// It cannot be near 0: top-3 of the DoS code are the 3 nearest centres, and with 512 centres
	// (density ρ ≈ 106/m²) the k-th neighbour sits at ≈ √(k/(πρ)) = 5.5, 7.8, 9.5 cm, so their mean
	// is ≈ √(Σr_k²)/3 ≈ 4.5 cm from x. Measured 4.16 cm (seed 29), equal to a float64 3-NN mean.
	dosMaxCm = 4.5
	pathTol  = 1e-5 // fast vs general path, relative to the row max
)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func placeParams(kind Kind, np int) Params {
	return Params{Kind: kind, Np: np, BoxWidth: 2.2, BoxHeight: 2.2,
		Sigma: Dist{Kind: "const", A: 0.12}, Surround: Dist{Kind: "const", A: 2}}
}

func mustNew(t testing.TB, p Params, seed uint64) Code {
	t.Helper()
	c, err := New(p, seeded(seed))
	if err != nil {
		t.Fatalf("New(%+v): %v", p, err)
	}
	return c
}

// randomPositions draws n positions uniformly over the 2.2 m box.
func randomPositions(n int, seed uint64) []float32 {
	rng := seeded(seed)
	pos := make([]float32, 2*n)
	for i := range pos {
		pos[i] = float32(2.2*rng.Float64() - 1.1)
	}
	return pos
}

// refPlace evaluates the spec §2.2 formulas in float64 from the drawn cell parameters.
func refPlace(c *placeCode, x, y float64) []float64 {
	p := c.p
	np, nf := p.Np, c.nf
	lE, lI := make([]float64, np), make([]float64, np)
	for i := 0; i < np; i++ {
		best := math.Inf(1)
		for f := 0; f < c.nfields[i]; f++ {
			k := i*nf + f
			dx, dy := x-float64(c.cx[k]), y-float64(c.cy[k])
			a, co, si := float64(c.aspect[k]), float64(c.cos[k]), float64(c.sin[k])
			u, v := dx*co+dy*si, -dx*si+dy*co
			d2 := u*u/a + a*v*v
			sE, sI := float64(c.sigE[k]), float64(c.sigI[k])
			if e := d2 / (2 * sE * sE); e < best {
				best = e
				lE[i], lI[i] = -e, -d2/(2*sI*sI)
			}
		}
	}
	expAll := func(l []float64) []float64 {
		o := make([]float64, len(l))
		for i, v := range l {
			o[i] = math.Exp(v)
		}
		return o
	}
	softmax := func(l []float64) []float64 {
		m := math.Inf(-1)
		for _, v := range l {
			m = math.Max(m, v)
		}
		o, s := make([]float64, len(l)), 0.0
		for i, v := range l {
			o[i] = math.Exp(v - m)
			s += o[i]
		}
		for i := range o {
			o[i] /= s
		}
		return o
	}
	global := p.Normalization == NormGlobal
	var z []float64
	switch p.Kind {
	case Gaussian:
		if global {
			return softmax(lE)
		}
		return expAll(lE)
	case SoftmaxOfDifferences:
		d := make([]float64, np)
		for i := range d {
			d[i] = lE[i] - lI[i]
		}
		if global {
			return softmax(d)
		}
		return expAll(d)
	case DifferenceOfGaussians:
		if global {
			e, s := softmax(lE), softmax(lI)
			z = make([]float64, np)
			for i := range z {
				z[i] = e[i] - s[i]
			}
			break
		}
		fallthrough
	case TrueDifferenceOfGaussians, GeneralDifferenceOfGaussians:
		aE, aI := 1.0, 1.0
		if p.Kind == GeneralDifferenceOfGaussians {
			aE, aI = p.AlphaE, p.AlphaI
		}
		e, s := expAll(lE), expAll(lI)
		z = make([]float64, np)
		for i := range z {
			z[i] = aE*e[i] - aI*s[i]
		}
	}
	m := math.Inf(1)
	for _, v := range z {
		m = math.Min(m, v)
	}
	sum := 0.0
	for i := range z {
		z[i] += math.Abs(m)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
	return z
}

func checkAgainstRef(t *testing.T, name string, c *placeCode, pos []float32) {
	t.Helper()
	got := c.Encode(nil, pos)
	np := c.p.Np
	for j := 0; j < len(pos)/2; j++ {
		want := refPlace(c, float64(pos[2*j]), float64(pos[2*j+1]))
		scale := 0.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(v))
		}
		for i, w := range want {
			if g := float64(got[j*np+i]); math.Abs(g-w) > codeTol*scale || math.IsNaN(g) {
				t.Fatalf("%s: position (%g, %g) cell %d: got %g, want %g (row max %g)", name, pos[2*j], pos[2*j+1], i, g, w, scale)
			}
		}
	}
}

// Closed-form values of every place code at chosen points, on a few cells (so the softmax is not
// dominated by one cell), both normalisations and both conventions.
func TestPlaceClosedForm(t *testing.T) {
	// Hand-placed probe points: centre, a corner, near a wall, and outside the box.
	pos := []float32{0, 0, 0.3, -0.2, -1.05, 1.0, 1.1, -1.1, 0.05, 0.6, 1.4, 0.2}
	for _, kind := range []Kind{Gaussian, DifferenceOfGaussians, TrueDifferenceOfGaussians, GeneralDifferenceOfGaussians, SoftmaxOfDifferences} {
		for _, norm := range []string{NormGlobal, NormNone} {
			for _, conv := range []string{SigmaRatio, VarianceRatio} {
				p := placeParams(kind, 4)
				// Wide fields so that 4 cells overlap at the probes and every entry matters.
				p.Sigma.A, p.Normalization, p.SurroundConvention = 0.5, norm, conv
				p.AlphaE, p.AlphaI = 1.5, 0.4
				c := mustNew(t, p, 1).(*placeCode)
				if !c.fast {
					t.Fatalf("%s: expected the fast path", kind)
				}
				checkAgainstRef(t, string(kind)+"/"+norm+"/"+conv, c, pos)
				c.fast = false // the general path must give the same numbers
				checkAgainstRef(t, string(kind)+"/"+norm+"/"+conv+"/general", c, pos)
			}
		}
	}
}

// Narrow fields far from every centre: the softmax codes must shift by their own maximum and
// still match the float64 formulas; the one-pass DoS path must fall back to that shift and agree
// with the general path.
func TestPlaceNarrowSoftmax(t *testing.T) {
	pos := []float32{0, 0, 0.3, -0.2, -1.05, 1.0, 1.1, -1.1}
	for _, kind := range []Kind{Gaussian, SoftmaxOfDifferences} {
		p := placeParams(kind, 4)
		p.Sigma.A = 0.02
		checkAgainstRef(t, string(kind)+"/narrow", mustNew(t, p, 1).(*placeCode), pos)
	}
	far := []float32{2, 2, -2, 0.5, 0.3, 2.5}
	for _, conv := range []string{SigmaRatio, VarianceRatio} {
		p := placeParams(DifferenceOfGaussians, 16)
		p.Sigma.A, p.SurroundConvention = 0.05, conv
		c := mustNew(t, p, 1).(*placeCode)
		for j := 0; j < len(far)/2; j++ {
			dmin := math.Inf(1)
			for i := range c.cx {
				dmin = math.Min(dmin, math.Hypot(float64(far[2*j]-c.cx[i]), float64(far[2*j+1]-c.cy[i])))
			}
			if dmin*dmin/(2*0.05*0.05) < maxShiftLoss {
				t.Fatalf("position %d is only %g m from a centre: the fallback is not exercised", j, dmin)
			}
		}
		fast := c.Encode(nil, far)
		c.fast = false
		general := c.Encode(nil, far)
		for i := range fast {
			if math.IsNaN(float64(fast[i])) || math.Abs(float64(fast[i]-general[i])) > pathTol {
				t.Fatalf("%s entry %d: one-pass %g, general %g", conv, i, fast[i], general[i])
			}
		}
	}
}

// One fully hand-computed value: two cells at (0,0) and (0.3,0.4), σ = 0.5, Gaussian softmax at the
// origin: d² = 0 and 0.25, so p₀ = 1/(1 + e^{−0.25/0.5}) = 1/(1 + e^{−0.5}).
func TestGaussianTwoCellsByHand(t *testing.T) {
	p := placeParams(Gaussian, 2)
	p.Sigma.A, p.TopK = 0.5, 1
	c := mustNew(t, p, 1).(*placeCode)
	c.cx[0], c.cy[0], c.cx[1], c.cy[1] = 0, 0, 0.3, 0.4
	got := c.Encode(nil, []float32{0, 0})
	want := 1 / (1 + math.Exp(-0.5))
	if math.Abs(float64(got[0])-want) > 1e-6 || math.Abs(float64(got[1])-(1-want)) > 1e-6 {
		t.Fatalf("got %v, want [%g %g]", got, want, 1-want)
	}
}

func TestPlaceInvariants(t *testing.T) {
	pos := randomPositions(200, 7)
	for _, kind := range []Kind{Gaussian, DifferenceOfGaussians, TrueDifferenceOfGaussians, GeneralDifferenceOfGaussians, SoftmaxOfDifferences} {
		c := mustNew(t, placeParams(kind, 512), 3)
		if c.Loss() != LossCrossEntropy {
			t.Errorf("%s global: loss %q, want crossentropy", kind, c.Loss())
		}
		out := c.Encode(nil, pos)
		for j := 0; j < 200; j++ {
			var s float64
			for _, v := range out[j*512 : (j+1)*512] {
				if v < 0 || math.IsNaN(float64(v)) {
					t.Fatalf("%s: negative or NaN entry %g", kind, v)
				}
				s += float64(v)
			}
			if math.Abs(s-1) > sumTol {
				t.Fatalf("%s: row %d sums to %g", kind, j, s)
			}
		}
	}
	// Unnormalised Gaussian: exp(−d²/(2σ²)) ∈ (0, 1], and MSE.
	p := placeParams(Gaussian, 64)
	p.Normalization = NormNone
	c := mustNew(t, p, 3)
	if c.Loss() != LossMSE {
		t.Errorf("gaussian none: loss %q, want mse", c.Loss())
	}
	for _, v := range c.Encode(nil, pos) {
		if !(v >= 0 && v <= 1+1e-6) {
			t.Fatalf("gaussian none: entry %g outside [0, 1]", v)
		}
	}
}

// SoD is a Gaussian softmax of width σs/√(s²−1) (spec §2.2 notes): same seed, same centres.
func TestSoftmaxOfDifferencesIsGaussian(t *testing.T) {
	sigma, s := 0.12, 2.0
	sod := mustNew(t, placeParams(SoftmaxOfDifferences, 256), 5)
	pg := placeParams(Gaussian, 256)
	pg.Sigma.A = sigma * s / math.Sqrt(s*s-1)
	g := mustNew(t, pg, 5)
	pos := randomPositions(100, 9)
	a, b := sod.Encode(nil, pos), g.Encode(nil, pos)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > codeTol*math.Max(float64(b[i]), 1e-3) {
			t.Fatalf("entry %d: SoD %g, Gaussian(σ_eff) %g", i, a[i], b[i])
		}
	}
}

// The conventions: variance ratio s² is sigma ratio s (identical numbers); the same s differs.
func TestSurroundConventions(t *testing.T) {
	pos := randomPositions(50, 11)
	sr := placeParams(DifferenceOfGaussians, 128)
	vr := sr
	vr.SurroundConvention, vr.Surround.A = VarianceRatio, 4
	a, b := mustNew(t, sr, 2).Encode(nil, pos), mustNew(t, vr, 2).Encode(nil, pos)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("entry %d: sigma_ratio s=2 gives %g, variance_ratio s=4 gives %g", i, a[i], b[i])
		}
	}
	vr.Surround.A = 2
	c := mustNew(t, vr, 2).Encode(nil, pos)
	diff := 0.0
	for i := range a {
		diff = math.Max(diff, math.Abs(float64(a[i]-c[i])))
	}
	if diff < 1e-3 {
		t.Fatalf("sigma_ratio and variance_ratio with s=2 differ by only %g", diff)
	}
	pc := mustNew(t, sr, 2).(*placeCode)
	pv := mustNew(t, vr, 2).(*placeCode)
	if math.Abs(float64(pc.sigI[0])-0.24) > 1e-7 || math.Abs(float64(pv.sigI[0])-0.12*math.Sqrt2) > 1e-7 {
		t.Fatalf("σ_I: sigma_ratio %g (want 0.24), variance_ratio %g (want 0.12√2)", pc.sigI[0], pv.sigI[0])
	}
}

func TestMultiFieldMultiScaleAnisotropic(t *testing.T) {
	pos := randomPositions(40, 13)
	p := placeParams(DifferenceOfGaussians, 16)
	p.Sigma = Dist{Kind: "uniform", A: 0.1, B: 0.4}
	p.Surround = Dist{Kind: "uniform", A: 1.5, B: 3}
	p.Fields = Dist{Kind: "poisson", A: 2}
	p.Aspect = Dist{Kind: "uniform", A: 0.5, B: 3}
	for _, kind := range []Kind{Gaussian, DifferenceOfGaussians, TrueDifferenceOfGaussians, SoftmaxOfDifferences} {
		p.Kind = kind
		c := mustNew(t, p, 17).(*placeCode)
		if c.fast || c.nf < 2 {
			t.Fatalf("%s: want the general path with several fields, got fast=%v F=%d", kind, c.fast, c.nf)
		}
		checkAgainstRef(t, string(kind), c, pos)
		// Padding fields are far away and fields per cell vary.
		xy, nf := c.Centres()
		if len(xy) != 2*16*nf {
			t.Fatalf("Centres: %d values, want %d", len(xy), 2*16*nf)
		}
		padded := false
		for i, n := range c.nfields {
			if n < nf {
				padded = true
				if math.Abs(float64(xy[2*(i*nf+nf-1)])) < 1e3 && math.Abs(float64(xy[2*(i*nf+nf-1)+1])) < 1e3 {
					t.Fatalf("cell %d: padding field not moved away", i)
				}
			}
		}
		if !padded {
			t.Fatalf("Poisson(2) fields: every cell has F = %d fields", nf)
		}
	}
}

// Aspect 1 reproduces the round code exactly, even when orientations are drawn.
func TestAspectOneIsIsotropic(t *testing.T) {
	pos := randomPositions(30, 19)
	p := placeParams(DifferenceOfGaussians, 64)
	round := mustNew(t, p, 23).Encode(nil, pos)
	p.Aspect = Dist{Kind: "uniform", A: 1, B: 1}
	ell := mustNew(t, p, 23).Encode(nil, pos)
	for i := range round {
		if round[i] != ell[i] {
			t.Fatalf("entry %d: round %g, aspect-1 ellipse %g", i, round[i], ell[i])
		}
	}
	// A genuine ellipse differs.
	p.Aspect = Dist{Kind: "const", A: 3}
	ell = mustNew(t, p, 23).Encode(nil, pos)
	same := true
	for i := range round {
		same = same && math.Abs(float64(round[i]-ell[i])) < 1e-6
	}
	if same {
		t.Fatal("aspect 3 gives the round code")
	}
}

func TestDoSDecodesTrueCode(t *testing.T) {
	c := mustNew(t, placeParams(DifferenceOfGaussians, 512), 29)
	pos := randomPositions(2000, 31)
	cm := c.DecodingError(c.Encode(nil, pos), pos)
	t.Logf("DoS σ 0.12, Np 512: mean decoding error of the true code %.2f cm", cm)
	if !(cm < dosMaxCm) {
		t.Fatalf("mean decoding error %.2f cm, want < %g cm", cm, dosMaxCm)
	}
}

// TestNaNOutputsDecodeNothing: one NaN output (a diverged network) makes the decoding error
// NaN, for the top-k decoders and the linear ones alike, instead of the error of whichever
// cells a comparison with NaN happens to pick.
func TestNaNOutputsDecodeNothing(t *testing.T) {
	pos := randomPositions(50, 37)
	for _, c := range []Code{
		mustNew(t, placeParams(DifferenceOfGaussians, 64), 29),
		mustNew(t, Params{Kind: Cartesian, Np: 2, BoxWidth: 2.2, BoxHeight: 2.2}, 29),
	} {
		out := c.Encode(nil, pos)
		if cm := c.DecodingError(out, pos); math.IsNaN(cm) {
			t.Fatalf("%s: the true code decodes to NaN", c.Params().Kind)
		}
		out[len(out)/2] = float32(math.NaN())
		if cm := c.DecodingError(out, pos); !math.IsNaN(cm) {
			t.Errorf("%s: one NaN output decodes to %.2f cm, want NaN", c.Params().Kind, cm)
		}
	}
}

// TestNonFinitePositionsEncodeNaN: a NaN or infinite position gets a row of NaNs from every
// place code, on both the fast and the general path, rather than the uniform row a softmax
// (or the zeros a plain exponential) would make of it; the finite rows are untouched.
func TestNonFinitePositionsEncodeNaN(t *testing.T) {
	multi := placeParams(DifferenceOfGaussians, 64)
	multi.Fields = Dist{Kind: "poisson", A: 2} // general path
	inf := float32(math.Inf(1))
	pos := []float32{0.1, 0.2, float32(math.NaN()), 0, 0.3, -inf, -0.4, 0.5}
	for _, p := range []Params{placeParams(Gaussian, 64), placeParams(SoftmaxOfDifferences, 64),
		placeParams(DifferenceOfGaussians, 64), multi} {
		c := mustNew(t, p, 5)
		out := c.Encode(nil, pos)
		want := c.Encode(nil, []float32{0.1, 0.2, -0.4, 0.5})
		for r := range 4 {
			row := out[r*64 : (r+1)*64]
			for i, v := range row {
				if bad := r == 1 || r == 2; bad != math.IsNaN(float64(v)) {
					t.Fatalf("%s row %d cell %d: %v", p.Kind, r, i, v)
				}
			}
		}
		if !slices.Equal(out[:64], want[:64]) || !slices.Equal(out[3*64:], want[64:]) {
			t.Errorf("%s: the finite positions' rows changed", p.Kind)
		}
	}
}

func TestMultiFieldDecoderChoosesLeastSpread(t *testing.T) {
	p := placeParams(DifferenceOfGaussians, 3)
	p.Fields = Dist{Kind: "const", A: 2}
	c := mustNew(t, p, 37).(*placeCode)
	// Cell fields: one near (0.5, 0.5) each, the others scattered.
	c.cx = []float32{0.50, -0.9, 0.9, 0.52, -0.3, 0.48}
	c.cy = []float32{0.50, 0.8, -0.9, 0.49, 0.4, 0.53}
	got := c.Decode(nil, []float32{3, 2, 1})
	wx, wy := (0.50+0.52+0.48)/3, (0.50+0.49+0.53)/3
	if math.Abs(float64(got[0])-wx) > 1e-6 || math.Abs(float64(got[1])-wy) > 1e-6 {
		t.Fatalf("decoded (%g, %g), want (%g, %g)", got[0], got[1], wx, wy)
	}
	// A full multi-field code still decodes to a few cm.
	p = placeParams(DifferenceOfGaussians, 512)
	p.Fields = Dist{Kind: "poisson", A: 1}
	mc := mustNew(t, p, 41)
	pos := randomPositions(500, 43)
	cm := mc.DecodingError(mc.Encode(nil, pos), pos)
	t.Logf("DoS with 1+Poisson(1) fields: mean decoding error %.2f cm", cm)
	if !(cm < 5) {
		t.Fatalf("multi-field decoding error %.2f cm, want < 5", cm)
	}
}

func TestTopK(t *testing.T) {
	v := []float32{0.1, 0.9, -3, 0.9, 0.5, 2, -1}
	idx := make([]int, 3)
	topK(idx, v, false)
	if idx[0] != 5 || idx[1] != 1 || idx[2] != 3 {
		t.Fatalf("top-3 highest: %v, want [5 1 3]", idx)
	}
	topK(idx, v, true)
	if idx[0] != 2 || idx[1] != 6 || idx[2] != 0 {
		t.Fatalf("top-3 lowest: %v, want [2 6 0]", idx)
	}
}

// True DoG decodes from the lowest outputs (spec §0.1 item 10).
func TestTrueDoGDecodesLowest(t *testing.T) {
	p := placeParams(TrueDifferenceOfGaussians, 4)
	c := mustNew(t, p, 47)
	xy, _ := c.Centres()
	out := []float32{5, -1, -2, -3} // lowest three: cells 3, 2, 1
	got := c.Decode(nil, out)
	wx := (xy[2] + xy[4] + xy[6]) / 3
	wy := (xy[3] + xy[5] + xy[7]) / 3
	if math.Abs(float64(got[0]-wx)) > 1e-6 || math.Abs(float64(got[1]-wy)) > 1e-6 {
		t.Fatalf("decoded (%g, %g), want mean of the lowest cells (%g, %g)", got[0], got[1], wx, wy)
	}
}

func TestCartesianAndPolar(t *testing.T) {
	c := mustNew(t, Params{Kind: Cartesian, Np: 2, BoxWidth: 2.2, BoxHeight: 2.2}, 1)
	pos := []float32{0.3, -0.7, -1, 1}
	if out := c.Encode(nil, pos); out[0] != 0.3 || out[3] != 1 || c.DecodingError(out, pos) != 0 {
		t.Fatalf("cartesian: %v", out)
	}
	pc := mustNew(t, Params{Kind: Polar, Np: 2, BoxWidth: 2.2, BoxHeight: 2.2}, 1)
	if pc.Loss() != LossPolarMSE {
		t.Fatalf("polar loss %q", pc.Loss())
	}
	out := pc.Encode(nil, pos)
	// (0.3, −0.7): r = √0.58, θ = atan(−7/3). (−1, 1): atan(−1) = −π/4, the QUIRK (atan2 gives 3π/4).
	want := []float64{math.Sqrt(0.58), math.Atan(-0.7 / 0.3), math.Sqrt2, -math.Pi / 4}
	for i, w := range want {
		if math.Abs(float64(out[i])-w) > 1e-6 {
			t.Fatalf("polar entry %d: got %g, want %g", i, out[i], w)
		}
	}
	dec := pc.Decode(nil, out)
	// x > 0 decodes back; x < 0 decodes to the reflection through the origin.
	wantDec := []float64{0.3, -0.7, 1, -1}
	for i, w := range wantDec {
		if math.Abs(float64(dec[i])-w) > 1e-6 {
			t.Fatalf("polar decode entry %d: got %g, want %g", i, dec[i], w)
		}
	}
}

func TestHighDimCartesianPinvExact(t *testing.T) {
	c := mustNew(t, Params{Kind: HighDimCartesian, Np: 512, BoxWidth: 2.2, BoxHeight: 2.2}, 53)
	pos := randomPositions(300, 59)
	out := c.Encode(nil, pos)
	// Closed form of one entry: y_j = A_{0j} x + A_{1j} y + b_j.
	h := c.(*highDimCartesian)
	if w := h.a[7]*pos[0] + h.a[512+7]*pos[1] + h.b[7]; math.Abs(float64(out[7]-w)) > 1e-6 {
		t.Fatalf("entry 7: got %g, want %g", out[7], w)
	}
	if cm := c.DecodingError(out, pos); cm > pinvTolCm {
		t.Fatalf("pinv decode of the exact code: %g cm, want ≤ %g", cm, pinvTolCm)
	}
}

func TestHighDimPolar(t *testing.T) {
	c := mustNew(t, Params{Kind: HighDimPolar, Np: 512, BoxWidth: 2.2, BoxHeight: 2.2}, 61)
	h := c.(*highDimPolar)
	pos := []float32{0.4, -0.3}
	out := c.Encode(nil, pos)
	r, theta := 0.5, math.Atan2(-0.3, 0.4)
	if w := r*float64(h.a[3]) + float64(h.b[3]); math.Abs(float64(out[3])-w) > 1e-6 {
		t.Fatalf("distance cell 3: got %g, want %g", out[3], w)
	}
	if w := math.Exp(math.Cos(theta - float64(h.mu[3]))); math.Abs(float64(out[256+3])-w) > 1e-5 {
		t.Fatalf("angle cell 3: got %g, want %g (κ = 1)", out[256+3], w)
	}
	// Decoding: exact radius, angle of the best angle cell.
	dec := c.Decode(nil, out)
	if got := math.Hypot(float64(dec[0]), float64(dec[1])); math.Abs(got-r) > 1e-5 {
		t.Fatalf("decoded radius %g, want %g", got, r)
	}
	many := randomPositions(1000, 67)
	cm := c.DecodingError(c.Encode(nil, many), many)
	t.Logf("high-dim polar Np 512: decoding error %.2f cm", cm)
	if cm > 5 {
		t.Fatalf("high-dim polar decoding error %.2f cm", cm)
	}
}

func TestBadParams(t *testing.T) {
	good := placeParams(DifferenceOfGaussians, 512)
	cases := []struct {
		name string
		edit func(*Params)
		want string // the configuration key of the field, less "encoding."
	}{
		{"unknown kind", func(p *Params) { p.Kind = "gauss" }, "kind"},
		{"negative sigma", func(p *Params) { p.Sigma.A = -0.1 }, "place_cell_rf"},
		{"bad uniform sigma", func(p *Params) { p.Sigma = Dist{Kind: "uniform", A: 0.3, B: 0.1} }, "place_cell_rf"},
		{"poisson sigma", func(p *Params) { p.Sigma = Dist{Kind: "poisson", A: 1} }, "place_cell_rf"},
		{"np below top-3", func(p *Params) { p.Np = 2 }, "np"},
		{"surround not wider", func(p *Params) { p.Surround.A = 1 }, "surround_scale"},
		{"surround uniform below 1", func(p *Params) { p.Surround = Dist{Kind: "uniform", A: 0.5, B: 2} }, "surround_scale"},
		{"convention", func(p *Params) { p.SurroundConvention = "std" }, "surround_convention"},
		{"normalization", func(p *Params) { p.Normalization = "local" }, "normalization"},
		{"zero box", func(p *Params) { p.BoxWidth = 0 }, "trajectory.box_width"},
		{"fractional fields", func(p *Params) { p.Fields = Dist{Kind: "const", A: 1.5} }, "fields_per_cell"},
		{"negative lambda", func(p *Params) { p.Fields = Dist{Kind: "poisson", A: -1} }, "fields_per_cell"},
		{"aspect", func(p *Params) { p.Aspect = Dist{Kind: "const", A: 0} }, "anisotropy"},
		{"alphas", func(p *Params) { p.Kind = GeneralDifferenceOfGaussians; p.AlphaE = -1 }, "alpha_e"},
		{"odd high-dim polar", func(p *Params) { p.Kind = HighDimPolar; p.Np = 511 }, "np"},
		{"cartesian np", func(p *Params) { p.Kind = Cartesian; p.Np = 3 }, "np"},
		{"kappa", func(p *Params) { p.Kind = HighDimPolar; p.Kappa = -1 }, "von_mises_kappa"},
		// Least-spread decoding tries 2^17 choices per position, over maxDecodeChoices.
		{"2 fields at top-17", func(p *Params) { p.Fields = Dist{Kind: "const", A: 2}; p.TopK = 17 }, "decode_top_k"},
		// 1 + Poisson(30) fields: the top-5 cells' product is checked once the counts are drawn.
		{"Poisson(30) at top-5", func(p *Params) { p.Fields = Dist{Kind: "poisson", A: 30}; p.TopK = 5 }, "decode_top_k"},
	}
	for _, tc := range cases {
		p := good
		tc.edit(&p)
		_, err := New(p, seeded(1))
		key := tc.want
		if !strings.Contains(key, ".") {
			key = "encoding." + key
		}
		var ce *config.ConfigError
		if !errors.As(err, &ce) || ce.Key != key || !errors.Is(err, config.ErrBadValue) {
			t.Errorf("%s: error %v, want a ConfigError with key %s wrapping ErrBadValue", tc.name, err, key)
		}
	}
	// 2^16 choices is the most allowed, and Poisson(3) (the multi-field sweep's) at top-3.
	p16 := good
	p16.Fields, p16.TopK = Dist{Kind: "const", A: 2}, 16
	p3 := good
	p3.Fields = Dist{Kind: "poisson", A: 3}
	for _, p := range []Params{p16, p3} {
		if _, err := New(p, seeded(1)); err != nil {
			t.Errorf("fields %v at top-%d: %v", p.Fields, p.TopK, err)
		}
	}
	// Gaussian ignores the surround, so s = 1 is fine there (the pc_mse_g sweeps use it).
	p := placeParams(Gaussian, 16)
	p.Surround.A = 1
	if _, err := New(p, seeded(1)); err != nil {
		t.Errorf("gaussian with s = 1: %v", err)
	}
}

func TestFromConfig(t *testing.T) {
	e := config.Encoding{Kind: "difference_of_gaussians", Normalization: "global", Np: 512,
		PlaceCellRF: config.Dist{Kind: "const", A: 0.12}, SurroundScale: config.Dist{Kind: "const", A: 2},
		SurroundConvention: "variance_ratio"}
	p, err := FromConfig(e, 2.2, 2.2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != DifferenceOfGaussians || p.TopK != 3 || p.Kappa != 1 || p.Fields.A != 1 || p.Aspect.A != 1 ||
		p.SurroundConvention != VarianceRatio || p.BoxWidth != 2.2 {
		t.Fatalf("FromConfig: %+v", p)
	}
	e.PlaceCellRF.A = -1
	if _, err := FromConfig(e, 2.2, 2.2); err == nil {
		t.Fatal("negative σ accepted")
	}
	e.PlaceCellRF.A = 0.12
	if _, err := FromConfig(e, 0, 2.2); err == nil {
		t.Fatal("zero box accepted")
	}
}

func TestDeterministicAndParallel(t *testing.T) {
	p := placeParams(DifferenceOfGaussians, 512)
	pos := randomPositions(400, 71) // 400×512 is above parallelMin: split over goroutines
	a := mustNew(t, p, 73).Encode(nil, pos)
	b := make([]float32, len(a))
	c := mustNew(t, p, 73)
	for j := 0; j < 400; j++ { // one row at a time: never parallel
		c.Encode(b[j*512:(j+1)*512], pos[2*j:2*j+2])
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("entry %d: batch %g, row by row %g", i, a[i], b[i])
		}
	}
}

// Every preset's encoding builds, and a run's seed fixes its centres.
func TestForRunPresets(t *testing.T) {
	for _, name := range config.PresetNames() {
		cfg, err := config.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ForRun(cfg)
		if err != nil {
			t.Fatalf("preset %s: %v", name, err)
		}
		b, _ := ForRun(cfg)
		ca, _ := a.Centres()
		cb, _ := b.Centres()
		for i := range ca {
			if ca[i] != cb[i] {
				t.Fatalf("preset %s: centres differ between two builds with seed %d", name, cfg.Seed)
			}
		}
		if a.Loss() != cfg.LossKind() && cfg.Training.Loss == config.LossAuto {
			t.Errorf("preset %s: code loss %q, config loss %q", name, a.Loss(), cfg.LossKind())
		}
	}
}

// The field-major nearest-field search of round fields (one loop per field slot, masked
// selection) gives the same exponents, bit for bit, as the per-cell loop over each cell's
// fields that elliptical fields use, for multi-field and multi-scale codes.
func TestFieldSlotsMatchPerCellLoop(t *testing.T) {
	for _, fields := range []Dist{{Kind: "const", A: 1}, {Kind: "const", A: 3}, {Kind: "poisson", A: 3}} {
		p := placeParams(DifferenceOfGaussians, 97)
		p.Fields = fields
		p.Sigma = Dist{Kind: "uniform", A: 0.06, B: 0.24}
		c := mustNew(t, p, 5).(*placeCode)
		if !c.round {
			t.Fatal("a round code without slots")
		}
		pos := randomPositions(300, 6)
		eE, eI := make([]float32, p.Np), make([]float32, p.Np)
		rE, rI := make([]float32, p.Np), make([]float32, p.Np)
		sE, sI := make([]float32, p.Np), make([]float32, p.Np)
		for n := 0; n < len(pos); n += 2 {
			x, y := pos[n], pos[n+1]
			mE, mI := c.fieldExponents(eE, eI, sE, sI, x, y)
			c.round = false // the per-cell loop
			rmE, rmI := c.fieldExponents(rE, rI, sE, sI, x, y)
			c.round = true
			for i := range eE {
				if eE[i] != rE[i] || eI[i] != rI[i] {
					t.Fatalf("fields %v, position %d, cell %d: slots give %g, %g; the per-cell loop %g, %g", fields, n/2, i, eE[i], eI[i], rE[i], rI[i])
				}
			}
			if mE != rmE || mI != rmI {
				t.Fatalf("fields %v: minima %g, %g; want %g, %g", fields, mE, mI, rmE, rmI)
			}
		}
	}
}

// A nil source is an error for the codes that draw parameters and fine for those that do not.
func TestNewNilRand(t *testing.T) {
	if _, err := New(placeParams(DifferenceOfGaussians, 16), nil); err == nil || !strings.Contains(err.Error(), "nil *rand.Rand") {
		t.Errorf("place code with a nil rng: %v; want an error naming the nil *rand.Rand", err)
	}
	// Np defaults to 2, the Cartesian code's only size.
	if _, err := New(Params{Kind: Cartesian, BoxWidth: 2.2, BoxHeight: 2.2}, nil); err != nil {
		t.Errorf("Cartesian code with a nil rng: %v", err)
	}
}
