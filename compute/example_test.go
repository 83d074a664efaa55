package compute_test

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
)

// An activation from its config name, and the reference values every backend implements:
// φ(x) and φ'(x) from φ's output, the form a backward pass uses.
func ExampleParseActivation() {
	relu, ok := compute.ParseActivation("relu")
	fmt.Println(relu, ok)
	for _, x := range []float64{-1, 2} {
		y := relu.Apply(x)
		fmt.Printf("φ(%g) = %g, φ'(%g) = %g\n", x, y, x, relu.DerivFromOutput(y))
	}
	_, ok = compute.ParseActivation("gelu")
	fmt.Println("gelu:", ok)
	// Output:
	// relu true
	// φ(-1) = 0, φ'(-1) = 0
	// φ(2) = 2, φ'(2) = 1
	// gelu: false
}
