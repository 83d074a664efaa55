package theory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/gridcells/gridcells/config"
)

// UnitScores are the per-unit columns of a run's scores.csv that the comparison needs.
type UnitScores struct {
	Score60 []float64 // 60° grid score of each unit
	Period  []float64 // grid period, rate-map bins (NaN when not measured)
	NBins   []int     // rate-map resolution each period was measured at
}

// ReadScoresCSV reads a scores.csv (one row per unit, a header row naming the columns).
// It needs the columns score60 and period_bins (or period; rate-map bins, spec §5.6, as
// package train writes them); an nbins column, when
// present, gives each row's rate-map resolution, otherwise every row gets defaultNBins.
// Empty, "nan" and "NaN" cells read as NaN.
func ReadScoresCSV(r io.Reader, defaultNBins int) (*UnitScores, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("theory: scores.csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	iScore, ok1 := col["score60"]
	iPeriod, ok2 := col["period_bins"]
	if !ok2 {
		iPeriod, ok2 = col["period"]
	}
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("theory: scores.csv: columns score60 and period_bins (or period) are required, header has %q", header)
	}
	iBins, hasBins := col["nbins"]
	u := &UnitScores{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("theory: scores.csv line %d: %w", line, err)
		}
		get := func(i int, name string) (float64, error) {
			if i >= len(rec) {
				return 0, fmt.Errorf("theory: scores.csv line %d: no %s column", line, name)
			}
			s := strings.TrimSpace(rec[i])
			if s == "" || strings.EqualFold(s, "nan") {
				return math.NaN(), nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fmt.Errorf("theory: scores.csv line %d, %s %q: not a number", line, name, s)
			}
			return v, nil
		}
		s, err := get(iScore, "score60")
		if err != nil {
			return nil, err
		}
		p, err := get(iPeriod, "period")
		if err != nil {
			return nil, err
		}
		nb := defaultNBins
		if hasBins {
			v, err := get(iBins, "nbins")
			if err != nil {
				return nil, err
			}
			if !(v >= 2) || v != math.Trunc(v) {
				return nil, fmt.Errorf("theory: scores.csv line %d: nbins %v, want an integer ≥ 2", line, v)
			}
			nb = int(v)
		}
		u.Score60 = append(u.Score60, s)
		u.Period = append(u.Period, p)
		u.NBins = append(u.NBins, nb)
	}
	return u, nil
}

// RunComparison compares a predicted grid spacing with the periods measured in a trained
// run (spec §5.6, §7.3, §8.4).
type RunComparison struct {
	PredictedK       float64 // k*, rad/m (0: no finite-wavelength pattern predicted)
	PredictedSpacing float64 // 4π/(√3 k*), m
	NBins            int     // rate-map resolution the bin figures refer to
	BinSize          float64 // m per bin at NBins
	PredictedBins    float64 // PredictedSpacing in bins

	Threshold    float64 // units with score60 > Threshold count as grid-like
	Units        int     // rows in scores.csv
	GridUnits    int     // grid-like units with a measured period
	MedianPeriod float64 // median period of the grid-like units, bins (NaN if none)
	ModePeriod   float64 // KDE mode (bandwidth 1 bin, NFL plot.py) of their periods, bins (NaN if none)
	MedianRatio  float64 // MedianPeriod / PredictedBins
	ModeRatio    float64 // ModePeriod / PredictedBins
}

// KDE parameters of NFL plot.py plot_grid_periods_mode_vs_place_cell_rf (spec §5.6).
const (
	kdeBandwidth = 1.0   // bins
	kdeGridMax   = 150.0 // bins
	kdeGridN     = 1000
)

// ReferenceSurround is the surround scale s of the paper's DoS code: its ideal network
// (σ 0.12 m, s 2; spec §7.4) and spec §8.4's spacing table. Where runs of one place-cell
// width differ in s, as in NFL's DoS sweep that paper Fig. 3 pools, a single theory
// prediction per width is given at the s nearest it (NearerReference).
const ReferenceSurround = 2.0

// NearerReference reports whether surround scale s is nearer ReferenceSurround than
// other is; of two equally near, the smaller.
func NearerReference(s, other float64) bool {
	ds, do := math.Abs(s-ReferenceSurround), math.Abs(other-ReferenceSurround)
	return ds < do || ds == do && s < other
}

// SurroundNote says at which surround scale a theory curve over place-cell widths is drawn,
// for its legend: empty when the runs have a single s (pooled false), "s = X" when every
// width's prediction is at the same X, and "s nearest 2" when they differ.
func SurroundNote(pooled bool, used []float64) string {
	if !pooled || len(used) == 0 {
		return ""
	}
	for _, s := range used[1:] {
		if s != used[0] {
			return fmt.Sprintf("s nearest %g", ReferenceSurround)
		}
	}
	return fmt.Sprintf("s = %g", used[0])
}

// Compare compares the spacing predicted by kstar (rad/m) with the periods of the units of
// u scoring above threshold. mapSide (m, the side of the rate maps' square: config's
// MapSide) converts bins to metres; periods measured at another resolution than the first
// row's are rescaled to it.
func Compare(kstar, mapSide float64, u *UnitScores, threshold float64) RunComparison {
	c := RunComparison{PredictedK: kstar, PredictedSpacing: HexSpacing(kstar), Threshold: threshold, Units: len(u.Score60),
		MedianPeriod: math.NaN(), ModePeriod: math.NaN(), MedianRatio: math.NaN(), ModeRatio: math.NaN()}
	c.NBins = 44
	if len(u.NBins) > 0 {
		c.NBins = u.NBins[0]
	}
	c.BinSize = mapSide / float64(c.NBins)
	c.PredictedBins = c.PredictedSpacing / c.BinSize
	var periods []float64
	for i, s := range u.Score60 {
		p := u.Period[i]
		if !(s > threshold) || math.IsNaN(p) || math.IsInf(p, 0) {
			continue
		}
		periods = append(periods, p*float64(c.NBins)/float64(u.NBins[i]))
	}
	c.GridUnits = len(periods)
	if len(periods) == 0 {
		return c
	}
	sort.Float64s(periods)
	n := len(periods)
	c.MedianPeriod = periods[n/2]
	if n%2 == 0 {
		c.MedianPeriod = (periods[n/2-1] + periods[n/2]) / 2
	}
	c.ModePeriod = kdeMode(periods)
	c.MedianRatio = c.MedianPeriod / c.PredictedBins
	c.ModeRatio = c.ModePeriod / c.PredictedBins
	return c
}

// kdeMode returns the argmax of a Gaussian kernel density estimate of x on kdeGridN points
// spanning [0, kdeGridMax] bins.
func kdeMode(x []float64) float64 {
	best, bestV := 0.0, math.Inf(-1)
	for i := 0; i < kdeGridN; i++ {
		g := kdeGridMax * float64(i) / float64(kdeGridN-1)
		var v float64
		for _, p := range x {
			d := (g - p) / kdeBandwidth
			v += math.Exp(-d * d / 2)
		}
		if v > bestV {
			best, bestV = g, v
		}
	}
	return best
}

// ReadRun reads a run directory's config.json and scores.csv (README "Run directory").
// Periods without an nbins column are taken at the config's first evaluation resolution.
func ReadRun(dir string) (config.Config, *UnitScores, error) {
	cfg, err := config.Load(filepath.Join(dir, "config.json"))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return config.Config{}, nil, fmt.Errorf("theory: %s is not a run directory (no config.json)", dir)
	}
	if err != nil {
		return config.Config{}, nil, err
	}
	nb := 44
	if len(cfg.Eval.NBins) > 0 {
		nb = cfg.Eval.NBins[0]
	}
	f, err := os.Open(filepath.Join(dir, "scores.csv"))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(dir, "summary.json")); serr != nil {
			return config.Config{}, nil, fmt.Errorf("theory: %s: no scores.csv: the run has not finished (resume it with gridcells train --resume %s)", dir, dir)
		}
		return config.Config{}, nil, fmt.Errorf("theory: %s: no scores.csv (score the run again with gridcells eval %s)", dir, dir)
	}
	if err != nil {
		return config.Config{}, nil, err
	}
	defer f.Close()
	u, err := ReadScoresCSV(f, nb)
	if err != nil {
		return config.Config{}, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "scores.csv"), err)
	}
	return cfg, u, nil
}

// CompareRun reads a run directory and compares the closed-form prediction for its
// encoding with its grid-like units (score60 > threshold). It returns an error for an
// encoding without a closed form; use ComputeSpectrum and Compare for those.
func CompareRun(dir string, threshold float64) (RunComparison, error) {
	cfg, u, err := ReadRun(dir)
	if err != nil {
		return RunComparison{}, err
	}
	t, err := TuningOf(cfg.Encoding)
	if err != nil {
		return RunComparison{}, err
	}
	return Compare(t.PeakWavenumber(), cfg.Trajectory.MapSide(), u, threshold), nil
}
