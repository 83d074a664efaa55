package train

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/flock"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/sweep"
)

// smallConfig is a run that trains in well under a second: a DoS RNN with recurrent dropout
// (so that the dropout stream is part of the state a resume must restore).
func smallConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed = 7
	if err := config.ApplySets(&cfg, []string{
		"model.ng=24", "encoding.np=32", "trajectory.batch_size=8", "trajectory.sequence_length=6",
		"training.n_epochs=3", "training.n_grad_steps_per_epoch=20", "training.eval_every=10",
		"training.checkpoint_every=7", "model.recurrent_dropout=0.1", "eval.nbins=20",
		"eval.sequence_length=10", "eval.batch_size=20",
	}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// cancelAt cancels a context when the loop reports step k.
type cancelAt struct {
	k      int
	cancel context.CancelFunc
	stages []string
	last   int
}

func (c *cancelAt) Step(s Status) {
	c.last = s.Step
	if s.Step == c.k {
		c.cancel()
	}
}
func (c *cancelAt) Stage(what string) { c.stages = append(c.stages, what) }

func readWeights(t *testing.T, path string) map[string]*npyio.Array {
	t.Helper()
	m, err := npyio.ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameWeights fails unless the two weight files hold bit-identical float32 arrays.
func sameWeights(t *testing.T, a, b string) {
	t.Helper()
	ma, mb := readWeights(t, a), readWeights(t, b)
	if len(ma) != len(mb) || len(ma) == 0 {
		t.Fatalf("%s has %d entries, %s has %d", a, len(ma), b, len(mb))
	}
	for k, x := range ma {
		y, ok := mb[k]
		if !ok || !slices.Equal(x.Shape, y.Shape) || !slices.Equal(x.F32, y.F32) {
			t.Fatalf("entry %q differs between %s and %s", k, a, b)
		}
	}
}

func TestResumeBitIdentical(t *testing.T) {
	cfg := smallConfig(t)
	ref := t.TempDir()
	if _, err := Train(context.Background(), ref, cfg, Options{}); err != nil {
		t.Fatal(err)
	}

	// Interrupted at step 17 (between checkpoints at 14 and 21, after the evaluation at 10),
	// then resumed twice: once more interrupted at 33, then to the end.
	dir := t.TempDir()
	for i, k := range []int{17, 33} {
		ctx, cancel := context.WithCancel(context.Background())
		p := &cancelAt{k: k, cancel: cancel}
		var err error
		if i == 0 {
			_, err = Train(ctx, dir, cfg, Options{Progress: p})
		} else {
			_, err = Resume(ctx, dir, Options{Progress: p})
		}
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d: err = %v, want context.Canceled", i, err)
		}
		if p.last != k {
			t.Fatalf("run %d stopped after step %d, want %d", i, p.last, k)
		}
		if _, err := os.Stat(filepath.Join(dir, finalFile)); err == nil {
			t.Fatal("an interrupted run wrote final weights")
		}
	}
	resumeMatches(t, cfg, ref, dir)
}

// resumeMatches resumes the interrupted run in dir to its end and checks that it is the
// uninterrupted run ref: bit-identical final weights, the same whole checkpoint (optimizer
// moments, RNG states) except wall time, and the same metrics lines.
func resumeMatches(t *testing.T, cfg config.Config, ref, dir string) {
	t.Helper()
	sum, err := Resume(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != cfg.TotalSteps() {
		t.Fatalf("summary steps = %d, want %d", sum.Steps, cfg.TotalSteps())
	}
	sameWeights(t, filepath.Join(ref, finalFile), filepath.Join(dir, finalFile))
	// The whole checkpoint (optimizer moments, RNG states) agrees too, except wall time.
	la, lb := readWeights(t, filepath.Join(ref, latestFile)), readWeights(t, filepath.Join(dir, latestFile))
	for k, x := range la {
		if k == keyElapsed {
			continue
		}
		y := lb[k]
		if y == nil || !slices.Equal(x.F32, y.F32) || !slices.Equal(x.I64, y.I64) || !slices.Equal(x.F64, y.F64) {
			t.Errorf("checkpoint entry %q differs after resume", k)
		}
	}

	// Metrics: the same steps in the same order, and the same evaluation numbers (the
	// evaluation batches are a function of the step; the loss means span the interruption).
	ma, err := ReadMetrics(ref)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ma) != len(mb) || len(ma) != cfg.TotalSteps()/cfg.Training.EvalEvery {
		t.Fatalf("metrics lines: %d uninterrupted, %d resumed, want %d", len(ma), len(mb), cfg.TotalSteps()/cfg.Training.EvalEvery)
	}
	for i := range ma {
		if cfg.Eval.TracksScores() && (mb[i].MaxScore60 == nil || mb[i].FracAbove03 == nil) {
			t.Errorf("resumed metrics line %d lacks the tracked scores: %+v", i, mb[i])
		}
		if ma[i].Step != mb[i].Step || ma[i].Loss != mb[i].Loss || ma[i].EvalLoss != mb[i].EvalLoss || ma[i].DecodingErrorCM != mb[i].DecodingErrorCM ||
			!sameNumber(ma[i].MaxScore60, mb[i].MaxScore60) || !sameNumber(ma[i].FracAbove03, mb[i].FracAbove03) {
			t.Errorf("metrics line %d: %+v uninterrupted, %+v resumed", i, ma[i], mb[i])
		}
	}
}

// sameNumber reports whether two optional metrics are both absent or equal (NaN equal to NaN).
func sameNumber(a, b *Number) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b || (math.IsNaN(float64(*a)) && math.IsNaN(float64(*b)))
}

// TestTrackScores: with eval.track_scores every metrics line has the best score60 of the
// analysed units and the fraction above 0.3; without it the lines have neither, and the
// training is the same to the bit (the scored batch has its own stream).
func TestTrackScores(t *testing.T) {
	cfg := smallConfig(t)
	if !cfg.Eval.TracksScores() {
		t.Fatal("the quick preset does not track scores")
	}
	on, off := t.TempDir(), t.TempDir()
	sumOn, err := Train(context.Background(), on, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := config.Set(&cfg, "eval.track_scores", "off"); err != nil {
		t.Fatal(err)
	}
	sumOff, err := Train(context.Background(), off, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameWeights(t, filepath.Join(on, finalFile), filepath.Join(off, finalFile))
	if sumOn.FirstGridStep == nil || sumOff.FirstGridStep != nil {
		t.Errorf("first grid step %v tracking, %v without; want a step or −1, and nil", sumOn.FirstGridStep, sumOff.FirstGridStep)
	}
	mOn, err := ReadMetrics(on)
	if err != nil {
		t.Fatal(err)
	}
	if want := firstGridStep(mOn, cfg.Eval.GridThreshold, float64(sumOn.MaxScore60)); sumOn.FirstGridStep != nil && *sumOn.FirstGridStep != *want {
		t.Errorf("summary's first grid step %d, metrics say %d", *sumOn.FirstGridStep, *want)
	}
	mOff, err := ReadMetrics(off)
	if err != nil {
		t.Fatal(err)
	}
	if len(mOn) != len(mOff) || len(mOn) == 0 {
		t.Fatalf("%d metrics lines tracking scores, %d without", len(mOn), len(mOff))
	}
	for i, l := range mOn {
		if l.MaxScore60 == nil || l.FracAbove03 == nil {
			t.Fatalf("line %d (step %d) lacks the scores: %+v", i, l.Step, l)
		}
		if mx, f := float64(*l.MaxScore60), float64(*l.FracAbove03); !(mx > -2 && mx < 2) || !(f >= 0 && f <= 1) || (f > 0 && !(mx > 0.3)) {
			t.Errorf("step %d: max score60 %g, fraction above 0.3 %g", l.Step, mx, f)
		}
		if o := mOff[i]; o.MaxScore60 != nil || o.FracAbove03 != nil || o.Loss != l.Loss || o.EvalLoss != l.EvalLoss {
			t.Errorf("step %d without tracking: %+v; tracking: %+v", o.Step, o, l)
		}
	}
}

// errAfter is a context whose Err reports cancellation from its k-th call on: the training
// loop asks it at the top of each step and, through nn.Model.StartStepUntil, before each time
// step of the recurrence, so k picks a point inside a step.
type errAfter struct {
	context.Context
	k, calls int
}

func (e *errAfter) Err() error {
	if e.calls++; e.calls >= e.k {
		return context.Canceled
	}
	return nil
}

// cancelInStep returns an errAfter that cancels at stop's ask-th question in training step
// step of a run with T time steps: each step asks once at the top of the loop, then T times
// in the forward recurrence, once between the passes and T times in the backward one.
func cancelInStep(T, step, ask int) *errAfter {
	perStep := 1 + 2*T + 1
	return &errAfter{Context: context.Background(), k: perStep*(step-1) + 1 + ask}
}

// TestCancelMidStep: a run cancelled inside a step (in the forward recurrence, between the
// passes, in the backward recurrence; Ctrl-C during a long CPU step) stops there, checkpoints
// the steps before it, and resumes to the same run bit for bit: the step it gave up is trained
// again on the same batch and the same dropout masks.
func TestCancelMidStep(t *testing.T) {
	cfg := smallConfig(t)
	ref := t.TempDir()
	if _, err := Train(context.Background(), ref, cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	T := cfg.Trajectory.SequenceLength
	for _, at := range []struct{ step, ask int }{
		{17, 3},         // forward recurrence of step 17, after a checkpoint at 14
		{21, T + 1},     // between the passes of step 21, a checkpoint step
		{30, T + 1 + 4}, // backward recurrence of step 30, an evaluation step
	} {
		dir := t.TempDir()
		ctx := cancelInStep(T, at.step, at.ask)
		p := &cancelAt{k: -1}
		_, err := Train(ctx, dir, cfg, Options{Progress: p})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled in step %d: err = %v, want context.Canceled", at.step, err)
		}
		// Checked only at the top of each step (as before StartStepUntil), call k would fall in
		// a later step.
		if p.last != at.step-1 {
			t.Fatalf("cancelled in step %d: the run reported step %d last, want %d", at.step, p.last, at.step-1)
		}
		resumeMatches(t, cfg, ref, dir)
	}
}

// A metrics line written after the last checkpoint (a run killed between the two) is
// dropped on resume and written again.
func TestResumeDropsLaterMetrics(t *testing.T) {
	cfg := smallConfig(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	p := &cancelAt{k: 17, cancel: cancel}
	if _, err := Train(ctx, dir, cfg, Options{Progress: p}); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	// Pretend the run was killed at 17 after the checkpoint of 14: lines for 20 and a torn one.
	f, err := os.OpenFile(filepath.Join(dir, metricsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"step":20,"loss":1}` + "\n" + `{"step":30,"lo`)
	f.Close()
	if err := truncateMetrics(dir, 14); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[0].Step != 10 {
		t.Fatalf("after truncation to step 14: %+v, want only step 10", m)
	}
}

func TestTrainRefusesExistingRun(t *testing.T) {
	cfg := smallConfig(t)
	dir := t.TempDir()
	sum, err := Train(context.Background(), dir, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Training.Loss != "auto" || sum.LossKind != "crossentropy" {
		t.Errorf("training.loss %q resolved to %q, want auto → crossentropy (DoS)", cfg.Training.Loss, sum.LossKind)
	}
	if _, err := Train(context.Background(), dir, cfg, Options{}); !errors.Is(err, ErrFinished) {
		t.Fatalf("second Train: err = %v, want ErrFinished", err)
	}
	if _, err := Resume(context.Background(), dir, Options{}); !errors.Is(err, ErrFinished) {
		t.Fatalf("Resume of a finished run: err = %v, want ErrFinished", err)
	}
	if _, err := Resume(context.Background(), t.TempDir(), Options{}); !errors.Is(err, ErrNoRun) {
		t.Fatalf("Resume of an empty directory: err = %v, want ErrNoRun", err)
	}
	// The run directory of the README.
	for _, f := range []string{configFile, metricsFile, latestFile, finalFile, "eval/activations.npy",
		"eval/positions.npy", "ratemaps.npy", "scores.csv", summaryFile, centresFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// Every file the run wrote is its own: a train --out of this directory is refused for
	// holding a run, not for holding foreign files.
	if foreign, err := ForeignEntries(dir); err != nil || len(foreign) != 0 {
		t.Errorf("ForeignEntries of a finished run: %q, %v; want none", foreign, err)
	}
	a, err := npyio.ReadFile(filepath.Join(dir, "eval/activations.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{20 * 10, 24}; !slices.Equal(a.Shape, want) {
		t.Errorf("activations shape %v, want %v", a.Shape, want)
	}
	// Evaluate reproduces the summary of the run.
	s1, err := os.ReadFile(filepath.Join(dir, summaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Evaluate(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	s2, err := os.ReadFile(filepath.Join(dir, summaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(s1) != string(s2) {
		t.Errorf("Evaluate changed the summary:\n%s\n%s", s1, s2)
	}
	cfg2, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := cfg.JSON()
	j2, _ := cfg2.JSON()
	if string(j1) != string(j2) {
		t.Errorf("LoadConfig does not round-trip:\n%s\n%s", j1, j2)
	}
	// A run's config.json is a config file too (gridcells config --config, theory --run).
	cfg3, err := config.Load(filepath.Join(dir, configFile))
	if err != nil {
		t.Fatal(err)
	}
	if j3, _ := cfg3.JSON(); string(j1) != string(j3) {
		t.Errorf("config.Load of the run's config.json:\n%s\nwant\n%s", j3, j1)
	}
}

// tamperFingerprint replaces the code fingerprint in the config.json of the run in dir, as
// if the run's target code had changed since it was trained.
func tamperFingerprint(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, configFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var info RunInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if len(info.CodeFingerprint) != 32 {
		t.Fatalf("code_fingerprint = %q; want 32 hex digits", info.CodeFingerprint)
	}
	tampered := strings.Replace(string(b), info.CodeFingerprint, strings.Repeat("0", 32), 1)
	if err := os.WriteFile(path, []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCodeChangedRefused: a run whose target code no longer matches the one it was trained
// with (here: a tampered fingerprint in config.json) is neither evaluated nor resumed.
func TestCodeChangedRefused(t *testing.T) {
	cfg := smallConfig(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := Train(ctx, dir, cfg, Options{Progress: &cancelAt{k: 5, cancel: cancel}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Train: err = %v, want context.Canceled", err)
	}
	tamperFingerprint(t, dir)
	if _, err := Resume(context.Background(), dir, Options{}); !errors.Is(err, ErrCodeChanged) {
		t.Errorf("Resume with a changed code: err = %v, want ErrCodeChanged", err)
	}
	if _, err := Evaluate(context.Background(), dir, Options{}); !errors.Is(err, ErrCodeChanged) {
		t.Errorf("Evaluate with a changed code: err = %v, want ErrCodeChanged", err)
	}
}

// rateMaps against bins counted by hand: 4×4 bins over [−1, 1]², two units.
func TestRateMaps(t *testing.T) {
	pos := []float32{
		-0.9, -0.9, // bin (0, 0)
		-0.6, -0.9, // bin (0, 0)
		0.9, -0.9, // bin (3, 0): first index is x
		1, 1, // upper edge: bin (3, 3)
		1.2, 0, // outside: dropped
	}
	act := []float32{
		1, 10,
		3, 30,
		5, 50,
		7, 70,
		100, 100,
	}
	maps, err := rateMaps(act, pos, 2, []int{1}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]float64{0*4 + 0: 20, 3*4 + 0: 50, 3*4 + 3: 70}
	for k, v := range maps {
		w, ok := want[k]
		if !ok && v == v { // v == v: not NaN
			t.Errorf("bin %d = %v, want NaN (empty)", k, v)
		}
		if ok && v != w {
			t.Errorf("bin %d = %v, want %v", k, v, w)
		}
	}
}

func TestAnalysedUnits(t *testing.T) {
	if u := analysedUnits(5, 8, nil); !slices.Equal(u, []int{0, 1, 2, 3, 4}) {
		t.Errorf("Ng ≤ n_units: %v, want every unit", u)
	}
	u := analysedUnits(100, 10, rand.New(rand.NewPCG(1, 2)))
	if len(u) != 10 || !slices.IsSorted(u) || len(slices.Compact(slices.Clone(u))) != 10 || u[0] < 0 || u[9] >= 100 {
		t.Errorf("10 of 100: %v, want 10 distinct sorted units", u)
	}
}

// loopWeights trains cfg with Train on backend b into a fresh directory and returns its
// final weights by parameter name.
func loopWeights(t *testing.T, cfg config.Config, b compute.Backend) map[string][]float32 {
	t.Helper()
	dir := t.TempDir()
	if _, err := Train(context.Background(), dir, cfg, Options{Backend: b}); err != nil {
		t.Fatal(err)
	}
	w := map[string][]float32{}
	for name, a := range readWeights(t, filepath.Join(dir, finalFile)) {
		w[name] = a.F32
	}
	return w
}

// sameAsSteps fails unless the loop's final weights are those of trainSteps, bit for bit.
func sameAsSteps(t *testing.T, loop, steps map[string][]float32) {
	t.Helper()
	if len(steps) == 0 {
		t.Fatal("no weights")
	}
	for name, w := range steps {
		if !slices.Equal(loop[name], w) {
			t.Errorf("%s: the training loop's final weights differ from those of its steps one by one", name)
		}
	}
}

// TestLoopLoadsAhead checks that the training loop, which loads the next batch while a step
// runs (batchFeed), trains on the batches and in the order of its steps one by one
// (trainSteps): the same final weights, bit for bit. The run evaluates every 10 steps on a
// batch of the training shape, through the model's inputs, so a batch loaded ahead of an
// evaluation would be overwritten and the weights would differ; it checkpoints every 7.
func TestLoopLoadsAhead(t *testing.T) {
	cfg := smallConfig(t)
	_, want := trainSteps(t, cfg, cpu.New(nil), cfg.TotalSteps())
	sameAsSteps(t, loopWeights(t, cfg, cpu.New(nil)), want)
}

// doneAfter is a context that is cancelled from its k-th call of Done on: an interruption at
// each point where the scorer looks.
type doneAfter struct {
	context.Context
	k, calls int
	closed   chan struct{}
}

func newDoneAfter(k int) *doneAfter {
	c := make(chan struct{})
	close(c)
	return &doneAfter{Context: context.Background(), k: k, closed: c}
}

func (d *doneAfter) Done() <-chan struct{} {
	if d.calls++; d.calls >= d.k {
		return d.closed
	}
	return nil
}

func (d *doneAfter) Err() error {
	if d.calls >= d.k {
		return context.Canceled
	}
	return nil
}

// snapshotDir returns every file under dir with its contents.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(strings.TrimPrefix(p, dir))] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// evaluatedAt20And16 trains smallConfig and evaluates it again at 20 and 16 bins, so that it
// has a ratemaps_16.npy that a later evaluation at other resolutions must remove, and
// returns the run directory and those evaluation settings.
func evaluatedAt20And16(t *testing.T) (string, config.Eval) {
	t.Helper()
	cfg := smallConfig(t)
	dir := t.TempDir()
	if _, err := Train(context.Background(), dir, cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	ev := cfg.Eval
	ev.NBins = []int{20, 16}
	if _, err := EvaluateWith(context.Background(), dir, ev, Options{}); err != nil {
		t.Fatal(err)
	}
	return dir, ev
}

// TestEvaluateInterruptedKeepsFiles: an evaluation at new resolutions that is interrupted
// at any point leaves the run's previous files exactly as they were (not new rate maps
// beside an old summary), and one that finishes removes the rate maps and scores of
// resolutions it no longer has.
func TestEvaluateInterruptedKeepsFiles(t *testing.T) {
	dir, ev := evaluatedAt20And16(t)
	// A user's files with names like an evaluation's are not the evaluation's to remove.
	userFiles := []string{"ratemaps_old.npy", "scores_backup.csv", "ratemaps_.npy"}
	for _, f := range userFiles {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshotDir(t, dir)
	if _, ok := before["/ratemaps_16.npy"]; !ok {
		t.Fatal("no ratemaps_16.npy after evaluating at 20 and 16 bins")
	}
	ev.NBins = []int{12, 10}
	finished := false
	for k := 1; k < 50 && !finished; k++ {
		sum, err := EvaluateWith(newDoneAfter(k), dir, ev, Options{})
		if err == nil {
			finished = true
			if sum.NBins != 12 {
				t.Errorf("summary nbins %d, want 12", sum.NBins)
			}
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted at Done call %d: %v", k, err)
		}
		if after := snapshotDir(t, dir); !maps.Equal(before, after) {
			var changed []string
			for f := range after {
				if before[f] != after[f] {
					changed = append(changed, f)
				}
			}
			for f := range before {
				if _, ok := after[f]; !ok {
					changed = append(changed, f+" (removed)")
				}
			}
			t.Fatalf("interrupted at Done call %d: files changed: %v", k, changed)
		}
	}
	if !finished {
		t.Fatal("the evaluation never finished")
	}
	after := snapshotDir(t, dir)
	for _, f := range []string{"/ratemaps_16.npy", "/scores_16.csv"} {
		if _, ok := after[f]; ok {
			t.Errorf("%s of the earlier evaluation left behind", f)
		}
	}
	for _, f := range []string{"/ratemaps_10.npy", "/scores_10.csv", "/ratemaps.npy", "/summary.json"} {
		if _, ok := after[f]; !ok {
			t.Errorf("%s missing", f)
		}
	}
	for _, f := range userFiles {
		if after["/"+f] != before["/"+f] {
			t.Errorf("the user's %s was removed or changed", f)
		}
	}
	for f := range after {
		if strings.Contains(f, stagingDir) {
			t.Errorf("staging file %s left behind", f)
		}
	}
}

// TestRunLocked: while another process holds a run directory's lock, the run is neither
// resumed nor evaluated (ErrBusy), and after it lets go, both work.
func TestRunLocked(t *testing.T) {
	cfg := smallConfig(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stops at once, after the first checkpoint
	if _, err := Train(ctx, dir, cfg, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Train: %v", err)
	}
	l, err := flock.TryLock(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatalf("the lock is still held after Train returned: %v", err)
	}
	if _, err := Resume(context.Background(), dir, Options{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("Resume of a locked run: %v, want ErrBusy", err)
	}
	l.Unlock()
	if _, err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	l, err = flock.TryLock(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if _, err := Evaluate(context.Background(), dir, Options{}); !errors.Is(err, ErrBusy) {
		t.Errorf("Evaluate of a locked run: %v, want ErrBusy", err)
	}
	// An ensemble lets go of its lanes' locks when it returns.
	stacked := filepath.Join(t.TempDir(), "lane")
	lane := cfg
	lane.Model.RecurrentDropout = 0 // ensembles take no dropout
	if _, err := TrainStacked(ctx, []StackedRun{{Dir: stacked, Config: &lane}}, cpu.New(nil), ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled TrainStacked: %v", err)
	}
	if l, err := flock.TryLock(filepath.Join(stacked, LockFile)); err != nil {
		t.Errorf("the lane's lock is still held after TrainStacked returned: %v", err)
	} else {
		l.Unlock()
	}
}

// TestLockFileName: package sweep names train's lock itself (it does not import train).
func TestLockFileName(t *testing.T) {
	if LockFile != sweep.TrainLockFile {
		t.Errorf("train.LockFile %q, sweep.TrainLockFile %q", LockFile, sweep.TrainLockFile)
	}
}

// TestEvaluateKilledMidCommit: an evaluation stopped after it committed (its plan written)
// but while moving its files is finished by the next process that loads the run, so the
// files are all of the new evaluation. (Before the commit point the old ones stay:
// TestEvaluateInterruptedKeepsFiles.)
func TestEvaluateKilledMidCommit(t *testing.T) {
	dir, ev := evaluatedAt20And16(t)
	ev.NBins = []int{12, 10}
	killed := errors.New("killed")
	for _, after := range []int{0, 1, 3} {
		n := 0
		renameFile = func(from, to string) error {
			if n++; n > after {
				return killed
			}
			return os.Rename(from, to)
		}
		_, err := EvaluateWith(context.Background(), dir, ev, Options{})
		renameFile = os.Rename
		if !errors.Is(err, killed) {
			t.Fatalf("stopped after %d renames: %v", after, err)
		}
		if _, err := LoadConfig(dir); err != nil { // finishes the commit
			t.Fatal(err)
		}
		recovered := snapshotDir(t, dir)
		if _, err := EvaluateWith(context.Background(), dir, ev, Options{}); err != nil {
			t.Fatal(err)
		}
		if clean := snapshotDir(t, dir); !maps.Equal(recovered, clean) {
			t.Errorf("stopped after %d renames: the recovered files differ from a whole evaluation's", after)
		}
		for f := range recovered {
			if strings.Contains(f, stagingDir) || strings.Contains(f, "_16") {
				t.Errorf("stopped after %d renames: %s left behind", after, f)
			}
		}
	}
}

// The maps of a subset of units are those units' maps among the maps of every unit.
func TestRateMapsSubset(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const ng, rows, nbins = 5, 300, 6
	act := make([]float32, rows*ng)
	pos := make([]float32, 2*rows)
	for i := range act {
		act[i] = rng.Float32()
	}
	for i := range pos {
		pos[i] = 2*rng.Float32() - 1
	}
	all, err := rateMaps(act, pos, ng, []int{0, 1, 2, 3, 4}, nbins, 2)
	if err != nil {
		t.Fatal(err)
	}
	units := []int{1, 3, 4}
	sub, err := rateMaps(act, pos, ng, units, nbins, 2)
	if err != nil {
		t.Fatal(err)
	}
	cells := nbins * nbins
	for k, u := range units {
		for c := range cells {
			if got, want := sub[k*cells+c], all[u*cells+c]; got != want && !(got != got && want != want) {
				t.Fatalf("unit %d bin %d: %v; among all units %v", u, c, got, want)
			}
		}
	}
}

// TestRateMapsRectangularBox bins a 2.2 × 1.1 m box in square bins: the maps cover the
// 2.2 m square around it (config's MapSide), the bins beyond the box stay empty, and a
// hexagonal grid unit keeps a grid score its square bins can measure. With 44 × 44 bins
// stretched over the rectangle (the behaviour before), the same unit scored 0.07.
func TestRateMapsRectangularBox(t *testing.T) {
	cfg := config.Default()
	cfg.Trajectory.BoxWidth, cfg.Trajectory.BoxHeight = 2.2, 1.1
	side := cfg.Trajectory.MapSide()
	const n, spacing = 44, 0.5 // bins per side; grid spacing, m
	k := 4 * math.Pi / (math.Sqrt(3) * spacing)
	var pos, act []float32
	for x := -1.1 + 0.005; x < 1.1; x += 0.01 {
		for y := -0.55 + 0.005; y < 0.55; y += 0.01 {
			var s float64
			for q := range 3 {
				a := math.Pi/6 + float64(q)*math.Pi/3
				s += math.Cos(k * (x*math.Cos(a) + y*math.Sin(a)))
			}
			pos = append(pos, float32(x), float32(y))
			act = append(act, float32(math.Max(0, s-1)))
		}
	}
	maps, err := rateMaps(act, pos, 1, []int{0}, n, side)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for j := range n {
			y := (float64(j)+0.5)*side/n - side/2 // bin centre; the second index is y
			inside := math.Abs(y) < 0.55
			if v := maps[i*n+j]; (v == v) != inside {
				t.Fatalf("bin (%d, %d) at y %.3f m: %v; want visited %v", i, j, y, v, inside)
			}
		}
	}
	sc, err := analysis.NewScorer(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := sc.Score(maps); !(s.Score60 > 0.8) {
		t.Errorf("grid unit in a rectangular box: score60 %.3f (%s), want > 0.8", s.Score60, s.Reason)
	}
}

// A resume cleans up after a process killed mid-write: temporary files in checkpoint/ (a
// whole checkpoint each) are removed, and centres lost to a kill before they were written
// are written again.
func TestResumeCleansUp(t *testing.T) {
	cfg := smallConfig(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Train(ctx, dir, cfg, Options{Progress: &cancelAt{k: 20, cancel: cancel}})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	stale := filepath.Join(dir, "checkpoint", ".latest.npz.tmp-12345")
	if err := os.WriteFile(stale, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "place_cells.npy")); err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed writer's temporary file is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "place_cells.npy")); err != nil {
		t.Errorf("place_cells.npy not written again: %v", err)
	}
}

// A commit plan (commit.json, a file in the run directory) may not move or remove files
// outside the run directory.
func TestCommitPlanStaysInside(t *testing.T) {
	dir := t.TempDir()
	for _, plan := range []commitPlan{{Move: []string{"../escaped"}}, {Remove: []string{"/etc/passwd"}}} {
		if err := applyCommit(dir, plan); err == nil || !strings.Contains(err.Error(), "outside the run directory") {
			t.Errorf("plan %+v: %v; want refused", plan, err)
		}
	}
}

// TestForeignEntries: the files of a run, of a run killed before config.json, of a sweep's
// run (named by the caller) and of killed writes are a run's; anything else is listed.
func TestForeignEntries(t *testing.T) {
	dir := t.TempDir()
	if f, err := ForeignEntries(filepath.Join(dir, "missing")); err != nil || f != nil {
		t.Errorf("a missing directory: %q, %v; want none", f, err)
	}
	own := []string{configFile, metricsFile, summaryFile, centresFile, LockFile, "ratemaps.npy",
		"ratemaps_20.npy", "scores.csv", "scores_44.csv", ".summary.json.tmp-123", "sweep_config.json",
		".DS_Store", "nohup.log", "slurm-1.log"}
	foreign := []string{"notes.txt", "ratemaps_x.npy", "ratemaps_.npy", "scores.npy", "scores_1.csv.bak", "tmp-1", "log"}
	for _, n := range append(own, foreign...) {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{checkpointDir, evalDir, stagingDir, "figures"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ForeignEntries(dir, "sweep_config.json", "*.log")
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(foreign), "figures")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ForeignEntries = %q, want %q", got, want)
	}
}

// closeCounter is a backend with a Close that counts its calls.
type closeCounter struct {
	compute.Backend
	closes *int
}

func (c closeCounter) Close() error { *c.closes++; return nil }

// TestRunsCloseTheirBackends: every path through a run that made its own backend (Options
// nil) closes it once, on success, cancellation and failure alike; a backend the caller gives
// is not closed; LoadModel hands its backend to the caller.
func TestRunsCloseTheirBackends(t *testing.T) {
	made, closed := 0, 0
	old := makeBackend
	makeBackend = func(device string) (compute.Backend, string, error) {
		b, note, err := old(device)
		made++
		return closeCounter{b, &closed}, note, err
	}
	t.Cleanup(func() { makeBackend = old })
	check := func(what string, wantMade int) {
		t.Helper()
		if made != wantMade || closed != made {
			t.Errorf("%s: %d backends made, %d closed; want %d made, all closed", what, made, closed, wantMade)
		}
	}
	cfg := smallConfig(t)
	bg := context.Background()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(bg)
	if _, err := Train(ctx, dir, cfg, Options{Progress: &cancelAt{k: 5, cancel: cancel}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Train: %v, want context.Canceled", err)
	}
	check("Train, cancelled", 1)
	if _, err := Resume(bg, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	check("Resume", 2)
	if _, err := Evaluate(bg, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	check("Evaluate", 3)
	if _, err := EvaluateLatest(bg, dir, t.TempDir(), nil, Options{}); err != nil {
		t.Fatal(err)
	}
	check("EvaluateLatest", 4)
	if _, err := Bench(bg, cfg, 2, Options{}); err != nil {
		t.Fatal(err)
	}
	check("Bench", 5)
	tr, err := LoadModel(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if made != 6 || closed != 5 {
		t.Errorf("LoadModel closed the backend it returns (%d made, %d closed)", made, closed)
	}
	CloseBackend(tr.Model.Backend())
	// Failures after the backend is made: a target code that no longer matches the run's.
	tamperFingerprint(t, dir)
	if _, err := Evaluate(bg, dir, Options{}); !errors.Is(err, ErrCodeChanged) {
		t.Fatalf("Evaluate with a changed code: %v", err)
	}
	if _, err := LoadModel(dir, nil); !errors.Is(err, ErrCodeChanged) {
		t.Fatalf("LoadModel with a changed code: %v", err)
	}
	check("the refused Evaluate and LoadModel", 7) // LoadModel refuses before it makes one
	scfg := cfg
	scfg.Model.RecurrentDropout = 0 // StackKey: ensembles have no dropout
	if _, err := TrainStacked(bg, []StackedRun{{Dir: t.TempDir(), Config: &scfg}, {Dir: t.TempDir(), Config: &scfg}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	check("TrainStacked", 8)
	// A backend the caller gives stays open.
	mine := closeCounter{cpu.New(nil), new(int)}
	if _, err := Train(bg, t.TempDir(), cfg, Options{Backend: mine}); err != nil {
		t.Fatal(err)
	}
	if *mine.closes != 0 {
		t.Errorf("Train closed the caller's backend %d times", *mine.closes)
	}
}

// TestRunsFreeTheirTensors: a run frees every tensor it allocated (model, optimizer,
// workspaces of the training and evaluation shapes) once, however it ends: on a GPU that
// memory stays taken while any backend on the device lives.
func TestRunsFreeTheirTensors(t *testing.T) {
	cfg := smallConfig(t)
	bg := context.Background()
	c := computetest.NewCounting(cpu.New(nil))
	check := func(what string) {
		t.Helper()
		if c.Live() != 0 || len(c.Errors) != 0 {
			t.Errorf("%s: %d tensors left allocated; %q", what, c.Live(), c.Errors)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(bg)
	if _, err := Train(ctx, dir, cfg, Options{Backend: c, Progress: &cancelAt{k: 5, cancel: cancel}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Train: %v, want context.Canceled", err)
	}
	check("Train, cancelled")
	if _, err := Resume(bg, dir, Options{Backend: c}); err != nil {
		t.Fatal(err)
	}
	check("Resume")
	if _, err := Evaluate(bg, dir, Options{Backend: c}); err != nil {
		t.Fatal(err)
	}
	check("Evaluate")
	if _, err := Bench(bg, cfg, 2, Options{Backend: c}); err != nil {
		t.Fatal(err)
	}
	check("Bench")
	if _, err := Train(bg, dir, cfg, Options{Backend: c}); !errors.Is(err, ErrFinished) {
		t.Fatalf("Train into a finished run: %v", err)
	}
	check("a refused Train")
	scfg := cfg
	scfg.Model.RecurrentDropout = 0 // StackKey: ensembles have no dropout
	if _, err := TrainStacked(bg, []StackedRun{{Dir: t.TempDir(), Config: &scfg}, {Dir: t.TempDir(), Config: &scfg}}, c, ""); err != nil {
		t.Fatal(err)
	}
	check("TrainStacked")
	var laneBackends []*computetest.Counting // a backend per lane: lanes run at once
	if _, err := BenchLanes(bg, scfg, 2, 2, 1000, func() (compute.Backend, error) {
		laneBackends = append(laneBackends, computetest.NewCounting(cpu.New(nil)))
		return laneBackends[len(laneBackends)-1], nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, lb := range laneBackends {
		if lb.Live() != 0 || len(lb.Errors) != 0 {
			t.Errorf("BenchLanes, lane %d: %d tensors left allocated; %q", i, lb.Live(), lb.Errors)
		}
	}
	if _, err := BenchStacked(bg, scfg, 2, 2, 1000, c); err != nil {
		t.Fatal(err)
	}
	check("BenchStacked")
}

// firstGridStep is the first line above the threshold whose next line is above it too (the
// last line's next is the post-training evaluation), −1 when a tracked run has none, nil
// when no line tracked scores; a null max (no unit scored) is not above it.
func TestFirstGridStep(t *testing.T) {
	num := func(v float64) *Number { n := Number(v); return &n }
	frac := num(0)
	lines := []MetricsLine{{Step: 100, FracAbove03: frac}, {Step: 200, MaxScore60: num(0.5), FracAbove03: frac},
		{Step: 300, MaxScore60: num(0.85), FracAbove03: frac}, {Step: 400, MaxScore60: num(0.3), FracAbove03: frac},
		{Step: 500, MaxScore60: num(0.9), FracAbove03: frac}, {Step: 600, MaxScore60: num(1.1), FracAbove03: frac}}
	nan := math.NaN()
	for _, c := range []struct {
		lines     []MetricsLine
		th, final float64
		want      string
	}{
		{lines, 0.8, 1, "500"},  // 300 alone is a spike
		{lines, 1, 1.05, "600"}, // the last line, which the post-training evaluation confirms
		{lines, 1, 0.95, "-1"},  // a last spike the post-training evaluation does not see
		{lines, 1, nan, "-1"},
		{lines, 1.2, 1.3, "-1"}, {lines, 0.4, 0, "200"}, {lines, 0.2, 0, "200"},
		{[]MetricsLine{{Step: 100}, {Step: 200}}, 0.8, 1, "nil"}, {nil, 0.8, 1, "nil"},
	} {
		got := "nil"
		if f := firstGridStep(c.lines, c.th, c.final); f != nil {
			got = strconv.Itoa(*f)
		}
		if got != c.want {
			t.Errorf("threshold %g, final %g: %s, want %s", c.th, c.final, got, c.want)
		}
	}
}

// The scored batch is one draw of its own stream: two trackers of a run (a session and the
// resumed one) score the same trajectories, and scoring an unchanged model twice gives the
// same numbers; the stream is not the evaluation batches' (step 0's).
func TestTrackerBatchFixed(t *testing.T) {
	r, err := newRun("", smallConfig(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.release()
	a, b := newScoreTracker(r), newScoreTracker(r)
	if !slices.Equal(a.sb.Pos, b.sb.Pos) || !slices.Equal(a.sb.Vel, b.sb.Vel) {
		t.Error("two trackers of one run draw different batches")
	}
	m1, f1 := a.at(r)
	m2, f2 := b.at(r)
	if m1 != m2 || f1 != f2 {
		t.Errorf("scores of an unchanged model: %g, %g then %g, %g", m1, f1, m2, f2)
	}
	e := newEvaluator(r, a.sb.B, a.sb.T)
	e.at(0)
	if slices.Equal(e.sb.Pos, a.sb.Pos) {
		t.Error("the scored batch is the evaluation batch of step 0")
	}
}

// The units scored during training are those of the post-training evaluation's first scorer,
// or the first maxTrackedUnits of their draw: a subset of them, as newScoreTracker picks
// them for a run.
func TestTrackedUnitsSubset(t *testing.T) {
	base := smallConfig(t)
	for _, c := range []struct{ ng, nUnits int }{{600, 400}, {300, 300}, {300, 5000}, {200, 100}, {24, 1024}} {
		cfg := base
		cfg.Model.Ng, cfg.Eval.NUnits = c.ng, c.nUnits
		r, err := newRun("", cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		tracked := newScoreTracker(r).units
		r.release()
		final := analysedUnits(c.ng, c.nUnits, rand.New(rand.NewPCG(cfg.Seed, streamUnits)))
		want := min(len(final), maxTrackedUnits)
		if len(tracked) != want {
			t.Errorf("Ng %d, n_units %d: %d tracked units, want %d", c.ng, c.nUnits, len(tracked), want)
		}
		for _, u := range tracked {
			if _, ok := slices.BinarySearch(final, u); !ok {
				t.Errorf("Ng %d, n_units %d: tracked unit %d is not analysed after training", c.ng, c.nUnits, u)
				break
			}
		}
	}
}
