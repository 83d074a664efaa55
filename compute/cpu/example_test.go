package cpu_test

import (
	"fmt"

	"github.com/gridcells/gridcells/compute/cpu"
)

// A matrix product on the float32 CPU backend: tensors are opaque, data moves through
// Upload and Download.
func ExampleNew() {
	b := cpu.New(nil)
	x, w, y := b.New(2, 3), b.New(3, 2), b.New(2, 2)
	b.Upload(x, []float32{1, 2, 3, 4, 5, 6})
	b.Upload(w, []float32{1, 0, 0, 1, 1, 1})
	b.Gemm(false, false, 1, x, w, 0, y) // y = x·w
	out := make([]float32, 4)
	b.Download(out, y)
	fmt.Println(b.Name(), out)
	// Output: cpu/float32 [4 5 10 11]
}
