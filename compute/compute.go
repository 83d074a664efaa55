package compute

import (
	"fmt"
	"math"
)

// DType is the element type a backend stores its tensors in.
type DType int

const (
	Float32 DType = iota // production type
	Float64              // for finite-difference gradient checks
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return "compute.DType(?)"
}

// Error is the type of the panics raised for programmer misuse (shapes, views, aliasing).
type Error struct{ string }

func (e Error) Error() string { return e.string }

// Panic values. Backends panic with these (wrapped in a message that names the operation).
var (
	ErrShape = Error{"compute: shape mismatch"}
	ErrView  = Error{"compute: view out of range"}
)

// Tensor is an opaque handle to a rows×cols row-major matrix owned by a Backend. It may be
// a view into a larger tensor (see Backend.View). Only the backend that made a tensor may
// read or write its elements.
type Tensor interface {
	Rows() int
	Cols() int
}

// Activation is an elementwise nonlinearity φ (spec §3.1: relu, tanh, sigmoid, linear).
type Activation int

// The activations of spec §3.1. The zero Activation is none of them, so that a model
// configured without one (nn.Config{Cell: nn.RNN, …}) is refused instead of silently
// built linear, which never grows grid cells.
const (
	Linear  Activation = iota + 1 // φ(x) = x
	ReLU                          // φ(x) = max(x, 0): NFL's and Sorscher's default
	Tanh                          // φ(x) = tanh x
	Sigmoid                       // φ(x) = 1/(1 + e⁻ˣ)
)

var activationNames = [...]string{Linear: "linear", ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid"}

func (a Activation) String() string {
	if a >= Linear && a <= Sigmoid {
		return activationNames[a]
	}
	if a == 0 {
		return "unset"
	}
	return "compute.Activation(?)"
}

// ParseActivation maps the config names relu, tanh, sigmoid and linear to an Activation.
func ParseActivation(s string) (Activation, bool) {
	for a := Linear; a <= Sigmoid; a++ {
		if activationNames[a] == s {
			return a, true
		}
	}
	return 0, false
}

// Apply returns φ(x) in float64; it is the reference the backends implement.
func (a Activation) Apply(x float64) float64 {
	switch a {
	case ReLU:
		return math.Max(x, 0)
	case Tanh:
		return math.Tanh(x)
	case Sigmoid:
		return 1 / (1 + math.Exp(-x))
	}
	return x
}

// DerivFromOutput returns φ'(x) expressed through y = φ(x): 1 for linear, [y > 0] for relu
// (0 at the kink, as PyTorch and TensorFlow), 1 − y² for tanh, y(1 − y) for sigmoid.
// Backward passes only keep outputs, so this is the form every backend uses.
func (a Activation) DerivFromOutput(y float64) float64 {
	switch a {
	case ReLU:
		if y > 0 {
			return 1
		}
		return 0
	case Tanh:
		return 1 - y*y
	case Sigmoid:
		return y * (1 - y)
	}
	return 1
}

// AdamEpsilon names where Adam's ε enters the update (spec §4.2).
type AdamEpsilon int

const (
	// EpsilonKeras is TensorFlow's ApplyAdam, used by Keras (NFL): ε̂ is added to √v, the
	// uncorrected second moment:
	//   θ ← θ − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε).
	EpsilonKeras AdamEpsilon = iota
	// EpsilonPyTorch is torch.optim.Adam (Sorscher): ε is added to √v̂, the bias-corrected
	// second moment:
	//   θ ← θ − lr · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε).
	EpsilonPyTorch
)

// AdamStep holds the scalars of one Adam update. Step is t, counted from 1.
type AdamStep struct {
	LR, Beta1, Beta2, Eps float64     // learning rate, moment decays β1, β2 and ε
	Step                  int         // t, from 1: the bias corrections 1−β1ᵗ and 1−β2ᵗ
	Convention            AdamEpsilon // where ε enters (Keras or PyTorch)
}

// Backend is the set of operations the models and optimizers need. All tensors are 2-D,
// row-major; a T×B×N array is a (T·B)×N tensor whose rows t·B … t·B+B−1 are time step t.
//
// Scalars are passed as float64 and rounded to the backend's DType. Unless a method says
// otherwise, dst may alias an operand of the same shape, and shapes must match exactly.
type Backend interface {
	// Name describes the backend, e.g. "cpu/float32".
	Name() string
	// DType is the element type of every tensor of this backend.
	DType() DType

	// New returns a zeroed rows×cols tensor (rows, cols ≥ 1).
	New(rows, cols int) Tensor
	// View returns the rows×cols block of t starting at (r0, c0). It shares t's memory and
	// allocates nothing on the device; build views once, outside hot loops.
	View(t Tensor, r0, c0, rows, cols int) Tensor
	// Free releases t's memory (a no-op for views and on the CPU). t must not be used after.
	Free(t Tensor)

	// Upload copies the row-major src (len rows·cols) into dst; Download is the reverse.
	Upload(dst Tensor, src []float32)
	Upload64(dst Tensor, src []float64)
	Download(dst []float32, src Tensor)
	Download64(dst []float64, src Tensor)

	// Fill sets every element of dst to v.
	Fill(dst Tensor, v float64)
	// Copy sets dst = src.
	Copy(dst, src Tensor)
	// Scale sets dst = alpha·dst.
	Scale(dst Tensor, alpha float64)
	// AddScalar sets dst = dst + v.
	AddScalar(dst Tensor, v float64)
	// Axpy sets dst = dst + alpha·x.
	Axpy(dst Tensor, alpha float64, x Tensor)
	// Mul sets dst = a ⊙ b (elementwise).
	Mul(dst, a, b Tensor)
	// AddMul sets dst = dst + a ⊙ b.
	AddMul(dst, a, b Tensor)

	// Gemm sets c = alpha·op(a)·op(b) + beta·c, op(x) = xᵀ when the flag is set. With
	// beta = 0, c is not read (NaNs in c do not propagate). c must not alias a or b.
	Gemm(transA, transB bool, alpha float64, a, b Tensor, beta float64, c Tensor)

	// Activate sets dst = φ(src).
	Activate(dst, src Tensor, f Activation)
	// ActivationGrad sets dst = dst ⊙ φ'(x), given out = φ(x) (see DerivFromOutput).
	ActivationGrad(dst, out Tensor, f Activation)
	// AddRowVector adds the 1×cols v to every row of dst (bias add).
	AddRowVector(dst, v Tensor)
	// SumRows sets the 1×cols dst = beta·dst + alpha·Σ_i src[i,:] (bias gradient).
	SumRows(dst Tensor, alpha float64, src Tensor, beta float64)

	// SoftmaxCrossEntropy returns scale·Σ_rows −Σ_j y_j log softmax(z)_j for logits z and
	// targets y (rows of the same shape), and, when grad is not nil, sets
	// grad = scale·(softmax(z)·Σ_j y_j − y), the exact gradient also for targets that do not
	// sum to 1. grad may alias logits.
	SoftmaxCrossEntropy(grad, logits, targets Tensor, scale float64) float64
	// SquaredError returns scale·Σ (out − y)² and, when grad is not nil, sets
	// grad = 2·scale·(out − y). grad may alias out.
	SquaredError(grad, out, targets Tensor, scale float64) float64
	// PolarSquaredError takes n×2 tensors of (r, θ) rows and returns
	// scale·Σ_rows r̂² + r² − 2 r̂ r cos(θ̂ − θ) (spec §4.1 polar MSE, the squared distance of
	// the two points) and, when grad is not nil, its gradient with respect to out.
	PolarSquaredError(grad, out, targets Tensor, scale float64) float64
	// SumSquares returns Σ x².
	SumSquares(x Tensor) float64
	// ScaleSumSquares sets dst = alpha·src and returns Σ src² (of src as it was: dst may
	// alias src), in one pass: the weight-decay term λ·Σw² and the start 2λ·w of its
	// gradient (spec §4.1), onto which the weight-gradient GEMM then accumulates.
	ScaleSumSquares(dst Tensor, alpha float64, src Tensor) float64
	// Sum returns Σ x.
	Sum(x Tensor) float64

	// Adam applies one Adam update to param in place, updating the moments m and v
	// (formulas at AdamEpsilon), in a single pass over memory.
	Adam(param, grad, m, v Tensor, s AdamStep)
	// RMSProp applies Keras' RMSprop without momentum:
	//   a ← ρa + (1−ρ)g²;  θ ← θ − lr·g/(√a + ε).
	RMSProp(param, grad, acc Tensor, lr, rho, eps float64)
	// Adagrad applies Keras' Adagrad (TensorFlow ApplyAdagradV2):
	//   a ← a + g²;  θ ← θ − lr·g/(√a + ε).
	Adagrad(param, grad, acc Tensor, lr, eps float64)
}

// PackedGemmer is an optional extension of Backend for a right operand that many products
// share, such as W_rec in the recurrent product h_{t−1}·W_rec of every time step: Pack puts
// op(b) into the matrix kernel's internal layout once, instead of once per Gemm. Models
// test for it with a type assertion and fall back to Gemm without it.
type PackedGemmer interface {
	// NewPacked returns an empty packed operand; build it once, outside hot loops.
	NewPacked() Packed
	// Pack stores op(b) (bᵀ when transB) in p, replacing what p held. b must not change
	// while p is used: pack again after an update.
	Pack(p Packed, transB bool, b Tensor)
	// GemmPacked sets c = alpha·op(a)·op(b) + beta·c for the op(b) last packed into p, with
	// the same result, bit for bit, as the matching Gemm and Gemm's rules for beta and c.
	GemmPacked(transA bool, alpha float64, a Tensor, p Packed, beta float64, c Tensor)
}

// Packed is a right operand packed by a PackedGemmer (opaque to models).
type Packed interface {
	// PackedShape returns the shape k×n of the packed op(b) (0×0 before the first Pack).
	PackedShape() (k, n int)
}

// MaxDriven is the widest input the fused operations of an InputDriver take: the columns k
// of x. The RNN's input is the velocity u_t (k = 2, spec §3.1); wider inputs, such as the
// Ng-wide embedding of the three-layer SRNN (spec §3.3), take the GEMM.
const MaxDriven = 4

// InputDriver is an optional extension of Backend for a recurrent step whose input product
// is small: a SimpleRNN's r_t = φ(r_{t−1}·W_rec + x_t·W_in) (spec §3.1) with x_t only k ≤
// MaxDriven columns wide. Without it the input products of all steps are one GEMM whose
// (T·B)×n output is written once and read back by every step's recurrent GEMM (beta = 1),
// and the gradient ∂loss/∂W_in = Σ_t x_tᵀ·∂/∂a_t is a k×n GEMM over T·B rows that reads
// every step's gradient again: on a GPU, passes over memory that do k multiply-adds per
// element. ActivateDriven and ActivationGradDriven do that work inside the activation's pass
// over the step, which reads and writes those elements anyway.
//
// Shapes: pre, dst and out are B×n, x is B×k and w, gw are k×n with 1 ≤ k ≤
// MaxDrivenInputs(); a mismatch panics with ErrShape, a k past the limit panics too. dst may
// alias pre (ActivateDriven) or out (ActivationGradDriven), element for element, but none of
// x, w, gw may overlap dst, pre or out. Results equal the unfused operations (Gemm, then
// Activate or ActivationGrad, then Gemm) up to rounding.
// Models test for it with a type assertion and MaxDrivenInputs() > 0, and fall back to the
// unfused operations otherwise.
type InputDriver interface {
	// MaxDrivenInputs returns the largest k the operations take (at most MaxDriven), or 0
	// where they are not to be used: an ensemble whose inner backend has no
	// LaneInputDriver, or a backend on which the fusion is turned off for comparison
	// (compute/cuda's GRIDCELLS_FUSED_DRIVE=0). A Go type cannot drop a method at run
	// time, so this is how an implementation declines.
	MaxDrivenInputs() int
	// ActivateDriven sets dst = φ(pre + x·w).
	ActivateDriven(dst, pre, x, w Tensor, f Activation)
	// ActivationGradDriven sets dst = dst ⊙ φ'(out), given out = φ(a) (as ActivationGrad),
	// and gw = beta·gw + xᵀ·dst with the new dst. With beta = 0, gw is not read (NaNs in
	// it do not propagate), so the first step of a backward pass starts the sum without a
	// Fill; beta = 1 accumulates the later steps.
	ActivationGradDriven(dst, out, x, gw Tensor, f Activation, beta float64)
}

// LaneInputDriver is an optional extension of InputDriver for ensembles (package
// compute/ensemble): the operations of lanes networks as one. Every tensor is lanes column
// blocks side by side (dst, pre, out rows×(lanes·n); x rows×(lanes·k); w, gw k×(lanes·n)),
// and lane l's block of each is the operand of lane l's operation, which must give the same
// result, bit for bit, as the single operation on that lane's views. One launch then
// replaces lanes launches.
type LaneInputDriver interface {
	InputDriver
	ActivateDrivenLanes(dst, pre, x, w Tensor, f Activation, lanes int)
	ActivationGradDrivenLanes(dst, out, x, gw Tensor, f Activation, beta float64, lanes int)
}

// DrivenDims checks the operands of an InputDriver operation of lanes lanes (1 for the
// single operations) against the rules of InputDriver, with limit the most input columns
// the backend takes, and returns each lane's n and k; it panics as the backends do for
// misuse. y is pre (ActivateDriven) or out (ActivationGradDriven), w is w or gw.
func DrivenDims(op string, dst, y, x, w Tensor, lanes, limit int) (n, k int) {
	if lanes < 1 {
		panic(fmt.Sprintf("compute: %s of %d lanes", op, lanes))
	}
	if !SameShape(dst, y) || x.Rows() != dst.Rows() || w.Cols() != dst.Cols() || w.Rows()*lanes != x.Cols() ||
		dst.Cols()%lanes != 0 {
		PanicShape(op, dst, y, x, w)
	}
	n, k = dst.Cols()/lanes, w.Rows()
	if k > limit {
		panic(fmt.Errorf("%w: %s(%d×%d input): at most %d input columns", ErrShape, op, x.Rows(), k, limit))
	}
	return n, k
}

// LaneGemmer is an optional extension of Backend for ensembles of same-shaped networks
// (package compute/ensemble keeps lane k of every tensor in the column block k of one
// allocation): GemmLanes computes the lanes independent products
//
//	c_k = alpha·op(a_k)·op(b_k) + beta·c_k,  k = 0 … lanes−1,
//
// where x_k is the view x shifted right by k·strideX columns inside the tensor x views
// (strideX ≥ 1 elements; rows keep x's leading dimension). One call replaces lanes Gemm
// calls, so that a GPU runs the products of many small networks as one batched kernel
// (cublasSgemmStridedBatched) instead of lanes launches. Each product follows Gemm's rules
// for beta and aliasing and equals Gemm's result up to rounding (bit for bit on the CPU;
// cuBLAS may choose another kernel for a batch than for one product). The caller guarantees that every
// lane's view lies inside the allocation of the tensor x views.
type LaneGemmer interface {
	GemmLanes(transA, transB bool, alpha float64, a, b Tensor, beta float64, c Tensor, lanes, strideA, strideB, strideC int)
}

// ScalarDeferrer is an optional extension of Backend for asynchronous backends (the GPU),
// where each operation that returns a scalar makes the host wait for the device. After
// DeferScalars, such operations queue their value and return 0, until CollectScalars waits
// once and returns the queued values in call order (appended to dst), ending the deferral.
// An ensemble's per-lane losses then cost one wait instead of one per lane.
//
// QueueScalars ends the deferral early: the values start on their way to the host, and the
// operations queued after it (a training step's optimizer update) are not waited for by the
// CollectScalars that must follow before the next DeferScalars. The device then runs them
// while the host reads the values and queues the next step. CollectScalars alone does both.
type ScalarDeferrer interface {
	DeferScalars()
	QueueScalars()
	CollectScalars(dst []float64) []float64
}

// LaneScalarer is an optional extension of ScalarDeferrer backends (the GPU): the scalar
// operations of an ensemble's K lanes (package compute/ensemble), which lie side by side as
// K column blocks of one tensor, as one operation instead of K. The tensors are
// rows×(lanes·w) and lane k is their columns [k·w, (k+1)·w). Each method must be called
// between DeferScalars and CollectScalars and queues lanes values, lane 0 first: those that
// the single-tensor operation would queue for each lane's block in turn, bit for bit, with
// the same gradients. The K launches and K reductions of per-lane calls become one each.
type LaneScalarer interface {
	ScalarDeferrer
	SoftmaxCrossEntropyLanes(grad, logits, targets Tensor, scale float64, lanes int)
	SquaredErrorLanes(grad, out, targets Tensor, scale float64, lanes int)
	// ScaleSumSquaresLanes is ScaleSumSquares lane by lane, or SumSquares when dst is nil.
	ScaleSumSquaresLanes(dst Tensor, alpha float64, src Tensor, lanes int)
}

// LaneScalarCollector is implemented by ensembles (package compute/ensemble), whose scalar
// operations have a value per lane: after DeferScalars each scalar operation queues its lanes'
// values and returns 0, and CollectLaneScalars ends the deferral and returns each queued
// operation's lane values, in call order (one host wait on an asynchronous inner backend).
// CollectScalars returns each operation's sum over the lanes instead.
type LaneScalarCollector interface {
	ScalarDeferrer
	CollectLaneScalars() [][]float64
}

// LaneGrouper is an optional extension of ensembles (package compute/ensemble): their lanes
// split into consecutive groups, each an ensemble of its own over the same memory, for a
// sequential loop that runs group by group rather than all lanes at each iteration.
//
// Why: a recurrent layer's T time steps each multiply the state by the recurrent weight. All
// lanes at once, every step reads every lane's weight from device memory (64 lanes of Ng
// 1024: 268 MB a step, more than a GPU's L2 cache), and the products are bound by that read.
// Group by group, a group's weights (8 lanes: 32 MB) can stay in the L2 cache through its T
// steps, so the products run at the arithmetic's speed instead, at the cost of one launch
// per group per step.
type LaneGrouper interface {
	// LaneGroups returns the groups of the ensemble's lanes for sequential loops, or nil
	// when they are not split (the default).
	LaneGroups() []LaneGroup
}

// LaneGroup is consecutive lanes of an ensemble as an ensemble of their own, sharing its
// memory: operations on the group's tensors are those of these lanes.
type LaneGroup interface {
	Backend
	// Of returns the group's view of the ensemble's tensor t: the group's lanes of t.
	Of(t Tensor) Tensor
}

// Profiler is an optional extension of Backend for asynchronous backends (the GPU): it
// times the device work of every operation between StartProfile and StopProfile, so that a
// training step's device time can be broken down without an external profiler
// (gridcells bench train --profile).
type Profiler interface {
	// StartProfile starts timing; an error says why the backend cannot.
	StartProfile() error
	// StopProfile waits for the device and returns the time of each kind of operation,
	// the largest first, and the span from the first timed operation's start to the last's
	// end (busy time plus the device's idle gaps between them).
	StopProfile() (ops []OpTime, spanMS float64, err error)
}

// OpTime is the device time of one kind of operation during a profile.
type OpTime struct {
	Op    string  `json:"op"`    // e.g. a kernel name, or "cublasSgemm NN m=200 n=4096 k=4096"
	Count int     `json:"count"` // how many ran
	MS    float64 `json:"ms"`    // their device time in total, milliseconds
}

// LaneReporter is implemented by ensemble backends, whose every tensor holds one matrix per
// lane (network): their operations that return a scalar (the losses, the sums) return the
// sum over the lanes, and LaneValues then returns each lane's own value of the last such
// operation. The slice is the backend's and is overwritten by the next one.
type LaneReporter interface {
	Lanes() int
	LaneValues() []float64
}

// Synchronizer is implemented by backends whose operations run asynchronously (the GPU):
// Synchronize waits until every queued operation has finished. Timings test for it.
type Synchronizer interface {
	Synchronize()
}

// Synchronize waits for b's queued work when b is asynchronous; it does nothing otherwise.
func Synchronize(b Backend) {
	if s, ok := b.(Synchronizer); ok {
		s.Synchronize()
	}
}

// PanicShape panics with ErrShape, naming the operation and the shapes of its operands:
// the backends' message for mismatched tensors.
func PanicShape(op string, ts ...Tensor) {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d×%d", t.Rows(), t.Cols())
	}
	panic(fmt.Errorf("%w: %s(%s)", ErrShape, op, s))
}

// GemmDims returns the sizes m, n, k of c = op(a)·op(b), op(x) = xᵀ when the flag is set,
// and whether the three shapes agree (op(a) m×k, op(b) k×n, c m×n).
func GemmDims(transA, transB bool, a, b, c Tensor) (m, n, k int, ok bool) {
	m, k = a.Rows(), a.Cols()
	if transA {
		m, k = k, m
	}
	k2, n := b.Rows(), b.Cols()
	if transB {
		k2, n = n, k2
	}
	return m, n, k, k == k2 && c.Rows() == m && c.Cols() == n
}

// GemmLanesDims returns the sizes m, n, k of each product of a LaneGemmer.GemmLanes call and
// panics, as the backends do for misuse, when the shapes do not agree (ErrShape) or the lane
// count or a stride is not positive.
func GemmLanesDims(transA, transB bool, a, b, c Tensor, lanes, strideA, strideB, strideC int) (m, n, k int) {
	m, n, k, ok := GemmDims(transA, transB, a, b, c)
	if !ok {
		PanicShape(fmt.Sprintf("GemmLanes[tA=%v tB=%v]", transA, transB), a, b, c)
	}
	if lanes < 1 || strideA < 1 || strideB < 1 || strideC < 1 {
		panic(fmt.Sprintf("compute: GemmLanes(lanes %d, strides %d, %d, %d): want positive values", lanes, strideA, strideB, strideC))
	}
	return m, n, k
}

// SameShape reports whether a and b have the same shape.
func SameShape(a, b Tensor) bool { return a.Rows() == b.Rows() && a.Cols() == b.Cols() }
