package philox_test

import (
	"fmt"

	"github.com/gridcells/gridcells/internal/philox"
)

// Trajectory b's draws at step t of batch i are one block of a counter that names them: the
// same four words whichever thread or loop computes them.
func ExampleBlock() {
	key := philox.Key(42)
	const step, trajectory, batch = 3, 7, 0
	w := philox.Block([4]uint32{step, trajectory, batch, 0}, key)
	fmt.Printf("%08x\n", w)
	fmt.Printf("uniform %.6f, normal %.6f\n", philox.Uniform(w[0]), philox.Normal(w[1], w[2]))
	// Output:
	// [135ec373 62e4195f 0b07f4e5 ef25ae64]
	// uniform 0.075665, normal 1.329003
}
