package main

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridcells/gridcells/reproduce"
)

// asMainEnv makes the test binary behave as the gridcells command: the sweep worker runs
// its train processes as os.Executable(), which under "go test" is this binary.
const asMainEnv = "GRIDCELLS_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runReproduceArgs parses args as the reproduce command's flags and runs it in-process,
// returning the exit status main would.
func runReproduceArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runInProcess(runReproduce, args...)
}

func TestReproduceUsage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "want one RESULT"},
		{[]string{"grids", "--out", out}, "unknown result \"grids\"; allowed: encodings, periods"},
		{[]string{"encodings", "--scale", "huge", "--out", out}, "allowed: tiny, small, paper"},
		{[]string{"encodings"}, "--out DIR is required"},
		{[]string{"encodings", "--out", out, "--executor", "k8s"}, "allowed: local, slurm"},
		{[]string{"encodings", "--out", out, "--workers", "0"}, "--workers must be ≥ 1"},
		{[]string{"encodings", "--out", out, "--lanes", "0"}, "--lanes must be ≥ 1"},
		// Slurm-only flags with the local executor: --dry-run would otherwise train every run.
		{[]string{"encodings", "--out", out, "--dry-run"}, "--dry-run applies to --executor slurm only"},
		{[]string{"encodings", "--out", out, "--gpus", "1", "--mem", "8G"}, "--mem, --gpus apply to --executor slurm only"},
	} {
		code, _, stderr := runReproduceArgs(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused command created %s", out)
	}
}

// --print-sweep prints the embedded YAML that the command expands.
func TestReproducePrintSweep(t *testing.T) {
	for _, r := range reproduce.Results() {
		code, stdout, stderr := runReproduceArgs(t, r.Name, "--scale", "small", "--print-sweep")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", r.Name, code, stderr)
		}
		want, _ := r.SweepYAML(reproduce.Small)
		if !strings.HasSuffix(stdout, string(want)) || strings.Count(stdout, "method: grid") < 1 {
			t.Errorf("%s: printed sweep is not the embedded file", r.Name)
		}
	}
}

// reproduceFigures decodes every figure in dir/figures and returns their names.
func reproduceFigures(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "figures", "*.png"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no figures in %s: %v", dir, err)
	}
	names := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if r := img.Bounds(); r.Dx() < 200 || r.Dy() < 200 {
			t.Errorf("%s: %v is too small to read", f, r)
		}
		names[filepath.Base(f)] = true
	}
	return names
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// The acceptance test of issue 9: "reproduce encodings --scale tiny" trains every
// category of paper Fig. 2 for real and writes the table, the figures and the report;
// rerunning it trains nothing.
func TestReproduceEncodingsTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 7 small networks (about 20 s on 2 cores); skipped with -short")
	}
	t.Setenv(asMainEnv, "1")
	dir := filepath.Join(t.TempDir(), "enc")
	t0 := time.Now()
	code, stdout, stderr := runReproduceArgs(t, "encodings", "--scale", "tiny", "--out", dir, "--workers", "2", "--quiet")
	t.Logf("reproduce encodings --scale tiny: %s\n%s", time.Since(t0).Round(100*time.Millisecond), stdout)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "7 trained now, 0 had finished, 0 failed") {
		t.Errorf("stderr %q: want 7 runs trained", stderr)
	}

	rows := readCSV(t, filepath.Join(dir, "table.csv"))
	if len(rows) != 1+len(reproduce.Fig2) {
		t.Fatalf("table.csv has %d rows, want a header and one per category (%d)", len(rows), len(reproduce.Fig2))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, p := range reproduce.Fig2 {
		r := rows[i+1]
		if r[col["name"]] != p.Name || r[col["runs"]] != "1" || r[col["finished"]] != "1" {
			t.Errorf("table.csv row %d: %q; want category %s with 1 run, finished", i+1, r, p.Name)
		}
		if r[col["paper_frac_grid"]] == "" || r[col["paper_n"]] == "" {
			t.Errorf("table.csv row %d: no paper values", i+1)
		}
	}
	// Every category trained for real: the Cartesian code decodes after 1500 steps.
	if rows[1][col["decoded"]] != "1" {
		t.Errorf("the Cartesian network does not decode position: %q", rows[1])
	}

	cmp := readCSV(t, filepath.Join(dir, "comparison.csv"))
	if len(cmp) < 1+2*len(reproduce.Fig2) {
		t.Errorf("comparison.csv has %d rows, want at least two per category", len(cmp))
	}

	figs := reproduceFigures(t, dir)
	for _, f := range []string{"paper_fig2a.png", "fractions.png", "survival.png", "spectra.png"} {
		if !figs[f] {
			t.Errorf("figure %s missing (have %v)", f, figs)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	if n := strings.Count(page, "data:image/png;base64,"); n != len(figs) {
		t.Errorf("report.html embeds %d figures, want %d", n, len(figs))
	}
	for _, want := range []string{"The paper (paper Fig. 2, spec §7) beside this sweep", "0.92 (N 1689)", "high-dim Cartesian", "SoD", "scale", "tiny"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}

	// Resumable: the same command again trains nothing and writes the same table.
	before, _ := os.ReadFile(filepath.Join(dir, "table.csv"))
	code, _, stderr = runReproduceArgs(t, "encodings", "--scale", "tiny", "--out", dir, "--quiet")
	if code != 0 || !strings.Contains(stderr, "0 trained now, 7 had finished") {
		t.Errorf("rerun: exit %d, stderr %q; want every run skipped", code, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "table.csv"))
	if !bytes.Equal(before, after) {
		t.Errorf("rerun changed table.csv:\n%s\n%s", before, after)
	}
	// Another scale in the same directory is refused before anything is written.
	if code, _, stderr := runReproduceArgs(t, "encodings", "--scale", "small", "--out", dir, "--collect-only"); code != 2 || !strings.Contains(stderr, "another result or scale") {
		t.Errorf("small into a tiny directory: exit %d, %q", code, stderr)
	}
	// --collect-only where nothing was trained (a mistyped --out) is refused, writing nothing.
	typo := filepath.Join(t.TempDir(), "enc-typo")
	if code, _, stderr := runReproduceArgs(t, "encodings", "--scale", "tiny", "--out", typo, "--collect-only"); code != 2 || !strings.Contains(stderr, "holds no sweep") {
		t.Errorf("--collect-only into a new directory: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("--collect-only into a new directory created it: %v", err)
	}
}

// The theory result trains nothing: spectra, k* and the dynamics of ReLU vs tanh.
func TestReproduceTheoryTiny(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "theory")
	code, stdout, stderr := runReproduceArgs(t, "theory", "--scale", "tiny", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	figs := reproduceFigures(t, dir)
	for _, f := range []string{"spectra.png", "dynamics_relu.png", "dynamics_tanh.png"} {
		if !figs[f] {
			t.Errorf("figure %s missing (have %v)", f, figs)
		}
	}
	rows := readCSV(t, filepath.Join(dir, "table.csv"))
	var relu, tanh []string
	for _, r := range rows {
		switch r[0] {
		case "dynamics maps with score60 > 0.8 (relu)":
			relu = r
		case "dynamics maps with score60 > 0.8 (tanh)":
			tanh = r
		}
	}
	if relu == nil || tanh == nil {
		t.Fatalf("table.csv lacks the dynamics rows:\n%s", stdout)
	}
	// ReLU grows hexagonal maps, tanh does not (spec §8.3): at least half vs none.
	if k, n := atoi(t, relu[6]), atoi(t, relu[7]); n == 0 || 2*k < n {
		t.Errorf("ReLU dynamics: %q; want at least half the maps hexagonal", relu)
	}
	if tanh[6] != "0" {
		t.Errorf("tanh dynamics: %q hexagonal maps, want none", tanh)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "8.01 (spec §8.4)") {
		t.Error("report.html lacks spec §8.4's k* of DoS σ 0.12, s 2")
	}
}

// --executor slurm writes the job arrays and says how to collect afterwards.
func TestReproduceSLURMDryRun(t *testing.T) {
	skipSLURMOnWindows(t)
	dir := filepath.Join(t.TempDir(), "bio")
	code, stdout, stderr := runReproduceArgs(t, "biological", "--scale", "tiny", "--out", dir, "--executor", "slurm", "--dry-run", "--cpus", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "sbatch --parsable") || !strings.Contains(stderr, "--collect-only") {
		t.Errorf("stdout %q, stderr %q: want the sbatch line and the --collect-only instruction", stdout, stderr)
	}
	script, err := os.ReadFile(filepath.Join(dir, "slurm", "array_0.sh"))
	if err != nil || !strings.Contains(string(script), "--array=0-4") {
		t.Errorf("array script: %v\n%s", err, script)
	}
	// Collecting before anything ran writes the report with every run pending.
	code, _, stderr = runReproduceArgs(t, "biological", "--scale", "tiny", "--out", dir, "--collect-only")
	if code != 0 {
		t.Fatalf("collect-only: exit %d: %s", code, stderr)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "0 of 5 runs have finished") {
		t.Error("report.html does not say that no run has finished")
	}
	// --lanes 2 makes each array task train two rows in one lanes process: 3 tasks for 5 runs.
	lanesDir := filepath.Join(t.TempDir(), "bio-lanes")
	code, _, stderr = runReproduceArgs(t, "biological", "--scale", "tiny", "--out", lanesDir, "--executor", "slurm", "--dry-run", "--gpus", "1", "--lanes", "2")
	if code != 0 {
		t.Fatalf("--lanes 2: exit %d: %s", code, stderr)
	}
	script, err = os.ReadFile(filepath.Join(lanesDir, "slurm", "array_0.sh"))
	if err != nil || !strings.Contains(string(script), "--array=0-2") || !strings.Contains(string(script), "--lanes 2") {
		t.Errorf("array script with --lanes 2: %v\n%s", err, script)
	}
}
