package train_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/train"
)

// Train a small DoS network for 40 steps and read its run directory's summary.
func ExampleTrain() {
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = config.ApplySets(&cfg, []string{"model.ng=16", "encoding.np=32", "trajectory.batch_size=10",
		"training.n_epochs=2", "training.n_grad_steps_per_epoch=20", "training.eval_every=20",
		"eval.nbins=20", "eval.n_units=8", "eval.batch_size=20"})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sum, err := train.Train(context.Background(), dir, cfg, train.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	lines, err := train.ReadMetrics(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("steps:", sum.Steps, "metrics lines:", len(lines), "units scored:", sum.UnitsScored)
	fmt.Println("decoding error below 200 cm:", sum.DecodingErrorCM < 200)
	// Output:
	// steps: 40 metrics lines: 2 units scored: 8
	// decoding error below 200 cm: true
}
