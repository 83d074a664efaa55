package optim_test

import (
	"fmt"

	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/optim"
)

// One SGD update θ ← θ − lr·g on a parameter.
func ExampleOptimizer_Step() {
	b := cpu.New64()
	p := &nn.Param{Name: "w", Rows: 1, Cols: 2, Value: b.New(1, 2), Grad: b.New(1, 2)}
	b.Upload64(p.Value, []float64{1, 2})
	b.Upload64(p.Grad, []float64{0.5, -1})
	o, err := optim.New(b, []*nn.Param{p}, optim.Settings{Kind: optim.SGD, LR: 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	o.Step()
	theta := make([]float64, 2)
	b.Download64(theta, p.Value)
	fmt.Println(theta, o.Iterations())
	// Output: [0.95 2.1] 1
}
