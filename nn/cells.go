package nn

import (
	"github.com/gridcells/gridcells/compute"
)

// core is the recurrent layer of a model: it maps the input sequence w.x and the initial
// state w.s0 to the states r_1 … r_T (w.rs), and back.
type core interface {
	newWorkspace(w *workspace) coreWorkspace
	// decayTarget returns the tensor weight decay acts on and its gradient (spec §4.1).
	decayTarget() (value, grad compute.Tensor)
}

type coreWorkspace interface {
	forward()
	// backward turns w.dR (∂loss/∂r_t, overwritten) into the core's parameter gradients,
	// adds ∂loss/∂s0 into w.ds0 (zeroed by the caller) and, if needDX, sets w.dX.
	backward(needDX bool)
}

// gateViews returns, for each of the T per-step B×(n·ng) blocks of z, the n column blocks
// of width ng: v[k][t] is gate k at step t+1.
func gateViews(b compute.Backend, zT []compute.Tensor, n, ng int) [][]compute.Tensor {
	v := make([][]compute.Tensor, n)
	for k := range n {
		v[k] = make([]compute.Tensor, len(zT))
		for t, z := range zT {
			v[k][t] = b.View(z, 0, k*ng, z.Rows(), ng)
		}
	}
	return v
}

// ---- Simple recurrence (Sorscher/NFL RNN and SRNN) ----

// simpleCore is Keras SimpleRNN without bias (spec §3.1): r_t = φ(x_t·W_in + r_{t−1}·W_rec).
type simpleCore struct {
	m         *Model
	wIn, wRec *Param
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
	return &simpleCore{m: m, wIn: m.param("W_in", nx, ng, wIn), wRec: m.param("W_rec", ng, ng, wRec)}
}

func (c *simpleCore) decayTarget() (compute.Tensor, compute.Tensor) { return c.wRec.Value, c.wRec.Grad }

type simpleWS struct {
	c   *simpleCore
	w   *workspace
	hm  compute.Tensor // masked r_0 … r_{T−1} (recurrent dropout only)
	hmT []compute.Tensor
	tmp compute.Tensor
}

func (c *simpleCore) newWorkspace(w *workspace) coreWorkspace {
	b, ng := c.m.b, c.m.cfg.Ng
	s := &simpleWS{c: c, w: w, tmp: b.New(w.B, ng), hmT: make([]compute.Tensor, w.T)}
	if w.recMask != nil {
		s.hm = b.New(w.T*w.B, ng)
		s.hmT = rowBlocks(b, s.hm, 0, w.T, w.B)
	}
	return s
}

func (s *simpleWS) forward() {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	// The input product of all T steps is one GEMM; only the recurrent product is sequential.
	b.Gemm(false, false, 1, w.x, c.wIn.Value, 0, w.rs)
	for t := 1; t <= w.T; t++ {
		h := w.recurrentInput(b, w.rT[t-1], s.hmT[t-1])
		b.Gemm(false, false, 1, h, c.wRec.Value, 1, w.rT[t])
		b.Activate(w.rT[t], w.rT[t], act)
	}
}

func (s *simpleWS) backward(needDX bool) {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	for t := w.T; t >= 1; t-- {
		da := w.dRT[t-1]
		b.ActivationGrad(da, w.rT[t], act) // ∂/∂a_t = ∂/∂r_t ⊙ φ'(a_t)
		w.addRecurrentGrad(b, w.carryTarget(t), da, c.wRec.Value, s.tmp)
	}
	b.Gemm(true, false, 1, w.prevStates(w.rPrev, s.hm), w.dR, 0, c.wRec.Grad)
	b.Gemm(true, false, 1, w.x, w.dR, 0, c.wIn.Grad)
	if needDX {
		b.Gemm(false, true, 1, w.dR, c.wIn.Value, 0, w.dX)
	}
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
}

func newLSTMCore(m *Model) *lstmCore {
	c, ng, rng := m.cfg, m.cfg.Ng, m.rng
	bias := make([]float64, 4*ng)
	for j := ng; j < 2*ng; j++ {
		bias[j] = 1 // Keras unit_forget_bias
	}
	return &lstmCore{
		m:    m,
		wIn:  m.param("W_in", ng, 4*ng, glorotUniform(rng, ng, 4*ng)),
		wRec: m.param("W_rec", ng, 4*ng, c.recurrentInit(rng, ng, 4*ng)),
		b:    m.param("b", 1, 4*ng, bias),
	}
}

func (c *lstmCore) decayTarget() (compute.Tensor, compute.Tensor) { return c.wRec.Value, c.wRec.Grad }

type lstmWS struct {
	c       *lstmCore
	w       *workspace
	z, dz   compute.Tensor     // (T·B)×4Ng gate activations [i f g o] and their pre-activation gradients
	zT, dzT []compute.Tensor   // per step
	g, dg   [][]compute.Tensor // [gate][step] B×Ng views
	cs      compute.Tensor     // c_0 … c_T stacked
	cT      []compute.Tensor
	phiC    []compute.Tensor // φ(c_t), t = 1 … T
	phiCAll compute.Tensor
	dc, tmp compute.Tensor
	hm      compute.Tensor
	hmT     []compute.Tensor
}

func (c *lstmCore) newWorkspace(w *workspace) coreWorkspace {
	b, ng, B, T := c.m.b, c.m.cfg.Ng, w.B, w.T
	s := &lstmWS{c: c, w: w, z: b.New(T*B, 4*ng), dz: b.New(T*B, 4*ng), cs: b.New((T+1)*B, ng),
		phiCAll: b.New(T*B, ng), dc: b.New(B, ng), tmp: b.New(B, ng), hmT: make([]compute.Tensor, T)}
	s.zT, s.dzT = rowBlocks(b, s.z, 0, T, B), rowBlocks(b, s.dz, 0, T, B)
	s.g, s.dg = gateViews(b, s.zT, 4, ng), gateViews(b, s.dzT, 4, ng)
	s.cT = rowBlocks(b, s.cs, 0, T+1, B)
	s.phiC = rowBlocks(b, s.phiCAll, 0, T, B)
	if w.recMask != nil {
		s.hm = b.New(T*B, ng)
		s.hmT = rowBlocks(b, s.hm, 0, T, B)
	}
	return s
}

const (
	gateI = iota
	gateF
	gateG
	gateO
)

func (s *lstmWS) forward() {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	b.Gemm(false, false, 1, w.x, c.wIn.Value, 0, s.z)
	b.AddRowVector(s.z, c.b.Value)
	b.Copy(s.cT[0], w.s0[1])
	for t := 1; t <= w.T; t++ {
		k := t - 1
		h := w.recurrentInput(b, w.rT[t-1], s.hmT[k])
		b.Gemm(false, false, 1, h, c.wRec.Value, 1, s.zT[k])
		i, f, g, o := s.g[gateI][k], s.g[gateF][k], s.g[gateG][k], s.g[gateO][k]
		b.Activate(i, i, compute.Sigmoid)
		b.Activate(f, f, compute.Sigmoid)
		b.Activate(g, g, act)
		b.Activate(o, o, compute.Sigmoid)
		b.Mul(s.cT[t], f, s.cT[t-1])
		b.AddMul(s.cT[t], i, g)
		b.Activate(s.phiC[k], s.cT[t], act)
		b.Mul(w.rT[t], o, s.phiC[k])
	}
}

func (s *lstmWS) backward(needDX bool) {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	b.Fill(s.dc, 0)
	for t := w.T; t >= 1; t-- {
		k := t - 1
		dh := w.dRT[k]
		i, f, g, o := s.g[gateI][k], s.g[gateF][k], s.g[gateG][k], s.g[gateO][k]
		di, df, dg, do := s.dg[gateI][k], s.dg[gateF][k], s.dg[gateG][k], s.dg[gateO][k]
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
		w.addRecurrentGrad(b, w.carryTarget(t), s.dzT[k], c.wRec.Value, s.tmp)
	}
	b.Axpy(w.ds0[1], 1, s.dc)
	b.Gemm(true, false, 1, w.prevStates(w.rPrev, s.hm), s.dz, 0, c.wRec.Grad)
	b.Gemm(true, false, 1, w.x, s.dz, 0, c.wIn.Grad)
	b.SumRows(c.b.Grad, 1, s.dz, 0)
	if needDX {
		b.Gemm(false, true, 1, s.dz, c.wIn.Value, 0, w.dX)
	}
}

// ---- GRU (spec §3.3) ----

// gruCore is Keras GRU with reset_after=True (the TF2 default), gates in the order z, r, h:
//
//	x̃ = x·W_in + b_in,  ĩ = h_{t−1}·W_rec + b_rec,
//	z = σ(x̃_z + ĩ_z),  r = σ(x̃_r + ĩ_r),  ĥ = φ(x̃_h + r ⊙ ĩ_h),
//	h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ.
//
// The bias is one 2×3Ng parameter as in Keras: row 0 is b_in, row 1 is b_rec.
type gruCore struct {
	m                 *Model
	wIn, wRec, b      *Param
	bIn, bRec         compute.Tensor
	bInGrad, bRecGrad compute.Tensor
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
	return g
}

func (c *gruCore) decayTarget() (compute.Tensor, compute.Tensor) { return c.wRec.Value, c.wRec.Grad }

type gruWS struct {
	c                       *gruCore
	w                       *workspace
	z, inner, dz, dInner    compute.Tensor // (T·B)×3Ng
	zT, innerT, dzT, dInT   []compute.Tensor
	g, in, dg, dIn          [][]compute.Tensor // [gate][step] B×Ng
	zr, innerZR, dzr, dInZR []compute.Tensor   // z and r blocks together, B×2Ng
	tmp                     compute.Tensor
	hm                      compute.Tensor
	hmT                     []compute.Tensor
}

const (
	gruZ = iota
	gruR
	gruH
)

func (c *gruCore) newWorkspace(w *workspace) coreWorkspace {
	b, ng, B, T := c.m.b, c.m.cfg.Ng, w.B, w.T
	s := &gruWS{c: c, w: w, tmp: b.New(B, ng), hmT: make([]compute.Tensor, T)}
	s.z, s.inner, s.dz, s.dInner = b.New(T*B, 3*ng), b.New(T*B, 3*ng), b.New(T*B, 3*ng), b.New(T*B, 3*ng)
	s.zT, s.innerT = rowBlocks(b, s.z, 0, T, B), rowBlocks(b, s.inner, 0, T, B)
	s.dzT, s.dInT = rowBlocks(b, s.dz, 0, T, B), rowBlocks(b, s.dInner, 0, T, B)
	s.g, s.in = gateViews(b, s.zT, 3, ng), gateViews(b, s.innerT, 3, ng)
	s.dg, s.dIn = gateViews(b, s.dzT, 3, ng), gateViews(b, s.dInT, 3, ng)
	for k := range T {
		s.zr = append(s.zr, b.View(s.zT[k], 0, 0, B, 2*ng))
		s.innerZR = append(s.innerZR, b.View(s.innerT[k], 0, 0, B, 2*ng))
		s.dzr = append(s.dzr, b.View(s.dzT[k], 0, 0, B, 2*ng))
		s.dInZR = append(s.dInZR, b.View(s.dInT[k], 0, 0, B, 2*ng))
	}
	if w.recMask != nil {
		s.hm = b.New(T*B, ng)
		s.hmT = rowBlocks(b, s.hm, 0, T, B)
	}
	return s
}

func (s *gruWS) forward() {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	b.Gemm(false, false, 1, w.x, c.wIn.Value, 0, s.z)
	b.AddRowVector(s.z, c.bIn)
	for t := 1; t <= w.T; t++ {
		k := t - 1
		h := w.recurrentInput(b, w.rT[t-1], s.hmT[k])
		b.Gemm(false, false, 1, h, c.wRec.Value, 0, s.innerT[k])
		b.AddRowVector(s.innerT[k], c.bRec)
		b.Axpy(s.zr[k], 1, s.innerZR[k])
		b.Activate(s.zr[k], s.zr[k], compute.Sigmoid)
		hh := s.g[gruH][k]
		b.AddMul(hh, s.g[gruR][k], s.in[gruH][k])
		b.Activate(hh, hh, act)
		// h_t = ĥ + z ⊙ (h_{t−1} − ĥ); Keras uses the unmasked h_{t−1} here.
		b.Copy(w.rT[t], w.rT[t-1])
		b.Axpy(w.rT[t], -1, hh)
		b.Mul(w.rT[t], w.rT[t], s.g[gruZ][k])
		b.Axpy(w.rT[t], 1, hh)
	}
}

func (s *gruWS) backward(needDX bool) {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	for t := w.T; t >= 1; t-- {
		k := t - 1
		dh := w.dRT[k]
		z, r, hh := s.g[gruZ][k], s.g[gruR][k], s.g[gruH][k]
		dz, dr, dhh := s.dg[gruZ][k], s.dg[gruR][k], s.dg[gruH][k]
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
		b.Mul(s.dIn[gruH][k], dhh, r)
		b.Mul(dr, dhh, s.in[gruH][k])
		b.ActivationGrad(dr, r, compute.Sigmoid)
		b.Copy(s.dInZR[k], s.dzr[k])
		target := w.carryTarget(t)
		b.AddMul(target, dh, z)
		w.addRecurrentGrad(b, target, s.dInT[k], c.wRec.Value, s.tmp)
	}
	b.Gemm(true, false, 1, w.prevStates(w.rPrev, s.hm), s.dInner, 0, c.wRec.Grad)
	b.SumRows(c.bRecGrad, 1, s.dInner, 0)
	b.Gemm(true, false, 1, w.x, s.dz, 0, c.wIn.Grad)
	b.SumRows(c.bInGrad, 1, s.dz, 0)
	if needDX {
		b.Gemm(false, true, 1, s.dz, c.wIn.Value, 0, w.dX)
	}
}

// ---- UGRNN (Collins et al. 2017; spec §3.3) ----

// ugrnnCore is NFL's UGRNNCell: [a_g a_c] = [x_t, h_{t−1}]·W + b with W 2Ng×2Ng
// (glorot-uniform; NFL does not pass the initializer option) and b zeros,
//
//	gate = σ(a_g + 1),  cand = φ(a_c),  h_t = gate ⊙ h_{t−1} + (1 − gate) ⊙ cand.
//
// The rows 0…Ng−1 of W multiply x_t, the rows Ng…2Ng−1 multiply h_{t−1} (the recurrent block).
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

type ugrnnWS struct {
	c       *ugrnnCore
	w       *workspace
	z, dz   compute.Tensor // (T·B)×2Ng [gate cand]
	gateAll compute.Tensor
	zT, dzT []compute.Tensor
	g, dg   [][]compute.Tensor
	tmp     compute.Tensor
}

func (c *ugrnnCore) newWorkspace(w *workspace) coreWorkspace {
	b, ng, B, T := c.m.b, c.m.cfg.Ng, w.B, w.T
	s := &ugrnnWS{c: c, w: w, z: b.New(T*B, 2*ng), dz: b.New(T*B, 2*ng), tmp: b.New(B, ng)}
	s.gateAll = b.View(s.z, 0, 0, T*B, ng)
	s.zT, s.dzT = rowBlocks(b, s.z, 0, T, B), rowBlocks(b, s.dz, 0, T, B)
	s.g, s.dg = gateViews(b, s.zT, 2, ng), gateViews(b, s.dzT, 2, ng)
	return s
}

func (s *ugrnnWS) forward() {
	b, w, c, act := s.c.m.b, s.w, s.c, s.c.m.cfg.Activation
	b.Gemm(false, false, 1, w.x, c.wX, 0, s.z)
	b.AddRowVector(s.z, c.b.Value)
	b.AddScalar(s.gateAll, 1) // the +1 of σ(a_g + 1)
	for t := 1; t <= w.T; t++ {
		k := t - 1
		b.Gemm(false, false, 1, w.rT[t-1], c.wH, 1, s.zT[k])
		gate, cand := s.g[0][k], s.g[1][k]
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
	for t := w.T; t >= 1; t-- {
		k := t - 1
		dh := w.dRT[k]
		gate, cand := s.g[0][k], s.g[1][k]
		dgate, dcand := s.dg[0][k], s.dg[1][k]
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
	b.Gemm(true, false, 1, w.x, s.dz, 0, c.gX)
	b.Gemm(true, false, 1, w.rPrev, s.dz, 0, c.gH)
	b.SumRows(c.b.Grad, 1, s.dz, 0)
	if needDX {
		b.Gemm(false, true, 1, s.dz, c.wX, 0, w.dX)
	}
}
