package compute

import "testing"

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
