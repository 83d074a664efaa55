package predictivity_test

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/predictivity"
)

// Predict a synthetic MEC population from a random-feature model's rate maps.
func ExampleFit() {
	const n = 24 // bins per side
	box := analysis.SquareBox(2.2)
	pop, err := predictivity.NewPopulation(nil, 1)
	if err != nil {
		panic(err)
	}
	neural := pop.RateMaps(n, box, rand.New(rand.NewPCG(2, 0))) // neurons×bins
	model, err := predictivity.RandomFeatures(&predictivity.FeatureSettings{Components: 32}, 3)
	if err != nil {
		panic(err)
	}
	act := model.Activations(predictivity.BinCentres(n, box)) // bins×units
	X := mat.NewDense(n*n, model.Units(), act)
	Y := predictivity.Transpose(neural, pop.Neurons(), n*n)
	res, err := predictivity.Fit(X, Y, &predictivity.Settings{Units: 50, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d neurons, %d bins, %d regressors: median r %.2f\n", res.Neurons, res.Samples, res.Units, res.MedianR)
	// Output:
	// 104 neurons, 576 bins, 50 regressors: median r 0.20
}
