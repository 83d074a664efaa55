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

	"github.com/gridcells/gridcells/compute"
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
		Usage: "--run DIR[=CONFIG] --run DIR[=CONFIG] ... [--stack auto|on|off] [--log NAME]",
		Short: "train several runs at once in one process (GPU ensembles and lanes)",
		Long: `Lanes trains several networks at the same time in one process. Runs whose networks
have the same shape, optimizer, batch shape and schedule, and no dropout (they may differ
in seed, trajectories and place-cell code) can be trained as one ensemble: each step runs
every network with one batched GEMM and one kernel per operation for all of them, which
is how small networks fill a GPU ("gridcells bench train --lanes K --ensemble" measures
it). Each run still has its own producer, metrics, evaluations and checkpoints, and ends
as "gridcells train" would leave it (on the CPU with bit-identical weights).

--stack auto (the default) trains each group of two or more such runs as an ensemble
when their device is a GPU, and every other run as a lane of its own: its own goroutine,
backend and optimizer (on a GPU its own CUDA stream, so the kernels of small networks
overlap). On the CPU, ensembles are slower than the runs one by one and lanes only share
the cores. --stack on trains all runs as one ensemble, on any device, and refuses runs
that cannot be one; --stack off makes every run a lane of its own. Resumed runs of an
ensemble must be at the same step (an interrupted ensemble stops all of them at one).

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
			stack := fs.String("stack", "auto", "train runs of one shape as one ensemble: `auto` (on a GPU), on or off")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q (give each run as --run DIR[=CONFIG])", args)
				}
				switch *stack {
				case "auto", "on", "off":
				default:
					return usagef("--stack %q: want auto, on or off", *stack)
				}
				return runLanes(ctx, specs, *logName, *stack, os.Stderr)
			}
		},
	})
}

// lane is one prepared run of runLanes.
type lane struct {
	spec laneSpec
	cfg  config.Config
	log  *os.File
	key  string // train.StackKey, "" when the run cannot be part of an ensemble
	why  error  // why not
}

// runLanes checks every spec before it trains any (bad input writes nothing), then trains
// them concurrently.
func runLanes(ctx context.Context, specs laneSpecs, logName, stack string, stderr io.Writer) error {
	if len(specs) == 0 {
		return usagef("no --run given")
	}
	if logName == "" || strings.ContainsRune(logName, filepath.Separator) {
		return usagef("--log %q: want a file name", logName)
	}
	seen := map[string]bool{}
	lanes := make([]*lane, 0, len(specs))
	for _, s := range specs {
		abs, _ := filepath.Abs(s.Dir)
		if seen[abs] {
			return usagef("--run %s given twice", s.Dir)
		}
		seen[abs] = true
		l := &lane{spec: s}
		var err error
		if s.Config == "" {
			var completed bool
			l.cfg, completed, err = train.LoadForResume(s.Dir)
			if err != nil {
				return runDirError(fmt.Errorf("--run %s (resume): %w", s.Dir, err))
			}
			if completed {
				fmt.Fprintf(stderr, "%s: finished the final evaluation a stopped process had committed; the run is complete\n", s.Dir)
				continue
			}
		} else {
			cf := configFlags{Preset: config.PresetQuick, File: s.Config}
			if l.cfg, err = cf.Resolve(); err != nil {
				return usagef("--run %s=%s: %v", s.Dir, s.Config, err)
			}
			if train.CheckStart(s.Dir, false) == nil { // a run there is refused later, with its own error
				if err := checkNewRunDir("--run", s.Dir, s.Config, logName); err != nil {
					return err
				}
			}
		}
		l.key, l.why = train.StackKey(l.cfg)
		lanes = append(lanes, l)
	}
	groups, err := ensembles(lanes, stack)
	if err != nil {
		return err
	}
	// Each ensemble closes its backend when it ends (ensemble.train); this covers the ways
	// out before they start. A second Close does nothing.
	defer func() {
		for _, g := range groups {
			closeBackend(g.b, stderr)
		}
	}()
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
	errs := make([]error, len(lanes))
	var mu sync.Mutex // stderr
	report := func(i int, err error) {
		errs[i] = err
		status := "finished"
		switch {
		case errors.Is(err, context.Canceled):
			// Train checkpoints a lane it stops: nothing failed, and the run goes on.
			status = "interrupted: checkpoint saved; resume with gridcells lanes --run " + lanes[i].spec.Dir + " (or gridcells train --resume " + lanes[i].spec.Dir + ")"
			fmt.Fprintf(lanes[i].log, "interrupted: checkpoint saved\n")
		case err != nil:
			status = "failed: " + err.Error()
			fmt.Fprintf(lanes[i].log, "error: %v\n", err)
		}
		mu.Lock()
		fmt.Fprintf(stderr, "lane %d (%s): %s\n", i, lanes[i].spec.Dir, status)
		mu.Unlock()
	}
	inEnsemble := map[int]bool{}
	for _, g := range groups {
		for _, i := range g.members {
			inEnsemble[i] = true
		}
	}
	fmt.Fprintf(stderr, "%s (%d in %s)\n", count(len(lanes), "lane", "lanes"), len(inEnsemble), count(len(groups), "ensemble", "ensembles"))
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, err := range g.train(ctx, lanes) {
				report(g.members[k], err)
			}
		}()
	}
	var alone []int
	for i := range lanes {
		if !inEnsemble[i] {
			alone = append(alone, i)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		trainEach(ctx, lanes, alone, func(k int, err error) { report(alone[k], err) })
	}()
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

// trainEach trains lanes[idx[k]] for every k concurrently, each on a backend of its own, and
// calls done(k, err) as each finishes (done may run on several goroutines at once).
func trainEach(ctx context.Context, lanes []*lane, idx []int, done func(k int, err error)) {
	var wg sync.WaitGroup
	for k, i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done(k, lanes[i].train(ctx))
		}()
	}
	wg.Wait()
}

// train runs one lane to its end on a backend of its own.
func (l *lane) train(ctx context.Context) error {
	b, err := openBackend(l.cfg.Training.Device, l.log, fmt.Sprintf(" (lane of \"gridcells lanes\", pid %d)", os.Getpid()))
	if err != nil {
		return err
	}
	// The other lanes of the process go on: give back this one's stream, buffers and context
	// retain now rather than at exit.
	defer closeBackend(b, l.log)
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
	l.logSummary(sum)
	return nil
}

// logSummary writes the one-line result of the lane's finished run to its log.
func (l *lane) logSummary(sum *train.Summary) {
	fmt.Fprintf(l.log, "steps %d in %.0f s (%.1f steps/s, %s); decoding error %.2f cm; max score60 %.3f\n",
		sum.Steps, float64(sum.WallSeconds), float64(sum.StepsPerSecond), sum.Backend,
		float64(sum.DecodingErrorCM), float64(sum.MaxScore60))
}

// ensemble is a group of lanes trained as one ensemble (train.TrainStacked) on backend b.
type ensemble struct {
	members []int // indices into the lanes
	b       compute.Backend
	// fallback (--stack auto): when the runs turn out not to be stackable (resumed runs at
	// different steps), train them as lanes of their own instead of failing.
	fallback bool
}

// ensembles groups the lanes that share a stack key into ensembles of two or more, as
// --stack asks: all lanes in one (on), none (off), or the groups whose device is not the
// CPU (auto). It opens each ensemble's backend and says so on the lanes' logs later.
func ensembles(lanes []*lane, stack string) ([]*ensemble, error) {
	if stack == "off" || len(lanes) < 2 && stack == "auto" {
		return nil, nil
	}
	if stack == "on" {
		for _, l := range lanes {
			if l.why != nil {
				return nil, usagef("--stack on: --run %s: %v", l.spec.Dir, l.why)
			}
			if l.key != lanes[0].key {
				return nil, usagef("--stack on: --run %s: %v: its network, optimizer, batch shape or schedule differs from %s's", l.spec.Dir, train.ErrNotStackable, lanes[0].spec.Dir)
			}
		}
	}
	byKey := map[string]*ensemble{}
	var order []*ensemble
	for i, l := range lanes {
		if l.why != nil {
			continue
		}
		g := byKey[l.key]
		if g == nil {
			g = &ensemble{}
			byKey[l.key] = g
			order = append(order, g)
		}
		g.members = append(g.members, i)
	}
	var out []*ensemble
	for _, g := range order {
		if len(g.members) < 2 && stack == "auto" {
			continue
		}
		device := lanes[g.members[0]].cfg.Training.Device
		b, which, err := train.NewBackend(device)
		if err != nil {
			for _, g := range out {
				closeBackend(g.b, io.Discard)
			}
			return nil, usagef("--run %s: %v", lanes[g.members[0]].spec.Dir, err)
		}
		if stack == "auto" && strings.HasPrefix(which, "cpu") {
			continue // on the CPU an ensemble gains nothing
		}
		g.b, g.fallback = b, stack == "auto"
		out = append(out, g)
	}
	return out, nil
}

// train runs the ensemble to its end and returns each member's error.
func (g *ensemble) train(ctx context.Context, lanes []*lane) []error {
	defer closeBackend(g.b, lanes[g.members[0]].log) // as a lane of its own does (lane.train)
	runs := make([]train.StackedRun, len(g.members))
	for k, i := range g.members {
		l := lanes[i]
		fmt.Fprintf(l.log, "device: %s (lane %d of an ensemble of %d in \"gridcells lanes\", pid %d)\n", g.b.Name(), k, len(g.members), os.Getpid())
		runs[k] = train.StackedRun{Dir: l.spec.Dir, Progress: &trainProgress{w: l.log, start: time.Now()}}
		if l.spec.Config != "" {
			cfg := l.cfg
			runs[k].Config = &cfg
		}
	}
	errs := make([]error, len(g.members))
	res, err := train.TrainStacked(ctx, runs, g.b, version)
	if errors.Is(err, train.ErrNotStackable) && g.fallback {
		// Nothing was written: train each run as a lane of its own.
		for _, i := range g.members {
			fmt.Fprintf(lanes[i].log, "not an ensemble (%v): a lane of its own\n", err)
		}
		trainEach(ctx, lanes, g.members, func(k int, err error) { errs[k] = err })
		return errs
	}
	for k, i := range g.members {
		if err != nil {
			errs[k] = err
			continue
		}
		if errs[k] = res[k].Err; errs[k] == nil {
			lanes[i].logSummary(res[k].Summary)
		}
	}
	return errs
}
