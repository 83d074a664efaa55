package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/report"
	"github.com/gridcells/gridcells/report/figure"
	"github.com/gridcells/gridcells/reproduce"
	"github.com/gridcells/gridcells/sweep"
)

// reproduceOptions are the flags of "gridcells reproduce".
type reproduceOptions struct {
	scale       string
	out         string
	executor    string
	workers     int
	lanes       int
	printSweep  bool
	collectOnly bool
	decodeCM    float64
	grid        float64
	quiet       bool
	// SLURM executor.
	partition, timeLimit, mem string
	cpus, gpus, maxParallel   int
	dryRun                    bool
	figures                   figureOutput
}

func (o *reproduceOptions) AddFlags(fs *flag.FlagSet) {
	addFigureFlags(fs, &o.figures, "in DIR/figures")
	fs.StringVar(&o.scale, "scale", string(reproduce.Tiny), "sweep size: tiny (CI, minutes), small (a few CPU hours), paper (the paper's sizes)")
	fs.StringVar(&o.out, "out", "", "sweep `directory` to write (required unless --print-sweep); rerunning the command resumes it")
	fs.StringVar(&o.executor, "executor", "local", "where runs train: local (a pool of --workers train processes) or slurm (job arrays, then rerun with --collect-only)")
	fs.IntVar(&o.workers, "workers", 1, "local: runs trained at once (they share the cores)")
	fs.IntVar(&o.lanes, "lanes", 1, "train up to `K` GPU (non-cpu device) runs together in one \"gridcells lanes\" process, runs of one network shape as one ensemble (local: per worker; slurm: per array task)")
	fs.BoolVar(&o.printSweep, "print-sweep", false, "print the built-in sweep YAML of RESULT at --scale and exit (default false)")
	fs.BoolVar(&o.collectOnly, "collect-only", false, "train nothing: collect the runs that finished and write the table, figures and report (default false)")
	fs.Float64Var(&o.decodeCM, "decode-cm", sweep.DefaultDecodeThresholdCM, "decoding-error `threshold` (cm) below which a network decodes (spec §5.6)")
	fs.Float64Var(&o.grid, "grid-threshold", sweep.DefaultGridThreshold, "max score60 `threshold` above which a decoding network has possible grid cells (spec §5.6)")
	fs.BoolVar(&o.quiet, "quiet", false, "no per-run progress on stderr (default false)")
	fs.StringVar(&o.partition, "partition", "", "slurm: `partition` (\"\" = the cluster's default)")
	fs.StringVar(&o.timeLimit, "time", "", "slurm: time limit per run, e.g. 1-00:00:00 (\"\" = the partition's)")
	fs.StringVar(&o.mem, "mem", "", "slurm: memory per run, e.g. 8G (\"\" = the cluster's default)")
	fs.IntVar(&o.cpus, "cpus", 0, "slurm: CPUs per run (0 = the cluster's default)")
	fs.IntVar(&o.gpus, "gpus", 0, "slurm: GPUs per run")
	fs.IntVar(&o.maxParallel, "max-parallel", 0, "slurm: at most this many tasks of each array at once (0 = no limit)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "slurm: write the array scripts without submitting them (default false)")
}

// slurmOnly lists the slurm-only flags given a value.
func (o *reproduceOptions) slurmOnly() []string {
	var given []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"--dry-run", o.dryRun}, {"--partition", o.partition != ""}, {"--time", o.timeLimit != ""}, {"--mem", o.mem != ""},
		{"--cpus", o.cpus != 0}, {"--gpus", o.gpus != 0}, {"--max-parallel", o.maxParallel != 0},
	} {
		if f.set {
			given = append(given, f.name)
		}
	}
	return given
}

func init() {
	var names []string
	for _, r := range reproduce.Results() {
		names = append(names, fmt.Sprintf("  %-16s %s: %s", r.Name, r.Figure, r.Title))
	}
	register(&Command{
		Name:  "reproduce",
		Usage: "RESULT --scale tiny|small|paper --out DIR [--executor local|slurm] [--workers N] [--collect-only] [--print-sweep] [--formats png,svg,pdf] [--figure-width 5.5in]",
		Short: "reproduce one result of the paper: built-in sweep, training, table, figures and report",
		Long: `Reproduce runs the built-in sweep of one result of Schaeffer, Khona & Fiete (NeurIPS 2022) and
puts the paper's numbers (spec §7) beside ours. Results:

` + strings.Join(names, "\n") + `

Each result's sweep is W&B-style YAML built into the binary at three scales (print it with
--print-sweep): paper has the paper's sizes and steps (spec §6), small what a few CPU hours
train, tiny what CI trains in a minute or two (far too short to grow grid cells, but every
category is trained for real).

The sweep is expanded into DIR (manifest.jsonl, sweep.yaml, runs/<id>/), trained (local pool,
or SLURM arrays: submit, wait, then rerun with --collect-only), collected, and written:

  table.csv        one row per condition: runs, finished, fractions that decode and that have
                   possible grid cells with 95 % Wilson intervals (and paper Fig. 2a's values),
                   and the median step from which the runs' grid cells emerged;
                   theory: one row per code and quantity, beside spec §8.4 and the paper
  comparison.csv   the paper's numbers beside ours, with N and intervals
  figures/*.png    the paper-vs-ours bars, fractions, survival functions of unit scores,
                   period vs width, covariance spectra (theory: spectra and dynamics maps)
  report.html      all of it in one self-contained page

Rerunning the same command resumes: finished runs are skipped, interrupted ones resume from
their checkpoint. The theory result trains nothing and is recomputed each time.

Examples:
  gridcells reproduce encodings --scale tiny --out /tmp/enc
  gridcells reproduce periods --scale small --workers 2 --out runs/periods
  gridcells reproduce encodings --scale paper --executor slurm --cpus 4 --out /scratch/enc
  gridcells reproduce encodings --scale paper --out /scratch/enc --collect-only
  gridcells reproduce biological --scale small --print-sweep > biological.yaml`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o reproduceOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runReproduce(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// runReproduce checks the arguments and reproduces one result.
func runReproduce(ctx context.Context, o *reproduceOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want one RESULT (%s), got %d arguments", strings.Join(reproduce.Names(), ", "), len(args))
	}
	if err := o.figures.check(stderr, "reproduce"); err != nil {
		return err
	}
	res, err := reproduce.Lookup(args[0])
	if err != nil {
		return usagef("%v", err)
	}
	scale, err := reproduce.ParseScale(o.scale)
	if err != nil {
		return usagef("--scale: %v", err)
	}
	yamlText, err := res.SweepYAML(scale)
	if err != nil {
		return err
	}
	if !res.Trains {
		set, err := reproduce.TheorySettingsOf(scale)
		if err != nil {
			return err
		}
		yamlText = append([]byte(fmt.Sprintf("# theory at scale %s (package reproduce): covariance grid %d points per side, %d maps grown for %d steps per nonlinearity.\n",
			scale, set.Res, set.Maps, set.Steps)), yamlText...)
	}
	if o.printSweep {
		_, err := stdout.Write(yamlText)
		return err
	}
	switch {
	case o.out == "":
		return usagef("--out DIR is required (or --print-sweep)")
	case o.executor != "local" && o.executor != "slurm":
		return usagef("--executor %q: allowed: local, slurm", o.executor)
	case o.executor == "local" && len(o.slurmOnly()) > 0:
		// --dry-run above all: with the local executor it would train every run.
		verb := "applies"
		if len(o.slurmOnly()) > 1 {
			verb = "apply"
		}
		return usagef("%s %s to --executor slurm only; the local executor trains here", strings.Join(o.slurmOnly(), ", "), verb)
	case o.workers < 1:
		return usagef("--workers must be ≥ 1, got %d", o.workers)
	case o.lanes < 1:
		return usagef("--lanes must be ≥ 1, got %d", o.lanes)
	}
	if err := checkNetworkThresholds(o.decodeCM, o.grid, "--decode-cm"); err != nil {
		return err
	}
	runs, notes, err := res.Expand(scale)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	if !res.Trains {
		return reproduceTheory(ctx, o, res, scale, runs, yamlText, stdout, stderr)
	}
	if o.collectOnly && !fileExists(filepath.Join(o.out, sweep.ManifestFile)) {
		// Nothing was trained there: a mistyped --out would give a report of empty rows.
		return usagef("--collect-only: %s holds no sweep (no %s); run without --collect-only to train it, or give the --out of the earlier run", o.out, sweep.ManifestFile)
	}
	if err := sweep.Create(o.out, yamlText, runs, false); err != nil {
		if errors.Is(err, sweep.ErrManifestDiffers) {
			return usagef("%v: %s holds another result or scale; choose another --out", err, o.out)
		}
		return err
	}
	fmt.Fprintf(stderr, "reproduce %s (%s, scale %s): %d runs in %s\n", res.Name, res.Figure, scale, len(runs), o.out)
	if !o.collectOnly {
		switch o.executor {
		case "local":
			if err := reproduceLocal(ctx, o, runs, stderr); err != nil {
				return err
			}
		case "slurm":
			so := &sweepSubmitOptions{SLURM: true, DryRun: o.dryRun, JobName: "gridcells-" + res.Name, GPUs: o.gpus, CPUs: o.cpus,
				Mem: o.mem, Partition: o.partition, Time: o.timeLimit, MaxParallel: o.maxParallel, lanes: &o.lanes}
			if err := runSweepSubmit(ctx, so, []string{o.out}, stdout, stderr); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "submitted %d runs; when they have finished, write the table and report with:\n  gridcells reproduce %s --scale %s --out %s --collect-only\n",
				len(runs), res.Name, scale, o.out)
			return nil
		}
	}
	return reproduceCollect(ctx, o, res, scale, runs, stdout, stderr)
}

// reproduceLocal trains the runs with a local pool; failed runs are reported and left
// out of the table, so that one diverged network does not hide the others.
func reproduceLocal(ctx context.Context, o *reproduceOptions, runs []sweep.Run, stderr io.Writer) error {
	p := &sweepProgress{w: stderr, total: len(runs), quiet: o.quiet}
	w := &sweep.Worker{Dir: o.out, Progress: p, Lanes: o.lanes, StackKey: stackKey}
	if o.workers > 1 && os.Getenv("GOMAXPROCS") == "" {
		w.Threads = max(1, runtime.NumCPU()/o.workers)
	}
	t0 := time.Now()
	outs := w.RunAll(ctx, runs, o.workers)
	counts := map[string]int{}
	for _, out := range outs {
		counts[out.Result]++
	}
	fmt.Fprintf(stderr, "%d runs in %s: %d trained now, %d had finished, %d failed, %d run by other workers\n", len(runs),
		time.Since(t0).Round(time.Second), counts[sweep.ResultFinished], counts[sweep.ResultSkipped], counts[sweep.ResultFailed], counts[sweep.ResultBusy])
	return ctx.Err()
}

// reproduceCollect collects the sweep, compares it with the paper and writes table.csv,
// comparison.csv, the figures and report.html.
func reproduceCollect(ctx context.Context, o *reproduceOptions, res reproduce.Result, scale reproduce.Scale, runs []sweep.Run, stdout, stderr io.Writer) error {
	results, err := sweep.Collect(ctx, o.out, runs)
	if err != nil {
		return err
	}
	th := sweep.Thresholds{DecodeCM: o.decodeCM, Grid: o.grid}
	keys, conds, err := sweep.Table(results, res.By, th)
	if err != nil {
		return err
	}
	cmp, err := reproduce.Compare(res, reproduce.Input{Dir: o.out, Results: results, Keys: keys, Conditions: conds, Thresholds: th})
	if err != nil {
		return err
	}
	if err := safefile.Write(filepath.Join(o.out, "table.csv"), func(w io.Writer) error {
		return res.WriteTableCSV(w, keys, cmp.Labels, conds)
	}); err != nil {
		return err
	}
	if err := safefile.Write(filepath.Join(o.out, reproduceComparison), func(w io.Writer) error {
		return reproduce.WriteRowsCSV(w, cmp.Rows)
	}); err != nil {
		return err
	}
	reportPath := filepath.Join(o.out, "report.html")
	ro := &reportOptions{top: 16, paths: 5, by: strings.Join(res.By, ","), decodeCM: o.decodeCM, grid: o.grid, theory: true, labels: cmp.Labels, noPeriods: true}
	rep, err := sweepReportOf(ctx, o.out, reportPath, ro, stderr)
	if err != nil {
		return err
	}
	counts := sweep.Counts(results)
	rep.AddHeadline("result", fmt.Sprintf("%s (%s): %s", res.Name, res.Figure, res.Title))
	rep.AddHeadline("scale", string(scale))
	rep.AddNotes(cmp.Notes...)
	if scale == reproduce.Tiny && len(runs) > 0 {
		tr, ng := runs[0].Config.Training, runs[0].Config.Model.Ng
		rep.AddNotes(fmt.Sprintf("Scale tiny trains each network for %d steps with %d units: it checks the pipeline end to end; its fractions are not expected to match the paper's. Use --scale small or paper for the comparison.", tr.NEpochs*tr.StepsPerEpoch, ng))
	}
	if counts[sweep.StatusFinished] < len(runs) {
		rep.AddNotes(fmt.Sprintf("%d of %d runs have finished; the others are not counted (rerun the command to train them).", counts[sweep.StatusFinished], len(runs)))
	}
	if err := addComparison(rep, res, cmp, conds, th); err != nil {
		return err
	}
	if err := o.figures.writeReport(rep, o.out); err != nil {
		return err
	}
	if err := rep.WriteFile(reportPath); err != nil {
		return err
	}
	printRows(stdout, cmp.Rows)
	fmt.Fprintf(stdout, "wrote %s, %s, %s and %d figures in %s\n", filepath.Join(o.out, "table.csv"), filepath.Join(o.out, "comparison.csv"),
		reportPath, len(rep.Figures), filepath.Join(o.out, report.FiguresDir))
	return nil
}

// comparisonTable is the report's table of the paper's numbers beside ours.
func comparisonTable(rows []reproduce.Row) ([]report.TableColumn, [][]report.TableCell) {
	head := []report.TableColumn{{Name: "quantity"}, {Name: "condition"}, {Name: "paper"}, {Name: "ours", Numeric: true}, {Name: "N", Numeric: true}}
	var cells [][]report.TableCell
	for _, r := range rows {
		n := report.TableCell{Text: "", Value: math.NaN()}
		if r.N > 0 {
			n = report.TableCell{Text: fmt.Sprint(r.N), Value: float64(r.N)}
		}
		cells = append(cells, []report.TableCell{{Text: r.Quantity}, {Text: r.Condition}, {Text: r.Paper}, {Text: r.Ours, Value: r.OursValue}, n})
	}
	return head, cells
}

// addComparison adds the comparison table and, for results with per-condition fractions,
// bars of ours beside the paper's (its fractions with intervals at the paper's N).
func addComparison(rep *report.Report, res reproduce.Result, cmp *reproduce.Comparison, conds []sweep.Condition, th sweep.Thresholds) error {
	head, cells := comparisonTable(cmp.Rows)
	if err := rep.AddTable("paper", fmt.Sprintf("The paper (%s, spec §7) beside this sweep", res.Figure), head, cells, true); err != nil {
		return err
	}
	if cmp.Periods != nil && len(cmp.Periods.Units)+len(cmp.Periods.Theory) > 0 {
		f, err := figure.PeriodVsWidth(*cmp.Periods, &figure.PeriodSettings{Title: "grid period vs place-cell width (units with score60 > 0.3)"})
		if err != nil {
			return err
		}
		if err := rep.AddFigure("paper_fig3.png", "Grid period of every unit whose period was measured (score60 > 0.3) against the place-cell width σ, in the paper's 5-cm bins: units, their KDE mode per width and theory's spacing 4π/(√3 k*) (spec §8.4). Paper Fig. 3b's modes for units above 0.8 are ≈14.5, 21 and 30.5 bins at σ 0.08, 0.12 and 0.20 m (table above).", f, true); err != nil {
			return err
		}
	}
	if res.Name == "dos-details" {
		if err := addUnitsAbove(rep, cmp); err != nil {
			return err
		}
	}
	if res.Name != "encodings" {
		return nil
	}
	var groups []figure.FractionGroup
	for i, c := range conds {
		paperDecode, paperGrid := figure.Fraction{P: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}, figure.Fraction{P: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
		for _, p := range reproduce.Fig2 {
			if p.Name == c.Values[0] {
				paperDecode = paperFraction(p.Decode, p.N)
				// The paper's grid fraction is of the networks that decode.
				paperGrid = paperFraction(p.Grid, p.DecodedN())
			}
		}
		groups = append(groups, figure.FractionGroup{Label: cmp.Labels[i], Fractions: []figure.Fraction{
			fraction(c.FracDecode, c.Decoded, c.N), paperDecode, fraction(c.FracGrid, c.Grid, c.Decoded), paperGrid}})
	}
	// The paper's bars are at its own thresholds whatever --decode-cm and --grid-threshold say.
	paperCM, paperGrid := float64(sweep.DefaultDecodeThresholdCM), sweep.DefaultGridThreshold
	series := []string{fmt.Sprintf("ours: error < %g cm", th.DecodeCM), fmt.Sprintf("paper: error < %g cm", paperCM),
		fmt.Sprintf("ours: score60 > %g | decodes", th.Grid), fmt.Sprintf("paper: score60 > %g | decodes", paperGrid)}
	f, err := figure.Fractions(series, groups, &figure.FractionSettings{Title: "paper Fig. 2a beside this sweep (95 % Wilson intervals)"})
	if err != nil {
		return err
	}
	caption := fmt.Sprintf("Fraction of networks per encoding that decode position (error < %g cm) and, of those, that have possible grid cells (max score60 > %g): ours beside paper Fig. 2a. The paper's bars are read off NFL's figure (±0.02), so their counts (≈k/n) are reconstructed from the fractions, and their whiskers are the Wilson interval at the paper's N widened by that ±0.02.", th.DecodeCM, th.Grid)
	if th.DecodeCM != paperCM || th.Grid != paperGrid {
		caption += fmt.Sprintf(" The paper's bars are at its thresholds, %g cm and %g, not at ours.", paperCM, paperGrid)
	}
	return rep.AddFigure("paper_fig2a.png", caption, f, true)
}

// addUnitsAbove adds paper Fig. 4's panel: the fraction of units per condition with
// score60 above 0.3, 0.8 and 1.15 (spec §5.6, §7.4), pooled over the condition's runs.
func addUnitsAbove(rep *report.Report, cmp *reproduce.Comparison) error {
	thresholds := []float64{0.3, 0.8, 1.15}
	var series []string
	for _, th := range thresholds {
		series = append(series, fmt.Sprintf("score60 > %g", th))
	}
	var groups []figure.FractionGroup
	for _, u := range cmp.Units {
		g := figure.FractionGroup{Label: u.Label}
		for _, th := range thresholds {
			k := 0
			for _, s := range u.Score60 {
				if s > th {
					k++
				}
			}
			iv := sweep.Wilson(k, len(u.Score60), 1.959963984540054)
			g.Fractions = append(g.Fractions, figure.Fraction{P: float64(iv.P), Lo: float64(iv.Lo), Hi: float64(iv.Hi), K: k, N: len(u.Score60)})
		}
		groups = append(groups, g)
	}
	f, err := figure.Fractions(series, groups, &figure.FractionSettings{Title: "units above grid-score thresholds per condition (95 % CI)", YLabel: "fraction of units"})
	if err != nil {
		return err
	}
	return rep.AddFigure("paper_fig4_units_above.png", "Fraction of units (pooled over each condition's runs) with score60 above 0.3, 0.8 and 1.15, as paper Fig. 4 plots per place-cell width: there ≈10–20 %, ≲5 % and 0–1 % for DoS (spec §7.4). The intervals treat the pooled units as independent; units of one network are not, so they are narrower than the spread between networks.", f, true)
}

// paperReadError is the accuracy of the fractions read off the paper's Fig. 2a (spec §7.1).
const paperReadError = 0.02

// paperFraction is the paper's fraction p of n networks as a figure fraction: k rounded from
// p·n (marked approximate), and the Wilson interval at n widened by paperReadError, since
// at the paper's N the reading error is as large as the sampling error.
func paperFraction(p float64, n int) figure.Fraction {
	k := int(math.Round(p * float64(n)))
	iv := sweep.Wilson(k, n, 1.959963984540054)
	return figure.Fraction{P: p, Lo: math.Max(0, float64(iv.Lo)-paperReadError), Hi: math.Min(1, float64(iv.Hi)+paperReadError), K: k, N: n, Approx: true}
}

// printRows prints the comparison as an aligned table.
func printRows(w io.Writer, rows []reproduce.Row) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "quantity\tcondition\tpaper\tours")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Quantity, r.Condition, r.Paper, r.Ours)
	}
	tw.Flush()
}

// reproduceTheory computes the theory result (no training) and writes its table,
// figures and report into o.out.
func reproduceTheory(ctx context.Context, o *reproduceOptions, res reproduce.Result, scale reproduce.Scale, runs []sweep.Run, yamlText []byte, stdout, stderr io.Writer) error {
	t0 := time.Now()
	tr, err := reproduce.Theory(ctx, runs, scale)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "theory: %d codes, %d dynamics in %s\n", len(tr.Codes), len(tr.Dynamics), time.Since(t0).Round(100*time.Millisecond))
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := safefile.WriteFile(filepath.Join(o.out, sweep.SweepFile), yamlText); err != nil {
		return err
	}
	if err := safefile.Write(filepath.Join(o.out, "table.csv"), func(w io.Writer) error {
		return reproduce.WriteRowsCSV(w, tr.Rows)
	}); err != nil {
		return err
	}
	s := &report.Sweep{Title: fmt.Sprintf("gridcells reproduce %s (%s), scale %s", res.Name, res.Figure, scale), DecodeCM: o.decodeCM, Grid: o.grid,
		Notes: []string{"Nothing is trained: each row is a target code. k* is where the covariance spectrum of the code peaks (spec §8.2); the dynamics grow maps under dr/dt = −r + Σ⋆r with a ReLU or tanh nonlinearity on the DoS spectrum (spec §8.3) and score them with the NFL grid score."}}
	for _, c := range tr.Codes {
		if len(s.Spectra) < maxSpectra {
			s.Spectra = append(s.Spectra, figure.SpectrumPanelOf(c.Label, c.Spectrum))
		}
	}
	if len(tr.Codes) > maxSpectra {
		s.Notes = append(s.Notes, fmt.Sprintf("The spectra figure shows the first %d of the %d codes; the table has all of them.", maxSpectra, len(tr.Codes)))
	}
	rep, err := report.NewSweepReport(s)
	if err != nil {
		return err
	}
	rep.AddHeadline("result", fmt.Sprintf("%s (%s): %s", res.Name, res.Figure, res.Title))
	rep.AddHeadline("scale", string(scale))
	head, cells := comparisonTable(tr.Rows)
	if err := rep.AddTable("paper", "Theory (spec §8) and the paper beside our numbers", head, cells, true); err != nil {
		return err
	}
	for _, d := range tr.Dynamics {
		var units []figure.UnitMap
		for i := range d.Maps.N {
			units = append(units, figure.UnitMap{Unit: i, Score60: d.Score60[i], Map: d.Maps.Map(i)})
		}
		f := figure.Montage(units, d.Maps.Size, &figure.MontageSettings{Title: d.Activation + " dynamics", Noun: "map"})
		caption := fmt.Sprintf("Maps grown by the linear pattern-forming dynamics with a %s nonlinearity on the covariance of %s (spec §8.3), with their NFL score60: %d of %d above %g; median period %.2f m.",
			d.Activation, d.Code, d.Hexagonal, len(d.Score60), reproduce.HexThreshold, d.PeriodM)
		if err := rep.AddFigure("dynamics_"+d.Activation+".png", caption, f, false); err != nil {
			return err
		}
	}
	if err := o.figures.writeReport(rep, o.out); err != nil {
		return err
	}
	reportPath := filepath.Join(o.out, "report.html")
	if err := rep.WriteFile(reportPath); err != nil {
		return err
	}
	printRows(stdout, tr.Rows)
	fmt.Fprintf(stdout, "wrote %s, %s and %d figures in %s\n", filepath.Join(o.out, "table.csv"), reportPath, len(rep.Figures), filepath.Join(o.out, report.FiguresDir))
	return nil
}
