package reproduce

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/report/figure"
	"github.com/gridcells/gridcells/sweep"
	"github.com/gridcells/gridcells/theory"
)

// z95 is the normal quantile of the 95 % Wilson intervals, as package sweep's table.
const z95 = 1.959963984540054

// Row puts one of the paper's numbers beside ours.
type Row struct {
	Quantity  string
	Condition string
	// Paper is the paper's value as text (with its N), or "–" when the paper has none for
	// this condition; PaperValue is the number, NaN for ranges and qualitative statements.
	Paper      string
	PaperValue float64
	Ours       string
	OursValue  float64 // NaN when nothing was measured
	K, N       int     // counts behind a fraction (N = 0 otherwise)
	Lo, Hi     float64 // 95 % Wilson interval of a fraction (NaN otherwise)
}

// ConditionUnits are the per-unit results of one condition's finished runs, pooled.
type ConditionUnits struct {
	Label   string
	Sigma   float64   // place-cell width, m (NaN unless every run has the same single width)
	Score60 []float64 // every analysed unit
	// PeriodPaperBins are the grid periods of units with score60 above the grid threshold,
	// converted to the paper's 5-cm bins; AllPeriodPaperBins those of every unit whose
	// period was measured (score60 > 0.3, spec §4.3 step 5).
	PeriodPaperBins, AllPeriodPaperBins []float64
}

// Comparison is a collected sweep next to the paper.
type Comparison struct {
	Labels []string // one per condition of the table
	Rows   []Row
	Units  []ConditionUnits // one per condition
	// Periods is grid period vs place-cell width in the paper's 5-cm bins (periods result):
	// every measured unit, the KDE mode per width and theory's prediction.
	Periods *figure.PeriodData
	Notes   []string
}

// Input is a collected sweep: its directory (for the runs' scores.csv), the collected
// results and the per-condition table of package sweep.
type Input struct {
	Dir        string
	Results    []sweep.Result
	Keys       []string // canonical grouping keys of Conditions
	Conditions []sweep.Condition
	Thresholds sweep.Thresholds
}

// Compare reads the finished runs' scores.csv and returns the comparison rows of result r
// (spec §7): paper Fig. 2a's fractions for encodings, Fig. 3's period modes for periods,
// Fig. 4's unit percentages for dos-details, Result #4's fractions for hyperparameters and
// Fig. 5's numbers for biological.
func Compare(r Result, in Input) (*Comparison, error) {
	c := &Comparison{}
	index := map[string]int{}
	for i, cond := range in.Conditions {
		index[strings.Join(cond.Values, "\x00")] = i
		c.Labels = append(c.Labels, label(r, in.Keys, in.Conditions, i))
		c.Units = append(c.Units, ConditionUnits{Label: c.Labels[i], Sigma: math.NaN()})
	}
	sigmaSeen := make([]bool, len(in.Conditions))
	unreadable := 0
	for _, res := range in.Results {
		vals, err := res.Run.Values(in.Keys)
		if err != nil {
			return nil, err
		}
		ci, ok := index[strings.Join(vals, "\x00")]
		if !ok {
			return nil, fmt.Errorf("reproduce: run %s: condition %q not in the table", res.Run.ID, vals)
		}
		cfg := res.Run.Config
		u := &c.Units[ci]
		sigma := math.NaN()
		if d := cfg.Encoding.PlaceCellRF; d.Kind == "const" || d.Kind == "" {
			sigma = d.A
		}
		// The condition's width comes from every run of it, finished or not, so that its
		// paper values stay beside it while a run is still training.
		if !sigmaSeen[ci] {
			u.Sigma, sigmaSeen[ci] = sigma, true
		} else if !(u.Sigma == sigma) {
			u.Sigma = math.NaN()
		}
		if res.Status != sweep.StatusFinished || len(cfg.Eval.NBins) == 0 {
			continue
		}
		nbins := cfg.Eval.NBins[0]
		if res.Summary != nil && res.Summary.NBins > 0 {
			nbins = res.Summary.NBins // scores.csv's resolution, after any gridcells eval --nbins
		}
		scores, err := readScores(filepath.Join(sweep.RunDir(in.Dir, res.Run.ID), "scores.csv"), nbins)
		if err != nil {
			unreadable++
			continue
		}
		for j, s := range scores.Score60 {
			u.Score60 = append(u.Score60, s)
			p := scores.Period[j]
			if math.IsNaN(p) {
				continue
			}
			pb := p * 100 * cfg.Trajectory.MapSide() / float64(scores.NBins[j]) / PaperBinCM
			u.AllPeriodPaperBins = append(u.AllPeriodPaperBins, pb)
			if s > in.Thresholds.Grid {
				u.PeriodPaperBins = append(u.PeriodPaperBins, pb)
			}
		}
	}
	if unreadable > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d finished runs have no readable scores.csv; their units are left out.", unreadable))
	}
	if note := sweep.ScoringNote(in.Results); note != "" {
		c.Notes = append(c.Notes, "Warning: "+note+".")
	}
	switch r.Name {
	case "encodings":
		c.encodings(in)
	case "periods":
		c.periods(in)
	case "dos-details":
		c.dosDetails(in)
	case "hyperparameters":
		c.hyperparameters(in)
	case "biological":
		c.biological(in)
	default:
		return nil, fmt.Errorf("reproduce: result %q has no sweep comparison (it trains nothing)", r.Name)
	}
	return c, nil
}

func readScores(path string, nbins int) (*theory.UnitScores, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return theory.ReadScoresCSV(f, nbins)
}

// label names condition i of the table: its value for one grouping key; for
// hyperparameters the keys that differ from the first condition (the ideal network,
// "baseline"); otherwise key=value pairs.
func label(r Result, keys []string, conds []sweep.Condition, i int) string {
	vals := conds[i].Values
	if len(keys) == 1 {
		return vals[0]
	}
	var parts []string
	for j, k := range keys {
		short := k[strings.LastIndex(k, ".")+1:]
		if r.Name == "hyperparameters" {
			if vals[j] != conds[0].Values[j] {
				parts = append(parts, short+"="+vals[j])
			}
			continue
		}
		if k == "name" {
			parts = append(parts, vals[j])
			continue
		}
		parts = append(parts, short+"="+vals[j])
	}
	if len(parts) == 0 {
		return "baseline"
	}
	return strings.Join(parts, ", ")
}

// fracRow returns a row of a fraction k/n with its Wilson interval.
func fracRow(quantity, cond string, k, n int, empty, paper string, paperValue float64) Row {
	iv := sweep.Wilson(k, n, z95)
	row := Row{Quantity: quantity, Condition: cond, Paper: paper, PaperValue: paperValue, K: k, N: n,
		OursValue: float64(iv.P), Lo: float64(iv.Lo), Hi: float64(iv.Hi)}
	if n == 0 {
		row.Ours = "0/0 (" + empty + ")" // nothing to count, and empty says why
	} else {
		row.Ours = fmt.Sprintf("%d/%d = %.2f [%.2f, %.2f]", k, n, row.OursValue, row.Lo, row.Hi)
	}
	return row
}

// valueRow returns a row of a measured number.
func valueRow(quantity, cond string, v float64, unit string, paper string, paperValue float64) Row {
	row := Row{Quantity: quantity, Condition: cond, Paper: paper, PaperValue: paperValue, OursValue: v, Lo: math.NaN(), Hi: math.NaN()}
	if math.IsNaN(v) {
		row.Ours = "–"
	} else {
		row.Ours = strconv.FormatFloat(v, 'f', 2, 64) + unit
	}
	return row
}

const none = "–"

func paperFrac(p float64, n int) string { return fmt.Sprintf("%.2f (N %d)", p, n) }

// paperGridFrac is a Fig. 2a grid fraction with its denominator: it is conditional on
// decoding, so it is over the category's networks that decode (the decoding fraction
// times N, as the figure gives no count), not over all N.
func paperGridFrac(p Category) string {
	return fmt.Sprintf("%.2f (of ≈%d that decode; N %d)", p.Grid, p.DecodedN(), p.N)
}

// bestUnitQuantity names the best-unit rows: ours is the maximum over every analysed unit,
// scored at each run's first eval.nbins resolution, while the paper's column gives the
// scores of the example units its figure shows, which need not be the best.
const bestUnitQuantity = "best unit's score60 (ours: the maximum over the analysed units, at the run's eval.nbins[0])"

func (c *Comparison) decodeGridRows(in Input, i int, paperDecode, paperGrid string, pd, pg float64) {
	cond := in.Conditions[i]
	th := in.Thresholds
	// The paper's fractions are at its thresholds (spec §5.6); with others, say so beside them.
	if th.DecodeCM != sweep.DefaultDecodeThresholdCM && paperDecode != none {
		paperDecode += fmt.Sprintf(" at the paper's < %g cm", float64(sweep.DefaultDecodeThresholdCM))
	}
	if (th.Grid != sweep.DefaultGridThreshold || th.DecodeCM != sweep.DefaultDecodeThresholdCM) && paperGrid != none && paperGrid != "–" {
		paperGrid += fmt.Sprintf(" at the paper's > %g, < %g cm", sweep.DefaultGridThreshold, float64(sweep.DefaultDecodeThresholdCM))
	}
	c.Rows = append(c.Rows,
		fracRow(fmt.Sprintf("networks with decoding error < %g cm", th.DecodeCM), c.Labels[i], cond.Decoded, cond.N, "no finished run", paperDecode, pd),
		fracRow(fmt.Sprintf("networks with max score60 > %g, given error < %g cm", th.Grid, th.DecodeCM), c.Labels[i], cond.Grid, cond.Decoded, noneDecodes(cond.N), paperGrid, pg))
}

// noneDecodes says why no network is counted among those that decode: none finished, or
// none of the n that did decodes.
func noneDecodes(n int) string {
	if n == 0 {
		return "no finished run"
	}
	return "none of the finished runs decodes"
}

// unitsAbove counts the units with score60 > th (NaN scores count as not above).
func unitsAbove(scores []float64, th float64) int {
	k := 0
	for _, s := range scores {
		if s > th {
			k++
		}
	}
	return k
}

func maxScore(scores []float64) float64 {
	m := math.NaN()
	for _, s := range scores {
		if !math.IsNaN(s) && !(s <= m) {
			m = s
		}
	}
	return m
}

func (c *Comparison) encodings(in Input) {
	for i := range in.Conditions {
		name := in.Conditions[i].Values[0]
		p, ok := category(name)
		if !ok {
			c.decodeGridRows(in, i, none, none, math.NaN(), math.NaN())
			continue
		}
		c.decodeGridRows(in, i, paperFrac(p.Decode, p.N), paperGridFrac(p), p.Decode, p.Grid)
		best := none
		if p.BestUnits != "" {
			best = "units shown in Fig. 2c: " + p.BestUnits
		}
		c.Rows = append(c.Rows, valueRow(bestUnitQuantity, c.Labels[i], maxScore(c.Units[i].Score60), "", best, math.NaN()))
	}
}

// paperMode returns Fig. 3's mode at width sigma.
func paperMode(sigma float64) (float64, bool) {
	for _, m := range Fig3Modes {
		if math.Abs(m.Sigma-sigma) < 1e-9 {
			return m.Bins, true
		}
	}
	return 0, false
}

// kdeMode is the argmax of NFL's KDE (bandwidth 1 bin on [0, 150]) of the periods.
func kdeMode(periods []float64) float64 {
	m, err := analysis.ModulesKDE(periods, nil)
	if err != nil || len(m.Density) == 0 {
		return math.NaN()
	}
	best := 0
	for i, d := range m.Density {
		if d > m.Density[best] {
			best = i
		}
	}
	return m.Grid[best]
}

// predictedBins is the spacing that theory's k* of a single-width code predicts, in the
// paper's 5-cm bins (spec §8.2, §8.4); NaN without a finite peak.
func predictedBins(e config.Encoding) float64 {
	t, err := theory.TuningOf(e)
	if err != nil {
		return math.NaN()
	}
	k := t.PeakWavenumber()
	if !(k > 0) {
		return math.NaN()
	}
	return 100 * theory.HexSpacing(k) / PaperBinCM
}

func (c *Comparison) periods(in Input) {
	type mode struct{ sigma, bins float64 }
	var modes []mode
	c.Periods = &figure.PeriodData{BinCM: PaperBinCM}
	var refs []float64 // the surround scale of each width's prediction
	anyPooled := false
	for i := range in.Conditions {
		u := c.Units[i]
		for _, p := range u.AllPeriodPaperBins {
			c.Periods.Units = append(c.Periods.Units, figure.PeriodPoint{Sigma: u.Sigma, Period: p})
		}
		if m := kdeMode(u.AllPeriodPaperBins); !math.IsNaN(m) {
			c.Periods.Modes = append(c.Periods.Modes, figure.PeriodPoint{Sigma: u.Sigma, Period: m})
		}
		paper, pv := none, math.NaN()
		if m, ok := paperMode(u.Sigma); ok {
			paper, pv = fmt.Sprintf("%.1f", m), m
		}
		mb := kdeMode(u.PeriodPaperBins)
		row := valueRow(fmt.Sprintf("KDE mode of the grid period of units with score60 > %g (5-cm bins)", in.Thresholds.Grid), c.Labels[i], mb, "", paper, pv)
		row.N = len(u.PeriodPaperBins)
		if row.N == 0 && in.Conditions[i].N == 0 {
			row.Ours = "no finished run"
		} else if row.N == 0 {
			row.Ours = fmt.Sprintf("no unit with score60 > %g", in.Thresholds.Grid)
		} else {
			row.Ours += fmt.Sprintf(" (%d units)", row.N)
			modes = append(modes, mode{u.Sigma, mb})
		}
		c.Rows = append(c.Rows, row)
		low := valueRow("KDE mode of the grid period of every unit with a measured period, score60 > 0.3 (5-cm bins)", c.Labels[i], kdeMode(u.AllPeriodPaperBins), "", none, math.NaN())
		if low.N = len(u.AllPeriodPaperBins); low.N > 0 {
			low.Ours += fmt.Sprintf(" (%d units)", low.N)
		}
		c.Rows = append(c.Rows, low)
		if row, ref, pooled, ok := c.theoryRow(in, i); ok {
			c.Rows = append(c.Rows, row)
			refs = append(refs, ref)
			anyPooled = anyPooled || pooled
			if !math.IsNaN(row.OursValue) {
				c.Periods.Theory = append(c.Periods.Theory, figure.PeriodPoint{Sigma: u.Sigma, Period: row.OursValue})
			}
		}
	}
	c.Periods.TheorySurround = theory.SurroundNote(anyPooled, refs)
	sort.Slice(modes, func(a, b int) bool { return modes[a].sigma < modes[b].sigma })
	for k := 0; k+1 < len(modes); k++ {
		a, b := modes[k], modes[k+1]
		c.Rows = append(c.Rows, valueRow("ratio of consecutive KDE modes", fmt.Sprintf("σ %g → %g", a.sigma, b.sigma), b.bins/a.bins, "",
			fmt.Sprintf("%.2f–%.2f (12 ratios)", Fig3Ratios[0], Fig3Ratios[1]), math.NaN()))
	}
}

// theoryRow is theory's predicted spacing for condition i of the periods result. The
// paper's Fig. 3 pools the DoS sweep's surround scales s at each width, and the prediction
// depends on s, so it is given at the s nearest theory.ReferenceSurround among the
// condition's runs (finished or not), with the range over the others beside it. ref is
// that s, and pooled says whether the condition has several.
func (c *Comparison) theoryRow(in Input, i int) (row Row, ref float64, pooled, ok bool) {
	u := c.Units[i]
	byS := map[float64]float64{} // surround scale → predicted bins
	ref = math.NaN()
	for _, res := range in.Results {
		if !inCondition(in, res, i) {
			continue
		}
		e := res.Run.Config.Encoding
		s := e.SurroundScale.A
		if _, seen := byS[s]; seen {
			continue
		}
		byS[s] = predictedBins(e)
		if math.IsNaN(ref) || theory.NearerReference(s, ref) {
			ref = s
		}
	}
	if len(byS) == 0 {
		return Row{}, 0, false, false
	}
	p := byS[ref]
	paper, pv := none, math.NaN()
	for _, s := range Sec84 {
		if math.Abs(s.Sigma-u.Sigma) < 1e-9 && math.Abs(s.S-ref) < 1e-9 {
			paper, pv = fmt.Sprintf("%.1f (spec §8.4)", s.Bins), s.Bins
		}
	}
	row = valueRow(fmt.Sprintf("theory: spacing 4π/(√3 k*) at s = %g (5-cm bins)", ref), c.Labels[i], p, "", paper, pv)
	if len(byS) > 1 {
		ss := slices.Sorted(maps.Keys(byS))
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, b := range byS {
			lo, hi = math.Min(lo, b), math.Max(hi, b)
		}
		row.Ours += fmt.Sprintf(" (%.2f–%.2f over s %g–%g)", lo, hi, ss[0], ss[len(ss)-1])
	}
	return row, ref, len(byS) > 1, true
}

// idealDoS reports whether cfg is NFL's ideal DoS network (pc_ce_dog_ideal.yaml, paper
// Fig. 4's pie chart): DoS with global normalisation, σ 0.12 m, s 2 in NFL's convention
// (σ_I = s·σ_E), ReLU, no dropout, RNN or UGRNN. Training lengths and sizes are not compared,
// so that the small and tiny scales' shorter runs of that network count too.
func idealDoS(cfg config.Config) bool {
	e, m := cfg.Encoding, cfg.Model
	return e.Kind == "difference_of_gaussians" && e.Normalization == "global" && e.SurroundConvention == "sigma_ratio" &&
		(e.PlaceCellRF.Kind == "const" || e.PlaceCellRF.Kind == "") && math.Abs(e.PlaceCellRF.A-0.12) < 1e-9 &&
		(e.SurroundScale.Kind == "const" || e.SurroundScale.Kind == "") && e.SurroundScale.A == theory.ReferenceSurround &&
		m.Activation == "relu" && m.ReadoutDropout == 0 && m.RecurrentDropout == 0 &&
		(m.RNNType == "RNN" || m.RNNType == "UGRNN")
}

// idealCounts counts the finished ideal DoS runs of condition i (idealDoS), those that
// decode and those whose best unit also reaches the grid threshold, and all of the
// condition's finished runs. "Reaches" is ≥, as NFL's pie charts count (spec §5.6), where
// the sweep tables' "possible grid cells" is a strict >.
func idealCounts(in Input, i int) (n, decoded, grid, all int) {
	for _, res := range in.Results {
		if res.Status != sweep.StatusFinished || res.Summary == nil || !inCondition(in, res, i) {
			continue
		}
		all++
		if !idealDoS(res.Run.Config) {
			continue
		}
		n++
		if in.Thresholds.Decodes(res.Summary) {
			decoded++
			if float64(res.Summary.MaxScore60) >= in.Thresholds.Grid {
				grid++
			}
		}
	}
	return n, decoded, grid, all
}

// inCondition reports whether res belongs to condition i of in (sweep.Table's grouping).
func inCondition(in Input, res sweep.Result, i int) bool {
	vals, err := res.Run.Values(in.Keys)
	return err == nil && slices.Equal(vals, in.Conditions[i].Values)
}

func (c *Comparison) dosDetails(in Input) {
	for i, cond := range in.Conditions {
		name := cond.Values[0]
		u := c.Units[i]
		for _, th := range Fig4UnitsAbove {
			paper := none
			if name == "DoS" {
				paper = th.Text + " of units per network"
			}
			row := fracRow(fmt.Sprintf("units with score60 > %g", th.Threshold), c.Labels[i], unitsAbove(u.Score60, th.Threshold), len(u.Score60), "no unit scored", paper, math.NaN())
			c.Rows = append(c.Rows, row)
		}
		paper := "long tail beyond 1"
		if name == "DoG" {
			paper = "almost none"
		}
		c.Rows = append(c.Rows, fracRow("units with score60 > 0.5", c.Labels[i], unitsAbove(u.Score60, 0.5), len(u.Score60), "no unit scored", paper, math.NaN()))
		pg, pgv := none, math.NaN()
		ideal := fmt.Sprintf("%.2f (ideal DoS, N %d)", Fig4IdealGrid, Fig4IdealN)
		n, decoded, grid, all := idealCounts(in, i)
		label := fmt.Sprintf("networks with max score60 > %g, given error < %g cm", in.Thresholds.Grid, in.Thresholds.DecodeCM)
		k, of := cond.Grid, cond.Decoded
		switch {
		case n > 0 && n == all:
			// Every run of the condition is the ideal network (the small and tiny scales):
			// counted as the paper's pie counts, with ≥ (spec §5.6).
			pg, pgv = ideal, Fig4IdealGrid
			label = fmt.Sprintf("networks with max score60 ≥ %g (the pie's ≥), given error < %g cm", in.Thresholds.Grid, in.Thresholds.DecodeCM)
			k, of = grid, decoded
		case name == "DoG":
			if p, ok := category("DoG"); ok {
				pg, pgv = paperFrac(p.Grid, p.N)+" (Fig. 2)", p.Grid
			}
		}
		c.Rows = append(c.Rows, fracRow(label, c.Labels[i], k, of, noneDecodes(cond.N), pg, pgv))
		if n > 0 && n < all {
			// The paper's ideal-DoS figure belongs to those runs only, not to the whole
			// factorial sweep at this width (other s, tanh, dropout, LSTM and GRU).
			c.Rows = append(c.Rows, fracRow(fmt.Sprintf("ideal DoS networks (s %g, ReLU, no dropout, RNN/UGRNN) with max score60 ≥ %g (the pie's ≥), given error < %g cm", theory.ReferenceSurround, in.Thresholds.Grid, in.Thresholds.DecodeCM),
				c.Labels[i], grid, decoded, noneDecodes(n), ideal, Fig4IdealGrid))
		}
		for _, res := range in.Results {
			if res.Run.Config.Name != name || !(math.Abs(res.Run.Config.Encoding.PlaceCellRF.A-u.Sigma) < 1e-9) {
				continue
			}
			t, err := theory.TuningOf(res.Run.Config.Encoding)
			if err != nil {
				break
			}
			k := t.PeakWavenumber()
			paper := "ring: peak at k* > 0"
			if name == "DoG" {
				paper = "peak at k = 0"
			}
			c.Rows = append(c.Rows, valueRow("covariance spectrum peak k* (rad/m, closed form)", c.Labels[i], k, "", paper, math.NaN()))
			break
		}
	}
}

func (c *Comparison) hyperparameters(in Input) {
	for i := range in.Conditions {
		pd, pg, pdv, pgv := "–", "fewer networks with grid cells (qualitative, spec §7.7)", math.NaN(), math.NaN()
		if baseline(in, i) {
			pd = none
			pg, pgv = fmt.Sprintf("%.2f (ideal DoS, N %d)", Fig4IdealGrid, Fig4IdealN), Fig4IdealGrid
		}
		c.decodeGridRows(in, i, pd, pg, pdv, pgv)
	}
}

// baseline reports whether condition i of the hyperparameters result is the unperturbed
// network: it differs from condition 0 (the baseline document's first run) in the
// architecture at most. The paper-scale baseline is NFL's ideal sweep, RNN and UGRNN, while
// every perturbation is an RNN; grouping by rnn_type keeps the two apart.
func baseline(in Input, i int) bool {
	for j, k := range in.Keys {
		if k != "model.rnn_type" && in.Conditions[i].Values[j] != in.Conditions[0].Values[j] {
			return false
		}
	}
	return true
}

func (c *Comparison) biological(in Input) {
	for i, cond := range in.Conditions {
		name := cond.Values[0]
		u := c.Units[i]
		pd, pdv := none, math.NaN()
		if _, ok := Fig5Survival05[name]; ok {
			pd, pdv = paperFrac(Fig5Decode, Fig5N), Fig5Decode
		}
		c.decodeGridRows(in, i, pd, none, pdv, math.NaN())
		ps, psv := none, math.NaN()
		if v, ok := Fig5Survival05[name]; ok {
			ps, psv = fmt.Sprintf("≈ %.1f", v), v
		}
		c.Rows = append(c.Rows, fracRow("units with score60 > 0.5 (survival at 0.5)", c.Labels[i], unitsAbove(u.Score60, 0.5), len(u.Score60), "no unit scored", ps, psv))
		best := none
		if v, ok := Fig5Best[name]; ok {
			best = "units shown in Fig. 5: " + v
		}
		c.Rows = append(c.Rows, valueRow(bestUnitQuantity, c.Labels[i], maxScore(u.Score60), "", best, math.NaN()))
	}
}

// WriteRowsCSV writes the comparison rows as CSV: quantity, condition, the paper's text
// and value, ours as text and value, counts and interval (empty when not applicable).
func WriteRowsCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"quantity", "condition", "paper", "paper_value", "ours", "ours_value", "k", "n", "ci_lo", "ci_hi"})
	for _, r := range rows {
		k, n := "", ""
		if r.N > 0 || strings.Contains(r.Ours, "/") {
			k, n = strconv.Itoa(r.K), strconv.Itoa(r.N)
		}
		cw.Write([]string{r.Quantity, r.Condition, r.Paper, csvNum(r.PaperValue), r.Ours, csvNum(r.OursValue), k, n, csvNum(r.Lo), csvNum(r.Hi)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteTableCSV writes package sweep's per-condition table, one row per condition (its
// label, the values of keys, counts, fractions and 95 % Wilson intervals), with paper Fig.
// 2a's N, fractions and the number that decode (the grid fraction's denominator,
// Category.DecodedN) beside it for the encodings result, and last when the grid cells
// emerged: the runs that scored their units during training (tracked), how many of them had
// grid cells (grid_from_runs) and the median step from which they did, counting the others
// as after training (grid_from_median, sweep.Condition.MedianGridFrom: inf when half or more
// had none, empty when no run was tracked).
func (r Result) WriteTableCSV(w io.Writer, keys []string, labels []string, conds []sweep.Condition) error {
	if len(labels) != len(conds) {
		return errors.New("reproduce: WriteTableCSV: one label per condition needed")
	}
	cw := csv.NewWriter(w)
	head := append([]string{"condition"}, keys...)
	cw.Write(append(head, "runs", "finished", "decoded", "frac_decode", "decode_lo", "decode_hi", "grid", "frac_grid", "grid_lo", "grid_hi",
		"paper_n", "paper_frac_decode", "paper_frac_grid", "paper_n_decoded", "tracked", "grid_from_runs", "grid_from_median"))
	for i, c := range conds {
		fields := append([]string{labels[i]}, c.Values...)
		fields = append(fields, strconv.Itoa(c.Runs), strconv.Itoa(c.N), strconv.Itoa(c.Decoded),
			csvNum(float64(c.FracDecode.P)), csvNum(float64(c.FracDecode.Lo)), csvNum(float64(c.FracDecode.Hi)),
			strconv.Itoa(c.Grid), csvNum(float64(c.FracGrid.P)), csvNum(float64(c.FracGrid.Lo)), csvNum(float64(c.FracGrid.Hi)))
		pn, pd, pg, pnd := "", "", "", ""
		if i := slices.Index(keys, "name"); r.Name == "encodings" && i >= 0 {
			if p, ok := category(c.Values[i]); ok {
				pn, pd, pg, pnd = strconv.Itoa(p.N), csvNum(p.Decode), csvNum(p.Grid), strconv.Itoa(p.DecodedN())
			}
		}
		cw.Write(append(fields, pn, pd, pg, pnd, strconv.Itoa(c.Tracked), strconv.Itoa(len(c.GridFrom)), csvNum(c.MedianGridFrom())))
	}
	cw.Flush()
	return cw.Error()
}

// csvNum formats x for CSV: empty for NaN, inf for +Inf (as pandas and numpy write it).
func csvNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return ""
	case math.IsInf(x, 1):
		return "inf"
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}
