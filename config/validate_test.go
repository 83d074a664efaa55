package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// TestValidateRejects: each broken config gives an error naming the offending key.
func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name string
		sets []string
		mod  func(c *Config)
		key  string
		msg  string
	}{
		{name: "negative σ", sets: []string{"place_cell_rf=-0.12"}, key: "encoding.place_cell_rf", msg: "must be > 0"},
		{name: "zero σ", sets: []string{"place_cell_rf=0"}, key: "encoding.place_cell_rf", msg: "must be > 0"},
		{name: "uniform σ from 0", sets: []string{"place_cell_rf=Uniform( 0 , 0.2 )"}, key: "encoding.place_cell_rf", msg: "0 < lo ≤ hi"},
		{name: "poisson σ", sets: []string{"place_cell_rf=Poisson( 1 )"}, key: "encoding.place_cell_rf", msg: "Uniform"},
		{name: "Np < 3", sets: []string{"Np=2"}, key: "encoding.np", msg: "top-3"},
		{name: "Np < k", sets: []string{"decode_top_k=5", "Np=4"}, key: "encoding.np", msg: "decode_top_k = 5"},
		{name: "zero box", sets: []string{"box_width_in_m=0"}, key: "trajectory.box_width", msg: "must be > 0"},
		{name: "negative box", sets: []string{"box_height=-2"}, key: "trajectory.box_height", msg: "must be > 0"},
		{name: "zero dt", sets: []string{"dt=0"}, key: "trajectory.dt", msg: "must be > 0"},
		{name: "huge dt", sets: []string{"dt=1e308"}, key: "trajectory.dt", msg: "at most 1 s"},
		{name: "T 0", sets: []string{"sequence_length=0"}, key: "trajectory.sequence_length", msg: "≥ 1"},
		{name: "batch 0", sets: []string{"batch_size=0"}, key: "trajectory.batch_size", msg: "≥ 1"},
		{name: "s = 1 for DoS", sets: []string{"surround_scale=1"}, key: "encoding.surround_scale", msg: "> 1"},
		{name: "s range below 1", sets: []string{"surround_scale=Uniform( 0.5 , 2 )"}, key: "encoding.surround_scale", msg: "1 < lo"},
		{name: "s = 1 for true DoG", sets: []string{"place_field_values=true_difference_of_gaussians", "surround_scale=1"}, key: "encoding.surround_scale", msg: "> 1"},
		{name: "cartesian Np", sets: []string{"place_field_values=cartesian", "normalization=none", "Np=3"}, key: "encoding.np", msg: "must be 2"},
		{name: "polar Np", sets: []string{"place_field_values=polar", "normalization=none", "Np=512"}, key: "encoding.np", msg: "must be 2"},
		{name: "odd high-dim polar", sets: []string{"place_field_values=high_dim_polar", "normalization=none", "Np=511"}, key: "encoding.np", msg: "even"},
		{name: "CE without global", sets: []string{"normalization=none", "loss=crossentropy"}, key: "training.loss", msg: "global"},
		{name: "CE on Cartesian", sets: []string{"place_field_values=high_dim_cartesian", "loss=crossentropy"}, key: "training.loss", msg: "place-cell"},
		{name: "polarmse on DoS", sets: []string{"loss=polarmse"}, key: "training.loss", msg: "polar"},
		{name: "dropout 1", sets: []string{"readout_dropout=1"}, key: "model.readout_dropout", msg: "[0, 1)"},
		{name: "negative dropout", sets: []string{"recurrent_dropout=-0.1"}, key: "model.recurrent_dropout", msg: "[0, 1)"},
		{name: "lr 0", sets: []string{"learning_rate=0"}, key: "training.learning_rate", msg: "> 0"},
		{name: "ε 0", sets: []string{"epsilon=0"}, key: "training.epsilon", msg: "> 0"},
		{name: "negative wd", sets: []string{"weight_decay=-1e-4"}, key: "training.weight_decay", msg: "≥ 0"},
		{name: "Ng 0", sets: []string{"Ng=0"}, key: "model.ng", msg: "≥ 1"},
		{name: "Ng too large", sets: []string{"Ng=200000"}, key: "model.ng", msg: "≤ 32768"},
		{name: "epochs 0", sets: []string{"n_epochs=0"}, key: "training.n_epochs", msg: "≥ 1"},
		{name: "steps 0", sets: []string{"n_grad_steps_per_epoch=0"}, key: "training.n_grad_steps_per_epoch", msg: "≥ 1"},
		{name: "nbins 1", sets: []string{"nbins=44,1"}, key: "eval.nbins", msg: "≥ 6"},
		{name: "nbins 5", sets: []string{"nbins=5"}, key: "eval.nbins", msg: "≥ 6"},
		{name: "pytorch LSTM", sets: []string{"rnn_type=LSTM", "init_convention=pytorch"}, key: "model.init_convention", msg: "RNN only"},
		{name: "UGRNN quirk on RNN", sets: []string{"nfl_ugrnn_bias_decay=true"}, key: "model.nfl_ugrnn_bias_decay", msg: "only with rnn_type UGRNN"},
		{name: "nbins 20000", sets: []string{"nbins=20000"}, key: "eval.nbins", msg: "≤ 512"},
		{name: "nbins twice", sets: []string{"nbins=20,32,20"}, key: "eval.nbins", msg: "lists 20 twice"},
		{name: "grid threshold", sets: []string{"grid_threshold=3"}, key: "eval.grid_threshold", msg: "[-2, 2]"},
		{name: "decode threshold", sets: []string{"decode_threshold_cm=0"}, key: "eval.decode_threshold_cm", msg: "> 0"},
		{name: "fields 0", sets: []string{"n_place_fields_per_cell=0"}, key: "encoding.fields_per_cell", msg: "integer in [1, 64]"},
		{name: "fractional fields", sets: []string{"n_place_fields_per_cell=1.5"}, key: "encoding.fields_per_cell", msg: "integer in [1, 64]"},
		// Rules packages encode and sim apply too: refused here, before a sweep writes the run.
		{name: "65 fields", sets: []string{"n_place_fields_per_cell=65"}, key: "encoding.fields_per_cell", msg: "integer in [1, 64]"},
		{name: "Poisson 31", sets: []string{"n_place_fields_per_cell=Poisson( 31 )"}, key: "encoding.fields_per_cell", msg: "[0, 30]"},
		{name: "4 fields at top-9", sets: []string{"n_place_fields_per_cell=4", "encoding.decode_top_k=9"}, key: "encoding.decode_top_k", msg: "at most 65536"},
		{name: "philox ratinabox", sets: []string{"trajectory.motion_model=ratinabox", "trajectory.rng=philox"}, key: "trajectory.rng", msg: "sorscher only"},
		{name: "wall band", sets: []string{"trajectory.motion_model=ratinabox", "trajectory.riab_wall_repel_distance=1.5"}, key: "trajectory.riab_wall_repel_distance", msg: "half the shorter box side"},
		{name: "uniform fields", sets: []string{"n_place_fields_per_cell=Uniform( 1 , 3 )"}, key: "encoding.fields_per_cell", msg: "Poisson"},
		{name: "general DoG zero amplitudes", sets: []string{"place_field_values=general_difference_of_gaussians", "alpha_e=0", "alpha_i=0"}, key: "encoding.alpha_e", msg: "both 0"},
		{name: "thigmotaxis", sets: []string{"thigmotaxis=1.5"}, key: "trajectory.riab_thigmotaxis", msg: "[0, 1]"},
		{name: "border band", sets: []string{"border_region=1.2"}, key: "trajectory.border_region", msg: "half the box"},
		{name: "bad enum in struct", mod: func(c *Config) { c.Model.Activation = "gelu" }, key: "model.activation", msg: "allowed: relu"},
		{name: "NaN float", mod: func(c *Config) { c.Trajectory.Dt = math.NaN() }, key: "trajectory.dt", msg: "finite"},
		{name: "bad Dist kind", mod: func(c *Config) { c.Encoding.Anisotropy = Dist{Kind: "normal", A: 1} }, key: "encoding.anisotropy", msg: "const, uniform, poisson"},
		{name: "empty nbins", mod: func(c *Config) { c.Eval.NBins = nil }, key: "eval.nbins", msg: "at least one"},
	}
	for _, tc := range cases {
		c := Default()
		if err := ApplySets(&c, tc.sets); err != nil {
			t.Fatalf("%s: sets: %v", tc.name, err)
		}
		if tc.mod != nil {
			tc.mod(&c)
		}
		err := c.ValidateNew() // Validate's rules and the new configs' own
		if err == nil {
			t.Errorf("%s: ValidateNew accepted it", tc.name)
			continue
		}
		found := false
		for _, e := range flattenJoined(err) {
			var ce *ConfigError
			if errors.As(e, &ce) && ce.Key == tc.key && strings.Contains(e.Error(), tc.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: got %q; want an error for %s containing %q", tc.name, err, tc.key, tc.msg)
		}
	}
}

// Configs that run directories and sweeps were written with before ValidateNew's rules still
// pass Validate, which reloading them applies: eval, resume, report and sweep collect must go
// on working for them.
func TestValidateLegacyConfigs(t *testing.T) {
	for _, sets := range [][]string{{"nbins=20,32,20"}, {"eval.plot_units=0"}} {
		c := Default()
		if err := ApplySets(&c, sets); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%v: a stored config of this kind no longer loads: %v", sets, err)
		}
	}
}

func flattenJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenJoined(e)...)
		}
		return out
	}
	return []error{err}
}

// TestValidateAccepts: configs from the NFL sweeps that must stay valid.
func TestValidateAccepts(t *testing.T) {
	cases := [][]string{
		// cartesian_mse.yaml: Np 2, rf 0, s 1 (unused by the code).
		{"place_field_values=cartesian", "normalization=none", "Np=2", "place_cell_rf=0", "surround_scale=1"},
		{"place_field_values=high_dim_polar", "normalization=none", "Np=512"},
		// pc_ce_g.yaml: Gaussian with s 1 (no surround).
		{"place_field_values=gaussian", "surround_scale=1", "place_cell_rf=0.08"},
		// banino.yaml: s 0 with a Gaussian code.
		{"place_field_values=gaussian", "surround_scale=0", "place_cell_rf=0.01"},
		{"place_field_values=softmax_of_differences", "surround_scale=1.5"},
		{"place_field_values=true_difference_of_gaussians", "place_cell_rf=0.5", "surround_scale=6"},
		{"n_place_fields_per_cell=Poisson( 2.0 )", "place_cell_rf=Uniform( 0.06 , 1.0 )", "surround_scale=Uniform( 1.25 , 4.50 )"},
		{"pc_mse: place_field_loss=mse", "loss=mse"},
		{"motion_model=ratinabox", "rnn_type=SRNN", "Ng=4096", "optimizer=adagrad", "readout_dropout=0.5"},
		{"rnn_type=UGRNN", "recurrent_dropout=0.5"},
		// Periodic boxes have no walls, so no wall band is too wide; a ratinabox run is not
		// held to the sorscher walk's border_region.
		{"periodic=true", "box_width=0.05", "box_height=0.05"},
		{"motion_model=ratinabox", "periodic=true", "box_width=0.05", "box_height=0.05"},
		{"motion_model=ratinabox", "box_width=0.05", "box_height=0.05", "riab_wall_repel_distance=0.02"},
	}
	for _, sets := range cases {
		c := Default()
		var clean []string
		for _, s := range sets {
			if !strings.Contains(s, ": ") {
				clean = append(clean, s)
			}
		}
		if err := ApplySets(&c, clean); err != nil {
			t.Fatalf("%v: %v", sets, err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%v rejected: %v", sets, err)
		}
	}
}

func TestLossKind(t *testing.T) {
	cases := []struct {
		kind, norm, loss, want string
	}{
		{KindCartesian, "none", "auto", LossMSE},
		{KindHighDimCartesian, "none", "auto", LossMSE},
		{KindPolar, "none", "auto", LossPolarMSE},
		{KindHighDimPolar, "none", "auto", LossMSE},
		{KindGaussian, "global", "auto", LossCrossEntropy},
		{KindGaussian, "none", "auto", LossMSE},
		{KindDoS, "global", "auto", LossCrossEntropy},
		{KindTrueDoG, "global", "auto", LossCrossEntropy},
		{KindTrueDoG, "none", "auto", LossCrossEntropy}, // flag ignored (spec §2.2)
		{KindCartesian, "global", "auto", LossMSE},      // normalization applies to place codes only
		{KindGeneralDoG, "global", "auto", LossCrossEntropy},
		{KindSoD, "global", "auto", LossCrossEntropy},
		{KindDoS, "global", "mse", LossMSE}, // pc_mse_dog_global_other.yaml
	}
	for _, tc := range cases {
		c := Default()
		c.Encoding.Kind, c.Encoding.Normalization, c.Training.Loss = tc.kind, tc.norm, tc.loss
		if got := c.LossKind(); got != tc.want {
			t.Errorf("%s/%s/%s: LossKind = %s, want %s", tc.kind, tc.norm, tc.loss, got, tc.want)
		}
	}
}

func TestConfigErrorFormat(t *testing.T) {
	e := &ConfigError{Source: "run.yaml", Line: 4, Key: "encoding.place_cell_rf", Written: "place_cell_rf", Err: fmt.Errorf("boom: %w", os.ErrInvalid)}
	if got, want := e.Error(), "run.yaml:4: place_cell_rf (encoding.place_cell_rf): boom: invalid argument"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(e, os.ErrInvalid) {
		t.Error("ConfigError does not unwrap")
	}
	if got := (&ConfigError{Key: "model.ng", Err: errors.New("x")}).Error(); got != "model.ng: x" {
		t.Errorf("got %q", got)
	}
}

// TestUnused: settings that NFL's sweeps cross with every cell but that a cell ignores are
// named, and a config that uses every setting it has names none.
func TestUnused(t *testing.T) {
	cfg, err := Preset(PresetNFL2022)
	if err != nil {
		t.Fatal(err)
	}
	if u := cfg.Unused(); len(u) != 0 {
		t.Errorf("nfl2022: %q, want none", u)
	}
	if err := ApplySets(&cfg, []string{"rnn_type=UGRNN", "recurrent_dropout=0.5", "initializer=orthogonal"}); err != nil {
		t.Fatal(err)
	}
	u := cfg.Unused()
	if len(u) != 2 || !strings.Contains(u[0], "dropout") || !strings.Contains(u[1], "model.initializer orthogonal") {
		t.Errorf("UGRNN with dropout and orthogonal init: %q", u)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("the ignored settings must stay valid (NFL's sweeps use them): %v", err)
	}
}
