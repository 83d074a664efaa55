package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/report/figure"
)

// Condition is one row of a sweep's table (spec §7.1): the runs sharing the values of the
// grouping keys.
type Condition struct {
	Values     []string        // one per Sweep.Keys
	Runs       int             // runs of the condition in the manifest
	N          int             // finished runs
	FracDecode figure.Fraction // finished runs with decoding error < DecodeCM
	FracGrid   figure.Fraction // of those, runs with max score60 > Grid
	// Scores are the per-unit 60° grid scores of the condition's finished runs pooled
	// (for the survival functions; nil when the runs' scores.csv are not read).
	Scores []float64
	// Tracked finished runs scored their units during training; GridFromCell says when
	// their grid cells emerged ("4500 (3/5)": the median step, counting the runs in which
	// they did not as after training, and the 3 of 5 in which they did; package sweep's
	// Condition.GridFromCell), MedianGridFrom sorts it (+Inf: half or more did not).
	Tracked        int
	GridFromCell   string
	MedianGridFrom float64
}

// SweepRun is one row of a sweep's table of runs.
type SweepRun struct {
	ID              string
	Index           int
	Params          []string // values of Sweep.ParamKeys
	Status          string   // finished, failed, pending, interrupted, running
	DecodingErrorCM float64  // NaN when not finished
	MaxScore60      float64
	HasGrid         bool   // has possible grid cells (spec §5.6)
	Diverged        bool   // the network blew up during training (train.Summary)
	Steps           int    // training steps done
	Link            string // relative link to the run's own report; empty for none
	Error           string // last failure
}

// Sweep is what a sweep report shows; package sweep's collected table fills it (the
// gridcells report command reads the files).
type Sweep struct {
	Title      string
	Keys       []string // grouping keys of the conditions
	DecodeCM   float64  // decoding-error threshold, cm
	Grid       float64  // max-score60 threshold
	Conditions []Condition
	// Labels name the conditions in figures, one per condition (gridcells reproduce passes
	// the paper's names); nil: conditionLabels makes them from Keys and the values.
	Labels    []string
	ParamKeys []string // swept keys, the columns of the runs table
	Runs      []SweepRun
	Notes     []string
	Periods   *figure.PeriodData // grid period vs place-cell width; nil for none
	// Spectra are the covariance spectra of the sweep's distinct target codes (package
	// theory), side by side; nil for none.
	Spectra []figure.SpectrumPanel
}

// A sweep of thousands of conditions (a random search groups one run per condition) would
// draw a figure millions of pixels wide and a page no browser opens: figures show the
// conditions with the most finished runs, and tables their first rows.
const (
	maxFigureConditions = 40   // bars of the fractions figure
	maxSurvivalCurves   = 12   // curves (and legend entries) of the survival figure
	maxTableRows        = 1000 // rows of the conditions and runs tables
	maxPeriodPoints     = 20000
)

// largestConditions marks the (at most) k conditions with the most finished runs, earlier
// conditions first among equals, and counts the conditions it chose among; withScores: only
// conditions with pooled unit scores.
func (s *Sweep) largestConditions(k int, withScores bool) (keep []bool, eligible int) {
	var order []int
	for i, c := range s.Conditions {
		if !withScores || c.Scores != nil {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s.Conditions[b].N, s.Conditions[a].N) })
	keep = make([]bool, len(s.Conditions))
	for _, i := range order[:min(k, len(order))] {
		keep[i] = true
	}
	return keep, len(order)
}

// shownConditions is a figure caption's note when it shows only some of the conditions.
func shownConditions(shown, total int) string {
	if shown == total {
		return ""
	}
	return fmt.Sprintf(" Shown: the %d of %d conditions with the most finished runs; group the runs by fewer keys (gridcells report --by) to see every condition.", shown, total)
}

// conditionLabels names the conditions for figures: s.Labels when given, "all" without
// grouping keys, the value alone with one key. With several keys, a figure's axis or legend
// cannot hold "training.learning_rate=0.01, trajectory.batch_size=200, …" for every
// condition, so only the keys that tell conditions apart are named, by their last part:
// a key whose value is different in every condition (a name) alone; else the keys whose
// value differs from the most common one ("baseline" for a condition at every such value).
// Such labels are distinct, since each fixes every key's value: the common one unless named.
// baseline says what "baseline" stands for ("activation=relu, learning_rate=0.003"), for
// the captions; it is empty when no condition is labelled so.
func (s *Sweep) conditionLabels() (labels []string, baseline string) {
	n := len(s.Conditions)
	if len(s.Labels) == n {
		return s.Labels, ""
	}
	out := make([]string, n)
	switch {
	case len(s.Keys) == 0:
		for i := range out {
			out[i] = "all"
		}
		return out, ""
	case len(s.Keys) == 1:
		for i, c := range s.Conditions {
			out[i] = c.Values[0]
		}
		return out, ""
	}
	short := func(k string) string { return k[strings.LastIndex(k, ".")+1:] }
	var varying []int
	for k := range s.Keys {
		seen := map[string]bool{}
		for _, c := range s.Conditions {
			seen[c.Values[k]] = true
		}
		if len(seen) == n && n > 1 {
			for i, c := range s.Conditions {
				out[i] = c.Values[k]
			}
			return out, ""
		}
		if len(seen) > 1 {
			varying = append(varying, k)
		}
	}
	// Differences from the most common value of each varying key.
	common := make([]string, len(s.Keys))
	for _, k := range varying {
		common[k] = mostCommon(s.Conditions, k)
	}
	for i, c := range s.Conditions {
		var parts []string
		for _, k := range varying {
			if c.Values[k] != common[k] {
				parts = append(parts, short(s.Keys[k])+"="+c.Values[k])
			}
		}
		out[i] = cmp.Or(strings.Join(parts, ", "), "baseline")
	}
	if len(varying) > 0 && slices.Contains(out, "baseline") {
		var base []string
		for _, k := range varying {
			base = append(base, short(s.Keys[k])+"="+common[k])
		}
		baseline = strings.Join(base, ", ")
	}
	return out, baseline
}

// conditionsName says in the figures what their conditions are, which a figure file shows
// without the page's table: the swept key when one key groups them (its values alone label
// the bars and curves), "condition" for several keys or given labels, "" for one condition.
func (s *Sweep) conditionsName() string {
	switch {
	case len(s.Conditions) < 2:
		return ""
	case len(s.Labels) != len(s.Conditions) && len(s.Keys) == 1:
		return s.Keys[0]
	}
	return "condition"
}

// survivalThresholds are the lines of the survival figure: the summaries' unit thresholds
// (0.3, 0.8, 1.2) and the report's grid threshold, each once, in order.
func survivalThresholds(grid float64) []float64 {
	lines := []float64{0.3, 0.8, 1.2}
	if !slices.Contains(lines, grid) {
		lines = append(lines, grid)
		slices.Sort(lines)
	}
	return lines
}

// thresholdList writes ths as "0.3, 0.8 and 1.2".
func thresholdList(ths []float64) string {
	parts := make([]string, len(ths))
	for i, th := range ths {
		parts[i] = strconv.FormatFloat(th, 'g', -1, 64)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// addSpectra adds the figure of the sweep's covariance spectra, if it has any.
func (s *Sweep) addSpectra(rep *Report) error {
	if len(s.Spectra) == 0 {
		return nil
	}
	f, err := figure.Spectra(s.Spectra, nil)
	if err != nil {
		return err
	}
	return rep.addFigure("spectra.png", spectrumCaption, f)
}

// mostCommon returns the most common value of key k among conds (the first on a tie).
func mostCommon(conds []Condition, k int) string {
	count := map[string]int{}
	best := ""
	for _, c := range conds {
		v := c.Values[k]
		count[v]++
		if count[v] > count[best] {
			best = v
		}
	}
	return best
}

// NewSweepReport renders a sweep's per-condition table with its bar chart (paper Fig. 2a),
// the survival functions of the pooled per-unit scores (Fig. 2b), the period-vs-width
// figure when given (Fig. 3), and the sortable table of runs.
func NewSweepReport(s *Sweep) (*Report, error) {
	title := s.Title
	if title == "" {
		title = "gridcells sweep"
	}
	rep := newReport("sweep", title)
	if len(s.Runs) == 0 && len(s.Conditions) == 0 {
		// Nothing trained (gridcells reproduce theory): no thresholds, tables or fractions
		// to show, only the notes and the theory's figures.
		rep.page.Notes = append(rep.page.Notes, s.Notes...)
		if err := s.addSpectra(rep); err != nil {
			return nil, err
		}
		return rep, nil
	}
	counts := map[string]int{}
	for _, r := range s.Runs {
		counts[r.Status]++
	}
	rep.page.Headline = []Item{{"runs", fmt.Sprint(len(s.Runs))}}
	for _, st := range []string{"finished", "running", "interrupted", "pending", "failed"} {
		if counts[st] > 0 {
			rep.page.Headline = append(rep.page.Headline, Item{st, fmt.Sprint(counts[st])})
		}
	}
	rep.page.Headline = append(rep.page.Headline,
		Item{"conditions", fmt.Sprint(len(s.Conditions))},
		Item{"grouped by", cmp.Or(strings.Join(s.Keys, ", "), "nothing (one condition: all runs)")},
		Item{"decoding-error threshold", fmt.Sprintf("%g cm", s.DecodeCM)},
		Item{"grid-score threshold", fmt.Sprintf("max score60 > %g", s.Grid)})
	rep.page.Notes = append(rep.page.Notes, s.Notes...)
	rep.page.Notes = append(rep.page.Notes, fmt.Sprintf(
		"A network decodes when its position decoding error is below %g cm; it has possible grid cells when, in addition, its best unit's 60° grid score exceeds %g (NFL's rule, spec §5.6). Intervals are 95 %% Wilson score intervals.", s.DecodeCM, s.Grid))
	if n := len(s.Runs) - counts["finished"]; n > 0 {
		rep.page.Notes = append(rep.page.Notes, fmt.Sprintf(
			"%d of %d runs have not finished; the conditions count finished runs only (column \"finished\"), and the fractions are of those.", n, len(s.Runs)))
	}
	diverged := 0
	for _, r := range s.Runs {
		if r.Status == "finished" && r.Diverged {
			diverged++
		}
	}
	if diverged > 0 {
		rep.page.Notes = append(rep.page.Notes, fmt.Sprintf(
			"Diverged during training: %d of the finished runs (a NaN or infinite loss, a cross-entropy above 10·ln Np, a training loss 100 times its lowest, or a late collapse of decoding). They are counted with their final numbers, which describe blown-up networks.", diverged))
	}

	// Per-condition table.
	ct := table{ID: "conditions", Caption: "Conditions"}
	for _, k := range s.Keys {
		ct.Head = append(ct.Head, column{k, false})
	}
	if len(s.Keys) == 0 {
		ct.Head = append(ct.Head, column{"condition", false})
	}
	ct.Head = append(ct.Head, column{"runs", true}, column{"finished", true},
		column{fmt.Sprintf("error < %g cm", s.DecodeCM), true},
		column{fmt.Sprintf("score60 > %g | error < %g cm", s.Grid, s.DecodeCM), true})
	// Runs that scored their units during training say when the grid cells emerged.
	tracked := slices.ContainsFunc(s.Conditions, func(c Condition) bool { return c.Tracked > 0 })
	if tracked {
		ct.Head = append(ct.Head, column{"grid cells from step: median (runs/tracked; runs' own threshold)", true})
	}
	var groups []figure.FractionGroup
	var samples []figure.Sample
	labels, baseline := s.conditionLabels()
	baselineNote := ""
	if baseline != "" {
		baselineNote = " “baseline” is the condition at the most common value of every key that varies (" + baseline + ")."
	}
	inFractions, _ := s.largestConditions(maxFigureConditions, false)
	inSurvival, withScores := s.largestConditions(maxSurvivalCurves, true)
	for i, c := range s.Conditions {
		if len(ct.Rows) < maxTableRows {
			var row []cell
			for _, v := range c.Values {
				row = append(row, cell{Text: v})
			}
			if len(s.Keys) == 0 {
				row = append(row, cell{Text: "all"})
			}
			row = append(row, intCell(c.Runs), intCell(c.N), fracCell(c.FracDecode), fracCell(c.FracGrid))
			if tracked {
				// After every step when half the runs or more had no grid cells; untracked
				// conditions have no key, which sorts last either way.
				sortKey := ""
				switch m := c.MedianGridFrom; {
				case c.Tracked == 0 || math.IsNaN(m):
				case math.IsInf(m, 1):
					sortKey = "Infinity"
				default:
					sortKey = strconv.FormatFloat(m, 'g', -1, 64)
				}
				row = append(row, cell{Text: c.GridFromCell, Sort: sortKey, Class: "num"})
			}
			ct.Rows = append(ct.Rows, row)
		}
		label := labels[i]
		if inFractions[i] {
			groups = append(groups, figure.FractionGroup{Label: label, Fractions: []figure.Fraction{c.FracDecode, c.FracGrid}})
		}
		if inSurvival[i] {
			samples = append(samples, figure.Sample{Name: label, Values: c.Scores})
		}
	}
	if len(s.Conditions) > maxTableRows {
		ct.Caption = fmt.Sprintf("Conditions (the first %d of %d; gridcells sweep table lists them all)", maxTableRows, len(s.Conditions))
	}
	rep.page.Tables = append(rep.page.Tables, ct)

	if len(groups) > 0 {
		f, err := figure.Fractions([]string{fmt.Sprintf("error < %g cm", s.DecodeCM), fmt.Sprintf("max score60 > %g, given error < %g cm", s.Grid, s.DecodeCM)}, groups,
			&figure.FractionSettings{XLabel: s.conditionsName()})
		if err != nil {
			return nil, err
		}
		caption := fmt.Sprintf("Fraction of finished networks per condition that decode position (error < %g cm) and, of those, that have possible grid cells (max score60 > %g), with 95 %% Wilson intervals and counts k/n (paper Fig. 2a).", s.DecodeCM, s.Grid)
		if err := rep.addFigure("fractions.png", caption+baselineNote+shownConditions(len(groups), len(s.Conditions)), f); err != nil {
			return nil, err
		}
	}
	if len(samples) > 0 {
		title := "survival functions of per-unit grid scores"
		if name := s.conditionsName(); name != "" {
			title += ", by " + name
		}
		f, err := figure.Survival(samples, &figure.SurvivalSettings{Title: title, Thresholds: survivalThresholds(s.Grid)})
		if err != nil {
			return nil, err
		}
		caption := "Survival functions P(score > x) of the per-unit 60° grid scores, pooled over each condition's finished runs (paper Fig. 2b)."
		if err := rep.addFigure("survival.png", caption+baselineNote+shownConditions(len(samples), withScores), f); err != nil {
			return nil, err
		}
	}
	if s.Periods != nil && len(s.Periods.Units)+len(s.Periods.Modes) > 0 {
		data, note := *s.Periods, ""
		if n := len(data.Units); n > maxPeriodPoints {
			// Every k-th unit: the modes are computed from all of them, the scatter only
			// shows where they lie (a million circles took most of a report's drawing time).
			k := (n + maxPeriodPoints - 1) / maxPeriodPoints
			data.Units = nil
			for i := 0; i < n; i += k {
				data.Units = append(data.Units, s.Periods.Units[i])
			}
			note = fmt.Sprintf(" Shown: one unit in %d (%d of %d).", k, len(data.Units), n)
		}
		f, err := figure.PeriodVsWidth(data, nil)
		if err != nil {
			return nil, err
		}
		if err := rep.addFigure("periods.png", "Grid period of units with score60 above the threshold against the place-cell width σ: units, the KDE mode per width (spec §5.6) and theory's spacing 4π/(√3 k*) with k* in closed form from the encoding's tuning (spec §8.2, §8.4; paper Fig. 3): the spectra figure's rings, at the peak of the covariance spectrum of the sweep's own cells in its box, lie within a few per cent of it."+note, f); err != nil {
			return nil, err
		}
	}

	if err := s.addSpectra(rep); err != nil {
		return nil, err
	}

	// Runs table.
	rt := table{ID: "runs", Late: true, Caption: fmt.Sprintf("Runs (%d)", len(s.Runs)), Head: []column{{"run", false}, {"index", true}}}
	for _, k := range s.ParamKeys {
		rt.Head = append(rt.Head, column{k, false})
	}
	rt.Head = append(rt.Head, column{"status", false}, column{"decoding error (cm)", true}, column{"max score60", true},
		column{"possible grid cells", false}, column{"steps", true}, column{"error", false})
	if len(s.Runs) > maxTableRows {
		rt.Caption = fmt.Sprintf("Runs (the first %d of %d; gridcells sweep collect writes them all to runs.csv)", maxTableRows, len(s.Runs))
	}
	for _, r := range s.Runs[:min(len(s.Runs), maxTableRows)] {
		id := cell{Text: r.ID}
		if r.Link != "" {
			id.Href = safeLink(r.Link)
		}
		row := []cell{id, intCell(r.Index)}
		for _, v := range r.Params {
			row = append(row, cell{Text: v})
		}
		for range len(s.ParamKeys) - len(r.Params) {
			row = append(row, cell{})
		}
		grid := cell{Text: "no"}
		if r.HasGrid {
			grid = cell{Text: "yes", Class: "yes"}
		}
		if r.Status != "finished" {
			grid = cell{Text: "–"}
		}
		steps := intCell(r.Steps)
		if r.Status != "finished" && r.Steps == 0 {
			steps = cell{Text: "–", Class: "num"}
		}
		row = append(row, cell{Text: r.Status, Class: r.Status}, numCell(r.DecodingErrorCM), numCell(r.MaxScore60), grid, steps, cell{Text: r.Error})
		rt.Rows = append(rt.Rows, row)
	}
	rep.page.Tables = append(rep.page.Tables, rt)
	return rep, nil
}
