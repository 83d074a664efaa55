package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
)

// runConfigArgs parses args as "gridcells config" does and runs it, returning stdout.
func runConfigArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o configOptions
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	var out bytes.Buffer
	err := runConfig(context.Background(), &o, fs.Args(), &out, io.Discard)
	return out.String(), err
}

func TestConfigCommand(t *testing.T) {
	out, err := runConfigArgs(t, "--preset", "quick", "--set", "rnn_type=LSTM", "--set", "place_cell_rf=Uniform( 0.06 , 0.24 )")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(out), "stdout", "")
	if err != nil {
		t.Fatalf("output does not load back: %v\n%s", err, out)
	}
	want, _ := config.Preset(config.PresetQuick)
	want.Model.RNNType = "LSTM"
	want.Encoding.PlaceCellRF = config.Uniform(0.06, 0.24)
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("resolved config:\n%s", out)
	}

	// The printed config, given back with --config, prints identically (JSON and YAML).
	for _, format := range []string{"json", "yaml"} {
		first, err := runConfigArgs(t, "--preset", "sorscher2019", "--set", "seed=9", "--format", format)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "run."+format)
		if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
			t.Fatal(err)
		}
		second, err := runConfigArgs(t, "--config", path, "--format", format)
		if err != nil || second != first {
			t.Errorf("%s: reloaded output differs (err %v):\n%s\nvs\n%s", format, err, first, second)
		}
	}
}

func TestConfigCommandPrecedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte("Ng: 512\nlearning_rate: 0.002\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runConfigArgs(t, "--preset", "quick", "--config", path, "--set", "Ng=64")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(out), "stdout", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Ng != 64 || cfg.Training.LearningRate != 0.002 || cfg.Preset != config.PresetQuick || cfg.Training.NEpochs != 11 {
		t.Errorf("precedence: Ng %d lr %v preset %s epochs %d", cfg.Model.Ng, cfg.Training.LearningRate, cfg.Preset, cfg.Training.NEpochs)
	}
	// A file naming a preset and a different explicit --preset conflict.
	if err := os.WriteFile(path, []byte("preset: banino2018\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runConfigArgs(t, "--preset", "quick", "--config", path); !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), "conflicts") {
		t.Errorf("conflicting presets: got %v", err)
	}
	// Without --preset the file's preset is the base.
	if out, err := runConfigArgs(t, "--config", path); err != nil || !strings.Contains(out, `"preset": "banino2018"`) {
		t.Errorf("file preset: %v", err)
	}
}

func TestConfigCommandErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--set", "place_cel_rf=0.1"}, `did you mean "encoding.place_cell_rf"`},
		{[]string{"--set", "place_cell_rf=-0.1"}, "encoding.place_cell_rf: must be > 0"},
		{[]string{"--set", "Np=2"}, "encoding.np"},
		{[]string{"--set", "box_width=0"}, "trajectory.box_width: must be > 0"},
		{[]string{"--set", "place_cell_rf=Uniform( 0.1 "}, "missing closing ')'"},
		{[]string{"--preset", "nope"}, "allowed: banino2018, nfl2022, quick, sorscher2019"},
		{[]string{"--format", "xml"}, "allowed: json, yaml"},
		{[]string{"--config", "/nonexistent/run.yaml"}, "/nonexistent/run.yaml"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tc := range cases {
		out, err := runConfigArgs(t, tc.args...)
		if !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: got %v; want a UsageError containing %q", tc.args, err, tc.msg)
		}
		if out != "" {
			t.Errorf("%v: wrote output despite the error", tc.args)
		}
	}
	// Through the command framework: exit status 2 and the message on stderr.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"config", "--set", "sigma=1"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown key "sigma"`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestConfigListKeys(t *testing.T) {
	out, err := runConfigArgs(t, "--list-keys")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range config.Keys() {
		if !strings.Contains(out, "\n"+k.Key+" ("+k.Type+", default ") {
			t.Errorf("--list-keys lacks %s", k.Key)
		}
	}
	for _, s := range []string{"allowed: RNN, LSTM, GRU, UGRNN, SRNN", "aliases: ng, Ng, n_grid_cells", "place_field_values"} {
		if !strings.Contains(out, s) {
			t.Errorf("--list-keys lacks %q", s)
		}
	}
	// Defaults are train's (the quick preset), or those of --preset and --set.
	for args, want := range map[string]string{
		"":                               "\ntraining.learning_rate (float, default 0.003)",
		"--preset nfl2022":               "\ntraining.learning_rate (float, default 0.0001)",
		"--preset nfl2022 --set Ng=2048": "\nmodel.ng (int, default 2048)",
	} {
		out, err := runConfigArgs(t, append(strings.Fields(args), "--list-keys")...)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("config %s --list-keys: lacks %q (%v)", args, want, err)
		}
	}
}

// A file that is not a config (every line an unknown key) gets the first lines and a count,
// not a screenful per line; a missing file is named as a file problem, not a config's.
func TestConfigErrorsCapped(t *testing.T) {
	dir := t.TempDir()
	var yaml strings.Builder
	for i := range 50 {
		fmt.Fprintf(&yaml, "key_%d: 1\n", i)
	}
	path := filepath.Join(dir, "many.yaml")
	if err := os.WriteFile(path, []byte(yaml.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"train", "--config", path, "--out", filepath.Join(dir, "run")}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d; want 2", code)
	}
	msg := stderr.String()
	if n := strings.Count(msg, "unknown key"); n != maxIndentedLines-1 {
		t.Errorf("%d unknown-key lines; want %d", n, maxIndentedLines-1)
	}
	if !strings.Contains(msg, "… and 31 more lines") {
		t.Errorf("no count of the lines left out:\n%s", msg)
	}

	stderr.Reset()
	missing := filepath.Join(dir, "missing.yaml")
	if code := run([]string{"train", "--config", missing, "--out", filepath.Join(dir, "run")}, &stdout, &stderr); code != 2 {
		t.Fatalf("missing file: exit %d; want 2", code)
	}
	if want := "--config " + missing + ": " + notExistText(t); !strings.Contains(stderr.String(), want) || strings.Contains(stderr.String(), "invalid config") {
		t.Errorf("missing file: %q; want %q", stderr.String(), want)
	}
}

// notExistText is the system's text for a missing file: "no such file or directory" on
// unix, "The system cannot find the file specified." on Windows.
func notExistText(t *testing.T) string {
	t.Helper()
	_, err := os.Stat(filepath.Join(t.TempDir(), "missing"))
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("stat of a missing file: %v", err)
	}
	return pe.Err.Error()
}
