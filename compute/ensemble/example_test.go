package ensemble_test

import (
	"fmt"

	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/compute/ensemble"
)

// Three lanes, each a 1×2 matrix, scaled in one operation; the sum returns the total and
// LaneValues each lane's part.
func Example() {
	e, err := ensemble.New(cpu.New(nil), 3)
	if err != nil {
		panic(err)
	}
	x := e.New(1, 2)
	e.Upload(x, []float32{1, 2, 10, 20, 100, 200}) // lane 0, lane 1, lane 2
	e.Scale(x, 0.5)
	fmt.Println(e.Sum(x), e.LaneValues())
	// Output: 166.5 [1.5 15 150]
}
