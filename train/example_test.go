package train_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/sim"
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

// Train three seeds of one small network as the lanes of one ensemble (on a GPU, one batched
// GEMM per product for all three); each run directory ends as train.Train leaves it.
func ExampleTrainStacked() {
	var runs []train.StackedRun
	for seed := range 3 {
		cfg, err := config.Preset(config.PresetQuick)
		if err != nil {
			fmt.Println(err)
			return
		}
		err = config.ApplySets(&cfg, []string{"model.ng=16", "encoding.np=32", "trajectory.batch_size=10",
			"training.n_epochs=1", "training.n_grad_steps_per_epoch=20", "eval.nbins=20", "eval.n_units=8",
			"eval.batch_size=20", "training.device=cpu", fmt.Sprintf("seed=%d", seed)})
		if err != nil {
			fmt.Println(err)
			return
		}
		dir, err := os.MkdirTemp("", "lane")
		if err != nil {
			fmt.Println(err)
			return
		}
		defer os.RemoveAll(dir)
		runs = append(runs, train.StackedRun{Dir: dir, Config: &cfg})
	}
	b, _, err := train.NewBackend("cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := train.TrainStacked(context.Background(), runs, b, "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	for k, r := range res {
		if r.Err != nil {
			fmt.Println(r.Err)
			return
		}
		fmt.Printf("lane %d: %d steps on %s\n", k, r.Summary.Steps, r.Summary.Backend)
	}
	// Output:
	// lane 0: 20 steps on cpu/float32 (lane 0 of an ensemble of 3)
	// lane 1: 20 steps on cpu/float32 (lane 1 of an ensemble of 3)
	// lane 2: 20 steps on cpu/float32 (lane 2 of an ensemble of 3)
}

// Load a trained network from its run directory and measure how well it path-integrates
// trajectories of your own, drawn in the box it was trained in.
func ExampleLoadModel() {
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = config.ApplySets(&cfg, []string{"model.ng=16", "encoding.np=32", "trajectory.batch_size=10",
		"training.n_epochs=1", "training.n_grad_steps_per_epoch=20", "eval.nbins=20", "eval.n_units=8"})
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
	if _, err := train.Train(context.Background(), dir, cfg, train.Options{}); err != nil {
		fmt.Println(err)
		return
	}

	net, err := train.LoadModel(dir, nil) // nil: the backend the run's training.device picks
	if err != nil {
		fmt.Println(err)
		return
	}
	defer train.CloseBackend(net.Model.Backend()) // ours now: on a GPU, gives its memory back
	gen, err := sim.NewSeed(net.Motion, 2026)
	if err != nil {
		fmt.Println(err)
		return
	}
	traj := sim.NewBatch(50, 40) // 50 trajectories of 40 steps
	gen.Next(traj)
	var in nn.Batch
	train.EncodeBatch(net.Code, traj, &in)
	_, out := net.Model.Evaluate(in, nil)
	fmt.Println("cell:", net.Config.Model.RNNType, "outputs:", net.Code.Np())
	fmt.Println("decoding error below 200 cm:", net.Code.DecodingError(out, traj.Pos) < 200)
	// Output:
	// cell: RNN outputs: 32
	// decoding error below 200 cm: true
}
