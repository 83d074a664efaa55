package npyio_test

import (
	"bytes"
	"fmt"

	"github.com/gridcells/gridcells/npyio"
)

func ExampleRead() {
	var buf bytes.Buffer
	// A 2×3 float32 matrix, as numpy.save(f, np.arange(6, dtype='<f4').reshape(2, 3)).
	if err := npyio.Write(&buf, npyio.NewFloat32([]float32{0, 1, 2, 3, 4, 5}, 2, 3)); err != nil {
		fmt.Println(err)
		return
	}
	a, err := npyio.Read(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Shape, a.Dtype, a.AsFloat64())
	// Output: [2 3] <f4 [0 1 2 3 4 5]
}
