package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDist(t *testing.T) {
	good := []struct {
		in   string
		want Dist
	}{
		{"0.12", Const(0.12)},
		{" 2 ", Const(2)},
		{"1e-2", Const(0.01)},
		{"Uniform( 0.06 , 0.24 )", Uniform(0.06, 0.24)},
		{"Uniform(0.06,0.24)", Uniform(0.06, 0.24)},
		{"uniform( 1.50 , 2.50 )", Uniform(1.5, 2.5)},
		{"Uniform( 0.12 , 0.12 )", Uniform(0.12, 0.12)},
		{"Poisson( 3.0 )", Poisson(3)},
		{"Poisson ( 1.5 )", Poisson(1.5)}, // spelling in an NFL comment
	}
	for _, g := range good {
		d, err := ParseDist(g.in)
		if err != nil || d != g.want {
			t.Errorf("ParseDist(%q) = %v, %v; want %v", g.in, d, err, g.want)
			continue
		}
		if back, err := ParseDist(d.String()); err != nil || back != d {
			t.Errorf("ParseDist(%q.String() = %q) = %v, %v", g.in, d.String(), back, err)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "empty"},
		{"Uniform( 0.1 ", "missing closing ')'"},
		{"Uniform( 0.1 )", "Uniform takes 2 numbers"},
		{"Uniform( 0.3 , 0.1 )", "low 0.3 > high 0.1"},
		{"Uniform( a , 0.1 )", `"a" is not a finite number`},
		{"Uniform( 0.1 , , 0.2 )", `"" is not a finite number`},
		{"Poisson( 1 , 2 )", "Poisson takes 1 number"},
		{"Poisson( -1 )", "λ must be ≥ 0"},
		{"Normal( 0 , 1 )", `unknown distribution "Normal"`},
		{"Uniform( (0.1) , 0.2 )", "unbalanced"},
		{"twelve", "want a number"},
		{"NaN", "finite"},
		{"Inf", "finite"},
	}
	for _, b := range bad {
		_, err := ParseDist(b.in)
		if err == nil || !errors.Is(err, ErrBadDist) || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("ParseDist(%q) error = %v; want one containing %q", b.in, err, b.msg)
		}
	}
}

func TestSetTypes(t *testing.T) {
	c := Default()
	sets := []string{
		"rnn_type=lstm",                  // enum, case-insensitive → canonical spelling
		"initializer=Glorot-Normal",      // '-' = '_'
		"n_grad_steps_per_epoch=1e4",     // integral float
		"n_epochs=1_000",                 // separators
		"is_periodic=True",               // NFL/Python bool spelling
		"eval.nbins=[10, 20]",            // int list with brackets
		"place_cell_rf=Uniform(0.1,0.2)", // Dist
		"n_place_fields_per_cell=Poisson( 2.0 )",
		"seed=18446744073709551615", // uint64 max
		"name=run 7",
		"Eval.Batch_Size=30", // case-insensitive key
		"learning_rate=5e-4",
	}
	if err := ApplySets(&c, sets); err != nil {
		t.Fatal(err)
	}
	if c.Model.RNNType != "LSTM" || c.Model.Initializer != "glorot_normal" || c.Training.StepsPerEpoch != 10000 ||
		c.Training.NEpochs != 1000 || !c.Trajectory.Periodic || !reflect.DeepEqual(c.Eval.NBins, []int{10, 20}) ||
		c.Encoding.PlaceCellRF != Uniform(0.1, 0.2) || c.Encoding.FieldsPerCell != Poisson(2) ||
		c.Seed != 1<<64-1 || c.Name != "run 7" || c.Eval.BatchSize != 30 || c.Training.LearningRate != 5e-4 {
		t.Errorf("sets applied wrongly: %+v", c)
	}
	bad := []struct{ set, key, msg string }{
		{"activation=gelu", "model.activation", "allowed: relu, tanh, sigmoid, linear"},
		{"place_field_values=dog", "encoding.kind", "allowed: cartesian, high_dim_cartesian"},
		{"loss=huber", "training.loss", "allowed: auto, crossentropy, mse, polarmse"},
		{"device=tpu", "training.device", "allowed: auto, cpu, cuda, cuda-tf32"},
		{"score_method=max", "eval.score_method", "allowed: nfl, deepmind, bnt"},
		{"motion_model=levy", "trajectory.motion_model", "allowed: sorscher, ratinabox"},
		{"surround_convention=std", "encoding.surround_convention", "allowed: sigma_ratio, variance_ratio"},
		{"init_convention=jax", "model.init_convention", "allowed: keras, pytorch"},
		{"normalization=local", "encoding.normalization", "allowed: none, global"},
		{"optimizer=lbfgs", "training.optimizer", "allowed: adam, rmsprop, sgd, adagrad"},
		{"Ng=many", "model.ng", "want an integer"},
		{"seed=-1", "seed", "non-negative integer"},
		{"dt=fast", "trajectory.dt", "finite number"},
		{"dt=inf", "trajectory.dt", "finite number"},
		{"periodic=maybe", "trajectory.periodic", "true or false"},
		{"nbins=", "eval.nbins", "list of integers"},
		{"sequence_lenght=20", "sequence_lenght", `did you mean "trajectory.sequence_length"`},
		{"training.steps=100", "training.steps", `did you mean "training.n_grad_steps_per_epoch"?`},
		{"batch=64", "batch", `did you mean "trajectory.batch_size" or "eval.batch_size"?`},
		{"epochs=3", "epochs", `did you mean "training.n_epochs"?`},
		{"Ng", "Ng", "want key=value"},
		{"preset=quick", "preset", "--preset"},
		{"model=3", "model", "section"},
	}
	for _, b := range bad {
		c := Default()
		err := ApplySets(&c, []string{b.set})
		if err == nil {
			t.Errorf("--set %s: no error", b.set)
			continue
		}
		ce := configErr(t, err)
		if ce.Key != b.key || ce.Source != "--set" || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("--set %s: got %q (key %q); want key %q and %q", b.set, err, ce.Key, b.key, b.msg)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("--set %s: a failed set changed the config", b.set)
		}
	}
}

// TestEveryKey: every listed key reads back what Set stores, and each alias reaches its key.
func TestEveryKey(t *testing.T) {
	c := Default()
	for _, k := range Keys() {
		if k.Key == "preset" {
			continue
		}
		v, err := Get(c, k.Key)
		if err != nil || v != k.Default {
			t.Errorf("Get(%s) = %q, %v; want default %q", k.Key, v, err, k.Default)
		}
		d := c
		if err := Set(&d, k.Key, v); err != nil || !reflect.DeepEqual(d, c) {
			t.Errorf("Set(%s, its own default %q) changed the config or failed: %v", k.Key, v, err)
		}
		if k.Type == "enum" && len(k.Allowed) == 0 {
			t.Errorf("%s: enum without allowed values", k.Key)
		}
		if k.Help == "" {
			t.Errorf("%s has no help text", k.Key)
		}
		for _, a := range append(k.Aliases, k.Key) {
			if got, err := CanonicalKey(a); err != nil || got != k.Key {
				t.Errorf("CanonicalKey(%q) = %q, %v; want %q", a, got, err, k.Key)
			}
		}
	}
	// Every enum of the brief is closed.
	for _, key := range []string{"rnn_type", "activation", "initializer", "place_field_values", "normalization",
		"surround_convention", "optimizer", "loss", "motion_model", "score_method", "device", "init_convention"} {
		if len(AllowedValues(key)) == 0 {
			t.Errorf("%s has no allowed values", key)
		}
	}
	if _, err := CanonicalKey("sequence_length"); err != nil {
		t.Errorf("sequence_length: %v", err)
	}
}

func TestSetValueAndClone(t *testing.T) {
	c := Default()
	vals := map[string]any{
		"Ng": 2048, "learning_rate": 0.0005, "is_periodic": true, "nbins": []any{20, 32},
		"place_cell_rf": "Uniform( 0.06 , 0.24 )", "surround_scale": Uniform(1.5, 2.5), "seed": uint64(4),
		"alpha_e": float32(0.25),
	}
	for k, v := range vals {
		if err := SetValue(&c, k, v); err != nil {
			t.Fatalf("SetValue(%s, %v): %v", k, v, err)
		}
	}
	if c.Model.Ng != 2048 || c.Training.LearningRate != 0.0005 || !c.Trajectory.Periodic ||
		!reflect.DeepEqual(c.Eval.NBins, []int{20, 32}) || c.Encoding.PlaceCellRF != Uniform(0.06, 0.24) ||
		c.Encoding.SurroundScale != Uniform(1.5, 2.5) || c.Seed != 4 || c.Encoding.AlphaE != 0.25 {
		t.Errorf("SetValue results wrong: %+v", c)
	}
	if err := SetValue(&c, "Ng", nil); err == nil {
		t.Error("SetValue(nil) accepted")
	}
	d := c.Clone()
	d.Eval.NBins[0] = 3
	if c.Eval.NBins[0] != 20 {
		t.Error("Clone shares NBins")
	}
}
