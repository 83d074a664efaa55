package compute

import (
	"math"
	"testing"
)

// Every activation's config name parses back to it; the zero value is none of them.
func TestActivationNames(t *testing.T) {
	for _, a := range []Activation{Linear, ReLU, Tanh, Sigmoid} {
		got, ok := ParseActivation(a.String())
		if !ok || got != a {
			t.Errorf("ParseActivation(%q) = %v, %v; want %v", a.String(), got, ok, a)
		}
	}
	var unset Activation
	if unset == Linear || unset.String() != "unset" {
		t.Errorf("zero Activation is %v (%q); want a value of its own named unset", int(unset), unset)
	}
	for _, s := range []string{"", "unset", "ReLU", "gelu"} {
		if a, ok := ParseActivation(s); ok {
			t.Errorf("ParseActivation(%q) = %v; want not ok", s, a)
		}
	}
}

// DerivFromOutput, from the output y = φ(x), matches the central difference of Apply at x.
func TestActivationDerivative(t *testing.T) {
	const h, tol = 1e-6, 1e-8
	for _, a := range []Activation{Linear, ReLU, Tanh, Sigmoid} {
		for _, x := range []float64{-3, -0.7, -0.1, 0.2, 0.9, 2.5} {
			fd := (a.Apply(x+h) - a.Apply(x-h)) / (2 * h)
			if got := a.DerivFromOutput(a.Apply(x)); math.Abs(got-fd) > tol {
				t.Errorf("%v at x = %g: φ'(x) from y %.10g, central difference %.10g", a, x, got, fd)
			}
		}
	}
}
