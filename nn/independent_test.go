package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// independentLoss is the loss of m on in, written out from the Keras equations one
// sequence and one step at a time with none of the model's code: the encoder's initial
// state from p0, the cell (RNN, SRNN, LSTM gates i f c o, GRU reset_after), the dense layer,
// the readout, the loss (MSE: mean over B·T·Np; cross-entropy: mean over B·T) and
// λ·ΣW_rec² (no ½). inM and recM are the dropout masks per gate (one shared mask, or
// none, as the model keeps them); B and T are in's shape. The activation is tanh.
func independentLoss(m *Model, b *cpu.Backend[float64], cfg Config, in Batch, B, T int, inM, recM [][]float64) float64 {
	get := func(name string) []float64 {
		p := m.Param(name)
		if p == nil {
			return nil
		}
		v := make([]float64, p.Rows*p.Cols)
		b.Download64(v, p.Value)
		return v
	}
	ng, np := cfg.Ng, cfg.Np
	phi := math.Tanh // the tests' activation
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	affine := func(x, W, bias []float64, col0, cols, ld int) []float64 {
		y := make([]float64, cols)
		for j := range cols {
			if bias != nil {
				y[j] = bias[col0+j]
			}
			for i, xi := range x {
				y[j] += xi * W[i*ld+col0+j]
			}
		}
		return y
	}
	mul := func(x []float64, mk [][]float64, g, s int) []float64 {
		if len(mk) == 0 {
			return x
		}
		k := g
		if len(mk) == 1 {
			k = 0
		}
		y := make([]float64, len(x))
		n := len(x)
		for i := range x {
			y[i] = x[i] * mk[k][s*n+i]
		}
		return y
	}
	var total float64
	for s := range B {
		p0 := make([]float64, np)
		for i := range p0 {
			p0[i] = float64(in.InitCode[s*np+i])
		}
		var h, c []float64
		if cfg.Cell == LSTM {
			h = affine(p0, get("W_enc_h"), get("b_enc_h"), 0, ng, ng)
			c = affine(p0, get("W_enc_c"), get("b_enc_c"), 0, ng, ng)
		} else {
			h = affine(p0, get("W_enc"), get("b_enc"), 0, ng, ng)
		}
		for st := range T {
			u := []float64{float64(in.Vel[(st*B+s)*2]), float64(in.Vel[(st*B+s)*2+1])}
			x := u
			if cfg.Cell != RNN {
				x = affine(u, get("W_M"), get("b_M"), 0, ng, ng)
			}
			next := make([]float64, ng)
			switch cfg.Cell {
			case RNN, SRNN:
				a := affine(mul(x, inM, 0, s), get("W_in"), nil, 0, ng, ng)
				r := affine(mul(h, recM, 0, s), get("W_rec"), nil, 0, ng, ng)
				for j := range ng {
					next[j] = phi(a[j] + r[j])
				}
			case LSTM:
				pre := make([][]float64, 4)
				for g := range 4 {
					a := affine(mul(x, inM, g, s), get("W_in"), get("b"), g*ng, ng, 4*ng)
					r := affine(mul(h, recM, g, s), get("W_rec"), nil, g*ng, ng, 4*ng)
					pre[g] = make([]float64, ng)
					for j := range ng {
						pre[g][j] = a[j] + r[j]
					}
				}
				for j := range ng {
					i, f, gg, o := sig(pre[0][j]), sig(pre[1][j]), phi(pre[2][j]), sig(pre[3][j])
					c[j] = f*c[j] + i*gg
					next[j] = o * phi(c[j])
				}
			case GRU:
				bb := get("b")
				xs := make([][]float64, 3)
				rs := make([][]float64, 3)
				for g := range 3 {
					xs[g] = affine(mul(x, inM, g, s), get("W_in"), bb[:3*ng], g*ng, ng, 3*ng)
					rs[g] = affine(mul(h, recM, g, s), get("W_rec"), bb[3*ng:], g*ng, ng, 3*ng)
				}
				for j := range ng {
					z := sig(xs[0][j] + rs[0][j])
					r := sig(xs[1][j] + rs[1][j])
					hh := phi(xs[2][j] + r*rs[2][j])
					next[j] = z*h[j] + (1-z)*hh
				}
			}
			h = next
			gv := h
			if cfg.Cell != RNN {
				gv = affine(h, get("W_D"), get("b_D"), 0, ng, ng)
				for j := range gv {
					gv[j] = phi(gv[j])
				}
			}
			y := affine(gv, get("W_dec"), get("b_dec"), 0, np, np)
			tg := in.Targets[(st*B+s)*np : (st*B+s)*np+np]
			if cfg.Loss == MSE {
				for k := range np {
					d := y[k] - float64(tg[k])
					total += d * d / float64(B*T*np)
				}
			} else {
				mx := y[0]
				for _, v := range y {
					mx = max(mx, v)
				}
				var se float64
				for _, v := range y {
					se += math.Exp(v - mx)
				}
				for k := range np {
					total -= float64(tg[k]) * (y[k] - mx - math.Log(se)) / float64(B*T)
				}
			}
		}
	}
	wr := get("W_rec")
	for _, v := range wr {
		total += cfg.WeightDecay * v * v
	}
	return total
}

// masksOf downloads dropout masks.
func masksOf(b *cpu.Backend[float64], ts []compute.Tensor) [][]float64 {
	var out [][]float64
	for _, x := range ts {
		v := make([]float64, x.Rows()*x.Cols())
		b.Download64(v, x)
		out = append(out, v)
	}
	return out
}

// TestLossIndependent pins the loss values themselves against independentLoss, with every
// dropout combination: finite differences only show that a loss and its gradient agree,
// so a loss normalised differently (MSE without its /Np, a ½ on the weight decay) passed.
// Then, after that training step filled the masks, the evaluation loss must be the loss
// without masks: evaluation turns dropout off.
func TestLossIndependent(t *testing.T) {
	const B, T = 3, 4
	for _, cell := range []Cell{LSTM, GRU, SRNN, RNN} {
		for _, drop := range [][2]float64{{0, 0}, {0.3, 0}, {0, 0.4}, {0.3, 0.4}} {
			for _, loss := range []Loss{MSE, CrossEntropy} {
				cfg := Config{Cell: cell, Ng: 4, Np: 3, Activation: compute.Tanh, Loss: loss, WeightDecay: 0.01,
					InputDropout: drop[0], RecurrentDropout: drop[1]}
				b := cpu.New64()
				m, err := New(b, cfg, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				in := testBatch(rand.New(rand.NewPCG(2, 2)), cfg, B, T)
				w := m.load(in, "test")
				m.sampleMasks(w)
				got := m.run(w, true, false)
				want := independentLoss(m, b, cfg, in, B, T, masksOf(b, w.inMasks), masksOf(b, w.recMasks))
				if math.Abs(got-want) > 1e-10*math.Abs(want) {
					t.Errorf("%s dropout %v %s: training loss %v; written out %v", cell, drop, loss, got, want)
				}
				eval := m.Loss(in)
				if want := independentLoss(m, b, cfg, in, B, T, nil, nil); math.Abs(eval-want) > 1e-10*math.Abs(want) {
					t.Errorf("%s dropout %v %s: evaluation loss %v; without masks %v", cell, drop, loss, eval, want)
				}
			}
		}
	}
}
