package reproduce

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/sweep"
)

// modeTol is the accuracy of a KDE mode: the evaluation grid over [0, 150] bins has 1000
// points, a step of 0.15 bins.
const modeTol = 0.1

// fakeSweep writes scores.csv for every run of the periods tiny sweep: units with score60
// 1.0 and the given period (rate-map bins at the run's 20 bins) per place-cell width, plus
// units below every threshold, and returns the collected results as package sweep reads
// them.
func fakeSweep(t *testing.T, periodAt map[float64]float64) (string, []sweep.Result) {
	t.Helper()
	r, _ := Lookup("periods")
	runs, _, err := r.Expand(Tiny)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var results []sweep.Result
	for _, run := range runs {
		rd := sweep.RunDir(dir, run.ID)
		if err := os.MkdirAll(rd, 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("unit,score60,period_bins\n")
		p := periodAt[run.Config.Encoding.PlaceCellRF.A]
		for u := range 10 {
			fmt.Fprintf(&b, "%d,1.0,%g\n", u, p)
		}
		for u := 10; u < 20; u++ {
			fmt.Fprintf(&b, "%d,0.1,NaN\n", u)
		}
		if err := os.WriteFile(filepath.Join(rd, "scores.csv"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		results = append(results, sweep.Result{Run: run, Status: sweep.StatusFinished,
			Summary: &sweep.Summary{DecodingErrorCM: 5, MaxScore60: 1}})
	}
	return dir, results
}

// comparePeriods tabulates results of the periods sweep at the paper's thresholds and
// compares them with the paper.
func comparePeriods(t *testing.T, dir string, results []sweep.Result) *Comparison {
	t.Helper()
	r, _ := Lookup("periods")
	th := sweep.Thresholds{DecodeCM: 10, Grid: 0.8}
	keys, conds, err := sweep.Table(results, r.By, th)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(r, Input{Dir: dir, Results: results, Keys: keys, Conditions: conds, Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Periods measured at 20 bins over 2.2 m are compared in the paper's 5-cm bins (×2.2), the
// KDE mode of each width recovers them, theory's spacing matches spec §8.4, and the ratio
// of consecutive modes is reported.
func TestComparePeriods(t *testing.T) {
	// 5.5 and 13.75 bins of 11 cm = 12.1 and 30.25 bins of 5 cm.
	dir, results := fakeSweep(t, map[float64]float64{0.08: 5.5, 0.2: 13.75})
	c := comparePeriods(t, dir, results)
	want := map[string]float64{"0.08": 12.1, "0.2": 30.25}
	theoryWant := map[string]float64{"0.08": 12.1, "0.2": 30.2} // spec §8.4, one decimal
	got := 0
	for _, row := range c.Rows {
		switch {
		case strings.HasPrefix(row.Quantity, "KDE mode of the grid period of units with score60 > 0.8"):
			got++
			if math.Abs(row.OursValue-want[row.Condition]) > modeTol || row.N != 10 {
				t.Errorf("σ %s: mode %g from %d units, want %g from 10", row.Condition, row.OursValue, row.N, want[row.Condition])
			}
		case strings.HasPrefix(row.Quantity, "theory"):
			if math.Abs(row.OursValue-theoryWant[row.Condition]) > 0.05 || math.Abs(row.PaperValue-theoryWant[row.Condition]) > 1e-9 {
				t.Errorf("σ %s: theory %g, paper column %g; want %g", row.Condition, row.OursValue, row.PaperValue, theoryWant[row.Condition])
			}
		case row.Quantity == "ratio of consecutive KDE modes":
			if math.Abs(row.OursValue-30.25/12.1) > 0.02 {
				t.Errorf("ratio %g, want %g", row.OursValue, 30.25/12.1)
			}
		}
	}
	if got != 2 {
		t.Errorf("%d mode rows, want 2", got)
	}
	if c.Periods == nil || len(c.Periods.Units) != 20 || len(c.Periods.Theory) != 2 {
		t.Errorf("period data %+v", c.Periods)
	}
}

// Per-condition table rows carry the paper's Fig. 2a values only for the encodings result.
func TestWriteTableCSV(t *testing.T) {
	conds := []sweep.Condition{{Values: []string{"DoS"}, Runs: 2, N: 2, Decoded: 1, Grid: 1,
		FracDecode: sweep.Wilson(1, 2, z95), FracGrid: sweep.Wilson(1, 1, z95), Tracked: 2, GridFrom: []int{4500, 5500}}}
	var enc, bio strings.Builder
	r, _ := Lookup("encodings")
	if err := r.WriteTableCSV(&enc, []string{"name"}, []string{"DoS"}, conds); err != nil {
		t.Fatal(err)
	}
	b, _ := Lookup("biological")
	if err := b.WriteTableCSV(&bio, []string{"name"}, []string{"DoS"}, conds); err != nil {
		t.Fatal(err)
	}
	// The paper's values, then 2 tracked runs, both with grid cells, from step 5000 (median).
	if !strings.HasSuffix(enc.String(), ",1689,0.92,0.91,1554,2,2,5000\n") {
		t.Errorf("encodings row %q lacks paper Fig. 2a's DoS values or the emergence", enc.String())
	}
	if !strings.HasSuffix(bio.String(), ",,,,,2,2,5000\n") {
		t.Errorf("biological row %q has paper Fig. 2a values", bio.String())
	}
	// One of two with grid cells: the median is after training.
	conds[0].GridFrom = []int{4500}
	enc.Reset()
	if err := r.WriteTableCSV(&enc, []string{"name"}, []string{"DoS"}, conds); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(enc.String(), ",2,1,inf\n") {
		t.Errorf("row %q: want 2 tracked, 1 with grid cells, median inf", enc.String())
	}
}

// TestComparePeriodsUnfinished: a width whose runs have not finished keeps its paper values,
// and says that no run finished rather than that no unit scored.
func TestComparePeriodsUnfinished(t *testing.T) {
	dir, results := fakeSweep(t, map[float64]float64{0.08: 5.5, 0.2: 13.75})
	for i := range results {
		if results[i].Run.Config.Encoding.PlaceCellRF.A == 0.2 {
			results[i].Status, results[i].Summary = sweep.StatusPending, nil
		}
	}
	c := comparePeriods(t, dir, results)
	found := false
	for _, row := range c.Rows {
		if row.Condition == "0.2" && strings.HasPrefix(row.Quantity, "KDE mode of the grid period of units with score60 > 0.8") {
			found = true
			if row.Paper == none || row.Ours != "no finished run" {
				t.Errorf("σ 0.2 unfinished: paper %q, ours %q; want the paper's mode and \"no finished run\"", row.Paper, row.Ours)
			}
		}
	}
	if !found {
		t.Error("no mode row for σ 0.2")
	}
}

// TestDecodeGridRowsThresholds: with thresholds other than the paper's, the paper column says
// that its values are at the paper's; a condition whose finished runs all fail to decode
// says so instead of "no run".
func TestDecodeGridRowsThresholds(t *testing.T) {
	c := &Comparison{Labels: []string{"DoS"}}
	in := Input{Conditions: []sweep.Condition{{Values: []string{"DoS"}, N: 2, Decoded: 0}}, Thresholds: sweep.Thresholds{DecodeCM: 20, Grid: 0.5}}
	c.decodeGridRows(in, 0, "0.92 (N 1689)", "0.91 (N 1689)", 0.92, 0.91)
	if len(c.Rows) != 2 {
		t.Fatalf("%d rows", len(c.Rows))
	}
	if !strings.Contains(c.Rows[0].Paper, "at the paper's < 10 cm") || !strings.Contains(c.Rows[1].Paper, "at the paper's > 0.8, < 10 cm") {
		t.Errorf("paper cells %q, %q do not name the paper's thresholds", c.Rows[0].Paper, c.Rows[1].Paper)
	}
	if c.Rows[0].Ours != "0/2 = 0.00 [0.00, 0.66]" || c.Rows[1].Ours != "0/0 (none of the finished runs decodes)" {
		t.Errorf("ours cells %q, %q", c.Rows[0].Ours, c.Rows[1].Ours)
	}
}

// compareAt expands result name at scale s, marks the runs that finished (finished returns
// their max score60, or false for a run still pending) and compares them with the paper.
// No scores.csv is written: the rows under test come from the summaries and the configs.
func compareAt(t *testing.T, name string, s Scale, finished func(sweep.Run) (float64, bool)) *Comparison {
	t.Helper()
	r, _ := Lookup(name)
	runs, _, err := r.Expand(s)
	if err != nil {
		t.Fatal(err)
	}
	var results []sweep.Result
	for _, run := range runs {
		res := sweep.Result{Run: run, Status: sweep.StatusPending}
		if score, ok := finished(run); ok {
			res.Status, res.Summary = sweep.StatusFinished, &sweep.Summary{DecodingErrorCM: 5, MaxScore60: sweep.Number(score)}
		}
		results = append(results, res)
	}
	th := sweep.Thresholds{DecodeCM: 10, Grid: 0.8}
	keys, conds, err := sweep.Table(results, r.By, th)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(r, Input{Dir: t.TempDir(), Results: results, Keys: keys, Conditions: conds, Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// At the paper's scale the DoS sweep pools five surround scales at each width (Fig. 3):
// theory's spacing is given at s = 2, as spec §8.4's table, with the range over s beside
// it. Before, it came from the first run, at s = 1.5 (10.19 bins at σ 0.08 for 12.1).
func TestComparePeriodsPooledSurround(t *testing.T) {
	c := compareAt(t, "periods", Paper, func(sweep.Run) (float64, bool) { return 0, false })
	rows := 0
	for _, row := range c.Rows {
		if !strings.HasPrefix(row.Quantity, "theory") || row.Condition != "0.08" {
			continue
		}
		rows++
		if row.Quantity != "theory: spacing 4π/(√3 k*) at s = 2 (5-cm bins)" || math.Abs(row.OursValue-12.1) > 0.05 ||
			row.PaperValue != 12.1 || !strings.Contains(row.Ours, "over s 1.5–4") {
			t.Errorf("σ 0.08: %+v; want 12.1 bins at s = 2 with the range over s 1.5–4", row)
		}
	}
	if rows != 1 || c.Periods.TheorySurround != "s = 2" {
		t.Errorf("%d theory rows at σ 0.08, legend note %q; want 1 and \"s = 2\"", rows, c.Periods.TheorySurround)
	}
}

// The paper's ideal-DoS fraction (Fig. 4) is set against the ideal runs among the DoS
// sweep's σ 0.12 runs, not against the whole 480-run condition; and the hyperparameters
// baseline, NFL's ideal sweep of RNNs and UGRNNs, is split by architecture, since every
// perturbation is an RNN.
func TestCompareIdealDoS(t *testing.T) {
	ideal := func(r sweep.Run) (float64, bool) {
		if idealDoS(r.Config) {
			return 1.2, true
		}
		return 0.3, math.Abs(r.Config.Encoding.PlaceCellRF.A-0.12) < 1e-9
	}
	c := compareAt(t, "dos-details", Paper, ideal)
	var pooled, subset *Row
	for i, row := range c.Rows {
		if row.Condition != "DoS, place_cell_rf=0.12" || !strings.Contains(row.Quantity, "given error") {
			continue
		}
		if strings.HasPrefix(row.Quantity, "ideal DoS") {
			subset = &c.Rows[i]
		} else {
			pooled = &c.Rows[i]
		}
	}
	switch {
	case pooled == nil || subset == nil:
		t.Fatalf("rows of DoS σ 0.12: pooled %v, ideal %v", pooled, subset)
	case pooled.N != 480 || pooled.K != 6 || pooled.Paper != none:
		t.Errorf("pooled condition: %d/%d, paper %q; want 6/480 and no paper value", pooled.K, pooled.N, pooled.Paper)
	case subset.N != 6 || subset.K != 6 || subset.PaperValue != Fig4IdealGrid:
		t.Errorf("ideal runs: %d/%d, paper %v; want 6/6 beside %v", subset.K, subset.N, subset.PaperValue, Fig4IdealGrid)
	}

	h := compareAt(t, "hyperparameters", Paper, func(sweep.Run) (float64, bool) { return 1, true })
	baselines := map[string]int{}
	for _, row := range h.Rows {
		if strings.Contains(row.Quantity, "given error") && row.PaperValue == Fig4IdealGrid {
			baselines[row.Condition] = row.N
		}
	}
	if len(baselines) != 2 || baselines["baseline"] != 3 || baselines["rnn_type=UGRNN"] != 3 {
		t.Errorf("baseline rows beside the ideal figure: %v; want the RNN and UGRNN baselines, 3 runs each", baselines)
	}
}

// idealDoS is NFL's ideal network in NFL's surround convention only: s 2 as a variance
// ratio (Sorscher's convention) is a narrower surround, σ_I = √2·σ_E.
func TestIdealDoSConvention(t *testing.T) {
	cfg, err := config.Preset(config.PresetNFL2022)
	if err != nil {
		t.Fatal(err)
	}
	if !idealDoS(cfg) {
		t.Fatalf("the nfl2022 preset (%+v) is not the ideal DoS network", cfg.Encoding)
	}
	cfg.Encoding.SurroundConvention = "variance_ratio"
	if idealDoS(cfg) {
		t.Error("s 2 as a variance ratio counts as the ideal DoS network")
	}
}

// At the small scale every run of the DoS condition is the ideal network: its row is then
// counted as the paper's pie counts, with ≥, so a network at exactly the threshold counts.
func TestCompareIdealDoSAllIdealCountsAtThreshold(t *testing.T) {
	c := compareAt(t, "dos-details", Small, func(r sweep.Run) (float64, bool) {
		return 0.8, idealDoS(r.Config)
	})
	found := false
	for _, row := range c.Rows {
		if row.PaperValue != Fig4IdealGrid {
			continue
		}
		found = true
		if !strings.Contains(row.Quantity, "≥ 0.8") || row.N == 0 || row.K != row.N {
			t.Errorf("%s %q: %d/%d; want every run, at exactly 0.8, counted by ≥", row.Condition, row.Quantity, row.K, row.N)
		}
	}
	if !found {
		t.Fatal("no row beside the paper's ideal-DoS figure")
	}
}
