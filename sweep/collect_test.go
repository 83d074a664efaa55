package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wilsonTol is the tolerance between two algebraically equal forms of the Wilson bounds.
const wilsonTol = 1e-12

// wilsonClosed is the textbook form of the Wilson score bounds (Agresti & Coull 1998,
// eq. 2), written independently of Wilson's centre ± half form:
// (k + z²/2 ± z·√(k(n−k)/n + z²/4)) / (n + z²).
func wilsonClosed(k, n int, z float64) (lo, hi float64) {
	fk, fn := float64(k), float64(n)
	r := z * math.Sqrt(fk*(fn-fk)/fn+z*z/4)
	return (fk + z*z/2 - r) / (fn + z*z), (fk + z*z/2 + r) / (fn + z*z)
}

func TestWilson(t *testing.T) {
	for _, tc := range []struct{ k, n int }{{0, 1}, {0, 3}, {1, 3}, {3, 5}, {5, 10}, {10, 10}, {70, 661}, {1641, 1689}} {
		iv := Wilson(tc.k, tc.n, z95)
		lo, hi := wilsonClosed(tc.k, tc.n, z95)
		if math.Abs(float64(iv.Lo)-lo) > wilsonTol || math.Abs(float64(iv.Hi)-hi) > wilsonTol {
			t.Errorf("%d/%d: [%v, %v], want [%v, %v]", tc.k, tc.n, iv.Lo, iv.Hi, lo, hi)
		}
		if float64(iv.P) != float64(tc.k)/float64(tc.n) {
			t.Errorf("%d/%d: p %v", tc.k, tc.n, iv.P)
		}
	}
	// Edge cases in closed form: 0/n → [0, z²/(n+z²)], n/n → [n/(n+z²), 1].
	z2 := z95 * z95
	if iv := Wilson(0, 3, z95); math.Abs(float64(iv.Lo)) > wilsonTol || math.Abs(float64(iv.Hi)-z2/(3+z2)) > wilsonTol {
		t.Errorf("0/3: %+v, want [0, %v]", iv, z2/(3+z2))
	}
	if iv := Wilson(10, 10, z95); math.Abs(float64(iv.Hi)-1) > wilsonTol || math.Abs(float64(iv.Lo)-10/(10+z2)) > wilsonTol {
		t.Errorf("10/10: %+v, want [%v, 1]", iv, 10/(10+z2))
	}
	// Exactly, not within rounding: the bounds are written to CSV files.
	for _, n := range []int{1, 3, 7, 48, 1689} {
		if iv := Wilson(0, n, z95); iv.Lo != 0 {
			t.Errorf("0/%d: lower bound %v, want exactly 0", n, iv.Lo)
		}
		if iv := Wilson(n, n, z95); iv.Hi != 1 {
			t.Errorf("%d/%d: upper bound %v, want exactly 1", n, n, iv.Hi)
		}
	}
	if iv := Wilson(0, 0, z95); !math.IsNaN(float64(iv.P)) {
		t.Errorf("0/0: %+v, want NaN", iv)
	}
}

// handMadeSweep writes run directories by hand: RNN seeds 0–4 finished (one diverged with
// null numbers), LSTM seeds 0–4 two finished, one failed, one interrupted, one pending.
func handMadeSweep(t *testing.T) (string, []Run) {
	t.Helper()
	dir, runs := newSweepDir(t, "method: grid\nparameters:\n  rnn_type: {values: [RNN, LSTM]}\n  seed: {values: [0, 1, 2, 3, 4]}\n")
	write := func(i int, name, body string) {
		rd := RunDir(dir, runs[i].ID)
		if err := os.MkdirAll(rd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rd, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(errCM, score string) string {
		return `{"steps": 100, "wall_s": 2.5, "decoding_error_cm": ` + errCM + `, "max_score60": ` + score +
			`, "nbins": 44, "score_method": "nfl", "frac_units_score60_above": {"0.3": 0.25, "0.8": 0.125, "1.2": 0}, "has_possible_grid_cells": false}`
	}
	// RNN (rows 0–4): errors 5, 8, 12, 3, null; scores 0.9, 0.5, 1.0, 0.85, null.
	// → N 5, decoded 3 (5, 8, 3), grid given decoded 2 (0.9, 0.85).
	for i, v := range [][2]string{{"5", "0.9"}, {"8", "0.5"}, {"12", "1.0"}, {"3", "0.85"}, {"null", "null"}} {
		write(i, runInfoFile, "{}")
		write(i, summaryFile, sum(v[0], v[1]))
	}
	// LSTM (rows 5–9): finished 4 cm / 0.95 and 20 cm / 1.3; failed; interrupted; pending.
	// → N 2, decoded 1, grid 1.
	// Run 5 tracked its scores and had a grid cell from step 1200 on; run 6 tracked them
	// and never had one (−1); the others predate the field.
	write(5, summaryFile, strings.TrimSuffix(sum("4", "0.95"), "}")+`, "first_grid_step": 1200}`)
	write(6, summaryFile, strings.TrimSuffix(sum("20", "1.3"), "}")+`, "first_grid_step": -1}`)
	write(7, runInfoFile, "{}")
	write(7, errorFile, `{"error": "exit status 3", "exit_code": 3}`)
	write(8, runInfoFile, "{}")
	return dir, runs
}

func TestCollectAndTable(t *testing.T) {
	dir, runs := handMadeSweep(t)
	results, err := Collect(context.Background(), dir, runs)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, r := range results {
		statuses = append(statuses, r.Status)
	}
	wantStatus := []string{"finished", "finished", "finished", "finished", "finished", "finished", "finished", "failed", "interrupted", "pending"}
	if !slices.Equal(statuses, wantStatus) {
		t.Fatalf("statuses %v, want %v", statuses, wantStatus)
	}
	if results[7].Error != "exit status 3" {
		t.Errorf("failed run's error %q", results[7].Error)
	}

	by := DefaultBy(results)
	if !slices.Equal(by, []string{"model.rnn_type"}) {
		t.Fatalf("default grouping %v, want the swept keys but seed", by)
	}
	th := Thresholds{DecodeCM: DefaultDecodeThresholdCM, Grid: DefaultGridThreshold}
	keys, conds, err := Table(results, by, th)
	if err != nil {
		t.Fatal(err)
	}
	type counts struct {
		vals                   string
		runs, n, decoded, grid int
	}
	want := []counts{{"RNN", 5, 5, 3, 2}, {"LSTM", 5, 2, 1, 1}}
	if len(conds) != len(want) || !slices.Equal(keys, []string{"model.rnn_type"}) {
		t.Fatalf("%d conditions by %v", len(conds), keys)
	}
	for i, c := range conds {
		got := counts{strings.Join(c.Values, ","), c.Runs, c.N, c.Decoded, c.Grid}
		if got != want[i] {
			t.Errorf("condition %d: %+v, want %+v", i, got, want[i])
		}
		lo, hi := wilsonClosed(c.Decoded, c.N, z95)
		if math.Abs(float64(c.FracDecode.Lo)-lo) > wilsonTol || math.Abs(float64(c.FracDecode.Hi)-hi) > wilsonTol {
			t.Errorf("condition %d: decode CI [%v, %v], want [%v, %v]", i, c.FracDecode.Lo, c.FracDecode.Hi, lo, hi)
		}
		lo, hi = wilsonClosed(c.Grid, c.Decoded, z95)
		if math.Abs(float64(c.FracGrid.Lo)-lo) > wilsonTol || math.Abs(float64(c.FracGrid.Hi)-hi) > wilsonTol {
			t.Errorf("condition %d: grid CI [%v, %v], want [%v, %v]", i, c.FracGrid.Lo, c.FracGrid.Hi, lo, hi)
		}
	}
	// Emergence: of the LSTM runs, 5 tracked its scores (grid cells from step 1200) and 6
	// tracked them without grid cells (−1); the RNN runs predate the field.
	// (Of two tracked runs one emerged: the median counts the other as after training.)
	if c := conds[1]; c.Tracked != 2 || !slices.Equal(c.GridFrom, []int{1200}) || c.GridFromCell() != "none (1/2)" {
		t.Errorf("LSTM emergence: tracked %d, steps %v, cell %q; want 2, [1200], none (1/2)", c.Tracked, c.GridFrom, c.GridFromCell())
	}
	if c := conds[0]; c.Tracked != 0 || c.GridFrom != nil || !math.IsNaN(c.MedianGridFrom()) || c.GridFromCell() != "not tracked" {
		t.Errorf("RNN emergence: tracked %d, steps %v, cell %q; want none, not tracked", c.Tracked, c.GridFrom, c.GridFromCell())
	}
	inf := math.Inf(1)
	for _, c := range []struct {
		steps   []int
		tracked int
		want    float64
		cell    string
	}{
		{[]int{500}, 1, 500, "500 (1/1)"}, {[]int{500, 1500}, 2, 1000, "1000 (2/2)"}, {[]int{500, 900, 4000}, 3, 900, "900 (3/3)"},
		{[]int{500, 900}, 3, 900, "900 (2/3)"}, // the third run, never, counts as last
		{[]int{4500}, 5, inf, "none (1/5)"},    // one early run of five does not make the condition early
		{[]int{500, 900}, 4, inf, "none (2/4)"}, {nil, 3, inf, "none (0/3)"},
	} {
		cond := Condition{GridFrom: c.steps, Tracked: c.tracked}
		if got := cond.MedianGridFrom(); got != c.want || cond.GridFromCell() != c.cell {
			t.Errorf("median of %v of %d tracked = %g %q, want %g %q", c.steps, c.tracked, got, cond.GridFromCell(), c.want, c.cell)
		}
	}
	var tw bytes.Buffer
	if err := WriteTable(&tw, keys, conds, th); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tw.String(), "grid cells from step: median (runs/tracked; runs' own threshold)") || !strings.Contains(tw.String(), "none (1/2)") {
		t.Errorf("table lacks the emergence column:\n%s", tw.String())
	}
	// Other thresholds and groupings: all runs together, a 15 cm threshold and a score 0.95.
	_, conds, err = Table(results, nil, Thresholds{DecodeCM: 15, Grid: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	// Decoded < 15: 5, 8, 12, 3, 4 → 5 of 7; score > 0.95 among them: 1.0 → 1.
	if c := conds[0]; len(conds) != 1 || c.N != 7 || c.Decoded != 5 || c.Grid != 1 {
		t.Errorf("one group at 15 cm / 0.95: %+v", conds)
	}
	// Grouping by a key that is not swept uses the run's config (alias accepted).
	_, conds, err = Table(results, []string{"Ng"}, th)
	if err != nil || len(conds) != 1 || conds[0].Values[0] != "256" {
		t.Errorf("by Ng: %+v %v", conds, err)
	}
	if _, _, err := Table(results, []string{"no_such_key"}, th); err == nil {
		t.Error("unknown --by key: no error")
	}

	var tbl bytes.Buffer
	if err := WriteTable(&tbl, keys, mustTable(t, results, by, th), th); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tbl.String(), "3/5 = 0.600") || !strings.Contains(tbl.String(), "2/3 = 0.667") {
		t.Errorf("table:\n%s", tbl.String())
	}
}

func mustTable(t *testing.T, results []Result, by []string, th Thresholds) []Condition {
	_, conds, err := Table(results, by, th)
	if err != nil {
		t.Fatal(err)
	}
	return conds
}

// The CSV has one row per run with the swept parameters; pandas-friendly empty cells for
// missing numbers. The JSON report round-trips with null for NaN.
func TestCSVAndJSON(t *testing.T) {
	dir, runs := handMadeSweep(t)
	results, err := Collect(context.Background(), dir, runs)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, results, Thresholds{DecodeCM: 10, Grid: 0.8}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHead := []string{"run_id", "index", "model.rnn_type", "seed", "status", "decoding_error_cm", "max_score60", "nbins", "score_method",
		"frac_units_score60_above_0.3", "frac_units_score60_above_0.8", "frac_units_score60_above_1.2",
		"decode_threshold_cm", "grid_threshold", "has_possible_grid_cells", "diverged", "first_grid_step", "steps", "wall_s", "error"}
	if !slices.Equal(rows[0], wantHead) {
		t.Fatalf("header %v\nwant %v", rows[0], wantHead)
	}
	if len(rows) != 1+len(runs) {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(runs))
	}
	if r := rows[1]; r[0] != runs[0].ID || r[2] != "RNN" || r[3] != "0" || r[4] != "finished" || r[5] != "5" || r[6] != "0.9" ||
		r[7] != "44" || r[8] != "nfl" || r[10] != "0.125" {
		t.Errorf("row 0: %v", r)
	}
	if r := rows[5]; r[5] != "" || r[6] != "" {
		t.Errorf("diverged run: %v, want empty numbers", r)
	}
	if r := rows[8]; r[4] != "failed" || r[19] != "exit status 3" || r[5] != "" || r[12] != "10" || r[13] != "0.8" {
		t.Errorf("failed run: %v", r)
	}
	// has_possible_grid_cells is counted at the collect's thresholds, as Table counts it, not
	// copied from the summaries (whose own eval thresholds say false for every run here):
	// the column summed per condition is the table's grid count.
	hp := slices.Index(wantHead, "has_possible_grid_cells")
	if rows[1][hp] != "true" {
		t.Errorf("run 0 (5 cm, 0.9): has_possible_grid_cells %q, want true at 10 cm and 0.8", rows[1][hp])
	}
	_, tconds, _ := Table(results, []string{"rnn_type"}, Thresholds{DecodeCM: 10, Grid: 0.8})
	for _, c := range tconds {
		n := 0
		for _, r := range rows[1:] {
			if r[2] == c.Values[0] && r[hp] == "true" {
				n++
			}
		}
		if n != c.Grid {
			t.Errorf("%s: %d rows with possible grid cells, table counts %d", c.Values[0], n, c.Grid)
		}
	}
	// first_grid_step: the step, −1 where no unit crossed, empty where it was not tracked.
	if first := slices.Index(wantHead, "first_grid_step"); rows[6][first] != "1200" || rows[7][first] != "-1" || rows[1][first] != "" {
		t.Errorf("first_grid_step %q, %q, %q; want 1200, -1, empty (absent)", rows[6][first], rows[7][first], rows[1][first])
	}

	keys, conds, _ := Table(results, DefaultBy(results), Thresholds{DecodeCM: 10, Grid: 0.8})
	b, err := json.Marshal(NewReport(results, keys, conds, Thresholds{DecodeCM: 10, Grid: 0.8}))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Counts map[string]int
		Table  []struct {
			Values     map[string]string
			N, Decoded int
			FracDecode struct{ P, Lo, Hi *float64 } `json:"frac_decoded"`
		}
		Runs []struct {
			Status  string
			Summary *struct {
				DecodingErrorCM *float64 `json:"decoding_error_cm"`
			}
		}
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Counts["finished"] != 7 || back.Table[0].Values["model.rnn_type"] != "RNN" || *back.Table[0].FracDecode.P != 0.6 {
		t.Errorf("report: %s", b)
	}
	if back.Runs[4].Summary == nil || back.Runs[4].Summary.DecodingErrorCM != nil {
		t.Errorf("diverged run's decoding error should be null: %s", b)
	}
}

// TestCollectIncompleteSummary: a summary.json without its numbers gives missing cells,
// not a network that decodes to 0 cm.
func TestCollectIncompleteSummary(t *testing.T) {
	dir, runs := newSweepDir(t, "method: grid\nparameters:\n  seed: {values: [1]}\n")
	rd := RunDir(dir, runs[0].ID)
	os.MkdirAll(rd, 0o755)
	os.WriteFile(filepath.Join(rd, summaryFile), []byte("{}"), 0o644)
	results, err := Collect(context.Background(), dir, runs)
	if err != nil {
		t.Fatal(err)
	}
	s := results[0].Summary
	if s == nil || !math.IsNaN(float64(s.DecodingErrorCM)) || !math.IsNaN(float64(s.MaxScore60)) {
		t.Fatalf("summary %+v, want NaN numbers", s)
	}
	_, conds, err := Table(results, nil, Thresholds{DecodeCM: 10, Grid: 0.8})
	if err != nil || conds[0].Decoded != 0 {
		t.Errorf("an empty summary decodes: %+v, %v", conds, err)
	}
}

// A cancelled collect stops with the context's error.
func TestCollectCancelled(t *testing.T) {
	dir, runs := handMadeSweep(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, dir, runs); err != context.Canceled {
		t.Errorf("Collect with a cancelled context: %v; want context.Canceled", err)
	}
}

func TestGroupingNote(t *testing.T) {
	many := make([]Condition, 30)
	if got := GroupingNote([]string{"a", "b"}, many, 30); !strings.Contains(got, "the 2 swept keys except seed gives 30 conditions for 30 runs") {
		t.Errorf("two keys: %q", got)
	}
	if got := GroupingNote([]string{"training.learning_rate"}, many, 30); !strings.Contains(got, "grouping by the swept key training.learning_rate gives") {
		t.Errorf("one key: %q", got)
	}
	for _, tc := range []struct {
		conds, runs int
	}{{15, 30}, {10, 10}} { // runs pooled in pairs; too few runs to say
		if got := GroupingNote([]string{"a"}, make([]Condition, tc.conds), tc.runs); got != "" {
			t.Errorf("%d conditions of %d runs: %q; want no note", tc.conds, tc.runs, got)
		}
	}
}

// Runs scored with different methods or resolutions are pooled only with a warning that
// names each way and its count.
func TestScoringNote(t *testing.T) {
	fin := func(method string, nbins int) Result {
		return Result{Status: StatusFinished, Summary: &Summary{ScoreMethod: method, NBins: nbins}}
	}
	same := []Result{fin("nfl", 20), fin("nfl", 20), {Status: StatusPending}, {Status: StatusFailed}}
	if note := ScoringNote(same); note != "" {
		t.Errorf("one way of scoring: %q", note)
	}
	if note := ScoringNote([]Result{fin("", 0), fin("", 0)}); note != "" {
		t.Errorf("old summaries without the fields: %q", note)
	}
	mixed := append(same, fin("deepmind", 20), fin("nfl", 44))
	note := ScoringNote(mixed)
	for _, want := range []string{"3 ways", "nfl at 20 bins: 2", "deepmind at 20 bins: 1", "nfl at 44 bins: 1", "gridcells eval"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
}
