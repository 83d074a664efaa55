package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/npyio"
)

// TestLanes trains two tiny runs as lanes of one process on the CPU and checks that each
// reaches the same final weights as the same run trained alone by "gridcells train".
func TestLanes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three tiny runs; skipped with -short")
	}
	tmp := t.TempDir()
	sets := []string{"model.ng=24", "encoding.np=32", "trajectory.batch_size=8", "trajectory.sequence_length=5",
		"training.n_epochs=1", "training.n_grad_steps_per_epoch=60", "training.eval_every=30",
		"eval.nbins=10", "eval.sequence_length=5", "training.device=cpu"}
	cfgs := make([]string, 2)
	for i := range cfgs {
		cfg, err := config.Preset(config.PresetQuick)
		if err != nil {
			t.Fatal(err)
		}
		if err := config.ApplySets(&cfg, append(sets, fmt.Sprintf("seed=%d", 5+i))); err != nil {
			t.Fatal(err)
		}
		cfgs[i] = writeConfigFile(t, filepath.Join(tmp, fmt.Sprintf("cfg%d.json", i)), cfg)
	}
	a, b, alone := filepath.Join(tmp, "a"), filepath.Join(tmp, "b"), filepath.Join(tmp, "alone")
	var out, errw bytes.Buffer
	if code := run([]string{"lanes", "--run", a + "=" + cfgs[0], "--run", b + "=" + cfgs[1]}, &out, &errw); code != 0 {
		t.Fatalf("lanes: exit %d: %s", code, errw.String())
	}
	if code := run([]string{"train", "--quiet", "--config", cfgs[1], "--out", alone}, &out, &errw); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errw.String())
	}
	for _, d := range []string{a, b} {
		var sum map[string]any
		buf, err := os.ReadFile(filepath.Join(d, "summary.json"))
		if err != nil || json.Unmarshal(buf, &sum) != nil {
			t.Fatalf("%s: no summary: %v", d, err)
		}
		log, _ := os.ReadFile(filepath.Join(d, "train.log"))
		if !strings.Contains(string(log), "device: cpu") {
			t.Errorf("%s/train.log does not name the device:\n%s", d, log)
		}
	}
	sameFinalWeights(t, alone, b)
	// The same two runs as one ensemble (--stack on; auto would not stack on the CPU).
	c, d := filepath.Join(tmp, "c"), filepath.Join(tmp, "d")
	errw.Reset()
	if code := run([]string{"lanes", "--stack", "on", "--run", c + "=" + cfgs[0], "--run", d + "=" + cfgs[1]}, &out, &errw); code != 0 {
		t.Fatalf("lanes --stack on: exit %d: %s", code, errw.String())
	}
	if log, _ := os.ReadFile(filepath.Join(d, "train.log")); !strings.Contains(string(log), "lane 1 of an ensemble of 2") {
		t.Errorf("%s/train.log does not say it was a lane of an ensemble:\n%s", d, log)
	}
	sameFinalWeights(t, alone, d)
	sameFinalWeights(t, a, c)
	// A config with dropout cannot be part of an ensemble.
	drop, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	if err := config.ApplySets(&drop, append(sets, "model.recurrent_dropout=0.1")); err != nil {
		t.Fatal(err)
	}
	dropCfg := writeConfigFile(t, filepath.Join(tmp, "dropout.json"), drop)
	// Bad input is refused before anything is written.
	bad := filepath.Join(tmp, "bad")
	for _, args := range [][]string{
		{"lanes"},
		{"lanes", "--run", bad + "=" + filepath.Join(tmp, "missing.json")},
		{"lanes", "--run", a + "=" + cfgs[0], "--run", a + "=" + cfgs[1]},
		{"lanes", "--run", bad},
		{"lanes", "--stack", "maybe", "--run", bad + "=" + cfgs[0]},
		{"lanes", "--stack", "on", "--run", bad + "=" + cfgs[0], "--run", filepath.Join(tmp, "bad2") + "=" + dropCfg},
	} {
		if code := run(args, &out, &errw); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	for _, p := range []string{bad, filepath.Join(tmp, "bad2")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a refused lanes command created %s", p)
		}
	}
}

// sameFinalWeights fails unless the runs in dirs a and b have bit-identical final weights.
func sameFinalWeights(t *testing.T, a, b string) {
	t.Helper()
	wa, err := npyio.ReadNPZ(filepath.Join(a, "checkpoint", "final.npz"))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := npyio.ReadNPZ(filepath.Join(b, "checkpoint", "final.npz"))
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range wa {
		y := wb[name]
		if y == nil || len(y.F32) != len(x.F32) {
			t.Fatalf("%s: missing or resized in %s", name, b)
		}
		for i := range x.F32 {
			if x.F32[i] != y.F32[i] {
				t.Fatalf("%s[%d]: %g in %s, %g in %s; want identical", name, i, y.F32[i], b, x.F32[i], a)
			}
		}
	}
}

// TestLanesInterrupted: lanes stopped by a signal (a cancelled context) report that their
// checkpoint was saved and how to resume, not that they failed.
func TestLanesInterrupted(t *testing.T) {
	tmp := t.TempDir()
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	if err := config.ApplySets(&cfg, []string{"model.ng=16", "encoding.np=32", "trajectory.batch_size=8",
		"training.n_epochs=1", "training.n_grad_steps_per_epoch=50", "training.device=cpu"}); err != nil {
		t.Fatal(err)
	}
	path := writeConfigFile(t, filepath.Join(tmp, "cfg.json"), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := filepath.Join(tmp, "a")
	var errw bytes.Buffer
	err = runLanes(ctx, laneSpecs{{Dir: dir, Config: path}}, "train.log", "auto", &errw)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if want := "interrupted: checkpoint saved; resume with gridcells lanes --run " + dir; !strings.Contains(errw.String(), want) || strings.Contains(errw.String(), "failed") {
		t.Errorf("stderr %q, want %q and no failure", errw.String(), want)
	}
}

// writeConfigFile writes cfg as a JSON config file at path, for --config or --run DIR=CFG,
// and returns path.
func writeConfigFile(t *testing.T, path string, cfg config.Config) string {
	t.Helper()
	j, err := cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, j, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
