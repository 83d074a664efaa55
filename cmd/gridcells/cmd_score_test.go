package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/npyio"
)

// hexMap returns an n×n sum of three cosines 60° apart: a hexagonal grid with fields
// spacing bins apart.
func hexMap(n int, spacing, orient float64) []float32 {
	k := 4 * math.Pi / (math.Sqrt(3) * spacing)
	out := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for q := 0; q < 3; q++ {
				a := orient + math.Pi/6 + float64(q)*math.Pi/3
				s += math.Cos(k * (float64(i)*math.Cos(a) + float64(j)*math.Sin(a)))
			}
			out[i*n+j] = float32(s)
		}
	}
	return out
}

func TestScoreCommand(t *testing.T) {
	dir := t.TempDir()
	const n = 24
	var data []float32
	data = append(data, hexMap(n, 7, 0.1)...)
	data = append(data, hexMap(n, 9, 0.5)...)
	constant := make([]float32, n*n)
	for i := range constant {
		constant[i] = 1
	}
	data = append(data, constant...)
	in := filepath.Join(dir, "maps.npy")
	if err := npyio.WriteFile(in, npyio.NewFloat32(data, 3, n, n)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "scores.csv")
	var stdout, stderr bytes.Buffer
	o := scoreOptions{method: "nfl", sac: "reference", out: out}
	if err := runScore(context.Background(), &o, []string{in}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "3 maps of 24×24 bins, method nfl") || !strings.Contains(stdout.String(), "> 0.8: 66.7%") {
		t.Errorf("summary: %q", stdout.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != "index,score60,score90,outer60,spacing_bins,orientation_deg,period_bins,reason" {
		t.Fatalf("CSV: %q", rows)
	}
	for i, spacing := range []float64{7, 9} {
		s60, _ := strconv.ParseFloat(rows[i+1][1], 64)
		period, _ := strconv.ParseFloat(rows[i+1][6], 64)
		if s60 < 1 || math.Abs(period-spacing)/spacing > 0.1 {
			t.Errorf("hex map %d: score60 %v period %v, want > 1 and ≈ %v", i, s60, period, spacing)
		}
	}
	// Readers that do not parse quotes (numpy's genfromtxt) split every line into 8 fields.
	if data, err := os.ReadFile(out); err != nil {
		t.Fatal(err)
	} else {
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if n := len(strings.Split(line, ",")); n != 8 {
				t.Errorf("line %q splits into %d fields at its commas, want 8", line, n)
			}
		}
	}
	// A silent unit scores 0 as the reference scores it, and says why.
	if rows[3][1] != "0" || rows[3][7] == "" {
		t.Errorf("constant map row %q: want score 0 and a reason", rows[3])
	}

	// JSON summary, CSV to stdout.
	stdout.Reset()
	stderr.Reset()
	o = scoreOptions{method: "deepmind", sac: "nan-aware", out: "-", json: true}
	if err := runScore(context.Background(), &o, []string{in}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "index,score60") || !strings.Contains(stderr.String(), `"method": "deepmind"`) {
		t.Errorf("--out - --json: stdout %q stderr %q", stdout.String()[:40], stderr.String())
	}

	// Flags after the file name, through the command line.
	out2 := filepath.Join(dir, "bnt.csv")
	if code := run([]string{"score", in, "--method", "bnt", "--out", out2}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("flags after the file: exit %d", code)
	}
	if _, err := os.Stat(out2); err != nil {
		t.Error(err)
	}
}

func TestScoreCommandErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, a *npyio.Array) string {
		p := filepath.Join(dir, name)
		if err := npyio.WriteFile(p, a); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.npy", npyio.NewFloat32(hexMap(8, 4, 0), 1, 8, 8))
	ints := write("ints.npy", npyio.NewInt64(make([]int64, 64), 1, 8, 8))
	rect := write("rect.npy", npyio.NewFloat64(make([]float64, 40), 1, 5, 8))
	tiny := write("tiny.npy", npyio.NewFloat64([]float64{1, 2}, 2, 1, 1))
	flat := write("flat.npy", npyio.NewFloat64(make([]float64, 8), 8))
	small := write("small.npy", npyio.NewFloat64(make([]float64, 2*5*5), 2, 5, 5))
	// Inside a run directory the default --out would be the run's own scores.csv.
	runDir := filepath.Join(dir, "run")
	os.Mkdir(runDir, 0o755)
	os.WriteFile(filepath.Join(runDir, "config.json"), []byte("{}"), 0o644)
	runScores := filepath.Join(runDir, "scores.csv")
	os.WriteFile(runScores, []byte("unit,score60\n"), 0o644)
	out := filepath.Join(dir, "never.csv")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"wrong dtype", []string{"score", ints, "--out", out}},
		{"non-square", []string{"score", rect, "--out", out}},
		{"1×1 maps", []string{"score", tiny, "--out", out}},
		{"1-D array", []string{"score", flat, "--out", out}},
		{"missing file", []string{"score", filepath.Join(dir, "nope.npy"), "--out", out}},
		{"unknown method", []string{"score", good, "--method", "hexness", "--out", out}},
		{"unknown sac", []string{"score", good, "--sac", "maybe", "--out", out}},
		{"no file", []string{"score"}},
		{"two files", []string{"score", good, good, "--out", out}},
		{"--out a directory", []string{"score", good, "--out", dir}},
		{"5×5 maps", []string{"score", small, "--out", out}},
		{"a run's scores.csv", []string{"score", good, "--out", runScores}},
	} {
		var stderr bytes.Buffer
		if code := run(c.args, io.Discard, &stderr); code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", c.name, code, stderr.String())
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: wrote %s", c.name, out)
		}
	}
	if b, _ := os.ReadFile(runScores); string(b) != "unit,score60\n" {
		t.Errorf("the run's scores.csv was replaced: %q", b)
	}
}
