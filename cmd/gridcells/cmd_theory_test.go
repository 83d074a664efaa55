package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image/gif"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/npyio"
)

// theoryRun parses args as "gridcells theory" does and runs it, capturing stdout.
func theoryRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var o theoryOptions
	fs := flag.NewFlagSet("theory", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return "", UsageError{err}
	}
	var out bytes.Buffer
	err := runTheory(context.Background(), &o, fs.Args(), &out, io.Discard)
	return out.String(), err
}

func TestTheoryCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "th")
	out, err := theoryRun(t, "--res", "24", "--simulate", "--maps", "2", "--steps", "30", "--out", dir, "--formats", "pdf")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"closed form: k* = 8.011 rad/m, spacing 0.906 m = 18.1 bins", "numerical (res 24): k* = ", "pattern: forms", "dynamics: single-map relu, 2 maps"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"spectrum.npy", "covariance.npy", "radial_profile.csv", "spectrum.png", "radial_profile.png", "maps.npy", "maps.csv", "maps.png",
		"spectrum.pdf", "radial_profile.pdf", "maps.pdf"} { // --formats pdf
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	// Without --formats again, the PDFs of the earlier figures go.
	if _, err := theoryRun(t, "--res", "24", "--out", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "spectrum.pdf")); !os.IsNotExist(err) {
		t.Errorf("stale spectrum.pdf still there (Stat: %v)", err)
	}
	// Laid out for a 3.3 in column: the radial profile (6 in at its natural size) is 3.3 in
	// at 300 dpi; the spectrum, narrower than 3.3 in at 9 pt, is no wider.
	if _, err := theoryRun(t, "--res", "24", "--out", dir, "--figure-width", "3.3in"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"radial_profile.png": 990, "spectrum.png": 0} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case want > 0 && (cfg.Width < want-1 || cfg.Width > want+1):
			t.Errorf("%s is %d pixels wide, want %d", name, cfg.Width, want)
		case cfg.Width > 991:
			t.Errorf("%s is %d pixels wide, more than 3.3 in at 300 dpi", name, cfg.Width)
		}
	}
	if _, err := theoryRun(t, "--res", "24", "--out", dir, "--figure-dpi", "600"); err == nil || !strings.Contains(err.Error(), "--figure-dpi needs --figure-width") {
		t.Errorf("--figure-dpi without --figure-width: %v", err)
	}
	if _, err := theoryRun(t, "--res", "24", "--figure-width", "3in"); err == nil || !strings.Contains(err.Error(), "need --out") {
		t.Errorf("--figure-width without --out: %v", err)
	}
}

// TestTheoryStripes: tanh dynamics grow stripes, whose wavelength (not NFL's lattice period)
// is compared with 2π/k*; at res 32 it comes within 5 %.
func TestTheoryStripes(t *testing.T) {
	out, err := theoryRun(t, "--res", "32", "--simulate", "--activation", "tanh", "--maps", "2")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`stripe wavelength \(spectral peak\): median ([0-9.]+) m \(predicted 2π/k\* = ([0-9.]+) m from the numerical k\*, ratio ([0-9.]+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no stripe wavelength line:\n%s", out)
	}
	if r, _ := strconv.ParseFloat(m[3], 64); math.Abs(r-1) > 0.05 {
		t.Errorf("stripe wavelength %s m against 2π/k* %s m: ratio %s, want within 5 %% of 1", m[1], m[2], m[3])
	}
	if strings.Contains(out, "period (NFL)") {
		t.Errorf("stripes compared by NFL's lattice period:\n%s", out)
	}
}

func TestTheoryNoPattern(t *testing.T) {
	out, err := theoryRun(t, "--res", "24", "--kind", "gaussian")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "closed form: k* = 0.000 rad/m, no finite spacing") || !strings.Contains(out, "pattern: none") {
		t.Errorf("Gaussian code:\n%s", out)
	}
}

func TestTheoryRun(t *testing.T) {
	out, err := theoryRun(t, "--res", "24", "--run", "../../theory/testdata/run_dos")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5 of 10 units with score60 > 0.8", "median 18.50 bins", "predicted (closed form): 18.11 bins"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTheoryUsageErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never")
	for _, args := range [][]string{
		{"--res", "3"},
		{"--activation", "sigmoid"},
		{"--maps", "0"},
		{"--set", "encoding.kind=bogus"},
		{"--run", "../../theory/testdata/run_dos", "--sigma", "0.2"},
		{"--run", "no/such/run"},
		{"extra"},
		// Flags of a mode not asked for.
		{"--steps", "5"},
		{"--activation", "tanh"},
		{"--orthogonal"},
		{"--threshold", "0.5"},
		{"--simulate", "--gain", "1"}, // --gain without --orthogonal
		{"--simulate", "--orthogonal", "--gain", "0"},
		{"--animate", "3"}, // without --simulate
		{"--simulate", "--animate", "1"},
		{"--simulate", "--animate", "-2"},
		{"--res", "16", "--simulate", "--steps", "3", "--animate", "5"},     // more snapshots than steps + 1
		{"--res", "16", "--simulate", "--animate", "600"},                   // than the default 500 steps + 1
		{"--res", "16", "--simulate", "--maps", "4096", "--animate", "400"}, // more memory than maxAnimationBytes
	} {
		_, err := theoryRun(t, append(args, "--out", dir)...)
		if !errors.As(err, new(UsageError)) {
			t.Errorf("theory %q: err = %v, want a usage error", args, err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("theory %q wrote %s", args, dir)
		}
	}
	if _, err := theoryRun(t, "--simulate", "--animate", "3"); !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), "add --out") {
		t.Errorf("--animate without --out: err = %v, want a usage error asking for --out", err)
	}
	// An --out that is a file is refused before the work.
	file := filepath.Join(t.TempDir(), "afile")
	os.WriteFile(file, nil, 0o644)
	if _, err := theoryRun(t, "--out", file); !errors.As(err, new(UsageError)) {
		t.Errorf("--out FILE: err = %v, want a usage error", err)
	}
}

// TestTheoryAnimate: --animate K writes K snapshots of the dynamics, from the initial noise
// to the final maps: maps_frames.npy holds them (the last is maps.npy), maps_frames.csv
// their steps and scores (the last frame's are maps.csv's), maps.gif one frame each.
func TestTheoryAnimate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "th")
	if _, err := theoryRun(t, "--res", "24", "--simulate", "--maps", "3", "--steps", "12", "--animate", "4", "--out", dir); err != nil {
		t.Fatal(err)
	}
	frames, err := npyio.ReadFile(filepath.Join(dir, "maps_frames.npy"))
	if err != nil {
		t.Fatal(err)
	}
	maps, err := npyio.ReadFile(filepath.Join(dir, "maps.npy"))
	if err != nil {
		t.Fatal(err)
	}
	n := maps.Shape[1]
	if fmt.Sprint(frames.Shape) != fmt.Sprint([]int{4, 3, n, n}) {
		t.Fatalf("maps_frames.npy shape %v, want [4 3 %d %d]", frames.Shape, n, n)
	}
	last := frames.F32[3*3*n*n:]
	if !slices.Equal(last, maps.F32) {
		t.Error("the last snapshot is not maps.npy")
	}
	csv := func(name string) [][]string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
			rows = append(rows, strings.Split(l, ","))
		}
		return rows
	}
	rows, final := csv("maps_frames.csv"), csv("maps.csv")
	if len(rows) != 12 {
		t.Fatalf("maps_frames.csv has %d rows, want 4 snapshots × 3 maps", len(rows))
	}
	for i, r := range rows {
		k, m := i/3, i%3
		if r[0] != strconv.Itoa(k) || r[1] != strconv.Itoa(4*k) || r[2] != strconv.Itoa(m) {
			t.Errorf("row %d: %q, want frame %d, step %d, map %d", i, r, k, 4*k, m)
		}
		if k == 3 && r[3] != final[m][1] {
			t.Errorf("last snapshot, map %d: score60 %s, maps.csv says %s", m, r[3], final[m][1])
		}
	}
	if g := decodeFile(t, filepath.Join(dir, "maps.gif"), gif.DecodeAll); len(g.Image) != 4 {
		t.Errorf("maps.gif has %d frames, want 4", len(g.Image))
	}
}
