package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/npyio"
)

// runEncodeArgs parses args as "gridcells encode" does and runs it, returning stdout.
func runEncodeArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	fs := flag.NewFlagSet("encode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o encodeOptions
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	var out bytes.Buffer
	err := runEncode(context.Background(), &o, fs.Args(), &out, io.Discard)
	return out.String(), err
}

func writePositions(t *testing.T, path string, a *npyio.Array) {
	t.Helper()
	if err := npyio.WriteFile(path, a); err != nil {
		t.Fatal(err)
	}
}

func TestEncodeCommand(t *testing.T) {
	dir := t.TempDir()
	posPath := filepath.Join(dir, "pos.npy")
	// 2 trajectories × 3 steps × 2, float64 as numpy writes by default.
	pos := []float64{0, 0, 0.5, -0.5, 1, 1, -1, 0.2, 0.3, 0.3, -0.7, -0.9}
	writePositions(t, posPath, npyio.NewFloat64(pos, 2, 3, 2))
	out := filepath.Join(dir, "enc")
	stdout, err := runEncodeArgs(t, "--positions", posPath, "--out", out, "--np", "64", "--sigma", "0.3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "codes.npy (2×3×64)") || !strings.Contains(stdout, "centres.npy (64×1×2)") {
		t.Fatalf("summary %q", stdout)
	}
	codes, err := npyio.ReadFile(filepath.Join(out, "codes.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if codes.Dtype != "<f4" || len(codes.Shape) != 3 || codes.Shape[0] != 2 || codes.Shape[1] != 3 || codes.Shape[2] != 64 {
		t.Fatalf("codes: dtype %s shape %v", codes.Dtype, codes.Shape)
	}
	// nfl2022's code is DoS with global normalisation: each row is a distribution.
	for r := 0; r < 6; r++ {
		s := 0.0
		for _, v := range codes.F32[r*64 : (r+1)*64] {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Fatalf("row %d sums to %g", r, s)
		}
	}
	centres, err := npyio.ReadFile(filepath.Join(out, "centres.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(centres.Shape) != 3 || centres.Shape[0] != 64 || centres.Shape[1] != 1 || centres.Shape[2] != 2 {
		t.Fatalf("centres shape %v", centres.Shape)
	}
	for _, v := range centres.F32 {
		if math.Abs(float64(v)) > 1.1 {
			t.Fatalf("centre coordinate %g outside the 2.2 m box", v)
		}
	}
	// Same seed, same centres; another seed, other centres.
	out2 := filepath.Join(dir, "enc2")
	if _, err := runEncodeArgs(t, "--positions", posPath, "--out", out2, "--np", "64", "--sigma", "0.3", "--set", "seed=7"); err != nil {
		t.Fatal(err)
	}
	c2, _ := npyio.ReadFile(filepath.Join(out2, "centres.npy"))
	if c2.F32[0] == centres.F32[0] && c2.F32[1] == centres.F32[1] {
		t.Fatal("seed 7 gives the same first centre as the preset's seed")
	}

	// Positions from an .npz, as gridcells simulate writes them (default key "positions").
	npz := filepath.Join(dir, "traj.npz")
	if err := npyio.WriteNPZ(npz, []string{"positions", "other"}, []*npyio.Array{
		npyio.NewFloat64(pos, 2, 3, 2), npyio.NewFloat64(pos[:6], 3, 2)}); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{npz, npz + ":other"} {
		out4 := filepath.Join(dir, "enc4")
		stdout, err := runEncodeArgs(t, "--positions", arg, "--out", out4, "--np", "64", "--sigma", "0.3")
		if err != nil {
			t.Fatal(err)
		}
		c4, _ := npyio.ReadFile(filepath.Join(out4, "codes.npy"))
		if c4.F32[5] != codes.F32[5] || !strings.Contains(stdout, "codes.npy") {
			t.Fatalf("%s: codes differ from the .npy input's", arg)
		}
	}

	// A non-place code writes no centres (--kind cartesian implies --np 2).
	out3 := filepath.Join(dir, "enc3")
	if _, err := runEncodeArgs(t, "--positions", posPath, "--out", out3, "--kind", "cartesian", "--set", "normalization=none"); err != nil {
		t.Fatal(err)
	}
	cart, _ := npyio.ReadFile(filepath.Join(out3, "codes.npy"))
	if cart.F32[2] != 0.5 || cart.F32[3] != -0.5 {
		t.Fatalf("cartesian codes %v", cart.F32[:4])
	}
	if _, err := os.Stat(filepath.Join(out3, "centres.npy")); !os.IsNotExist(err) {
		t.Fatal("centres.npy written for a Cartesian code")
	}
	// Into the directory of the place code: its centres.npy goes, as they belong to no code there.
	stdout, err = runEncodeArgs(t, "--positions", posPath, "--out", out, "--kind", "cartesian", "--np", "2", "--set", "normalization=none")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "centres.npy")); !os.IsNotExist(err) || !strings.Contains(stdout, "removed the centres.npy") {
		t.Errorf("centres.npy of the earlier DoS code left beside Cartesian codes (stat %v); stdout %q", err, stdout)
	}
}

func TestEncodeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "pos.npy")
	writePositions(t, good, npyio.NewFloat32([]float32{0, 0, 0.1, 0.2}, 2, 2))
	wrongShape := filepath.Join(dir, "pos3.npy")
	writePositions(t, wrongShape, npyio.NewFloat32([]float32{0, 0, 0}, 1, 3))
	ints := filepath.Join(dir, "posint.npy")
	writePositions(t, ints, npyio.NewInt64([]int64{0, 0}, 1, 2))
	nan := filepath.Join(dir, "posnan.npy")
	writePositions(t, nan, npyio.NewFloat32([]float32{0, float32(math.NaN())}, 1, 2))
	garbage := filepath.Join(dir, "garbage.npy")
	if err := os.WriteFile(garbage, []byte("not an npy file"), 0o644); err != nil {
		t.Fatal(err)
	}
	npzNoKey := filepath.Join(dir, "t.npz")
	if err := npyio.WriteNPZ(npzNoKey, []string{"positions"}, []*npyio.Array{npyio.NewFloat32([]float32{0, 0}, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--out", out}, "--positions is required"},
		{[]string{"--positions", good}, "--out is required"},
		{[]string{"--positions", filepath.Join(dir, "missing.npy"), "--out", out}, "missing.npy"},
		{[]string{"--positions", garbage, "--out", out}, "garbage.npy"},
		{[]string{"--positions", wrongShape, "--out", out}, "want (..., 2)"},
		{[]string{"--positions", ints, "--out", out}, "dtype"},
		{[]string{"--positions", nan, "--out", out}, "finite"},
		{[]string{"--positions", good, "--out", out, "--sigma", "-0.1"}, "place_cell_rf"},
		{[]string{"--positions", good, "--out", out, "--np", "2"}, "encoding.np"},
		{[]string{"--positions", good, "--out", out, "--surround", "1"}, "surround_scale"},
		{[]string{"--positions", good, "--out", out, "--kind", "dog"}, "encoding.kind"},
		{[]string{"--positions", good, "--out", out, "--set", "box_width=0"}, "box_width"},
		{[]string{"--positions", good, "--out", out, "--set", "place_cell_rf=Uniform( 0.1"}, "place_cell_rf"},
		{[]string{"--positions", good, "--out", out, "extra"}, "unexpected arguments"},
		{[]string{"--positions", npzNoKey + ":pos", "--out", out}, `no array "pos"`},
	}
	for _, tc := range cases {
		stdout, err := runEncodeArgs(t, tc.args...)
		if !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: got %v; want a UsageError containing %q", tc.args, err, tc.msg)
		}
		if stdout != "" {
			t.Errorf("%v: printed %q despite the error", tc.args, stdout)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%v: output directory created despite the error", tc.args)
		}
	}
	// Through the command framework: exit status 2.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"encode", "--positions", good, "--out", out, "--sigma", "-1"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// More positions than one block: the file written block by block holds what encoding all
// positions at once gives, and the summary's decoding error is their mean. Ctrl-C stops the
// encoding and leaves no codes.npy.
func TestEncodeInBlocks(t *testing.T) {
	dir := t.TempDir()
	posPath := filepath.Join(dir, "pos.npy")
	n := 2*encodeBlock + 37
	rng := rand.New(rand.NewPCG(4, 4))
	pos := make([]float32, 2*n)
	for i := range pos {
		pos[i] = float32(2.2*rng.Float64() - 1.1)
	}
	writePositions(t, posPath, npyio.NewFloat32(pos, n, 2))
	out := filepath.Join(dir, "enc")
	stdout, err := runEncodeArgs(t, "--positions", posPath, "--out", out, "--np", "8", "--kind", "gaussian", "--sigma", "0.3")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := npyio.ReadFile(filepath.Join(out, "codes.npy"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Preset(config.PresetNFL2022) // encode's default preset
	if err != nil {
		t.Fatal(err)
	}
	if err := config.ApplySets(&cfg, []string{"encoding.kind=gaussian", "encoding.np=8", "encoding.place_cell_rf=0.3"}); err != nil {
		t.Fatal(err)
	}
	code, err := encode.ForRun(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := code.Encode(nil, pos)
	if !slices.Equal(codes.F32, want) {
		t.Fatal("codes written in blocks differ from the codes of all positions at once")
	}
	if s := fmt.Sprintf("decoding error of these codes %.2f cm", code.DecodingError(want, pos)); !strings.Contains(stdout, s) {
		t.Errorf("summary %q; want %q", stdout, s)
	}

	var o encodeOptions
	fs := flag.NewFlagSet("encode", flag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"--positions", posPath, "--out", filepath.Join(dir, "stopped"), "--np", "8"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := runEncode(ctx, &o, nil, io.Discard, io.Discard); err != context.Canceled {
		t.Errorf("encode with Ctrl-C: %v; want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stopped", "codes.npy")); err == nil {
		t.Error("encode with Ctrl-C left codes.npy")
	}
}

// No positions: empty codes and a decoding error of 0, as encode's DecodingError gives.
func TestEncodeNoPositions(t *testing.T) {
	dir := t.TempDir()
	posPath := filepath.Join(dir, "pos0.npy")
	writePositions(t, posPath, npyio.NewFloat32(nil, 0, 2))
	stdout, err := runEncodeArgs(t, "--positions", posPath, "--out", filepath.Join(dir, "e"), "--np", "64")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "codes.npy (0×64)") || !strings.Contains(stdout, "decoding error of these codes none: no positions") {
		t.Errorf("summary %q", stdout)
	}
}
