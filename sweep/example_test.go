package sweep_test

import (
	"fmt"

	"github.com/gridcells/gridcells/sweep"
)

// NFL's sweep files expand unchanged: the "ideal" DoS sweep is rnn_type × seed.
func ExampleSweep_Expand() {
	sw, err := sweep.Load("testdata/pc_ce_dog_ideal.yaml")
	if err != nil {
		panic(err)
	}
	runs, _, err := sw.Expand(nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(sw.Method, len(runs), "runs")
	for _, r := range runs {
		fmt.Println(r.Index, r.Params, r.Config.Model.Ng, r.Config.Encoding.Kind)
	}

	// Bad values are reported with the file, line and key.
	_, err = sweep.Parse([]byte("method: grid\nparameters:\n  rnn_type:\n    values: [RNN, Transformer]\n"), "my_sweep.yaml")
	fmt.Println(err)
	// Output:
	// grid 6 runs
	// 0 model.rnn_type=RNN seed=0 1024 difference_of_gaussians
	// 1 model.rnn_type=RNN seed=1 1024 difference_of_gaussians
	// 2 model.rnn_type=RNN seed=2 1024 difference_of_gaussians
	// 3 model.rnn_type=UGRNN seed=0 1024 difference_of_gaussians
	// 4 model.rnn_type=UGRNN seed=1 1024 difference_of_gaussians
	// 5 model.rnn_type=UGRNN seed=2 1024 difference_of_gaussians
	// my_sweep.yaml:4: rnn_type (model.rnn_type): invalid value "Transformer"; allowed: RNN, LSTM, GRU, UGRNN, SRNN
}
