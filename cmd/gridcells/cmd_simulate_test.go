package main

import (
	"bytes"
	"context"
	"errors"
	"image/gif"
	stdpng "image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/sim"
)

func TestSimulateWritesNPZ(t *testing.T) {
	out := filepath.Join(t.TempDir(), "traj.npz")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"simulate", "--batch", "7", "--steps", "9", "--seed", "3", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	m, err := npyio.ReadNPZ(out)
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{"positions": {7, 10, 2}, "velocities": {7, 9, 2}, "headings": {7, 9}, "dt": {}}
	for name, shape := range shapes {
		a, ok := m[name]
		if !ok {
			t.Fatalf("missing %q", name)
		}
		if !reflect.DeepEqual(append([]int{}, a.Shape...), shape) {
			t.Errorf("%s: shape %v, want %v", name, a.Shape, shape)
		}
	}
	if dt := m["dt"].AsFloat64(); len(dt) != 1 || dt[0] != 0.02 {
		t.Errorf("dt = %v, want [0.02]", dt)
	}
	// Batch-major alignment: positions[b, t+1] = positions[b, t] + velocities[b, t] in float32.
	pos, vel := m["positions"].F32, m["velocities"].F32
	for b := 0; b < 7; b++ {
		for s := 0; s < 9; s++ {
			for k := 0; k < 2; k++ {
				if got, want := pos[(b*10+s+1)*2+k], pos[(b*10+s)*2+k]+vel[(b*9+s)*2+k]; got != want {
					t.Fatalf("trajectory %d step %d: position %v != previous + velocity %v", b, s, got, want)
				}
			}
		}
	}
	// The same seed gives the same bytes.
	out2 := filepath.Join(t.TempDir(), "again.npz")
	if code := run([]string{"simulate", "--batch", "7", "--steps", "9", "--seed", "3", "--out", out2}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different files")
	}
}

func TestSimulateRatInABoxPeriodic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "riab.npz")
	var stdout, stderr bytes.Buffer
	args := []string{"simulate", "--model", "ratinabox", "--periodic", "--box-width", "1", "--box-height", "0.5", "--batch", "3", "--steps", "50", "--out", out}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	m, err := npyio.ReadNPZ(out)
	if err != nil {
		t.Fatal(err)
	}
	pos := m["positions"].F32
	for i := 0; i < len(pos); i += 2 {
		if pos[i] < -0.5 || pos[i] >= 0.5 || pos[i+1] < -0.25 || pos[i+1] >= 0.25 {
			t.Fatalf("periodic position (%v, %v) outside the 1×0.5 box", pos[i], pos[i+1])
		}
	}
}

func TestSimulateRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--box-width", "0"},
		{"--box-height", "-1"},
		{"--box-width", "0.05"},
		{"--batch", "0"},
		{"--steps", "0"},
		{"--model", "levy"},
		{"--dt", "0"},
		{"--batch", "1000000", "--steps", "1000000"},
		{"extra-arg"},
		{"--config", "/nonexistent/config.yaml"},
		{"--png", "traj.jpg"},
		{"--gif", "traj.png"},
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "x.npz")
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"simulate", "--out", out}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%v: left %d files behind", args, len(entries))
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"simulate"}, &stdout, &stderr); code != 2 {
		t.Errorf("without --out: exit %d, want 2", code)
	}
	// An --out that is a directory, or in one that does not exist: exit 2 with the reason,
	// not a failed rename after the work.
	for out, want := range map[string]string{t.TempDir(): "is a directory", filepath.Join(t.TempDir(), "no", "x.npz"): "does not exist",
		filepath.Join(t.TempDir(), "traj.npy"): "name it .npz"} {
		stderr.Reset()
		if code := run([]string{"simulate", "--out", out}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), want) {
			t.Errorf("--out %s: exit %d, stderr %q; want 2 and %q", out, code, stderr.String(), want)
		}
	}
}

// Drawn in blocks (the last one partial), the file is byte for byte that of one draw; a
// cancelled context stops the draw and leaves no file.
func TestSimulateBlocks(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, block int) []byte {
		t.Helper()
		defer func(b int) { simulateBlock = b }(simulateBlock)
		simulateBlock = block
		o := &simulateOptions{Batch: 100, Steps: 5, Seed: 9, Model: "sorscher", BoxWidth: 2.2, BoxHeight: 2.2, Dt: 0.02, Out: filepath.Join(dir, name)}
		if err := runSimulate(context.Background(), o, nil, io.Discard); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(o.Out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(write("blocks.npz", 32), write("whole.npz", 1<<20)) {
		t.Error("blocks of 32 trajectories give a different file than one draw of 100")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := &simulateOptions{Batch: 100, Steps: 5, Seed: 9, Model: "sorscher", BoxWidth: 2.2, BoxHeight: 2.2, Dt: 0.02, Out: filepath.Join(dir, "cancelled.npz")}
	if err := runSimulate(ctx, o, nil, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v; want context.Canceled", err)
	}
	if _, err := os.Stat(o.Out); !os.IsNotExist(err) {
		t.Errorf("cancelled run left %s (Stat: %v)", o.Out, err)
	}
}

// --config takes a run's motion (here a 1 m RatInABox box with a slower walk): the file
// equals one drawn from sim.FromConfig of that section; a flag given beside it wins.
func TestSimulateConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Trajectory.MotionModel = "ratinabox"
	cfg.Trajectory.BoxWidth, cfg.Trajectory.BoxHeight = 1, 1
	cfg.Trajectory.RIABSpeedMean = 0.05
	conf := writeConfigFile(t, filepath.Join(dir, "config.json"), cfg)
	read := func(args ...string) []float32 {
		t.Helper()
		out := filepath.Join(dir, "t.npz")
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"simulate", "--out", out, "--batch", "4", "--steps", "30", "--seed", "5"}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		m, err := npyio.ReadNPZ(out)
		if err != nil {
			t.Fatal(err)
		}
		return m["positions"].F32
	}
	got := read("--config", conf)
	p, err := sim.FromConfig(cfg.Trajectory)
	if err != nil {
		t.Fatal(err)
	}
	g, err := sim.NewSeed(p, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 4*31*2)
	if err := simulateInto(context.Background(), g, want, make([]float32, 4*30*2), make([]float32, 4*30), 4, 30, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Error("--config run/config.json: trajectories differ from sim.FromConfig's")
	}
	for _, v := range got {
		if math.Abs(float64(v)) > 0.5 {
			t.Fatalf("position %v outside the config's 1 m box", v)
		}
	}
	// --box-width beside --config overrides it.
	wide := read("--config", conf, "--box-width", "3")
	if slices.Equal(wide, got) {
		t.Error("--box-width 3 beside --config changed nothing")
	}
}

// --png draws the trajectories and their occupancy; --gif animates them, a frame per step
// up to 50 frames spread over the steps, the last one held.
func TestSimulateFigures(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ steps, frames int }{{9, 10}, {120, 50}} {
		png, anim := filepath.Join(dir, "traj.png"), filepath.Join(dir, "traj.gif")
		var stdout, stderr bytes.Buffer
		args := []string{"simulate", "--batch", "6", "--steps", strconv.Itoa(c.steps), "--out", filepath.Join(dir, "traj.npz"), "--png", png, "--gif", anim}
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		img := decodeFile(t, png, stdpng.Decode)
		g := decodeFile(t, anim, gif.DecodeAll)
		if len(g.Image) != c.frames || g.Delay[0] != 10 || g.Delay[len(g.Delay)-1] != 200 {
			t.Errorf("%d steps: %d frames, delays %d … %d; want %d, 10 … 200", c.steps, len(g.Image), g.Delay[0], g.Delay[len(g.Delay)-1], c.frames)
		}
		if g.Image[0].Bounds() != img.Bounds() {
			t.Errorf("%d steps: GIF frames %v, PNG %v; want one size", c.steps, g.Image[0].Bounds(), img.Bounds())
		}
	}
}

// decodeFile decodes the file at path with decode.
func decodeFile[T any](t *testing.T, path string, decode func(io.Reader) (T, error)) T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
