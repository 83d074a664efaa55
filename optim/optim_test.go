package optim

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/nn"
)

const tol = 1e-12 // float64 backend against closed forms

func oneParam(b compute.Backend, theta, grad []float64) *nn.Param {
	p := &nn.Param{Name: "w", Rows: 1, Cols: len(theta), Value: b.New(1, len(theta)), Grad: b.New(1, len(theta))}
	b.Upload64(p.Value, theta)
	b.Upload64(p.Grad, grad)
	return p
}

// TestFirstStep compares the first update of each optimizer (zero initial state) with its
// closed form, written out by hand from the formulas in the package comment.
func TestFirstStep(t *testing.T) {
	const lr, theta, eps = 0.1, 1.0, 1e-7
	for _, tc := range []struct {
		s    Settings
		want func(g float64) float64
	}{
		{Settings{Kind: SGD, LR: lr}, func(g float64) float64 { return theta - lr*g }},
		// Keras: m₁ = 0.1g, v₁ = 0.001g², θ₁ = θ − lr·√0.001/0.1 · 0.1g/(√0.001·|g| + ε).
		{Settings{Kind: Adam, LR: lr}, func(g float64) float64 {
			return theta - lr*math.Sqrt(0.001)*g/(math.Sqrt(0.001)*math.Abs(g)+eps)
		}},
		// PyTorch: m̂ = g, v̂ = g², θ₁ = θ − lr·g/(|g| + ε).
		{Settings{Kind: Adam, LR: lr, AdamEpsilon: compute.EpsilonPyTorch}, func(g float64) float64 {
			return theta - lr*g/(math.Abs(g)+eps)
		}},
		// a₁ = 0.1g², θ₁ = θ − lr·g/(√0.1·|g| + ε).
		{Settings{Kind: RMSProp, LR: lr}, func(g float64) float64 { return theta - lr*g/(math.Sqrt(0.1)*math.Abs(g)+eps) }},
		// a₁ = 0.1 + g², θ₁ = θ − lr·g/(√(0.1+g²) + ε).
		{Settings{Kind: Adagrad, LR: lr}, func(g float64) float64 { return theta - lr*g/(math.Sqrt(0.1+g*g)+eps) }},
		{Settings{Kind: Adagrad, LR: lr, InitialAccumulator: -1}, func(g float64) float64 { return theta - lr*g/(math.Abs(g)+eps) }},
	} {
		b := cpu.New64()
		grads := []float64{0.5, -2, 1e-3}
		p := oneParam(b, []float64{theta, theta, theta}, grads)
		o, err := New(b, []*nn.Param{p}, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		o.Step()
		got := make([]float64, 3)
		b.Download64(got, p.Value)
		for i, g := range grads {
			if w := tc.want(g); math.Abs(got[i]-w) > tol {
				t.Errorf("%+v, g = %v: θ₁ = %.15g; want %.15g", tc.s, g, got[i], w)
			}
		}
	}
}

// TestResume checks that saving and restoring State and Iterations continues the exact same
// trajectory of updates, as a checkpoint resume must.
func TestResume(t *testing.T) {
	for _, k := range []Kind{Adam, RMSProp, SGD, Adagrad} {
		rng := rand.New(rand.NewPCG(1, 2))
		b := cpu.New64()
		grads := make([][]float64, 6)
		for i := range grads {
			grads[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
		}
		run := func(p *nn.Param, o *Optimizer, from, to int) {
			for i := from; i < to; i++ {
				b.Upload64(p.Grad, grads[i])
				o.Step()
			}
		}
		s := Settings{Kind: k, LR: 0.01}
		pa := oneParam(b, []float64{1, 2}, []float64{0, 0})
		oa, _ := New(b, []*nn.Param{pa}, s)
		run(pa, oa, 0, 6)

		pb := oneParam(b, []float64{1, 2}, []float64{0, 0})
		ob, _ := New(b, []*nn.Param{pb}, s)
		run(pb, ob, 0, 3)
		saved := map[string][]float64{}
		for _, st := range ob.State() {
			v := make([]float64, st.Rows*st.Cols)
			b.Download64(v, st.Tensor)
			saved[st.Name] = v
		}
		theta := make([]float64, 2)
		b.Download64(theta, pb.Value)
		pc := oneParam(b, theta, []float64{0, 0})
		oc, _ := New(b, []*nn.Param{pc}, s)
		for _, st := range oc.State() {
			b.Upload64(st.Tensor, saved[st.Name])
		}
		oc.SetIterations(ob.Iterations())
		run(pc, oc, 3, 6)

		got, want := make([]float64, 2), make([]float64, 2)
		b.Download64(got, pc.Value)
		b.Download64(want, pa.Value)
		if got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s: resumed θ = %v; uninterrupted %v", k, got, want)
		}
	}
}

func TestStateNames(t *testing.T) {
	b := cpu.New64()
	p := oneParam(b, []float64{1}, []float64{1})
	p.Name = "W_rec"
	o, _ := New(b, []*nn.Param{p}, Settings{Kind: Adam, LR: 1})
	if st := o.State(); len(st) != 2 || st[0].Name != "m/W_rec" || st[1].Name != "v/W_rec" {
		t.Errorf("Adam state = %+v; want m/W_rec, v/W_rec", st)
	}
}

// TestTrainsModel is an integration check: Adam on the float32 CPU backend lowers the loss
// of a small RNN on a fixed batch.
func TestTrainsModel(t *testing.T) {
	cfg := nn.Config{Cell: nn.RNN, Ng: 16, Np: 8, Activation: compute.ReLU, Loss: nn.MSE}
	b := cpu.New(nil)
	m, err := nn.New(b, cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	in := nn.Batch{B: 8, T: 5, Vel: make([]float32, 5*8*2), InitCode: make([]float32, 8*8), Targets: make([]float32, 5*8*8)}
	for _, s := range [][]float32{in.Vel, in.InitCode, in.Targets} {
		for i := range s {
			s[i] = float32(rng.Float64() - 0.5)
		}
	}
	o, err := New(b, m.Params(), Settings{Kind: Adam, LR: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	first := m.Step(in)
	o.Step()
	for range 100 {
		m.Step(in)
		o.Step()
	}
	if last := m.Loss(in); !(last < 0.5*first) {
		t.Errorf("loss %v after 100 Adam steps; started at %v, want below half", last, first)
	}
}

func TestFromConfig(t *testing.T) {
	c := &config.Config{}
	c.Training.Optimizer, c.Training.LearningRate, c.Training.Epsilon = "adam", 1e-4, 1e-8
	c.Model.InitConvention = "pytorch"
	s, err := FromConfig(c)
	if err != nil || s.Kind != Adam || s.AdamEpsilon != compute.EpsilonPyTorch || s.Epsilon != 1e-8 {
		t.Errorf("FromConfig = %+v, %v; want adam with the PyTorch ε convention", s, err)
	}
	c.Training.Optimizer = "lbfgs"
	var ce *config.ConfigError
	if _, err := FromConfig(c); !errors.As(err, &ce) || ce.Key != "training.optimizer" {
		t.Errorf("FromConfig(optimizer lbfgs) error = %v; want a ConfigError for training.optimizer", err)
	}
}

// TestFiveSteps runs five updates with a different gradient each step against the
// recurrences written out here: the state must carry over and Adam's bias corrections must
// use t = 1…5. Checking only the first step let an Adam stuck at t = 1 pass.
func TestFiveSteps(t *testing.T) {
	const lr, eps, b1, b2, rho = 0.05, 1e-7, 0.9, 0.999, 0.9
	grads := [][]float64{{0.5, -2, 1e-3}, {-0.3, 1.5, 2e-3}, {0.8, -0.1, -4e-3}, {0.2, 2.5, 1e-2}, {-1, 0.4, 3e-3}}
	for _, tc := range []struct {
		s    Settings
		step func(theta, state []float64, g float64, t int) // state: the optimizer's per-entry memory
	}{
		{Settings{Kind: SGD, LR: lr}, func(th, _ []float64, g float64, _ int) { th[0] -= lr * g }},
		{Settings{Kind: Adam, LR: lr}, func(th, st []float64, g float64, t int) {
			st[0] = b1*st[0] + (1-b1)*g
			st[1] = b2*st[1] + (1-b2)*g*g
			c := math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t)))
			th[0] -= lr * c * st[0] / (math.Sqrt(st[1]) + eps)
		}},
		{Settings{Kind: Adam, LR: lr, AdamEpsilon: compute.EpsilonPyTorch}, func(th, st []float64, g float64, t int) {
			st[0] = b1*st[0] + (1-b1)*g
			st[1] = b2*st[1] + (1-b2)*g*g
			mh := st[0] / (1 - math.Pow(b1, float64(t)))
			vh := st[1] / (1 - math.Pow(b2, float64(t)))
			th[0] -= lr * mh / (math.Sqrt(vh) + eps)
		}},
		{Settings{Kind: RMSProp, LR: lr}, func(th, st []float64, g float64, _ int) {
			st[0] = rho*st[0] + (1-rho)*g*g
			th[0] -= lr * g / (math.Sqrt(st[0]) + eps)
		}},
		{Settings{Kind: Adagrad, LR: lr}, func(th, st []float64, g float64, t int) {
			if t == 1 {
				st[0] = 0.1 // Keras' initial accumulator
			}
			st[0] += g * g
			th[0] -= lr * g / (math.Sqrt(st[0]) + eps)
		}},
	} {
		b := cpu.New64()
		p := oneParam(b, []float64{1, 1, 1}, grads[0])
		o, err := New(b, []*nn.Param{p}, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]float64{{1}, {1}, {1}}
		state := [][]float64{make([]float64, 2), make([]float64, 2), make([]float64, 2)}
		for step, g := range grads {
			b.Upload64(p.Grad, g)
			o.Step()
			for i := range g {
				tc.step(want[i], state[i], g[i], step+1)
			}
		}
		got := make([]float64, 3)
		b.Download64(got, p.Value)
		for i := range got {
			if math.Abs(got[i]-want[i][0]) > tol {
				t.Errorf("%s (ε %v): θ₅[%d] = %.15g; want %.15g", tc.s.Kind, tc.s.AdamEpsilon, i, got[i], want[i][0])
			}
		}
	}
}

// Free releases the state tensors of every kind of optimizer.
func TestFree(t *testing.T) {
	for _, kind := range []Kind{SGD, Adam, RMSProp, Adagrad} {
		c := computetest.NewCounting(cpu.New(nil))
		p := &nn.Param{Name: "w", Rows: 2, Cols: 3, Value: cpu.New(nil).New(2, 3), Grad: cpu.New(nil).New(2, 3)}
		o, err := New(c, []*nn.Param{p}, Settings{Kind: kind, LR: 1e-2, Rho: 0.9, Epsilon: 1e-7})
		if err != nil {
			t.Fatal(err)
		}
		if kind != SGD && c.Live() == 0 {
			t.Fatalf("%v: no state allocated through the counting backend", kind)
		}
		o.Free()
		if c.Live() != 0 || len(c.Errors) != 0 {
			t.Errorf("%v: %d tensors left after Free; %q", kind, c.Live(), c.Errors)
		}
	}
}
