package sweep

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/jsonnum"
)

// Default thresholds of the paper's table (spec §5.6, §7.1): a network path-integrates when
// its decoding error is below 10 cm, and has possible grid cells when, in addition, its
// max score60 exceeds 0.8.
const (
	DefaultDecodeThresholdCM = 10
	DefaultGridThreshold     = 0.8
)

// z95 is the standard normal quantile of 0.975, for 95 % intervals.
const z95 = 1.959963984540054

// Number is a float64 that reads and writes JSON null as NaN (internal/jsonnum).
type Number = jsonnum.Number

// Summary is the part of a run's summary.json (written by package train) that a sweep
// table uses.
type Summary struct {
	Steps                int               `json:"steps"`
	WallSeconds          Number            `json:"wall_s"`
	Loss                 Number            `json:"loss"`
	DecodingErrorCM      Number            `json:"decoding_error_cm"`
	MaxScore60           Number            `json:"max_score60"`
	FracAbove            map[string]Number `json:"frac_units_score60_above"`
	HasPossibleGridCells bool              `json:"has_possible_grid_cells"`
	// Diverged: the network blew up (train.Summary: a NaN or infinite loss or decoding
	// error, a cross-entropy above 10·ln Np, a training loss 100 times its lowest and above
	// its first, or a last evaluation decoding far worse than its best); its final numbers
	// describe a blown-up network.
	Diverged bool `json:"diverged"`
	// NBins is the resolution of the run's ratemaps.npy and scores.csv (its last
	// evaluation's, which gridcells eval --nbins may have changed from the config's).
	NBins int `json:"nbins"`
	// ScoreMethod is the 60° score of max_score60 (nfl, deepmind, bnt): eval --method may
	// differ between a sweep's runs, and their scores are then not one quantity.
	ScoreMethod string `json:"score_method"`
	// FirstGridStep is the step from which the grid cells emerged during training
	// (train.Summary: the best unit's score60 above the run's eval.grid_threshold at that
	// evaluation and the next, on the fixed scoring batch): −1 for none, nil when not tracked.
	FirstGridStep *int `json:"first_grid_step"`
}

// Result is one run of a collected sweep.
type Result struct {
	Run     Run
	Status  string   // one of the Status constants
	Error   string   // the last failure, for failed runs
	Summary *Summary // for finished runs
}

// Collect reads the state, summary and last error of every run of the manifest; a
// cancelled ctx stops it with ctx.Err().
func Collect(ctx context.Context, dir string, runs []Run) ([]Result, error) {
	out := make([]Result, len(runs))
	for i, r := range runs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rd := RunDir(dir, r.ID)
		res := Result{Run: r, Status: State(rd)}
		switch res.Status {
		case StatusFinished:
			path := filepath.Join(rd, summaryFile)
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("sweep: %w", err)
			}
			// Numbers a summary lacks read as missing (NaN), not as 0 cm and score 0.
			nan := Number(math.NaN())
			s := Summary{WallSeconds: nan, Loss: nan, DecodingErrorCM: nan, MaxScore60: nan}
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, fmt.Errorf("sweep: %s: %w", path, err)
			}
			res.Summary = &s
		case StatusFailed:
			var f failure
			if b, err := os.ReadFile(filepath.Join(rd, errorFile)); err == nil && json.Unmarshal(b, &f) == nil {
				res.Error = f.Error
			}
		}
		out[i] = res
	}
	return out, nil
}

// fracKeys are the score thresholds of summary.json's fractions, sorted numerically.
func fracKeys(results []Result) []string {
	var keys []string
	for _, r := range results {
		if r.Summary == nil {
			continue
		}
		for k := range r.Summary.FracAbove {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		fa, _ := strconv.ParseFloat(a, 64)
		fb, _ := strconv.ParseFloat(b, 64)
		return strings.Compare(fmt.Sprintf("%020.6f", fa), fmt.Sprintf("%020.6f", fb))
	})
	return keys
}

// paramKeys are the swept keys of the runs, in the order of the first run that has each.
func paramKeys(results []Result) []string {
	var keys []string
	for _, r := range results {
		for _, p := range r.Run.Params {
			if !slices.Contains(keys, p.Key) {
				keys = append(keys, p.Key)
			}
		}
	}
	return keys
}

// WriteCSV writes one row per run: run_id, index, the swept parameters (canonical keys),
// status, decoding_error_cm, max_score60 with the nbins and score_method it was measured at,
// frac_units_score60_above_<t> for each threshold of the summaries, decode_threshold_cm and
// grid_threshold (th, on every row), has_possible_grid_cells (decoding error below
// th.DecodeCM and max score60 above th.Grid, as Table counts it, not the run's own eval
// thresholds: so that the rows grouped in pandas give the table's fractions), diverged,
// first_grid_step (the step from which the best unit's score60 was above the run's own
// eval.grid_threshold, whatever --grid-threshold says, at that evaluation and the next (the
// last's next: the post-training evaluation); −1 where the scores were tracked and that
// never happened, empty where they were not tracked), steps, wall_s, error. Missing numbers
// are empty cells (pandas reads NaN).
// WriteParquet writes the same columns.
func WriteCSV(w io.Writer, results []Result, th Thresholds) error {
	cols, rows := runsTable(results, th)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.Name
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	line := make([]string, len(cols))
	for _, row := range rows {
		for i, c := range row {
			line[i] = c.Text // "" when missing
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ColumnKind is the type of a column of the runs table, which WriteParquet maps to a
// Parquet type.
type ColumnKind int

// Column kinds.
const (
	KindString ColumnKind = iota // UTF-8 text
	KindInt                      // signed integer (INT64)
	KindUint                     // unsigned integer (INT64, UINT(64) annotation)
	KindFloat                    // float64 (DOUBLE); NaN and ±Inf are missing
	KindBool                     // BOOLEAN
)

// Column is one column of the runs table.
type Column struct {
	Name     string
	Kind     ColumnKind
	Required bool // present in every row (run_id, index, status)
}

// cell is one value of the runs table as runs.csv writes it; Missing cells are empty in
// the CSV and null in the Parquet file.
type cell struct {
	Text    string
	Missing bool
}

// paramKind maps a config key's type (config.KeyInfo.Type) to a column kind; enums and int
// lists stay text. A distribution is a number unless a run draws it ("Uniform( a , b )"),
// so it is tried as float: a width swept over constants (paper Fig. 3's x axis) is then a
// number in the Parquet file, as it is in the CSV.
func paramKind(typ string) ColumnKind {
	switch typ {
	case "dist":
		return KindFloat
	case "int":
		return KindInt
	case "uint":
		return KindUint
	case "float":
		return KindFloat
	case "bool":
		return KindBool
	}
	return KindString
}

// parses reports whether text is a value of kind k, as config.Get and WriteCSV format it.
func (k ColumnKind) parses(text string) bool {
	var err error
	switch k {
	case KindInt:
		_, err = strconv.ParseInt(text, 10, 64)
	case KindUint:
		_, err = strconv.ParseUint(text, 10, 64)
	case KindFloat:
		_, err = strconv.ParseFloat(text, 64)
	case KindBool:
		_, err = strconv.ParseBool(text)
	}
	return err == nil
}

// RunsColumns returns the columns of runs.csv and runs.parquet for results, in order.
func RunsColumns(results []Result) []Column {
	cols, _ := runsTable(results, Thresholds{})
	return cols
}

// runsTable is the runs table that WriteCSV and WriteParquet write, so that both files
// have the same columns in the same order and the same cells. A parameter column takes its
// kind from the config key's type (paramKind), or is text if some run's value does not
// parse as one.
func runsTable(results []Result, th Thresholds) ([]Column, [][]cell) {
	pk, fk := paramKeys(results), fracKeys(results)
	types := map[string]string{}
	for _, ki := range config.Keys() {
		types[ki.Key] = ki.Type
	}
	cols := []Column{{"run_id", KindString, true}, {"index", KindInt, true}}
	for _, k := range pk {
		kind := paramKind(types[k])
		for _, r := range results {
			if v, ok := r.Run.Params.Get(k); ok && !kind.parses(v) {
				kind = KindString
				break
			}
		}
		cols = append(cols, Column{Name: k, Kind: kind})
	}
	cols = append(cols, Column{"status", KindString, true},
		Column{Name: "decoding_error_cm", Kind: KindFloat}, Column{Name: "max_score60", Kind: KindFloat},
		Column{Name: "nbins", Kind: KindInt}, Column{Name: "score_method", Kind: KindString})
	for _, k := range fk {
		cols = append(cols, Column{Name: "frac_units_score60_above_" + k, Kind: KindFloat})
	}
	cols = append(cols, Column{Name: "decode_threshold_cm", Kind: KindFloat}, Column{Name: "grid_threshold", Kind: KindFloat},
		Column{Name: "has_possible_grid_cells", Kind: KindBool}, Column{Name: "diverged", Kind: KindBool},
		Column{Name: "first_grid_step", Kind: KindInt},
		Column{Name: "steps", Kind: KindInt}, Column{Name: "wall_s", Kind: KindFloat},
		Column{Name: "error", Kind: KindString})

	missing := cell{Missing: true}
	num := func(n Number) cell {
		f := float64(n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return missing
		}
		return cell{Text: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	rows := make([][]cell, len(results))
	for i, r := range results {
		row := make([]cell, 0, len(cols))
		row = append(row, cell{Text: r.Run.ID}, cell{Text: strconv.Itoa(r.Run.Index)})
		for _, k := range pk {
			if v, ok := r.Run.Params.Get(k); ok {
				row = append(row, cell{Text: v})
			} else {
				row = append(row, missing)
			}
		}
		row = append(row, cell{Text: r.Status})
		thresholds := []cell{num(Number(th.DecodeCM)), num(Number(th.Grid))}
		if s := r.Summary; s != nil {
			row = append(row, num(s.DecodingErrorCM), num(s.MaxScore60), intOrMissing(s.NBins), textOrMissing(s.ScoreMethod))
			for _, k := range fk {
				if v, ok := s.FracAbove[k]; ok {
					row = append(row, num(v))
				} else {
					row = append(row, missing)
				}
			}
			first := missing
			if s.FirstGridStep != nil {
				first = cell{Text: strconv.Itoa(*s.FirstGridStep)}
			}
			row = append(row, thresholds...)
			row = append(row, cell{Text: strconv.FormatBool(th.Passes(s))}, cell{Text: strconv.FormatBool(s.Diverged)},
				first, cell{Text: strconv.Itoa(s.Steps)}, num(s.WallSeconds))
		} else {
			for range 4 + len(fk) {
				row = append(row, missing)
			}
			row = append(row, thresholds...)
			for range 5 {
				row = append(row, missing)
			}
		}
		if r.Error != "" {
			row = append(row, cell{Text: r.Error})
		} else {
			row = append(row, missing)
		}
		rows[i] = row
	}
	return cols, rows
}

// intOrMissing is a positive count as a cell; 0 (absent from an older summary) is missing.
func intOrMissing(n int) cell {
	if n <= 0 {
		return cell{Missing: true}
	}
	return cell{Text: strconv.Itoa(n)}
}

// textOrMissing is s as a cell, missing when empty.
func textOrMissing(s string) cell {
	if s == "" {
		return cell{Missing: true}
	}
	return cell{Text: s}
}

// Thresholds of the paper's table.
type Thresholds struct {
	DecodeCM float64 // decoding error below which a network path-integrates, cm
	Grid     float64 // max score60 above which it has possible grid cells
}

// Decodes reports whether a finished run's decoding error is below th.DecodeCM; Passes,
// whether it also has a max score60 above th.Grid: "has possible grid cells" at th (spec
// §5.6), as Table, runs.csv and the sweep report count it. A NaN decoding error or score
// does not pass.
func (th Thresholds) Decodes(s *Summary) bool { return float64(s.DecodingErrorCM) < th.DecodeCM }

// Passes: see Decodes.
func (th Thresholds) Passes(s *Summary) bool {
	return th.Decodes(s) && float64(s.MaxScore60) > th.Grid
}

// Interval is a proportion with its 95 % Wilson score interval.
type Interval struct {
	P, Lo, Hi Number
}

// Wilson returns the proportion k/n with its Wilson score interval at quantile z (Wilson
// 1927; Agresti & Coull 1998):
//
//	centre = (p̂ + z²/2n) / (1 + z²/n),  half = z/(1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²).
//
// With n = 0 every field is NaN.
func Wilson(k, n int, z float64) Interval {
	if n == 0 {
		nan := Number(math.NaN())
		return Interval{nan, nan, nan}
	}
	if k < 0 || k > n {
		panic("sweep: Wilson: k outside [0, n]")
	}
	fn := float64(n)
	p := float64(k) / fn
	z2 := z * z
	den := 1 + z2/fn
	centre := (p + z2/(2*fn)) / den
	half := z / den * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))
	lo, hi := math.Max(0, centre-half), math.Min(1, centre+half)
	// At k = 0 and k = n the bounds are exactly 0 and 1 (centre = half, centre + half = 1);
	// rounding left 6.9e-18 in the CSV files.
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return Interval{P: Number(p), Lo: Number(lo), Hi: Number(hi)}
}

// Condition is one row of the paper's table: the runs that share the values of the
// grouping keys.
type Condition struct {
	Values     []string // one per grouping key
	Runs       int      // runs of the condition in the manifest
	N          int      // finished runs (the denominators)
	Decoded    int      // finished runs with decoding error < DecodeCM
	Grid       int      // of those, runs with max score60 > Grid
	FracDecode Interval // Decoded / N
	FracGrid   Interval // Grid / Decoded: possible grid cells given < DecodeCM
	// Tracked counts the finished runs that scored their units during training
	// (eval.track_scores); GridFrom holds, ascending, the first_grid_step of those in which
	// grid cells emerged (train.Summary, at each run's own eval.grid_threshold).
	Tracked  int
	GridFrom []int
}

// MedianGridFrom is the median step from which the tracked runs' grid cells emerged,
// counting a run in which they did not as emerging after training (+Inf): a condition in
// which one run of five emerged early does not rank ahead of one in which all five did a
// little later. It is +Inf when half or more never emerged and NaN when no run was tracked.
func (c Condition) MedianGridFrom() float64 {
	n := c.Tracked
	if n == 0 {
		return math.NaN()
	}
	at := func(i int) float64 {
		if i < len(c.GridFrom) {
			return float64(c.GridFrom[i])
		}
		return math.Inf(1)
	}
	if n%2 == 1 {
		return at(n / 2)
	}
	return (at(n/2-1) + at(n/2)) / 2
}

// GridFromCell is the condition's emergence as a table cell: the median step (MedianGridFrom)
// and how many of the tracked runs had grid cells, "4500 (3/5)"; "none (1/5)" when half or
// more had none, "not tracked" when no run was.
func (c Condition) GridFromCell() string {
	m := c.MedianGridFrom()
	switch {
	case math.IsNaN(m):
		return "not tracked"
	case math.IsInf(m, 1):
		return fmt.Sprintf("none (%d/%d)", len(c.GridFrom), c.Tracked)
	}
	return fmt.Sprintf("%s (%d/%d)", strconv.FormatFloat(m, 'f', -1, 64), len(c.GridFrom), c.Tracked)
}

// DefaultBy is the default grouping: the swept keys except the seed, which only replicates
// a condition (NFL's figures pool seeds).
func DefaultBy(results []Result) []string {
	var by []string
	for _, k := range paramKeys(results) {
		if k != "seed" {
			by = append(by, k)
		}
	}
	return by
}

// Table groups the runs by the values of the keys by (canonical or alias config keys; none
// = one condition) and counts, per condition in order of first appearance, the finished
// runs, those with decoding error < th.DecodeCM, and among those the ones with max score60
// > th.Grid, with Wilson 95 % intervals (spec §7.1). A NaN decoding error or score counts
// as not passing.
func Table(results []Result, by []string, th Thresholds) ([]string, []Condition, error) {
	keys := make([]string, len(by))
	for i, b := range by {
		k, err := config.CanonicalKey(b)
		if err != nil {
			return nil, nil, &config.ConfigError{Source: "--by", Key: b, Err: err}
		}
		keys[i] = k
	}
	var conds []Condition
	index := map[string]int{}
	for _, r := range results {
		vals, err := r.Run.Values(keys)
		if err != nil {
			return nil, nil, err
		}
		id := strings.Join(vals, "\x00")
		ci, ok := index[id]
		if !ok {
			ci = len(conds)
			index[id] = ci
			conds = append(conds, Condition{Values: vals})
		}
		c := &conds[ci]
		c.Runs++
		if r.Status != StatusFinished || r.Summary == nil {
			continue
		}
		c.N++
		if th.Decodes(r.Summary) {
			c.Decoded++
			if th.Passes(r.Summary) {
				c.Grid++
			}
		}
		if f := r.Summary.FirstGridStep; f != nil {
			c.Tracked++
			if *f >= 0 {
				c.GridFrom = append(c.GridFrom, *f)
			}
		}
	}
	for i := range conds {
		c := &conds[i]
		c.FracDecode = Wilson(c.Decoded, c.N, z95)
		c.FracGrid = Wilson(c.Grid, c.Decoded, z95)
		slices.Sort(c.GridFrom)
	}
	return keys, conds, nil
}

// WriteTable prints the table as aligned text.
func WriteTable(w io.Writer, keys []string, conds []Condition, th Thresholds) error {
	head := append(slices.Clone(keys), "runs", "N",
		fmt.Sprintf("frac err<%gcm [95%% CI]", th.DecodeCM),
		fmt.Sprintf("frac score60>%g | err<%gcm [95%% CI]", th.Grid, th.DecodeCM))
	if len(keys) == 0 {
		head = append([]string{"condition"}, head...)
	}
	// Sweeps whose runs tracked their scores get the emergence column; older ones do not.
	tracked := slices.ContainsFunc(conds, func(c Condition) bool { return c.Tracked > 0 })
	if tracked {
		head = append(head, "grid cells from step: median (runs/tracked; runs' own threshold)")
	}
	rows := [][]string{head}
	ci := func(iv Interval) string {
		if math.IsNaN(float64(iv.P)) {
			return "-"
		}
		return fmt.Sprintf("%.3f [%.3f, %.3f]", float64(iv.P), float64(iv.Lo), float64(iv.Hi))
	}
	for _, c := range conds {
		row := slices.Clone(c.Values)
		if len(keys) == 0 {
			row = []string{"all"}
		}
		row = append(row, strconv.Itoa(c.Runs), strconv.Itoa(c.N),
			fmt.Sprintf("%d/%d = %s", c.Decoded, c.N, ci(c.FracDecode)),
			fmt.Sprintf("%d/%d = %s", c.Grid, c.Decoded, ci(c.FracGrid)))
		if tracked {
			row = append(row, c.GridFromCell())
		}
		rows = append(rows, row)
	}
	width := make([]int, len(head))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-len([]rune(cell))))
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// Report is the JSON form of a collected sweep.
type Report struct {
	Thresholds Thresholds      `json:"thresholds"`
	By         []string        `json:"by"`
	Counts     map[string]int  `json:"counts"` // runs per status
	Table      []conditionJSON `json:"table"`
	Runs       []resultJSON    `json:"runs"`
}

type conditionJSON struct {
	Values     map[string]string `json:"values"`
	Runs       int               `json:"runs"`
	N          int               `json:"n"`
	Decoded    int               `json:"decoded"`
	Grid       int               `json:"grid"`
	FracDecode Interval          `json:"frac_decoded"`
	FracGrid   Interval          `json:"frac_grid_given_decoded"`
	// Tracked runs, and the first_grid_step of those whose grid cells emerged, ascending.
	Tracked  int   `json:"tracked"`
	GridFrom []int `json:"first_grid_steps"`
}

type resultJSON struct {
	ID      string   `json:"run_id"`
	Index   int      `json:"index"`
	Params  Params   `json:"params"`
	Status  string   `json:"status"`
	Error   string   `json:"error,omitempty"`
	Summary *Summary `json:"summary,omitempty"`
}

// NewReport assembles the JSON report of a collected sweep.
func NewReport(results []Result, keys []string, conds []Condition, th Thresholds) Report {
	rep := Report{Thresholds: th, By: keys, Counts: Counts(results)}
	for _, c := range conds {
		vals := map[string]string{}
		for i, k := range keys {
			vals[k] = c.Values[i]
		}
		from := c.GridFrom
		if from == nil {
			from = []int{}
		}
		rep.Table = append(rep.Table, conditionJSON{vals, c.Runs, c.N, c.Decoded, c.Grid, c.FracDecode, c.FracGrid, c.Tracked, from})
	}
	for _, r := range results {
		p := r.Run.Params
		if p == nil {
			p = Params{}
		}
		rep.Runs = append(rep.Runs, resultJSON{r.Run.ID, r.Run.Index, p, r.Status, r.Error, r.Summary})
	}
	return rep
}

// MarshalJSON is needed because encoding/json would write Interval's fields by name only.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		P  Number `json:"p"`
		Lo Number `json:"lo"`
		Hi Number `json:"hi"`
	}{iv.P, iv.Lo, iv.Hi})
}

// MarshalJSON writes thresholds with their units in the names.
func (t Thresholds) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		DecodeCM float64 `json:"decode_cm"`
		Grid     float64 `json:"max_score60"`
	}{t.DecodeCM, t.Grid})
}

// Counts returns the number of runs in each status.
func Counts(results []Result) map[string]int {
	m := map[string]int{}
	for _, r := range results {
		m[r.Status]++
	}
	return m
}

// ErrIncomplete: a collected sweep has runs that have not finished.
var ErrIncomplete = errors.New("not every run has finished")

// GroupingNote returns a note for a default grouping (DefaultBy) that leaves most
// conditions with a single run, as in a random search, which draws every run's combination
// of values anew: its table compares nothing. It returns "" for a grouping that pools runs,
// and for fewer than 20 runs.
func GroupingNote(keys []string, conds []Condition, runs int) string {
	if runs < 20 || len(keys) == 0 || 2*len(conds) <= runs {
		return ""
	}
	what := fmt.Sprintf("the %d swept keys except seed", len(keys))
	if len(keys) == 1 {
		what = "the swept key " + keys[0]
	}
	return fmt.Sprintf("grouping by %s gives %d conditions for %d runs, most of one run each (a random search draws every run's values anew); choose the keys to compare with --by KEY[,KEY], or pool all runs with --by none",
		what, len(conds), runs)
}

// ScoringNote returns a note when the finished runs' max score60 were not all measured the
// same way, with one score method at one rate-map resolution (a run re-evaluated with
// gridcells eval --method or --nbins, or sweeps merged from different settings): Table then
// pools scores that are not one quantity against one threshold. It returns "" when they
// were, and when no finished run says how it was scored (summaries from before the fields).
func ScoringNote(results []Result) string {
	counts := map[string]int{}
	var order []string
	for _, r := range results {
		if r.Status != StatusFinished || r.Summary == nil {
			continue
		}
		k := "unrecorded"
		if m, n := r.Summary.ScoreMethod, r.Summary.NBins; m != "" || n > 0 {
			k = fmt.Sprintf("%s at %d bins", cmp.Or(m, "unrecorded method"), n)
		}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	if len(order) < 2 {
		return ""
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s: %d", k, counts[k])
	}
	return fmt.Sprintf("the finished runs' max score60 were measured in %d ways (%s); the fractions pool scores that are not one quantity: evaluate the runs alike (gridcells eval RUN --method M --nbins N)",
		len(order), strings.Join(parts, "; "))
}
