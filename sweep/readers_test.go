package sweep

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteReaderFixtures writes runs.csv and runs.parquet of two sweeps into
// $GRIDCELLS_PARQUET_FIXTURES, for testdata/readers/check.mjs, which reads each
// runs.parquet with two Parquet implementations independent of parquet-go (DuckDB's and
// hyparquet) and compares every cell with runs.csv. Without the variable it is skipped.
//
// "mixed" is mixedSweep (every column kind, nulls, a failed and pending runs); "large"
// has 6,000 runs, so that each column spans many data pages, with extreme doubles
// (subnormal, ±max, negative zero), NaN and ±Inf scores (null), and error texts with
// commas, quotes, newlines and non-ASCII letters.
func TestWriteReaderFixtures(t *testing.T) {
	out := os.Getenv("GRIDCELLS_PARQUET_FIXTURES")
	if out == "" {
		t.Skip("set GRIDCELLS_PARQUET_FIXTURES=DIR to write the fixtures of testdata/readers")
	}
	write := func(name string, results []Result) {
		dir := filepath.Join(out, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for file, w := range map[string]func(*os.File) error{
			"runs.csv":     func(f *os.File) error { return WriteCSV(f, results, Thresholds{DecodeCM: 10, Grid: 0.8}) },
			"runs.parquet": func(f *os.File) error { return WriteParquet(f, results, Thresholds{DecodeCM: 10, Grid: 0.8}) },
		} {
			f, err := os.Create(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			if err := w(f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("mixed", mixedSweep(t))

	_, runs := newSweepDir(t, `method: grid
parameters:
  rnn_type: {values: [RNN, LSTM, GRU]}
  learning_rate: {values: [0.001, 0.0001]}
  seed: {min: 0, max: 999, distribution: int_uniform}
`)
	if len(runs) != 6000 {
		t.Fatalf("%d runs, want 6000", len(runs))
	}
	rng := rand.New(rand.NewPCG(3, 5))
	extreme := []float64{math.SmallestNonzeroFloat64, -math.MaxFloat64, math.MaxFloat64, math.Copysign(0, -1), 1e-300, 0.1, math.NaN(), math.Inf(1), math.Inf(-1)}
	errs := []string{"exit status 2", `out of memory, "Ng 4096"`, "line one\nline two", "Gitterzellen: Größe µm, 网格细胞", ""}
	var results []Result
	for i := range 6000 {
		res := Result{Run: runs[i]}
		switch i % 7 {
		case 0:
			res.Status = StatusPending
		case 1:
			res.Status = StatusFailed
			res.Error = errs[rng.IntN(len(errs))]
		default:
			res.Status = StatusFinished
			step := rng.IntN(20000) - 1
			s := &Summary{
				Steps: 1 + rng.IntN(200000), WallSeconds: Number(rng.Float64() * 1e4),
				Loss: Number(rng.NormFloat64()), DecodingErrorCM: Number(rng.ExpFloat64() * 10),
				MaxScore60:           Number(rng.Float64()*2 - 0.5),
				FracAbove:            map[string]Number{"0.3": Number(rng.Float64()), "0.8": Number(rng.Float64() / 4)},
				HasPossibleGridCells: rng.IntN(2) == 0, Diverged: rng.IntN(10) == 0,
				NBins: 20 + 24*rng.IntN(2), ScoreMethod: []string{"nfl", "deepmind", "bnt"}[rng.IntN(3)],
			}
			if i%5 != 0 {
				s.FirstGridStep = &step
			}
			if i%11 == 0 {
				s.MaxScore60 = Number(extreme[rng.IntN(len(extreme))])
				s.DecodingErrorCM = Number(extreme[rng.IntN(len(extreme))])
			}
			res.Summary = s
		}
		results = append(results, res)
	}
	write("large", results)
}
