package f32_test

import (
	"fmt"

	"github.com/gridcells/gridcells/internal/asm/f32"
)

// A softmax over three cells: subtract the largest logit, exponentiate and sum in one call, then
// normalise.
func ExampleExpSum() {
	logits := []float32{-1, 0, -2}
	p := make([]float32, len(logits))
	s := f32.ExpSum(p, logits, 1, 0) // the maximum is 0 already
	f32.AddScale(p, p, 0, 1/s)
	fmt.Printf("%.4f %.4f %.4f\n", p[0], p[1], p[2])
	// Output: 0.2447 0.6652 0.0900
}
