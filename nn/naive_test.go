package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// naiveForward evaluates a three-layer model (spec §3.2–3.3) one sequence and one step at a
// time, straight from the Keras cell equations, in float64 on the host. It returns the
// outputs and grid activations, time-major like Forward.
func naiveForward(m *Model, in Batch) (out, grid []float64) {
	c := m.cfg
	ng, np, nv := c.Ng, c.Np, c.nv()
	get := func(name string) []float64 {
		p := m.Param(name)
		v := make([]float64, p.Rows*p.Cols)
		m.b.Download64(v, p.Value)
		return v
	}
	// affine returns x·W + b for W rows×cols (b may be nil).
	affine := func(x, w, b []float64, cols int) []float64 {
		y := make([]float64, cols)
		for j := range cols {
			if b != nil {
				y[j] = b[j]
			}
			for i, xi := range x {
				y[j] += xi * w[i*cols+j]
			}
		}
		return y
	}
	phi := c.Activation.Apply
	sig := compute.Sigmoid.Apply
	out = make([]float64, in.T*in.B*np)
	grid = make([]float64, in.T*in.B*ng)
	for s := range in.B {
		p0 := make([]float64, np)
		for i := range p0 {
			p0[i] = float64(in.InitCode[s*np+i])
		}
		var h, cell []float64
		if c.Cell == LSTM {
			h = affine(p0, get("W_enc_h"), get("b_enc_h"), ng)
			cell = affine(p0, get("W_enc_c"), get("b_enc_c"), ng)
		} else {
			h = affine(p0, get("W_enc"), get("b_enc"), ng)
		}
		for t := range in.T {
			u := make([]float64, nv)
			for i := range u {
				u[i] = float64(in.Vel[(t*in.B+s)*nv+i])
			}
			x := affine(u, get("W_M"), get("b_M"), ng)
			next := make([]float64, ng)
			switch c.Cell {
			case SRNN:
				a := affine(x, get("W_in"), nil, ng)
				r := affine(h, get("W_rec"), nil, ng)
				for j := range ng {
					next[j] = phi(a[j] + r[j])
				}
			case LSTM:
				z := affine(x, get("W_in"), get("b"), 4*ng)
				r := affine(h, get("W_rec"), nil, 4*ng)
				for j := range ng {
					i := sig(z[j] + r[j])
					f := sig(z[ng+j] + r[ng+j])
					g := phi(z[2*ng+j] + r[2*ng+j])
					o := sig(z[3*ng+j] + r[3*ng+j])
					cell[j] = f*cell[j] + i*g
					next[j] = o * phi(cell[j])
				}
			case GRU:
				b := get("b")
				xz := affine(x, get("W_in"), b[:3*ng], 3*ng)
				inner := affine(h, get("W_rec"), b[3*ng:], 3*ng)
				for j := range ng {
					z := sig(xz[j] + inner[j])
					r := sig(xz[ng+j] + inner[ng+j])
					hh := phi(xz[2*ng+j] + r*inner[2*ng+j])
					next[j] = z*h[j] + (1-z)*hh
				}
			case UGRNN:
				a := affine(append(append([]float64(nil), x...), h...), get("W"), get("b"), 2*ng)
				for j := range ng {
					gate := sig(a[j] + 1)
					cand := phi(a[ng+j])
					next[j] = gate*h[j] + (1-gate)*cand
				}
			}
			h = next
			g := affine(h, get("W_D"), get("b_D"), ng)
			for j := range g {
				g[j] = phi(g[j])
			}
			y := affine(g, get("W_dec"), get("b_dec"), np)
			copy(grid[(t*in.B+s)*ng:], g)
			copy(out[(t*in.B+s)*np:], y)
		}
	}
	return out, grid
}

// TestCellsForwardNaive compares the batched forward pass of every three-layer cell with
// naiveForward, with random (non-zero) biases.
func TestCellsForwardNaive(t *testing.T) {
	for _, cell := range []Cell{SRNN, LSTM, GRU, UGRNN} {
		for _, act := range []compute.Activation{compute.ReLU, compute.Tanh} {
			cfg := Config{Cell: cell, Ng: 5, Np: 4, Activation: act, Loss: MSE}
			m, err := New(cpu.New64(), cfg, rand.New(rand.NewPCG(6, 6)))
			if err != nil {
				t.Fatal(err)
			}
			jitter := rand.New(rand.NewPCG(7, 7))
			for _, p := range m.Params() {
				v := make([]float64, p.Rows*p.Cols)
				m.b.Download64(v, p.Value)
				for i := range v {
					v[i] += 0.2 * (jitter.Float64() - 0.5)
				}
				m.b.Upload64(p.Value, v)
			}
			in := testBatch(rand.New(rand.NewPCG(8, 8)), cfg, 3, 6)
			out, g := m.Forward(in, nil, nil)
			wantOut, wantG := naiveForward(m, in)
			for i := range wantOut {
				if math.Abs(float64(out[i])-wantOut[i]) > hostF32Tol*max(1, math.Abs(wantOut[i])) {
					t.Fatalf("%s/%s: out[%d] = %v; naive %v", cell, act, i, out[i], wantOut[i])
				}
			}
			for i := range wantG {
				if math.Abs(float64(g[i])-wantG[i]) > hostF32Tol*max(1, math.Abs(wantG[i])) {
					t.Fatalf("%s/%s: g[%d] = %v; naive %v", cell, act, i, g[i], wantG[i])
				}
			}
		}
	}
}

// Evaluate and EvaluateGrid give what Loss and Forward give, from one forward pass, for
// every cell and loss, with weight decay and dropout configured (evaluation turns it off).
func TestEvaluateIsLossAndForward(t *testing.T) {
	for _, cell := range []Cell{RNN, SRNN, LSTM, GRU, UGRNN} {
		for _, loss := range []Loss{CrossEntropy, MSE} {
			cfg := Config{Cell: cell, Ng: 6, Np: 4, Activation: compute.ReLU, Loss: loss,
				WeightDecay: 1e-3, RecurrentDropout: 0.3, InputDropout: 0.2}
			m, err := New(cpu.New64(), cfg, rand.New(rand.NewPCG(9, 9)))
			if err != nil {
				t.Fatal(err)
			}
			in := testBatch(rand.New(rand.NewPCG(10, 10)), cfg, 3, 5)
			wantLoss := m.Loss(in)
			wantOut, wantG := m.Forward(in, nil, nil)
			gotLoss, out := m.Evaluate(in, nil)
			gotLoss2, out2, g2 := m.EvaluateGrid(in, nil, nil)
			if gotLoss != wantLoss || gotLoss2 != wantLoss {
				t.Fatalf("%s/%s: Evaluate loss %v, EvaluateGrid %v; Loss %v", cell, loss, gotLoss, gotLoss2, wantLoss)
			}
			for i := range wantOut {
				if out[i] != wantOut[i] || out2[i] != wantOut[i] {
					t.Fatalf("%s/%s: out[%d] = %v, %v; Forward %v", cell, loss, i, out[i], out2[i], wantOut[i])
				}
			}
			for i := range wantG {
				if g2[i] != wantG[i] {
					t.Fatalf("%s/%s: g[%d] = %v; Forward %v", cell, loss, i, g2[i], wantG[i])
				}
			}
		}
	}
}
