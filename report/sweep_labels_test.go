package report

import (
	"slices"
	"testing"
)

// TestConditionLabels: figures name conditions by what tells them apart, not by every
// key=value of the grouping.
func TestConditionLabels(t *testing.T) {
	cond := func(v ...string) Condition { return Condition{Values: v} }
	hyper := &Sweep{Keys: []string{"training.learning_rate", "trajectory.batch_size", "model.activation"},
		Conditions: []Condition{cond("1e-4", "200", "relu"), cond("0.01", "200", "relu"), cond("1e-4", "50", "relu"), cond("1e-4", "200", "tanh")}}
	named := &Sweep{Keys: []string{"name", "encoding.kind", "encoding.np"},
		Conditions: []Condition{cond("Cartesian", "cartesian", "2"), cond("DoS", "difference_of_gaussians", "512"), cond("Gaussian", "gaussian", "512")}}
	// A 2×2 grid: the first condition is the baseline of both keys.
	pairs := &Sweep{Keys: []string{"model.ng", "seed_group"},
		Conditions: []Condition{cond("64", "a"), cond("128", "a"), cond("64", "b"), cond("128", "b")}}
	given := &Sweep{Keys: named.Keys, Conditions: named.Conditions, Labels: []string{"x", "y", "z"}}
	for _, c := range []struct {
		name string
		s    *Sweep
		want []string
	}{
		{"one key", &Sweep{Keys: []string{"encoding.place_cell_rf"}, Conditions: []Condition{cond("0.08"), cond("0.2")}}, []string{"0.08", "0.2"}},
		{"no key", &Sweep{Conditions: []Condition{cond()}}, []string{"all"}},
		{"differences from the baseline", hyper, []string{"baseline", "learning_rate=0.01", "batch_size=50", "activation=tanh"}},
		{"a key unique to each condition", named, []string{"Cartesian", "DoS", "Gaussian"}},
		{"a grid", pairs, []string{"baseline", "ng=128", "seed_group=b", "ng=128, seed_group=b"}},
		{"given labels", given, []string{"x", "y", "z"}},
	} {
		if got, _ := c.s.conditionLabels(); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSurvivalThresholds(t *testing.T) {
	for grid, want := range map[float64][]float64{0.8: {0.3, 0.8, 1.2}, 0.3: {0.3, 0.8, 1.2}, 0.4: {0.3, 0.4, 0.8, 1.2}, 1.5: {0.3, 0.8, 1.2, 1.5}} {
		if got := survivalThresholds(grid); !slices.Equal(got, want) {
			t.Errorf("grid threshold %g: lines %v, want %v", grid, got, want)
		}
	}
}

// The figures name what their conditions are: the key when one key groups them.
func TestConditionsName(t *testing.T) {
	cond := func(v ...string) Condition { return Condition{Values: v} }
	for _, c := range []struct {
		s    *Sweep
		want string
	}{
		{&Sweep{Keys: []string{"encoding.place_cell_rf"}, Conditions: []Condition{cond("0.1"), cond("0.14")}}, "encoding.place_cell_rf"},
		{&Sweep{Keys: []string{"a", "b"}, Conditions: []Condition{cond("1", "2"), cond("1", "3")}}, "condition"},
		{&Sweep{Keys: []string{"a"}, Conditions: []Condition{cond("1"), cond("2")}, Labels: []string{"x", "y"}}, "condition"},
		{&Sweep{Conditions: []Condition{cond()}}, ""},
	} {
		if got := c.s.conditionsName(); got != c.want {
			t.Errorf("keys %v: %q, want %q", c.s.Keys, got, c.want)
		}
	}
}
