package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/theory"
	"github.com/gridcells/gridcells/train"
)

// evalOptions are the flags of "gridcells eval".
type evalOptions struct {
	nbins           string
	method          string
	moduleThreshold float64
	bandwidth       float64
	quiet           bool
	checkpoint      string
	out             string
	device          string
}

func (o *evalOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.nbins, "nbins", "", "comma-separated rate-map `resolutions` per side, one scorer each, e.g. 44,20,32 (default: the run's eval.nbins)")
	fs.StringVar(&o.method, "method", "", "60° grid score: nfl (min-max), deepmind (mean-difference) or bnt (default: the run's eval.score_method)")
	fs.Float64Var(&o.moduleThreshold, "module-threshold", 0.8, "score60 above which a unit's grid period enters the module detection (NFL Fig. 3 uses 0.8)")
	fs.Float64Var(&o.bandwidth, "bandwidth", 1, "Gaussian KDE bandwidth of the module detection, rate-map bins (NFL: 1)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr (default false)")
	fs.StringVar(&o.checkpoint, "checkpoint", "final", "weights to evaluate: final (a finished run), or latest (the last checkpoint of a run that may still be training; needs --out)")
	fs.StringVar(&o.out, "out", "", "with --checkpoint latest: `directory` for the outputs, outside the run directory (where a summary.json would mark the run finished)")
	fs.StringVar(&o.device, "device", "", "compute `backend` of the evaluation: cpu, cuda, cuda-tf32 or auto (default: the run's training.device, or the CPU when that is a GPU this machine lacks)")
}

func init() {
	register(&Command{
		Name:  "eval",
		Usage: "RUN_DIR [--nbins 44,20,32] [--method nfl|deepmind|bnt] [--module-threshold 0.8] [--checkpoint final|latest --out DIR] [--device D]",
		Short: "evaluate a trained run again: rate maps, grid scores, spacing, modules, decoding error",
		Long: `Eval recomputes the post-training evaluation of a finished run (spec §4.3) from its final
weights: one fresh batch of eval.sequence_length steps (the same batch as at the end of
training), its loss and decoding error, the rate maps and grid scores at every --nbins
resolution with the 60° score of --method, the grid period and orientation of units with
score60 > 0.3 (spec §5.6), and the grid modules: a Gaussian KDE (bandwidth --bandwidth
bins) over the periods of units with score60 > --module-threshold at the first resolution,
one module per density mode, with the ratios of consecutive module scales (biology ≈ 1.4).
NFL's Fig. 3 takes one mode per run and compares runs of different place-cell widths
("gridcells reproduce" does that); the modes within one run are this command's addition. With
a bandwidth of 1 bin and tens of units, sampling noise alone makes extra modes (periods drawn
from one normal of s.d. 2 bins: two or more modes in about half of the 10-unit populations), so
read the module sizes before the ratios. It writes into RUN_DIR:

  eval/activations.npy, eval/positions.npy   the evaluation batch, time-major rows (t·B + b)
  ratemaps.npy, ratemaps_N.npy               rate maps per resolution (units × n × n)
  scores.csv, scores_N.csv                   one row per unit: scores, ring, period, orientation
  summary.json                               headline numbers plus "modules"

config.json is not changed; summary.json records the resolution and method used. Scoring
uses every core.

--checkpoint latest --out DIR evaluates the last checkpoint of a run that has not finished
(still training, or stopped) and writes the same files into DIR instead, leaving the run
directory as it was: a summary.json there would mark the run finished.

Examples:
  gridcells eval runs/dos-seed0
  gridcells eval runs/dos-seed0 --nbins 20 --method deepmind`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o evalOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runEval(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// moduleSummary is the "modules" object of summary.json written by gridcells eval.
type moduleSummary struct {
	Threshold  float64   `json:"score60_threshold"` // units with score60 above it enter the KDE
	NBins      int       `json:"nbins"`             // resolution the periods were measured at
	Bandwidth  float64   `json:"bandwidth_bins"`
	Units      int       `json:"units"`       // units with a measured period above the threshold
	Count      int       `json:"count"`       // modules found
	ScalesBins []float64 `json:"scales_bins"` // module scales (KDE modes), rate-map bins
	ScalesM    []float64 `json:"scales_m"`    // the same in metres
	Sizes      []int     `json:"sizes"`       // units per module
	Ratios     []float64 `json:"ratios"`      // consecutive scale ratios within the run (biology ≈ 1.4; small modules may be noise)
	Note       string    `json:"note,omitempty"`
}

// evalSummary is summary.json as gridcells eval writes it: the train package's summary
// with the module detection added.
type evalSummary struct {
	*train.Summary
	Modules *moduleSummary `json:"modules"`
}

// parseNBins parses a comma-separated list of resolutions.
func parseNBins(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < config.MinNBins || n > config.MaxNBins {
			return nil, fmt.Errorf("--nbins %q: want comma-separated integers from %d to %d, e.g. 44,20,32", s, config.MinNBins, config.MaxNBins)
		}
		out = append(out, n)
	}
	return out, nil
}

// runEval checks the arguments, evaluates the run and adds the modules to summary.json.
func runEval(ctx context.Context, o *evalOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want one RUN_DIR, got %d arguments", len(args))
	}
	if !(o.bandwidth > 0) || math.IsInf(o.bandwidth, 0) {
		return usagef("--bandwidth %g: must be a finite value > 0", o.bandwidth)
	}
	if math.IsNaN(o.moduleThreshold) {
		return usagef("--module-threshold: must be a number")
	}
	dir := args[0]
	cfg, err := train.LoadConfig(dir)
	if err != nil {
		return runDirError(err)
	}
	outDir := dir
	switch o.checkpoint {
	case "final":
		if o.out != "" {
			return usagef("--out is for --checkpoint latest; a finished run is evaluated in place")
		}
		if _, err := os.Stat(filepath.Join(dir, "checkpoint", "final.npz")); err != nil {
			return usagef("%s: no checkpoint/final.npz: the run has not finished training (resume it with gridcells train --resume %s, or evaluate its last checkpoint with --checkpoint latest --out DIR)", dir, dir)
		}
	case "latest":
		if o.out == "" {
			return usagef("--checkpoint latest needs --out DIR")
		}
		a, _ := filepath.Abs(o.out)
		b, _ := filepath.Abs(dir)
		if rel, err := filepath.Rel(b, a); err == nil && (rel == "." || filepath.IsLocal(rel)) {
			// In the run directory a summary.json would mark the run finished; in its eval/
			// or checkpoint/ the files would sit beside, or be taken for, the run's own.
			return usagef("--out %s: must be outside the run directory %s", o.out, dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "checkpoint", "latest.npz")); err != nil {
			return usagef("%s: no checkpoint/latest.npz yet", dir)
		}
		outDir = o.out
	default:
		return usagef("--checkpoint %q: allowed: final, latest", o.checkpoint)
	}
	ev := cfg.Eval
	if o.nbins != "" {
		if ev.NBins, err = parseNBins(o.nbins); err != nil {
			return usagef("%v", err)
		}
	}
	if o.method != "" {
		m, err := analysis.ParseMethod(o.method)
		if err != nil {
			return usagef("--method: %v", err)
		}
		ev.ScoreMethod = string(m)
	}
	check := cfg.Clone()
	check.Eval = ev
	validate := check.Validate // the run's own config loads as it was written
	if o.nbins != "" {
		validate = check.ValidateNew
	}
	if err := validate(); err != nil {
		return usagef("%v", err)
	}
	be, err := evalBackend(o.device, cfg.Training.Device, stderr, o.quiet)
	if err != nil {
		return err
	}
	defer closeBackend(be, stderr)
	if !o.quiet {
		fmt.Fprintf(stderr, "evaluating %s: nbins %v, %s score\n", dir, ev.NBins, ev.ScoreMethod)
	}
	opt := train.Options{Version: version, Backend: be}
	var sum *train.Summary
	if o.checkpoint == "latest" {
		sum, err = train.EvaluateLatest(ctx, dir, outDir, &ev, opt)
	} else {
		sum, err = train.EvaluateWith(ctx, dir, ev, opt)
	}
	if err != nil {
		return err
	}
	mods, err := detectModules(filepath.Join(outDir, "scores.csv"), ev.NBins[0], cfg.Trajectory.MapSide(), o.moduleThreshold, o.bandwidth)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(evalSummary{Summary: sum, Modules: mods}, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.WriteFile(filepath.Join(outDir, "summary.json"), append(b, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loss %.4f, decoding error %.2f cm (batch %d × %d steps)\n", float64(sum.Loss), float64(sum.DecodingErrorCM), sum.EvalBatch, sum.EvalSequence)
	for _, n := range ev.NBins {
		fmt.Fprintf(stdout, "max score60 (%s, %d bins) %.3f\n", sum.ScoreMethod, n, float64(sum.MaxScore60ByNBins[strconv.Itoa(n)]))
	}
	fmt.Fprintf(stdout, "units above 0.3/0.8/1.2 (%d bins): %.0f%% / %.0f%% / %.0f%%; has possible grid cells: %v\n", sum.NBins,
		100*sum.FracAbove["0.3"], 100*sum.FracAbove["0.8"], 100*sum.FracAbove["1.2"], sum.HasPossibleGridCells)
	if mods.Count > 0 {
		fmt.Fprintf(stdout, "modules: %d from %d units, scales %s m, ratios %s\n", mods.Count, mods.Units, floats(mods.ScalesM), floats(mods.Ratios))
	} else {
		fmt.Fprintf(stdout, "modules: none (%s)\n", mods.Note)
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(outDir, "summary.json"))
	return nil
}

// detectModules runs the module detection on a run's scores.csv (spec §5.6, NFL Fig. 3):
// a KDE over the periods of units with score60 > threshold.
func detectModules(path string, nbins int, mapSide, threshold, bandwidth float64) (*moduleSummary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, err := theory.ReadScoresCSV(f, nbins)
	if err != nil {
		return nil, err
	}
	return modulesOf(u.Score60, u.Period, nbins, mapSide, threshold, bandwidth), nil
}

// modulesOf groups the periods (bins) of units with score60 > threshold into modules.
func modulesOf(score60, period []float64, nbins int, mapSide, threshold, bandwidth float64) *moduleSummary {
	ms := &moduleSummary{Threshold: threshold, NBins: nbins, Bandwidth: bandwidth, ScalesBins: []float64{}, ScalesM: []float64{}, Sizes: []int{}, Ratios: []float64{}}
	var periods []float64
	for i, s := range score60 {
		if s > threshold && !math.IsNaN(period[i]) {
			periods = append(periods, period[i])
		}
	}
	ms.Units = len(periods)
	if len(periods) == 0 {
		ms.Note = fmt.Sprintf("no unit with score60 > %g has a measured period", threshold)
		return ms
	}
	m, err := analysis.ModulesKDE(periods, &analysis.KDESettings{Bandwidth: bandwidth, Hi: math.Max(150, 2*float64(nbins))})
	if err != nil {
		ms.Note = err.Error()
		return ms
	}
	bin := mapSide / float64(nbins)
	for _, mod := range m.Modules {
		ms.ScalesBins = append(ms.ScalesBins, mod.Scale)
		ms.ScalesM = append(ms.ScalesM, mod.Scale*bin)
		ms.Sizes = append(ms.Sizes, len(mod.Members))
	}
	ms.Ratios = append(ms.Ratios, m.Ratios...)
	ms.Count = len(m.Modules)
	return ms
}

// floats formats values with 3 significant digits.
func floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', 3, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// evalBackend opens the backend of an evaluation: device, or when it is "" the run's own
// (trained) device, falling back to the CPU when that is a GPU this machine cannot open: a
// run trained on a cluster's GPU is often analysed on a laptop. The choice goes to logw.
func evalBackend(device, trained string, logw io.Writer, quiet bool) (compute.Backend, error) {
	w := logw
	if quiet {
		w = io.Discard
	}
	if device != "" {
		return openBackend(device, w, "")
	}
	b, which, err := train.NewBackend(trained)
	if errors.Is(err, train.ErrDeviceUnavailable) {
		fmt.Fprintf(w, "device: cpu (the run trained on %s, which this machine lacks: %v)\n", trained, err)
		return cpu.New(nil), nil
	}
	if err != nil {
		return nil, UsageError{err}
	}
	fmt.Fprintf(w, "device: %s\n", which)
	return b, nil
}

// runDirError classifies an error from reading a run directory: a directory that holds no
// run (a wrong path) is a usage error, exit 2; a run whose files are damaged (a truncated
// config.json, a corrupt checkpoint) is not, exit 1, as with any other unreadable data.
func runDirError(err error) error {
	if errors.Is(err, train.ErrNoRun) {
		return UsageError{err}
	}
	return err
}
