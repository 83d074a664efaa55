package encode_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gridcells/gridcells/encode"
)

func ExampleNew() {
	p := encode.Params{
		Kind:      encode.DifferenceOfGaussians, // DoS, the NFL/Sorscher default target
		Np:        512,
		BoxWidth:  2.2,
		BoxHeight: 2.2,
		Sigma:     encode.Dist{Kind: "const", A: 0.12},
		Surround:  encode.Dist{Kind: "const", A: 2},
	}
	if err := p.Validate(); err != nil { // what New accepts, Validate accepts
		panic(err)
	}
	code, err := encode.New(p, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	pos := []float32{0.1, -0.2, 0.5, 0.5} // two positions, m
	targets := code.Encode(nil, pos)      // 2×512
	sum := float32(0)
	for _, v := range targets[:512] {
		sum += v
	}
	fmt.Printf("%d outputs, loss %s, first row sums to %.4f\n", code.Np(), code.Loss(), sum)
	fmt.Printf("decoding error of the true code below 10 cm: %v\n", code.DecodingError(targets, pos) < 10)
	// Output:
	// 512 outputs, loss crossentropy, first row sums to 1.0000
	// decoding error of the true code below 10 cm: true
}
