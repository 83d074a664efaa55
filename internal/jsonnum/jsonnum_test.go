package jsonnum

import (
	"encoding/json"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, x := range []float64{0, -1.5, 6.237, 1e-300, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b, err := json.Marshal(Number(x))
		if err != nil {
			t.Fatalf("Marshal(%v): %v", x, err)
		}
		var got Number
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		want := x
		if math.IsInf(x, 0) {
			want = math.NaN() // not finite → null → NaN
		}
		if !(float64(got) == want || math.IsNaN(want) && math.IsNaN(float64(got))) {
			t.Errorf("round trip of %v via %s = %v; want %v", x, b, float64(got), want)
		}
	}
	var n Number
	if err := json.Unmarshal([]byte(`"x"`), &n); err == nil {
		t.Errorf("Unmarshal of a string: no error")
	}
}
