package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/compute/ensemble"
)

// Tolerances of the float32-vs-float64 comparison: float32 rounding (2⁻²⁴ ≈ 6e-8) grows
// through T steps and products of length Ng.
const (
	f32LossTol = 1e-5 // relative, loss
	f32GradTol = 1e-3 // relative to the gradient tensor's norm
	// hostF32Tol: Forward returns float32 on the host, so a float64 model's outputs are
	// compared at float32 precision.
	hostF32Tol = 1e-6
)

// TestFloat32MatchesFloat64 runs the same model (same weights, same batch, same masks) on the
// float32 and float64 backends.
func TestFloat32MatchesFloat64(t *testing.T) {
	for _, cell := range []Cell{RNN, SRNN, LSTM, GRU, UGRNN} {
		cfg := Config{Cell: cell, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}
		if cell == LSTM || cell == GRU {
			cfg.Activation = compute.Tanh
		}
		if cell != UGRNN {
			cfg.InputDropout, cfg.RecurrentDropout = 0.1, 0.1
		}
		m32, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		m64, _ := New(cpu.New64(), cfg, rand.New(rand.NewPCG(1, 1)))
		// Same weights: copy float32 values into the float64 model.
		for i, p := range m32.Params() {
			v := make([]float32, p.Rows*p.Cols)
			m32.b.Download(v, p.Value)
			m64.b.Upload(m64.Params()[i].Value, v)
		}
		in := testBatch(rand.New(rand.NewPCG(2, 2)), cfg, 8, 10)
		// Both models draw their masks from identically seeded rngs.
		l32, l64 := m32.Step(in), m64.Step(in)
		if math.Abs(l32-l64) > f32LossTol*math.Abs(l64) {
			t.Errorf("%s: float32 loss %v; float64 %v", cell, l32, l64)
		}
		for i, p := range m64.Params() {
			g64 := make([]float64, p.Rows*p.Cols)
			g32 := make([]float64, p.Rows*p.Cols)
			m64.b.Download64(g64, p.Grad)
			m32.b.Download64(g32, m32.Params()[i].Grad)
			var d2, n2 float64
			for j := range g64 {
				d2 += (g32[j] - g64[j]) * (g32[j] - g64[j])
				n2 += g64[j] * g64[j]
			}
			if math.Sqrt(d2) > f32GradTol*math.Sqrt(n2)+1e-12 {
				t.Errorf("%s %s: float32 gradient differs by %.3g (norm %.3g)", cell, p.Name, math.Sqrt(d2), math.Sqrt(n2))
			}
		}
	}
}

// TestRNNForwardNaive compares the batched Sorscher RNN forward pass with a per-sequence,
// per-step loop written directly from spec §3.1.
func TestRNNForwardNaive(t *testing.T) {
	cfg := Config{Cell: RNN, Ng: 9, Np: 7, Activation: compute.ReLU, Loss: CrossEntropy}
	m, err := New(cpu.New64(), cfg, rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 3, 5
	in := testBatch(rand.New(rand.NewPCG(5, 5)), cfg, B, T)
	out, g := m.Forward(in, nil, nil)
	get := func(name string) []float64 {
		p := m.Param(name)
		v := make([]float64, p.Rows*p.Cols)
		m.b.Download64(v, p.Value)
		return v
	}
	wEnc, wIn, wRec, wDec := get("W_enc"), get("W_in"), get("W_rec"), get("W_dec")
	ng, np := cfg.Ng, cfg.Np
	for s := range B {
		h := make([]float64, ng)
		for j := range ng {
			for i := range np {
				h[j] += float64(in.InitCode[s*np+i]) * wEnc[i*ng+j]
			}
		}
		for step := range T {
			next := make([]float64, ng)
			for j := range ng {
				a := 0.0
				for i := range 2 {
					a += float64(in.Vel[(step*B+s)*2+i]) * wIn[i*ng+j]
				}
				for i := range ng {
					a += h[i] * wRec[i*ng+j]
				}
				next[j] = math.Max(a, 0)
			}
			h = next
			for j := range ng {
				if got := float64(g[(step*B+s)*ng+j]); math.Abs(got-h[j]) > hostF32Tol*max(1, math.Abs(h[j])) {
					t.Fatalf("g[t=%d, b=%d, %d] = %v; want %v", step, s, j, got, h[j])
				}
			}
			for k := range np {
				y := 0.0
				for j := range ng {
					y += h[j] * wDec[j*np+k]
				}
				if got := float64(out[(step*B+s)*np+k]); math.Abs(got-y) > hostF32Tol*max(1, math.Abs(y)) {
					t.Fatalf("out[t=%d, b=%d, %d] = %v; want %v", step, s, k, got, y)
				}
			}
		}
	}
}

// TestStepAllocs checks that a training step allocates nothing once its workspace exists.
// checkStepAllocs fails t if a warmed-up Step of a cfg model on the float32 CPU backend
// allocates.
func checkStepAllocs(t *testing.T, cfg Config) {
	t.Helper()
	m, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	in := testBatch(rand.New(rand.NewPCG(3, 2)), cfg, 4, 5)
	m.Step(in)
	if n := testing.AllocsPerRun(5, func() { m.Step(in) }); n != 0 {
		t.Errorf("%s: Step allocates %v times per call; want 0", cfg.Cell, n)
	}
}

func TestStepAllocs(t *testing.T) {
	for _, cell := range []Cell{RNN, LSTM, GRU, UGRNN, SRNN} {
		cfg := Config{Cell: cell, Ng: 8, Np: 6, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}
		if cell != UGRNN {
			cfg.InputDropout, cfg.RecurrentDropout = 0.1, 0.1
		}
		checkStepAllocs(t, cfg)
	}
}

// TestMasksPerSequence checks the dropout masks: zero or 1/(1−p), fixed over time (the
// dropped velocity component of a sequence contributes nothing at any step).
func TestMasksPerSequence(t *testing.T) {
	cfg := Config{Cell: RNN, Ng: 4, Np: 3, Activation: compute.Linear, Loss: MSE, InputDropout: 0.5}
	b := cpu.New64()
	m, err := New(b, cfg, rand.New(rand.NewPCG(8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	in := testBatch(rand.New(rand.NewPCG(9, 9)), cfg, 50, 3)
	w := m.load(in, "test")
	m.sampleMasks(w)
	m.run(w, true, false)
	mask := b.Slice(w.inMasks[0])
	dropped := 0
	for _, v := range mask {
		if v != 0 && v != 2 {
			t.Fatalf("mask value %v; want 0 or 1/(1−0.5) = 2", v)
		}
		if v == 0 {
			dropped++
		}
	}
	if dropped == 0 || dropped == len(mask) {
		t.Fatalf("%d of %d mask entries dropped", dropped, len(mask))
	}
	x := b.Slice(w.xs[0])
	for step := range in.T {
		for s := range in.B {
			for i := range 2 {
				want := float64(in.Vel[(step*in.B+s)*2+i]) * mask[s*2+i]
				if x[(step*in.B+s)*2+i] != want {
					t.Fatalf("masked input at t=%d b=%d: %v; want %v", step, s, x[(step*in.B+s)*2+i], want)
				}
			}
		}
	}
	// Evaluation uses no mask.
	m.run(w, false, false)
	if &b.Slice(w.xs[0])[0] != &b.Slice(w.in.Vel)[0] {
		t.Errorf("evaluation pass used the dropout input")
	}
}

func TestValidate(t *testing.T) {
	good := Config{Cell: RNN, Ng: 4, Np: 3, Activation: compute.ReLU, Loss: CrossEntropy}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", good, err)
	}
	if _, err := New(cpu.New64(), good, nil); err == nil {
		t.Error("New with a nil *rand.Rand succeeded")
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.Cell = "TCN" },
		func(c *Config) { c.Ng = 0 },
		func(c *Config) { c.Loss = PolarMSE },
		func(c *Config) { c.InputDropout = 1 },
		func(c *Config) { c.Cell = GRU; c.InitConvention = PyTorch },
		func(c *Config) { c.Initializer = "he_normal" },
		func(c *Config) { c.NFLUGRNNBiasDecay = true },
		func(c *Config) { c.Activation = 0 }, // unset: refused, not a silent linear network
	} {
		c := good
		bad(&c)
		if _, err := New(cpu.New64(), c, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("New(%+v) succeeded; want an error", c)
		}
	}
}

// TestMaskCounts checks Keras' mask layout: SimpleRNN one input and one recurrent mask;
// LSTM and GRU one shared input mask without recurrent dropout (implementation 2) and one
// mask per gate for both once recurrent dropout is on (implementation 1); UGRNN none.
func TestMaskCounts(t *testing.T) {
	for _, tc := range []struct {
		cell      Cell
		in, rec   float64
		nIn, nRec int
	}{
		{RNN, 0.5, 0.5, 1, 1}, {SRNN, 0.5, 0, 1, 0}, {LSTM, 0.5, 0, 1, 0}, {LSTM, 0.5, 0.5, 4, 4},
		{LSTM, 0, 0.5, 0, 4}, {GRU, 0.5, 0.5, 3, 3}, {GRU, 0.5, 0, 1, 0}, {UGRNN, 0.5, 0.5, 0, 0},
	} {
		cfg := Config{Cell: tc.cell, Ng: 4, Np: 3, Activation: compute.Tanh, Loss: MSE, InputDropout: tc.in, RecurrentDropout: tc.rec}
		m, err := New(cpu.New64(), cfg, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		w := m.workspace(2, 3)
		if len(w.inMasks) != tc.nIn || len(w.recMasks) != tc.nRec {
			t.Errorf("%s dropout %v/%v: %d input and %d recurrent masks; want %d and %d",
				tc.cell, tc.in, tc.rec, len(w.inMasks), len(w.recMasks), tc.nIn, tc.nRec)
		}
	}
}

func TestReleaseWorkspace(t *testing.T) {
	cfg := Config{Cell: GRU, Ng: 4, Np: 3, Activation: compute.Tanh, Loss: MSE, RecurrentDropout: 0.2}
	m, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	in := testBatch(rand.New(rand.NewPCG(2, 1)), cfg, 2, 3)
	want := m.Loss(in)
	m.ReleaseWorkspace(2, 3)
	if _, ok := m.ws[[2]int{2, 3}]; ok {
		t.Fatalf("workspace still held after ReleaseWorkspace")
	}
	if got := m.Loss(in); got != want {
		t.Errorf("loss after re-allocating the workspace = %v; want %v", got, want)
	}
}

// TestDeferredScalars runs the same model on the CPU and on the CPU with scalars deferred
// (as the GPU runs it: the loss and the weight-decay term are collected after the backward
// pass): the losses (training and evaluation) and gradients must be the same bits.
func TestDeferredScalars(t *testing.T) {
	for _, loss := range []Loss{CrossEntropy, MSE} {
		cfg := Config{Cell: RNN, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: loss, WeightDecay: 1e-3}
		plain, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		d := computetest.NewDeferring(cpu.New(nil))
		deferred, _ := New(d, cfg, rand.New(rand.NewPCG(3, 3)))
		in := testBatch(rand.New(rand.NewPCG(4, 4)), cfg, 8, 10)
		if a, b := plain.Step(in), deferred.Step(in); math.Float64bits(a) != math.Float64bits(b) || a == 0 {
			t.Errorf("%s: step loss %v deferred, %v plain", loss, b, a)
		}
		if a, b := plain.Loss(in), deferred.Loss(in); math.Float64bits(a) != math.Float64bits(b) || a == 0 {
			t.Errorf("%s: evaluation loss %v deferred, %v plain", loss, b, a)
		}
		for i, p := range plain.Params() {
			g, h := make([]float64, p.Rows*p.Cols), make([]float64, p.Rows*p.Cols)
			plain.b.Download64(g, p.Grad)
			d.Download64(h, deferred.Params()[i].Grad)
			if !slices.Equal(g, h) {
				t.Errorf("%s %s: gradients differ", loss, p.Name)
			}
		}
		if got := d.CollectScalars(nil); len(got) != 0 {
			t.Errorf("%s: the model left scalars deferred (%v)", loss, got)
		}
	}
}

// TestStartFinishStep checks the two halves of a training step as the trainer runs them on
// the GPU: the optimizer update queued between StartStep and FinishStep runs while the
// loss is on its way (computetest.Deferring counts it), one wait per step, and the loss,
// the lanes' values and the updated weights are those of StepLoaded followed by the update.
func TestStartFinishStep(t *testing.T) {
	cfg := Config{Cell: RNN, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-3}
	const B, T = 8, 10
	in := testBatch(rand.New(rand.NewPCG(4, 4)), cfg, B, T)
	moments := map[*Param][2]compute.Tensor{}
	adam := func(m *Model, step int) {
		for _, p := range m.Params() {
			mv, ok := moments[p]
			if !ok {
				mv = [2]compute.Tensor{m.b.New(p.Rows, p.Cols), m.b.New(p.Rows, p.Cols)}
				moments[p] = mv
			}
			m.b.Adam(p.Value, p.Grad, mv[0], mv[1], compute.AdamStep{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7, Step: step})
		}
	}
	plain, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	d := computetest.NewDeferring(cpu.New(nil))
	split, _ := New(d, cfg, rand.New(rand.NewPCG(3, 3)))
	for _, m := range []*Model{plain, split} {
		m.load(in, "StepLoaded")
	}
	for step := 1; step <= 2; step++ {
		want := plain.StepLoaded(B, T)
		adam(plain, step)
		split.StartStep(B, T)
		adam(split, step)
		got := split.FinishStep()
		if math.Float64bits(got) != math.Float64bits(want) || got == 0 {
			t.Errorf("step %d: loss %v through StartStep/FinishStep, %v through StepLoaded", step, got, want)
		}
	}
	if n := 2 * len(split.Params()); d.Overlapped != n || d.Waits != 2 {
		t.Errorf("%d updates overlapped the loss's wait in %d waits; want %d in 2", d.Overlapped, d.Waits, n)
	}
	for i, p := range plain.Params() {
		g, h := make([]float64, p.Rows*p.Cols), make([]float64, p.Rows*p.Cols)
		plain.b.Download64(g, p.Value)
		d.Download64(h, split.Params()[i].Value)
		if !slices.Equal(g, h) {
			t.Errorf("%s: weights after two updates differ", p.Name)
		}
	}
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", what)
			}
		}()
		f()
	}
	mustPanic("FinishStep without StartStep", func() { split.FinishStep() })
	split.StartStep(B, T)
	mustPanic("StartStep twice", func() { split.StartStep(B, T) })
}

// A loss without targets panics; it used to be the loss against the previous batch's targets,
// left on the device. Forward does not read them.
func TestLossNeedsTargets(t *testing.T) {
	cfg := Config{Cell: RNN, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: CrossEntropy}
	const B, T = 4, 5
	in := testBatch(rand.New(rand.NewPCG(5, 5)), cfg, B, T)
	m, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	m.Loss(in) // the targets are on the device now
	noTargets := in
	noTargets.Targets = nil
	for name, f := range map[string]func(){
		"Loss":     func() { m.Loss(noTargets) },
		"Step":     func() { m.Step(noTargets) },
		"Evaluate": func() { m.Evaluate(noTargets, nil) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, name+": Batch.Targets is nil") {
					t.Errorf("%s without targets: panic %q", name, msg)
				}
			}()
			f()
		}()
	}
	out, _ := m.Forward(noTargets, nil, nil)
	want, _ := m.Forward(in, nil, nil)
	if !slices.Equal(out, want) {
		t.Error("Forward reads the targets")
	}
}

// Free releases every tensor the model allocated: its parameters and the workspaces of all
// the shapes it ran.
func TestModelFree(t *testing.T) {
	for _, cell := range []Cell{RNN, LSTM} {
		cfg := Config{Cell: cell, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: CrossEntropy}
		c := computetest.NewCounting(cpu.New(nil))
		m, err := New(c, cfg, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		for _, shape := range [][2]int{{4, 5}, {3, 7}} {
			in := testBatch(rand.New(rand.NewPCG(5, 5)), cfg, shape[0], shape[1])
			m.Step(in)
			m.Forward(in, nil, nil)
		}
		if c.Live() == 0 {
			t.Fatalf("%v: no tensors allocated through the counting backend", cell)
		}
		m.Free()
		if c.Live() != 0 || len(c.Errors) != 0 {
			t.Errorf("%v: %d tensors left after Free; %q", cell, c.Live(), c.Errors)
		}
	}
}

// TestStartStepUntil gives a step up at each of the points where StartStepUntil asks stop
// (every time step of the forward and the backward recurrence, and between the passes), for
// every cell, with dropout and without (the packed W_rec path). Each time no FinishStep is
// owed, and with the generator put back the next StepLoaded has the loss and the gradients,
// bit for bit, of a model that never stopped: what a resumed training run relies on (package
// train).
func TestStartStepUntil(t *testing.T) {
	const B, T = 6, 5
	// The CPU; the CPU deferring its scalars as the GPU does; a CPU ensemble of three
	// networks, which defers its scalars too (no dropout: a stack of runs has none).
	backends := []struct {
		name    string
		new     func() compute.Backend
		dropout bool
	}{
		{"cpu", func() compute.Backend { return cpu.New(nil) }, true},
		{"deferring", func() compute.Backend { return computetest.NewDeferring(cpu.New(nil)) }, false},
		{"ensemble", func() compute.Backend {
			e, err := ensemble.New(cpu.New(nil), 3)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}, false},
	}
	type variant struct {
		backend int
		cell    Cell
		dropout bool
	}
	var variants []variant
	for bi, be := range backends {
		for _, cell := range []Cell{RNN, LSTM, GRU, UGRNN, SRNN} {
			variants = append(variants, variant{bi, cell, false})
			if cell != UGRNN && be.dropout {
				variants = append(variants, variant{bi, cell, true})
			}
		}
	}
	for _, v := range variants {
		cell, name := v.cell, backends[v.backend].name+" "+string(v.cell)
		if v.dropout {
			name += " with dropout"
		}
		cfg := Config{Cell: cell, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-3,
			NFLUGRNNBiasDecay: cell == UGRNN}
		if v.dropout {
			cfg.RecurrentDropout, cfg.InputDropout = 0.2, 0.1
		}
		checkStartStepUntil(t, name, backends[v.backend].new, cfg, B, T, 0, 2*T+1)
	}
	// An ensemble of five whose RNN recurrence runs in lane groups of two: stop is asked
	// before each time step of each of the three groups.
	grouped := func() compute.Backend {
		e, err := ensemble.New(cpu.New(nil), 5)
		if err != nil {
			t.Fatal(err)
		}
		e.SetLaneGroups(2)
		return e
	}
	cfg := Config{Cell: RNN, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-3}
	checkStartStepUntil(t, "ensemble in lane groups RNN", grouped, cfg, B, T, 0, 2*3*T+1)
}

// checkStartStepUntil gives up a step of cfg on a model on newBackend() at each point stop
// is asked, and checks that the next step then has the loss and the gradients of a step on
// a fresh model, to tol relative (0: bit for bit), and that stop is asked at points places
// (2T+1: T in the forward recurrence, one between the passes, T in the backward one).
func checkStartStepUntil(t *testing.T, name string, newBackend func() compute.Backend, cfg Config, B, T int, tol float64, points int) {
	t.Helper()
	in := testBatch(rand.New(rand.NewPCG(4, 4)), cfg, B, T)
	build := func() (*Model, *rand.PCG) {
		src := rand.NewPCG(3, 3)
		m, err := New(newBackend(), cfg, rand.New(src))
		if err != nil {
			t.Fatal(err)
		}
		m.load(in, "StepLoaded")
		return m, src
	}
	grads := func(m *Model) [][]float64 {
		lanes := 1
		if e, ok := m.b.(*ensemble.Backend); ok {
			lanes = e.Lanes()
		}
		var out [][]float64
		for _, p := range m.Params() {
			v := make([]float64, lanes*p.Rows*p.Cols)
			m.b.Download64(v, p.Grad)
			out = append(out, v)
		}
		return out
	}
	near := func(a, b float64, scale float64) bool {
		if tol == 0 {
			return math.Float64bits(a) == math.Float64bits(b)
		}
		return math.Abs(a-b) <= tol*scale
	}
	sameGrads := func(a, b [][]float64) bool {
		for i := range a {
			scale := 0.0
			for _, x := range a[i] {
				scale = math.Max(scale, math.Abs(x))
			}
			for j := range a[i] {
				if !near(a[i][j], b[i][j], scale) {
					return false
				}
			}
		}
		return true
	}
	ref, _ := build()
	wantLoss := ref.StepLoaded(B, T)
	wantGrads := grads(ref)

	stops := 0
	for k := 1; ; k++ {
		m, src := build()
		masks := *src
		asked := 0
		ok := m.StartStepUntil(B, T, func() bool { asked++; return asked >= k })
		if ok {
			if loss := m.FinishStep(); !near(loss, wantLoss, math.Abs(wantLoss)) {
				t.Errorf("%s: the step stop never gave up has loss %v, want %v", name, loss, wantLoss)
			}
			break
		}
		stops++
		*src = masks
		loss := m.StepLoaded(B, T) // panics if the given-up step were still owed a FinishStep
		if !near(loss, wantLoss, math.Abs(wantLoss)) || !sameGrads(wantGrads, grads(m)) {
			t.Errorf("%s: after giving up at ask %d, the next step has loss %v and other gradients; want %v", name, k, loss, wantLoss)
		}
	}
	if stops != points {
		t.Errorf("%s: the step could be given up at %d points, want %d", name, stops, points)
	}
}
