package main

import (
	"context"
	"encoding/csv"
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
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/parallel"
	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/npyio"
)

// scoreOptions are the flags of "gridcells score".
type scoreOptions struct {
	method  string
	sac     string
	out     string
	json    bool
	workers int
}

func (o *scoreOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.method, "method", string(analysis.MethodNFL), "grid-score `convention`: nfl (min-max 60° score, NFL/BNT), deepmind (mean-difference, DeepMind/Sorscher) or bnt (opexebo expanding annulus)")
	fs.StringVar(&o.sac, "sac", "reference", "autocorrelogram NaN `handling`: reference (empty bins are zeros, as the published scores) or nan-aware")
	fs.StringVar(&o.out, "out", "scores.csv", "CSV `file` to write, one row per map; - writes it to stdout and the summary to stderr")
	fs.BoolVar(&o.json, "json", false, "print the summary as JSON (default false)")
	fs.IntVar(&o.workers, "workers", 0, "scoring goroutines (0: all cores)")
}

func init() {
	register(&Command{
		Name:  "score",
		Usage: "RATEMAPS.npy [--method nfl|deepmind|bnt] [--sac reference|nan-aware] [--out scores.csv] [--json] [--workers N]",
		Short: "grid scores, spacing and orientation of rate maps (N×n×n npy) to CSV",
		Long: `Score computes the grid score of every rate map in RATEMAPS.npy, a float32 or float64 array of
shape (N, n, n) or (n, n) (first index of a map = x-bin, NaN = empty bin), with the reference
scorer of spec §5: autocorrelogram, ten ring masks, cubic-spline rotations by 30…150°, 60° and
90° scores, best ring. It also measures each map's grid period and orientation (NFL recipe:
six nearest autocorrelation peaks) and its Fourier spacing.

The CSV has one row per map, its columns named as in a run's scores.csv where they agree:
  index, score60, score90, outer60, spacing_bins, orientation_deg, period_bins, reason
where outer60 is the outer radius (in units of n) of the ring that gave score60,
spacing_bins the hexagonal spacing implied by the spectrum's dominant wavenumber,
orientation_deg the lattice axis in degrees [0, 60), period_bins NFL's grid period, and
reason says why a score, or else a period, is NaN (too few peaks; with bnt or --sac nan-aware, an empty or
constant map), or that an empty or constant map (a silent unit) scored 0 as the reference scores it. Period and orientation are given for every map;
NFL computes them only for maps with score60 > 0.3, where they are meaningful. The summary (to stdout) gives the maximum score60
and the fractions of maps with score60 > 0.3, 0.8 and 1.2 (NFL's thresholds, strict).

Examples:
  gridcells score ratemaps.npy
  gridcells score ratemaps.npy --method deepmind --out dm.csv --json`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o scoreOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				// Accept flags after the file name too (the usage line puts them there).
				if len(args) > 1 {
					path := args[0]
					if err := fs.Parse(args[1:]); err != nil {
						if errors.Is(err, flag.ErrHelp) {
							return nil
						}
						return UsageError{err}
					}
					args = append([]string{path}, fs.Args()...)
				}
				return runScore(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// scoreSummary is what "gridcells score" prints.
type scoreSummary struct {
	File        string             `json:"file"`
	Maps        int                `json:"maps"`
	Bins        int                `json:"bins"`
	Method      string             `json:"method"`
	SAC         string             `json:"sac"`
	MaxScore60  float64            `json:"max_score60"`
	FracAbove   map[string]float64 `json:"fraction_score60_above"`
	Undefined   int                `json:"undefined"`
	Out         string             `json:"out"`
	ElapsedSecs float64            `json:"-"`
}

// scoreThresholds are NFL's score60 thresholds [spec §5.6].
var scoreThresholds = []float64{0.3, 0.8, 1.2}

// runScore validates everything, scores the maps, then writes the CSV and prints the summary.
func runScore(ctx context.Context, o *scoreOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want exactly one RATEMAPS.npy argument, got %d", len(args))
	}
	method, err := analysis.ParseMethod(o.method)
	if err != nil {
		return usagef("--method %q: allowed values are nfl, deepmind, bnt", o.method)
	}
	var sacMode analysis.SACMode
	switch o.sac {
	case "reference":
		sacMode = analysis.SACReference
	case "nan-aware":
		sacMode = analysis.SACNaNAware
	default:
		return usagef("--sac %q: allowed values are reference, nan-aware", o.sac)
	}
	if o.workers < 0 {
		return usagef("--workers %d: must be ≥ 0 (0: all cores)", o.workers)
	}
	if o.out == "" {
		return usagef("--out must name a file or be -")
	}
	if o.out != "-" {
		if err := checkOutFile("--out", o.out); err != nil {
			return err
		}
		// Run from inside a run directory, the default --out would replace the run's own
		// scores.csv (its first eval.nbins resolution, with the unit column and the
		// periods that report, theory and eval read) with rows in this command's columns.
		dir := filepath.Dir(o.out)
		if filepath.Base(o.out) == "scores.csv" && fileExists(filepath.Join(dir, "config.json")) && fileExists(o.out) {
			return usagef("--out %s would replace the scores.csv of the run in %s, which gridcells eval wrote; give another file", o.out, dir)
		}
	}
	maps, count, n, err := readRateMaps(args[0])
	if err != nil {
		return err
	}
	if n < config.MinNBins {
		// As eval.nbins: random maps this small reach scores outside [−2, 2].
		return usagef("%s: maps of %d×%d bins; want at least %d bins per side, as eval.nbins", args[0], n, n, config.MinNBins)
	}
	sc, err := analysis.NewScorer(n, &analysis.Settings{Method: method, SAC: sacMode})
	if err != nil {
		return UsageError{fmt.Errorf("%s: %w", args[0], err)}
	}
	scores, err := sc.ScoreAll(ctx, maps, o.workers)
	if err != nil {
		return err
	}
	periods, peaks := measureMaps(ctx, maps, count, n, o.workers)
	if err := ctx.Err(); err != nil {
		return err
	}

	writeCSV := func(w io.Writer) error {
		// RFC 4180, NaN as a run's scores.csv writes it. A reason's commas become semicolons:
		// numpy's genfromtxt, a common reader of numeric CSV, splits quoted fields at them.
		cw := csv.NewWriter(w)
		// Column names as in a run's scores.csv (package train) where the quantity is the same.
		cw.Write([]string{"index", "score60", "score90", "outer60", "spacing_bins", "orientation_deg", "period_bins", "reason"})
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		for i, g := range scores {
			reason := g.Reason
			if reason == "" {
				reason = periods[i].Reason
			}
			cw.Write([]string{strconv.Itoa(i), f(g.Score60), f(g.Score90), f(g.Outer60), f(peaks[i].Spacing),
				f(periods[i].Orientation), f(periods[i].Period), strings.ReplaceAll(reason, ",", ";")})
		}
		cw.Flush()
		return cw.Error()
	}
	summaryW := stdout
	if o.out == "-" {
		if err := writeCSV(stdout); err != nil {
			return err
		}
		summaryW = stderr
	} else if err := safefile.Write(o.out, writeCSV); err != nil {
		return err
	}

	sum := scoreSummary{File: args[0], Maps: count, Bins: n, Method: string(method), SAC: o.sac,
		MaxScore60: math.NaN(), FracAbove: map[string]float64{}, Out: o.out}
	above := make([]int, len(scoreThresholds))
	for _, g := range scores {
		if math.IsNaN(g.Score60) {
			sum.Undefined++
			continue
		}
		if math.IsNaN(sum.MaxScore60) || g.Score60 > sum.MaxScore60 {
			sum.MaxScore60 = g.Score60
		}
		for k, th := range scoreThresholds {
			if g.Score60 > th {
				above[k]++
			}
		}
	}
	for k, th := range scoreThresholds {
		sum.FracAbove[strconv.FormatFloat(th, 'f', -1, 64)] = float64(above[k]) / float64(count)
	}
	if o.json {
		js := struct {
			scoreSummary
			MaxScore60 *float64 `json:"max_score60"`
		}{scoreSummary: sum}
		if !math.IsNaN(sum.MaxScore60) {
			js.MaxScore60 = &sum.MaxScore60
		}
		enc := json.NewEncoder(summaryW)
		enc.SetIndent("", "  ")
		return enc.Encode(js)
	}
	rowsAt := o.out
	if rowsAt == "-" {
		rowsAt = "the CSV on stdout"
	}
	_, err = fmt.Fprintf(summaryW, "%s: %d maps of %d×%d bins, method %s: max score60 %s; score60 > 0.3: %.1f%%, > 0.8: %.1f%%, > 1.2: %.1f%%; undefined: %d; rows in %s\n",
		args[0], count, n, n, method, strconv.FormatFloat(sum.MaxScore60, 'g', -1, 64),
		100*sum.FracAbove["0.3"], 100*sum.FracAbove["0.8"], 100*sum.FracAbove["1.2"], sum.Undefined, rowsAt)
	return err
}

// readRateMaps loads an (N, n, n) or (n, n) float32/float64 array as float64 maps.
func readRateMaps(path string) (maps []float64, count, n int, err error) {
	a, err := npyio.ReadFile(path)
	if err != nil {
		return nil, 0, 0, UsageError{fmt.Errorf("reading rate maps: %w", err)}
	}
	if a.Dtype != "<f4" && a.Dtype != "<f8" {
		return nil, 0, 0, usagef("%s: dtype %s, want float32 (<f4) or float64 (<f8)", path, a.Dtype)
	}
	switch len(a.Shape) {
	case 2:
		count, n = 1, a.Shape[0]
	case 3:
		count, n = a.Shape[0], a.Shape[1]
	default:
		return nil, 0, 0, usagef("%s: shape %s, want (N, n, n) or (n, n)", path, encodeShape(a.Shape))
	}
	if a.Shape[len(a.Shape)-1] != a.Shape[len(a.Shape)-2] {
		return nil, 0, 0, usagef("%s: shape %s: rate maps must be square (n×n bins)", path, encodeShape(a.Shape))
	}
	if count == 0 {
		return nil, 0, 0, usagef("%s: shape %s holds no maps", path, encodeShape(a.Shape))
	}
	if n < 2 {
		return nil, 0, 0, usagef("%s: shape %s: maps of %d×%d bins have no grid score (need at least 2×2)", path, encodeShape(a.Shape), n, n)
	}
	return a.AsFloat64(), count, n, nil
}

// measureMaps computes every map's NFL periodicity and Fourier peak on all cores.
func measureMaps(ctx context.Context, maps []float64, count, n, workers int) ([]analysis.Periodicity, []analysis.SpectralPeak) {
	periods := make([]analysis.Periodicity, count)
	peaks := make([]analysis.SpectralPeak, count)
	// A spectrum padded to ≥ 4n points (a power of two, for the fast transform) with the
	// sub-bin peak fit resolves the wavenumber well at a fraction of a 256-point one's cost.
	size := 1
	for size < 4*n {
		size <<= 1
	}
	// One map per item, so Ctrl-C is answered within a map (512-bin maps take about a second
	// each); the caller checks ctx.
	_ = parallel.For(ctx, count, workers, func(_, i int) error {
		rm := maps[i*n*n : (i+1)*n*n]
		periods[i] = analysis.MeasurePeriodicity(rm, n, nil)
		peaks[i] = analysis.DominantWavenumber(rm, n, size)
		return nil
	})
	return periods, peaks
}
