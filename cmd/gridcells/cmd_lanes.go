package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/train"
)

// laneSpec is one --run of "gridcells lanes": a run directory and, for a new run, the
// config file to start it from ("" resumes the run in Dir).
type laneSpec struct{ Dir, Config string }

// laneSpecs collects repeated --run flags.
type laneSpecs []laneSpec

func (l *laneSpecs) String() string { return "" }

func (l *laneSpecs) Set(v string) error {
	dir, cfg, _ := strings.Cut(v, "=")
	if dir == "" {
		return fmt.Errorf("want DIR or DIR=CONFIG, got %q", v)
	}
	*l = append(*l, laneSpec{dir, cfg})
	return nil
}

func init() {
	register(&Command{
		Name:  "lanes",
		Usage: "--run DIR[=CONFIG] --run DIR[=CONFIG] ... [--log NAME]",
		Short: "train several runs at once in one process, each on its own backend (GPU ensemble lanes)",
		Long: `Lanes trains several networks at the same time in one process: each --run is a lane
with its own goroutine, backend, trajectory producer and optimizer. On a GPU each lane
has its own CUDA stream, so the kernels of small networks overlap and fill the device
("gridcells bench train --lanes K" measures the gain). On the CPU, lanes only share the
cores, with no gain over training the runs one after another.

--run DIR=CONFIG starts a new run in DIR from the config file CONFIG (as "gridcells
train --config CONFIG --out DIR"); --run DIR resumes the run in DIR (as "gridcells train
--resume DIR"). Each run's progress is appended to DIR/NAME (--log, default train.log).
"gridcells sweep run --lanes K" starts this command for groups of K pending runs.

SIGINT/SIGTERM checkpoint every lane. The exit status is 0 when every run finished and 1
when any failed; the others still finish.`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var specs laneSpecs
			fs.Var(&specs, "run", "a lane: run `DIR=CONFIG` (new run) or DIR (resume); repeat for each lane")
			logName := fs.String("log", "train.log", "file `NAME` in each run directory that receives its progress")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q (give each run as --run DIR[=CONFIG])", args)
				}
				return runLanes(ctx, specs, *logName, os.Stderr)
			}
		},
	})
}

// lane is one prepared run of runLanes.
type lane struct {
	spec laneSpec
	cfg  config.Config
	log  *os.File
}

// runLanes checks every spec before it trains any (bad input writes nothing), then trains
// them concurrently.
func runLanes(ctx context.Context, specs laneSpecs, logName string, stderr io.Writer) error {
	if len(specs) == 0 {
		return usagef("no --run given")
	}
	if logName == "" || strings.ContainsRune(logName, filepath.Separator) {
		return usagef("--log %q: want a file name", logName)
	}
	seen := map[string]bool{}
	lanes := make([]*lane, len(specs))
	for i, s := range specs {
		abs, _ := filepath.Abs(s.Dir)
		if seen[abs] {
			return usagef("--run %s given twice", s.Dir)
		}
		seen[abs] = true
		l := &lane{spec: s}
		var err error
		if s.Config == "" {
			l.cfg, err = train.LoadConfig(s.Dir)
			if err != nil {
				return usagef("--run %s (resume): %v", s.Dir, err)
			}
		} else {
			cf := configFlags{Preset: config.PresetQuick, File: s.Config}
			if l.cfg, err = cf.Resolve(); err != nil {
				return usagef("--run %s=%s: %v", s.Dir, s.Config, err)
			}
		}
		lanes[i] = l
	}
	for _, l := range lanes {
		if err := os.MkdirAll(l.spec.Dir, 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(l.spec.Dir, logName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		l.log = f
	}
	fmt.Fprintf(stderr, "%d lanes\n", len(lanes))
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, l := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.train(ctx)
			status := "finished"
			if errs[i] != nil {
				status = "failed: " + errs[i].Error()
				fmt.Fprintf(l.log, "error: %v\n", errs[i])
			}
			fmt.Fprintf(stderr, "lane %d (%s): %s\n", i, l.spec.Dir, status)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", lanes[i].spec.Dir, err))
		}
	}
	return errors.Join(failed...)
}

// train runs one lane to its end on a backend of its own.
func (l *lane) train(ctx context.Context) error {
	b, err := openBackend(l.cfg.Training.Device, l.log, fmt.Sprintf(" (lane of \"gridcells lanes\", pid %d)", os.Getpid()))
	if err != nil {
		return err
	}
	p := &trainProgress{w: l.log, start: time.Now()}
	opt := train.Options{Backend: b, Progress: p, Version: version}
	var sum *train.Summary
	if l.spec.Config == "" {
		sum, err = train.Resume(ctx, l.spec.Dir, opt)
	} else {
		sum, err = train.Train(ctx, l.spec.Dir, l.cfg, opt)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(l.log, "steps %d in %.0f s (%.1f steps/s, %s); decoding error %.2f cm; max score60 %.3f\n",
		sum.Steps, float64(sum.WallSeconds), float64(sum.StepsPerSecond), sum.Backend,
		float64(sum.DecodingErrorCM), float64(sum.MaxScore60))
	return nil
}
