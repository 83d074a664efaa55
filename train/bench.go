package train

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/sim"
)

// BenchResult holds median times of one training step, in milliseconds.
type BenchResult struct {
	Steps   int    `json:"steps"`
	Backend string `json:"backend"`
	// StepMS is the model's forward and backward pass plus the optimizer update on a batch
	// generated beforehand (batch generation excluded).
	StepMS float64 `json:"step_ms"`
	// BatchMS is generating and encoding one batch (trajectories, initial code, targets).
	BatchMS float64 `json:"batch_ms"`
	// StepWithBatchMS is a batch generated and then a step on it, one after the other.
	StepWithBatchMS float64 `json:"step_with_batch_ms"`
	// PipelinedStepMS is a step of the training loop, whose producer goroutine generates the
	// next batch while the step runs (batch generation included, overlapped).
	PipelinedStepMS float64 `json:"pipelined_step_ms"`
}

// Bench times training steps of cfg's model and batches on opt's backend: steps timed
// repetitions of each measurement after one untimed warm-up. It does not write anything.
func Bench(cfg config.Config, steps int, opt Options) (BenchResult, error) {
	r, err := newRun("", cfg, opt)
	if err != nil {
		return BenchResult{}, err
	}
	B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
	np := r.code.Np()
	sb := sim.NewBatch(B, T)
	nb := nn.Batch{B: B, T: T, InitCode: make([]float32, B*np), Targets: make([]float32, T*B*np)}
	gen, err := sim.New(r.simP, rand.NewPCG(cfg.Seed, streamTrajectory))
	if err != nil {
		return BenchResult{}, err
	}
	batch := func() { gen.Next(sb); fillBatch(r.code, sb, &nb) }
	step := func() { r.model.Step(nb); r.optim.Step() }
	median := func(f func()) float64 {
		f()
		ts := make([]float64, steps)
		for i := range ts {
			t0 := time.Now()
			f()
			ts[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
		}
		slices.Sort(ts)
		if steps%2 == 1 {
			return ts[steps/2]
		}
		return (ts[steps/2-1] + ts[steps/2]) / 2
	}
	res := BenchResult{Steps: steps, Backend: r.b.Name()}
	res.BatchMS = median(batch)
	res.StepMS = median(step)
	res.StepWithBatchMS = median(func() { batch(); step() })
	prod := startProducer(gen, r.code, B, T)
	defer prod.stop()
	res.PipelinedStepMS = median(func() {
		it := prod.next()
		r.model.Step(it.nb)
		r.optim.Step()
		prod.release(it)
	})
	return res, nil
}
