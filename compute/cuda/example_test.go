package cuda_test

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/compute/cuda"
)

// Example picks the GPU when there is one and the CPU otherwise, as training.device auto
// does (b.Name() says which), and runs a product on it: the same exact result on both. The
// GPU backend is closed when done, after the tensors are freed.
func Example() {
	var b compute.Backend = cpu.New(nil)
	if err := cuda.Available(); err == nil {
		g, err := cuda.New(&cuda.Settings{TF32: false})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer g.Close()
		b = g
	}
	x := b.New(2, 3)
	w := b.New(3, 2)
	y := b.New(2, 2)
	b.Upload(x, []float32{1, 2, 3, 4, 5, 6})
	b.Upload(w, []float32{1, 0, 0, 1, 1, 1})
	b.Gemm(false, false, 1, x, w, 0, y)
	out := make([]float32, 4)
	b.Download(out, y) // waits for the GPU's queued work
	for _, t := range []compute.Tensor{x, w, y} {
		b.Free(t)
	}
	fmt.Println(out)
	// Output: [4 5 10 11]
}
