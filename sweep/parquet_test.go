package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func isString(v format.LogicalTypeValue) bool { _, ok := v.(*format.StringType); return ok }

func isUint64(v format.LogicalTypeValue) bool {
	it, ok := v.(*format.IntType)
	return ok && it.BitWidth == 64 && !it.IsSigned
}

// mixedSweep writes a collected sweep whose table has every column kind: enum (text),
// float and bool parameters, a uint seed, an int, an NFL dist string, a diverged run with
// null numbers, a summary missing one score threshold, a failed run and pending runs.
func mixedSweep(t *testing.T) []Result {
	t.Helper()
	dir, runs := newSweepDir(t, `method: grid
parameters:
  rnn_type: {values: [RNN, LSTM]}
  learning_rate: {values: [0.001, 0.0003]}
  periodic: {values: [true, false]}
  seed: {values: [18446744073709551615, 0]}
  Ng: {values: [64, 128]}
  place_cell_rf: {values: ['Uniform( 0.06 , 0.24 )', 0.12]}
`)
	if len(runs) != 64 {
		t.Fatalf("%d runs, want 64", len(runs))
	}
	write := func(i int, name, body string) {
		rd := RunDir(dir, runs[i].ID)
		if err := os.MkdirAll(rd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rd, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(0, summaryFile, `{"steps": 100, "wall_s": 2.5, "decoding_error_cm": null, "max_score60": null,
		"frac_units_score60_above": {"0.3": 0.25}, "has_possible_grid_cells": false}`)
	write(1, summaryFile, `{"steps": 2000, "wall_s": 0.1, "decoding_error_cm": 3.25, "max_score60": 1.0625,
		"frac_units_score60_above": {"0.3": 0.5, "0.8": 0.125}, "has_possible_grid_cells": true}`)
	write(2, runInfoFile, "{}")
	write(2, errorFile, `{"error": "exit status 3, \"quoted\"", "exit_code": 3}`)
	results, err := Collect(context.Background(), dir, runs)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// parquetMagic begins and ends every Parquet file (Apache Parquet format specification).
const parquetMagic = "PAR1"

func TestParquetMatchesCSV(t *testing.T) {
	results := mixedSweep(t)
	var csvBuf, pqBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, results, Thresholds{DecodeCM: 10, Grid: 0.8}); err != nil {
		t.Fatal(err)
	}
	if err := WriteParquet(&pqBuf, results, Thresholds{DecodeCM: 10, Grid: 0.8}); err != nil {
		t.Fatal(err)
	}
	table, err := csv.NewReader(&csvBuf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head, rows := table[0], table[1:]
	data := pqBuf.Bytes()
	if len(data) < 8 || string(data[:4]) != parquetMagic || string(data[len(data)-4:]) != parquetMagic {
		t.Fatalf("runs.parquet does not start and end with %q", parquetMagic)
	}

	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	fields := f.Schema().Fields()
	var names []string
	for _, fl := range fields {
		names = append(names, fl.Name())
	}
	if !slices.Equal(names, head) {
		t.Fatalf("parquet columns %v\nwant runs.csv's %v", names, head)
	}
	// The kind each column must have; the swept keys' kinds come from their config types.
	wantKind := map[string]parquet.Kind{
		"run_id": parquet.ByteArray, "index": parquet.Int64, "model.rnn_type": parquet.ByteArray,
		"training.learning_rate": parquet.Double, "trajectory.periodic": parquet.Boolean, "seed": parquet.Int64,
		"model.ng": parquet.Int64, "encoding.place_cell_rf": parquet.ByteArray, "status": parquet.ByteArray,
		"decoding_error_cm": parquet.Double, "max_score60": parquet.Double, "nbins": parquet.Int64, "score_method": parquet.ByteArray,
		"frac_units_score60_above_0.3": parquet.Double, "frac_units_score60_above_0.8": parquet.Double,
		"decode_threshold_cm": parquet.Double, "grid_threshold": parquet.Double, "has_possible_grid_cells": parquet.Boolean, "diverged": parquet.Boolean, "first_grid_step": parquet.Int64, "steps": parquet.Int64, "wall_s": parquet.Double,
		"error": parquet.ByteArray,
	}
	required := map[string]bool{"run_id": true, "index": true, "status": true}
	for _, fl := range fields {
		want, ok := wantKind[fl.Name()]
		if !ok {
			t.Errorf("unexpected column %s", fl.Name())
			continue
		}
		if k := fl.Type().Kind(); k != want {
			t.Errorf("column %s: %v, want %v", fl.Name(), k, want)
		}
		if fl.Optional() == required[fl.Name()] {
			t.Errorf("column %s: optional %v, want %v", fl.Name(), fl.Optional(), !required[fl.Name()])
		}
		if want == parquet.ByteArray {
			if lt := fl.Type().LogicalType(); lt == nil || !isString(lt.Value) {
				t.Errorf("column %s: logical type %v, want STRING", fl.Name(), lt)
			}
		}
	}
	if lt := fields[slices.Index(names, "seed")].Type().LogicalType(); lt == nil || !isUint64(lt.Value) {
		t.Errorf("seed: logical type %v, want UINT(64)", lt)
	}

	if f.NumRows() != int64(len(rows)) {
		t.Fatalf("%d parquet rows, want %d", f.NumRows(), len(rows))
	}
	r := parquet.NewReader(bytes.NewReader(data))
	defer r.Close()
	got := make([]parquet.Row, len(rows)+1)
	n, _ := r.ReadRows(got)
	if n != len(rows) {
		t.Fatalf("read %d rows, want %d", n, len(rows))
	}
	nulls := 0
	for i, row := range got[:n] {
		for _, v := range row {
			j := v.Column()
			var text string
			switch {
			case v.IsNull():
				nulls++
			case v.Kind() == parquet.ByteArray:
				text = string(v.ByteArray())
			case v.Kind() == parquet.Int64 && names[j] == "seed":
				text = strconv.FormatUint(v.Uint64(), 10)
			case v.Kind() == parquet.Int64:
				text = strconv.FormatInt(v.Int64(), 10)
			case v.Kind() == parquet.Double:
				text = strconv.FormatFloat(v.Double(), 'g', -1, 64)
			case v.Kind() == parquet.Boolean:
				text = strconv.FormatBool(v.Boolean())
			default:
				t.Fatalf("row %d column %s: kind %v", i, names[j], v.Kind())
			}
			if text != rows[i][j] {
				t.Errorf("row %d column %s: parquet %q (null %v), csv %q", i, names[j], text, v.IsNull(), rows[i][j])
			}
		}
	}
	// Row 0 is diverged (2 null metrics, no 0.8 fraction, no error); row 1 has no error;
	// both summaries predate nbins, score_method and first_grid_step (3 nulls each); the
	// failed and pending rows have no metrics (11 each) and the pending ones no error.
	if wantNulls := 7 + 4 + 11 + 12*(len(rows)-3); nulls != wantNulls {
		t.Errorf("%d null cells, want %d", nulls, wantNulls)
	}
	if rows[2][slices.Index(head, "error")] != `exit status 3, "quoted"` || rows[0][slices.Index(head, "seed")] != "18446744073709551615" {
		t.Errorf("csv rows %v", rows)
	}
}

// A width swept over constants is a number column (paper Fig. 3's x axis), as in the CSV;
// mixed with a drawn 'Uniform( … )' it is text (mixedSweep).
func TestConstantDistColumnIsFloat(t *testing.T) {
	_, runs := newSweepDir(t, "method: grid\nparameters:\n  place_cell_rf: {values: [0.08, 0.12]}\n  surround_scale: {values: [2, 'Uniform( 1.5 , 2.5 )']}\n")
	var results []Result
	for _, r := range runs {
		results = append(results, Result{Run: r, Status: StatusPending})
	}
	kinds := map[string]ColumnKind{}
	for _, c := range RunsColumns(results) {
		kinds[c.Name] = c.Kind
	}
	if kinds["encoding.place_cell_rf"] != KindFloat || kinds["encoding.surround_scale"] != KindString {
		t.Errorf("place_cell_rf kind %v, surround_scale %v; want float and text", kinds["encoding.place_cell_rf"], kinds["encoding.surround_scale"])
	}
}
