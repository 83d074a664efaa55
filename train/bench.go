package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/sim"
)

// BenchResult holds median times of one training step, in milliseconds (means where the
// clock is too coarse for the median: see Bench).
type BenchResult struct {
	Steps   int    `json:"steps"`
	Backend string `json:"backend"`
	// Batches says where batches are made: "host" (walk and codes on the CPU), "gpu" (Philox
	// walk and codes on the GPU) or "host walk, gpu codes" (devicegen.go).
	Batches string `json:"batches"`
	// StepMS is the model's forward and backward pass plus the optimizer update on a batch
	// made beforehand, with the upload of what the host made (the targets, for host batches).
	StepMS float64 `json:"step_ms"`
	// BatchMS is making one batch (trajectories, initial code, targets): on the host, or on
	// the GPU (waited for), with the upload of the host walk's positions.
	BatchMS float64 `json:"batch_ms"`
	// StepWithBatchMS is a batch made and then a step on it, one after the other.
	StepWithBatchMS float64 `json:"step_with_batch_ms"`
	// PipelinedStepMS is a step of the training loop, whose producer goroutine makes the
	// next batch while the step runs (host batch making included, overlapped): the mean of
	// steps consecutive steps, run as the loop runs them (on a GPU, each waits for its loss
	// but not for its update).
	PipelinedStepMS float64 `json:"pipelined_step_ms"`
}

// Bench times training steps of cfg's model and batches on opt's backend: steps timed
// repetitions of each measurement after one untimed warm-up, and their median (their mean
// where the clock is too coarse for it, typicalTime). It does not write anything.
// A cancelled ctx stops it between steps with ctx.Err() (an LSTM's bench takes a minute on
// a laptop).
func Bench(ctx context.Context, cfg config.Config, steps int, opt Options) (BenchResult, error) {
	r, err := newRun("", cfg, opt)
	if err != nil {
		return BenchResult{}, err
	}
	defer r.release()
	B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
	np := r.code.Np()
	gen, err := sim.New(r.simP, rand.NewPCG(cfg.Seed, streamTrajectory))
	if err != nil {
		return BenchResult{}, err
	}
	in := r.model.Inputs(B, T)
	it := &item{sb: sim.NewBatch(B, T), nb: nn.Batch{B: B, T: T, InitCode: make([]float32, B*np), Targets: make([]float32, T*B*np)}}
	res := BenchResult{Steps: steps, Backend: r.b.Name(), Batches: r.batchesMade()}
	// A GPU backend queues its work and returns: wait for it, so that each timing holds
	// whole batches and steps.
	var batch, step func()
	switch {
	case r.dev == nil:
		batch = func() { gen.Next(it.sb); EncodeBatch(r.code, it.sb, &it.nb) }
		step = func() { r.trainStep(it); compute.Synchronize(r.b) }
	case r.dev.walk:
		batch = func() { it.index = gen.SkipBatch(); r.dev.load(it, in); compute.Synchronize(r.b) }
		step = func() { r.stepLoaded(); compute.Synchronize(r.b) }
	default:
		batch = func() { gen.Next(it.sb); r.dev.load(it, in); compute.Synchronize(r.b) }
		step = func() { r.stepLoaded(); compute.Synchronize(r.b) }
	}
	tick := float64(clockTick().Nanoseconds()) / 1e6
	median := func(f func()) float64 {
		f()
		ts := make([]float64, steps)
		all := time.Now()
		for i := range ts {
			if ctx.Err() != nil {
				return math.NaN()
			}
			t0 := time.Now()
			f()
			ts[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
		}
		return typicalTime(ts, float64(time.Since(all).Nanoseconds())/1e6/float64(steps), tick)
	}
	res.BatchMS = median(batch)
	res.StepMS = median(step)
	res.StepWithBatchMS = median(func() { batch(); step() })
	if err := ctx.Err(); err != nil {
		return BenchResult{}, err
	}
	src := r.startSource(B, T)
	defer src.stop()
	f := r.feed(src)
	loopStep := func() { r.loopStep(f, true, nil) }
	// The training loop waits for each step's loss, not for its update (nn.Model.StartStep),
	// and loads the next batch before that wait (batchFeed): on a GPU the next step is queued
	// while the update runs. So the loop's steps are timed as it runs them, back to back, with
	// one wait at the end, and averaged.
	loopStep()
	compute.Synchronize(r.b)
	t0 := time.Now()
	for range steps {
		if ctx.Err() != nil {
			break
		}
		loopStep()
	}
	compute.Synchronize(r.b)
	if err := ctx.Err(); err != nil {
		return BenchResult{}, err
	}
	res.PipelinedStepMS = float64(time.Since(t0).Nanoseconds()) / 1e6 / float64(steps)
	return res, nil
}

// LanesResult is the throughput of several networks trained at once in one process, each
// on its own backend (on a GPU: its own CUDA stream, so their kernels overlap).
type LanesResult struct {
	Lanes int `json:"lanes"`
	// Mode is "streams" (BenchLanes: a backend per lane) or "ensemble" (BenchStacked).
	Mode string `json:"mode"`
	// Batches says where the lanes' batches are made, as BenchResult.Batches does.
	Batches string `json:"batches"`
	Steps   int    `json:"steps"` // timed steps of each network
	Backend string `json:"backend"`
	// WallS is the time for every lane to run its steps, from a common start.
	WallS float64 `json:"wall_s"`
	// LaneStepMS is WallS/Steps: how long one step of each network takes while all run.
	LaneStepMS float64 `json:"lane_step_ms"`
	// NetworkStepMS is WallS/(Steps·Lanes): the device time per step of one network.
	NetworkStepMS float64 `json:"network_step_ms"`
	// StepsPerSecond counts the steps of all lanes together.
	StepsPerSecond float64 `json:"steps_per_second"`
	// NetworksPerHour is how many runs of RunSteps steps an hour trains at this rate.
	NetworksPerHour float64 `json:"networks_per_hour"`
	RunSteps        int     `json:"run_steps"`
}

// BenchLanes trains lanes copies of cfg's network (seeds cfg.Seed, cfg.Seed+1, …) at once,
// each in its own goroutine with its own backend from newBackend, its own trajectory
// producer and optimizer, as a sweep of same-shape runs would. After two untimed warm-up
// steps per lane, all lanes start together and run steps pipelined training steps.
// runSteps (e.g. 200,000 for an NFL run) only scales NetworksPerHour. A cancelled ctx stops
// the lanes after their current step and returns ctx's error. The backends newBackend
// returns are the caller's to close.
func BenchLanes(ctx context.Context, cfg config.Config, steps, lanes, runSteps int, newBackend func() (compute.Backend, error)) (LanesResult, error) {
	if lanes < 1 || steps < 1 {
		return LanesResult{}, fmt.Errorf("train: BenchLanes: lanes %d and steps %d must be ≥ 1", lanes, steps)
	}
	B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
	runs, err := seededRuns(cfg, lanes, newBackend)
	if err != nil {
		return LanesResult{}, err
	}
	defer releaseAll(runs) // after the sources stop (deferred below)
	feeds := make([]*batchFeed[[]byte], lanes)
	for i, r := range runs {
		src := r.startSource(B, T)
		defer src.stop()
		feeds[i] = r.feed(src)
	}
	// A lane's step as its training loop runs it, the next batch loaded during it.
	step := func(i int) { runs[i].loopStep(feeds[i], true, nil) }
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(lanes)
	done.Add(lanes)
	for i := range runs {
		go func() {
			defer done.Done()
			step(i)
			step(i)
			compute.Synchronize(runs[i].b)
			ready.Done()
			<-start
			for range steps {
				if ctx.Err() != nil {
					break
				}
				step(i)
			}
			compute.Synchronize(runs[i].b)
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	if err := ctx.Err(); err != nil {
		return LanesResult{}, err
	}
	wall := time.Since(t0).Seconds()
	res := lanesResult("streams", lanes, steps, runSteps, runs[0].b.Name(), wall)
	res.Batches = runs[0].batchesMade()
	return res, nil
}

// releaseAll releases every run of runs (run.release), the nil ones of a half-built set
// left out.
func releaseAll(runs []*run) {
	for _, r := range runs {
		if r != nil {
			r.release()
		}
	}
}

// seededRuns builds lanes runs of cfg with seeds cfg.Seed, cfg.Seed+1, …, each on the
// backend newBackend returns for it, for the lanes benchmarks and tests.
func seededRuns(cfg config.Config, lanes int, newBackend func() (compute.Backend, error)) ([]*run, error) {
	runs := make([]*run, lanes)
	for i := range runs {
		b, err := newBackend()
		if err != nil {
			return nil, err
		}
		c := cfg
		c.Seed = cfg.Seed + uint64(i)
		if runs[i], err = newRun("", c, Options{Backend: b}); err != nil {
			releaseAll(runs)
			return nil, err
		}
	}
	return runs, nil
}

func lanesResult(mode string, lanes, steps, runSteps int, backend string, wall float64) LanesResult {
	res := LanesResult{Lanes: lanes, Mode: mode, Steps: steps, Backend: backend, WallS: wall,
		LaneStepMS: 1000 * wall / float64(steps), NetworkStepMS: 1000 * wall / float64(steps*lanes),
		StepsPerSecond: float64(steps*lanes) / wall, RunSteps: runSteps}
	res.NetworksPerHour = 3600 * res.StepsPerSecond / float64(runSteps)
	return res
}

// BenchStacked trains lanes copies of cfg's network (seeds cfg.Seed, cfg.Seed+1, …) as one
// ensemble on b (TrainStacked's step: each lane's batch from its own producer, loaded, then
// one ensemble step and update), and reports their joint throughput like BenchLanes. After
// two untimed warm-up steps it times steps steps. cfg must be a StackKey config (no dropout).
// A cancelled ctx stops it after the current step with ctx's error.
func BenchStacked(ctx context.Context, cfg config.Config, steps, lanes, runSteps int, b compute.Backend) (LanesResult, error) {
	bs, err := newBenchStack(cfg, steps, lanes, b)
	if err != nil {
		return LanesResult{}, err
	}
	defer bs.close()
	bs.step()
	bs.step()
	compute.Synchronize(b)
	t0 := time.Now()
	for range steps {
		if err := ctx.Err(); err != nil {
			return LanesResult{}, err
		}
		bs.step()
	}
	compute.Synchronize(b)
	res := lanesResult("ensemble", lanes, steps, runSteps, bs.st.e.Name(), time.Since(t0).Seconds())
	res.Batches = bs.st.lanes[0].batchesMade()
	return res, nil
}

// benchStack is an ensemble of lanes copies of a config with a batch source per lane, for
// BenchStacked and ProfileStacked.
type benchStack struct {
	st    *stack
	srcs  []source
	feed  *batchFeed[[][]byte]
	close func()
}

func newBenchStack(cfg config.Config, steps, lanes int, b compute.Backend) (*benchStack, error) {
	if lanes < 1 || steps < 1 {
		return nil, fmt.Errorf("train: ensemble benchmark: lanes %d and steps %d must be ≥ 1", lanes, steps)
	}
	if _, err := StackKey(cfg); err != nil {
		return nil, err
	}
	B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
	runs, err := seededRuns(cfg, lanes, func() (compute.Backend, error) { return b, nil })
	if err != nil {
		return nil, err
	}
	bs := &benchStack{srcs: make([]source, lanes)}
	for i, r := range runs {
		bs.srcs[i] = r.startSource(B, T)
	}
	stop := func() {
		for _, s := range bs.srcs {
			s.stop()
		}
	}
	st, err := newStack(runs, b)
	if err != nil {
		stop()
		releaseAll(runs)
		return nil, err
	}
	bs.st, bs.feed = st, st.feed(bs.srcs, st.model.Inputs(B, T))
	bs.close = func() { stop(); st.free(); releaseAll(runs) }
	return bs, nil
}

// step runs one ensemble step of the training loop on the next batch of every lane, loading
// the lanes' following batches during it, as the loop does.
func (bs *benchStack) step() { bs.st.loopStep(bs.feed, true, nil) }

// ProfileResult is where the device time of a training step goes (compute.Profiler), per
// step: ProfileSteps and ProfileStacked.
type ProfileResult struct {
	Steps   int    `json:"profile_steps"`
	Backend string `json:"backend"`
	// SpanMS is the device time from the first operation's start to the last's end, per
	// step; BusyMS the sum of the operations' times. Their difference is the device's idle
	// time between operations (waiting for the host).
	SpanMS float64     `json:"span_ms_per_step"`
	BusyMS float64     `json:"busy_ms_per_step"`
	Ops    []ProfileOp `json:"ops"`
}

// ProfileOp is one kind of operation in a ProfileResult, per step.
type ProfileOp struct {
	Op    string  `json:"op"`
	Count float64 `json:"count_per_step"`
	MS    float64 `json:"ms_per_step"`
	Share float64 `json:"share_of_busy"`
}

// ProfileSteps times the device work of steps pipelined training steps of cfg on opt's
// backend, which must be a compute.Profiler (the GPU), after one untimed step.
func ProfileSteps(ctx context.Context, cfg config.Config, steps int, opt Options) (ProfileResult, error) {
	r, err := newRun("", cfg, opt)
	if err != nil {
		return ProfileResult{}, err
	}
	defer r.release()
	B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
	src := r.startSource(B, T)
	defer src.stop()
	f := r.feed(src)
	return profileSteps(ctx, r.b, steps, func() { r.loopStep(f, true, nil) })
}

// ProfileStacked is ProfileSteps for lanes copies of cfg trained as one ensemble on b.
func ProfileStacked(ctx context.Context, cfg config.Config, steps, lanes int, b compute.Backend) (ProfileResult, error) {
	bs, err := newBenchStack(cfg, steps, lanes, b)
	if err != nil {
		return ProfileResult{}, err
	}
	defer bs.close()
	return profileSteps(ctx, bs.st.e, steps, bs.step)
}

func profileSteps(ctx context.Context, b compute.Backend, steps int, step func()) (ProfileResult, error) {
	p, ok := b.(compute.Profiler)
	if !ok {
		return ProfileResult{}, fmt.Errorf("train: the %s backend cannot profile (a GPU can)", b.Name())
	}
	if steps < 1 {
		return ProfileResult{}, fmt.Errorf("train: profile of %d steps; want ≥ 1", steps)
	}
	step()
	compute.Synchronize(b)
	if err := p.StartProfile(); err != nil {
		return ProfileResult{}, err
	}
	for range steps {
		if ctx.Err() != nil {
			break
		}
		step()
	}
	ops, span, err := p.StopProfile() // also after a cancel: the profiler must be stopped
	if err := ctx.Err(); err != nil {
		return ProfileResult{}, err
	}
	if err != nil {
		return ProfileResult{}, err
	}
	n := float64(steps)
	res := ProfileResult{Steps: steps, Backend: b.Name(), SpanMS: span / n}
	for _, o := range ops {
		res.BusyMS += o.MS / n
	}
	for _, o := range ops {
		op := ProfileOp{Op: o.Op, Count: float64(o.Count) / n, MS: o.MS / n}
		if res.BusyMS > 0 {
			op.Share = op.MS / res.BusyMS
		}
		res.Ops = append(res.Ops, op)
	}
	return res, nil
}

// typicalTime returns the median of the times ts (sorting them), or their mean, timed as one
// span, when the clock's tick is over a twentieth of the median. A clock that moves in steps
// near the time measured (Windows' moves every 0.5 to 15.6 ms) makes each time a multiple of
// its tick, and their median one of them: a 40 ms step measures 31 or 47 ms, or 0 for a
// step under a tick. The mean over the whole span is not quantised that way.
func typicalTime(ts []float64, mean, tick float64) float64 {
	slices.Sort(ts)
	n := len(ts)
	med := ts[n/2]
	if n%2 == 0 {
		med = (ts[n/2-1] + ts[n/2]) / 2
	}
	if med < 20*tick {
		return mean
	}
	return med
}

// clockTick returns the smallest of ten steps time.Now was seen to take, from one change of
// its reading to the next: well under a microsecond on Linux and macOS, 0.5 to 15.6 ms on
// Windows.
func clockTick() time.Duration {
	next := func(t0 time.Time) time.Time {
		t := time.Now()
		for t.Sub(t0) == 0 {
			t = time.Now()
		}
		return t
	}
	t0 := next(time.Now()) // at a change, so that the first step is a whole one
	tick := time.Duration(math.MaxInt64)
	for range 10 {
		t1 := next(t0)
		tick, t0 = min(tick, t1.Sub(t0)), t1
	}
	return tick
}
