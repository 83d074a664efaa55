package sweep

import (
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
)

func expandFile(t *testing.T, path string, s *ExpandSettings) ([]Run, []string) {
	t.Helper()
	sw, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	runs, notes, err := sw.Expand(s)
	if err != nil {
		t.Fatal(err)
	}
	return runs, notes
}

func expandText(t *testing.T, text string, s *ExpandSettings) ([]Run, []string, error) {
	t.Helper()
	sw, err := Parse([]byte(text), "test.yaml")
	if err != nil {
		return nil, nil, err
	}
	return sw.Expand(s)
}

// The NFL factorial files expand to the combination counts of spec §6.1.
func TestGridCountsNFL(t *testing.T) {
	for _, tc := range []struct {
		file string
		want int // product of the value counts (spec §6.1 "# combos")
	}{
		{"pc_ce_dog_ideal.yaml", 2 * 3},
		{"pc_ce_g.yaml", 4 * 8 * 2 * 2 * 4 * 2},
		{"pc_ce_dog_multiple_fields_and_scales.yaml", 2 * 3 * 3 * 2 * 3},
		{"tiny.yaml", 3},
	} {
		runs, _ := expandFile(t, "testdata/"+tc.file, nil)
		if len(runs) != tc.want {
			t.Errorf("%s: %d runs, want %d", tc.file, len(runs), tc.want)
		}
		ids := map[string]bool{}
		for i, r := range runs {
			if r.Index != i {
				t.Fatalf("%s: run %d has index %d", tc.file, i, r.Index)
			}
			if ids[r.ID] {
				t.Fatalf("%s: duplicate id %s", tc.file, r.ID)
			}
			ids[r.ID] = true
			if err := r.Config.Validate(); err != nil {
				t.Fatalf("%s: run %d invalid: %v", tc.file, i, err)
			}
		}
	}
}

// NFL option names and value strings resolve through the config's aliases; constants
// apply to every run and only swept keys are recorded as params.
func TestNFLAliasesAndValueStrings(t *testing.T) {
	runs, _ := expandFile(t, "testdata/pc_ce_dog_multiple_fields_and_scales.yaml", nil)
	r := runs[len(runs)-1]
	wantKeys := []string{"encoding.fields_per_cell", "encoding.place_cell_rf", "model.rnn_type", "seed", "encoding.surround_scale"}
	var keys []string
	for _, p := range r.Params {
		keys = append(keys, p.Key)
	}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("params %v, want %v", keys, wantKeys)
	}
	c := r.Config
	if c.Model.Ng != 1024 || c.Encoding.Np != 512 || c.Encoding.Kind != "difference_of_gaussians" {
		t.Errorf("constants: Ng %d Np %d kind %s", c.Model.Ng, c.Encoding.Np, c.Encoding.Kind)
	}
	// The last run takes the last value of every list.
	if c.Encoding.FieldsPerCell != config.Poisson(3) || c.Encoding.PlaceCellRF != config.Uniform(0.06, 1.0) ||
		c.Encoding.SurroundScale != config.Uniform(1.25, 4.5) || c.Model.RNNType != "UGRNN" || c.Seed != 2 {
		t.Errorf("last run: fields %v rf %v s %v rnn %s seed %d", c.Encoding.FieldsPerCell, c.Encoding.PlaceCellRF, c.Encoding.SurroundScale, c.Model.RNNType, c.Seed)
	}
}

// Grid order is the product in file order, last parameter fastest; ids are stable.
func TestGridOrderAndIDs(t *testing.T) {
	a, _ := expandFile(t, "testdata/pc_ce_dog_ideal.yaml", nil)
	b, _ := expandFile(t, "testdata/pc_ce_dog_ideal.yaml", nil)
	want := []string{"RNN 0", "RNN 1", "RNN 2", "UGRNN 0", "UGRNN 1", "UGRNN 2"}
	for i, r := range a {
		if got := r.Config.Model.RNNType + " " + strconv.FormatUint(r.Config.Seed, 10); got != want[i] {
			t.Errorf("row %d: %s, want %s", i, got, want[i])
		}
		if r.ID != b[i].ID {
			t.Errorf("row %d: id %s then %s", i, r.ID, b[i].ID)
		}
		if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(r.ID) {
			t.Errorf("id %q is not 12 hex digits", r.ID)
		}
		id, err := ConfigID(r.Config)
		if err != nil || id != r.ID {
			t.Errorf("row %d: ConfigID %s (%v), manifest id %s", i, id, err, r.ID)
		}
	}
	// The id is a function of the resolved config: any change of value changes it.
	c := a[0].Config.Clone()
	c.Training.LearningRate *= 2
	if id, _ := ConfigID(c); id == a[0].ID {
		t.Error("changing the learning rate kept the id")
	}
}

// Nested W&B parameters and section mappings flatten to canonical keys; the grid size is
// the product of the value counts.
func TestNestedParameters(t *testing.T) {
	runs, _, err := expandText(t, `
method: grid
parameters:
  preset: {value: quick}
  model:
    parameters:
      rnn_type: {values: [RNN, LSTM]}
      activation: {values: [relu, tanh, sigmoid]}
  encoding:
    place_cell_rf: {values: [0.1, 0.12]}
  seed: {values: [0, 1]}
  eval.nbins: {values: [[20], [44, 20]]}
  Ng: 64
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2*3*2*2*2 {
		t.Fatalf("%d runs, want %d", len(runs), 2*3*2*2*2)
	}
	last := runs[len(runs)-1]
	if last.Config.Model.RNNType != "LSTM" || last.Config.Model.Activation != "sigmoid" || last.Config.Encoding.PlaceCellRF.A != 0.12 ||
		!slices.Equal(last.Config.Eval.NBins, []int{44, 20}) || last.Config.Model.Ng != 64 || last.Config.Preset != config.PresetQuick {
		t.Errorf("last run: %+v %+v", last.Config.Model, last.Config.Eval.NBins)
	}
	if v, _ := last.Params.Get("eval.nbins"); v != "44,20" {
		t.Errorf("nbins param %q", v)
	}
}

func TestRunCap(t *testing.T) {
	grid := `
method: grid
run_cap: 4
parameters:
  rnn_type: {values: [RNN, LSTM, GRU]}
  seed: {values: [0, 1, 2]}
`
	runs, _, err := expandText(t, grid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 4 || runs[3].Config.Model.RNNType != "LSTM" || runs[3].Config.Seed != 0 {
		t.Fatalf("run_cap 4: %d runs, last %s/%d", len(runs), runs[len(runs)-1].Config.Model.RNNType, runs[len(runs)-1].Config.Seed)
	}
	// A random sweep's count defaults to run_cap and is capped by it.
	rnd := strings.Replace(grid, "grid", "random", 1)
	runs, _, err = expandText(t, rnd, nil)
	if err != nil || len(runs) != 4 {
		t.Fatalf("random with run_cap 4: %d runs, %v", len(runs), err)
	}
	runs, notes, err := expandText(t, rnd, &ExpandSettings{Count: 7})
	if err != nil || len(runs) != 4 || len(notes) == 0 {
		t.Fatalf("count 7 with run_cap 4: %d runs, notes %v, %v", len(runs), notes, err)
	}
	// Without run_cap or count a random sweep is refused; a grid sweep refuses a count.
	_, _, err = expandText(t, strings.Replace(rnd, "run_cap: 4\n", "", 1), nil)
	if err == nil || !strings.Contains(err.Error(), "--count") {
		t.Errorf("random without count: %v", err)
	}
	if _, _, err = expandText(t, grid, &ExpandSettings{Count: 2}); err == nil {
		t.Error("grid with a count: no error")
	}
	// A grid draws nothing, so a draw seed is refused rather than recorded and ignored.
	if _, _, err = expandText(t, grid, &ExpandSettings{Seed: 5}); !errors.Is(err, ErrSweep) || !strings.Contains(err.Error(), "seed") {
		t.Errorf("grid with a seed: %v", err)
	}
}

// TestHugeGrid: run_cap over a grid of 4e9 × 4e9 values lists only the runs it keeps, in
// grid order; without a cap, a grid past MaxGridRuns is an error that gives its size.
func TestHugeGrid(t *testing.T) {
	grid := `
method: grid
run_cap: 3
parameters:
  seed: {distribution: int_uniform, min: 0, max: 4000000000}
  Ng: {distribution: q_uniform, min: 8, max: 4000000000, q: 8}
`
	runs, _, err := expandText(t, grid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	for i, r := range runs {
		if r.Config.Seed != 0 || r.Config.Model.Ng != 8*(i+1) {
			t.Errorf("run %d: seed %d, Ng %d; want 0, %d", i, r.Config.Seed, r.Config.Model.Ng, 8*(i+1))
		}
	}
	_, _, err = expandText(t, strings.Replace(grid, "run_cap: 3\n", "", 1), nil)
	if !errors.Is(err, ErrSweep) || !strings.Contains(err.Error(), "4000000001 × 499999999") || !strings.Contains(err.Error(), "run_cap") {
		t.Errorf("uncapped huge grid: %v", err)
	}
	three := strings.Replace(grid, "run_cap: 3\n", "", 1) + "  nbins: {distribution: int_uniform, min: 1, max: 4000000000}\n"
	if _, _, err = expandText(t, three, nil); !errors.Is(err, ErrSweep) || !strings.Contains(err.Error(), "more than 9.2e18") {
		t.Errorf("grid past int64: %v", err)
	}
	// 1000 × 1001 = 1,001,000 > MaxGridRuns.
	over := "method: grid\nparameters:\n  seed: {distribution: int_uniform, min: 1, max: 1000}\n  Ng: {distribution: int_uniform, min: 8, max: 1008}\n"
	if _, _, err = expandText(t, over, nil); !errors.Is(err, ErrSweep) || !strings.Contains(err.Error(), "1001000 runs") {
		t.Errorf("grid of 1001000: %v", err)
	}
}

// A random sweep is a function of (file, count, seed); a larger count extends a smaller
// one; draws stay within the distributions' supports.
func TestRandomDeterminismAndBounds(t *testing.T) {
	a, _ := expandFile(t, "testdata/wandb_features.yaml", &ExpandSettings{Seed: 3})
	b, _ := expandFile(t, "testdata/wandb_features.yaml", &ExpandSettings{Seed: 3})
	short, _ := expandFile(t, "testdata/wandb_features.yaml", &ExpandSettings{Seed: 3, Count: 10})
	other, _ := expandFile(t, "testdata/wandb_features.yaml", &ExpandSettings{Seed: 4})
	if len(a) != 40 { // run_cap
		t.Fatalf("%d runs, want run_cap 40", len(a))
	}
	same := 0
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("row %d differs between two expansions with seed 3", i)
		}
		if i < len(short) && short[i].ID != a[i].ID {
			t.Fatalf("row %d of count 10 differs from count 40", i)
		}
		if a[i].ID == other[i].ID {
			same++
		}
		c := a[i].Config
		if ng := c.Model.Ng; ng%64 != 0 || ng < 64 || ng > 256 {
			t.Errorf("ng %d not a multiple of 64 in [64, 256]", ng)
		}
		if rf := c.Encoding.PlaceCellRF.A; rf < 0.08 || rf > 0.20 {
			t.Errorf("rf %v outside [0.08, 0.20]", rf)
		}
		if s := c.Encoding.SurroundScale.A; s < 1.5 || s > 4 {
			t.Errorf("surround %v outside [1.5, 4]", s)
		}
		if lr := c.Training.LearningRate; lr < 1e-5 || lr > 1e-3 {
			t.Errorf("lr %v outside [1e-5, 1e-3]", lr)
		}
		if c.Seed > 9 || c.Training.WeightDecay != 1e-4 || c.Preset != config.PresetQuick {
			t.Errorf("seed %d wd %v preset %s", c.Seed, c.Training.WeightDecay, c.Preset)
		}
	}
	if same == len(a) {
		t.Error("seeds 3 and 4 gave the same sweep")
	}
	// The NFL random file: every draw is one of the listed values.
	runs, _ := expandFile(t, "testdata/pc_ce_g_random.yaml", &ExpandSettings{Count: 50, Seed: 1})
	for _, r := range runs {
		if !slices.Contains([]int{30, 60, 90, 120, 150, 180}, r.Config.Trajectory.BatchSize) ||
			!slices.Contains([]int{128, 256, 512}, r.Config.Encoding.Np) {
			t.Fatalf("batch %d Np %d not from the lists", r.Config.Trajectory.BatchSize, r.Config.Encoding.Np)
		}
	}
}

// A random sweep over a space smaller than the count stops with every distinct run.
func TestRandomSmallSpace(t *testing.T) {
	runs, notes, err := expandText(t, "method: random\nparameters:\n  seed: {values: [0, 1, 2]}\n", &ExpandSettings{Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || len(notes) != 1 {
		t.Fatalf("%d runs, notes %v; want 3 and a note", len(runs), notes)
	}
}

// Sample moments of each distribution against their closed forms, from n draws, within
// momentSigmas standard errors.
func TestDistributions(t *testing.T) {
	const n = 20000
	const momentSigmas = 5
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(p Param) []float64 {
		if p.Q == 0 {
			p.Q = 1
		}
		xs := make([]float64, n)
		for i := range xs {
			v, err := strconv.ParseFloat(p.sample(rng), 64)
			if err != nil {
				t.Fatal(err)
			}
			xs[i] = v
		}
		return xs
	}
	meanOf := func(xs []float64, f func(float64) float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += f(x)
		}
		return s / float64(len(xs))
	}
	id := func(x float64) float64 { return x }
	check := func(name string, got, want, sd float64) {
		t.Helper()
		if se := sd / math.Sqrt(n); math.Abs(got-want) > momentSigmas*se {
			t.Errorf("%s: mean %v, want %v ± %v", name, got, want, momentSigmas*se)
		}
	}
	inRange := func(name string, xs []float64, lo, hi float64) {
		t.Helper()
		for _, x := range xs {
			if x < lo || x > hi {
				t.Fatalf("%s: %v outside [%v, %v]", name, x, lo, hi)
			}
		}
	}
	// uniform on [a, b]: mean (a+b)/2, sd (b−a)/√12.
	xs := draw(Param{Dist: DistUniform, Min: 2, Max: 5})
	inRange("uniform", xs, 2, 5)
	check("uniform", meanOf(xs, id), 3.5, 3/math.Sqrt(12))
	// int_uniform on {1..6}: every value, mean 3.5.
	xs = draw(Param{Dist: DistIntUniform, Min: 1, Max: 6})
	inRange("int_uniform", xs, 1, 6)
	for _, x := range xs {
		if x != math.Trunc(x) {
			t.Fatalf("int_uniform gave %v", x)
		}
	}
	check("int_uniform", meanOf(xs, id), 3.5, math.Sqrt(35.0/12))
	// log_uniform_values on [1e-4, 1e-2]: ln X uniform on [ln 1e-4, ln 1e-2].
	xs = draw(Param{Dist: DistLogUniformValues, Min: 1e-4, Max: 1e-2})
	inRange("log_uniform_values", xs, 1e-4, 1e-2)
	check("log_uniform_values", meanOf(xs, math.Log), (math.Log(1e-4)+math.Log(1e-2))/2, (math.Log(1e-2)-math.Log(1e-4))/math.Sqrt(12))
	// log_uniform: bounds in log space.
	xs = draw(Param{Dist: DistLogUniform, Min: -2, Max: 1})
	inRange("log_uniform", xs, math.Exp(-2), math.E)
	check("log_uniform", meanOf(xs, math.Log), -0.5, 3/math.Sqrt(12))
	// inv_log_uniform_values on [0.1, 10]: X in the bounds, ln X uniform.
	xs = draw(Param{Dist: DistInvLogUniformValue, Min: 0.1, Max: 10})
	inRange("inv_log_uniform_values", xs, 0.1, 10)
	check("inv_log_uniform_values", meanOf(xs, math.Log), 0, 2*math.Log(10)/math.Sqrt(12))
	// q_uniform: multiples of q in the rounded range.
	xs = draw(Param{Dist: DistQUniform, Min: 0, Max: 1, Q: 0.25})
	for _, x := range xs {
		if r := x / 0.25; r != math.Round(r) || x < 0 || x > 1 {
			t.Fatalf("q_uniform gave %v", x)
		}
	}
	// normal: mean mu, sd sigma; log_normal: ln X normal.
	xs = draw(Param{Dist: DistNormal, Mu: 1, Sigma: 2})
	check("normal", meanOf(xs, id), 1, 2)
	check("normal variance", meanOf(xs, func(x float64) float64 { return (x - 1) * (x - 1) }), 4, 4*math.Sqrt2)
	xs = draw(Param{Dist: DistLogNormal, Mu: -1, Sigma: 0.5})
	check("log_normal", meanOf(xs, math.Log), -1, 0.5)
	// beta(a, b): mean a/(a+b), variance ab/((a+b)²(a+b+1)).
	xs = draw(Param{Dist: DistBeta, A: 2, B: 5})
	inRange("beta", xs, 0, 1)
	check("beta", meanOf(xs, id), 2.0/7, math.Sqrt(10.0/(49*8)))
	// categorical with probabilities: frequency of each value.
	p := Param{Dist: DistCategorical, Values: []string{"0", "1", "2"}, Probabilities: []float64{0.75, 0.25, 0}}
	xs = draw(p)
	check("categorical P(0)", meanOf(xs, func(x float64) float64 { return b2f(x == 0) }), 0.75, math.Sqrt(0.75*0.25))
	if meanOf(xs, func(x float64) float64 { return b2f(x == 2) }) != 0 {
		t.Error("categorical drew a value of probability 0")
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Bad files name the file, the line and the key.
func TestErrorsNameLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // substrings of the error
	}{
		{"bad enum value", "method: grid\nparameters:\n  rnn_type:\n    values:\n      - RNN\n      - Transformer\n",
			[]string{"test.yaml:6:", "model.rnn_type", "Transformer", "allowed"}},
		{"unknown key", "method: grid\nparameters:\n  seed: {values: [0, 1]}\n  rnn_typ: {values: [RNN]}\n",
			[]string{"test.yaml:4:", "rnn_typ", "did you mean"}},
		{"bad NFL dist string", "method: grid\nparameters:\n  place_cell_rf:\n    values: [0.12, 'Uniform( 0.06 ']\n",
			[]string{"test.yaml:4:", "encoding.place_cell_rf", "malformed distribution"}},
		{"continuous in grid", "method: grid\nparameters:\n  learning_rate:\n    distribution: log_uniform_values\n    min: 0.0001\n    max: 0.01\n",
			[]string{"test.yaml:3:", "training.learning_rate", "method: random"}},
		{"unknown distribution", "method: random\nparameters:\n  learning_rate:\n    distribution: cauchy\n",
			[]string{"test.yaml:4:", "training.learning_rate", "cauchy", "allowed"}},
		{"bayes", "method: bayes\nparameters:\n  seed: {values: [0]}\n", []string{"test.yaml:1:", "method", "grid, random"}},
		{"duplicate via alias", "method: grid\nparameters:\n  Ng: {value: 64}\n  model.ng: {value: 128}\n", []string{"test.yaml:4:", "model.ng", "line 3"}},
		{"unexpected field", "method: grid\nparameters:\n  seed: {values: [0], mean: 3}\n", []string{"test.yaml:3:", "seed", "mean"}},
		{"min > max", "method: random\nparameters:\n  learning_rate: {min: 0.1, max: 0.01}\n", []string{"test.yaml:3:", "min 0.1 > max 0.01"}},
	} {
		s := &ExpandSettings{}
		if strings.Contains(tc.text, "random") {
			s.Count = 1
		}
		_, _, err := expandText(t, tc.text, s)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var ce *config.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %T is not a *config.ConfigError", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
	// An invalid combination names its swept values; --set may not touch a swept key.
	_, _, err := expandText(t, "method: grid\nparameters:\n  Np: {values: [512, 2]}\n", nil)
	if err == nil || !strings.Contains(err.Error(), "encoding.np=2") {
		t.Errorf("invalid combination: %v", err)
	}
	// --skip-invalid keeps the valid ones and says how many were dropped.
	runs, notes, err := expandText(t, "method: grid\nparameters:\n  Np: {values: [512, 2, 256]}\n", &ExpandSettings{SkipInvalid: true})
	if err != nil || len(runs) != 2 || len(notes) != 1 || !strings.Contains(notes[0], "1 invalid") {
		t.Errorf("skip-invalid: %d runs, notes %v, %v", len(runs), notes, err)
	}
	_, _, err = expandText(t, "method: grid\nparameters:\n  seed: {values: [0, 1]}\n", &ExpandSettings{Sets: []string{"seed=3"}})
	if err == nil || !strings.Contains(err.Error(), "swept") {
		t.Errorf("--set of a swept key: %v", err)
	}
}

// --set applies to every run and wins over the file's constants; the preset flag is the
// base only when the file names none.
func TestSetsAndPreset(t *testing.T) {
	runs, _, err := expandText(t, "method: grid\nparameters:\n  Ng: {value: 64}\n  seed: {values: [0, 1]}\n",
		&ExpandSettings{Preset: config.PresetQuick, Sets: []string{"Ng=32", "n_epochs=1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Config.Model.Ng != 32 || r.Config.Training.NEpochs != 1 || r.Config.Preset != config.PresetQuick {
			t.Errorf("run %d: Ng %d epochs %d preset %s", r.Index, r.Config.Model.Ng, r.Config.Training.NEpochs, r.Config.Preset)
		}
	}
}

// A grid over q_uniform takes W&B's numpy.arange(min, max, q): from min in steps of q and
// short of max, the values not rounded to multiples of q (wandb/sweeps grid_search.py).
// The grid here took min and max rounded to multiples of q and included max, so 0.05–0.35
// in steps of 0.1 gave {0, 0.2, 0.4} and merged runs. Probabilities have no meaning in a
// grid, and W&B refuses them.
func TestGridQUniformLikeWandB(t *testing.T) {
	runs, _, err := expandText(t, `
method: grid
parameters:
  weight_decay: {distribution: q_uniform, min: 0.05, max: 0.35, q: 0.1}
  seed: {distribution: q_uniform, min: 1, max: 10, q: 3}
  Ng: {distribution: q_uniform, min: 64, max: 256, q: 64}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	decays, seeds, ngs := map[float64]bool{}, map[uint64]bool{}, map[int]bool{}
	for _, r := range runs {
		decays[r.Config.Training.WeightDecay] = true
		seeds[r.Config.Seed] = true
		ngs[r.Config.Model.Ng] = true
	}
	if len(runs) != 27 || !maps.Equal(decays, map[float64]bool{0.05: true, 0.15: true, 0.25: true}) ||
		!maps.Equal(seeds, map[uint64]bool{1: true, 4: true, 7: true}) || !maps.Equal(ngs, map[int]bool{64: true, 128: true, 192: true}) {
		t.Errorf("%d runs; weight decays %v, seeds %v, Ng %v; want 27 of {0.05, 0.15, 0.25} × {1, 4, 7} × {64, 128, 192}", len(runs), decays, seeds, ngs)
	}
	_, _, err = expandText(t, "method: grid\nparameters:\n  rnn_type: {values: [RNN, LSTM], probabilities: [0.9, 0.1]}\n", nil)
	if !errors.Is(err, ErrSweep) || !strings.Contains(err.Error(), "probabilities") {
		t.Errorf("probabilities in a grid: %v", err)
	}
}

// A repeated config is dropped as a repeat, but two different configs that share a run id
// (a 48-bit collision, which no real sweep is likely to meet) are an error, not a repeat.
func TestRunSetCollision(t *testing.T) {
	s := runSet{}
	a := Run{ID: "0123456789ab", digest: [32]byte{1}}
	if added, err := s.add(a); !added || err != nil {
		t.Fatalf("first run: %v, %v", added, err)
	}
	if added, err := s.add(a); added || err != nil {
		t.Errorf("repeat: added %v, %v; want a repeat", added, err)
	}
	b := Run{ID: a.ID, digest: [32]byte{2}}
	if _, err := s.add(b); !errors.Is(err, ErrSweep) || !strings.Contains(err.Error(), "collision") {
		t.Errorf("another config with the same id: %v; want a collision error", err)
	}
}
