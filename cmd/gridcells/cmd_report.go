package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/report"
	"github.com/gridcells/gridcells/report/figure"
	"github.com/gridcells/gridcells/sim"
	"github.com/gridcells/gridcells/sweep"
	"github.com/gridcells/gridcells/theory"
	"github.com/gridcells/gridcells/train"
)

// reportOptions are the flags of "gridcells report".
type reportOptions struct {
	out      string
	top      int
	paths    int
	by       string
	decodeCM float64
	grid     float64
	runs     bool
	theory   bool
	labels   []string // names of the sweep's conditions in figures (gridcells reproduce's); nil: made from the keys
	// noPeriods leaves out the period-vs-width figure: gridcells reproduce draws its own in
	// the paper's 5-cm bins, and a second in the runs' bins (another KDE) would disagree.
	noPeriods bool
	figures   figureOutput
}

func (o *reportOptions) AddFlags(fs *flag.FlagSet) {
	addFigureFlags(fs, &o.figures, "in DIR/figures")
	fs.StringVar(&o.out, "out", "", "HTML `file` to write (default DIR/report.html); the figures always go to DIR/figures/")
	fs.IntVar(&o.top, "top", 0, "run: `units` with the highest grid scores shown in the montage and autocorrelograms (0: the run's eval.plot_units, 16 in every preset)")
	fs.IntVar(&o.paths, "paths", 5, "run: evaluation `trajectories` drawn (0: no trajectory figure)")
	fs.StringVar(&o.by, "by", "", "sweep: comma-separated config `keys` that define a condition, or none to pool every run (default: the swept keys except seed)")
	fs.Float64Var(&o.decodeCM, "decode-cm", sweep.DefaultDecodeThresholdCM, "sweep: decoding-error `threshold` (cm) below which a network decodes (spec §5.6)")
	fs.Float64Var(&o.grid, "grid-threshold", sweep.DefaultGridThreshold, "sweep: max score60 `threshold` above which a decoding network has possible grid cells")
	fs.BoolVar(&o.theory, "theory", true, "add the covariance spectrum of the target code(s) from package theory (spec §8; a second or two per code)")
	fs.BoolVar(&o.runs, "runs", false, "sweep: also write report.html (and figures/) in every finished run directory, linked from the runs table (default false)")
}

func init() {
	register(&Command{
		Name:  "report",
		Usage: "RUN_DIR|SWEEP_DIR [--out report.html] [--top N] [--by KEY,KEY] [--runs] [--formats png,svg,pdf] [--figure-width 5.5in]",
		Short: "self-contained HTML report (figures embedded) of a run or a sweep",
		Long: `Report writes DIR/figures/*.png and a self-contained report.html (figures embedded as data
URIs, inline CSS, no external resource: it reads offline and can be mailed alone). With
--formats png,svg,pdf every figure is also written as SVG and PDF (vector, fonts embedded)
for a paper. The files are at the page's screen size (7.5-9.5 in wide, 12 pt labels) unless
--figure-width lays them out for a printed page: that wide (narrower only where that would
print taller than 9 in), their axis labels at --figure-font-size (9 pt; ticks 7.5 pt)
whatever the width, PNGs at --figure-dpi (300); report.html keeps the screen size.

A run directory (config.json + summary.json, from "gridcells train") gives: the headline
numbers of summary.json, training curves from metrics.jsonl, a montage of the rate maps of
the --top units with the highest 60° grid scores (ratemaps.npy, scores.csv), their
autocorrelograms with the ring of each score, the distribution of unit scores as a
survival function, the evaluation trajectories and occupancy (eval/positions.npy), a
sortable units table and the resolved config.

A sweep directory (manifest.jsonl, from "gridcells sweep expand") gives: the paper's table
per condition (finished runs, fraction with decoding error < --decode-cm and of those the
fraction with max score60 > --grid-threshold, Wilson 95 % intervals; spec §7.1; and, where
the runs scored their units during training, the median step from which their grid cells
emerged) and its bar chart (Fig. 2a), the survival functions of the per-unit scores pooled per condition
(Fig. 2b), grid period vs place-cell width with theory's prediction when the width varies
(Fig. 3), and a sortable table of all runs. Unfinished runs are listed and not counted.

Examples:
  gridcells report runs/dos-seed0
  gridcells report sweeps/encodings --by encoding.kind --runs
  gridcells report runs/dos-seed0 --out /tmp/dos.html`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o reportOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runReport(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// Kinds of directory "gridcells report" accepts.
const (
	reportRun   = "run"
	reportSweep = "sweep"
)

// reproduceComparison is the file that marks a directory gridcells reproduce wrote.
const reproduceComparison = "comparison.csv"

// reportKind says whether dir is a run or a sweep directory.
func reportKind(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", usagef("%v", err)
	}
	if !st.IsDir() {
		return "", usagef("%s is not a directory", dir)
	}
	has := func(name string) bool { return fileExists(filepath.Join(dir, name)) }
	switch {
	case has(sweep.ManifestFile) && has(reproduceComparison):
		// Its report.html and figures hold the paper comparison, which the plain sweep
		// report would replace (and its figure clean-up delete).
		return "", usagef("%s holds a gridcells reproduce result, whose report compares it with the paper: remake it with gridcells reproduce RESULT --scale S --out %s --collect-only", dir, dir)
	case has(sweep.ManifestFile):
		return reportSweep, nil
	case has("config.json") && has("summary.json"):
		return reportRun, nil
	case has("config.json"):
		if _, err := train.LoadConfig(dir); err != nil {
			return "", usagef("%s: not a gridcells run directory: %v", dir, err)
		}
		return "", usagef("%s: run directory without summary.json: the run has not finished (resume it with gridcells train --resume)", dir)
	}
	return "", usagef("%s: neither a run directory (config.json + summary.json) nor a sweep directory (%s)", dir, sweep.ManifestFile)
}

// runReport checks the arguments, builds the report of the run or sweep directory and
// writes its figures and HTML.
func runReport(ctx context.Context, o *reportOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want exactly one RUN_DIR or SWEEP_DIR argument, got %d", len(args))
	}
	if err := o.figures.check(stderr, "report"); err != nil {
		return err
	}
	if o.top < 0 {
		return usagef("--top %d: must be ≥ 1, or 0 for the run's eval.plot_units", o.top)
	}
	if o.paths < 0 {
		return usagef("--paths %d: must be ≥ 0", o.paths)
	}
	if err := checkNetworkThresholds(o.decodeCM, o.grid, "--decode-cm"); err != nil {
		return err
	}
	dir := args[0]
	kind, err := reportKind(dir)
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = filepath.Join(dir, "report.html")
	} else if err := checkOutFile("--out", out); err != nil {
		return err
	}
	if kind == reportRun && (o.by != "" || o.runs) {
		return usagef("--by and --runs are for a sweep directory; %s is a run", dir)
	}
	var rep *report.Report
	switch kind {
	case reportRun:
		rep, err = runReportOf(ctx, dir, o)
	case reportSweep:
		rep, err = sweepReportOf(ctx, dir, out, o, stderr)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil { // Ctrl-C while the report was drawn: write nothing
		return err
	}
	if err := o.figures.writeReport(rep, dir); err != nil {
		return err
	}
	if err := rep.WriteFile(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s report, %d figures in %s)\n", out, kind, len(rep.Figures), filepath.Join(dir, report.FiguresDir))
	return nil
}

// runFile is the part of a run's config.json that the report reads without validating
// the whole config (a report of an old run should not fail on a newer key set).
type runFile struct {
	GridcellsVersion string `json:"gridcells_version"`
	Backend          string `json:"backend"`
	Config           struct {
		Trajectory struct {
			BoxWidth  float64 `json:"box_width"`
			BoxHeight float64 `json:"box_height"`
		} `json:"trajectory"`
	} `json:"config"`
}

// runSummary is the part of summary.json that sets the report's thresholds and the
// evaluation batch layout.
type runSummary struct {
	EvalBatch     int     `json:"eval_batch_size"`
	EvalSequence  int     `json:"eval_sequence_length"`
	GridThreshold float64 `json:"grid_threshold"`
	DecodeCM      float64 `json:"decode_threshold_cm"`
	NBins         int     `json:"nbins"` // of ratemaps.npy and scores.csv (eval --nbins may differ from the config)
}

// evalTrajectories is the trajectory figure's data of the run in dir: the first `paths`
// evaluation trajectories of its eval/positions.npy (batch size batch, time-major rows t·B +
// b, sim's layout) in the w × h box, the occupancy of a square box binned like the rate maps
// (nbins, so that its empty bins are their grey ones; 0, and any box that is not square:
// the figure's default). Nil without the file or with one of another shape.
func evalTrajectories(dir string, batch, paths int, w, h float64, nbins int) (*figure.TrajectoryData, error) {
	a, err := npyio.ReadFile(filepath.Join(dir, "eval", "positions.npy"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if len(a.Shape) != 2 || a.Shape[1] != 2 || a.Shape[0]%batch != 0 || !(w > 0 && h > 0) {
		return nil, nil
	}
	b := &sim.Batch{B: batch, T: a.Shape[0] / batch, Pos: a.AsFloat32()}
	d := figure.TrajectoriesOf(b, paths, w, h)
	if w == h {
		// The rate maps bin the square of side max(w, h) (spec §5.1); in a square box that
		// is the box, and the occupancy's bins are theirs.
		d.Bins = nbins
	}
	return &d, nil
}

// runReportOf reads the run directory dir into a report.Run and renders it.
func runReportOf(ctx context.Context, dir string, o *reportOptions) (*report.Report, error) {
	// Loading the run first finishes an evaluation that a kill left half moved into place,
	// so that the maps, scores and summary read below are of one evaluation.
	cfg, err := train.LoadConfig(dir)
	if err != nil {
		return nil, runDirError(err)
	}
	cfgBytes, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var rf runFile
	if err := json.Unmarshal(cfgBytes, &rf); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, cfgBytes, "", "  "); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	sumBytes, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, err
	}
	var sum runSummary
	if err := json.Unmarshal(sumBytes, &sum); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.json"), err)
	}
	headline, err := flattenJSON(sumBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.json"), err)
	}
	for i := range headline {
		if headline[i].Name == "first_grid_step" {
			// −1 and null are sentinels (train.Summary): say what they mean.
			switch headline[i].Value {
			case "-1":
				headline[i].Value = "none"
			case "–":
				headline[i].Value = "not tracked"
			}
		}
		headline[i].Name = headlineName(headline[i].Name)
	}
	abs, _ := filepath.Abs(dir)
	r := &report.Run{
		Title:             "run " + filepath.Base(abs),
		Config:            pretty.String(),
		Headline:          headline,
		DecodeThresholdCM: sum.DecodeCM,
		GridThreshold:     sum.GridThreshold,
		Top:               topUnits(dir, o.top),
		CurveEval:         [2]int{cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength},
		FinalEval:         [2]int{sum.EvalBatch, sum.EvalSequence},
	}
	if rf.GridcellsVersion != "" {
		r.Notes = append(r.Notes, fmt.Sprintf("Trained with gridcells %s on %s.", rf.GridcellsVersion, rf.Backend))
	}

	if lines, err := train.ReadMetrics(dir); err == nil {
		for _, l := range lines {
			m := figure.MetricPoint{Step: l.Step, Loss: float64(l.Loss), EvalLoss: float64(l.EvalLoss), DecodingErrorCM: float64(l.DecodingErrorCM)}
			if l.MaxScore60 != nil || l.FracAbove03 != nil {
				// A null score (no unit had one) reads back as absent: NaN, a gap in the curve.
				m.Scored, m.MaxScore60, m.FracAbove03 = true, numberOr(l.MaxScore60), numberOr(l.FracAbove03)
			}
			r.Metrics = append(r.Metrics, m)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}

	units, err := readUnitScores(filepath.Join(dir, "scores.csv"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if a, err := npyio.ReadFile(filepath.Join(dir, "ratemaps.npy")); err == nil {
		if len(a.Shape) != 3 || a.Shape[1] != a.Shape[2] {
			return nil, fmt.Errorf("%s: shape %v, want units×n×n", filepath.Join(dir, "ratemaps.npy"), a.Shape)
		}
		if a.Shape[0] != len(units) {
			return nil, fmt.Errorf("%s: %d maps but scores.csv has %d units", filepath.Join(dir, "ratemaps.npy"), a.Shape[0], len(units))
		}
		// Only the maps drawn (the top units by score) are converted: all of them at 512
		// bins are 2 GiB of float64 for a 1 GiB file.
		n := a.Shape[1]
		r.NBins = n
		for _, i := range report.DrawnUnits(units, r.Top) {
			lo, hi := i*n*n, (i+1)*n*n
			switch {
			case a.F32 != nil:
				units[i].Map = npyio.NewFloat32(a.F32[lo:hi], n*n).AsFloat64()
			case a.F64 != nil:
				units[i].Map = a.F64[lo:hi]
			default: // integer maps (another tool's): converted as before
				units[i].Map = npyio.NewInt64(a.I64[lo:hi], n*n).AsFloat64()
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	r.Units = units

	if o.paths > 0 && sum.EvalBatch > 0 {
		d, err := evalTrajectories(dir, sum.EvalBatch, o.paths, rf.Config.Trajectory.BoxWidth, rf.Config.Trajectory.BoxHeight, r.NBins)
		if err != nil {
			return nil, err
		}
		r.Trajectories = d
	}
	if o.theory {
		if cfg, err := train.LoadConfig(dir); err == nil {
			panel, err := spectrumOf(ctx, encodingName(cfg), cfg)
			if err != nil {
				r.Notes = append(r.Notes, fmt.Sprintf("No covariance spectrum: %v.", err))
			} else {
				r.Spectrum = &panel
			}
			if note := periodNote(cfg, sum.NBins, r.Units, sum.GridThreshold); note != "" {
				r.Notes = append(r.Notes, note)
			}
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("No covariance spectrum: %v.", err))
		}
	}
	return report.NewRunReport(r)
}

// topUnits is the number of units a run's report draws: top, or when it is 0 the run's
// eval.plot_units (NFL n_recurrent_units_to_sample), or 16 when the config cannot say.
func topUnits(dir string, top int) int {
	if top > 0 {
		return top
	}
	if cfg, err := train.LoadConfig(dir); err == nil && cfg.Eval.PlotUnits > 0 {
		return cfg.Eval.PlotUnits
	}
	return 16
}

// periodNote compares theory's grid period for the run's code (closed form, spec §8.4)
// with the median period of the units that score above the grid threshold.
func periodNote(cfg config.Config, nbins int, units []report.Unit, threshold float64) string {
	sigma, k, predicted, ok := placeCellWidth(cfg, nbins)
	if !ok || !(k > 0) {
		return ""
	}
	var periods []float64
	for _, u := range units {
		if u.Score60 > threshold && !math.IsNaN(u.Period) {
			periods = append(periods, u.Period)
		}
	}
	note := fmt.Sprintf("Theory (spec §8.2, §8.4): σ = %g m gives k* = %.2f rad/m and a predicted grid period of %.1f rate-map bins.", sigma, k, predicted)
	if len(periods) > 0 {
		slices.Sort(periods)
		note += fmt.Sprintf(" Measured: median %.1f bins over the %d units with score60 > %g.", periods[len(periods)/2], len(periods), threshold)
	}
	return note
}

// spectrumOf computes the covariance spectrum of the target code of cfg (its place-cell
// centres drawn as the run draws them) over the run's box with package theory's defaults.
func spectrumOf(ctx context.Context, name string, cfg config.Config) (figure.SpectrumPanel, error) {
	code, err := encode.ForRun(cfg)
	if err != nil {
		return figure.SpectrumPanel{}, err
	}
	sp, err := theory.ComputeSpectrum(ctx, code, cfg.Trajectory.BoxWidth, cfg.Trajectory.BoxHeight, nil)
	if err != nil {
		return figure.SpectrumPanel{}, err
	}
	return figure.SpectrumPanelOf(name, sp), nil
}

// kindNames are the paper's names of the target codes (spec §2.2).
var kindNames = map[string]string{
	"cartesian":                       "Cartesian",
	"high_dim_cartesian":              "high-dim Cartesian",
	"polar":                           "polar",
	"high_dim_polar":                  "high-dim polar",
	"gaussian":                        "Gaussian",
	"difference_of_gaussians":         "DoS",
	"true_difference_of_gaussians":    "true DoG",
	"general_difference_of_gaussians": "general DoG",
	"softmax_of_differences":          "SoD",
}

// encodingName names a run's target code: its kind as the paper names it and, for place
// cells, width and surround.
func encodingName(cfg config.Config) string {
	name, ok := kindNames[cfg.Encoding.Kind]
	if !ok {
		name = cfg.Encoding.Kind
	}
	rf, _ := config.Get(cfg, "encoding.place_cell_rf")
	s, _ := config.Get(cfg, "encoding.surround_scale")
	return name + placeFields(cfg.Encoding.Kind, rf, s)
}

// spectrumTitle names a sweep's spectrum panel: the run's name (the paper's category, which
// tells multi-field, anisotropic and plain DoS codes of one σ apart) with its constant σ and
// surround, else encodingName. Drawn widths ("Uniform( 1.25 , 4.5 )") are left to the name:
// panel titles sit side by side.
func spectrumTitle(cfg config.Config) string {
	if cfg.Name == "" {
		return encodingName(cfg)
	}
	e := cfg.Encoding
	var rf, s string
	if e.PlaceCellRF.IsConst() {
		rf = strconv.FormatFloat(e.PlaceCellRF.A, 'g', -1, 64)
	}
	if e.SurroundScale.IsConst() {
		s = strconv.FormatFloat(e.SurroundScale.A, 'g', -1, 64)
	}
	return cfg.Name + placeFields(e.Kind, rf, s)
}

// placeFields is ", σ RF m, surround ×S" for a place code of kind (no surround for the
// Gaussian), each part left out when empty, and "" for other codes.
func placeFields(kind, rf, s string) string {
	if !strings.Contains(kind, "gaussian") && !strings.Contains(kind, "softmax") {
		return ""
	}
	t := ""
	if rf != "" {
		t += ", σ " + rf + " m"
	}
	if kind != "gaussian" && s != "" {
		t += ", surround ×" + s
	}
	return t
}

// readUnitScores reads a run's scores.csv (package train's columns: unit, score60,
// score90, outer60, period_bins, ...) by column name; absent columns read as NaN.
func readUnitScores(path string) ([]report.Unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no header", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	if _, ok := col["score60"]; !ok {
		return nil, fmt.Errorf("%s: no score60 column", path)
	}
	get := func(row []string, name string) (float64, error) {
		i, ok := col[name]
		if !ok || i >= len(row) || row[i] == "" {
			return math.NaN(), nil
		}
		return strconv.ParseFloat(row[i], 64)
	}
	units := make([]report.Unit, 0, len(rows)-1)
	for line, row := range rows[1:] {
		u := report.Unit{Unit: line}
		if i, ok := col["unit"]; ok && i < len(row) {
			if u.Unit, err = strconv.Atoi(row[i]); err != nil {
				return nil, fmt.Errorf("%s: line %d: unit %q: %w", path, line+2, row[i], err)
			}
		}
		for _, c := range []struct {
			name string
			dst  *float64
		}{{"score60", &u.Score60}, {"score90", &u.Score90}, {"outer60", &u.Outer60}, {"period_bins", &u.Period}} {
			if *c.dst, err = get(row, c.name); err != nil {
				return nil, fmt.Errorf("%s: line %d: %s: %w", path, line+2, c.name, err)
			}
		}
		units = append(units, u)
	}
	return units, nil
}

// summaryNames are the readable names of summary.json's keys (train.Summary) in a report's
// headline table; a key of an object is followed by its member's key ("frac_units_score60_above 0.3").
var summaryNames = map[string]string{
	"steps":                       "training steps",
	"wall_s":                      "training time (s)",
	"steps_per_s":                 "steps per second",
	"backend":                     "backend",
	"eval_batch_size":             "evaluation trajectories",
	"eval_sequence_length":        "evaluation steps per trajectory",
	"loss":                        "evaluation loss",
	"loss_kind":                   "loss",
	"decoding_error_cm":           "decoding error (cm)",
	"score_method":                "grid-score method",
	"nbins":                       "rate-map bins per side",
	"units_scored":                "units scored",
	"max_score60":                 "max score60",
	"frac_units_score60_above":    "fraction of units with score60 >",
	"grid_threshold":              "grid-cell threshold (max score60 >)",
	"decode_threshold_cm":         "decoding threshold (cm)",
	"has_possible_grid_cells":     "possible grid cells (paper's rule)",
	"max_score60_by_nbins":        "max score60 at bins per side",
	"best_eval_step":              "step of the best evaluation",
	"best_eval_decoding_error_cm": "best evaluation decoding error (cm)",
	"diverged":                    "diverged",
	"first_grid_step":             "grid cells from step (the best unit above the threshold there and at the next evaluation)",
}

// headlineName is the readable name of a flattened summary key: its first word through
// summaryNames, the rest (an object member's key) after it.
func headlineName(key string) string {
	first, rest, _ := strings.Cut(key, " ")
	name, ok := summaryNames[first]
	if !ok {
		return key
	}
	if rest != "" {
		name += " " + rest
	}
	return name
}

// flattenJSON returns the leaves of a JSON object in file order as name–value items,
// nested keys joined by " " ("frac_units_score60_above 0.8"); numbers are shown with six
// significant digits, null as "–".
func flattenJSON(data []byte) ([]report.Item, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var items []report.Item
	var walk func(prefix string) error
	walk = func(prefix string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return err
					}
					name := kt.(string)
					if prefix != "" {
						name = prefix + " " + name
					}
					if err := walk(name); err != nil {
						return err
					}
				}
			case '[':
				var parts []string
				for dec.More() {
					var x any
					if err := dec.Decode(&x); err != nil {
						return err
					}
					parts = append(parts, fmt.Sprint(x))
				}
				items = append(items, report.Item{Name: prefix, Value: strings.Join(parts, ", ")})
			}
			_, err := dec.Token() // the closing delimiter
			return err
		case json.Number:
			s := v.String()
			if f, err := v.Float64(); err == nil && strings.ContainsAny(s, ".eE") {
				s = strconv.FormatFloat(f, 'g', 6, 64)
			}
			items = append(items, report.Item{Name: prefix, Value: s})
		case nil:
			items = append(items, report.Item{Name: prefix, Value: "–"})
		default:
			items = append(items, report.Item{Name: prefix, Value: fmt.Sprint(v)})
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	return items, nil
}

// sweepReportOf collects the sweep directory dir (package sweep) into a report.Sweep and
// renders it; out is where the page goes, for the links to the runs' reports.
func sweepReportOf(ctx context.Context, dir, out string, o *reportOptions, stderr io.Writer) (*report.Report, error) {
	runs, err := sweep.LoadManifest(ctx, dir)
	if err != nil {
		return nil, err
	}
	results, err := sweep.Collect(ctx, dir, runs)
	if err != nil {
		return nil, err
	}
	var by []string
	switch o.by {
	case "":
		by = sweep.DefaultBy(results)
	case "none": // as sweep collect: one condition of every run
	default:
		for _, k := range strings.Split(o.by, ",") {
			by = append(by, strings.TrimSpace(k))
		}
	}
	th := sweep.Thresholds{DecodeCM: o.decodeCM, Grid: o.grid}
	keys, conds, err := sweep.Table(results, by, th)
	if err != nil {
		var ce *config.ConfigError
		if errors.As(err, &ce) {
			return nil, UsageError{err}
		}
		return nil, err
	}
	var groupingNote string
	if o.by == "" {
		groupingNote = sweep.GroupingNote(keys, conds, len(results))
	}
	abs, _ := filepath.Abs(dir)
	s := &report.Sweep{Title: "sweep " + filepath.Base(abs), Keys: keys, DecodeCM: o.decodeCM, Grid: o.grid}
	if groupingNote != "" {
		s.Notes = append(s.Notes, "The conditions: "+groupingNote+" (gridcells report).")
	}
	if note := sweep.ScoringNote(results); note != "" {
		s.Notes = append(s.Notes, "Warning: "+note+".")
	}
	if len(o.labels) == len(conds) {
		s.Labels = o.labels
	}
	condIndex := map[string]int{}
	for i, c := range conds {
		condIndex[strings.Join(c.Values, "\x00")] = i
		s.Conditions = append(s.Conditions, report.Condition{Values: c.Values, Runs: c.Runs, N: c.N,
			FracDecode: fraction(c.FracDecode, c.Decoded, c.N), FracGrid: fraction(c.FracGrid, c.Grid, c.Decoded),
			Tracked: c.Tracked, GridFromCell: c.GridFromCell(), MedianGridFrom: c.MedianGridFrom()})
	}
	for _, r := range results {
		for _, p := range r.Run.Params {
			if !slices.Contains(s.ParamKeys, p.Key) {
				s.ParamKeys = append(s.ParamKeys, p.Key)
			}
		}
	}
	periods := &figure.PeriodData{}
	sigmaPeriods := map[float64][]float64{}
	// theoryAt is theory's predicted period per place-cell width, at the surround scale
	// (theoryS) nearest theory.ReferenceSurround among the width's runs: the prediction
	// depends on s, which a DoS sweep varies at each width.
	theoryAt, theoryS := map[float64]float64{}, map[float64]float64{}
	surrounds := map[float64]bool{}
	binCM := map[float64]bool{} // rate-map bin sides of the runs, cm
	unreadable := 0
	for _, r := range results {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rd := sweep.RunDir(dir, r.Run.ID)
		row := report.SweepRun{ID: r.Run.ID, Index: r.Run.Index, Status: r.Status, Error: r.Error,
			DecodingErrorCM: math.NaN(), MaxScore60: math.NaN()}
		for _, k := range s.ParamKeys {
			v, _ := r.Run.Params.Get(k)
			row.Params = append(row.Params, v)
		}
		if r.Summary != nil {
			row.DecodingErrorCM = float64(r.Summary.DecodingErrorCM)
			row.MaxScore60 = float64(r.Summary.MaxScore60)
			row.Steps = r.Summary.Steps
			row.HasGrid = th.Passes(r.Summary)
			row.Diverged = r.Summary.Diverged
		}
		if r.Status == sweep.StatusFinished {
			if o.runs {
				rep, err := runReportOf(ctx, rd, o)
				if err == nil {
					err = o.figures.writeReport(rep, rd) // warned once per figure name for all the runs
				}
				if err == nil {
					err = rep.WriteFile(filepath.Join(rd, "report.html"))
				}
				if err != nil {
					return nil, fmt.Errorf("run %s: %w", r.Run.ID, err)
				}
			}
			if fileExists(filepath.Join(rd, "report.html")) {
				if rel, err := filepath.Rel(filepath.Dir(out), filepath.Join(rd, "report.html")); err == nil {
					row.Link = filepath.ToSlash(rel)
				}
			}
			units, err := readUnitScores(filepath.Join(rd, "scores.csv"))
			if err != nil {
				unreadable++
				fmt.Fprintf(stderr, "gridcells report: run %s: %v\n", r.Run.ID, err)
			} else {
				ci, err := conditionOf(r.Run, keys, condIndex)
				if err != nil {
					return nil, err
				}
				c := &s.Conditions[ci]
				if c.Scores == nil {
					c.Scores = []float64{}
				}
				nbins := 0
				if r.Summary != nil {
					nbins = r.Summary.NBins
				}
				sigma, _, predicted, ok := placeCellWidth(r.Run.Config, nbins)
				for _, u := range units {
					c.Scores = append(c.Scores, u.Score60)
					if ok && u.Score60 > o.grid && !math.IsNaN(u.Period) {
						periods.Units = append(periods.Units, figure.PeriodPoint{Sigma: sigma, Period: u.Period})
						sigmaPeriods[sigma] = append(sigmaPeriods[sigma], u.Period)
					}
				}
				if ok {
					s := r.Run.Config.Encoding.SurroundScale.A
					surrounds[s] = true
					if old, seen := theoryS[sigma]; !seen || theory.NearerReference(s, old) {
						theoryAt[sigma], theoryS[sigma] = predicted, s
					}
					if nbins <= 0 {
						nbins = r.Run.Config.Eval.NBins[0] // placeCellWidth's ok says there is one
					}
					binCM[math.Round(1e4*r.Run.Config.Trajectory.MapSide()/float64(nbins))/100] = true
				}
			}
		}
		s.Runs = append(s.Runs, row)
	}
	if unreadable > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d finished runs have no readable scores.csv; their units are missing from the score distributions.", unreadable))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Fig. 3 only when the place-cell width varies over the sweep.
	if len(theoryAt) > 1 && !o.noPeriods {
		for sigma, pred := range theoryAt {
			periods.Theory = append(periods.Theory, figure.PeriodPoint{Sigma: sigma, Period: pred})
			if ps := sigmaPeriods[sigma]; len(ps) > 0 {
				if m, err := analysis.ModulesKDE(ps, nil); err == nil && len(m.Density) > 0 {
					periods.Modes = append(periods.Modes, figure.PeriodPoint{Sigma: sigma, Period: m.Grid[argmax(m.Density)]})
				}
			}
		}
		if len(binCM) == 1 {
			for b := range binCM {
				periods.BinCM = b
			}
		}
		periods.TheorySurround = surroundNote(surrounds, theoryS)
		s.Periods = periods
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.theory {
		s.Spectra, s.Notes = sweepSpectra(ctx, results, keys, conds, condIndex, s.Notes)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return report.NewSweepReport(s)
}

// surroundNote is the legend's note on the surround scale of the theory curve (see
// figure.PeriodData.TheorySurround): empty when the sweep has a single s.
func surroundNote(all map[float64]bool, used map[float64]float64) string {
	return theory.SurroundNote(len(all) > 1, slices.Collect(maps.Values(used)))
}

// maxSpectra bounds the spectra of a sweep report (one per distinct target code).
const maxSpectra = 8

// sweepSpectra returns the covariance spectra of the distinct target codes of the sweep's
// conditions (the first run of each condition stands for it), named by condition.
func sweepSpectra(ctx context.Context, results []sweep.Result, keys []string, conds []sweep.Condition, condIndex map[string]int, notes []string) ([]figure.SpectrumPanel, []string) {
	first := make([]int, len(conds)) // each condition's first result, −1 for none
	for i := range first {
		first[i] = -1
	}
	for i, r := range results {
		if ci, err := conditionOf(r.Run, keys, condIndex); err == nil && first[ci] < 0 {
			first[ci] = i
		}
	}
	seen := map[string]bool{}
	var panels []figure.SpectrumPanel
	for ci := range conds {
		if first[ci] < 0 {
			continue
		}
		cfg := &results[first[ci]].Run.Config
		enc, err := json.Marshal(cfg.Encoding)
		if err != nil || seen[string(enc)] {
			continue
		}
		seen[string(enc)] = true
		if len(panels) == maxSpectra {
			notes = append(notes, fmt.Sprintf("Spectra of the first %d distinct target codes only.", maxSpectra))
			break
		}
		name := spectrumTitle(*cfg)
		panel, err := spectrumOf(ctx, name, *cfg)
		if err != nil {
			notes = append(notes, fmt.Sprintf("No covariance spectrum for %s: %v.", name, err))
			continue
		}
		panels = append(panels, panel)
	}
	return panels, notes
}

// fraction converts a sweep interval with its counts into the report's fraction.
func fraction(iv sweep.Interval, k, n int) figure.Fraction {
	return figure.Fraction{P: float64(iv.P), Lo: float64(iv.Lo), Hi: float64(iv.Hi), K: k, N: n}
}

// conditionOf returns the index of run's condition: the values of the grouping keys, taken
// as sweep.Table takes them (swept value, else the resolved config's).
func conditionOf(r sweep.Run, keys []string, index map[string]int) (int, error) {
	vals, err := r.Values(keys)
	if err != nil {
		return 0, err
	}
	ci, ok := index[strings.Join(vals, "\x00")]
	if !ok {
		return 0, fmt.Errorf("run %s: condition %v not in the table", r.ID, vals)
	}
	return ci, nil
}

// placeCellWidth returns the place-cell width σ of a run's single-scale place-cell code,
// the peak wavenumber k* of its tuning (closed form, 0 when the spectrum peaks at k = 0)
// and the grid period theory predicts in rate-map bins of eval.nbins[0]: the hexagonal
// spacing 4π/(√3 k*) (spec §8.2, §8.4; NaN without a peak). ok is false for codes without
// a closed form (not place cells, widths drawn per cell, several fields).
func placeCellWidth(cfg config.Config, nbins int) (sigma, kstar, periodBins float64, ok bool) {
	if nbins <= 0 && len(cfg.Eval.NBins) > 0 {
		nbins = cfg.Eval.NBins[0]
	}
	t, err := theory.TuningOf(cfg.Encoding)
	if err != nil || t.Validate() != nil || nbins <= 0 {
		return 0, 0, 0, false
	}
	k := t.PeakWavenumber()
	if !(k > 0) {
		return t.Sigma, 0, math.NaN(), true
	}
	bin := cfg.Trajectory.MapSide() / float64(nbins)
	return t.Sigma, k, theory.HexSpacing(k) / bin, true
}

// argmax returns the index of the largest value of v.
func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// numberOr is *n, or NaN when n is nil.
func numberOr(n *train.Number) float64 {
	if n == nil {
		return math.NaN()
	}
	return float64(*n)
}
