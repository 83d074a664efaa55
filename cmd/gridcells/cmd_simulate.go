package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/report/figure"
	"github.com/gridcells/gridcells/sim"
)

// simulateOptions are the flags of "gridcells simulate".
type simulateOptions struct {
	Batch     int
	Steps     int
	Seed      uint64
	Model     string
	BoxWidth  float64
	BoxHeight float64
	Dt        float64
	Periodic  bool
	Config    string
	Out       string
	PNG, GIF  string // figure and animation of the trajectories; none when empty
	// explicit names the flags given on the command line, which override --config's
	// trajectory section; nil means every field is explicit.
	explicit map[string]bool
}

// AddFlags defines the command's flags with the defaults of spec §1.1.
func (o *simulateOptions) AddFlags(fs *flag.FlagSet) {
	d := sim.DefaultParams()
	fs.IntVar(&o.Batch, "batch", 200, "number of trajectories `B`")
	fs.IntVar(&o.Steps, "steps", 20, "steps per trajectory `T`")
	fs.Uint64Var(&o.Seed, "seed", 1, "random `seed`; the same seed gives the same file")
	fs.StringVar(&o.Model, "model", string(d.Model), "motion `model`: sorscher (spec §1.1 random walk) or ratinabox (OU motion)")
	fs.Float64Var(&o.BoxWidth, "box-width", d.BoxWidth, "box width in `m`, centred at the origin")
	fs.Float64Var(&o.BoxHeight, "box-height", d.BoxHeight, "box height in `m`, centred at the origin")
	fs.Float64Var(&o.Dt, "dt", d.Dt, "time step in `s`")
	fs.BoolVar(&o.Periodic, "periodic", d.Periodic, "wrap positions into the box instead of avoiding walls (default false)")
	fs.StringVar(&o.Config, "config", "", "take the motion model from a config `file` (YAML, JSON, or a run directory's config.json): its trajectory section, with every turn, speed, wall and RatInABox parameter and the random source; the flags above override it")
	fs.StringVar(&o.Out, "out", "", "output .npz `file` (required)")
	fs.StringVar(&o.PNG, "png", "", "also draw the first trajectories and the occupancy of all of them to this PNG `file`")
	fs.StringVar(&o.GIF, "gif", "", "also animate the first trajectories and the occupancy as they grow, step by step, to this GIF `file`")
}

// Trajectories drawn by --png and --gif, and the most frames --gif has.
const (
	simulateDrawnPaths = 5
	simulateMaxFrames  = 50
)

func init() {
	register(&Command{
		Name:  "simulate",
		Usage: "--out F.npz [--batch B] [--steps T] [--seed S] [--config RUN/config.json] [--model sorscher|ratinabox] [--box-width W] [--box-height H] [--periodic] [--png F.png] [--gif F.gif]",
		Short: "generate random-walk trajectories to an .npz file",
		Long: `Simulate draws B independent trajectories of T steps with the training motion model
(spec §1.1: Rayleigh speeds, Gaussian turns, slow turn-away within 3 cm of a wall; or
RatInABox's Ornstein-Uhlenbeck motion) and writes them, batch-major as NumPy users expect,
to an .npz archive:

  positions   float32 B×(T+1)×2  the initial position, then the T target positions (m)
  velocities  float32 B×T×2      per-step displacement (m per step, not m/s);
                                 positions[:, t+1] = positions[:, t] + velocities[:, t],
                                 except where a --periodic walk wraps across an edge
  headings    float32 B×T        the direction of motion in each step (rad, in [-pi, pi)):
                                 exactly that of the step for sorscher; for ratinabox,
                                 that of its velocity, which near a wall the wall's push
                                 deflects the step from
  dt          float64 scalar     time step (s)

Load with numpy.load("F.npz").

--png draws the first 5 trajectories (a dot marks each start) beside the occupancy of all of
them; --gif animates that figure as the trajectories grow, in up to 50 frames from the start to
step T, 10 a second.

--config takes the motion of a run (its config.json) or of any config file, for
trajectories like those the run trained on; --batch and --steps still default to 200 and
20, and the flags given beside --config override it.`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o simulateOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				o.explicit = map[string]bool{}
				fs.Visit(func(f *flag.Flag) { o.explicit[f.Name] = true })
				return runSimulate(ctx, &o, args, os.Stderr)
			}
		},
	})
}

// maxSimulateElements bounds B·(T+1)·2 so that one output array stays addressable and
// the request fits in memory (2³¹ float32s = 8 GiB).
const maxSimulateElements = 1 << 31

// runSimulate validates o, generates the trajectories and writes o.Out. Invalid input
// returns a UsageError before anything is written; progress goes to logw.
func runSimulate(ctx context.Context, o *simulateOptions, args []string, logw io.Writer) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if o.Out == "" {
		return usagef("--out is required")
	}
	if err := checkOutFile("--out", o.Out); err != nil {
		return err
	}
	for _, f := range []struct{ flag, path, ext string }{{"--png", o.PNG, ".png"}, {"--gif", o.GIF, ".gif"}} {
		if f.path == "" {
			continue
		}
		if err := checkOutFile(f.flag, f.path); err != nil {
			return err
		}
		if !strings.EqualFold(filepath.Ext(f.path), f.ext) {
			return usagef("%s %s: name the file %s", f.flag, f.path, f.ext)
		}
	}
	if strings.EqualFold(filepath.Ext(o.Out), ".npy") {
		// numpy.load would return an NpzFile, and "gridcells encode --positions F.npy" fails.
		return usagef("--out %s: simulate writes an .npz archive of several arrays; name it .npz", o.Out)
	}
	if o.Batch < 1 {
		return usagef("--batch = %d: want at least 1", o.Batch)
	}
	if o.Steps < 1 {
		return usagef("--steps = %d: want at least 1", o.Steps)
	}
	if float64(o.Batch)*float64(o.Steps+1)*2 > maxSimulateElements {
		return usagef("--batch %d × --steps %d is too large (at most %d floats per array)", o.Batch, o.Steps, maxSimulateElements)
	}
	p, err := o.params()
	if err != nil {
		return err
	}
	// sim's validation refuses a box too small for its wall band (border_region,
	// riab_wall_repel_distance), naming the field and the widths allowed.
	g, err := sim.NewSeed(p, o.Seed)
	if err != nil {
		return UsageError{err}
	}
	B, T := o.Batch, o.Steps
	pos := make([]float32, B*(T+1)*2)
	vel := make([]float32, B*T*2)
	head := make([]float32, B*T)
	if err := simulateInto(ctx, g, pos, vel, head, B, T, logw); err != nil {
		return err
	}
	err = npyio.WriteNPZ(o.Out,
		[]string{"positions", "velocities", "headings", "dt"},
		[]*npyio.Array{
			npyio.NewFloat32(pos, B, T+1, 2),
			npyio.NewFloat32(vel, B, T, 2),
			npyio.NewFloat32(head, B, T),
			npyio.NewFloat64([]float64{p.Dt}),
		})
	if err != nil {
		return err
	}
	logger := log.New(logw, "gridcells: ", 0)
	logger.Printf("simulate: wrote %d %s trajectories of %d steps to %s", B, p.Model, T, o.Out)
	if o.PNG == "" && o.GIF == "" {
		return nil
	}
	title := fmt.Sprintf("%d %s trajectories, %d steps of %g s", B, p.Model, T, p.Dt)
	if o.PNG != "" {
		f, err := figure.Trajectories(trajectoriesUpTo(pos, B, T, T, p), &figure.TrajectorySettings{Title: title})
		if err != nil {
			return err
		}
		if err := f.WriteFile(o.PNG); err != nil {
			return err
		}
		logger.Printf("simulate: wrote %s", o.PNG)
	}
	if o.GIF != "" {
		n := min(T+1, simulateMaxFrames)
		frames := make([]*figure.Figure, n)
		for k := range frames {
			t := int(math.Round(float64(k) * float64(T) / float64(max(n-1, 1))))
			f, err := figure.Trajectories(trajectoriesUpTo(pos, B, T, t, p), &figure.TrajectorySettings{Title: fmt.Sprintf("%s: step %d (%.2f s)", title, t, float64(t)*p.Dt)})
			if err != nil {
				return err
			}
			frames[k] = f
		}
		if err := figure.WriteGIF(o.GIF, frames, animationDelay, animationHold); err != nil {
			return err
		}
		logger.Printf("simulate: wrote %s (%d frames)", o.GIF, n)
	}
	return nil
}

// trajectoriesUpTo is what the trajectory figure draws of the batch-major positions pos
// (B×(T+1)×2) up to step t: the first simulateDrawnPaths trajectories from their start to
// step t, and the occupancy of every trajectory's positions after the start up to step t
// (as a run's occupancy counts its batch's target positions).
func trajectoriesUpTo(pos []float32, B, T, t int, p sim.Params) figure.TrajectoryData {
	at := func(b, s int) figure.Point {
		k := 2 * (b*(T+1) + s)
		return figure.Point{X: float64(pos[k]), Y: float64(pos[k+1])}
	}
	d := figure.TrajectoryData{Box: figure.Box{XMin: -p.BoxWidth / 2, XMax: p.BoxWidth / 2, YMin: -p.BoxHeight / 2, YMax: p.BoxHeight / 2}}
	for b := range min(B, simulateDrawnPaths) {
		path := make([]figure.Point, t+1)
		for s := range path {
			path[s] = at(b, s)
		}
		d.Paths = append(d.Paths, path)
	}
	d.Occupancy = make([]figure.Point, 0, B*t)
	for b := range B {
		for s := 1; s <= t; s++ {
			d.Occupancy = append(d.Occupancy, at(b, s))
		}
	}
	return d
}

// params returns the motion parameters: the defaults of spec §1.1, or --config's trajectory
// section, with the explicitly given flags over them.
func (o *simulateOptions) params() (sim.Params, error) {
	given := func(name string) bool { return o.explicit == nil || o.explicit[name] }
	p := sim.DefaultParams()
	if o.Config != "" {
		cfg, err := (&configFlags{Preset: config.PresetNFL2022, File: o.Config}).Resolve()
		if err != nil {
			return p, err
		}
		if p, err = sim.FromConfig(cfg.Trajectory); err != nil {
			return p, UsageError{fmt.Errorf("--config %s: %w", o.Config, err)}
		}
	}
	if given("model") {
		if o.Model != string(sim.Sorscher) && o.Model != string(sim.RatInABox) {
			return p, usagef("--model %q: want sorscher or ratinabox", o.Model)
		}
		p.Model = sim.MotionModel(o.Model)
	}
	if given("box-width") {
		p.BoxWidth = o.BoxWidth
	}
	if given("box-height") {
		p.BoxHeight = o.BoxHeight
	}
	if given("dt") {
		p.Dt = o.Dt
	}
	if given("periodic") {
		p.Periodic = o.Periodic
	}
	return p, nil
}

// simulateBlock is the number of trajectories simulate draws at a time when the motion
// model allows it (sim.Generator.SplitSize): the walk's time-major batch then costs a few
// MB on top of the output arrays instead of as much again as them, and Ctrl-C is answered
// between blocks (--batch 50000 --steps 1000 took 19 s to answer in one draw).
var simulateBlock = 1024

// simulateInto draws B trajectories of T steps from g into the batch-major arrays pos
// (B×(T+1)×2), vel (B×T×2) and head (B×T), in blocks of simulateBlock where g allows it,
// reporting progress to logw every few seconds on long draws.
func simulateInto(ctx context.Context, g *sim.Generator, pos, vel, head []float32, B, T int, logw io.Writer) error {
	block := B
	if s := g.SplitSize(); s > 0 {
		block = max(s, simulateBlock/s*s)
	}
	logger := log.New(logw, "gridcells: ", 0)
	start, last := time.Now(), time.Now()
	var batch *sim.Batch
	for b0 := 0; b0 < B; b0 += block {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(block, B-b0)
		if batch == nil || batch.B != n {
			batch = sim.NewBatch(n, T)
		}
		g.Next(batch)
		// Time-major batch → batch-major arrays.
		for b := range n {
			tr := b0 + b
			copy(pos[tr*(T+1)*2:], batch.InitPos[2*b:2*b+2])
			for t := range T {
				k := t*n + b
				copy(pos[(tr*(T+1)+t+1)*2:], batch.Pos[2*k:2*k+2])
				copy(vel[(tr*T+t)*2:], batch.Vel[2*k:2*k+2])
				head[tr*T+t] = batch.Heading[k]
			}
		}
		if done := b0 + n; done < B && time.Since(last) > 5*time.Second {
			last = time.Now()
			logger.Printf("simulate: %d of %d trajectories (%s)", done, B, time.Since(start).Round(time.Second))
		}
	}
	return ctx.Err()
}
