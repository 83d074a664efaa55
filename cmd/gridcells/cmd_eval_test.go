package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/train"
)

// runEvalArgs parses args as the eval command's flags and runs it in-process.
func runEvalArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runInProcess(runEval, args...)
}

// evalTestRun trains a run small enough to take about a second: Ng 16, 40 steps.
func evalTestRun(t *testing.T) (string, *train.Summary) {
	t.Helper()
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	if err := config.ApplySets(&cfg, []string{"model.ng=16", "encoding.np=32", "trajectory.batch_size=10",
		"training.n_epochs=2", "training.n_grad_steps_per_epoch=20", "eval.nbins=20", "eval.batch_size=40"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	sum, err := train.Train(context.Background(), dir, cfg, train.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func readEvalSummary(t *testing.T, dir string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// decodeTol: the evaluation batch is drawn from the run's own stream, so eval recomputes
// the training-time numbers up to float32 summation order (none here: same backend).
const decodeTol = 1e-9

func TestEvalRun(t *testing.T) {
	dir, trained := evalTestRun(t)
	code, stdout, stderr := runEvalArgs(t, dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := readEvalSummary(t, dir)
	var dec float64
	json.Unmarshal(m["decoding_error_cm"], &dec)
	if math.Abs(dec-float64(trained.DecodingErrorCM)) > decodeTol {
		t.Errorf("eval's decoding error %g, training's %g: not the same batch", dec, float64(trained.DecodingErrorCM))
	}
	var mods moduleSummary
	if err := json.Unmarshal(m["modules"], &mods); err != nil {
		t.Fatalf("summary.json modules: %v (%s)", err, m["modules"])
	}
	if mods.NBins != 20 || mods.Threshold != 0.8 || (mods.Count == 0) != (mods.Note != "") {
		t.Errorf("modules %+v", mods)
	}
	if !strings.Contains(stdout, "decoding error") || !strings.Contains(stdout, "modules:") {
		t.Errorf("stdout %q", stdout)
	}

	// Another resolution set and method: scored at both, named in the summary.
	code, _, stderr = runEvalArgs(t, dir, "--nbins", "20,32", "--method", "deepmind", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m = readEvalSummary(t, dir)
	var method string
	json.Unmarshal(m["score_method"], &method)
	var byN map[string]float64
	json.Unmarshal(m["max_score60_by_nbins"], &byN)
	if method != "deepmind" || len(byN) != 2 {
		t.Errorf("score_method %q, max_score60_by_nbins %v; want deepmind at 20 and 32", method, byN)
	}
	if _, err := os.Stat(filepath.Join(dir, "scores_32.csv")); err != nil {
		t.Error(err)
	}
	// config.json is unchanged.
	cfg, err := train.LoadConfig(dir)
	if err != nil || len(cfg.Eval.NBins) != 1 || cfg.Eval.ScoreMethod != "nfl" {
		t.Errorf("config.json changed: %v %v", cfg.Eval, err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "want one RUN_DIR"},
		{[]string{t.TempDir()}, "holds no run"},
		{[]string{dir, "--nbins", "20,x"}, "--nbins \"20,x\""},
		{[]string{dir, "--nbins", "1"}, "integers from 6 to 512"},
		{[]string{dir, "--nbins", "3"}, "integers from 6 to 512"},
		{[]string{dir, "--method", "sorscher"}, "--method"},
		{[]string{dir, "--bandwidth", "0"}, "--bandwidth"},
	} {
		code, _, stderr := runEvalArgs(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// A run that has not finished training.
	unfinished := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	os.WriteFile(filepath.Join(unfinished, "config.json"), b, 0o644)
	if code, _, stderr := runEvalArgs(t, unfinished); code != 2 || !strings.Contains(stderr, "has not finished") {
		t.Errorf("unfinished run: exit %d, %q", code, stderr)
	}
}

// TestEvalGPURunOnCPU: a run trained on a GPU (training.device cuda in its config.json) is
// evaluated on the CPU of a machine without one, saying so, instead of failing.
func TestEvalGPURunOnCPU(t *testing.T) {
	if _, _, err := train.NewBackend("cuda"); !errors.Is(err, train.ErrDeviceUnavailable) {
		t.Skip("this machine opens CUDA")
	}
	dir, trained := evalTestRun(t)
	path := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"device": "[a-z0-9-]*"`)
	if !re.Match(b) {
		t.Fatalf("config.json has no device:\n%s", b)
	}
	os.WriteFile(path, re.ReplaceAll(b, []byte(`"device": "cuda"`)), 0o644)
	code, _, stderr := runEvalArgs(t, dir)
	if code != 0 || !strings.Contains(stderr, "device: cpu (the run trained on cuda") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var dec float64
	json.Unmarshal(readEvalSummary(t, dir)["decoding_error_cm"], &dec)
	if math.Abs(dec-float64(trained.DecodingErrorCM)) > decodeTol {
		t.Errorf("decoding error %g, training's %g", dec, float64(trained.DecodingErrorCM))
	}
	// Asked for explicitly, the missing GPU is an error of this machine (exit 1), not of the input.
	if code, _, stderr := runEvalArgs(t, dir, "--device", "cuda"); code != 1 || !strings.Contains(stderr, "not available") {
		t.Errorf("--device cuda: exit %d, stderr %q; want 1", code, stderr)
	}
	if code, _, _ := runEvalArgs(t, dir, "--device", "tpu"); code != 2 {
		t.Errorf("--device tpu: exit %d, want 2", code)
	}
}

// TestEvalLatest evaluates the last checkpoint of a run without final weights into another
// directory and leaves the run directory without a summary.
func TestEvalLatest(t *testing.T) {
	dir, trained := evalTestRun(t)
	// An unfinished copy: its config, metrics and latest checkpoint (here the last step's).
	partial := filepath.Join(t.TempDir(), "partial")
	os.MkdirAll(filepath.Join(partial, "checkpoint"), 0o755)
	for _, f := range []string{"config.json", "metrics.jsonl", filepath.Join("checkpoint", "latest.npz")} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(partial, f), b, 0o644)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	code, stdout, stderr := runEvalArgs(t, partial, "--checkpoint", "latest", "--out", snap, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := readEvalSummary(t, snap)
	var dec float64
	var steps int
	json.Unmarshal(m["decoding_error_cm"], &dec)
	json.Unmarshal(m["steps"], &steps)
	if math.Abs(dec-float64(trained.DecodingErrorCM)) > decodeTol || steps != trained.Steps {
		t.Errorf("latest checkpoint: %g cm after %d steps; want the trained run's %g cm after %d", dec, steps, float64(trained.DecodingErrorCM), trained.Steps)
	}
	if _, err := os.Stat(filepath.Join(partial, "summary.json")); !os.IsNotExist(err) {
		t.Errorf("the unfinished run got a summary.json (it would count as finished)")
	}
	if !strings.Contains(stdout, filepath.Join(snap, "summary.json")) {
		t.Errorf("stdout %q does not name the snapshot's summary", stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{partial, "--checkpoint", "latest"}, "needs --out"},
		{[]string{partial, "--checkpoint", "latest", "--out", partial}, "must be outside the run directory"},
		{[]string{partial, "--checkpoint", "latest", "--out", filepath.Join(partial, "eval")}, "must be outside the run directory"},
		{[]string{partial, "--checkpoint", "best"}, "allowed: final, latest"},
		{[]string{dir, "--out", snap}, "--out is for --checkpoint latest"},
	} {
		code, _, stderr := runEvalArgs(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// Tolerance on the recovered module ratio: the KDE grid over [0, 150] bins has a step of
// 0.15 bins, so a mode is within 0.08 bins of the true scale (ratio error ≈ 0.01).
const moduleRatioTol = 0.02

// Two populations of periods (10 and 14 bins, ratio 1.4, as biology's modules) among units
// above the threshold give two modules with that ratio; low-score units are ignored.
func TestModulesOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var score, period []float64
	for i := range 60 {
		switch i % 3 {
		case 0:
			score, period = append(score, 1.0), append(period, 10+0.2*rng.NormFloat64())
		case 1:
			score, period = append(score, 0.9), append(period, 14+0.2*rng.NormFloat64())
		default: // below the threshold: another scale that must not appear
			score, period = append(score, 0.5), append(period, 30)
		}
	}
	const nbins, box = 44, 2.2
	m := modulesOf(score, period, nbins, box, 0.8, 1)
	if m.Count != 2 || m.Units != 40 {
		t.Fatalf("modules %+v; want 2 from 40 units", m)
	}
	if math.Abs(m.Ratios[0]-1.4) > moduleRatioTol {
		t.Errorf("ratio %g, want 1.4", m.Ratios[0])
	}
	if m.Sizes[0] != 20 || m.Sizes[1] != 20 {
		t.Errorf("sizes %v, want 20 and 20", m.Sizes)
	}
	if math.Abs(m.ScalesM[0]-m.ScalesBins[0]*box/nbins) > 1e-12 {
		t.Errorf("scale %g m for %g bins", m.ScalesM[0], m.ScalesBins[0])
	}
	if none := modulesOf([]float64{0.1}, []float64{math.NaN()}, nbins, box, 0.8, 1); none.Count != 0 || none.Note == "" {
		t.Errorf("no unit above the threshold: %+v", none)
	}
}

// A directory that holds no run is a usage error (exit 2); a run whose config.json is damaged
// is a data error (exit 1), for eval and report alike.
func TestRunDirExitStatus(t *testing.T) {
	dir, _ := evalTestRun(t)
	if code, _, stderr := runEvalArgs(t, t.TempDir()); code != 2 || !strings.Contains(stderr, "holds no run") {
		t.Errorf("eval of an empty directory: exit %d, %q; want 2 and holds no run", code, stderr)
	}
	if code, _, stderr := runEvalArgs(t, filepath.Join(dir, "summary.json")); code != 2 || !strings.Contains(stderr, "holds no run") {
		t.Errorf("eval of a file: exit %d, %q; want 2 and holds no run", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runEvalArgs(t, dir); code != 1 {
		t.Errorf("eval of a truncated config.json: exit %d (%s); want 1", code, stderr)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"report", dir, "--out", filepath.Join(t.TempDir(), "r.html")}, &stdout, &stderr); code != 1 {
		t.Errorf("report of a truncated config.json: exit %d (%s); want 1", code, stderr.String())
	}
}
