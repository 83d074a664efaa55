package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
)

// Encoding kinds (NFL place_field_values, spec §2.2).
const (
	KindCartesian        = "cartesian"
	KindHighDimCartesian = "high_dim_cartesian"
	KindPolar            = "polar"
	KindHighDimPolar     = "high_dim_polar"
	KindGaussian         = "gaussian"
	KindDoS              = "difference_of_gaussians"
	KindTrueDoG          = "true_difference_of_gaussians"
	KindGeneralDoG       = "general_difference_of_gaussians"
	KindSoD              = "softmax_of_differences"
)

// Loss kinds (spec §4.1).
const (
	LossAuto         = "auto"
	LossCrossEntropy = "crossentropy"
	LossMSE          = "mse"
	LossPolarMSE     = "polarmse"
)

// MaxDt is the longest trajectory time step a config may have, s: a step of several seconds
// crosses the box many times over (Sorscher's mean speed is 1 m/s), and a huge one
// overflows the positions to ±Inf and NaN (dt 1e308 wrote an all-NaN file).
const MaxDt = 1.0

// IsPlaceCode reports whether the encoding is a place-cell code (centres, σ, top-k decoding).
func (e Encoding) IsPlaceCode() bool {
	switch e.Kind {
	case KindGaussian, KindDoS, KindTrueDoG, KindGeneralDoG, KindSoD:
		return true
	}
	return false
}

// HasSurround reports whether the encoding uses the surround factor s (spec §2.2).
func (e Encoding) HasSurround() bool {
	switch e.Kind {
	case KindDoS, KindTrueDoG, KindGeneralDoG, KindSoD:
		return true
	}
	return false
}

// globallyNormalized reports whether the targets are a distribution over the cells, as
// softmax cross-entropy needs (spec §4.1): place codes with global normalization, and true
// DoG, whose shift-and-normalise runs whatever the flag says (spec §2.2).
func (e Encoding) globallyNormalized() bool {
	return e.IsPlaceCode() && (e.Normalization == "global" || e.Kind == KindTrueDoG)
}

// LossKind resolves Training.Loss: "auto" becomes the loss of spec §2.2's Loss column —
// MSE for the Cartesian and high-dim polar codes, polar MSE for the low-dim polar code,
// softmax cross-entropy for globally normalised place codes (and true DoG, whose targets are
// normalised regardless of the flag), MSE for unnormalised ones.
func (c Config) LossKind() string {
	if c.Training.Loss != LossAuto && c.Training.Loss != "" {
		return c.Training.Loss
	}
	switch {
	case c.Encoding.Kind == KindPolar:
		return LossPolarMSE
	case c.Encoding.globallyNormalized():
		return LossCrossEntropy
	}
	return LossMSE
}

// Unused lists the options c sets that have no effect, each with why: values NFL's sweeps
// cross with every cell, which the reference accepts and ignores as package nn does, so
// they are valid; but a reader of a run's config should not think they mattered.
func (c Config) Unused() []string {
	var out []string
	m := c.Model
	if m.RNNType == "UGRNN" && (m.ReadoutDropout > 0 || m.RecurrentDropout > 0) {
		out = append(out, "model.readout_dropout and model.recurrent_dropout: the UGRNN cell has no dropout (as in NFL)")
	}
	if m.RNNType == "UGRNN" && m.Initializer != "" && m.Initializer != "glorot_uniform" {
		out = append(out, fmt.Sprintf("model.initializer %s: the UGRNN cell initialises as NFL's does", m.Initializer))
	}
	if m.InitConvention == "pytorch" && m.Initializer != "" && m.Initializer != "glorot_uniform" {
		out = append(out, fmt.Sprintf("model.initializer %s: init_convention pytorch draws every weight from U(±1/√fan_in)", m.Initializer))
	}
	return out
}

// TotalSteps returns the number of gradient steps: n_epochs × n_grad_steps_per_epoch (spec §4.2).
func (c Config) TotalSteps() int { return c.Training.NEpochs * c.Training.StepsPerEpoch }

// Limits of multi-field place cells, shared with package encode, which checks them again
// on the drawn field counts. Least-spread decoding tries every choice of one field per
// top-k cell (spec §2.3), the product of their field counts per position: 2^16 choices take
// a few ms per position, and 2 fields at top-30 would never finish.
const (
	MaxFieldsPerCell = 64      // encoding.fields_per_cell as a constant
	MaxPoissonFields = 30      // λ of encoding.fields_per_cell: Poisson( λ )
	MaxDecodeChoices = 1 << 16 // field choices per position of top-k decoding
)

// MaxNg bounds model.ng: the recurrent matrix is Ng² float32, 4 GiB at 32,768 units, and
// training holds it four times over (weights, gradient, Adam's two moments), times four for
// an LSTM's gates. Past it a run cannot fit a GPU or a workstation; without the bound it
// died allocating, with a Go stack trace (the paper's networks have 1,024–4,096 units).
const MaxNg = 32768

// MinNBins bounds eval.nbins below: under 6 bins per side the autocorrelogram's rings hold
// a few pixels each, and 400 random maps of 5×5 bins reach a DeepMind score60 of 2.4, of
// 3×3 bins an NFL score of 3.0, outside the [−2, 2] a score can mean anything in. (Even at
// 8–10 bins random maps reach 1.0; the reference's 20–44 bins are what scores are read at.)
const MinNBins = 6

// MaxNBins bounds eval.nbins: n² bins per unit's rate map, held as float64 for every
// analysed unit (4096 units at 512 bins are 8.6 GB), and far finer than a 200 × 50-step
// evaluation visits (the reference's maps are 44 bins of 5 cm). Without a bound, a typo
// such as 20000 trained a whole run and then died allocating the maps.
const MaxNBins = 512

// Validate checks every constraint a later stage would otherwise trip over. It returns nil
// or the joined *ConfigErrors, one per problem, each naming its key and what is allowed.
func (c Config) Validate() error {
	v := validator{}
	// Every enum must hold an allowed value and every float must be finite.
	rv := reflect.ValueOf(c)
	for _, s := range registry {
		f := rv.FieldByIndex(s.index)
		switch s.kind {
		case kindEnum:
			if s.optional && f.String() == "" {
				continue
			}
			if _, err := matchEnum(f.String(), s.enum); err != nil || !contains(s.enum, f.String()) {
				v.add(s.key, "%w %q; allowed: %s", ErrBadValue, f.String(), strings.Join(s.enum, ", "))
			}
		case kindFloat:
			if x := f.Float(); math.IsNaN(x) || math.IsInf(x, 0) {
				v.add(s.key, "must be finite, got %v", x)
			}
		case kindDist:
			d := f.Interface().(Dist)
			if d.Kind != DistConst && d.Kind != DistUniform && d.Kind != DistPoisson {
				v.add(s.key, "%w: distribution kind %q; allowed: const, uniform, poisson", ErrBadValue, d.Kind)
			} else if math.IsNaN(d.A) || math.IsInf(d.A, 0) || math.IsNaN(d.B) || math.IsInf(d.B, 0) {
				v.add(s.key, "must be finite, got %v", d)
			}
		}
	}

	t := c.Trajectory
	v.positive("trajectory.box_width", t.BoxWidth)
	v.positive("trajectory.box_height", t.BoxHeight)
	v.positive("trajectory.dt", t.Dt)
	if t.Dt > MaxDt {
		v.add("trajectory.dt", "must be at most %g s (a step that long crosses the box many times over), got %v", MaxDt, t.Dt)
	}
	v.atLeast("trajectory.sequence_length", t.SequenceLength, 1)
	v.atLeast("trajectory.batch_size", t.BatchSize, 1)
	v.nonNegative("trajectory.rot_vel_std", t.RotVelStd)
	v.positive("trajectory.speed_scale", t.SpeedScale)
	v.nonNegative("trajectory.border_region", t.BorderRegion)
	// The wall bands matter only with walls (not periodic) and only for their own model.
	if t.MotionModel != "ratinabox" && !t.Periodic && t.BorderRegion >= math.Min(t.BoxWidth, t.BoxHeight)/2 && t.BoxWidth > 0 && t.BoxHeight > 0 {
		v.add("trajectory.border_region", "must be less than half the box side (%v m), got %v", math.Min(t.BoxWidth, t.BoxHeight)/2, t.BorderRegion)
	}
	v.inClosed("trajectory.border_slowdown", t.BorderSlowdown, 0, 1)
	if t.RNG == "philox" && t.MotionModel == "ratinabox" {
		v.add("trajectory.rng", "the Philox walk exists for motion_model sorscher only; want pcg with ratinabox")
	}
	if half := math.Min(t.BoxWidth, t.BoxHeight) / 2; t.MotionModel == "ratinabox" && !t.Periodic && t.RIABWallRepelDistance >= half && half > 0 {
		v.add("trajectory.riab_wall_repel_distance", "must be less than half the shorter box side (%v m), got %v", half, t.RIABWallRepelDistance)
	}
	v.positive("trajectory.riab_speed_mean", t.RIABSpeedMean)
	v.positive("trajectory.riab_speed_coherence_time", t.RIABSpeedCoherence)
	v.nonNegative("trajectory.riab_rot_vel_std", t.RIABRotVelStd)
	v.positive("trajectory.riab_rot_vel_coherence_time", t.RIABRotVelCoherence)
	v.nonNegative("trajectory.riab_wall_repel_distance", t.RIABWallRepelDistance)
	v.nonNegative("trajectory.riab_wall_repel_strength", t.RIABWallRepelStrength)
	v.inClosed("trajectory.riab_thigmotaxis", t.RIABThigmotaxis, 0, 1)

	e := c.Encoding
	switch e.Kind {
	case KindCartesian, KindPolar:
		if e.Np != 2 {
			v.add("encoding.np", "must be 2 for the %s encoding (spec §2.2), got %d", e.Kind, e.Np)
		}
	case KindHighDimPolar:
		if e.Np < 2 || e.Np%2 != 0 {
			v.add("encoding.np", "must be even and ≥ 2 for high_dim_polar (half radius, half angle cells; spec §2.2), got %d", e.Np)
		}
		v.positive("encoding.von_mises_kappa", e.VonMisesKappa)
	case KindHighDimCartesian:
		v.atLeast("encoding.np", e.Np, 2)
	}
	if e.IsPlaceCode() {
		v.atLeast("encoding.decode_top_k", e.DecodeTopK, 1)
		if e.DecodeTopK >= 1 && e.Np < e.DecodeTopK {
			v.add("encoding.np", "must be ≥ decode_top_k = %d for top-%d place decoding (spec §2.3), got %d", e.DecodeTopK, e.DecodeTopK, e.Np)
		}
		v.positiveDist("encoding.place_cell_rf", e.PlaceCellRF)
		if e.HasSurround() {
			v.distAbove("encoding.surround_scale", e.SurroundScale, 1)
		}
		if e.Kind == KindGeneralDoG {
			v.nonNegative("encoding.alpha_e", e.AlphaE)
			v.nonNegative("encoding.alpha_i", e.AlphaI)
			if e.AlphaE == 0 && e.AlphaI == 0 {
				v.add("encoding.alpha_e", "alpha_e and alpha_i are both 0: the general DoG code would be constant")
			}
		}
		switch e.FieldsPerCell.Kind {
		case DistConst:
			if n := e.FieldsPerCell.A; n < 1 || n != math.Trunc(n) || n > MaxFieldsPerCell {
				v.add("encoding.fields_per_cell", "must be an integer in [1, %d] or 'Poisson( λ )', got %v", MaxFieldsPerCell, e.FieldsPerCell)
			} else if c := math.Pow(n, float64(e.DecodeTopK)); c > MaxDecodeChoices && e.DecodeTopK >= 1 {
				v.add("encoding.decode_top_k", "multi-field decoding tries every choice of one field per top-%d cell, %.3g per position with %v fields; want at most %d (spec §2.3): lower decode_top_k or fields_per_cell", e.DecodeTopK, c, n, MaxDecodeChoices)
			}
		case DistPoisson:
			if e.FieldsPerCell.A < 0 || e.FieldsPerCell.A > MaxPoissonFields {
				v.add("encoding.fields_per_cell", "Poisson λ must be in [0, %d], got %v", MaxPoissonFields, e.FieldsPerCell.A)
			}
		case DistUniform:
			v.add("encoding.fields_per_cell", "must be an integer ≥ 1 or 'Poisson( λ )', got %v", e.FieldsPerCell)
		}
		v.positiveDist("encoding.anisotropy", e.Anisotropy)
	}
	if c.Encoding.Np < 1 {
		v.add("encoding.np", "must be ≥ 1, got %d", e.Np)
	}

	m := c.Model
	v.atLeast("model.ng", m.Ng, 1)
	if m.Ng > MaxNg {
		v.add("model.ng", "must be ≤ %d, got %d: the recurrent weights alone would take %.0f GiB (float32), before their gradient and Adam's moments", MaxNg, m.Ng, float64(m.Ng)*float64(m.Ng)*4/(1<<30))
	}
	// Rules package nn checks again, here so that they fail before anything is written.
	if m.InitConvention == "pytorch" && m.RNNType != "RNN" {
		v.add("model.init_convention", "pytorch is defined for rnn_type RNN only (Sorscher's nn.RNN); use keras for %s", m.RNNType)
	}
	if m.NFLUGRNNBiasDecay && m.RNNType != "UGRNN" {
		v.add("model.nfl_ugrnn_bias_decay", "reproduces a quirk of NFL's UGRNN: true only with rnn_type UGRNN, got %s", m.RNNType)
	}
	v.inHalfOpen("model.readout_dropout", m.ReadoutDropout, 0, 1)
	v.inHalfOpen("model.recurrent_dropout", m.RecurrentDropout, 0, 1)

	tr := c.Training
	v.positive("training.learning_rate", tr.LearningRate)
	v.positive("training.epsilon", tr.Epsilon)
	v.nonNegative("training.weight_decay", tr.WeightDecay)
	v.atLeast("training.n_epochs", tr.NEpochs, 1)
	v.atLeast("training.n_grad_steps_per_epoch", tr.StepsPerEpoch, 1)
	v.atLeast("training.eval_every", tr.EvalEvery, 0)
	v.atLeast("training.checkpoint_every", tr.CheckpointEvery, 0)
	if tr.NEpochs > 0 && tr.StepsPerEpoch > math.MaxInt32/tr.NEpochs {
		v.add("training.n_epochs", "n_epochs × n_grad_steps_per_epoch = %d × %d is too large", tr.NEpochs, tr.StepsPerEpoch)
	}
	switch c.LossKind() {
	case LossCrossEntropy:
		if !e.globallyNormalized() {
			v.add("training.loss", "crossentropy needs a place-cell encoding with normalization global (spec §4.1), got %s with normalization %s", e.Kind, e.Normalization)
		}
	case LossPolarMSE:
		if e.Kind != KindPolar {
			v.add("training.loss", "polarmse applies only to the polar encoding (spec §4.1), got %s", e.Kind)
		}
	}

	ev := c.Eval
	v.atLeast("eval.sequence_length", ev.SequenceLength, 1)
	v.atLeast("eval.batch_size", ev.BatchSize, 0)
	if len(ev.NBins) == 0 {
		v.add("eval.nbins", "needs at least one resolution, e.g. 44,20,32")
	}
	for _, n := range ev.NBins {
		if n < MinNBins || n > MaxNBins {
			v.add("eval.nbins", "every resolution must be ≥ %d and ≤ %d bins per side, got %v", MinNBins, MaxNBins, ev.NBins)
			break
		}
	}
	v.atLeast("eval.n_units", ev.NUnits, 1)
	// Min-max score60 lies roughly in [-2, 2] (spec §5.6); a threshold outside cannot select.
	v.inClosed("eval.grid_threshold", ev.GridThreshold, -2, 2)
	v.positive("eval.decode_threshold_cm", ev.DecodeThreshold)
	v.positive("eval.bin_side", ev.BinSide)
	v.atLeast("eval.plot_units", ev.PlotUnits, 0)
	return errors.Join(v.errs...)
}

// ValidateNew is Validate for a config being made now (command-line flags, a config file, a
// sweep's expansion): it adds the rules that came after run directories and sweeps were
// written with configs that break them. Those must still load (resume, eval, report, sweep
// collect), so Validate, which reloading applies, leaves the rules out.
func (c Config) ValidateNew() error {
	var v validator
	if err := c.Validate(); err != nil {
		v.errs = append(v.errs, err)
	}
	for i, n := range c.Eval.NBins {
		if slices.Contains(c.Eval.NBins[:i], n) {
			// Each resolution's files are named by it (ratemaps_20.npy), and the first is
			// also ratemaps.npy: a second 20 would score another draw of units under one name.
			v.add("eval.nbins", "lists %d twice (%v): each resolution once", n, c.Eval.NBins)
			break
		}
	}
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

// add records a problem with key; only a key's first is kept (np = 0 breaks both np ≥ 1 and
// np ≥ decode_top_k, and one message per key says it).
func (v *validator) add(key, format string, args ...any) {
	for _, e := range v.errs {
		if ce, ok := e.(*ConfigError); ok && ce.Key == key {
			return
		}
	}
	v.errs = append(v.errs, &ConfigError{Key: key, Err: fmt.Errorf(format, args...)})
}

func (v *validator) positive(key string, x float64) {
	if !(x > 0) {
		v.add(key, "must be > 0, got %v", x)
	}
}

func (v *validator) nonNegative(key string, x float64) {
	if !(x >= 0) {
		v.add(key, "must be ≥ 0, got %v", x)
	}
}

func (v *validator) atLeast(key string, n, lo int) {
	if n < lo {
		v.add(key, "must be ≥ %d, got %d", lo, n)
	}
}

func (v *validator) inClosed(key string, x, lo, hi float64) {
	if !(x >= lo && x <= hi) {
		v.add(key, "must be in [%v, %v], got %v", lo, hi, x)
	}
}

func (v *validator) inHalfOpen(key string, x, lo, hi float64) {
	if !(x >= lo && x < hi) {
		v.add(key, "must be in [%v, %v), got %v", lo, hi, x)
	}
}

// positiveDist requires a fixed value > 0 or U(lo, hi) with 0 < lo ≤ hi.
func (v *validator) positiveDist(key string, d Dist) {
	switch d.Kind {
	case DistConst:
		if !(d.A > 0) {
			v.add(key, "must be > 0, got %v", d)
		}
	case DistUniform:
		if !(d.A > 0 && d.A <= d.B) {
			v.add(key, "Uniform( lo , hi ) needs 0 < lo ≤ hi, got %v", d)
		}
	case DistPoisson:
		v.add(key, "must be a number or 'Uniform( lo , hi )', got %v", d)
	}
}

// distAbove requires a fixed value > lo or U(a, b) with lo < a ≤ b.
func (v *validator) distAbove(key string, d Dist, lo float64) {
	switch d.Kind {
	case DistConst:
		if !(d.A > lo) {
			v.add(key, "must be > %v for a center-surround code, got %v", lo, d)
		}
	case DistUniform:
		if !(d.A > lo && d.A <= d.B) {
			v.add(key, "Uniform( lo , hi ) needs %v < lo ≤ hi for a center-surround code, got %v", lo, d)
		}
	case DistPoisson:
		v.add(key, "must be a number or 'Uniform( lo , hi )', got %v", d)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
