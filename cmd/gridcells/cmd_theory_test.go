package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
	} {
		_, err := theoryRun(t, append(args, "--out", dir)...)
		if !errors.As(err, new(UsageError)) {
			t.Errorf("theory %q: err = %v, want a usage error", args, err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("theory %q wrote %s", args, dir)
		}
	}
	// An --out that is a file is refused before the work.
	file := filepath.Join(t.TempDir(), "afile")
	os.WriteFile(file, nil, 0o644)
	if _, err := theoryRun(t, "--out", file); !errors.As(err, new(UsageError)) {
		t.Errorf("--out FILE: err = %v, want a usage error", err)
	}
}
