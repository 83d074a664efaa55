package config

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Preset names.
const (
	PresetNFL2022      = "nfl2022"
	PresetSorscher2019 = "sorscher2019"
	PresetBanino2018   = "banino2018"
	PresetQuick        = "quick"
)

var presets = map[string]func() Config{
	PresetNFL2022:      nfl2022,
	PresetSorscher2019: sorscher2019,
	PresetBanino2018:   banino2018,
	PresetQuick:        quick,
}

// PresetNames returns the preset names, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Default returns the nfl2022 preset: the values every main NFL sweep shares (spec §6.1).
func Default() Config { return nfl2022() }

// Preset returns the named preset (case-insensitive). An unknown name is an error that
// lists the known ones.
func Preset(name string) (Config, error) {
	f, ok := presets[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Config{}, &ConfigError{Key: "preset", Err: fmt.Errorf("%w %q; allowed: %s", ErrUnknownPreset, name, strings.Join(PresetNames(), ", "))}
	}
	return f(), nil
}

// nfl2022 holds the common values of the NFL main sweeps (spec §6.1: Ng 1024, Np 512, DoS
// σ 0.12 with σ-ratio 2, relu, glorot_uniform, Adam lr 1e-4 (Keras ε 1e-7), batch 200, T 20,
// 20 × 10,000 steps, weight decay 1e-4, no dropout) and NFL's evaluation (spec §4.3, §5.6).
func nfl2022() Config {
	return Config{
		Preset: PresetNFL2022,
		Seed:   0,
		Trajectory: Trajectory{
			// Spec §1.1 (identical in SOR and NFL).
			MotionModel:    "sorscher",
			BoxWidth:       2.2,
			BoxHeight:      2.2,
			Dt:             0.02,
			Periodic:       false,
			SequenceLength: 20,
			BatchSize:      200,
			RotVelStd:      5.76 * 2,
			SpeedScale:     0.13 * 2 * math.Pi,
			BorderRegion:   0.03,
			BorderSlowdown: 0.25,
			// RatInABox Agent defaults (ecosystem.md §2.2), fitted to Sargolini et al. 2006.
			RIABSpeedMean:         0.08,
			RIABSpeedCoherence:    0.7,
			RIABRotVelStd:         120 * math.Pi / 180,
			RIABRotVelCoherence:   0.08,
			RIABWallRepelDistance: 0.1,
			RIABWallRepelStrength: 1.0,
			RIABThigmotaxis:       0.5,
		},
		Encoding: Encoding{
			Kind:               "difference_of_gaussians",
			Normalization:      "global",
			Np:                 512,
			PlaceCellRF:        Const(0.12),
			SurroundScale:      Const(2),
			SurroundConvention: "sigma_ratio",
			FieldsPerCell:      Const(1),
			AlphaE:             1,
			AlphaI:             1,
			Anisotropy:         Const(1),
			VonMisesKappa:      1.0, // final NFL code (spec §10 item 5)
			DecodeTopK:         3,
		},
		Model: Model{
			RNNType:          "RNN",
			Ng:               1024,
			Activation:       "relu",
			Initializer:      "glorot_uniform",
			InitConvention:   "keras",
			ReadoutDropout:   0,
			RecurrentDropout: 0,
		},
		Training: Training{
			Optimizer:     "adam",
			LearningRate:  1e-4,
			Epsilon:       1e-7, // Keras default (spec §4.2)
			Loss:          "auto",
			WeightDecay:   1e-4,
			NEpochs:       20,
			StepsPerEpoch: 10000,
			Device:        "auto",
		},
		Eval: Eval{
			SequenceLength:  50,
			BatchSize:       0,
			NBins:           []int{44, 20, 32},
			NUnits:          1024,
			ScoreMethod:     "nfl",
			GridThreshold:   0.8,
			DecodeThreshold: 10,
			BinSide:         0.05,
			PlotUnits:       16,
		},
	}
}

// sorscher2019 holds SOR's defaults (spec §4.2; SOR main.py): Ng 4096, 100 × 1000 steps,
// DoS with the variance-ratio surround, PyTorch initialisation and Adam ε. SOR scores grids
// with the DeepMind mean-difference score (spec §0.1 item 2).
func sorscher2019() Config {
	c := nfl2022()
	c.Preset = PresetSorscher2019
	c.Encoding.SurroundConvention = "variance_ratio"
	c.Model.Ng = 4096
	c.Model.InitConvention = "pytorch"
	c.Training.Epsilon = 1e-8 // PyTorch Adam default
	c.Training.NEpochs = 100
	c.Training.StepsPerEpoch = 1000
	c.Eval.ScoreMethod = "deepmind"
	return c
}

// banino2018 is NFL's banino.yaml (spec §6.3): the Banino et al. setting expressed in the
// NFL codebase (LSTM, tanh, Gaussian CE with σ 0.01 m, Np 256, Ng 128, RMSprop lr 1e-5,
// batch 10, T 100, readout dropout 0.5, weight decay 1e-5, 10 × 100,000 steps). Scoring
// uses DeepMind's mean-difference score, as DM's own code does.
func banino2018() Config {
	c := nfl2022()
	c.Preset = PresetBanino2018
	c.Encoding.Kind = "gaussian"
	c.Encoding.Normalization = "global"
	c.Encoding.Np = 256
	c.Encoding.PlaceCellRF = Const(0.01)
	c.Model.RNNType = "LSTM"
	c.Model.Activation = "tanh"
	c.Model.Ng = 128
	c.Model.ReadoutDropout = 0.5
	c.Training.Optimizer = "rmsprop"
	c.Training.LearningRate = 1e-5
	c.Training.WeightDecay = 1e-5
	c.Training.NEpochs = 10
	c.Training.StepsPerEpoch = 100000
	c.Trajectory.BatchSize = 10
	c.Trajectory.SequenceLength = 100
	c.Eval.ScoreMethod = "deepmind"
	return c
}

// Values of the quick preset, kept together so they can be tuned by experiment in one place.
// Found by a search on the shared 2-core machine (Nov 2026; other jobs loading the cores):
// Ng 256, Np 512 DoS, Adam lr 3e-3, batch 100 reached a spec §4.3 decoding error (T 50) of
// 7.8 cm and a max min-max score60 of 0.99 over 256 units after 12,000 steps in 651 s
// (18 steps/s). lr 1e-3 (the reference's) was still near the 6.237 plateau at 5,800 steps;
// batch 50 steps twice as fast but its decoding error at T 50 hovered around 10 cm up to
// 16,000 steps. When the walk's random stream changed (chunked parallel trajectories,
// session 2), the same 12,000 steps ended at 9.9 cm and max score60 0.78, just short of
// the paper's rule; 16,500 steps gave 7.3 cm and 0.93 in 394 s on the now faster code.
const (
	quickNg            = 256
	quickBatchSize     = 100
	quickLearningRate  = 3e-3
	quickEpochs        = 11
	quickStepsPerEpoch = 1500 // 11 × 1500 = 16,500 steps
	quickEvalEvery     = 500
	quickEvalBatchSize = 200 // the NFL evaluation batch (spec §4.3): 200 × 50 positions for the rate maps
	quickEvalUnits     = 256
)

// quick is a small DoS run that trains on a 2-core CPU in about ten minutes and
// grows grid-like units: the nfl2022 encoding (Np 512, σ 0.12, σ-ratio 2) with fewer units,
// a smaller batch and a larger learning rate.
func quick() Config {
	c := nfl2022()
	c.Preset = PresetQuick
	c.Model.Ng = quickNg
	c.Trajectory.BatchSize = quickBatchSize
	c.Training.LearningRate = quickLearningRate
	c.Training.NEpochs = quickEpochs
	c.Training.StepsPerEpoch = quickStepsPerEpoch
	c.Training.EvalEvery = quickEvalEvery
	c.Eval.BatchSize = quickEvalBatchSize
	c.Eval.NUnits = quickEvalUnits
	return c
}
