package theory

import (
	"math"
	"math/rand/v2"
)

// placeCode is an independent, test-only implementation of the single-field place-cell
// codes of spec §2.2 (NFL helper_classes.py PlaceCells.get_activation), used as the truth
// the spectrum code is checked against.
type placeCode struct {
	tuning Tuning
	cx, cy []float64
}

func newPlaceCode(t Tuning, np int, width, height float64, rng *rand.Rand) *placeCode {
	c := &placeCode{tuning: t, cx: make([]float64, np), cy: make([]float64, np)}
	for i := range c.cx {
		c.cx[i] = (rng.Float64() - 0.5) * width
		c.cy[i] = (rng.Float64() - 0.5) * height
	}
	return c
}

func (c *placeCode) Np() int { return len(c.cx) }

func (c *placeCode) Encode(dst, pos []float32) []float32 {
	np := len(c.cx)
	sE := c.tuning.Sigma
	sI := 0.0
	if c.tuning.Kind != KindGaussian {
		sI = c.tuning.SurroundSigma()
	}
	e := make([]float64, np)
	in := make([]float64, np)
	for p := 0; p < len(pos)/2; p++ {
		x, y := float64(pos[2*p]), float64(pos[2*p+1])
		out := dst[p*np : (p+1)*np]
		for i := range e {
			d2 := (x-c.cx[i])*(x-c.cx[i]) + (y-c.cy[i])*(y-c.cy[i])
			e[i] = -d2 / (2 * sE * sE)
			if sI > 0 {
				in[i] = -d2 / (2 * sI * sI)
			}
		}
		switch c.tuning.Kind {
		case KindGaussian:
			softmax(e)
			for i := range out {
				out[i] = float32(e[i])
			}
		case KindSoD:
			for i := range e {
				e[i] -= in[i]
			}
			softmax(e)
			for i := range out {
				out[i] = float32(e[i])
			}
		case KindDoS, KindTrueDoG, KindGeneralDoG:
			aE, aI := 1.0, 1.0
			if c.tuning.Kind == KindGeneralDoG {
				aE, aI = c.tuning.AlphaE, c.tuning.AlphaI
			}
			if c.tuning.Kind == KindDoS {
				softmax(e)
				softmax(in)
			} else {
				for i := range e {
					e[i], in[i] = math.Exp(e[i]), math.Exp(in[i])
				}
			}
			z := e
			lo := math.Inf(1)
			for i := range z {
				z[i] = aE*e[i] - aI*in[i]
				lo = math.Min(lo, z[i])
			}
			// Shift-and-normalise (spec §2.2).
			var sum float64
			for i := range z {
				z[i] += math.Abs(lo)
				sum += z[i]
			}
			for i := range out {
				out[i] = float32(z[i] / sum)
			}
		}
	}
	return dst
}

func softmax(v []float64) {
	hi := math.Inf(-1)
	for _, x := range v {
		hi = math.Max(hi, x)
	}
	var s float64
	for i, x := range v {
		v[i] = math.Exp(x - hi)
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
}
