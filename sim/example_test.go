package sim_test

import (
	"fmt"

	"github.com/gridcells/gridcells/sim"
)

func ExampleGenerator_Next() {
	g, err := sim.NewSeed(sim.DefaultParams(), 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := sim.NewBatch(200, 20) // B trajectories of T steps, time-major
	g.Next(batch)
	// Target 0 is the initial position plus input 0, exactly in float32.
	fmt.Println(batch.Pos[0] == batch.InitPos[0]+batch.Vel[0], batch.Pos[1] == batch.InitPos[1]+batch.Vel[1])
	// Output: true true
}
