package nn

import (
	"github.com/gridcells/gridcells/compute"
)

// core is the recurrent layer of a model: it maps the input sequence w.xs and the initial
// state w.s0 to the states r_1 … r_T (w.rs), and back.
type core interface {
	newWorkspace(w *workspace) coreWorkspace
	// decayTarget returns the tensor weight decay acts on and its gradient (spec §4.1).
	decayTarget() (value, grad compute.Tensor)
	// gates is the number of gate blocks that Keras masks separately (SimpleRNN 1, GRU 3,
	// LSTM 4), or 0 for a cell without dropout (UGRNN).
	gates() int
}

type coreWorkspace interface {
	forward()
	// backward turns w.dR (∂loss/∂r_t, overwritten) into the core's parameter gradients,
	// adds ∂loss/∂s0 into w.ds0 (zeroed by the caller) and, if needDX, sets w.dX.
	backward(needDX bool)
}

// ---- Simple recurrence (Sorscher/NFL RNN and SRNN) ----

// simpleCore is Keras SimpleRNN without bias (spec §3.1): r_t = φ(x_t·W_in + r_{t−1}·W_rec).
type simpleCore struct {
	m         *Model
	wIn, wRec *Param
	p         *gateProducts
}

func newSimpleCore(m *Model, nx int) *simpleCore {
	c, ng, rng := m.cfg, m.cfg.Ng, m.rng
	var wIn, wRec []float64
	if c.InitConvention == PyTorch {
		// torch.nn.RNN initialises every weight U(±1/√hidden_size) (spec §3.1).
		wIn = uniform(rng, nx*ng, 1/sqrt(ng))
		wRec = uniform(rng, ng*ng, 1/sqrt(ng))
	} else {
		wIn = glorotUniform(rng, nx, ng)
		wRec = c.recurrentInit(rng, ng, ng)
	}
	s := &simpleCore{m: m, wIn: m.param("W_in", nx, ng, wIn), wRec: m.param("W_rec", ng, ng, wRec)}
	s.p = newGateProducts(m.b, 1, ng, s.wIn, s.wRec)
	return s
}

func (c *simpleCore) decayTarget() (compute.Tensor, compute.Tensor) { return c.wRec.Value, c.wRec.Grad }
func (c *simpleCore) gates() int                                    { return 1 }

type simpleWS struct {
	c      *simpleCore
	w      *workspace
	gp     *gateWS
	rsBlk  []compute.Tensor
	dRBlk  []compute.Tensor
	rBlk   [][]compute.Tensor // [t][0] = r_t
	dRStep [][]compute.Tensor

	// With a backend that fuses small input products into the activations
	// (compute.InputDriver), drive is that backend and driven says whether the current run
	// uses it (set by forward, read by backward).
	drive  compute.InputDriver
	driven bool

	// groups are the lane groups' views of an ensemble whose recurrence runs group by group
	// (groups.go), built at first use.
	groups []*laneGroupWS
}

func (c *simpleCore) newWorkspace(w *workspace) coreWorkspace {
	b := c.m.b
	s := &simpleWS{c: c, w: w, gp: c.p.newWorkspace(b, w), rsBlk: []compute.Tensor{w.rs}, dRBlk: []compute.Tensor{w.dR}}
	s.rBlk = stepBlocks(b, w.rT, 1, c.m.cfg.Ng)
	s.dRStep = stepBlocks(b, w.dRT, 1, c.m.cfg.Ng)
	s.drive, _ = b.(compute.InputDriver)
	return s
}

// drivable reports whether the run about to start can fuse the input product x_t·W_in into
// the activations (compute.InputDriver): the backend offers it for an input as narrow as
// this layer's (the RNN's velocity), and no recurrent dropout mask sits between the
// recurrent product and φ (a SimpleRNN has one input, masked or not: len(w.xs) == 1).
func (s *simpleWS) drivable() bool {
	return s.drive != nil && len(s.w.xs) == 1 && len(s.w.activeRec) == 0 && s.c.wIn.Rows <= s.drive.MaxDrivenInputs()
}

// stepInputs returns the per-step views of the run's input w.xs[0]: x_t is element t−1.
func (s *simpleWS) stepInputs() []compute.Tensor {
	if len(s.w.activeIn) > 0 {
		return s.w.xDropsT[0]
	}
	return s.w.xPlainT
}

func (s *simpleWS) forward() {
	w := s.w
	s.driven = s.drivable()
	// r_t = φ(r_{t−1}·W_rec + x_t·W_in). Driven, the recurrent GEMM writes the step
	// (beta = 0) and the activation's pass adds the k-column input product; otherwise the
	// input product of all T steps is one GEMM first, onto which each step's recurrent
	// product accumulates (beta = 1). Only the recurrent product is sequential.
	beta := 0.0
	if !s.driven {
		s.gp.input(w.rs, s.rsBlk)
		beta = 1
	}
	if groups := s.laneGroups(); groups != nil {
		s.forwardGroups(groups, beta)
		return
	}
	xT := s.stepInputs()
	s.gp.packRecurrent(false)
	for t := 1; t <= w.T && !w.halted(); t++ {
		s.gp.recurrent(t-1, w.rT[t], s.rBlk[t], beta)
		s.activate(s.c.m.b, s.drive, w.rT[t], xT[t-1], s.c.wIn.Value)
	}
	s.gp.endPass()
}

// activate sets the step r = φ(r) in place, or, driven, r = φ(r + x·wIn), on backend b
// (the model's, or a lane group's, as d is as an InputDriver).
func (s *simpleWS) activate(b compute.Backend, d compute.InputDriver, r, x, wIn compute.Tensor) {
	act := s.c.m.cfg.Activation
	if s.driven {
		d.ActivateDriven(r, r, x, wIn, act)
		return
	}
	b.Activate(r, r, act)
}

// activationGrad sets da = ∂/∂a_t = ∂/∂r_t ⊙ φ'(a_t) of step t given r = r_t, on backend b
// (d as an InputDriver), and, driven, adds x_tᵀ·da to W_in's gradient gIn in the same pass:
// the last step starts the sum (beta = 0; W_in has no weight decay, whose gradient would
// already be there: the decayed weight is W_rec, decayTarget).
func (s *simpleWS) activationGrad(b compute.Backend, d compute.InputDriver, da, r, x, gIn compute.Tensor, t int) {
	act := s.c.m.cfg.Activation
	if !s.driven {
		b.ActivationGrad(da, r, act)
		return
	}
	beta := 1.0
	if t == s.w.T {
		beta = 0
	}
	d.ActivationGradDriven(da, r, x, gIn, act, beta)
}

func (s *simpleWS) backward(needDX bool) {
	w := s.w
	if groups := s.laneGroups(); groups != nil {
		s.backwardGroups(groups)
	} else {
		s.backwardSteps()
	}
	if w.stopped {
		return
	}
	s.gp.recurrentWeightGrad(w.dR, s.dRBlk, s.c.m.decayBeta)
	switch {
	case !s.driven:
		s.gp.inputGrad(w.dR, s.dRBlk, needDX)
	case needDX:
		s.gp.inputDX(w.dR) // W_in's gradient is complete; the input's is a GEMM still
	}
}

// backwardSteps is the recurrence of backward, all lanes at each step.
func (s *simpleWS) backwardSteps() {
	w, xT := s.w, s.stepInputs()
	s.gp.packRecurrent(true)
	for t := w.T; t >= 1 && !w.halted(); t-- {
		da := w.dRT[t-1]
		s.activationGrad(s.c.m.b, s.drive, da, w.rT[t], xT[t-1], s.c.wIn.Grad, t)
		s.gp.recurrentGrad(da, s.dRStep[t-1], w.carryTarget(t))
	}
	s.gp.endPass()
}

// ---- LSTM (spec §3.2) ----

// lstmCore is Keras LSTM: gates in the order i, f, c, o of its kernels,
//
//	i, f, o = σ(·), g = φ(x·W_in + h_{t−1}·W_rec + b),  c_t = f⊙c_{t−1} + i⊙g,  h_t = o⊙φ(c_t),
//
// with recurrent_activation sigmoid and unit_forget_bias (b_f initialised to 1).
type lstmCore struct {
	m            *Model
	wIn, wRec, b *Param
	p            *gateProducts
}

func newLSTMCore(m *Model) *lstmCore {
	c, ng, rng := m.cfg, m.cfg.Ng, m.rng
	bias := make([]float64, 4*ng)
	for j := ng; j < 2*ng; j++ {
		bias[j] = 1 // Keras unit_forget_bias
	}
	l := &lstmCore{
		m:    m,
		wIn:  m.param("W_in", ng, 4*ng, glorotUniform(rng, ng, 4*ng)),
		wRec: m.param("W_rec", ng, 4*ng, c.recurrentInit(rng, ng, 4*ng)),
		b:    m.param("b", 1, 4*ng, bias),
	}
	l.p = newGateProducts(m.b, 4, ng, l.wIn, l.wRec)
	return l
}

func (c *lstmCore) decayTarget() (compute.Tensor, compute.Tensor) { return c.wRec.Value, c.wRec.Grad }
func (c *lstmCore) gates() int                                    { return 4 }

const (
	gateI = iota
	gateF
	gateG
	gateO
)

type lstmWS struct {
	c          *lstmCore
	w          *workspace
	gp         *gateWS
	z, dz      compute.Tensor // (T·B)×4Ng gate activations [i f g o]; gradients w.r.t. their pre-activations
	zBlk, dBlk []compute.Tensor
	zT, dzT    []compute.Tensor
	g, dg      [][]compute.Tensor // [step][gate] B×Ng
	cs         compute.Tensor     // c_0 … c_T stacked
	cT         []compute.Tensor
	phiCAll    compute.Tensor
	phiC       []compute.Tensor // φ(c_t), t = 1 … T
	dc, tmp    compute.Tensor
}

func (c *lstmCore) newWorkspace(w *workspace) coreWorkspace {
	b, ng, B, T := c.m.b, c.m.cfg.Ng, w.B, w.T
	s := &lstmWS{c: c, w: w, gp: c.p.newWorkspace(b, w), z: w.newTensor(T*B, 4*ng), dz: w.newTensor(T*B, 4*ng),
		cs: w.newTensor((T+1)*B, ng), phiCAll: w.newTensor(T*B, ng), dc: w.newTensor(B, ng), tmp: w.newTensor(B, ng)}
	s.zBlk, s.dBlk = colBlocks(b, s.z, 4, ng), colBlocks(b, s.dz, 4, ng)
	s.zT, s.dzT = rowBlocks(b, s.z, 0, T, B), rowBlocks(b, s.dz, 0, T, B)
	s.g, s.dg = stepBlocks(b, s.zT, 4, ng), stepBlocks(b, s.dzT, 4, ng)
	s.cT = rowBlocks(b, s.cs, 0, T+1, B)
	s.phiC = rowBlocks(b, s.phiCAll, 0, T, B)
	return s
}

func (s *lstmWS) forward() {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	s.gp.input(s.z, s.zBlk)
	b.AddRowVector(s.z, c.b.Value)
	b.Copy(s.cT[0], w.s0[1])
	s.gp.packRecurrent(false)
	for t := 1; t <= w.T && !w.halted(); t++ {
		k := t - 1
		s.gp.recurrent(k, s.zT[k], s.g[k], 1)
		i, f, g, o := s.g[k][gateI], s.g[k][gateF], s.g[k][gateG], s.g[k][gateO]
		b.Activate(i, i, compute.Sigmoid)
		b.Activate(f, f, compute.Sigmoid)
		b.Activate(g, g, act)
		b.Activate(o, o, compute.Sigmoid)
		b.Mul(s.cT[t], f, s.cT[t-1])
		b.AddMul(s.cT[t], i, g)
		b.Activate(s.phiC[k], s.cT[t], act)
		b.Mul(w.rT[t], o, s.phiC[k])
	}
	s.gp.endPass()
}

func (s *lstmWS) backward(needDX bool) {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	b.Fill(s.dc, 0)
	s.gp.packRecurrent(true)
	for t := w.T; t >= 1 && !w.halted(); t-- {
		k := t - 1
		dh := w.dRT[k]
		i, f, g, o := s.g[k][gateI], s.g[k][gateF], s.g[k][gateG], s.g[k][gateO]
		di, df, dg, do := s.dg[k][gateI], s.dg[k][gateF], s.dg[k][gateG], s.dg[k][gateO]
		b.Mul(do, dh, s.phiC[k])
		b.ActivationGrad(do, o, compute.Sigmoid)
		// dc_t = dc (from t+1) + dh ⊙ o ⊙ φ'(c_t)
		b.Mul(s.tmp, dh, o)
		b.ActivationGrad(s.tmp, s.phiC[k], act)
		b.Axpy(s.dc, 1, s.tmp)
		b.Mul(di, s.dc, g)
		b.ActivationGrad(di, i, compute.Sigmoid)
		b.Mul(dg, s.dc, i)
		b.ActivationGrad(dg, g, act)
		b.Mul(df, s.dc, s.cT[t-1])
		b.ActivationGrad(df, f, compute.Sigmoid)
		b.Mul(s.dc, s.dc, f)
		s.gp.recurrentGrad(s.dzT[k], s.dg[k], w.carryTarget(t))
	}
	s.gp.endPass()
	if w.stopped {
		return
	}
	b.Axpy(w.ds0[1], 1, s.dc)
	s.gp.recurrentWeightGrad(s.dz, s.dBlk, s.c.m.decayBeta)
	b.SumRows(c.b.Grad, 1, s.dz, 0)
	s.gp.inputGrad(s.dz, s.dBlk, needDX)
}

// ---- GRU (spec §3.3) ----

// gruCore is Keras GRU with reset_after=True (the TF2 default), gates in the order z, r, h:
//
//	x̃ = x·W_in + b_in,  ĩ = h_{t−1}·W_rec + b_rec,
//	z = σ(x̃_z + ĩ_z),  r = σ(x̃_r + ĩ_r),  ĥ = φ(x̃_h + r ⊙ ĩ_h),
//	h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ   (the unmasked h_{t−1}, as Keras).
//
// The bias is one 2×3Ng parameter as in Keras: row 0 is b_in, row 1 is b_rec.
type gruCore struct {
	m                 *Model
	wIn, wRec, b      *Param
	bIn, bRec         compute.Tensor
	bInGrad, bRecGrad compute.Tensor
	p                 *gateProducts
}

func newGRUCore(m *Model) *gruCore {
	c, ng, rng, b := m.cfg, m.cfg.Ng, m.rng, m.b
	g := &gruCore{
		m:    m,
		wIn:  m.param("W_in", ng, 3*ng, glorotUniform(rng, ng, 3*ng)),
		wRec: m.param("W_rec", ng, 3*ng, c.recurrentInit(rng, ng, 3*ng)),
		b:    m.param("b", 2, 3*ng, nil),
	}
	g.bIn, g.bRec = b.View(g.b.Value, 0, 0, 1, 3*ng), b.View(g.b.Value, 1, 0, 1, 3*ng)
	g.bInGrad, g.bRecGrad = b.View(g.b.Grad, 0, 0, 1, 3*ng), b.View(g.b.Grad, 1, 0, 1, 3*ng)
	g.p = newGateProducts(b, 3, ng, g.wIn, g.wRec)
	return g
}

func (c *gruCore) decayTarget() (compute.Tensor, compute.Tensor) { return c.wRec.Value, c.wRec.Grad }
func (c *gruCore) gates() int                                    { return 3 }

const (
	gruZ = iota
	gruR
	gruH
)

type gruWS struct {
	c                      *gruCore
	w                      *workspace
	gp                     *gateWS
	z, inner, dz, dInner   compute.Tensor // (T·B)×3Ng
	dzBlk, dInBlk          []compute.Tensor
	zBlk                   []compute.Tensor
	zT, innerT, dzT, dInT  []compute.Tensor
	g, in, dg, dIn         [][]compute.Tensor // [step][gate] B×Ng
	zr, innerZR, dzr, dIZR []compute.Tensor   // z and r blocks together, B×2Ng
	tmp                    compute.Tensor
}

func (c *gruCore) newWorkspace(w *workspace) coreWorkspace {
	b, ng, B, T := c.m.b, c.m.cfg.Ng, w.B, w.T
	s := &gruWS{c: c, w: w, gp: c.p.newWorkspace(b, w), tmp: w.newTensor(B, ng)}
	s.z, s.inner, s.dz, s.dInner = w.newTensor(T*B, 3*ng), w.newTensor(T*B, 3*ng), w.newTensor(T*B, 3*ng), w.newTensor(T*B, 3*ng)
	s.zBlk, s.dzBlk, s.dInBlk = colBlocks(b, s.z, 3, ng), colBlocks(b, s.dz, 3, ng), colBlocks(b, s.dInner, 3, ng)
	s.zT, s.innerT = rowBlocks(b, s.z, 0, T, B), rowBlocks(b, s.inner, 0, T, B)
	s.dzT, s.dInT = rowBlocks(b, s.dz, 0, T, B), rowBlocks(b, s.dInner, 0, T, B)
	s.g, s.in = stepBlocks(b, s.zT, 3, ng), stepBlocks(b, s.innerT, 3, ng)
	s.dg, s.dIn = stepBlocks(b, s.dzT, 3, ng), stepBlocks(b, s.dInT, 3, ng)
	for k := range T {
		s.zr = append(s.zr, b.View(s.zT[k], 0, 0, B, 2*ng))
		s.innerZR = append(s.innerZR, b.View(s.innerT[k], 0, 0, B, 2*ng))
		s.dzr = append(s.dzr, b.View(s.dzT[k], 0, 0, B, 2*ng))
		s.dIZR = append(s.dIZR, b.View(s.dInT[k], 0, 0, B, 2*ng))
	}
	return s
}

func (s *gruWS) forward() {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	s.gp.input(s.z, s.zBlk)
	b.AddRowVector(s.z, c.bIn)
	s.gp.packRecurrent(false)
	for t := 1; t <= w.T && !w.halted(); t++ {
		k := t - 1
		s.gp.recurrent(k, s.innerT[k], s.in[k], 0)
		b.AddRowVector(s.innerT[k], c.bRec)
		b.Axpy(s.zr[k], 1, s.innerZR[k])
		b.Activate(s.zr[k], s.zr[k], compute.Sigmoid)
		hh := s.g[k][gruH]
		b.AddMul(hh, s.g[k][gruR], s.in[k][gruH])
		b.Activate(hh, hh, act)
		// h_t = ĥ + z ⊙ (h_{t−1} − ĥ)
		b.Copy(w.rT[t], w.rT[t-1])
		b.Axpy(w.rT[t], -1, hh)
		b.Mul(w.rT[t], w.rT[t], s.g[k][gruZ])
		b.Axpy(w.rT[t], 1, hh)
	}
	s.gp.endPass()
}

func (s *gruWS) backward(needDX bool) {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	s.gp.packRecurrent(true)
	for t := w.T; t >= 1 && !w.halted(); t-- {
		k := t - 1
		dh := w.dRT[k]
		z, r, hh := s.g[k][gruZ], s.g[k][gruR], s.g[k][gruH]
		dz, dr, dhh := s.dg[k][gruZ], s.dg[k][gruR], s.dg[k][gruH]
		// ∂/∂a_z = dh ⊙ (h_{t−1} − ĥ) ⊙ σ'
		b.Copy(s.tmp, w.rT[t-1])
		b.Axpy(s.tmp, -1, hh)
		b.Mul(dz, dh, s.tmp)
		b.ActivationGrad(dz, z, compute.Sigmoid)
		// ∂/∂a_h = dh ⊙ (1 − z) ⊙ φ'
		b.Mul(s.tmp, dh, z)
		b.Copy(dhh, dh)
		b.Axpy(dhh, -1, s.tmp)
		b.ActivationGrad(dhh, hh, act)
		b.Mul(s.dIn[k][gruH], dhh, r)
		b.Mul(dr, dhh, s.in[k][gruH])
		b.ActivationGrad(dr, r, compute.Sigmoid)
		b.Copy(s.dIZR[k], s.dzr[k])
		target := w.carryTarget(t)
		b.AddMul(target, dh, z)
		s.gp.recurrentGrad(s.dInT[k], s.dIn[k], target)
	}
	s.gp.endPass()
	if w.stopped {
		return
	}
	s.gp.recurrentWeightGrad(s.dInner, s.dInBlk, s.c.m.decayBeta)
	b.SumRows(c.bRecGrad, 1, s.dInner, 0)
	b.SumRows(c.bInGrad, 1, s.dz, 0)
	s.gp.inputGrad(s.dz, s.dzBlk, needDX)
}

// ---- UGRNN (Collins et al. 2017; spec §3.3) ----

// ugrnnCore is NFL's UGRNNCell: [a_g a_c] = [x_t, h_{t−1}]·W + b with W 2Ng×2Ng
// (glorot-uniform; NFL does not pass the initializer option) and b zeros,
//
//	gate = σ(a_g + 1),  cand = φ(a_c),  h_t = gate ⊙ h_{t−1} + (1 − gate) ⊙ cand.
//
// The rows 0…Ng−1 of W multiply x_t, the rows Ng…2Ng−1 multiply h_{t−1} (the recurrent
// block). The cell has no dropout: NFL wraps it in keras.layers.RNN, which ignores the
// dropout options, so the rates are accepted and have no effect.
type ugrnnCore struct {
	m              *Model
	w, b           *Param
	wX, wH, gX, gH compute.Tensor // row blocks of W and of its gradient
}

func newUGRNNCore(m *Model) *ugrnnCore {
	ng, b := m.cfg.Ng, m.b
	u := &ugrnnCore{m: m, w: m.param("W", 2*ng, 2*ng, glorotUniform(m.rng, 2*ng, 2*ng)), b: m.param("b", 1, 2*ng, nil)}
	u.wX, u.wH = b.View(u.w.Value, 0, 0, ng, 2*ng), b.View(u.w.Value, ng, 0, ng, 2*ng)
	u.gX, u.gH = b.View(u.w.Grad, 0, 0, ng, 2*ng), b.View(u.w.Grad, ng, 0, ng, 2*ng)
	return u
}

func (c *ugrnnCore) decayTarget() (compute.Tensor, compute.Tensor) {
	if c.m.cfg.NFLUGRNNBiasDecay {
		return c.b.Value, c.b.Grad
	}
	return c.wH, c.gH
}

func (c *ugrnnCore) gates() int { return 0 }

type ugrnnWS struct {
	c       *ugrnnCore
	w       *workspace
	z, dz   compute.Tensor // (T·B)×2Ng [gate cand]
	gateAll compute.Tensor
	zT, dzT []compute.Tensor
	g, dg   [][]compute.Tensor // [step][0 gate, 1 cand]
	tmp     compute.Tensor
}

func (c *ugrnnCore) newWorkspace(w *workspace) coreWorkspace {
	b, ng, B, T := c.m.b, c.m.cfg.Ng, w.B, w.T
	s := &ugrnnWS{c: c, w: w, z: w.newTensor(T*B, 2*ng), dz: w.newTensor(T*B, 2*ng), tmp: w.newTensor(B, ng)}
	s.gateAll = b.View(s.z, 0, 0, T*B, ng)
	s.zT, s.dzT = rowBlocks(b, s.z, 0, T, B), rowBlocks(b, s.dz, 0, T, B)
	s.g, s.dg = stepBlocks(b, s.zT, 2, ng), stepBlocks(b, s.dzT, 2, ng)
	return s
}

func (s *ugrnnWS) forward() {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	b.Gemm(false, false, 1, w.xs[0], c.wX, 0, s.z)
	b.AddRowVector(s.z, c.b.Value)
	b.AddScalar(s.gateAll, 1) // the +1 of σ(a_g + 1)
	for t := 1; t <= w.T && !w.halted(); t++ {
		k := t - 1
		b.Gemm(false, false, 1, w.rT[t-1], c.wH, 1, s.zT[k])
		gate, cand := s.g[k][0], s.g[k][1]
		b.Activate(gate, gate, compute.Sigmoid)
		b.Activate(cand, cand, act)
		// h_t = cand + gate ⊙ (h_{t−1} − cand)
		b.Copy(w.rT[t], w.rT[t-1])
		b.Axpy(w.rT[t], -1, cand)
		b.Mul(w.rT[t], w.rT[t], gate)
		b.Axpy(w.rT[t], 1, cand)
	}
}

func (s *ugrnnWS) backward(needDX bool) {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	for t := w.T; t >= 1 && !w.halted(); t-- {
		k := t - 1
		dh := w.dRT[k]
		gate, cand := s.g[k][0], s.g[k][1]
		dgate, dcand := s.dg[k][0], s.dg[k][1]
		b.Copy(s.tmp, w.rT[t-1])
		b.Axpy(s.tmp, -1, cand)
		b.Mul(dgate, dh, s.tmp)
		b.ActivationGrad(dgate, gate, compute.Sigmoid)
		b.Mul(s.tmp, dh, gate)
		b.Copy(dcand, dh)
		b.Axpy(dcand, -1, s.tmp)
		b.ActivationGrad(dcand, cand, act)
		target := w.carryTarget(t)
		b.AddMul(target, dh, gate)
		b.Gemm(false, true, 1, s.dzT[k], c.wH, 1, target)
	}
	if w.stopped {
		return
	}
	// The decayed tensor (gH, or b with the NFL quirk) already holds 2λ·x: accumulate.
	betaH, betaB := c.m.decayBeta, 0.0
	if c.m.cfg.NFLUGRNNBiasDecay {
		betaH, betaB = 0, c.m.decayBeta
	}
	b.Gemm(true, false, 1, w.xs[0], s.dz, 0, c.gX)
	b.Gemm(true, false, 1, w.rPrev, s.dz, betaH, c.gH)
	b.SumRows(c.b.Grad, 1, s.dz, betaB)
	if needDX {
		b.Gemm(false, true, 1, s.dz, c.wX, 0, w.dX)
	}
}
