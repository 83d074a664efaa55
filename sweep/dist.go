package sweep

import (
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"
)

// sample draws one value of p for a random search, formatted as config.Set parses it.
// The distributions follow W&B sweeps (src/sweeps/params.py, HyperParameter.ppf):
//
//	int_uniform           integer uniform on [min, max]
//	uniform               U(min, max)
//	q_uniform             round(U(min, max)/q)·q
//	log_uniform           exp(U(min, max))             (bounds in log space)
//	log_uniform_values    exp(U(ln min, ln max))        (bounds as values)
//	q_log_uniform[_values] round(log_uniform[_values]/q)·q
//	inv_log_uniform       exp(−U(min, max))
//	inv_log_uniform_values exp(−U(ln(1/max), ln(1/min))), i.e. 1/X log-uniform, X in [min, max]
//	normal, q_normal      N(mu, sigma), rounded to q
//	log_normal, q_log_normal exp(N(mu, sigma)), rounded to q
//	beta, q_beta          Beta(a, b), rounded to q
//
// A quantum q written as an integer gives integer values, as in W&B.
func (p *Param) sample(rng *rand.Rand) string {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	q := func(x float64) string { return formatFloat(quantise(x, p.Q, p.intQ)) }
	switch p.Dist {
	case DistConstant:
		return p.Values[0]
	case DistCategorical:
		return p.Values[pick(rng, len(p.Values), p.Probabilities)]
	case DistIntUniform:
		lo, hi := int64(p.Min), int64(p.Max)
		return strconv.FormatInt(lo+rng.Int64N(hi-lo+1), 10)
	case DistUniform:
		return formatFloat(u(p.Min, p.Max))
	case DistQUniform:
		return q(u(p.Min, p.Max))
	case DistLogUniform:
		return formatFloat(math.Exp(u(p.Min, p.Max)))
	case DistLogUniformValues:
		return formatFloat(math.Exp(u(math.Log(p.Min), math.Log(p.Max))))
	case DistQLogUniform:
		return q(math.Exp(u(p.Min, p.Max)))
	case DistQLogUniformValues:
		return q(math.Exp(u(math.Log(p.Min), math.Log(p.Max))))
	case DistInvLogUniform:
		return formatFloat(math.Exp(-u(p.Min, p.Max)))
	case DistInvLogUniformValue:
		return formatFloat(math.Exp(-u(math.Log(1/p.Max), math.Log(1/p.Min))))
	case DistNormal:
		return formatFloat(p.Mu + p.Sigma*rng.NormFloat64())
	case DistQNormal:
		return q(p.Mu + p.Sigma*rng.NormFloat64())
	case DistLogNormal:
		return formatFloat(math.Exp(p.Mu + p.Sigma*rng.NormFloat64()))
	case DistQLogNormal:
		return q(math.Exp(p.Mu + p.Sigma*rng.NormFloat64()))
	case DistBeta:
		return formatFloat(distuv.Beta{Alpha: p.A, Beta: p.B, Src: rng}.Rand())
	case DistQBeta:
		return q(distuv.Beta{Alpha: p.A, Beta: p.B, Src: rng}.Rand())
	}
	panic("sweep: unknown distribution " + p.Dist)
}

// pick returns an index in [0, n) with the given weights (nil: equal).
func pick(rng *rand.Rand, n int, weights []float64) int {
	if weights == nil {
		return rng.IntN(n)
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	x := rng.Float64() * sum
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	// Rounding left x ≥ 0 after the last weight: the last positive weight.
	for i := n - 1; i > 0; i-- {
		if weights[i] > 0 {
			return i
		}
	}
	return 0
}

// quantise rounds x to a multiple of q (numpy's round, half to even, as W&B uses).
func quantise(x, q float64, integer bool) float64 {
	v := math.RoundToEven(x/q) * q
	if integer {
		return math.Round(v)
	}
	// Remove the representation error of the product (0.1·3 = 0.30000000000000004).
	return tidyFloat(v)
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// tidyFloat rounds v to 12 significant digits, dropping the last-bit noise of products and
// sums such as 0.1·3 or 0.05 + 2·0.1 (0.25000000000000006) so that a value reads as written.
func tidyFloat(v float64) float64 {
	t, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return t
}
