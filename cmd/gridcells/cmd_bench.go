package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/train"
)

// benchOptions are the flags of "gridcells bench train".
type benchOptions struct {
	Ng, Np, Batch, Seq, Steps int
	Lanes, RunSteps           int
	Ensemble, Profile         bool
	Cell, Device, RNG         string
	Seed                      uint64
}

// AddFlags defines the flags with the benchmark shape of README ("Speed on a CPU"): Np 512,
// B 200, T 20.
func (o *benchOptions) AddFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Ng, "ng", 1024, "recurrent units `Ng`")
	fs.IntVar(&o.Np, "np", 512, "place cells `Np` (DoS code)")
	fs.IntVar(&o.Batch, "batch", 200, "trajectories per step `B`")
	fs.IntVar(&o.Seq, "seq", 20, "steps per trajectory `T`")
	fs.IntVar(&o.Steps, "steps", 10, "timed repetitions of each measurement `S` (after one warm-up)")
	fs.StringVar(&o.Cell, "cell", "RNN", "recurrent `cell`: RNN, LSTM, GRU, UGRNN or SRNN")
	fs.Uint64Var(&o.Seed, "seed", 1, "random `seed`")
	fs.IntVar(&o.Lanes, "lanes", 1, "train `K` networks at once, each on its own backend (GPU: its own stream), and report their joint throughput")
	fs.BoolVar(&o.Ensemble, "ensemble", false, "with --lanes: train the K networks as one ensemble (batched GEMMs, one launch per operation for all lanes) instead of a backend each (default false)")
	fs.BoolVar(&o.Profile, "profile", false, "on a GPU, also time each kind of device operation over --steps steps and print where a step's device time goes (a second JSON line) (default false)")
	fs.IntVar(&o.RunSteps, "run-steps", 200000, "with --lanes: steps of one run `N`, for networks_per_hour (NFL: 200000)")
	fs.StringVar(&o.Device, "device", "cpu", "compute `backend`: cpu, cuda, cuda-tf32 or auto")
	fs.StringVar(&o.RNG, "rng", "pcg", "random `walk`: pcg (host walk; on a GPU the codes are made there) or philox (on a GPU walk and codes are made there)")
}

func init() {
	register(&Command{
		Name:  "bench",
		Usage: "train [--ng N] [--np P] [--batch B] [--seq T] [--steps S] [--cell RNN] [--device cpu] [--rng pcg] [--lanes K [--ensemble] [--run-steps N]] [--profile]",
		Short: "time training steps (median ms per step, JSON)",
		Long: `"bench train" times training steps of a DoS network of the nfl2022 kind (ReLU, Adam,
cross-entropy) with the given sizes and prints one JSON object to stdout with the
milliseconds of (medians, except pipelined_step_ms, a mean):

  step_ms             forward + backward pass + Adam update, batch made beforehand (with
                      the upload of what the host made)
  batch_ms            making one batch: B trajectories of T steps and their codes (on the
                      GPU, "batches" says which part is made there)
  step_with_batch_ms  a batch generated, then a step on it, one after the other
  pipelined_step_ms   a step of the training loop, whose producer goroutine generates
                      the next batch while the step runs: --steps steps back to back,
                      as the loop runs them (on a GPU each waits for its loss, not for
                      its update), and one wait at the end

With --lanes K it trains K networks at once instead (seeds S, S+1, …; pipelined steps)
and prints their joint throughput: lane_step_ms (one step of every lane),
network_step_ms, steps_per_second and networks_per_hour (runs of --run-steps steps).
Without --ensemble each lane has its own backend (on a GPU its own stream: "streams");
with --ensemble the K networks are one ensemble (package compute/ensemble): one batched
GEMM and one kernel per operation for all lanes, as "gridcells lanes --stack" trains them.

--profile (GPU only) then runs --steps more steps timing every kernel, cuBLAS call and
copy with CUDA events, and prints a second JSON line: the device time per step of each
kind of operation (GEMMs by shape), the busy total and the span (busy plus the device's
idle gaps, waiting for the host).

Compare with /work/shared/bench/torch_rnn_step.py (PyTorch) run in the same shell.`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o benchOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				// "bench train --ng N": flag parsing stopped at "train"; parse the rest.
				if len(args) == 0 {
					return usagef("want a benchmark name: train")
				}
				if args[0] != "train" {
					return usagef("unknown benchmark %q: allowed: train", args[0])
				}
				if err := fs.Parse(args[1:]); err != nil {
					return UsageError{err}
				}
				return runBenchTrain(ctx, &o, fs.Args(), os.Stdout)
			}
		},
	})
}

func runBenchTrain(ctx context.Context, o *benchOptions, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if o.Steps < 1 {
		return usagef("--steps %d: want ≥ 1", o.Steps)
	}
	cfg, err := config.Preset(config.PresetNFL2022)
	if err != nil {
		return err
	}
	cfg.Seed = o.Seed
	sets := []string{
		"model.ng=" + strconv.Itoa(o.Ng), "encoding.np=" + strconv.Itoa(o.Np),
		"trajectory.batch_size=" + strconv.Itoa(o.Batch), "trajectory.sequence_length=" + strconv.Itoa(o.Seq),
		"model.rnn_type=" + o.Cell, "training.device=" + o.Device, "trajectory.rng=" + o.RNG,
	}
	if err := config.ApplySets(&cfg, sets); err != nil {
		return UsageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return UsageError{fmt.Errorf("invalid benchmark:\n%w", indent(err))}
	}
	if o.Lanes < 1 || o.RunSteps < 1 {
		return usagef("--lanes %d, --run-steps %d: want ≥ 1", o.Lanes, o.RunSteps)
	}
	be, err := openBackend(cfg.Training.Device, os.Stderr, "")
	if err != nil {
		return err
	}
	defer closeBackend(be, os.Stderr)
	if o.Ensemble && o.Lanes < 2 {
		return usagef("--ensemble needs --lanes ≥ 2")
	}
	if o.Profile && o.Lanes > 1 && !o.Ensemble {
		return usagef("--profile with --lanes needs --ensemble (lanes on their own backends are not profiled)")
	}
	if _, ok := be.(compute.Profiler); o.Profile && !ok {
		return usagef("--profile needs a GPU (--device cuda or cuda-tf32); %s cannot profile", be.Name())
	}
	if o.Lanes > 1 {
		var lres train.LanesResult
		if o.Ensemble {
			lres, err = train.BenchStacked(ctx, cfg, o.Steps, o.Lanes, o.RunSteps, be)
		} else {
			// The first lane runs on be; the other lanes' backends are made here, and closed
			// once the lanes are done (BenchLanes leaves its backends to its caller).
			first := true
			var others []compute.Backend
			lres, err = train.BenchLanes(ctx, cfg, o.Steps, o.Lanes, o.RunSteps, func() (compute.Backend, error) {
				if first {
					first = false
					return be, nil
				}
				b, _, err := train.NewBackend(cfg.Training.Device)
				if err == nil {
					others = append(others, b)
				}
				return b, err
			})
			for _, b := range others {
				closeBackend(b, os.Stderr)
			}
		}
		if err != nil {
			return err
		}
		if err := writeJSONLine(stdout, struct {
			Ng   int    `json:"ng"`
			Np   int    `json:"np"`
			Cell string `json:"cell"`
			train.LanesResult
		}{o.Ng, o.Np, cfg.Model.RNNType, lres}); err != nil {
			return err
		}
		if o.Profile {
			p, err := train.ProfileStacked(ctx, cfg, o.Steps, o.Lanes, be)
			if err != nil {
				return err
			}
			return writeJSONLine(stdout, p)
		}
		return nil
	}
	res, err := train.Bench(ctx, cfg, o.Steps, train.Options{Backend: be})
	if err != nil {
		return err
	}

	out := struct {
		Ng    int    `json:"ng"`
		Np    int    `json:"np"`
		Batch int    `json:"batch"`
		Seq   int    `json:"seq"`
		Cell  string `json:"cell"`
		train.BenchResult
	}{o.Ng, o.Np, o.Batch, o.Seq, cfg.Model.RNNType, res}
	if err := writeJSONLine(stdout, out); err != nil {
		return err
	}
	if o.Profile {
		p, err := train.ProfileSteps(ctx, cfg, o.Steps, train.Options{Backend: be})
		if err != nil {
			return err
		}
		return writeJSONLine(stdout, p)
	}
	return nil
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
