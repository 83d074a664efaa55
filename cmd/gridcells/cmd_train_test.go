package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/train"
)

// tinyRun are --set overrides for a run of a few seconds on 2 cores, checkpointing often.
var tinyRun = []string{
	"--set", "model.ng=32", "--set", "encoding.np=48", "--set", "trajectory.batch_size=16",
	"--set", "trajectory.sequence_length=10", "--set", "training.n_epochs=1",
	"--set", "training.n_grad_steps_per_epoch=1500", "--set", "training.eval_every=100",
	"--set", "training.checkpoint_every=50", "--set", "model.recurrent_dropout=0.1",
	"--set", "eval.nbins=20", "--set", "eval.sequence_length=10", "--set", "seed=3",
}

func TestTrainCommandUsage(t *testing.T) {
	dir := t.TempDir()
	var out, errw bytes.Buffer
	for _, args := range [][]string{
		{"train"},                                   // no --out
		{"train", "--out", dir, "--set", "ng=0"},    // invalid config
		{"train", "--resume", dir, "--set", "ng=8"}, // --resume with overrides
		{"train", "--resume", filepath.Join(dir, "none")},
		{"bench", "nothing"},
		{"bench", "train", "--cell", "CNN"},
	} {
		out.Reset()
		errw.Reset()
		if code := run(args, &out, &errw); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errw.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused command wrote %d entries", len(entries))
	}
	// A file is not a directory: a usage error, not "open …: not a directory" from deep inside.
	file := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	errw.Reset()
	if code := run([]string{"train", "--out", file}, &out, &errw); code != 2 || !strings.Contains(errw.String(), "is not a directory") {
		t.Errorf("train --out a file: exit %d, %q", code, errw.String())
	}
	// A sweep directory is not a run's: its files would mix.
	sw := t.TempDir()
	os.WriteFile(filepath.Join(sw, "manifest.jsonl"), nil, 0o644)
	errw.Reset()
	if code := run([]string{"train", "--out", sw}, &out, &errw); code != 2 || !strings.Contains(errw.String(), "sweep directory") {
		t.Errorf("train --out a sweep directory: exit %d, %q", code, errw.String())
	}
	if entries, _ := os.ReadDir(sw); len(entries) != 1 {
		t.Errorf("train --out a sweep directory wrote %d entries", len(entries)-1)
	}
	// Nor is a directory of someone else's files (a mistyped --out).
	other := t.TempDir()
	for _, n := range []string{"notes.txt", "metrics.jsonl", "zz.csv", "data.npy"} {
		os.WriteFile(filepath.Join(other, n), []byte("mine"), 0o644)
	}
	errw.Reset()
	code := run([]string{"train", "--out", other}, &out, &errw)
	if want := "holds files that are not a run's (data.npy, notes.txt, zz.csv)"; code != 2 || !strings.Contains(errw.String(), want) {
		t.Errorf("train --out a directory of other files: exit %d, %q, want %q", code, errw.String(), want)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 4 {
		t.Errorf("train --out a directory of other files left %d entries, want its 4", len(entries))
	}
	if b, _ := os.ReadFile(filepath.Join(other, "metrics.jsonl")); string(b) != "mine" {
		t.Errorf("train --out a directory of other files changed its metrics.jsonl: %q", b)
	}
	// The run's own config file, hidden files and logs made before the command (a shell
	// redirect) are no reason to refuse.
	mine := t.TempDir()
	cfgFile := filepath.Join(mine, "my.yaml")
	os.WriteFile(cfgFile, []byte("model:\n  ng: 16\nencoding:\n  np: 16\ntraining:\n  n_epochs: 1\n  n_grad_steps_per_epoch: 10\n"+
		"trajectory:\n  batch_size: 4\n  sequence_length: 5\neval:\n  nbins: 8\n  sequence_length: 5\n"), 0o644)
	for _, n := range []string{".DS_Store", "nohup.out", "train.log"} {
		os.WriteFile(filepath.Join(mine, n), nil, 0o644)
	}
	errw.Reset()
	if code := run([]string{"train", "--config", cfgFile, "--out", mine, "--quiet"}, &out, &errw); code != 0 {
		t.Errorf("train --out the directory of its own config file: exit %d, %q", code, errw.String())
	}
}

// TestTrainKillResume builds the binary, interrupts a run twice — SIGINT (checkpoint, exit
// 130) and SIGKILL after a later checkpoint — resumes it to the end, and compares the final
// weights with those of an uninterrupted run: they must be bit-identical.
func TestTrainKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains three times; skipped with -short")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "gridcells")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ref, dir := filepath.Join(tmp, "ref"), filepath.Join(tmp, "run")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"train", "--quiet", "--out", ref}, tinyRun...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	// startThenStop starts args and sends sig once the latest checkpoint is past step after.
	startThenStop := func(args []string, sig syscall.Signal, after int64) (int, int64, string) {
		t.Helper()
		var errw bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stderr = &errw
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		latest := filepath.Join(dir, "checkpoint", "latest.npz")
		for {
			if m, err := npyio.ReadNPZ(latest); err == nil && m["state.step"].I64[0] > after {
				break
			}
			if ctx.Err() != nil {
				t.Fatal("no checkpoint appeared")
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run stopped by %v: %v, want an exit error (stderr %q)", sig, err, errw.String())
		}
		m, err := npyio.ReadNPZ(latest)
		if err != nil {
			t.Fatal(err)
		}
		return ee.ExitCode(), m["state.step"].I64[0], errw.String()
	}
	code, step, stderr := startThenStop(append([]string{"train", "--quiet", "--out", dir}, tinyRun...), syscall.SIGINT, 0)
	if code != 130 {
		t.Errorf("SIGINT: exit status %d, want 130", code)
	}
	if want := "resume with: gridcells train --resume " + dir; !strings.Contains(stderr, want) {
		t.Errorf("SIGINT: stderr %q lacks %q", stderr, want)
	}
	if step%50 == 0 {
		t.Logf("SIGINT landed on a checkpoint step (%d)", step)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint", "final.npz")); err == nil {
		t.Fatal("the run finished before it could be interrupted; make tinyRun longer")
	}
	code, step2, _ := startThenStop([]string{"train", "--quiet", "--resume", dir}, syscall.SIGKILL, step)
	if code != -1 {
		t.Errorf("SIGKILL: exit code %d, want -1 (killed)", code)
	}
	if step2 <= step {
		t.Fatalf("resumed run did not checkpoint past step %d", step)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint", "final.npz")); err == nil {
		t.Fatal("the run finished before it could be killed; make tinyRun longer")
	}
	cmd = exec.CommandContext(ctx, bin, "train", "--quiet", "--resume", dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("final resume: %v\n%s", err, b)
	}

	wa, err := npyio.ReadNPZ(filepath.Join(ref, "checkpoint", "final.npz"))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := npyio.ReadNPZ(filepath.Join(dir, "checkpoint", "final.npz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"W_enc", "W_in", "W_rec", "W_dec"} {
		if wa[k] == nil || wb[k] == nil || !slices.Equal(wa[k].F32, wb[k].F32) {
			t.Errorf("final %s differs between the uninterrupted and the killed-and-resumed run", k)
		}
	}
	// One metrics line per evaluation, none repeated by the resumes.
	data, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i, l := range lines {
		var m struct{ Step int }
		if err := json.Unmarshal([]byte(l), &m); err != nil || m.Step != 100*(i+1) {
			t.Fatalf("metrics line %d = %s, want step %d", i, l, 100*(i+1))
		}
	}
	if len(lines) != 15 {
		t.Errorf("%d metrics lines, want 15", len(lines))
	}
	// A finished run is never overwritten.
	cmd = exec.CommandContext(ctx, bin, append([]string{"train", "--quiet", "--out", dir}, tinyRun...)...)
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 2 {
		t.Errorf("train over a finished run: %v, want exit status 2", err)
	}
}

// Into a log file, progress comes at each evaluation and at least once a logInterval, so a
// run with evaluations hours apart does not look hung; on a terminal about once a second.
func TestTrainProgressIntoLog(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	p := &trainProgress{w: &b, clock: func() time.Time { return now }}
	step := func(i int, eval bool, after time.Duration) {
		now = now.Add(after)
		s := train.Status{Step: i, Total: 100, Loss: 1, StepsPerSecond: 1}
		if eval {
			s.Eval = &train.EvalPoint{Loss: 1, DecodingErrorCM: 5}
		}
		p.Step(s)
	}
	step(1, false, 0)              // the first step: printed (the run has started)
	step(2, false, 10*time.Second) // too soon
	step(3, true, time.Second)     // an evaluation: printed
	step(4, false, 50*time.Second) // 51 s after the last line: not yet
	step(5, false, 20*time.Second) // 71 s: printed
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var steps []string
	for _, l := range lines {
		steps = append(steps, strings.Fields(l)[1])
	}
	if want := []string{"1/100", "3/100", "5/100"}; !slices.Equal(steps, want) {
		t.Errorf("lines for steps %v; want %v:\n%s", steps, want, b.String())
	}
}

// A full disk's error says how to go on; others are left as they are.
func TestFullDiskHint(t *testing.T) {
	run := t.TempDir()
	full := &os.PathError{Op: "write", Path: "run/config.json.tmp-1", Err: syscall.ENOSPC}
	// Before config.json: nothing to resume, the same command starts the run again.
	err := fullDisk(fmt.Errorf("train: %w", full), run)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "free space, then run the same command again") {
		t.Errorf("full disk before config.json: %v", err)
	}
	if err := os.WriteFile(filepath.Join(run, "config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = fullDisk(fmt.Errorf("checkpoint: %w", full), run)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "free space, then continue with: gridcells train --resume "+run) {
		t.Errorf("full disk: %v", err)
	}
	other := errors.New("boom")
	if got := fullDisk(other, "run"); got != other {
		t.Errorf("other error: %v; want it unchanged", got)
	}
}

// A resume of a run whose process was killed while moving its committed final evaluation
// into place finishes the move and exits 0: the run is complete. It used to finish the
// move, then refuse the now finished run with exit 2, failing a cluster task's retry;
// "gridcells lanes --run" failed the same way.
func TestResumeFinishesCommittedEvaluation(t *testing.T) {
	// committed trains a run, then leaves it as a kill between the commit plan and its last
	// move does.
	committed := func(name string) string {
		dir := filepath.Join(t.TempDir(), name)
		var out, errw bytes.Buffer
		if code := run(append([]string{"train", "--quiet", "--out", dir}, tinyRun...), &out, &errw); code != 0 {
			t.Fatalf("train: exit %d: %s", code, errw.String())
		}
		staging := filepath.Join(dir, ".evaluating")
		if err := os.Mkdir(staging, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "summary.json"), filepath.Join(staging, "summary.json")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(staging, "commit.json"), []byte(`{"move":["summary.json"],"remove":[]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, args := range [][]string{{"train", "--quiet", "--resume"}, {"lanes", "--run"}} {
		dir := committed(args[0])
		var out, errw bytes.Buffer
		if code := run(append(args, dir), &out, &errw); code != 0 {
			t.Errorf("%q: exit %d, %q; want 0", args, code, errw.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "summary.json")); err != nil {
			t.Errorf("%q: summary.json not in place: %v", args, err)
		}
		// Resuming it again is the usual refusal of a finished run.
		if args[0] == "train" {
			if code := run(append(args, dir), &out, &errw); code != 2 {
				t.Errorf("second resume: exit %d, want 2", code)
			}
		}
	}
}
