package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/config"
)

// stackLossTol bounds the difference of the logged training losses between a lane and its
// run alone: the same float32 values summed in float64 in another order.
const stackLossTol = 1e-12

// stackConfigs are three runs that can be lanes of one ensemble: different seeds, and the
// third lane with other place fields (the targets may differ between lanes). No dropout.
func stackConfigs(t *testing.T) []config.Config {
	t.Helper()
	var cfgs []config.Config
	for i := range 3 {
		cfg := smallConfig(t)
		cfg.Seed = uint64(7 + i)
		sets := []string{"model.recurrent_dropout=0"}
		if i == 2 {
			sets = append(sets, "encoding.place_cell_rf=0.2")
		}
		if err := config.ApplySets(&cfg, sets); err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

// TestStackedMatchesAlone trains three runs as one ensemble, interrupted and resumed, and
// each run alone: the final weights, the checkpoints (optimizer moments, RNG states) and the
// evaluations are bit-identical; the logged training losses agree to stackLossTol.
func TestStackedMatchesAlone(t *testing.T) {
	cfgs := stackConfigs(t)
	alone := make([]string, len(cfgs))
	for i, cfg := range cfgs {
		alone[i] = t.TempDir()
		if _, err := Train(context.Background(), alone[i], cfg, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	dirs := make([]string, len(cfgs))
	runs := make([]StackedRun, len(cfgs))
	ctx, cancel := context.WithCancel(context.Background())
	stop := &cancelAt{k: 17, cancel: cancel}
	for i := range cfgs {
		dirs[i] = t.TempDir()
		runs[i] = StackedRun{Dir: dirs[i], Config: &cfgs[i]}
	}
	runs[1].Progress = stop
	if _, err := TrainStacked(ctx, runs, cpu.New(nil), "test"); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted ensemble: err = %v, want context.Canceled", err)
	}
	cancel()
	if stop.last != 17 {
		t.Fatalf("the ensemble stopped after step %d, want 17", stop.last)
	}
	for i, r := range resumeStacked(t, runs) {
		if r.Summary.Steps != cfgs[i].TotalSteps() {
			t.Errorf("lane %d: %d steps, want %d", i, r.Summary.Steps, cfgs[i].TotalSteps())
		}
		if want := fmt.Sprintf("lane %d of an ensemble of 3", i); !strings.Contains(string(r.Summary.Backend), want) {
			t.Errorf("lane %d: summary backend %q does not say %q", i, r.Summary.Backend, want)
		}
		if _, info, err := loadRunInfo(dirs[i]); err != nil || !strings.Contains(info.Backend, "of an ensemble of 3") {
			t.Errorf("lane %d: config.json backend %q (%v) does not name the ensemble", i, info.Backend, err)
		}
		t.Run(fmt.Sprint("lane", i), func(t *testing.T) { sameRun(t, alone[i], dirs[i]) })
	}
}

// TestStackedCancelMidStep: an ensemble cancelled inside a step (here in the backward
// recurrence; Ctrl-C during a CPU ensemble's step, which takes as long as all its lanes')
// stops there, checkpoints every lane at the step before, and resumes to each run alone.
func TestStackedCancelMidStep(t *testing.T) {
	cfgs := stackConfigs(t)[:2]
	T := cfgs[0].Trajectory.SequenceLength
	const step = 21
	dirs := make([]string, len(cfgs))
	runs := make([]StackedRun, len(cfgs))
	for i := range cfgs {
		dirs[i] = t.TempDir()
		runs[i] = StackedRun{Dir: dirs[i], Config: &cfgs[i]}
	}
	p := &cancelAt{k: -1}
	runs[0].Progress = p
	ctx := cancelInStep(T, step, T+1+3) // the backward recurrence's third ask
	if _, err := TrainStacked(ctx, runs, cpu.New(nil), "test"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ensemble: err = %v, want context.Canceled", err)
	}
	// Checked only at the top of each step, the cancellation would fall in step 22.
	if p.last != step-1 {
		t.Fatalf("cancelled in step %d: lane 0 reported step %d last, want %d", step, p.last, step-1)
	}
	for i := range resumeStacked(t, runs) {
		alone := t.TempDir()
		if _, err := Train(context.Background(), alone, cfgs[i], Options{}); err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint("lane", i), func(t *testing.T) { sameRun(t, alone, dirs[i]) })
	}
}

// resumeStacked resumes the interrupted ensemble of runs to the end and returns its lanes'
// results, none failed.
func resumeStacked(t *testing.T, runs []StackedRun) []LaneResult {
	t.Helper()
	for i := range runs {
		runs[i].Config, runs[i].Progress = nil, nil // resume
	}
	res, err := TrainStacked(context.Background(), runs, cpu.New(nil), "test")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("lane %d: %v", i, r.Err)
		}
	}
	return res
}

// sameRun compares a lane's directory with its run alone.
func sameRun(t *testing.T, alone, lane string) {
	sameWeights(t, filepath.Join(alone, finalFile), filepath.Join(lane, finalFile))
	la, lb := readWeights(t, filepath.Join(alone, latestFile)), readWeights(t, filepath.Join(lane, latestFile))
	for k, x := range la {
		y := lb[k]
		switch {
		case k == keyElapsed:
		case k == keyLossSum:
			if y == nil || math.Abs(x.F64[0]-y.F64[0]) > stackLossTol*math.Abs(x.F64[0]) {
				t.Errorf("checkpoint loss sum: %v alone, %v as a lane", x.F64, y)
			}
		case y == nil || !slices.Equal(x.F32, y.F32) || !slices.Equal(x.I64, y.I64) || !slices.Equal(x.F64, y.F64):
			t.Errorf("checkpoint entry %q differs", k)
		}
	}
	ma, err := ReadMetrics(alone)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := ReadMetrics(lane)
	if err != nil {
		t.Fatal(err)
	}
	if len(ma) != len(mb) {
		t.Fatalf("metrics lines: %d alone, %d as a lane", len(ma), len(mb))
	}
	for i := range ma {
		a, b := ma[i], mb[i]
		if a.Step != b.Step || a.EvalLoss != b.EvalLoss || a.DecodingErrorCM != b.DecodingErrorCM ||
			math.Abs(float64(a.Loss-b.Loss)) > stackLossTol*math.Abs(float64(a.Loss)) {
			t.Errorf("metrics line %d: %+v alone, %+v as a lane", i, a, b)
		}
	}
	sa, err := os.ReadFile(filepath.Join(alone, summaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(lane, summaryFile)); err != nil || len(sa) == 0 {
		t.Errorf("the lane has no summary: %v", err)
	}
}

// Runs that cannot share an ensemble are refused before anything is written.
func TestStackedRefused(t *testing.T) {
	base := stackConfigs(t)[0]
	other := base
	if err := config.ApplySets(&other, []string{"model.ng=32"}); err != nil {
		t.Fatal(err)
	}
	dropout := base
	if err := config.ApplySets(&dropout, []string{"model.recurrent_dropout=0.1"}); err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]config.Config{
		"another Ng": {base, other},
		"dropout":    {dropout, dropout},
	} {
		dirs := []string{t.TempDir(), t.TempDir()}
		_, err := TrainStacked(context.Background(), []StackedRun{{Dir: dirs[0], Config: &pair[0]}, {Dir: dirs[1], Config: &pair[1]}}, cpu.New(nil), "test")
		if !errors.Is(err, ErrNotStackable) {
			t.Errorf("%s: err = %v, want ErrNotStackable", name, err)
		}
		for _, d := range dirs {
			if ents, _ := os.ReadDir(d); len(ents) != 0 {
				t.Errorf("%s: %s holds %d entries after a refusal", name, d, len(ents))
			}
		}
	}
}

// stackSteps (the ensemble half of TestCUDAEnsembleMatchesCPU) on the CPU gives each lane
// the losses and weights of trainSteps on that lane's run alone.
func TestStackStepsMatchesTrainSteps(t *testing.T) {
	cfg := stackConfigs(t)[0]
	const lanes, steps = 2, 4
	ls, ws := stackSteps(t, cfg, cpu.New(nil), lanes, steps)
	for k := range lanes {
		c := cfg
		c.Seed = cfg.Seed + uint64(k)
		l, w := trainSteps(t, c, cpu.New(nil), steps)
		for i := range steps {
			if math.Abs(ls[k][i]-l[i]) > stackLossTol*math.Abs(l[i]) {
				t.Errorf("lane %d step %d: loss %v, alone %v", k, i+1, ls[k][i], l[i])
			}
		}
		for name, x := range w {
			if !slices.Equal(x, ws[k][name]) {
				t.Errorf("lane %d: %s differs from the run alone", k, name)
			}
		}
	}
}

// The lane-by-lane loading of an ensemble (taken when lanes make their batches on the GPU)
// gives the same steps as the interleaved upload of host batches; here both on the CPU, with
// host batches loaded lane by lane.
func TestStackLaneByLaneLoading(t *testing.T) {
	cfg := stackConfigs(t)[0]
	const lanes, steps = 3, 3
	var weights [2][]float32
	for mode := range 2 {
		b := cpu.New(nil)
		runs, err := seededRuns(cfg, lanes, func() (compute.Backend, error) { return b, nil })
		if err != nil {
			t.Fatal(err)
		}
		st, err := newStack(runs, b)
		if err != nil {
			t.Fatal(err)
		}
		st.device = mode == 1
		B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
		in := st.model.Inputs(B, T)
		srcs := make([]source, lanes)
		its := make([]*item, lanes)
		for k, r := range runs {
			srcs[k] = r.startSource(B, T)
		}
		for range steps {
			for k, s := range srcs {
				its[k] = s.next()
			}
			st.step(its, in)
			for k, s := range srcs {
				s.release(its[k])
			}
		}
		for _, s := range srcs {
			s.stop()
		}
		p := st.model.Params()[0]
		weights[mode] = make([]float32, lanes*p.Rows*p.Cols)
		st.e.Download(weights[mode], p.Value)
		st.free()
	}
	if !slices.Equal(weights[0], weights[1]) {
		t.Error("lane-by-lane loading trains other weights than the interleaved upload")
	}
}

// A lane that cannot start with the others (a resumed run at another step, a directory that
// holds a run already) is refused before any lane's directory is written, so that the runs
// can still be trained one by one.
func TestStackedRefusedBeforeWriting(t *testing.T) {
	cfgs := stackConfigs(t)
	resumed := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := Train(ctx, resumed, cfgs[1], Options{Progress: &cancelAt{k: 9, cancel: cancel}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	cancel()
	for name, tc := range map[string]struct {
		second StackedRun
		want   error
	}{
		"resumed at step 9": {StackedRun{Dir: resumed}, ErrNotStackable},
		"existing run":      {StackedRun{Dir: resumed, Config: &cfgs[1]}, ErrRunExists},
	} {
		fresh := t.TempDir()
		_, err := TrainStacked(context.Background(), []StackedRun{{Dir: fresh, Config: &cfgs[0]}, tc.second}, cpu.New(nil), "test")
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
		if ents, _ := os.ReadDir(fresh); len(ents) != 0 {
			t.Errorf("%s: the new lane's directory holds %d entries", name, len(ents))
		}
		if _, err := Train(context.Background(), fresh, cfgs[0], Options{}); err != nil {
			t.Errorf("%s: the new run cannot train alone afterwards: %v", name, err)
		}
	}
}

// TestLaneGroupSize checks GRIDCELLS_LANE_GROUP's parsing: unset or a count of lanes, and a
// clear error naming the variable otherwise.
func TestLaneGroupSize(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want int
		ok   bool
	}{{"", 0, true}, {"8", 8, true}, {"0", 0, true}, {"-1", 0, false}, {"eight", 0, false}} {
		t.Setenv(envLaneGroup, tc.v)
		n, err := laneGroupSize()
		if (err == nil) != tc.ok || n != tc.want {
			t.Errorf("%s=%q: %d, %v", envLaneGroup, tc.v, n, err)
		}
		if err != nil && !strings.Contains(err.Error(), envLaneGroup) {
			t.Errorf("%s=%q: the error %q does not name the variable", envLaneGroup, tc.v, err)
		}
	}
}

// A nil backend is the runs' training.device's, as for Train.
func TestStackedNilBackend(t *testing.T) {
	cfgs := stackConfigs(t)[:2]
	runs := make([]StackedRun, len(cfgs))
	for i := range cfgs {
		cfgs[i].Training.Device = "cpu"
		cfgs[i].Training.NEpochs = 1
		runs[i] = StackedRun{Dir: t.TempDir(), Config: &cfgs[i]}
	}
	res, err := TrainStacked(context.Background(), runs, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || !strings.HasPrefix(string(r.Summary.Backend), "cpu") {
			t.Errorf("lane %d: %v, backend %q; want a cpu run", i, r.Err, r.Summary.Backend)
		}
	}
}
