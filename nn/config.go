package nn

import (
	"fmt"
	"strings"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/config"
)

// Cell is the recurrent architecture (spec §3).
type Cell string

const (
	RNN   Cell = "RNN"   // Sorscher/NFL vanilla RNN: encoder, SimpleRNN without bias, linear readout (§3.1)
	LSTM  Cell = "LSTM"  // Keras LSTM inside two encoders, embedding M and dense grid layer (§3.2)
	GRU   Cell = "GRU"   // Keras GRU (reset_after) in the three-layer base (§3.3)
	UGRNN Cell = "UGRNN" // Collins et al. 2017 update-gate RNN in the three-layer base (§3.3)
	SRNN  Cell = "SRNN"  // SimpleRNN without bias in the three-layer base (NFL "VanillaRNN", §3.3)
)

// Loss is the training objective (spec §4.1).
type Loss string

const (
	CrossEntropy Loss = "crossentropy" // softmax cross-entropy, mean over batch and time
	MSE          Loss = "mse"          // squared error, mean over batch, time and outputs
	PolarMSE     Loss = "polarmse"     // r̂² + r² − 2r̂r·cos(θ̂ − θ), mean over batch and time; Np = 2
)

// Initializer is the initializer of the recurrent matrix (spec §3.1).
type Initializer string

const (
	GlorotUniform Initializer = "glorot_uniform" // U(±√(6/(fan_in+fan_out)))
	GlorotNormal  Initializer = "glorot_normal"  // Keras truncated normal, std √(2/(fan_in+fan_out))/0.8796
	Orthogonal    Initializer = "orthogonal"     // Keras orthogonal (QR of a Gaussian matrix, sign-corrected)
)

// InitConvention selects the default initialisation of all weights.
type InitConvention string

const (
	// Keras (NFL): glorot-uniform kernels, zero biases, recurrent matrix per Initializer, LSTM
	// forget-gate bias 1.
	Keras InitConvention = "keras"
	// PyTorch (Sorscher's code, spec §3.1): every weight U(±1/√fan_in), with fan_in = Np for
	// the encoder, Ng for the recurrent, input and readout matrices of torch.nn.RNN (whose
	// default init uses 1/√hidden_size) and Ng for the decoder. Only defined for Cell RNN.
	PyTorch InitConvention = "pytorch"
)

// Config describes a model. The zero values of the rates and the decay switch them off.
type Config struct {
	Cell Cell
	Ng   int // recurrent ("grid") units
	Np   int // outputs (place cells or code dimensions)
	Nv   int // velocity input dimensions (0 means 2)
	// Activation is required: its zero value is refused, not taken as linear (compute.ReLU
	// is NFL's and Sorscher's).
	Activation compute.Activation

	Initializer    Initializer    // recurrent matrix; "" means glorot_uniform
	InitConvention InitConvention // "" means keras

	// Dropout rates are accepted and ignored for UGRNN, whose NFL implementation has no
	// dropout (NFL's sweeps cross them with every cell).
	//
	// InputDropout is Keras' `dropout` of the recurrent layer, which NFL sets from
	// `readout_dropout`: for the RNN cell it drops the velocity input u_t, for the others the
	// embedding m_t (spec §0.1 item 6). One mask per sequence, inverted scaling, training only.
	InputDropout float64
	// RecurrentDropout drops h_{t−1} inside the recurrent product, one mask per sequence.
	RecurrentDropout float64

	// WeightDecay is λ in λ·Σ W_rec² (no ½) added to the loss (spec §4.1).
	WeightDecay float64
	// NFLUGRNNBiasDecay reproduces an NFL quirk (spec §0.1 item 7): NFL decays RNN.weights[1],
	// which for its UGRNN cell is the bias vector, not a weight matrix. Off by default, when
	// the decay acts on the recurrent block of the UGRNN matrix (the rows that multiply h_{t−1}).
	NFLUGRNNBiasDecay bool

	Loss Loss
}

func (c Config) nv() int {
	if c.Nv == 0 {
		return 2
	}
	return c.Nv
}

// FieldError is a bad value of one Config field.
type FieldError struct {
	Field   string // the Config field (or config key) at fault
	Value   any
	Allowed string // what would be accepted
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("nn: %s = %v; want %s", e.Field, e.Value, e.Allowed)
}

// Validate reports the first bad field of c.
func (c Config) Validate() error {
	switch c.Cell {
	case RNN, LSTM, GRU, UGRNN, SRNN:
	default:
		return &FieldError{"Cell", c.Cell, "RNN, LSTM, GRU, UGRNN or SRNN"}
	}
	if c.Ng < 1 {
		return &FieldError{"Ng", c.Ng, "≥ 1"}
	}
	if c.Np < 1 {
		return &FieldError{"Np", c.Np, "≥ 1"}
	}
	if c.Nv < 0 {
		return &FieldError{"Nv", c.Nv, "≥ 0 (0 means 2)"}
	}
	switch c.Activation {
	case compute.Linear, compute.ReLU, compute.Tanh, compute.Sigmoid:
	default:
		return &FieldError{"Activation", c.Activation, "compute.ReLU (NFL's and Sorscher's), compute.Tanh, compute.Sigmoid or compute.Linear"}
	}
	switch c.Initializer {
	case "", GlorotUniform, GlorotNormal, Orthogonal:
	default:
		return &FieldError{"Initializer", c.Initializer, "glorot_uniform, glorot_normal or orthogonal"}
	}
	switch c.InitConvention {
	case "", Keras:
	case PyTorch:
		if c.Cell != RNN {
			return &FieldError{"InitConvention", c.InitConvention, "keras for cell " + string(c.Cell) + " (pytorch is defined for the RNN cell only)"}
		}
	default:
		return &FieldError{"InitConvention", c.InitConvention, "keras or pytorch"}
	}
	for _, d := range []struct {
		name string
		v    float64
	}{{"InputDropout", c.InputDropout}, {"RecurrentDropout", c.RecurrentDropout}} {
		if !(d.v >= 0 && d.v < 1) {
			return &FieldError{d.name, d.v, "a rate in [0, 1)"}
		}
	}
	if !(c.WeightDecay >= 0) {
		return &FieldError{"WeightDecay", c.WeightDecay, "≥ 0"}
	}
	if c.NFLUGRNNBiasDecay && c.Cell != UGRNN {
		return &FieldError{"NFLUGRNNBiasDecay", true, "false unless Cell is UGRNN"}
	}
	switch c.Loss {
	case CrossEntropy, MSE:
	case PolarMSE:
		if c.Np != 2 {
			return &FieldError{"Loss", c.Loss, "crossentropy or mse when Np ≠ 2 (polarmse needs Np = 2)"}
		}
	default:
		return &FieldError{"Loss", c.Loss, "crossentropy, mse or polarmse"}
	}
	return nil
}

// FromConfig builds the model description of a resolved run configuration: model options
// from c.Model, loss and weight decay from c.Training, Np from c.Encoding. Loss "auto" is
// resolved by config.Config.LossKind.
func FromConfig(c *config.Config) (Config, error) {
	m, tr := c.Model, c.Training
	act, ok := compute.ParseActivation(m.Activation)
	if !ok {
		return Config{}, config.BadValue("model.activation", m.Activation, "want relu, tanh, sigmoid or linear")
	}
	cell := Cell(strings.ToUpper(m.RNNType))
	// One rule for the loss of an encoding (spec §2.2 Loss column) lives in config.
	loss := Loss(c.LossKind())
	nc := Config{
		Cell:              cell,
		Ng:                m.Ng,
		Np:                c.Encoding.Np,
		Activation:        act,
		Initializer:       Initializer(m.Initializer),
		InitConvention:    InitConvention(m.InitConvention),
		InputDropout:      m.ReadoutDropout,
		RecurrentDropout:  m.RecurrentDropout,
		WeightDecay:       tr.WeightDecay,
		NFLUGRNNBiasDecay: m.NFLUGRNNBiasDecay,
		Loss:              loss,
	}
	if err := nc.Validate(); err != nil {
		fe := err.(*FieldError)
		key := map[string]string{
			"Cell": "model.rnn_type", "Ng": "model.ng", "Np": "encoding.np", "Initializer": "model.initializer",
			"InitConvention": "model.init_convention", "InputDropout": "model.readout_dropout",
			"RecurrentDropout": "model.recurrent_dropout", "WeightDecay": "training.weight_decay", "Loss": "training.loss",
			"NFLUGRNNBiasDecay": "model.nfl_ugrnn_bias_decay",
		}[fe.Field]
		return Config{}, config.BadValue(key, fe.Value, "want "+fe.Allowed)
	}
	return nc, nil
}
