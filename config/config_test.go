package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPresetsValidate(t *testing.T) {
	for _, name := range PresetNames() {
		c, err := Preset(name)
		if err != nil {
			t.Fatalf("Preset(%q): %v", name, err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s does not validate: %v", name, err)
		}
		if c.Preset != name {
			t.Errorf("preset %s records Preset %q", name, c.Preset)
		}
	}
	if !reflect.DeepEqual(Default(), mustPreset(t, PresetNFL2022)) {
		t.Error("Default() differs from the nfl2022 preset")
	}
	if _, err := Preset("sorscher"); !errors.Is(err, ErrUnknownPreset) || !strings.Contains(err.Error(), "sorscher2019") {
		t.Errorf("unknown preset: got %v, want ErrUnknownPreset listing the presets", err)
	}
}

func mustPreset(t *testing.T, name string) Config {
	t.Helper()
	c, err := Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPresetValues checks each preset against the values the spec gives for it.
func TestPresetValues(t *testing.T) {
	type want struct {
		ng, np, batch, T, steps int
		kind, conv, rnn, act    string
		rf, s, lr, eps, wd      float64
		optimizer, init         string
		readoutDropout          float64
	}
	cases := map[string]want{
		// spec §6.1 common values.
		PresetNFL2022: {ng: 1024, np: 512, batch: 200, T: 20, steps: 200000, kind: KindDoS, conv: "sigma_ratio",
			rnn: "RNN", act: "relu", rf: 0.12, s: 2, lr: 1e-4, eps: 1e-7, wd: 1e-4, optimizer: "adam", init: "keras"},
		// spec §4.2 SOR defaults.
		PresetSorscher2019: {ng: 4096, np: 512, batch: 200, T: 20, steps: 100000, kind: KindDoS, conv: "variance_ratio",
			rnn: "RNN", act: "relu", rf: 0.12, s: 2, lr: 1e-4, eps: 1e-8, wd: 1e-4, optimizer: "adam", init: "pytorch"},
		// spec §6.3 banino.yaml.
		PresetBanino2018: {ng: 128, np: 256, batch: 10, T: 100, steps: 1000000, kind: KindGaussian, conv: "sigma_ratio",
			rnn: "LSTM", act: "tanh", rf: 0.01, s: 2, lr: 1e-5, eps: 1e-7, wd: 1e-5, optimizer: "rmsprop", init: "keras", readoutDropout: 0.5},
		PresetQuick: {ng: quickNg, np: 512, batch: quickBatchSize, T: 20, steps: quickEpochs * quickStepsPerEpoch, kind: KindDoS, conv: "sigma_ratio",
			rnn: "RNN", act: "relu", rf: 0.12, s: 2, lr: quickLearningRate, eps: 1e-7, wd: 1e-4, optimizer: "adam", init: "keras"},
	}
	for name, w := range cases {
		c := mustPreset(t, name)
		got := want{c.Model.Ng, c.Encoding.Np, c.Trajectory.BatchSize, c.Trajectory.SequenceLength, c.TotalSteps(),
			c.Encoding.Kind, c.Encoding.SurroundConvention, c.Model.RNNType, c.Model.Activation,
			c.Encoding.PlaceCellRF.A, c.Encoding.SurroundScale.A, c.Training.LearningRate, c.Training.Epsilon, c.Training.WeightDecay,
			c.Training.Optimizer, c.Model.InitConvention, c.Model.ReadoutDropout}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, w)
		}
		if c.LossKind() != LossCrossEntropy {
			t.Errorf("%s: loss %s, want crossentropy", name, c.LossKind())
		}
	}
	// Spec §1.1 trajectory constants and §4.3/§5.6 evaluation defaults.
	c := Default()
	tr := c.Trajectory
	const tol = 1e-12
	if tr.BoxWidth != 2.2 || tr.BoxHeight != 2.2 || tr.Dt != 0.02 || tr.RotVelStd != 11.52 ||
		math.Abs(tr.SpeedScale-0.81681408993) > 1e-10 || tr.BorderRegion != 0.03 || tr.BorderSlowdown != 0.25 || tr.Periodic {
		t.Errorf("trajectory defaults differ from spec §1.1: %+v", tr)
	}
	if math.Abs(tr.RIABRotVelStd-2.0943951) > 1e-7 || tr.RIABSpeedMean != 0.08 || tr.RIABSpeedCoherence != 0.7 ||
		tr.RIABRotVelCoherence != 0.08 || tr.RIABWallRepelDistance != 0.1 || tr.RIABThigmotaxis != 0.5 {
		t.Errorf("RatInABox defaults differ from ecosystem.md §2.2: %+v", tr)
	}
	ev := c.Eval
	if ev.SequenceLength != 50 || !reflect.DeepEqual(ev.NBins, []int{44, 20, 32}) || ev.NUnits != 1024 ||
		ev.ScoreMethod != "nfl" || math.Abs(ev.GridThreshold-0.8) > tol || ev.DecodeThreshold != 10 {
		t.Errorf("eval defaults differ from spec §4.3/§5.6: %+v", ev)
	}
	// Presets are fresh values: changing one must not change the next.
	a := Default()
	a.Eval.NBins[0] = 99
	if Default().Eval.NBins[0] != 44 {
		t.Error("presets share the NBins slice")
	}
}

// roundTripConfigs returns every preset plus configs that use every Dist kind and odd values.
func roundTripConfigs(t *testing.T) map[string]Config {
	m := map[string]Config{}
	for _, n := range PresetNames() {
		m[n] = mustPreset(t, n)
	}
	c := Default()
	c.Name = "yes" // a string YAML would read as a bool unless quoted
	c.Seed = 1<<64 - 1
	c.Encoding.PlaceCellRF = Uniform(0.06, 0.24)
	c.Encoding.SurroundScale = Uniform(1.25, 4.5)
	c.Encoding.FieldsPerCell = Poisson(3)
	c.Encoding.Anisotropy = Uniform(1, 2.5)
	c.Training.LearningRate = 0.1 + 0.2 // not exactly 0.3: needs all 17 digits
	c.Trajectory.Periodic = true
	c.Eval.NBins = []int{7}
	m["varied"] = c
	return m
}

func TestRoundTrip(t *testing.T) {
	for name, c := range roundTripConfigs(t) {
		j, err := c.JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(j, name+".json", "")
		if err != nil {
			t.Fatalf("%s: reloading JSON: %v\n%s", name, err, j)
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: JSON round trip differs:\n got %+v\nwant %+v", name, back, c)
		}
		y, err := c.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err = Parse(y, name+".yaml", "")
		if err != nil {
			t.Fatalf("%s: reloading YAML: %v\n%s", name, err, y)
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: YAML round trip differs:\n got %+v\nwant %+v", name, back, c)
		}
		// Loading a resolved config over a different default preset still gives c.
		back, err = Parse(j, name+".json", PresetQuick)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Errorf("%s: JSON over quick differs (err %v)", name, err)
		}
	}
}

// TestJSONKeyOrder checks that the JSON follows struct order (stable diffs of config.json).
func TestJSONKeyOrder(t *testing.T) {
	j, err := Default().JSON()
	if err != nil {
		t.Fatal(err)
	}
	s := string(j)
	last := -1
	for _, k := range Keys() {
		name := k.Key[strings.LastIndex(k.Key, ".")+1:]
		if k.Key == "name" || (k.Type == "enum" && k.Default == "") {
			continue // omitted when empty
		}
		i := strings.Index(s[last+1:], `"`+name+`"`)
		if i < 0 {
			t.Fatalf("key %s not found after offset %d in\n%s", k.Key, last, s)
		}
		last += 1 + i
	}
}

func TestLoadNFLFiles(t *testing.T) {
	cases := []struct {
		file  string
		check func(c Config) bool
	}{
		{"pc_ce_dog_ideal.yaml", func(c Config) bool {
			want := Default()
			want.Model.RNNType = "UGRNN"
			want.Seed = 1
			want.Training.Loss = LossCrossEntropy
			return reflect.DeepEqual(c, want)
		}},
		{"pc_ce_dog_multiple_fields_and_scales.yaml", func(c Config) bool {
			return c.Encoding.FieldsPerCell == Poisson(3) && c.Encoding.PlaceCellRF == Uniform(0.06, 1.0) &&
				c.Encoding.SurroundScale == Uniform(1.25, 4.5) && c.Seed == 2 && c.Model.RNNType == "RNN" &&
				c.Encoding.Kind == KindDoS && c.Model.Ng == 1024
		}},
		{"banino.yaml", func(c Config) bool {
			want := mustPreset(t, PresetBanino2018)
			want.Preset = PresetNFL2022
			want.Seed = 3
			want.Encoding.SurroundScale = Const(0) // unused by the Gaussian code, as in banino.yaml
			want.Training.Loss = LossCrossEntropy
			want.Eval.ScoreMethod = "nfl" // banino.yaml is scored by NFL's code
			return reflect.DeepEqual(c, want)
		}},
		{"wandb_run_config.yaml", func(c Config) bool {
			return c.Encoding.Kind == KindGeneralDoG && c.Encoding.AlphaE == 0.63 && c.Encoding.AlphaI == 2.51 &&
				c.Encoding.PlaceCellRF == Const(0.2) && c.Model.Activation == "tanh" && c.Seed == 2
		}},
		{"cartesian_mse.json", func(c Config) bool {
			return c.Encoding.Kind == KindCartesian && c.Encoding.Np == 2 && c.LossKind() == LossMSE &&
				c.Model.RNNType == "GRU" && c.Model.Initializer == "orthogonal" && c.Training.Optimizer == "rmsprop" &&
				c.Model.ReadoutDropout == 0.5 && c.Training.WeightDecay == 0
		}},
		{"nested_quick.yaml", func(c Config) bool {
			return c.Preset == PresetQuick && c.Name == "nested example" && c.Seed == 7 && c.Model.RNNType == "LSTM" &&
				c.Model.Ng == 128 && c.Encoding.PlaceCellRF == Uniform(0.08, 0.16) &&
				c.Encoding.SurroundConvention == "variance_ratio" && c.Training.NEpochs == 2 &&
				c.Training.LearningRate == quickLearningRate && reflect.DeepEqual(c.Eval.NBins, []int{20, 32}) &&
				c.Eval.ScoreMethod == "deepmind"
		}},
	}
	for _, tc := range cases {
		c, err := Load(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s does not validate: %v", tc.file, err)
		}
		if !tc.check(c) {
			j, _ := c.JSON()
			t.Errorf("%s loaded wrong values:\n%s", tc.file, j)
		}
	}
}

// configErr extracts the first *ConfigError of err.
func configErr(t *testing.T, err error) *ConfigError {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
	}
	return ce
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "bad_dist.yaml"))
	ce := configErr(t, err)
	if ce.Key != "encoding.place_cell_rf" || ce.Line != 2 || !errors.Is(err, ErrBadDist) ||
		!strings.Contains(err.Error(), "bad_dist.yaml:2: place_cell_rf (encoding.place_cell_rf)") {
		t.Errorf("malformed Uniform: got %q (key %q, line %d)", err, ce.Key, ce.Line)
	}

	_, err = Load(filepath.Join("testdata", "unknown_key.yaml"))
	ce = configErr(t, err)
	if !errors.Is(err, ErrUnknownKey) || ce.Line != 2 || !strings.Contains(err.Error(), `"place_cel_rf"`) ||
		!strings.Contains(err.Error(), `did you mean "encoding.place_cell_rf"`) {
		t.Errorf("unknown key: got %q", err)
	}

	bad := []struct {
		name, yaml, key string
		sentinel        error
	}{
		{"sweep with several values", "parameters:\n  seed:\n    values: [0, 1]\n", "seed", ErrBadValue},
		{"bad enum", "rnn_type: transformer\n", "model.rnn_type", ErrBadValue},
		{"bad int", "Ng: 10.5\n", "model.ng", ErrBadValue},
		{"null", "Np:\n", "encoding.np", ErrBadValue},
		{"list for scalar", "Np: [1, 2]\n", "encoding.np", ErrBadValue},
		{"key in wrong section", "model:\n  np: 3\n", "model.np", ErrUnknownKey},
		{"unknown preset", "preset: nope\n", "preset", ErrUnknownPreset},
		{"section as scalar", "model: 3\n", "model", ErrUnknownKey},
		{"not a mapping", "- 1\n- 2\n", "", ErrBadValue},
		{"one key twice, two values", "Ng: 64\nng: 128\n", "model.ng", ErrBadValue},
		{"alias and section", "n_grid_cells: 64\nmodel: {ng: 128}\n", "model.ng", ErrBadValue},
		// A second document was dropped without a word.
		{"two documents", "seed: 3\n---\nmodel:\n  ng: 17\n", "", ErrBadValue},
		{"two documents after an empty one", "seed: 3\n---\n---\nseed: 4\n", "", ErrBadValue},
	}
	for _, b := range bad {
		_, err := Parse([]byte(b.yaml), "x.yaml", "")
		if err == nil {
			t.Errorf("%s: no error", b.name)
			continue
		}
		ce := configErr(t, err)
		if ce.Key != b.key || !errors.Is(err, b.sentinel) || !strings.HasPrefix(err.Error(), "x.yaml") {
			t.Errorf("%s: got %q (key %q), want key %q wrapping %v", b.name, err, ce.Key, b.key, b.sentinel)
		}
	}
	if _, err := Parse([]byte("a: [1,\n"), "broken.yaml", ""); err == nil || !strings.Contains(err.Error(), "broken.yaml") {
		t.Errorf("syntax error: got %v", err)
	}
	if _, err := Load(filepath.Join("testdata", "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
	// A trailing "---" holds no second run.
	if c, err := Parse([]byte("seed: 3\n---\n"), "trailing.yaml", ""); err != nil || c.Seed != 3 {
		t.Errorf("trailing document separator: %v", err)
	}
	// The same value twice is no conflict.
	if c, err := Parse([]byte("Ng: 64\nmodel: {ng: 64}\n"), "same.yaml", ""); err != nil || c.Model.Ng != 64 {
		t.Errorf("one value given twice: %v", err)
	}
	// Nor is one value written two ways (the texts were compared, and 64 ≠ 6.4e1).
	for _, text := range []string{"Ng: 64\nn_grid_cells: 6.4e1\n", "learning_rate: 1e-4\ntraining: {learning_rate: 0.0001}\n",
		"place_cell_rf: 0.12\nencoding: {place_cell_rf: 0.120}\n"} {
		if _, err := Parse([]byte(text), "same.yaml", ""); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
	// Integers are compared as integers: two seeds that differ only past 2^53 conflict.
	if _, err := Parse([]byte("seed: 9007199254740993\nseed: 9007199254740992\n"), "seeds.yaml", ""); !errors.Is(err, ErrBadValue) {
		t.Errorf("two seeds past 2^53: %v; want a conflict", err)
	}
	// The object form of a distribution takes whole numbers only: "0.06x" is not 0.06.
	if _, err := Parse([]byte("place_cell_rf: {kind: uniform, a: 0.06x, b: 0.24}\n"), "dist.yaml", ""); !errors.Is(err, ErrBadValue) {
		t.Errorf("a = 0.06x: %v; want a bad value", err)
	}
	// All problems of a file are reported at once.
	_, err = Parse([]byte("Ng: x\nNp: y\n"), "two.yaml", "")
	if err == nil || !strings.Contains(err.Error(), "model.ng") || !strings.Contains(err.Error(), "encoding.np") {
		t.Errorf("two errors: got %v", err)
	}
}

func TestPresetInWandbForm(t *testing.T) {
	for _, data := range []string{"preset: {value: quick}\n", "parameters:\n  preset:\n    values: [quick]\n"} {
		c, err := Parse([]byte(data), "w.yaml", "")
		if err != nil || !reflect.DeepEqual(c, mustPreset(t, PresetQuick)) {
			t.Errorf("%q: got %+v, %v; want the quick preset", data, c, err)
		}
	}
}

// TestRunConfigFile: a run directory's config.json (train.RunInfo: the config under "config",
// beside what produced the run) loads as its config; "config" beside any other key is not
// mistaken for one.
func TestRunConfigFile(t *testing.T) {
	want := mustPreset(t, PresetQuick)
	want.Model.Ng = 48
	cj, err := want.JSON()
	if err != nil {
		t.Fatal(err)
	}
	run := `{"gridcells_version": "0.1.0", "go_version": "go1.26", "backend": "cpu", "code_fingerprint": "ab", "config": ` + string(cj) + "}"
	got, err := Parse([]byte(run), "run/config.json", "")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("run config.json: got %+v, %v; want %+v", got, err, want)
	}
	// Only "config" is needed beside nothing else.
	if got, err := Parse([]byte(`{"config": `+string(cj)+"}"), "c.json", ""); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("bare config object: got %+v, %v", got, err)
	}
	var ce *ConfigError
	if _, err := Parse([]byte(`{"Ng": 64, "config": {"Ng": 32}}`), "mixed.json", ""); !errors.As(err, &ce) || !errors.Is(err, ErrUnknownKey) || ce.Written != "config" {
		t.Errorf("config beside a config key: err = %v, want the unknown key config", err)
	}
}

func TestEmptyFileIsPreset(t *testing.T) {
	for _, data := range []string{"", "# nothing\n", "{}"} {
		c, err := Parse([]byte(data), "empty.yaml", PresetSorscher2019)
		if err != nil || !reflect.DeepEqual(c, mustPreset(t, PresetSorscher2019)) {
			t.Errorf("%q: got err %v", data, err)
		}
	}
}

// TestPrecedence: --set over file over preset.
func TestPrecedence(t *testing.T) {
	file := []byte("preset: quick\nNg: 512\nlearning_rate: 0.002\n")
	c, err := Parse(file, "p.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplySets(&c, []string{"Ng=64", "model.ng=96", "seed=5"}); err != nil {
		t.Fatal(err)
	}
	q := mustPreset(t, PresetQuick)
	if c.Model.Ng != 96 || c.Training.LearningRate != 0.002 || c.Seed != 5 ||
		c.Training.NEpochs != q.Training.NEpochs || c.Encoding.Np != q.Encoding.Np {
		t.Errorf("precedence wrong: Ng %d (want 96, last --set), lr %v (want file's 0.002), epochs %d (want preset's %d)",
			c.Model.Ng, c.Training.LearningRate, c.Training.NEpochs, q.Training.NEpochs)
	}
}

// TestOptionalEnum: trajectory.rng is omitted from the JSON while unset, so that configs from
// before the key keep their bytes (and sweep ids); set, it is validated like any enum.
func TestOptionalEnum(t *testing.T) {
	c := Default()
	j, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), `"rng"`) {
		t.Errorf("unset trajectory.rng appears in the JSON")
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("default config with rng unset: %v", err)
	}
	if err := Set(&c, "trajectory.rng", "Philox"); err != nil || c.Trajectory.RNG != "philox" {
		t.Fatalf("Set rng=Philox: %v, stored %q", err, c.Trajectory.RNG)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("rng philox: %v", err)
	}
	if j, _ := c.JSON(); !strings.Contains(string(j), `"rng": "philox"`) {
		t.Errorf("set trajectory.rng missing from the JSON")
	}
	if err := Set(&c, "rng", "mt19937"); err == nil || !strings.Contains(err.Error(), "pcg, philox") {
		t.Errorf("Set rng=mt19937: %v, want an error naming pcg, philox", err)
	}
	c.Trajectory.RNG = "xorshift"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "trajectory.rng") {
		t.Errorf("Validate with rng xorshift: %v", err)
	}
	if err := Set(&c, "trajectory.rng", ""); err != nil || c.Trajectory.RNG != "" {
		t.Errorf("Set rng back to unset: %v, stored %q", err, c.Trajectory.RNG)
	}
	// The default value set explicitly is stored as unset: one config, one id.
	if err := Set(&c, "trajectory.rng", "PCG"); err != nil || c.Trajectory.RNG != "" {
		t.Errorf("Set rng=PCG: %v, stored %q; want it stored as unset", err, c.Trajectory.RNG)
	}
}

// BadValue is the error that the FromConfig functions of other packages return: it names
// the key, reads "key: invalid value V; want", and wraps ErrBadValue.
func TestBadValue(t *testing.T) {
	err := BadValue("encoding.np", 3, "want 2")
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Key != "encoding.np" || !errors.Is(err, ErrBadValue) {
		t.Fatalf("BadValue = %#v; want a ConfigError for encoding.np wrapping ErrBadValue", err)
	}
	if got, want := err.Error(), "encoding.np: invalid value 3; want 2"; got != want {
		t.Errorf("BadValue message %q; want %q", got, want)
	}
}
