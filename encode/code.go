package encode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/gridcells/gridcells/internal/workpool"
)

// Code is a target encoding of 2-d positions (spec §2.2) with its decoder (spec §2.3).
// Positions and outputs are row-major float32: n positions are n×2 (x, y in metres), n codes are
// n×Np. A nil dst allocates; a dst or input of the wrong length panics. A Code is immutable after
// New and safe for concurrent use.
type Code interface {
	Kind() Kind
	Params() Params // the validated parameters, defaults filled
	Np() int        // outputs per position
	// Loss is the training loss that goes with the code (spec §2.2 Loss column, §4.1):
	// LossCrossEntropy for codes that are probability vectors over the cells, LossPolarMSE for the
	// low-dim polar code, LossMSE otherwise.
	Loss() string
	// Encode writes the targets of the n positions in pos (n×2) into dst (n×Np) and returns dst.
	// A position with a NaN or infinite coordinate gets a row of NaNs from the place codes
	// (the linear codes carry the NaN or Inf through their arithmetic).
	Encode(dst, pos []float32) []float32
	// Decode writes the positions decoded from n network outputs out (n×Np; raw logits for place
	// codes) into dst (n×2) and returns dst.
	Decode(dst, out []float32) []float32
	// DecodingError is the mean Euclidean distance between Decode(out) and pos, in cm (spec §2.3),
	// or NaN when out holds a NaN (the outputs of a network that diverged).
	DecodingError(out, pos []float32) float64
	// Centres returns the place-field centres as Np×F×2 (cell, field, x/y; metres) and F, the
	// fields per cell after padding. Padding fields of cells with fewer than F fields sit at 1e7 ×
	// a random location, as in the reference, so they are never nearest. Non-place codes return nil, 0.
	Centres() (xy []float32, fields int)
}

// New draws a Code's random parameters (centres, widths, projections) from rng and returns it.
// Unset optional fields of p take their defaults; invalid parameters return an error naming the
// field. The draws depend only on p and rng, so a seeded rng gives the same code every time.
// The Cartesian and polar codes draw nothing and accept a nil rng; the others refuse it.
func New(p Params, rng *rand.Rand) (Code, error) {
	p = p.withDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	switch p.Kind {
	case Cartesian:
		return &cartesianCode{base{p}}, nil
	case Polar:
		return &polarCode{base{p}}, nil
	}
	if rng == nil {
		return nil, fmt.Errorf("encode: New: nil *rand.Rand: the %s code draws random parameters", p.Kind)
	}
	switch p.Kind {
	case HighDimCartesian:
		return newHighDimCartesian(p, rng)
	case HighDimPolar:
		return newHighDimPolar(p, rng)
	}
	c := newPlace(p, rng)
	if p.Fields.Kind == "poisson" {
		// Validate bounded a constant field count; a drawn one is known only now.
		if err := checkDecodeChoices(c.decodeChoices(p.TopK), p.TopK); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// base holds what every code shares.
type base struct{ p Params }

func (b *base) Kind() Kind                { return b.p.Kind }
func (b *base) Params() Params            { return b.p }
func (b *base) Np() int                   { return b.p.Np }
func (b *base) Loss() string              { return LossMSE }
func (b *base) Centres() ([]float32, int) { return nil, 0 }

// rows checks that pos holds whole positions and that dst fits n rows of width w, allocating a nil dst.
func rows(dst, in []float32, inWidth, w int, what string) ([]float32, int) {
	if len(in)%inWidth != 0 {
		panic("encode: " + what + " length is not a multiple of its row width")
	}
	n := len(in) / inWidth
	if dst == nil {
		dst = make([]float32, n*w)
	}
	if len(dst) != n*w {
		panic("encode: " + what + " dst length does not match the number of rows")
	}
	return dst, n
}

// decodingError implements Code.DecodingError for any decoder.
func decodingError(c Code, out, pos []float32) float64 {
	if len(out)/c.Np() != len(pos)/2 || len(out)%c.Np() != 0 || len(pos)%2 != 0 {
		panic("encode: DecodingError needs n×Np outputs and n×2 positions")
	}
	n := len(pos) / 2
	if n == 0 {
		return 0
	}
	for _, v := range out {
		if v != v {
			// A diverged network's NaN outputs have no top k (every comparison is false,
			// so the decoders would return whichever cells come first): it decodes nothing.
			return math.NaN()
		}
	}
	dec := c.Decode(nil, out)
	var s float64
	for i := 0; i < n; i++ {
		s += math.Hypot(float64(dec[2*i]-pos[2*i]), float64(dec[2*i+1]-pos[2*i+1]))
	}
	return 100 * s / float64(n) // m → cm
}

// parallelMin is the work (positions × cells) below which Encode and Decode stay on the
// calling goroutine: handing parts to the pool's workers costs microseconds, a 512-cell DoS
// row a fraction of one.
const parallelMin = 1 << 16

// parallel runs body over [0, n) in contiguous chunks, one per CPU, as the parts of one
// internal/workpool operation when the work is large.
func parallel(n, cost int, body func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n*cost < parallelMin {
		workers = 1
	}
	chunk := (n + workers - 1) / max(workers, 1)
	if chunk == 0 {
		return
	}
	t := &rangeTask{n: n, chunk: chunk, body: body}
	workpool.Run(t, (n+chunk-1)/chunk, workers)
}

// rangeTask is one parallel call as a workpool.Task: part q runs body on chunk q.
type rangeTask struct {
	n, chunk int
	body     func(lo, hi int)
}

func (t *rangeTask) Run(q int) { t.body(q*t.chunk, min((q+1)*t.chunk, t.n)) }

// uniform draws from U(lo, hi).
func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// draw samples a const or uniform Dist.
func draw(rng *rand.Rand, d Dist) float64 {
	if d.Kind == "uniform" {
		return uniform(rng, d.A, d.B)
	}
	return d.A
}

// poisson draws from Poisson(λ) by Knuth's product of uniforms; λ ≤ maxPoissonLambda keeps
// e^−λ far from underflow.
func poisson(rng *rand.Rand, lambda float64) int {
	l := math.Exp(-lambda)
	k, p := 0, rng.Float64()
	for p > l {
		k++
		p *= rng.Float64()
	}
	return k
}
