package config

import (
	"reflect"
	"testing"
)

// FuzzParseDist: ParseDist never panics, and what it accepts formats back to itself.
func FuzzParseDist(f *testing.F) {
	for _, s := range []string{"0.12", "Uniform( 0.06 , 0.24 )", "Poisson( 3.0 )", "Uniform( 0.1 ", "uniform(1,2)", "Poisson()", "((", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDist(s)
		if err != nil {
			return
		}
		back, err := ParseDist(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDist(%q) = %v; reparsing %q gave %v, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzParse: Parse never panics on arbitrary files, and a config it accepts survives a
// JSON round trip unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Ng: 1024\nplace_cell_rf: 'Uniform( 0.06 , 0.24 )'\n",
		"model: {ng: 12}\neval: {nbins: [3, 4]}\n",
		"parameters:\n  seed:\n    values: [1]\n",
		"seed: {value: 3, desc: null}\n",
		"encoding:\n  anisotropy: {kind: uniform, a: 1, b: 2}\n",
		"{\"preset\": \"quick\", \"Np\": 7}",
		"&a x: *a\n",
		"name: yes\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml", "")
		if err != nil {
			return
		}
		j, err := c.JSON()
		if err != nil {
			return // e.g. a Dist object with an unknown kind is rejected on output
		}
		back, err := Parse(j, "fuzz.json", "")
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip of %q failed: %v\n%s", data, err, j)
		}
	})
}
