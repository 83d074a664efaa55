package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/predictivity"
	"github.com/gridcells/gridcells/sweep"
	"github.com/gridcells/gridcells/train"
)

const predictivityBins = 20 // eval.nbins[0] of the hand-made runs

// writePredictivityRun makes a hand-made run directory: config.json of the quick preset
// with the given architecture, and, unless mapsOnly, eval/activations.npy and
// eval/positions.npy of the feature model at uniformly random positions; with mapsOnly,
// only ratemaps.npy at predictivityBins.
func writePredictivityRun(t *testing.T, dir, rnnType string, fs predictivity.FeatureSettings, mapsOnly bool) {
	t.Helper()
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Model.RNNType = rnnType
	cfg.Eval.NBins = []int{predictivityBins}
	cj, err := cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(train.RunInfo{GridcellsVersion: "test", Backend: "cpu", Config: cj})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "eval"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := predictivity.RandomFeatures(&fs, 4)
	if err != nil {
		t.Fatal(err)
	}
	box := analysis.SquareBox(cfg.Trajectory.BoxWidth)
	if mapsOnly {
		act := f.Activations(predictivity.BinCentres(predictivityBins, box)) // bins×units
		maps := predictivity.Transpose(act, predictivityBins*predictivityBins, f.Units()).RawMatrix().Data
		m32 := make([]float32, len(maps))
		for i, v := range maps {
			m32[i] = float32(v)
		}
		if err := npyio.WriteFile(filepath.Join(dir, "ratemaps.npy"), npyio.NewFloat32(m32, f.Units(), predictivityBins, predictivityBins)); err != nil {
			t.Fatal(err)
		}
		return
	}
	const samples = 6000
	rng := rand.New(rand.NewPCG(5, 5))
	pos := make([]float32, 2*samples)
	for i := range pos {
		pos[i] = float32((rng.Float64() - 0.5) * cfg.Trajectory.BoxWidth)
	}
	act := f.Activations(pos)
	a32 := make([]float32, len(act))
	for i, v := range act {
		a32[i] = float32(v)
	}
	if err := npyio.WriteFile(filepath.Join(dir, "eval", "activations.npy"), npyio.NewFloat32(a32, samples, f.Units())); err != nil {
		t.Fatal(err)
	}
	if err := npyio.WriteFile(filepath.Join(dir, "eval", "positions.npy"), npyio.NewFloat32(pos, samples, 2)); err != nil {
		t.Fatal(err)
	}
}

// readPredictivityCSV returns the rows of a predictivity.csv by the base name of their run.
func readPredictivityCSV(t *testing.T, path string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range predictivityRows(t, path) {
		out[filepath.Base(r[0])] = r
	}
	return out
}

// predictivityRows returns the rows of a predictivity.csv after its header, in file order.
func predictivityRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 1 || len(rows[0]) != len(predictivity.CSVHeader) {
		t.Fatalf("csv header %v", rows)
	}
	return rows[1:]
}

func predictivityFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPredictivityCommandRateMaps(t *testing.T) {
	dir := t.TempDir()
	low, high, maps := filepath.Join(dir, "low"), filepath.Join(dir, "high"), filepath.Join(dir, "maps")
	writePredictivityRun(t, low, "RNN", predictivity.FeatureSettings{Units: 40, Components: 2}, false)
	writePredictivityRun(t, high, "UGRNN", predictivity.FeatureSettings{Units: 60, Components: 32}, false)
	writePredictivityRun(t, maps, "LSTM", predictivity.FeatureSettings{Units: 50, Components: 16}, true)
	// The recording: a synthetic population's rate maps on the runs' grid, written as a file.
	pop, err := predictivity.NewPopulation(nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	rm := pop.RateMaps(predictivityBins, analysis.SquareBox(2.2), rand.New(rand.NewPCG(1, 2)))
	r32 := make([]float32, len(rm))
	for i, v := range rm {
		r32[i] = float32(v)
	}
	neural := filepath.Join(dir, "neural.npy")
	if err := npyio.WriteFile(neural, npyio.NewFloat32(r32, pop.Neurons(), predictivityBins, predictivityBins)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	// The figure laid out for a 4 in column (its natural size is 6 in).
	o := predictivityOptions{runs: listFlag{low, high}, neural: neural, out: out, folds: 5, innerFolds: 3, repeats: 2, seed: 1,
		figures: figureOutput{width: "4in"}}
	var stdout, stderr bytes.Buffer
	if err := runPredictivity(context.Background(), &o, []string{maps}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	t.Logf("\n%s", stdout.String())
	rows := readPredictivityCSV(t, filepath.Join(out, predictivityCSV))
	if len(rows) != 3 {
		t.Fatalf("rows %v", rows)
	}
	for name, arch := range map[string]string{"low": "RNN", "high": "UGRNN", "maps": "LSTM"} {
		r := rows[name]
		if r[1] != arch || r[2] != "relu" || r[7] != "40" {
			t.Errorf("%s: architecture %s activation %s units %s, want %s relu 40 (the smallest run's units)", name, r[1], r[2], r[7], arch)
		}
		if r[8] != "20" { // NFL's resolution for the rate maps' PR
			t.Errorf("%s: PR of the rate maps at %s bins, want 20", name, r[8])
		}
	}
	if rows["maps"][3] != "NaN" {
		t.Errorf("maps-only run: PR of activations %s, want NaN", rows["maps"][3])
	}
	lowR, highR := predictivityFloat(t, rows["low"][5]), predictivityFloat(t, rows["high"][5])
	lowPR, highPR := predictivityFloat(t, rows["low"][4]), predictivityFloat(t, rows["high"][4])
	if !(highPR > lowPR && highR > lowR) {
		t.Errorf("high-dimensional run PR %.2f r %.3f vs low-dimensional PR %.2f r %.3f: want both higher", highPR, highR, lowPR, lowR)
	}
	if f, err := os.Open(filepath.Join(out, predictivityFigure)); err != nil {
		t.Errorf("figure: %v", err)
	} else {
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 1199 || cfg.Width > 1201 {
			t.Errorf("figure: %v, %d pixels wide, want 1200 (4 in at 300 dpi)", err, cfg.Width)
		}
	}
}

func TestPredictivityCommandPositions(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	writePredictivityRun(t, run, "GRU", predictivity.FeatureSettings{Units: 30, Components: 16}, false)
	const samples = 5000
	rng := rand.New(rand.NewPCG(8, 8))
	pos := make([]float32, 2*samples)
	head := make([]float32, samples)
	for i := range pos {
		pos[i] = float32((rng.Float64() - 0.5) * 2.2)
	}
	for i := range head {
		head[i] = float32(rng.Float64() * 6.28)
	}
	pp, hp := filepath.Join(dir, "pos.npy"), filepath.Join(dir, "head.npy")
	if err := npyio.WriteFile(pp, npyio.NewFloat32(pos, samples, 2)); err != nil {
		t.Fatal(err)
	}
	if err := npyio.WriteFile(hp, npyio.NewFloat32(head, samples)); err != nil {
		t.Fatal(err)
	}
	// The recording is the model itself, 30 neurons × samples: predictable by construction.
	f, _ := predictivity.RandomFeatures(&predictivity.FeatureSettings{Units: 30, Components: 16}, 4)
	act := f.Activations(pos)
	neural := predictivity.Transpose(act, samples, 30).RawMatrix().Data
	n32 := make([]float32, len(neural))
	for i, v := range neural {
		n32[i] = float32(v)
	}
	np := filepath.Join(dir, "neural.npy")
	if err := npyio.WriteFile(np, npyio.NewFloat32(n32, 30, samples)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	o := predictivityOptions{runs: listFlag{run}, neural: np, positions: pp, out: out, folds: 5, innerFolds: 3, repeats: 1, seed: 1}
	var stdout, stderr bytes.Buffer
	if err := runPredictivity(context.Background(), &o, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	const selfMinR = 0.95 // the same units binned from two independent samplings of the box
	if r := predictivityFloat(t, readPredictivityCSV(t, filepath.Join(out, predictivityCSV))["run"][5]); r < selfMinR {
		t.Errorf("model predicting itself: median r %.3f, want > %g", r, selfMinR)
	}

	// The synthetic population at the same positions, with headings.
	o = predictivityOptions{runs: listFlag{run}, synthetic: true, synthSeed: 1, noise: 0.1, positions: pp, headings: hp, nbins: 16, out: out, folds: 5, innerFolds: 3, repeats: 1, seed: 1}
	stdout.Reset()
	if err := runPredictivity(context.Background(), &o, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	row := readPredictivityCSV(t, filepath.Join(out, predictivityCSV))["run"]
	if r := predictivityFloat(t, row[5]); !(r > 0 && r < 1) {
		t.Errorf("synthetic population: median r %.3f, want in (0, 1)", r)
	}
	// The fit bins at 16, the rate maps' PR stays at NFL's 20, binned from the activations.
	if row[8] != "20" || !(predictivityFloat(t, row[4]) > 1) {
		t.Errorf("PR of the rate maps %s at %s bins, want > 1 at 20", row[4], row[8])
	}
}

func TestPredictivityCommandUsage(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	writePredictivityRun(t, run, "RNN", predictivity.FeatureSettings{Units: 10}, true)
	bad := filepath.Join(dir, "bad.npy")
	if err := npyio.WriteFile(bad, npyio.NewFloat32(make([]float32, 2*7), 2, 7)); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.npy") // 2 neurons of 16×16: no run maps of that size
	if err := npyio.WriteFile(other, npyio.NewFloat32(make([]float32, 2*256), 2, 16, 16)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	base := predictivityOptions{runs: listFlag{run}, synthetic: true, out: out, folds: 5, innerFolds: 3, repeats: 1}
	for name, mod := range map[string]func(o *predictivityOptions){
		"no runs":                 func(o *predictivityOptions) { o.runs = nil },
		"no recording":            func(o *predictivityOptions) { o.synthetic = false },
		"both":                    func(o *predictivityOptions) { o.neural = bad },
		"headings alone":          func(o *predictivityOptions) { o.headings = bad },
		"folds":                   func(o *predictivityOptions) { o.folds = 1 },
		"not a run":               func(o *predictivityOptions) { o.runs = listFlag{dir} },
		"not square":              func(o *predictivityOptions) { o.synthetic, o.neural = false, bad },
		"no maps of size":         func(o *predictivityOptions) { o.synthetic, o.neural = false, other },
		"missing file":            func(o *predictivityOptions) { o.synthetic, o.neural = false, filepath.Join(dir, "none.npy") },
		"positions shape":         func(o *predictivityOptions) { o.positions = other },
		"negative units":          func(o *predictivityOptions) { o.units = -2 },
		"negative noise":          func(o *predictivityOptions) { o.noise = -1 },
		"one bin per side":        func(o *predictivityOptions) { o.nbins = 1 },
		"more folds than samples": func(o *predictivityOptions) { o.folds = 5000 },
	} {
		o := base
		mod(&o)
		var stdout, stderr bytes.Buffer
		err := runPredictivity(context.Background(), &o, nil, &stdout, &stderr)
		if !errors.As(err, new(UsageError)) {
			t.Errorf("%s: error %v, want a usage error", name, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: wrote %s", name, out)
		}
	}
	// A run that has not finished has no maps yet: say so, and how to finish it.
	unfinished := filepath.Join(dir, "unfinished")
	os.Mkdir(unfinished, 0o755)
	cfg, _ := os.ReadFile(filepath.Join(run, "config.json"))
	os.WriteFile(filepath.Join(unfinished, "config.json"), cfg, 0o644)
	o := base
	o.runs = listFlag{unfinished}
	err := runPredictivity(context.Background(), &o, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "has not finished") || !strings.Contains(err.Error(), "train --resume") {
		t.Errorf("unfinished run: %v", err)
	}
}

// A sweep directory stands for its finished runs, in manifest order, once each even when a
// run is also given by name; the failed run is counted on stderr. A sweep of which no run
// has finished is a usage error.
func TestPredictivityCommandSweep(t *testing.T) {
	dir := copyTestdata(t, "sweep") // three finished runs and a failed one
	runs, err := sweep.LoadManifest(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var finished []string
	for i, r := range runs {
		rd := sweep.RunDir(dir, r.ID)
		if sweep.State(rd) != sweep.StatusFinished {
			continue
		}
		finished = append(finished, rd)
		writePredictivityRun(t, rd, "RNN", predictivity.FeatureSettings{Units: 20, Components: 4 + 4*i}, true)
	}
	if len(finished) != 3 || len(runs) != 4 {
		t.Fatalf("testdata sweep: %d finished runs of %d, want 3 of 4", len(finished), len(runs))
	}
	out := filepath.Join(t.TempDir(), "out")
	o := predictivityOptions{runs: listFlag{finished[1], dir}, synthetic: true, out: out, folds: 3, innerFolds: 2, repeats: 1}
	var stdout, stderr bytes.Buffer
	if err := runPredictivity(context.Background(), &o, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "3 finished runs of 4; left out: 1 failed") {
		t.Errorf("stderr does not count the failed run:\n%s", stderr.String())
	}
	var got []string
	for _, rec := range predictivityRows(t, filepath.Join(out, predictivityCSV)) {
		got = append(got, rec[0])
	}
	want := []string{finished[1], finished[0], finished[2]}
	if !slices.Equal(got, want) {
		t.Errorf("runs compared %q, want %q (the named run, then the sweep's others in manifest order)", got, want)
	}

	// No finished run: nothing to compare.
	for _, rd := range finished {
		if err := os.Remove(filepath.Join(rd, "summary.json")); err != nil {
			t.Fatal(err)
		}
	}
	o.runs, o.out = listFlag{dir}, filepath.Join(t.TempDir(), "none")
	err = runPredictivity(context.Background(), &o, nil, io.Discard, io.Discard)
	if !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), "none of its 4 runs has finished (3 interrupted, 1 failed)") {
		t.Errorf("sweep without a finished run: %v", err)
	}
}

// The rate maps' participation ratio comes from the evaluation's 20-bin maps when the run has
// them (their units, not the activations'), passes over a file it cannot read, and warns
// when a run has only maps of another size or the runs count different units.
func TestPredictivityPRMaps(t *testing.T) {
	dir := t.TempDir()
	withMaps, mapsOnly := filepath.Join(dir, "with"), filepath.Join(dir, "only")
	writePredictivityRun(t, withMaps, "RNN", predictivity.FeatureSettings{Units: 30, Components: 8}, false)
	rng := rand.New(rand.NewPCG(3, 3))
	const analysed = 7
	m := make([]float32, analysed*predictivityBins*predictivityBins)
	for i := range m {
		m[i] = float32(rng.Float64())
	}
	if err := npyio.WriteFile(filepath.Join(withMaps, "ratemaps_20.npy"), npyio.NewFloat32(m, analysed, predictivityBins, predictivityBins)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(withMaps, "ratemaps_notes.npy"), []byte("not an npy"), 0o644)
	// A maps-only run at 16 bins: its PR can only be at 16.
	writePredictivityRun(t, mapsOnly, "LSTM", predictivity.FeatureSettings{Units: 12, Components: 4}, true)
	m16 := make([]float32, 12*16*16)
	for i := range m16 {
		m16[i] = float32(rng.Float64())
	}
	os.Remove(filepath.Join(mapsOnly, "ratemaps.npy"))
	if err := npyio.WriteFile(filepath.Join(mapsOnly, "ratemaps_16.npy"), npyio.NewFloat32(m16, 12, 16, 16)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	o := predictivityOptions{runs: listFlag{withMaps, mapsOnly}, synthetic: true, synthSeed: 1, noise: 0.1, nbins: 16, out: out,
		folds: 3, innerFolds: 2, repeats: 1, seed: 1}
	var stdout, stderr bytes.Buffer
	if err := runPredictivity(context.Background(), &o, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rows := readPredictivityCSV(t, filepath.Join(out, predictivityCSV))
	if r := rows["with"]; r[8] != "20" || r[9] != strconv.Itoa(analysed) {
		t.Errorf("run with ratemaps_20.npy: PR at %s bins of %s units, want 20 and %d", r[8], r[9], analysed)
	}
	if r := rows["only"]; r[8] != "16" || r[9] != "12" {
		t.Errorf("maps-only run: PR at %s bins of %s units, want 16 and 12", r[8], r[9])
	}
	for _, want := range []string{"only: its rate maps' participation ratio is at 16 bins", "count [7 12] units"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q: want %q", stderr.String(), want)
		}
	}
}
