package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gridcells/gridcells/compute"
)

// Param is one trainable tensor. Name is stable (it is the checkpoint key); Value and Grad
// live on the model's backend and have shape Rows×Cols (Keras kernel layout: inputs×outputs).
type Param struct {
	Name       string
	Rows, Cols int
	Value      compute.Tensor
	Grad       compute.Tensor
}

// Batch is one batch of trajectories on the host, time-major.
type Batch struct {
	B, T     int
	Vel      []float32 // T×B×Nv velocity inputs u_t (per-step displacements, spec §0.1 item 8)
	InitCode []float32 // B×Np target code at the start position, p0
	Targets  []float32 // T×B×Np targets y_t (Step, Loss and Evaluate panic without; Forward does not read them)
}

// Inputs are the device-side input tensors of one (B, T) shape; a caller that produces its
// batches on the device fills them and calls StepLoaded or LossLoaded.
type Inputs struct {
	Vel      compute.Tensor // (T·B)×Nv
	InitCode compute.Tensor // B×Np
	Targets  compute.Tensor // (T·B)×Np
}

// Model is a path-integrating recurrent network (spec §3) with its forward pass, hand-derived
// backward pass through time and loss (spec §4.1) on a compute.Backend.
type Model struct {
	cfg  Config
	b    compute.Backend
	rng  *rand.Rand
	ps   []*Param
	encs []encoder
	core core

	// Three-layer base (all cells but RNN): embedding M, dense grid layer D, readout bias.
	threeLayer bool
	wM, bM     *Param
	wD, bD     *Param
	wDec, bDec *Param

	// decayValue/decayGrad are the tensors λ·Σx² acts on (views for UGRNN).
	decayValue, decayGrad compute.Tensor
	// decayBeta is 1 while a backward pass runs with weight decay: decayGrad then already
	// holds 2λx, and the core's gradient product for that tensor accumulates onto it.
	decayBeta float64

	ws   map[[2]int]*workspace
	mask []float64 // host scratch for dropout masks

	// laneLoss is each lane's loss of the last run on an ensemble backend.
	laneLoss []float64
	// scalars receives the deferred loss and weight-decay sum (compute.ScalarDeferrer).
	scalars []float64
	// pending is the step that start queued and finish has not collected yet.
	pending pendingStep
}

// pendingStep is what finish needs of a step queued by start: the loss and weight-decay
// values already known (on a synchronous backend) or where they will come from.
type pendingStep struct {
	started         bool
	deferred, lanes bool
	loss, decay     float64
}

type encoder struct{ w, b *Param }

// New builds a model on b, drawing the initial weights from rng. The model keeps rng and
// draws its dropout masks from it, so a run is reproducible from the rng's seed (the caller
// owns the source and may save its state).
func New(b compute.Backend, cfg Config, rng *rand.Rand) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if b == nil || rng == nil {
		return nil, errors.New("nn: New: nil backend or *rand.Rand")
	}
	if cfg.Initializer == "" {
		cfg.Initializer = GlorotUniform
	}
	if cfg.InitConvention == "" {
		cfg.InitConvention = Keras
	}
	m := &Model{cfg: cfg, b: b, rng: rng, ws: map[[2]int]*workspace{}}
	ng, np, nv := cfg.Ng, cfg.Np, cfg.nv()
	keras := cfg.InitConvention == Keras
	glorot := func(r, c int) []float64 { return glorotUniform(rng, r, c) }

	if cfg.Cell == RNN {
		var w []float64
		if keras {
			w = glorot(np, ng)
		} else {
			w = uniform(rng, np*ng, 1/sqrt(np))
		}
		m.encs = []encoder{{w: m.param("W_enc", np, ng, w)}}
		m.core = newSimpleCore(m, nv)
		if keras {
			w = glorot(ng, np)
		} else {
			w = uniform(rng, ng*np, 1/sqrt(ng))
		}
		m.wDec = m.param("W_dec", ng, np, w)
	} else {
		m.threeLayer = true
		if cfg.Cell == LSTM {
			m.encs = []encoder{
				{m.param("W_enc_h", np, ng, glorot(np, ng)), m.param("b_enc_h", 1, ng, nil)},
				{m.param("W_enc_c", np, ng, glorot(np, ng)), m.param("b_enc_c", 1, ng, nil)},
			}
		} else {
			m.encs = []encoder{{m.param("W_enc", np, ng, glorot(np, ng)), m.param("b_enc", 1, ng, nil)}}
		}
		m.wM = m.param("W_M", nv, ng, glorot(nv, ng))
		m.bM = m.param("b_M", 1, ng, nil)
		switch cfg.Cell {
		case SRNN:
			m.core = newSimpleCore(m, ng)
		case LSTM:
			m.core = newLSTMCore(m)
		case GRU:
			m.core = newGRUCore(m)
		case UGRNN:
			m.core = newUGRNNCore(m)
		}
		m.wD = m.param("W_D", ng, ng, glorot(ng, ng))
		m.bD = m.param("b_D", 1, ng, nil)
		m.wDec = m.param("W_dec", ng, np, glorot(ng, np))
		m.bDec = m.param("b_dec", 1, np, nil)
	}
	m.decayValue, m.decayGrad = m.core.decayTarget()
	return m, nil
}

func sqrt(n int) float64 { return math.Sqrt(float64(n)) }

// param allocates a parameter and its gradient and uploads init (nil means zeros).
func (m *Model) param(name string, rows, cols int, init []float64) *Param {
	p := &Param{Name: name, Rows: rows, Cols: cols, Value: m.b.New(rows, cols), Grad: m.b.New(rows, cols)}
	if init != nil {
		m.b.Upload64(p.Value, init)
	}
	m.ps = append(m.ps, p)
	return p
}

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Backend returns the backend the model runs on.
func (m *Model) Backend() compute.Backend { return m.b }

// Params returns the trainable parameters in a fixed order. The slice and the Params are
// the model's own; Value and Grad may be read and written through the backend.
func (m *Model) Params() []*Param { return m.ps }

// Param returns the parameter called name, or nil.
func (m *Model) Param(name string) *Param {
	for _, p := range m.ps {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// workspace holds every buffer of one (B, T) shape, allocated once. Per-time-step views are
// built here too, so Step allocates nothing after the first call with a shape.
type workspace struct {
	B, T int
	in   Inputs
	velT []compute.Tensor // T views B×Nv

	out, dOut compute.Tensor // (T·B)×Np

	// Dropout masks, one per sequence: B×nx on the core input, B×Ng on h_{t−1}; one each,
	// or one per gate (see gateProducts); empty when off.
	inMasks, recMasks []compute.Tensor
	// activeIn and activeRec are the masks of the current run: the masks in training, nil
	// in evaluation.
	activeIn, activeRec []compute.Tensor
	// train is set per run: masks apply only when true.
	train bool

	// Core input X (T·B)×nx: the velocity (RNN) or the embedding M (three-layer). xPlain is
	// without dropout, xDrops[i] = xPlain ⊙ inMasks[i]; xs is what the current run uses:
	// {xPlain}, or xDrops in training.
	xPlain  compute.Tensor
	xPlainT []compute.Tensor
	xDrops  []compute.Tensor
	xDropsT [][]compute.Tensor
	xs      []compute.Tensor
	xsPlain []compute.Tensor
	dX      compute.Tensor // (T·B)×nx, gradient w.r.t. X before dropout (three-layer only)
	dXT     []compute.Tensor

	// R stacks the core states r_0 … r_T, (T+1)·B×Ng; rT[t] is r_t, rs is r_1 … r_T.
	r, rs, rPrev compute.Tensor // rPrev is r_0 … r_{T−1}
	rT           []compute.Tensor
	dR           compute.Tensor // (T·B)×Ng, gradient w.r.t. r_1 … r_T; dRT[t−1] is the block of r_t
	dRT          []compute.Tensor

	// s0 are the encoder outputs (s0[0] is r_0; LSTM's s0[1] is c_0), ds0 their gradients.
	s0, ds0 []compute.Tensor

	// Three-layer grid layer g = φ(R·W_D + b_D) and its gradient.
	g, dG compute.Tensor

	coreWS coreWorkspace

	// stop, when set (StartStepUntil), is asked before each time step of the recurrence
	// whether to give the pass up; stopped records that it did.
	stop    func() bool
	stopped bool

	b     compute.Backend
	owned []compute.Tensor // every tensor allocated for this shape (views excluded)
}

// halted reports whether the pass is to stop here: stop said so now or before.
func (w *workspace) halted() bool {
	if !w.stopped && w.stop != nil && w.stop() {
		w.stopped = true
	}
	return w.stopped
}

// newTensor allocates a tensor owned by the workspace.
func (w *workspace) newTensor(rows, cols int) compute.Tensor {
	t := w.b.New(rows, cols)
	w.owned = append(w.owned, t)
	return t
}

// rowBlocks returns the n views of B consecutive rows of t starting at row off·B.
func rowBlocks(b compute.Backend, t compute.Tensor, off, n, rows int) []compute.Tensor {
	v := make([]compute.Tensor, n)
	for i := range n {
		v[i] = b.View(t, (off+i)*rows, 0, rows, t.Cols())
	}
	return v
}

func (m *Model) workspace(B, T int) *workspace {
	if w := m.ws[[2]int{B, T}]; w != nil {
		return w
	}
	if B < 1 || T < 1 {
		panic(fmt.Sprintf("nn: batch shape B=%d T=%d", B, T))
	}
	b, c := m.b, m.cfg
	ng, np, nv := c.Ng, c.Np, c.nv()
	w := &workspace{B: B, T: T, b: b}
	w.in = Inputs{Vel: w.newTensor(T*B, nv), InitCode: w.newTensor(B, np), Targets: w.newTensor(T*B, np)}
	w.velT = rowBlocks(b, w.in.Vel, 0, T, B)
	w.out, w.dOut = w.newTensor(T*B, np), w.newTensor(T*B, np)

	nx := nv
	if m.threeLayer {
		nx = ng
		w.xPlain = w.newTensor(T*B, ng)
		w.xPlainT = rowBlocks(b, w.xPlain, 0, T, B)
		w.dX = w.newTensor(T*B, ng)
		w.dXT = rowBlocks(b, w.dX, 0, T, B)
		w.g, w.dG = w.newTensor(T*B, ng), w.newTensor(T*B, ng)
	} else {
		w.xPlain, w.xPlainT = w.in.Vel, w.velT
	}
	w.xsPlain = []compute.Tensor{w.xPlain}
	nIn, nRec := m.maskCounts()
	for range nIn {
		w.inMasks = append(w.inMasks, w.newTensor(B, nx))
		xd := w.newTensor(T*B, nx)
		w.xDrops = append(w.xDrops, xd)
		w.xDropsT = append(w.xDropsT, rowBlocks(b, xd, 0, T, B))
	}
	for range nRec {
		w.recMasks = append(w.recMasks, w.newTensor(B, ng))
	}
	w.r = w.newTensor((T+1)*B, ng)
	w.rT = rowBlocks(b, w.r, 0, T+1, B)
	w.rs = b.View(w.r, B, 0, T*B, ng)
	w.rPrev = b.View(w.r, 0, 0, T*B, ng)
	w.dR = w.newTensor(T*B, ng)
	w.dRT = rowBlocks(b, w.dR, 0, T, B)
	w.s0 = []compute.Tensor{w.rT[0]}
	w.ds0 = []compute.Tensor{w.newTensor(B, ng)}
	for range m.encs[1:] {
		w.s0 = append(w.s0, w.newTensor(B, ng))
		w.ds0 = append(w.ds0, w.newTensor(B, ng))
	}
	w.coreWS = m.core.newWorkspace(w)
	m.ws[[2]int{B, T}] = w
	return w
}

// ReleaseWorkspace frees the buffers of the (B, T) shape, e.g. those of a one-off
// evaluation batch; the next use of that shape allocates them again.
func (m *Model) ReleaseWorkspace(B, T int) {
	w := m.ws[[2]int{B, T}]
	if w == nil {
		return
	}
	delete(m.ws, [2]int{B, T})
	for _, t := range w.owned {
		m.b.Free(t)
	}
}

// Free releases the model's tensors: its parameters, their gradients and the buffers of
// every shape it has run. The model must not be used after. On a GPU the memory is the
// device's, which the garbage collector does not see: a process that builds one model
// after another on one backend frees each when done with it.
func (m *Model) Free() {
	for shape := range m.ws {
		m.ReleaseWorkspace(shape[0], shape[1])
	}
	for _, p := range m.ps {
		m.b.Free(p.Value)
		m.b.Free(p.Grad)
	}
	m.ps = nil
}

// Inputs returns the device input tensors of shape (B, T), allocating the workspace of
// that shape on first use.
func (m *Model) Inputs(B, T int) Inputs { return m.workspace(B, T).in }

// load copies in to the device inputs of its shape; the targets only when the pass computes
// a loss (op, the method, named in the panic). A nil
// Targets there would leave the previous batch's targets on the device and give the loss
// of this batch's outputs against them, with nothing to say so.
func (m *Model) load(in Batch, op string) *workspace {
	w := m.workspace(in.B, in.T)
	m.b.Upload(w.in.Vel, in.Vel)
	m.b.Upload(w.in.InitCode, in.InitCode)
	if op != "" {
		if in.Targets == nil {
			panic("nn: " + op + ": Batch.Targets is nil; a loss needs the targets (Forward alone does not read them)")
		}
		m.b.Upload(w.in.Targets, in.Targets)
	}
	return w
}

// Step runs the training forward pass (dropout on), the loss and the backward pass on in,
// leaving ∂loss/∂θ in every Param.Grad, and returns the loss (data term plus weight decay).
func (m *Model) Step(in Batch) float64 {
	w := m.load(in, "Step")
	m.sampleMasks(w)
	return m.run(w, true, true)
}

// StepLoaded is Step on the batch already in Inputs(B, T).
func (m *Model) StepLoaded(B, T int) float64 {
	m.StartStep(B, T)
	return m.FinishStep()
}

// StartStep is the first half of StepLoaded: it queues the training forward pass, the loss
// and the backward pass on the batch in Inputs(B, T), leaving ∂loss/∂θ in every Param.Grad
// once the device has run them. FinishStep returns the loss. Between the two the caller may
// queue the optimizer update: on an asynchronous backend (compute.ScalarDeferrer, the GPU)
// the device then runs it while the host waits for the loss alone, and the host queues the
// next step before the update has finished, so the device does not idle between steps. On
// the CPU the two halves are StepLoaded.
func (m *Model) StartStep(B, T int) {
	w := m.workspace(B, T)
	m.sampleMasks(w)
	m.start(w, true, true)
}

// StartStepUntil is StartStep that gives the step up once stop reports true, asked before
// each time step of the forward and the backward recurrence (of each lane group's, where an
// ensemble's recurrence runs group by group: GRIDCELLS_LANE_GROUP) and between the passes: it then
// returns false and no FinishStep follows. The parameters are as they were, their gradients
// are undefined until the next step, and the dropout masks of the step have been drawn from
// the model's generator, which a caller that resumes later restores (package train).
//
// Why: a CPU step at paper size takes seconds (about 4 s for an LSTM at Ng 1024 on 2 cores;
// a CPU ensemble of 8 such networks, eight times that), and Ctrl-C waited for it. On a GPU,
// where StartStep only queues work, stop is asked as well; a step given up there leaves
// queued work that writes no parameter, and its deferred scalars are collected and dropped.
func (m *Model) StartStepUntil(B, T int, stop func() bool) bool {
	w := m.workspace(B, T)
	w.stop = stop
	defer func() { w.stop, w.stopped = nil, false }()
	m.sampleMasks(w)
	m.start(w, true, true) // a step it gives up leaves no pending FinishStep
	return !w.stopped
}

// FinishStep returns the loss of the step StartStep queued (data term plus weight decay),
// and on an ensemble sets LaneLosses. It panics without a StartStep before it.
func (m *Model) FinishStep() float64 { return m.finish() }

// LaneLosses returns, on an ensemble backend (compute.LaneScalarCollector, package
// compute/ensemble), each lane's loss of the last Step, StepLoaded, Loss or LossLoaded: what
// a model of its own returns for that lane's batch (the value Step returns is their sum).
// It returns nil on other backends. The slice is the model's, overwritten by the next step.
func (m *Model) LaneLosses() []float64 { return m.laneLoss }

// Loss returns the evaluation loss on in (no dropout, no gradients).
func (m *Model) Loss(in Batch) float64 { return m.run(m.load(in, "Loss"), false, false) }

// LossLoaded is Loss on the batch already in Inputs(B, T).
func (m *Model) LossLoaded(B, T int) float64 { return m.run(m.workspace(B, T), false, false) }

// Forward runs the evaluation forward pass on in (Targets are not read) and returns the
// outputs ŷ (T×B×Np, logits for cross-entropy) and the grid-layer activations g (T×B×Ng,
// spec §3: h_t for RNN, the dense layer for the others) on the host. out and g are reused
// when they have the right length and allocated when nil; a wrong length panics.
func (m *Model) Forward(in Batch, out, g []float32) ([]float32, []float32) {
	w := m.load(in, "")
	w.train = false
	m.forward(w)
	return m.download(w, out, g, true)
}

// Evaluate is Loss and the outputs of Forward from one forward pass: an evaluation needs
// both, and Loss then Forward ran the network twice.
func (m *Model) Evaluate(in Batch, out []float32) (float64, []float32) {
	loss, out, _ := m.evaluate(in, out, nil, false)
	return loss, out
}

// EvaluateGrid is Evaluate that also returns the grid-layer activations, as Forward does.
func (m *Model) EvaluateGrid(in Batch, out, g []float32) (float64, []float32, []float32) {
	return m.evaluate(in, out, g, true)
}

func (m *Model) evaluate(in Batch, out, g []float32, grid bool) (float64, []float32, []float32) {
	op := "Evaluate"
	if grid {
		op = "EvaluateGrid"
	}
	w := m.load(in, op)
	loss := m.run(w, false, false)
	out, g = m.download(w, out, g, grid)
	return loss, out, g
}

// download copies the outputs of the pass on w to out and, if grid, its grid-layer
// activations to g (each allocated when nil, as Forward says).
func (m *Model) download(w *workspace, out, g []float32, grid bool) ([]float32, []float32) {
	n := w.T * w.B
	out = sized(out, n*m.cfg.Np)
	m.b.Download(out, w.out)
	if grid {
		g = sized(g, n*m.cfg.Ng)
		m.b.Download(g, m.grid(w))
	}
	return out, g
}

func sized(s []float32, n int) []float32 {
	if s == nil {
		return make([]float32, n)
	}
	if len(s) != n {
		panic(fmt.Sprintf("nn: Forward destination has %d values; want %d", len(s), n))
	}
	return s
}

func (m *Model) grid(w *workspace) compute.Tensor {
	if m.threeLayer {
		return w.g
	}
	return w.rs
}

// sampleMasks draws the dropout masks of one training step from the model's rng: input
// mask, then recurrent mask, row-major, each element kept with probability 1−p and scaled
// by 1/(1−p) (Keras inverted dropout, one mask per sequence reused at every time step).
func (m *Model) sampleMasks(w *workspace) {
	for _, t := range w.inMasks {
		m.sampleMask(t, m.cfg.InputDropout)
	}
	for _, t := range w.recMasks {
		m.sampleMask(t, m.cfg.RecurrentDropout)
	}
}

// maskCounts returns how many input and recurrent masks a step draws: Keras uses one of
// each, except that LSTM and GRU draw one per gate when recurrent dropout is on (Keras'
// implementation 1, see gateProducts). UGRNN has none.
func (m *Model) maskCounts() (nIn, nRec int) {
	g := m.core.gates()
	if g == 0 {
		return 0, 0
	}
	if m.cfg.InputDropout > 0 {
		nIn = 1
		if m.cfg.RecurrentDropout > 0 {
			nIn = g
		}
	}
	if m.cfg.RecurrentDropout > 0 {
		nRec = g
	}
	return nIn, nRec
}

func (m *Model) sampleMask(t compute.Tensor, p float64) {
	n := t.Rows() * t.Cols()
	if cap(m.mask) < n {
		m.mask = make([]float64, n)
	}
	mk := m.mask[:n]
	keep := 1 / (1 - p)
	for i := range mk {
		if m.rng.Float64() < p {
			mk[i] = 0
		} else {
			mk[i] = keep
		}
	}
	m.b.Upload64(t, mk)
}

// run does the forward pass, the loss and, if grad, the backward pass on the loaded batch
// with the masks already in w, and returns the loss: start, then finish.
func (m *Model) run(w *workspace, train, grad bool) float64 {
	m.start(w, train, grad)
	return m.finish()
}

// start queues the forward pass, the loss (and weight-decay term) and, if grad, the backward
// pass; finish collects the loss.
func (m *Model) start(w *workspace, train, grad bool) {
	if m.pending.started {
		panic("nn: a step started before the previous one's FinishStep")
	}
	w.train = train
	m.forward(w)
	if w.halted() {
		return
	}
	// On an asynchronous backend (the GPU) the loss and the weight-decay term are queued
	// rather than waited for, so the backward pass follows them on the device without a gap
	// while the host goes on queueing; QueueScalars then starts them on their way to the
	// host, and finish waits for them alone. An ensemble (compute.LaneScalarCollector) then
	// returns each lane's values of both.
	d, deferred := m.b.(compute.ScalarDeferrer)
	_, lanes := m.b.(compute.LaneScalarCollector)
	if deferred {
		d.DeferScalars()
	}
	p := pendingStep{started: true, deferred: deferred, lanes: lanes}
	p.loss = m.loss(w, grad)
	m.decayBeta = 0
	if lambda := m.cfg.WeightDecay; lambda > 0 {
		if grad {
			// λ·Σx² and its gradient 2λx (spec §4.1: no ½) in one pass over x; the weight
			// gradient of backward then accumulates onto 2λx (GEMM beta = 1) instead of
			// a separate Axpy pass after it.
			p.decay = m.b.ScaleSumSquares(m.decayGrad, 2*lambda, m.decayValue)
			m.decayBeta = 1
		} else {
			p.decay = m.b.SumSquares(m.decayValue)
		}
	}
	if grad {
		m.backward(w)
	}
	if deferred {
		d.QueueScalars()
	}
	if w.stopped { // StartStepUntil: backward gave up; no FinishStep follows
		if deferred {
			// The next step's DeferScalars must find no values in flight (an ensemble
			// panics on them, and the next loss would be read from them).
			m.scalars = d.CollectScalars(m.scalars[:0])
		}
		return
	}
	m.pending = p
}

// finish waits for the loss of the pass start queued and returns it.
func (m *Model) finish() float64 {
	p := m.pending
	if !p.started {
		panic("nn: FinishStep without StartStep")
	}
	m.pending = pendingStep{}
	lambda := m.cfg.WeightDecay
	switch {
	case p.lanes:
		ops := m.b.(compute.LaneScalarCollector).CollectLaneScalars()
		p.loss = laneSum(ops[0])
		m.laneLoss = append(m.laneLoss[:0], ops[0]...)
		if lambda > 0 {
			p.decay = laneSum(ops[1])
			for k, v := range ops[1] {
				m.laneLoss[k] += lambda * v
			}
		}
	case p.deferred:
		m.scalars = m.b.(compute.ScalarDeferrer).CollectScalars(m.scalars[:0])
		p.loss = m.scalars[0]
		if lambda > 0 {
			p.decay = m.scalars[1]
		}
	}
	loss := p.loss
	if lambda > 0 {
		loss += lambda * p.decay
	}
	return loss
}

// laneSum is the sum of an ensemble's lane values, in lane order as the ensemble sums them.
func laneSum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func (m *Model) loss(w *workspace, grad bool) float64 {
	n := float64(w.T * w.B)
	var g compute.Tensor
	if grad {
		g = w.dOut
	}
	switch m.cfg.Loss {
	case CrossEntropy:
		return m.b.SoftmaxCrossEntropy(g, w.out, w.in.Targets, 1/n)
	case MSE:
		return m.b.SquaredError(g, w.out, w.in.Targets, 1/(n*float64(m.cfg.Np)))
	case PolarMSE:
		return m.b.PolarSquaredError(g, w.out, w.in.Targets, 1/n)
	}
	panic("nn: unknown loss " + string(m.cfg.Loss))
}

func (m *Model) forward(w *workspace) {
	b := m.b
	// Initial states from the start code: s = p0·W_enc (+ b_enc).
	for i, e := range m.encs {
		b.Gemm(false, false, 1, w.in.InitCode, e.w.Value, 0, w.s0[i])
		if e.b != nil {
			b.AddRowVector(w.s0[i], e.b.Value)
		}
	}
	// Core input for all T steps at once.
	if m.threeLayer {
		b.Gemm(false, false, 1, w.in.Vel, m.wM.Value, 0, w.xPlain)
		b.AddRowVector(w.xPlain, m.bM.Value)
	}
	w.xs, w.activeIn, w.activeRec = w.xsPlain, nil, nil
	if w.train {
		w.activeIn, w.activeRec = w.inMasks, w.recMasks
		for i, mk := range w.activeIn {
			for t := range w.T {
				b.Mul(w.xDropsT[i][t], w.xPlainT[t], mk)
			}
		}
		if len(w.activeIn) > 0 {
			w.xs = w.xDrops
		}
	}
	w.coreWS.forward()
	if w.stopped {
		return
	}
	g := w.rs
	if m.threeLayer {
		b.Gemm(false, false, 1, w.rs, m.wD.Value, 0, w.g)
		b.AddRowVector(w.g, m.bD.Value)
		b.Activate(w.g, w.g, m.cfg.Activation)
		g = w.g
	}
	b.Gemm(false, false, 1, g, m.wDec.Value, 0, w.out)
	if m.bDec != nil {
		b.AddRowVector(w.out, m.bDec.Value)
	}
}

// backward propagates w.dOut (∂loss/∂ŷ) to every parameter gradient. Each weight gradient
// is one GEMM over all T·B rows; only the recurrence inside the core is sequential.
func (m *Model) backward(w *workspace) {
	b := m.b
	g := w.rs
	if m.threeLayer {
		g = w.g
	}
	b.Gemm(true, false, 1, g, w.dOut, 0, m.wDec.Grad)
	if m.bDec != nil {
		b.SumRows(m.bDec.Grad, 1, w.dOut, 0)
	}
	if m.threeLayer {
		b.Gemm(false, true, 1, w.dOut, m.wDec.Value, 0, w.dG)
		b.ActivationGrad(w.dG, w.g, m.cfg.Activation)
		b.Gemm(true, false, 1, w.rs, w.dG, 0, m.wD.Grad)
		b.SumRows(m.bD.Grad, 1, w.dG, 0)
		b.Gemm(false, true, 1, w.dG, m.wD.Value, 0, w.dR)
	} else {
		b.Gemm(false, true, 1, w.dOut, m.wDec.Value, 0, w.dR)
	}
	for _, d := range w.ds0 {
		b.Fill(d, 0)
	}
	w.coreWS.backward(m.threeLayer)
	if w.stopped {
		return
	}
	if m.threeLayer {
		b.Gemm(true, false, 1, w.in.Vel, w.dX, 0, m.wM.Grad)
		b.SumRows(m.bM.Grad, 1, w.dX, 0)
	}
	for i, e := range m.encs {
		b.Gemm(true, false, 1, w.in.InitCode, w.ds0[i], 0, e.w.Grad)
		if e.b != nil {
			b.SumRows(e.b.Grad, 1, w.ds0[i], 0)
		}
	}
}

// carryTarget is where the gradient w.r.t. r_{t−1} accumulates: dR's block for t−1, or the
// gradient of the initial state for t = 1.
func (w *workspace) carryTarget(t int) compute.Tensor {
	if t == 1 {
		return w.ds0[0]
	}
	return w.dRT[t-2]
}
