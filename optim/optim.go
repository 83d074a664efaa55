package optim

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/nn"
)

// Kind names an optimizer (spec §4.2).
type Kind string

// The optimizers of spec §4.2, by their config names (training.optimizer).
const (
	Adam    Kind = "adam"    // Kingma & Ba; NFL's and Sorscher's choice
	RMSProp Kind = "rmsprop" // Keras's RMSprop (ρ, ε)
	SGD     Kind = "sgd"     // plain gradient descent, no momentum
	Adagrad Kind = "adagrad" // Keras's Adagrad (initial accumulator 0.1)
)

// Default hyper-parameters: Keras' (TensorFlow 2) defaults, which NFL uses by setting only
// the learning rate (spec §4.2).
const (
	DefaultBeta1              = 0.9
	DefaultBeta2              = 0.999
	DefaultRho                = 0.9
	DefaultEpsilon            = 1e-7 // Keras; PyTorch's Adam uses 1e-8
	DefaultInitialAccumulator = 0.1  // Keras Adagrad (PyTorch uses 0)
)

// Settings configures an optimizer. Zero fields take the defaults above.
type Settings struct {
	Kind Kind
	LR   float64 // learning rate (required, > 0)

	Beta1, Beta2 float64             // Adam moment decays (0.9, 0.999)
	Epsilon      float64             // ε of Adam, RMSProp and Adagrad (1e-7)
	AdamEpsilon  compute.AdamEpsilon // where Adam's ε enters (default EpsilonKeras)
	Rho          float64             // RMSProp decay ρ (0.9)
	// InitialAccumulator is Adagrad's starting accumulator (0.1, Keras). A negative value
	// means 0 (PyTorch).
	InitialAccumulator float64
}

func (s Settings) withDefaults() Settings {
	if s.Beta1 == 0 {
		s.Beta1 = DefaultBeta1
	}
	if s.Beta2 == 0 {
		s.Beta2 = DefaultBeta2
	}
	if s.Epsilon == 0 {
		s.Epsilon = DefaultEpsilon
	}
	if s.Rho == 0 {
		s.Rho = DefaultRho
	}
	if s.InitialAccumulator == 0 {
		s.InitialAccumulator = DefaultInitialAccumulator
	} else if s.InitialAccumulator < 0 {
		s.InitialAccumulator = 0
	}
	return s
}

// Validate reports the first bad field of s.
func (s Settings) Validate() error {
	switch s.Kind {
	case Adam, RMSProp, SGD, Adagrad:
	default:
		return fmt.Errorf("optim: Kind = %q; want adam, rmsprop, sgd or adagrad", s.Kind)
	}
	if !(s.LR > 0) {
		return fmt.Errorf("optim: LR = %v; want > 0", s.LR)
	}
	if s.Beta1 < 0 || s.Beta1 >= 1 || s.Beta2 < 0 || s.Beta2 >= 1 {
		return fmt.Errorf("optim: Beta1, Beta2 = %v, %v; want values in [0, 1)", s.Beta1, s.Beta2)
	}
	if s.Rho < 0 || s.Rho >= 1 {
		return fmt.Errorf("optim: Rho = %v; want a value in [0, 1)", s.Rho)
	}
	if s.Epsilon < 0 {
		return fmt.Errorf("optim: Epsilon = %v; want ≥ 0", s.Epsilon)
	}
	if s.AdamEpsilon != compute.EpsilonKeras && s.AdamEpsilon != compute.EpsilonPyTorch {
		return fmt.Errorf("optim: AdamEpsilon = %d; want EpsilonKeras or EpsilonPyTorch", s.AdamEpsilon)
	}
	return nil
}

// FromConfig returns the optimizer settings of a run: kind, learning rate and ε from
// c.Training. Adam's ε convention follows c.Model.InitConvention: "pytorch" (the Sorscher
// code, torch.optim.Adam) adds ε to √v̂, anything else follows Keras (NFL).
func FromConfig(c *config.Config) (Settings, error) {
	s := Settings{Kind: Kind(c.Training.Optimizer), LR: c.Training.LearningRate, Epsilon: c.Training.Epsilon}
	if c.Model.InitConvention == "pytorch" {
		s.AdamEpsilon = compute.EpsilonPyTorch
	}
	switch {
	case s.Kind != Adam && s.Kind != RMSProp && s.Kind != SGD && s.Kind != Adagrad:
		return Settings{}, config.BadValue("training.optimizer", fmt.Sprintf("%q", s.Kind), "want adam, rmsprop, sgd or adagrad")
	case !(s.LR > 0):
		return Settings{}, config.BadValue("training.learning_rate", s.LR, "want > 0")
	case s.Epsilon < 0:
		return Settings{}, config.BadValue("training.epsilon", s.Epsilon, "want ≥ 0 (0 means the Keras default 1e-7)")
	}
	return s, nil
}

// StateTensor is one named optimizer state tensor, for checkpoints. Names are the slot and
// the parameter name: "m/W_rec", "v/W_rec" (Adam), "acc/W_rec" (RMSProp, Adagrad).
type StateTensor struct {
	Name       string
	Rows, Cols int
	Tensor     compute.Tensor
}

// Optimizer updates a fixed list of parameters from their gradients, one fused backend pass
// per parameter.
type Optimizer struct {
	b      compute.Backend
	s      Settings
	params []*nn.Param
	slots  [][]compute.Tensor // per parameter: Adam m, v; RMSProp/Adagrad accumulator
	state  []StateTensor
	iter   int
}

// New returns an optimizer for params (usually Model.Params()) on b with zeroed state
// (Adagrad: accumulators at InitialAccumulator).
func New(b compute.Backend, params []*nn.Param, s Settings) (*Optimizer, error) {
	s = s.withDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	o := &Optimizer{b: b, s: s, params: params}
	var names []string
	switch s.Kind {
	case Adam:
		names = []string{"m", "v"}
	case RMSProp, Adagrad:
		names = []string{"acc"}
	}
	for _, p := range params {
		var sl []compute.Tensor
		for _, n := range names {
			t := b.New(p.Rows, p.Cols)
			if s.Kind == Adagrad {
				b.Fill(t, s.InitialAccumulator)
			}
			sl = append(sl, t)
			o.state = append(o.state, StateTensor{Name: n + "/" + p.Name, Rows: p.Rows, Cols: p.Cols, Tensor: t})
		}
		o.slots = append(o.slots, sl)
	}
	return o, nil
}

// Settings returns the settings with defaults filled in.
func (o *Optimizer) Settings() Settings { return o.s }

// Iterations is the number of updates applied so far (Adam's t after the last update).
func (o *Optimizer) Iterations() int { return o.iter }

// SetIterations restores the update count from a checkpoint.
func (o *Optimizer) SetIterations(n int) { o.iter = n }

// State returns the optimizer's state tensors with stable names; write them to a checkpoint
// with Download and restore them with Upload (with SetIterations).
func (o *Optimizer) State() []StateTensor { return o.state }

// Free releases the optimizer's state tensors (moments, accumulators). The optimizer must
// not be used after.
func (o *Optimizer) Free() {
	for _, s := range o.state {
		o.b.Free(s.Tensor)
	}
	o.state = nil
}

// Step applies one update to every parameter from its Grad:
//
//	SGD:     θ ← θ − lr·g
//	Adam:    see compute.AdamEpsilon (Keras and PyTorch ε conventions)
//	RMSProp: a ← ρa + (1−ρ)g²;  θ ← θ − lr·g/(√a + ε)   (Keras, no momentum, a₀ = 0)
//	Adagrad: a ← a + g²;        θ ← θ − lr·g/(√a + ε)   (Keras, a₀ = 0.1)
func (o *Optimizer) Step() {
	o.iter++
	s := o.s
	for i, p := range o.params {
		sl := o.slots[i]
		switch s.Kind {
		case SGD:
			o.b.Axpy(p.Value, -s.LR, p.Grad)
		case Adam:
			o.b.Adam(p.Value, p.Grad, sl[0], sl[1], compute.AdamStep{
				LR: s.LR, Beta1: s.Beta1, Beta2: s.Beta2, Eps: s.Epsilon, Step: o.iter, Convention: s.AdamEpsilon})
		case RMSProp:
			o.b.RMSProp(p.Value, p.Grad, sl[0], s.LR, s.Rho, s.Epsilon)
		case Adagrad:
			o.b.Adagrad(p.Value, p.Grad, sl[0], s.LR, s.Epsilon)
		}
	}
}
