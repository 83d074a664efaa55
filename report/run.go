package report

import (
	"fmt"
	"slices"

	"github.com/gridcells/gridcells/report/figure"
)

// Unit is one analysed unit of a run: its rate map and the columns of scores.csv that the
// report shows.
type Unit struct {
	Unit    int       // unit index in the network
	Score60 float64   // 60° grid score (NaN when undefined)
	Score90 float64   // 90° grid score
	Outer60 float64   // outer radius of the ring of Score60, units of n (NaN: none)
	Period  float64   // NFL grid period, bins (NaN when not measured)
	Map     []float64 // n×n rate map (x-bin first, NaN = empty bin); nil when not available
}

// Run is what a run report shows; package train's run directory fills it (the gridcells
// report command reads the files).
type Run struct {
	Title    string // page title (default "gridcells run")
	Config   string // the resolved config as text (config.json), shown verbatim
	Headline []Item // headline numbers (summary.json), in order
	Notes    []string

	Metrics           []figure.MetricPoint // metrics.jsonl
	DecodeThresholdCM float64              // drawn on the decoding-error curve (0: 10 cm)
	GridThreshold     float64              // marked on the score distribution (0: 0.8)
	// CurveEval and FinalEval are the trajectories × steps of the evaluation batches behind
	// the training curves (the training shape) and behind the headline numbers (NFL's
	// 200 × 50); zero when not known. The caption says so when they differ: errors
	// accumulate along longer paths, so the headline decoding error is usually the higher.
	CurveEval, FinalEval [2]int

	NBins int    // rate-map side n
	Units []Unit // analysed units, in scores.csv order
	Top   int    // units in the montage and autocorrelograms (0: DefaultTop)

	Trajectories *figure.TrajectoryData // evaluation trajectories; nil for none

	// Spectrum is the covariance spectrum of the run's target code (package theory,
	// spec §8.1–§8.2); nil for none.
	Spectrum *figure.SpectrumPanel
}

// NewRunReport renders the figures of a run — training curves, a montage of the
// top-scoring rate maps, their autocorrelograms with the score ring, the distribution of
// unit scores, the evaluation trajectories — and the units table, and returns the report.
// Parts whose data is missing (no metrics, no rate maps) are left out with a note.
func NewRunReport(r *Run) (*Report, error) {
	title := r.Title
	if title == "" {
		title = "gridcells run"
	}
	rep := newReport("run", title)
	rep.page.Headline = r.Headline
	rep.page.Config = r.Config
	rep.page.Notes = append(rep.page.Notes, r.Notes...)
	decode := r.DecodeThresholdCM
	if decode == 0 {
		decode = 10
	}
	grid := r.GridThreshold
	if grid == 0 {
		grid = 0.8
	}

	if len(r.Metrics) > 0 {
		f, err := figure.TrainingCurves(r.Metrics, &figure.CurveSettings{DecodeThresholdCM: decode, GridThreshold: grid})
		if err != nil {
			return nil, err
		}
		caption := fmt.Sprintf("Training (metrics.jsonl): loss on the training batches and on a fresh evaluation batch without dropout; position decoding error (spec §2.3) with the %g cm threshold of the run classification (spec §5.6).", decode)
		if slices.ContainsFunc(r.Metrics, func(m figure.MetricPoint) bool { return m.Scored }) {
			caption += fmt.Sprintf(" Grid scores (eval.track_scores): the best score60 of the analysed units (at most 256 of them) and the fraction of them above 0.3, from their rate maps on a batch of the final evaluation's shape at each logged step, with the %g threshold of possible grid cells: when the grid cells emerge.", grid)
		}
		if c, e := r.CurveEval, r.FinalEval; c[0] > 0 && e[0] > 0 && c != e {
			caption += fmt.Sprintf(" The curves' evaluation batches have the training shape, %d trajectories × %d steps; the headline numbers come from the final evaluation on %d × %d, whose longer paths let errors accumulate further, so its decoding error is usually above the curve's end.", c[0], c[1], e[0], e[1])
		}
		if err := rep.addFigure("training.png", caption, f); err != nil {
			return nil, err
		}
	} else {
		rep.page.Notes = append(rep.page.Notes, "No metrics were logged (metrics.jsonl missing or empty).")
	}

	n := r.NBins
	var best []Unit
	for _, i := range DrawnUnits(r.Units, r.Top) {
		if u := r.Units[i]; u.Map != nil {
			if len(u.Map) != n*n {
				return nil, fmt.Errorf("report: unit %d: rate map of %d values, want %d×%d", u.Unit, len(u.Map), n, n)
			}
			best = append(best, u)
		}
	}
	if len(best) > 0 {
		maps := make([]figure.UnitMap, len(best))
		sacs := make([]figure.SACPanel, len(best))
		for i, u := range best {
			maps[i] = figure.UnitMap{Unit: u.Unit, Score60: u.Score60, Map: u.Map}
			sacs[i] = figure.NewSACPanel(u.Unit, u.Score60, u.Map, n, u.Outer60)
		}
		if err := rep.addFigure("ratemaps.png", fmt.Sprintf("Rate maps (%d×%d bins, x to the right and y up) of the %d units with the highest 60° grid scores, each coloured from its own minimum (black) through red to its maximum (pale yellow); grey bins were never visited.", n, n, len(best)),
			figure.Montage(maps, n, &figure.MontageSettings{Title: fmt.Sprintf("top %d of %d units by grid score", len(best), len(r.Units))})); err != nil {
			return nil, err
		}
		if err := rep.addFigure("autocorrelograms.png", "Spatial autocorrelograms of the same units (spec §5.2; blue −1, white 0, red +1) with the ring (annulus) that gave each unit's score dashed (spec §5.3).",
			figure.Autocorrelograms(sacs, nil)); err != nil {
			return nil, err
		}
	} else if len(r.Units) > 0 {
		rep.page.Notes = append(rep.page.Notes, "No rate maps were found (ratemaps.npy missing), so the montage and autocorrelograms are left out.")
	}
	if len(r.Units) > 0 {
		f, err := figure.Survival([]figure.Sample{{Name: "this run", Values: unitScores(r.Units)}}, &figure.SurvivalSettings{Thresholds: survivalThresholds(grid)})
		if err != nil {
			return nil, err
		}
		if err := rep.addFigure("scores.png", fmt.Sprintf("Distribution of the units' 60° grid scores (the run's eval.score_method, at the first of eval.nbins) as a survival function P(score > x) (paper Fig. 2b); dashed lines at the thresholds %s.", thresholdList(survivalThresholds(grid))), f); err != nil {
			return nil, err
		}
		rep.page.Tables = append(rep.page.Tables, unitsTable(r.Units))
	}
	if t := r.Trajectories; t != nil && len(t.Paths) > 0 {
		f, err := figure.Trajectories(*t, nil)
		if err != nil {
			return nil, err
		}
		if err := rep.addFigure("trajectories.png", fmt.Sprintf("Evaluation trajectories (%d shown, each starting at its dot) and the occupancy of all evaluation positions in the box, binned like the rate maps.", len(t.Paths)), f); err != nil {
			return nil, err
		}
	}
	if r.Spectrum != nil {
		f, err := figure.Spectra([]figure.SpectrumPanel{*r.Spectrum}, nil)
		if err != nil {
			return nil, err
		}
		if err := rep.addFigure("spectrum.png", spectrumCaption, f); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// spectrumCaption explains the spectrum figures.
const spectrumCaption = "Fourier transform of the place-cell covariance of the target code (theory, spec §8.1–§8.2): top, the 2-D spectrum with the ring |k| = k* dashed; bottom, its radial profile. k* is the peak of this numerical spectrum of the code's own cells on a 55×55 grid, within a few % of the closed form for infinitely many cells (gridcells theory prints both). A ring (DoS) selects the grid period 4π/(√3 k*) (spec §8.4); a peak at k = 0 (Gaussian, true DoG, Cartesian) selects none (paper Fig. 4)."

// unitsTable is the sortable table of analysed units.
func unitsTable(units []Unit) table {
	t := table{ID: "units", Late: true, Caption: fmt.Sprintf("Units (%d analysed)", len(units)),
		Head: []column{{"unit", true}, {"score60", true}, {"score90", true}, {"ring outer (n)", true}, {"period (bins)", true}}}
	for _, u := range units {
		t.Rows = append(t.Rows, []cell{intCell(u.Unit), numCell(u.Score60), numCell(u.Score90), numCell(u.Outer60), numCell(u.Period)})
	}
	return t
}

// DefaultTop is the units a run report draws when Run.Top is 0.
const DefaultTop = 16

// DrawnUnits returns the indices into units of those a run report with Top top draws in its
// montage and autocorrelograms: the top (DefaultTop when ≤ 0) by Score60. A caller loading
// large rate maps needs to load only these.
func DrawnUnits(units []Unit, top int) []int {
	if top <= 0 {
		top = DefaultTop
	}
	return figure.TopUnits(unitScores(units), top)
}

// unitScores returns the units' 60° grid scores.
func unitScores(units []Unit) []float64 {
	scores := make([]float64, len(units))
	for i, u := range units {
		scores[i] = u.Score60
	}
	return scores
}
