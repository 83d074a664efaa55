package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/flock"
)

// The test binary doubles as a fake "gridcells train" when $SWEEP_FAKE_TRAIN is set: it
// records its invocation, writes config.json and a summary.json whose decoding error is
// 3·seed cm, and fails for the seed in $SWEEP_FAKE_FAIL_SEED.
func TestMain(m *testing.M) {
	if os.Getenv("SWEEP_FAKE_TRAIN") != "" {
		os.Exit(fakeTrain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeTrain(args []string) int {
	if len(args) > 0 && args[0] == "lanes" {
		// "lanes --run DIR[=CONFIG] ...": each lane as its own fake train; the exit status
		// is the worst lane's.
		var lanes []string
		for i := 1; i+1 < len(args); i += 2 {
			if args[i] != "--run" {
				fmt.Fprintln(os.Stderr, "fake lanes: bad arguments", args)
				return 2
			}
			lanes = append(lanes, args[i+1])
		}
		code := 0
		for _, l := range lanes {
			dir, cfgPath, _ := strings.Cut(l, "=")
			code = max(code, fakeRun(dir, cfgPath, cfgPath == "", fmt.Sprintf("lanes=%d", len(lanes))))
		}
		return code
	}
	var dir, cfgPath string
	resume := false
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--out":
			dir = args[i+1]
		case "--config":
			cfgPath = args[i+1]
		case "--resume":
			dir, resume = args[i+1], true
		}
	}
	if args[0] != "train" || dir == "" {
		fmt.Fprintln(os.Stderr, "fake train: bad arguments", args)
		return 2
	}
	return fakeRun(dir, cfgPath, resume, "")
}

// fakeRun is one fake training of the run in dir; how (e.g. "lanes=2") is recorded with
// the invocation.
func fakeRun(dir, cfgPath string, resume bool, how string) int {
	f, _ := os.OpenFile(filepath.Join(dir, "invocations"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintf(f, "resume=%v\n", resume)
	if how != "" {
		fmt.Fprintln(f, how)
	}
	f.Close()
	os.WriteFile(filepath.Join(dir, "gomaxprocs"), []byte(os.Getenv("GOMAXPROCS")), 0o644)
	if !resume {
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.WriteFile(filepath.Join(dir, runInfoFile), []byte(`{"config":`+string(b)+`}`), 0o644); err != nil {
			return 1
		}
	}
	var info struct{ Config json.RawMessage }
	b, _ := os.ReadFile(filepath.Join(dir, runInfoFile))
	if err := json.Unmarshal(b, &info); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg, err := config.Parse(info.Config, "config.json", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if s := os.Getenv("SWEEP_FAKE_FAIL_SEED"); s != "" && s == strconv.FormatUint(cfg.Seed, 10) {
		// As gridcells prints a command's error: progress first, then the message.
		fmt.Fprintln(os.Stderr, "step 10/20\ngridcells train: diverged on purpose:\n  loss NaN")
		return 3
	}
	sum := fmt.Sprintf(`{"steps": 20, "decoding_error_cm": %d, "max_score60": 0.5, "frac_units_score60_above": {"0.3": 0.5, "0.8": 0, "1.2": 0}, "has_possible_grid_cells": false}`, 3*cfg.Seed)
	if err := os.WriteFile(filepath.Join(dir, summaryFile), []byte(sum), 0o644); err != nil {
		return 1
	}
	return 0
}

// newSweepDir expands text into a fresh sweep directory.
func newSweepDir(t *testing.T, text string) (string, []Run) {
	t.Helper()
	sw, err := Parse([]byte(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := sw.Expand(&ExpandSettings{Preset: config.PresetQuick})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Create(dir, []byte(text), runs, false); err != nil {
		t.Fatal(err)
	}
	return dir, runs
}

func invocations(t *testing.T, dir, id string) []string {
	b, err := os.ReadFile(filepath.Join(RunDir(dir, id), "invocations"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// recorder is a Progress for tests; the pool calls it from several goroutines.
type recorder struct {
	mu            sync.Mutex
	started, done []string
}

func (r *recorder) Started(run Run, resumed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, run.ID)
}

func (r *recorder) Done(o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = append(r.done, o.Result)
}

// The pool skips finished runs, resumes interrupted ones, records a failure without
// stopping the others, and retries failed runs on the next pass.
func TestPoolSkipsResumesAndRecordsFailures(t *testing.T) {
	t.Setenv("SWEEP_FAKE_TRAIN", "1")
	t.Setenv("SWEEP_FAKE_FAIL_SEED", "2")
	dir, runs := newSweepDir(t, "method: grid\nparameters:\n  seed: {values: [0, 1, 2, 3]}\n")
	// Row 0 finished before; row 1 was interrupted (config.json, no summary).
	for i, files := range map[int][]string{0: {summaryFile}, 1: {}} {
		rd := RunDir(dir, runs[i].ID)
		if err := os.MkdirAll(rd, 0o755); err != nil {
			t.Fatal(err)
		}
		cj, _ := runs[i].Config.JSON()
		os.WriteFile(filepath.Join(rd, runInfoFile), []byte(`{"config":`+string(cj)+`}`), 0o644)
		for _, f := range files {
			os.WriteFile(filepath.Join(rd, f), []byte(`{"decoding_error_cm": 1}`), 0o644)
		}
	}
	rec := &recorder{}
	w := &Worker{Dir: dir, Program: os.Args[0], Progress: rec}
	outs := w.RunAll(context.Background(), runs, 2)
	want := []string{ResultSkipped, ResultFinished, ResultFailed, ResultFinished}
	for i, o := range outs {
		if o.Result != want[i] {
			t.Errorf("row %d: %s (%v), want %s", i, o.Result, o.Err, want[i])
		}
	}
	if !outs[1].Resumed || outs[3].Resumed {
		t.Errorf("resumed flags: row 1 %v, row 3 %v", outs[1].Resumed, outs[3].Resumed)
	}
	if got := invocations(t, dir, runs[0].ID); got != nil {
		t.Errorf("finished row 0 was run again: %v", got)
	}
	if got := invocations(t, dir, runs[1].ID); len(got) != 1 || got[0] != "resume=true" {
		t.Errorf("row 1 invocations %v, want one resume", got)
	}
	if len(rec.started) != 3 || len(rec.done) != 3 {
		t.Errorf("progress: %d started, %d done, want 3 and 3", len(rec.started), len(rec.done))
	}
	var f failure
	b, err := os.ReadFile(filepath.Join(RunDir(dir, runs[2].ID), errorFile))
	if err != nil || json.Unmarshal(b, &f) != nil || f.ExitCode != 3 || !strings.Contains(f.LogTail, "diverged on purpose") {
		t.Errorf("error.json of the failed run: %+v (%v)", f, err)
	}
	// The error says why, not only "exit status 3".
	if want := "exit status 3: gridcells train: diverged on purpose:; loss NaN"; f.Error != want {
		t.Errorf("error.json error %q, want %q", f.Error, want)
	}
	if st := State(RunDir(dir, runs[2].ID)); st != StatusFailed {
		t.Errorf("state of the failed run: %s", st)
	}

	// Second pass: everything finished is skipped; the failed run is retried and now passes.
	t.Setenv("SWEEP_FAKE_FAIL_SEED", "")
	outs = w.RunAll(context.Background(), runs, 2)
	want = []string{ResultSkipped, ResultSkipped, ResultFinished, ResultSkipped}
	for i, o := range outs {
		if o.Result != want[i] {
			t.Errorf("second pass row %d: %s, want %s", i, o.Result, want[i])
		}
	}
	if got := invocations(t, dir, runs[3].ID); len(got) != 1 {
		t.Errorf("row 3 ran %d times, want 1", len(got))
	}
	if exists(filepath.Join(RunDir(dir, runs[2].ID), errorFile)) {
		t.Error("error.json kept after the run finished")
	}
	results, err := Collect(context.Background(), dir, runs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Status != StatusFinished {
			t.Errorf("run %d: %s", r.Run.Index, r.Status)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	for log, want := range map[string]string{
		"step 1\ngridcells train: no CUDA driver: libcuda.so.1\n":    "gridcells train: no CUDA driver: libcuda.so.1",
		"gridcells train: first\nstep 2\ngridcells train: x:\n  y\n": "gridcells train: x:; y",
		"step 1\nsignal: killed\n":                                   "",
		"":                                                           "",
		"gridcells train: " + strings.Repeat("é", 400):               "gridcells train: " + strings.Repeat("é", (maxErrorMessage-18)/2) + "…",
	} {
		if got := errorMessage(log); got != want {
			t.Errorf("errorMessage(%.40q…) = %.60q…, want %.60q…", log, got, want)
		}
	}
}

// A run whose lock another worker holds is left to it; once free, it runs with the
// worker's GOMAXPROCS.
func TestBusyRunIsLeftAlone(t *testing.T) {
	t.Setenv("SWEEP_FAKE_TRAIN", "1")
	dir, runs := newSweepDir(t, "method: grid\nparameters:\n  seed: {values: [5]}\n")
	rd := RunDir(dir, runs[0].ID)
	os.MkdirAll(rd, 0o755)
	l, err := flock.TryLock(filepath.Join(rd, lockFile))
	if err != nil {
		t.Fatal(err)
	}
	w := &Worker{Dir: dir, Program: os.Args[0]}
	if o := w.RunOne(context.Background(), runs[0]); o.Result != ResultBusy {
		t.Fatalf("locked run: %s, want busy", o.Result)
	}
	if st := State(rd); st != StatusRunning {
		t.Errorf("state of a locked run: %s", st)
	}
	l.Unlock()
	// A train process outside the sweep (its own lock, package train's) makes it busy too,
	// not failed.
	tl, err := flock.TryLock(filepath.Join(rd, TrainLockFile))
	if err != nil {
		t.Fatal(err)
	}
	if o := w.RunOne(context.Background(), runs[0]); o.Result != ResultBusy || exists(filepath.Join(rd, errorFile)) {
		t.Fatalf("run trained by another process: %s (%v), want busy and no error.json", o.Result, o.Err)
	}
	tl.Unlock()
	w.Threads = 3
	if o := w.RunOne(context.Background(), runs[0]); o.Result != ResultFinished {
		t.Fatalf("after unlock: %s (%v)", o.Result, o.Err)
	}
	// The train process gets the worker's share of the cores.
	if b, _ := os.ReadFile(filepath.Join(rd, "gomaxprocs")); string(b) != "3" {
		t.Errorf("GOMAXPROCS of the train process %q, want 3", b)
	}
}

// The manifest round-trips, and a row whose config no longer matches its id is refused.
func TestManifestRoundTrip(t *testing.T) {
	runs, _ := expandFile(t, "testdata/pc_ce_dog_multiple_fields_and_scales.yaml", nil)
	var buf bytes.Buffer
	if err := WriteManifest(&buf, runs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadManifest(context.Background(), bytes.NewReader(buf.Bytes()), "m.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(runs) {
		t.Fatalf("%d rows back, want %d", len(back), len(runs))
	}
	for i := range runs {
		if back[i].ID != runs[i].ID || back[i].Params.String() != runs[i].Params.String() {
			t.Fatalf("row %d: %s %s, want %s %s", i, back[i].ID, back[i].Params, runs[i].ID, runs[i].Params)
		}
	}
	tampered := strings.Replace(buf.String(), `"seed":0`, `"seed":7`, 1)
	if _, err := ReadManifest(context.Background(), strings.NewReader(tampered), "m.jsonl"); err == nil || !strings.Contains(err.Error(), "m.jsonl:1") {
		t.Errorf("tampered manifest: %v", err)
	}
	// Creating the same manifest twice is allowed; a different one is refused.
	dir := t.TempDir()
	if err := Create(dir, nil, runs, false); err != nil {
		t.Fatal(err)
	}
	if err := Create(dir, nil, runs, false); err != nil {
		t.Errorf("same manifest again: %v", err)
	}
	if err := Create(dir, nil, runs[:3], false); err == nil {
		t.Error("a different manifest replaced the old one")
	}
}

func TestTaskIndex(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		want    int
		ok, bad bool
	}{
		{env: map[string]string{}, ok: false},
		{env: map[string]string{EnvSLURMTask: "4"}, want: 4, ok: true},
		{env: map[string]string{EnvSLURMTask: "4", EnvIndexOffset: "1001"}, want: 1005, ok: true},
		{env: map[string]string{EnvK8sIndex: "7"}, want: 7, ok: true},
		{env: map[string]string{EnvSLURMTask: "2", EnvK8sIndex: "7"}, want: 2, ok: true}, // SLURM first
		{env: map[string]string{EnvSLURMTask: "x"}, ok: true, bad: true},
		{env: map[string]string{EnvK8sIndex: "3", EnvIndexOffset: "-1"}, ok: true, bad: true},
	} {
		got, from, ok, err := TaskIndex(func(k string) string { return tc.env[k] })
		if ok != tc.ok || (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("env %v: index %d from %q ok %v err %v; want %d ok %v bad %v", tc.env, got, from, ok, err, tc.want, tc.ok, tc.bad)
		}
	}
}

// With Lanes, the pool trains consecutive non-CPU runs together in one "lanes" process, a
// failed lane fails only its own run, and CPU runs go one per process.
func TestPoolLanes(t *testing.T) {
	t.Setenv("SWEEP_FAKE_TRAIN", "1")
	t.Setenv("SWEEP_FAKE_FAIL_SEED", "2")
	dir, runs := newSweepDir(t, "method: grid\nparameters:\n  seed: {values: [0, 1, 2, 3, 4]}\n")
	// Row 4 trains on the CPU: it must not join a lane group.
	runs[4].Config.Training.Device = "cpu"
	w := &Worker{Dir: dir, Program: os.Args[0], Lanes: 2}
	if got := fmt.Sprint(w.groups(runs)); got != "[[0 1] [2 3] [4]]" {
		t.Fatalf("groups %s; want [[0 1] [2 3] [4]]", got)
	}
	outs := w.RunAll(context.Background(), runs, 1)
	want := []string{ResultFinished, ResultFinished, ResultFailed, ResultFinished, ResultFinished}
	for i, o := range outs {
		if o.Result != want[i] {
			t.Errorf("row %d: %s (%v); want %s", i, o.Result, o.Err, want[i])
		}
	}
	for i, wantHow := range []string{"lanes=2", "lanes=2", "lanes=2", "lanes=2", ""} {
		inv := strings.Join(invocations(t, dir, runs[i].ID), " ")
		if wantHow != "" && !strings.Contains(inv, wantHow) || wantHow == "" && strings.Contains(inv, "lanes") {
			t.Errorf("row %d invocations %q; want %q", i, inv, wantHow)
		}
	}
	if !exists(filepath.Join(RunDir(dir, runs[2].ID), errorFile)) {
		t.Errorf("the failed lane has no %s", errorFile)
	}
	// On a second pass the finished runs are groups of one (skipped at once), so the
	// failed run is retried alone rather than waiting for a finished partner.
	if got := fmt.Sprint(w.groups(runs)); got != "[[0] [1] [2] [3] [4]]" {
		t.Errorf("groups after the pass %s; want [[0] [1] [2] [3] [4]]", got)
	}
}

// With StackKey, groups gather runs of one key wherever they are in the manifest (so that
// each lanes process can train one ensemble), up to Lanes each; runs of key "" keep the
// consecutive grouping, and CPU runs stay alone.
func TestGroupsByStackKey(t *testing.T) {
	dir, runs := newSweepDir(t, "method: grid\nparameters:\n  seed: {values: [0, 1, 2, 3, 4, 5, 6, 7]}\n")
	runs[7].Config.Training.Device = "cpu"
	keys := []string{"a", "b", "a", "", "b", "a", "", "a"}
	w := &Worker{Dir: dir, Lanes: 2, StackKey: func(c config.Config) string { return keys[c.Seed] }}
	if got := fmt.Sprint(w.groups(runs)); got != "[[0 2] [1 4] [5] [3 6] [7]]" {
		t.Errorf("groups %s; want [[0 2] [1 4] [5] [3 6] [7]]", got)
	}
}

// TestResumedRunMustMatchRow: a run directory whose config.json holds another network than
// its manifest row (edited by hand) is not resumed under the row's parameters.
func TestResumedRunMustMatchRow(t *testing.T) {
	t.Setenv("SWEEP_FAKE_TRAIN", "1")
	dir, runs := newSweepDir(t, "method: grid\nparameters:\n  seed: {values: [5]}\n")
	rd := RunDir(dir, runs[0].ID)
	os.MkdirAll(rd, 0o755)
	other := runs[0].Config
	other.Training.LearningRate *= 2
	cj, _ := other.JSON()
	os.WriteFile(filepath.Join(rd, runInfoFile), []byte(`{"config":`+string(cj)+`}`), 0o644)
	w := &Worker{Dir: dir, Program: os.Args[0]}
	o := w.RunOne(context.Background(), runs[0])
	if o.Result != ResultFailed || o.Err == nil || !strings.Contains(o.Err.Error(), "holds another config") {
		t.Fatalf("edited run: %s (%v), want failed: holds another config", o.Result, o.Err)
	}
	// With the row's config it resumes.
	cj, _ = runs[0].Config.JSON()
	os.WriteFile(filepath.Join(rd, runInfoFile), []byte(`{"config":`+string(cj)+`}`), 0o644)
	if o := w.RunOne(context.Background(), runs[0]); o.Result != ResultFinished || !o.Resumed {
		t.Fatalf("matching run: %s resumed %v (%v)", o.Result, o.Resumed, o.Err)
	}
}

// Runs parses only the rows asked for: a cluster task runs its row even where another row
// was edited; a full parse names the first bad row in file order; Ctrl-C stops the parse.
func TestManifestRows(t *testing.T) {
	runs, _ := expandFile(t, "testdata/pc_ce_dog_multiple_fields_and_scales.yaml", nil)
	if len(runs) < 6 {
		t.Fatalf("%d runs, want at least 6", len(runs))
	}
	var buf bytes.Buffer
	if err := WriteManifest(&buf, runs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	lines[3] = strings.Replace(lines[3], `"seed":`, `"seed":1`, 1)    // id no longer matches
	lines[5] = strings.Replace(lines[5], `"index":5`, `"index":9`, 1) // wrong index
	text := strings.Join(lines[:2], "\n") + "\n\n" + strings.Join(lines[2:], "\n") + "\n"
	m, err := ScanManifest(strings.NewReader(text), "m.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != len(runs) {
		t.Fatalf("Len %d, want %d (blank lines are not rows)", m.Len(), len(runs))
	}
	got, err := m.Runs(context.Background(), 4, 5)
	if err != nil {
		t.Fatalf("row 4: %v", err)
	}
	if len(got) != 1 || got[0].ID != runs[4].ID || got[0].Index != 4 {
		t.Fatalf("row 4: %+v, want id %s", got, runs[4].ID)
	}
	// Row 3 is on line 5 (after the blank line); it is reported before row 5 on every run.
	for range 20 {
		if _, err := m.Runs(context.Background(), 0, m.Len()); err == nil || !strings.Contains(err.Error(), "m.jsonl:5:") {
			t.Fatalf("full parse: %v, want the error of m.jsonl:5", err)
		}
	}
	if _, err := m.Runs(context.Background(), 5, 6); err == nil || !strings.Contains(err.Error(), "index 9, want 5") {
		t.Errorf("row 5: %v", err)
	}
	if _, err := m.Runs(context.Background(), 2, m.Len()+1); err == nil {
		t.Error("rows past the end: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Runs(ctx, 0, 3); err != context.Canceled {
		t.Errorf("cancelled parse: %v, want context.Canceled", err)
	}
}
