package reproduce_test

import (
	"fmt"

	"github.com/gridcells/gridcells/reproduce"
)

// Expand the built-in sweep of paper Fig. 2 at the tiny scale: one network per encoding.
func ExampleResult_Expand() {
	r, err := reproduce.Lookup("encodings")
	if err != nil {
		fmt.Println(err)
		return
	}
	runs, _, err := r.Expand(reproduce.Tiny)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, run := range runs {
		c := run.Config
		fmt.Printf("%-18s %-28s Np %3d, Ng %d, %d steps\n", c.Name, c.Encoding.Kind, c.Encoding.Np, c.Model.Ng, c.TotalSteps())
	}
	// Output:
	// Cartesian          cartesian                    Np   2, Ng 48, 1500 steps
	// high-dim Cartesian high_dim_cartesian           Np 128, Ng 48, 1500 steps
	// polar              high_dim_polar               Np 128, Ng 48, 1500 steps
	// Gaussian           gaussian                     Np 128, Ng 48, 1500 steps
	// DoG                true_difference_of_gaussians Np 128, Ng 48, 1500 steps
	// DoS                difference_of_gaussians      Np 128, Ng 48, 1500 steps
	// SoD                softmax_of_differences       Np 128, Ng 48, 1500 steps
}
