package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/predictivity"
	"github.com/gridcells/gridcells/sweep"
	"github.com/gridcells/gridcells/train"
)

// Output file names of "gridcells predictivity".
const (
	predictivityCSV    = "predictivity.csv"
	predictivityFigure = "predictivity_vs_dimensionality.png"
)

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// predictivityOptions are the flags of "gridcells predictivity".
type predictivityOptions struct {
	runs       listFlag
	neural     string
	positions  string
	headings   string
	synthetic  bool
	synthSeed  uint64
	noise      float64
	nbins      int
	out        string
	folds      int
	innerFolds int
	units      int
	repeats    int
	seed       uint64
	figures    figureOutput
}

func (o *predictivityOptions) AddFlags(fs *flag.FlagSet) {
	fs.Var(&o.runs, "runs", "run `DIR`s to compare, or sweep directories for their finished runs (repeatable or comma-separated; more may follow as arguments)")
	fs.StringVar(&o.neural, "neural", "", "recorded neurons, npy `FILE`: neurons×n×n or neurons×n² rate maps, or neurons×samples with --positions")
	fs.StringVar(&o.positions, "positions", "", "npy `FILE` of samples×2 positions (m) of the --neural samples; both neural data and model activations are then binned on the run's grid")
	fs.StringVar(&o.headings, "headings", "", "npy `FILE` of the samples' headings (rad), for --synthetic with --positions (default: head-direction tuning averaged out)")
	fs.BoolVar(&o.synthetic, "synthetic", false, "predict a synthetic MEC population (grid modules, place, border, conjunctive head-direction cells) instead of --neural (default false)")
	fs.Uint64Var(&o.synthSeed, "synthetic-seed", 1, "seed of the synthetic population and its noise")
	fs.Float64Var(&o.noise, "noise", 0.1, "noise std of the synthetic population, fraction of the peak rate (0: none)")
	fs.IntVar(&o.nbins, "nbins", 0, "bins per side when binning (--positions or --synthetic; 0: the run's eval.nbins[0])")
	fs.StringVar(&o.out, "out", ".", "`DIR` for "+predictivityCSV+" and "+predictivityFigure)
	fs.IntVar(&o.folds, "folds", 5, "outer cross-validation folds")
	fs.IntVar(&o.innerFolds, "inner-folds", 3, "inner folds choosing each neuron's ridge penalty")
	fs.IntVar(&o.units, "units", 0, "model units drawn as regressors per fit (0: the smallest unit count among the runs, at most 256, so every run gets as many)")
	fs.IntVar(&o.repeats, "repeats", 3, "unit draws averaged over (when a run has more units than --units)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the fold assignment and the unit draws")
	addFigureFlags(fs, &o.figures, "in --out DIR")
}

func init() {
	register(&Command{
		Name:  "predictivity",
		Usage: "--runs DIR... (--neural FILE.npy [--positions FILE.npy] | --synthetic) [--out DIR] [flags]",
		Short: "neural predictivity of trained runs vs their dimensionality (ridge regression, paper Fig. 6)",
		Long: `Predictivity asks how well each run's units linearly predict recorded neurons, and plots that
against the dimensionality of the run's representation, as in the paper's Fig. 6 (spec §7.6,
after Nayebi et al. 2021): predictivity tracks the participation ratio of the rate maps, not
grid-likeness.

For every run it regresses the neurons on the run's units with cross-validated ridge regression
(outer --folds, each neuron's penalty chosen by --inner-folds nested cross-validation over a log
grid, --units units drawn --repeats times) and reports the median over neurons of the held-out
Pearson r and R². Samples are rate-map bins; bins empty in the model or in the recording are
dropped. A sweep directory (manifest.jsonl, from "gridcells sweep" or "gridcells reproduce")
stands for its finished runs; the runs it leaves out are counted on stderr.

Inputs:
  --neural FILE.npy                 neurons×n×n (or neurons×n²) rate maps; the run's rate maps are
                                    computed at that n from eval/activations.npy and
                                    eval/positions.npy (or read from ratemaps*.npy of that size)
  --neural FILE --positions P.npy   neurons×samples rates at the samples×2 positions of P; neurons
                                    and the run's activations are both binned on the run's box at
                                    --nbins (default eval.nbins[0])
  --synthetic                       a seeded synthetic population evaluated at the bin centres (or at
                                    --positions, with --headings if given), with --noise

Outputs in --out: ` + predictivityCSV + ` (run, architecture, activation, pr_activations,
pr_ratemaps, median_r, median_r2, n_units, pr_ratemaps_nbins, pr_ratemaps_units) and ` + predictivityFigure + ` (median r
against the rate-map participation ratio, one point per run, coloured by model.rnn_type). The table
is also printed. pr_ratemaps is NFL's x-axis of Fig. 6: the run's 20-bin rate maps (its
ratemaps_20.npy, the analysed units, as NFL's; else all units binned from its activations; else,
for a run with neither, its maps at the fit's size, with a warning), empty bins as 0, smoothed by
scipy's gaussian_filter with σ 2 bins, units as the samples of the PCA. pr_ratemaps_nbins and
pr_ratemaps_units say which maps: the PR grows with both, so compare runs that agree in them.

Examples:
  gridcells predictivity --runs runs/rnn,runs/lstm,runs/ugrnn --synthetic --out fig6
  gridcells predictivity --synthetic --out fig6 runs/architectures
  gridcells predictivity --neural mec.npy --positions mec_pos.npy --units 256 runs/*`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o predictivityOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runPredictivity(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// predictivityRun is one run directory's data.
type predictivityRun struct {
	dir   string
	cfg   config.Config
	box   analysis.Box
	n     int       // rate-map bins per side
	maps  []float64 // units×n×n rate maps
	units int
	prAct float64 // participation ratio of the evaluation activations (NaN without them)
	// prMaps is the rate maps' participation ratio at prBins bins, of prUnits units
	// (prRateMaps).
	prMaps          float64
	prBins, prUnits int
}

// prRateMapBins is the resolution of the rate maps whose participation ratio is paper Fig. 6's
// x-axis: NFL's analyze.py takes the run's rate_maps_nbins=20, the maps of its analysed units.
const prRateMapBins = 20

// defaultRegressors caps the default number of regressors per fit: the ridge fits cost
// O(samples·units²) each, and 256 is the number of units NFL's quick evaluation analyses.
const defaultRegressors = 256

// runPredictivity runs the command; tests call it directly.
func runPredictivity(ctx context.Context, o *predictivityOptions, args []string, stdout, stderr io.Writer) error {
	if err := o.figures.check(stderr, "predictivity"); err != nil {
		return err
	}
	dirs := append(append([]string(nil), o.runs...), args...)
	switch {
	case len(dirs) == 0:
		return usagef("no runs: give run directories with --runs DIR or as arguments")
	case o.neural == "" && !o.synthetic:
		return usagef("no recording: give --neural FILE.npy or --synthetic")
	case o.neural != "" && o.synthetic:
		return usagef("--neural and --synthetic exclude each other")
	case o.headings != "" && (!o.synthetic || o.positions == ""):
		return usagef("--headings needs --synthetic and --positions")
	case o.folds < 2:
		return usagef("--folds %d: need at least 2", o.folds)
	case o.innerFolds < 2:
		return usagef("--inner-folds %d: need at least 2", o.innerFolds)
	case o.units < 0:
		return usagef("--units %d: must be ≥ 0", o.units)
	case o.repeats < 1:
		return usagef("--repeats %d: must be ≥ 1", o.repeats)
	case o.nbins < 0 || o.nbins == 1:
		return usagef("--nbins %d: must be 0 (the run's) or ≥ 2", o.nbins)
	case o.noise < 0:
		return usagef("--noise %g: must be ≥ 0", o.noise)
	}

	// Read every input before computing or writing anything.
	var neural *npyio.Array
	if o.neural != "" {
		a, err := npyio.ReadFile(o.neural)
		if err != nil {
			return usagef("--neural: %v", err)
		}
		if len(a.Shape) != 2 && len(a.Shape) != 3 || a.Shape[0] < 1 {
			return usagef("--neural %s: shape %v, want neurons×n×n, neurons×n² or neurons×samples", o.neural, a.Shape)
		}
		neural = a
	}
	var pos, heading []float32
	if o.positions != "" {
		a, err := npyio.ReadFile(o.positions)
		if err != nil {
			return usagef("--positions: %v", err)
		}
		if len(a.Shape) != 2 || a.Shape[1] != 2 {
			return usagef("--positions %s: shape %v, want samples×2", o.positions, a.Shape)
		}
		pos = a.AsFloat32()
		if neural != nil && (len(neural.Shape) != 2 || neural.Shape[1] != a.Shape[0]) {
			return usagef("--neural %s: shape %v, want neurons×%d (one column per --positions sample)", o.neural, neural.Shape, a.Shape[0])
		}
	}
	if o.headings != "" {
		a, err := npyio.ReadFile(o.headings)
		if err != nil {
			return usagef("--headings: %v", err)
		}
		heading = a.AsFloat32()
		if len(a.Shape) == 0 || a.Shape[0] != len(pos)/2 || len(heading) != len(pos)/2 {
			return usagef("--headings %s: shape %v, want %d headings (one per --positions sample)", o.headings, a.Shape, len(pos)/2)
		}
	}
	var pop *predictivity.Population
	if o.synthetic {
		noise := o.noise
		if noise == 0 {
			noise = -1 // PopulationSettings: −1 means none
		}
		p, err := predictivity.NewPopulation(&predictivity.PopulationSettings{Noise: noise}, o.synthSeed)
		if err != nil {
			return err
		}
		pop = p
	}

	// Resolution of each run's rate maps, and the maps themselves.
	mapsN := 0 // fixed by --neural rate maps
	if neural != nil && pos == nil {
		cells := neural.Shape[1]
		if len(neural.Shape) == 3 {
			if neural.Shape[1] != neural.Shape[2] {
				return usagef("--neural %s: shape %v: rate maps must be square", o.neural, neural.Shape)
			}
			cells *= neural.Shape[2]
		}
		mapsN = int(math.Round(math.Sqrt(float64(cells))))
		if mapsN*mapsN != cells || mapsN < 2 {
			return usagef("--neural %s: shape %v: %d bins per neuron is not an n×n rate map (pass --positions for neurons×samples data)", o.neural, neural.Shape, cells)
		}
	}
	dirs, err := predictivityRunDirs(ctx, dirs, stderr)
	if err != nil {
		return err
	}
	runs := make([]*predictivityRun, len(dirs))
	minUnits := math.MaxInt
	for i, d := range dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := loadPredictivityRun(d, mapsN, o.nbins)
		if err != nil {
			return UsageError{err}
		}
		runs[i] = r
		minUnits = min(minUnits, r.units)
	}
	regressors := o.units
	if regressors == 0 {
		regressors = min(minUnits, defaultRegressors)
	}

	pts := make([]predictivity.Point, len(runs))
	for i, r := range runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := r.n
		y, neurons, err := o.neuralMaps(r, n, neural, pos, heading, pop)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "gridcells predictivity: %s: %d units, %d neurons, %d×%d bins\n", r.dir, r.units, neurons, n, n)
		fit, err := predictivity.Fit(predictivity.Transpose(r.maps, r.units, n*n), predictivity.Transpose(y, neurons, n*n),
			&predictivity.Settings{Folds: o.folds, InnerFolds: o.innerFolds, Units: regressors, Repeats: o.repeats, Seed: o.seed})
		if errors.Is(err, predictivity.ErrTooFewSamples) {
			return UsageError{fmt.Errorf("%s: %w (fewer --folds or --inner-folds, or more finite samples)", r.dir, err)}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r.dir, err)
		}
		if math.IsNaN(fit.MedianR) {
			fmt.Fprintf(stderr, "gridcells predictivity: warning: %s: median r is NaN: the neurons' rates do not vary over the held-out samples, so there is nothing to predict\n", r.dir)
		}
		pts[i] = predictivity.Point{Run: r.dir, Architecture: r.cfg.Model.RNNType, Activation: r.cfg.Model.Activation,
			PRActivity: r.prAct, PRRateMaps: r.prMaps, PRBins: r.prBins, PRUnits: r.prUnits, MedianR: fit.MedianR, MedianR2: fit.MedianR2, Units: fit.Units}
	}

	warnPRMaps(stderr, runs)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := safefile.Write(filepath.Join(o.out, predictivityCSV), func(w io.Writer) error {
		return predictivity.WriteCSV(w, pts)
	}); err != nil {
		return err
	}
	fig, err := predictivity.Figure(pts)
	if err != nil {
		return err
	}
	if err := o.figures.writePlot(filepath.Join(o.out, predictivityFigure), fig, predictivity.FigureWidth, predictivity.FigureHeight); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "run\tarchitecture\tactivation\tPR activations\tPR rate maps (bins)\tmedian r\tmedian R²\tunits\n")
	for _, p := range pts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f (%d)\t%.3f\t%.3f\t%d\n", p.Run, p.Architecture, p.Activation, p.PRActivity, p.PRRateMaps, p.PRBins, p.MedianR, p.MedianR2, p.Units)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "gridcells predictivity: wrote %s and %s\n", filepath.Join(o.out, predictivityCSV), filepath.Join(o.out, predictivityFigure))
	return nil
}

// neuralMaps returns the recording as neurons×n×n rate maps on run r's box.
func (o *predictivityOptions) neuralMaps(r *predictivityRun, n int, neural *npyio.Array, pos, heading []float32, pop *predictivity.Population) ([]float64, int, error) {
	switch {
	case pos == nil && neural != nil:
		return neural.AsFloat64(), neural.Shape[0], nil
	case pos == nil:
		return pop.RateMaps(n, r.box, rand.New(rand.NewPCG(o.synthSeed, 1))), pop.Neurons(), nil
	}
	// Neurons × samples at pos: bin them on the run's grid.
	var rates []float64
	neurons := 0
	if neural != nil {
		rates, neurons = neural.AsFloat64(), neural.Shape[0]
	} else {
		rates, neurons = pop.Rates(pos, heading, rand.New(rand.NewPCG(o.synthSeed, 1))), pop.Neurons()
	}
	maps, err := predictivity.BinSamples(rates, neurons, pos, n, r.box)
	return maps, neurons, err
}

// predictivityRunDirs expands the directories given into run directories: a sweep
// directory (manifest.jsonl, no config.json) stands for its finished runs, in manifest
// order, and says on stderr how many of its runs it leaves out; any other directory is a
// run. A run given twice (by name and in its sweep) is compared once. A sweep with no
// finished run is an error.
func predictivityRunDirs(ctx context.Context, dirs []string, stderr io.Writer) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		key := filepath.Clean(d)
		if abs, err := filepath.Abs(d); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	for _, d := range dirs {
		_, errCfg := os.Stat(filepath.Join(d, "config.json"))
		if _, err := os.Stat(filepath.Join(d, sweep.ManifestFile)); err != nil || errCfg == nil {
			add(d)
			continue
		}
		runs, err := sweep.LoadManifest(ctx, d)
		if err != nil {
			return nil, err // as report and sweep collect return it
		}
		left := map[string]int{}
		finished := 0
		for _, r := range runs {
			rd := sweep.RunDir(d, r.ID)
			if st := sweep.State(rd); st != sweep.StatusFinished {
				left[st]++
				continue
			}
			add(rd)
			finished++
		}
		if finished == 0 {
			return nil, usagef("sweep %s: none of its %d runs has finished (%s)", d, len(runs), statusCounts(left))
		}
		if finished < len(runs) {
			fmt.Fprintf(stderr, "gridcells predictivity: sweep %s: %d finished runs of %d; left out: %s\n", d, finished, len(runs), statusCounts(left))
		}
	}
	return out, nil
}

// loadPredictivityRun reads a run directory: its config, and its rate maps at n bins
// per side (mapsN when the recording fixes it, else nbins, else the run's eval.nbins[0]),
// of every unit from eval/activations.npy and eval/positions.npy when the run has them
// (also giving the activations' participation ratio), otherwise from a ratemaps*.npy of
// that size; and the rate maps' participation ratio at NFL's 20 bins (prRateMaps). The
// activations are not kept.
func loadPredictivityRun(dir string, mapsN, nbins int) (*predictivityRun, error) {
	cfg, err := train.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	// The square around the box, as eval bins its rate maps (config's MapSide).
	r := &predictivityRun{dir: dir, cfg: cfg, box: analysis.SquareBox(cfg.Trajectory.MapSide()), prAct: math.NaN()}
	switch {
	case mapsN > 0:
		r.n = mapsN
	case nbins > 0:
		r.n = nbins
	case len(cfg.Eval.NBins) > 0:
		r.n = cfg.Eval.NBins[0]
	default:
		return nil, fmt.Errorf("%s: config has no eval.nbins; pass --nbins", dir)
	}
	act, err := npyio.ReadFile(filepath.Join(dir, "eval", "activations.npy"))
	if errors.Is(err, os.ErrNotExist) {
		if err := r.readRateMaps(); err != nil {
			return nil, err
		}
		r.prRateMaps(nil, nil)
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	pos, err := npyio.ReadFile(filepath.Join(dir, "eval", "positions.npy"))
	if err != nil {
		return nil, fmt.Errorf("%s: activations without positions: %w", dir, err)
	}
	if len(act.Shape) != 2 || len(pos.Shape) != 2 || pos.Shape[1] != 2 || pos.Shape[0] != act.Shape[0] || act.Shape[1] < 1 {
		return nil, fmt.Errorf("%s: eval/activations.npy %v and eval/positions.npy %v: want rows×units and rows×2", dir, act.Shape, pos.Shape)
	}
	a32, rows, ng := act.AsFloat32(), act.Shape[0], act.Shape[1]
	acc, err := analysis.NewRateMapAccumulator(ng, r.n, r.box)
	if err != nil {
		return nil, err
	}
	acc.Add(pos.AsFloat32(), a32)
	r.maps, r.units = acc.Maps(nil), ng
	if v, err := analysis.ParticipationRatio32(a32, rows, ng); err == nil {
		r.prAct = v
	}
	r.prRateMaps(a32, pos.AsFloat32())
	return r, nil
}

// prRateMaps sets the rate maps' participation ratio (analysis.RateMapParticipationRatio) at
// NFL's prRateMapBins: from the evaluation's rate maps of that size (ratemaps_20.npy, or
// ratemaps.npy when 20 is eval.nbins[0]: the analysed units, as NFL's), else binned from the
// activations act at positions pos (every unit), else from the maps the fit uses, at their
// size (which runPredictivity warns about). The units are the PCA's samples, so their number
// (prUnits) matters too. NaN when the maps have no variance.
func (r *predictivityRun) prRateMaps(act, pos []float32) {
	maps, units, n := r.maps, r.units, r.n
	if act == nil && n == prRateMapBins {
		// The fit's maps are the run's 20-bin rate maps, just read: not read again.
	} else if m, u, ok := evalRateMaps(r.dir, prRateMapBins); ok {
		maps, units, n = m, u, prRateMapBins
	} else if act != nil && n != prRateMapBins {
		acc, err := analysis.NewRateMapAccumulator(r.units, prRateMapBins, r.box)
		if err == nil {
			acc.Add(pos, act)
			maps, n = acc.Maps(nil), prRateMapBins
		}
	}
	r.prBins, r.prUnits = n, units
	r.prMaps = math.NaN() // e.g. a run whose units never vary
	if v, err := analysis.RateMapParticipationRatio(maps, units, n, analysis.RateMapSmoothingSigma); err == nil {
		r.prMaps = v
	}
}

// warnPRMaps says when the rate maps' participation ratios of runs are not comparable: a run
// whose PR is not at NFL's 20 bins (σ is 2 bins at any size, so the same maps give a PR
// nearly twice as high at 44), or runs whose PRs count different numbers of units.
func warnPRMaps(w io.Writer, runs []*predictivityRun) {
	units := map[int]bool{}
	for _, r := range runs {
		units[r.prUnits] = true
		if r.prBins != prRateMapBins {
			fmt.Fprintf(w, "gridcells predictivity: warning: %s: its rate maps' participation ratio is at %d bins (it has neither ratemaps_%d.npy nor eval/activations.npy), not NFL's %d: not comparable with runs at %d\n",
				r.dir, r.prBins, prRateMapBins, prRateMapBins, prRateMapBins)
		}
	}
	if len(units) > 1 {
		var counts []int
		for u := range units {
			counts = append(counts, u)
		}
		sort.Ints(counts)
		fmt.Fprintf(w, "gridcells predictivity: warning: the rate maps' participation ratios count %v units (pr_ratemaps_units): the PR grows with the units, which are the PCA's samples\n", counts)
	}
}

// evalRateMaps returns the rate maps of n×n bins that the run's evaluation wrote
// (ratemaps_N.npy, or ratemaps.npy at eval.nbins[0]) and their count. Other files are not
// looked at, and one that cannot be read is passed over: the maps are then made otherwise.
func evalRateMaps(dir string, n int) (maps []float64, units int, ok bool) {
	for _, name := range []string{"ratemaps_" + strconv.Itoa(n) + ".npy", "ratemaps.npy"} {
		a, err := npyio.ReadFile(filepath.Join(dir, name))
		if err == nil && len(a.Shape) == 3 && a.Shape[0] > 0 && a.Shape[1] == n && a.Shape[2] == n {
			return a.AsFloat64(), a.Shape[0], true
		}
	}
	return nil, 0, false
}

// findRateMaps returns the rate maps of the first ratemaps*.npy of dir with n×n bins and
// their count (nil maps when there is none), and the files of other sizes it read.
func findRateMaps(dir string, n int) (maps []float64, units int, sizes []string, err error) {
	files, _ := filepath.Glob(filepath.Join(dir, "ratemaps*.npy"))
	sort.Strings(files)
	for _, f := range files {
		a, err := npyio.ReadFile(f)
		if err != nil {
			return nil, 0, nil, err
		}
		if len(a.Shape) == 3 && a.Shape[1] == n && a.Shape[2] == n && a.Shape[0] > 0 {
			return a.AsFloat64(), a.Shape[0], nil, nil
		}
		sizes = append(sizes, fmt.Sprintf("%s %v", filepath.Base(f), a.Shape))
	}
	return nil, 0, sizes, nil
}

// readRateMaps reads the run's rate maps from the first ratemaps*.npy of n×n bins.
func (r *predictivityRun) readRateMaps() error {
	maps, units, sizes, err := findRateMaps(r.dir, r.n)
	if err != nil {
		return err
	}
	if maps != nil {
		r.maps, r.units = maps, units
		return nil
	}
	if len(sizes) == 0 && !fileExists(filepath.Join(r.dir, "summary.json")) { // no ratemaps*.npy at all
		return fmt.Errorf("%s: no rate maps: the run has not finished (resume it with gridcells train --resume %s)", r.dir, r.dir)
	}
	if len(sizes) == 0 {
		sizes = []string{"none"}
	}
	return fmt.Errorf("%s: no eval/activations.npy and no ratemaps*.npy of %d×%d bins (have: %s)", r.dir, r.n, r.n, strings.Join(sizes, ", "))
}
