package theory

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"

	"gonum.org/v1/gonum/floats/scalar"
)

// TestCompareRun reads the hand-made run directory testdata/run_dos (config.json in the form
// train writes it, nfl2022 preset: DoS, σ 0.12, s 2, σ-ratio; scores.csv written by hand)
// and checks the prediction and the statistics of its units with score60 > 0.8.
func TestCompareRun(t *testing.T) {
	c, err := CompareRun("testdata/run_dos", 0.8)
	if err != nil {
		t.Fatal(err)
	}
	// Units 0–4 score above 0.8 and have periods 18.5, 19.0, 17.8, 18.2, 19.6 bins; unit 8
	// scores 0.90 without a period; unit 6 (0.79) is below the threshold.
	if c.Units != 10 || c.GridUnits != 5 {
		t.Errorf("units %d, grid units %d; want 10, 5", c.Units, c.GridUnits)
	}
	if c.MedianPeriod != 18.5 {
		t.Errorf("median period %g, want 18.5", c.MedianPeriod)
	}
	// The KDE of five periods within 17.8–19.6 with a 1-bin bandwidth peaks between them.
	if c.ModePeriod < 18.2 || c.ModePeriod > 19.0 {
		t.Errorf("mode period %g, want within [18.2, 19.0]", c.ModePeriod)
	}
	// Spec §8.4: σ 0.12, s 2 → 0.906 m, 18.1 bins of 5 cm.
	if !scalar.EqualWithinRel(c.PredictedSpacing, 0.906, specTableTol) || c.NBins != 44 ||
		!scalar.EqualWithinRel(c.PredictedBins, 18.1, specTableTol) {
		t.Errorf("prediction %.3f m = %.2f bins at nbins %d; want 0.906 m, 18.1 bins, 44", c.PredictedSpacing, c.PredictedBins, c.NBins)
	}
	if !scalar.EqualWithinRel(c.MedianRatio, 18.5/c.PredictedBins, 1e-12) {
		t.Errorf("median ratio %g", c.MedianRatio)
	}
}

func TestReadScoresCSV(t *testing.T) {
	u, err := ReadScoresCSV(strings.NewReader("Score60,nbins,period\n1.0,20,8\n0.9,44,18\n"), 32)
	if err != nil {
		t.Fatal(err)
	}
	c := Compare(8.01, 2.2, u, 0.5)
	// The first row sets the resolution (20 bins of 11 cm); the 44-bin period 18 becomes
	// 18·20/44 bins.
	if c.NBins != 20 || c.GridUnits != 2 || !scalar.EqualWithinRel(c.MedianPeriod, (8+18*20.0/44)/2, 1e-12) {
		t.Errorf("Compare = %+v", c)
	}
	for _, bad := range []string{"unit,score60\n0,1\n", "score60,period\n1,x\n", "score60,period,nbins\n1,2,1.5\n", ""} {
		if _, err := ReadScoresCSV(strings.NewReader(bad), 44); err == nil {
			t.Errorf("ReadScoresCSV(%q): no error", bad)
		}
	}
	none := Compare(8, 2.2, &UnitScores{Score60: []float64{0.1}, Period: []float64{5}, NBins: []int{44}}, 0.8)
	if none.GridUnits != 0 || !math.IsNaN(none.MedianPeriod) || !math.IsNaN(none.ModeRatio) {
		t.Errorf("no grid units: %+v", none)
	}
}

func TestKDEMode(t *testing.T) {
	const gridStep = kdeGridMax / (kdeGridN - 1)
	if m := kdeMode([]float64{37.3}); math.Abs(m-37.3) > gridStep/2 {
		t.Errorf("kdeMode(37.3) = %g", m)
	}
	// Two well-separated clusters: the larger one wins.
	if m := kdeMode([]float64{10, 10.2, 9.8, 40}); math.Abs(m-10) > gridStep {
		t.Errorf("kdeMode = %g, want 10", m)
	}
}

// A directory without config.json, or a file, is named as not a run directory.
func TestReadRunNotARun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{t.TempDir(), file} {
		if _, _, err := ReadRun(dir); err == nil || !strings.Contains(err.Error(), "is not a run directory") {
			t.Errorf("ReadRun(%s): %v; want not a run directory", dir, err)
		}
	}
}

// A run without scores.csv is named as unfinished (with the command that finishes it), or,
// once finished, as needing gridcells eval.
func TestReadRunUnfinished(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Default().JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadRun(dir); err == nil || !strings.Contains(err.Error(), "has not finished") || !strings.Contains(err.Error(), "train --resume") {
		t.Errorf("unfinished run: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadRun(dir); err == nil || !strings.Contains(err.Error(), "gridcells eval") {
		t.Errorf("finished run without scores.csv: %v", err)
	}
}
