package reproduce

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/theory"
)

// wantRuns is the number of runs of every built-in sweep, by result and scale: the
// products of the swept values in each file (spec §6.1 for the paper's factorial sweeps:
// 3456 + 1152 + 1152 + 1024 + 2352 + 7680 + 288 for encodings).
var wantRuns = map[string]map[Scale]int{
	"encodings":       {Tiny: 7, Small: 14, Paper: 17104},
	"periods":         {Tiny: 2, Small: 8, Paper: 7680},
	"dos-details":     {Tiny: 2, Small: 10, Paper: 7680 + 2352},
	"hyperparameters": {Tiny: 7, Small: 14, Paper: 60},
	"biological":      {Tiny: 5, Small: 10, Paper: 30},
	"theory":          {Tiny: 15, Small: 15, Paper: 15},
}

// Every built-in sweep at every scale parses, expands and validates, with the expected
// number of runs, and the runs are numbered 0..n-1 with distinct ids.
func TestExpandAll(t *testing.T) {
	for _, r := range Results() {
		for _, s := range Scales {
			runs, notes, err := r.Expand(s)
			if err != nil {
				t.Errorf("%s %s: %v", r.Name, s, err)
				continue
			}
			t.Logf("%s %s: %d runs %v", r.Name, s, len(runs), notes)
			if want := wantRuns[r.Name][s]; len(runs) != want {
				t.Errorf("%s %s: %d runs, want %d", r.Name, s, len(runs), want)
			}
			ids := map[string]bool{}
			for i, run := range runs {
				if run.Index != i || ids[run.ID] {
					t.Fatalf("%s %s: run %d has index %d, id %s (seen %v)", r.Name, s, i, run.Index, run.ID, ids[run.ID])
				}
				ids[run.ID] = true
				if err := run.Config.Validate(); err != nil {
					t.Fatalf("%s %s run %d: %v", r.Name, s, i, err)
				}
				if r.Name != "hyperparameters" && r.Name != "periods" && run.Config.Name == "" {
					t.Errorf("%s %s run %d: no name (the paper category)", r.Name, s, i)
				}
			}
		}
	}
}

// The scales grow: tiny trains fewer steps on smaller networks than small, small than paper.
func TestScalesGrow(t *testing.T) {
	for _, r := range Results() {
		if !r.Trains {
			continue
		}
		var prev float64
		for _, s := range Scales {
			runs, _, err := r.Expand(s)
			if err != nil {
				t.Fatal(err)
			}
			var work float64 // steps × batch × Ng², summed: a rough cost
			for _, run := range runs[:1] {
				c := run.Config
				work = float64(c.TotalSteps()) * float64(c.Trajectory.BatchSize) * float64(c.Model.Ng*c.Model.Ng)
			}
			if !(work > prev) {
				t.Errorf("%s %s: first run's cost %g not above the smaller scale's %g", r.Name, s, work, prev)
			}
			prev = work
		}
	}
}

func TestLookupAndScale(t *testing.T) {
	if _, err := Lookup("encoding"); err == nil || !strings.Contains(err.Error(), "encodings, periods") {
		t.Errorf("Lookup(encoding) = %v, want an error listing the results", err)
	}
	if _, err := ParseScale("huge"); err == nil || !strings.Contains(err.Error(), "tiny, small, paper") {
		t.Errorf("ParseScale(huge) = %v", err)
	}
	r, err := Lookup("Encodings")
	if err != nil || r.Name != "encodings" {
		t.Fatalf("Lookup(Encodings) = %v, %v", r, err)
	}
	y, err := r.SweepYAML(Tiny)
	if err != nil || !strings.Contains(string(y), "method: grid") {
		t.Fatalf("SweepYAML: %v", err)
	}
}

// An error in a later document names the line of the whole file.
func TestSweepsLineNumbers(t *testing.T) {
	r, _ := Lookup("encodings")
	sws, err := r.Sweeps(Tiny)
	if err != nil {
		t.Fatal(err)
	}
	if len(sws) != len(Fig2) {
		t.Fatalf("%d documents, want one per Fig. 2 category (%d)", len(sws), len(Fig2))
	}
	y, _ := r.SweepYAML(Tiny)
	lines := strings.Split(string(y), "\n")
	last := sws[len(sws)-1]
	for _, p := range last.Params {
		if !strings.Contains(lines[p.Line-1], strings.TrimPrefix(p.Written, "")) {
			t.Errorf("param %s at line %d, file line is %q", p.Written, p.Line, lines[p.Line-1])
		}
	}
}

// Tolerance of closed-form k* against spec §8.4's table (printed with 2 decimals).
const kstarTol = 0.006

// The theory result at tiny scale: closed-form k* agrees with spec §8.4, codes without a
// finite peak are the Gaussian, true DoG and SoD, and the dynamics grow more hexagonal
// maps under ReLU than under tanh.
func TestTheoryTiny(t *testing.T) {
	r, _ := Lookup("theory")
	runs, _, err := r.Expand(Tiny)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Theory(context.Background(), runs, Tiny)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Codes) != len(runs) {
		t.Fatalf("%d codes for %d runs", len(res.Codes), len(runs))
	}
	checked := 0
	for _, c := range res.Codes {
		e := c.Config.Encoding
		switch e.Kind {
		case theory.KindGaussian, theory.KindTrueDoG, theory.KindSoD:
			if c.KClosed != 0 {
				t.Errorf("%s: closed-form k* %g, want 0 (peak at the origin)", c.Label, c.KClosed)
			}
		case theory.KindDoS:
			for _, s := range Sec84 {
				if s.Sigma == e.PlaceCellRF.A && s.S == e.SurroundScale.A {
					checked++
					if math.Abs(c.KClosed-s.KStar) > kstarTol {
						t.Errorf("%s: k* %g, spec §8.4 %g", c.Label, c.KClosed, s.KStar)
					}
				}
			}
			if !c.Spectrum.FormsPattern() {
				t.Errorf("%s: the numerical spectrum has no finite peak", c.Label)
			}
		}
	}
	if checked != len(Sec84) {
		t.Errorf("checked %d DoS codes against spec §8.4, want %d", checked, len(Sec84))
	}
	if len(res.Dynamics) != 2 {
		t.Fatalf("%d dynamics, want relu and tanh", len(res.Dynamics))
	}
	relu, tanh := res.Dynamics[0], res.Dynamics[1]
	t.Logf("relu: %d/%d hexagonal, median score %.2f; tanh: %d/%d, median %.2f", relu.Hexagonal, len(relu.Score60), median(relu.Score60), tanh.Hexagonal, len(tanh.Score60), median(tanh.Score60))
	if !(median(relu.Score60) > median(tanh.Score60)) {
		t.Errorf("ReLU dynamics median score60 %g not above tanh's %g", median(relu.Score60), median(tanh.Score60))
	}
	if len(res.Rows) == 0 {
		t.Error("no comparison rows")
	}
}
