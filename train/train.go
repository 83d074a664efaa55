package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/compute/cuda"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/internal/flock"
	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/optim"
	"github.com/gridcells/gridcells/sim"
)

// PCG streams of the run's random sources: each consumer of the seed gets its own stream,
// so that changing how one of them draws leaves the others' draws unchanged. (The code's
// centres use encode.StreamCentres.)
const (
	streamTrajectory  = 0x7472616a6563 // "trajec": training batches
	streamModel       = 0x6d6f64656c   // "model": initial weights, then dropout masks
	streamEval        = 0x6576616c     // "eval": the batch of each evaluated step
	streamFinalEval   = 0x6e666c       // "nfl": the post-training batch (spec §4.3)
	streamUnits       = 0x756e697473   // "units": units analysed per scorer
	streamTrackScores = 0x7363         // "sc": the batch whose rate maps are scored at every evaluated step
)

// Errors returned when a run directory is in the wrong state for the request.
var (
	// ErrRunExists: Train was given a directory that already holds a run.
	ErrRunExists = errors.New("the directory already holds a run (resume it, or choose another directory)")
	// ErrFinished: the run in the directory has finished; it is never overwritten.
	ErrFinished = errors.New("the run in the directory has finished")
	// ErrNoRun: the directory holds no run to resume or evaluate.
	ErrNoRun = errors.New("the directory holds no run")
	// ErrCodeChanged: the target code that the run's config builds now differs from the one
	// the run was trained with (its place-cell centres are drawn from the seed by package
	// encode, so a change there changes them); resuming or evaluating would be silently wrong.
	ErrCodeChanged = errors.New("the target code built from the run's config differs from the one it was trained with (was it trained by another gridcells version?)")
	// ErrBusy: another process (or another call here) is training or evaluating the run.
	ErrBusy = errors.New("another process is training or evaluating the run")
)

// LockFile is the file lock (internal/flock: flock(2), LockFileEx on Windows) a process
// holds on a run directory while it trains or evaluates it: two trainings of one run would
// interleave their metrics lines and checkpoints, and two evaluations share the staging
// directory. (Package sweep's workers hold ".lock" around the train process they start, so
// this is another file.)
const LockFile = ".train.lock"

// lockRun takes the run directory's lock; ErrBusy when another holder has it.
func lockRun(dir string) (*flock.Lock, error) {
	l, err := flock.TryLock(filepath.Join(dir, LockFile))
	if errors.Is(err, flock.ErrBusy) {
		return nil, fmt.Errorf("train: %s: %w", dir, ErrBusy)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return l, nil
}

// releaseOnError releases the run (release) when *err is set: deferred by the functions
// that make or lock a run and hand it to their caller only on success.
func (r *run) releaseOnError(err *error) {
	if *err != nil {
		r.release()
	}
}

// release lets go of what a run holds, once the work with it is done: the run directory's
// lock, the tensors of its model, optimizer and device batches (on a GPU, memory that the
// garbage collector does not see, and that would stay taken while any backend on the
// device lives), and, when the run made its backend itself, the backend (its stream,
// handles and retain of the device's context: cuda.Backend.Close). A second call does
// nothing. The run must not be used after.
func (r *run) release() {
	r.unlock()
	if !r.released {
		r.released = true
		if d := r.dev; d != nil {
			d.gen.Free()
			d.b.Free(d.pos)
			d.b.Free(d.initPos)
		}
		if r.optim != nil {
			r.optim.Free()
		}
		if r.model != nil {
			r.model.Free()
		}
	}
	if r.ownsBackend {
		r.ownsBackend = false
		CloseBackend(r.b) // the work is done: a failure to release leaves only the process to lose
	}
}

// makeBackend is NewBackend for the backends this package makes itself (a nil
// Options.Backend, LoadModel, TrainStacked), which it must close; tests count the Closes.
var makeBackend = NewBackend

// CloseBackend closes b when it has a Close (compute.Backend has none; a GPU backend,
// cuda.Backend, does) and returns its error; nil for a backend without one.
func CloseBackend(b compute.Backend) error {
	if c, ok := b.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// unlock releases the run directory's lock, if r holds it.
func (r *run) unlock() {
	if r.lock != nil {
		r.lock.Unlock()
		r.lock = nil
	}
}

// Progress receives the loop's progress. Calls come from the training goroutine and must
// return quickly; an implementation throttles its own output.
type Progress interface {
	// Step is called after every gradient step.
	Step(s Status)
	// Stage is called when the run enters a phase other than training steps, e.g.
	// "evaluating" or "scoring".
	Stage(what string)
}

// Status describes the run after one gradient step.
type Status struct {
	Step, Total    int
	Loss           float64       // training loss of this step (data term plus weight decay)
	StepsPerSecond float64       // moving average over the recent steps of this session
	Elapsed        time.Duration // training time so far, summed over resumed sessions
	Eval           *EvalPoint    // set when the network was evaluated at this step
}

// EvalPoint is one evaluation on a fresh batch.
type EvalPoint struct {
	Loss            float64
	DecodingErrorCM float64 // mean distance between decoded and true position, cm (spec §2.3)
	// Scored reports that the units' grid scores were measured (eval.track_scores): the
	// best score60 of the analysed units (NaN when none has a score) and the fraction of
	// them above 0.3.
	Scored                  bool
	MaxScore60, FracAbove03 float64
}

// Options are the run's settings that are not part of its config.
type Options struct {
	// Backend runs the model; nil means NewBackend(cfg.Training.Device), made for the call and
	// closed when it returns. A backend given here is the caller's to close.
	Backend compute.Backend
	// Progress receives progress; nil means none.
	Progress Progress
	// Version is the gridcells version recorded in config.json.
	Version string
	// lane describes the run's place in an ensemble (TrainStacked), for config.json and
	// summary.json; "" for a run trained alone.
	lane string
	// evalOnly: the run is opened to be evaluated, not trained (loadForEval), so only the
	// evaluation's memory is checked (checkMemory).
	evalOnly bool
}

// ErrDeviceUnavailable: the device training.device names cannot be opened here.
var ErrDeviceUnavailable = errors.New("device not available on this machine")

// NewBackend returns the compute backend for a training.device value, and a line for the
// user that says which it chose and why:
//   - "cpu": the float32 CPU backend (compute/cpu, with its default SGEMM);
//   - "cuda", "cuda-tf32": the CUDA backend on GPU 0 (compute/cuda), in full float32 or with
//     TF32 tensor-core products; an error when no GPU or library is found;
//   - "auto" (or ""): CUDA in full float32 when it is available, else the CPU.
//
// A device this machine cannot open (no CUDA driver, no GPU) is ErrDeviceUnavailable; a
// value that names no device is a *config.ConfigError. The caller owns the backend and
// closes it with CloseBackend when done: a CUDA one then gives back its stream, handles and
// retain of the device's context (cuda.Backend.Close). A cuda.New that fails under "auto"
// has released what it made before the fallback to the CPU.
func NewBackend(device string) (compute.Backend, string, error) {
	switch device {
	case "cpu":
		return cpu.New(nil), "cpu (training.device cpu)", nil
	case "cuda", "cuda-tf32":
		b, err := cuda.New(&cuda.Settings{TF32: device == "cuda-tf32"})
		if err != nil {
			// Not a bad value: the config is fine, this machine lacks the GPU or its libraries.
			return nil, "", fmt.Errorf("training.device %s: %w: %v", device, ErrDeviceUnavailable, err)
		}
		return b, fmt.Sprintf("%s on %s", b.Name(), b.Info()), nil
	case "", "auto":
		if err := cuda.Available(); err != nil {
			// On a machine without NVIDIA's driver this is the normal case: say so briefly
			// (training.device cuda gives the full error with every path tried).
			var le *cuda.LibraryError
			if errors.As(err, &le) && le.Symbol == "" {
				return cpu.New(nil), fmt.Sprintf("cpu (auto: %s not found)", le.Library), nil
			}
			return cpu.New(nil), fmt.Sprintf("cpu (auto: no GPU: %v)", err), nil
		}
		b, err := cuda.New(nil)
		if err != nil {
			return cpu.New(nil), fmt.Sprintf("cpu (auto: the GPU failed to start: %v)", err), nil
		}
		return b, fmt.Sprintf("%s on %s (auto)", b.Name(), b.Info()), nil
	default:
		return nil, "", &config.ConfigError{Key: "training.device", Err: fmt.Errorf("%w: %q; allowed: auto, cpu, cuda, cuda-tf32", config.ErrBadValue, device)}
	}
}

// run is one training run in memory.
type run struct {
	dir   string
	cfg   config.Config
	opt   Options
	b     compute.Backend
	code  encode.Code
	simP  sim.Params
	ncfg  nn.Config
	gen   *sim.Generator
	msrc  *rand.PCG // the model's source: initial weights, then dropout masks
	model *nn.Model
	optim *optim.Optimizer
	dev   *deviceBatches // batches made on the GPU (devicegen.go); nil: on the host
	// batchNote says why batches are made on the host although the GPU could make them.
	batchNote string
	lock      *flock.Lock // the run directory's, while this process trains or evaluates it
	// ownsBackend: newRun made b (Options.Backend was nil), so release closes it.
	ownsBackend bool
	released    bool // release has freed the run's tensors

	step      int
	elapsed   time.Duration // training time of earlier sessions
	lossSum   float64       // training losses since the last metrics line
	lossCount int
	genState  []byte // trajectory generator state that produces the next unconsumed batch
}

// newRun builds every part of a run from its config, seeded as a fresh run.
//
// A run that made its backend owns it: every path that ends with the run calls release, and
// a newRun that fails has closed it.
func newRun(dir string, cfg config.Config, opt Options) (_ *run, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{dir: dir, cfg: cfg, opt: opt, b: opt.Backend}
	if r.b == nil {
		b, _, err := makeBackend(cfg.Training.Device)
		if err != nil {
			return nil, err
		}
		r.b, r.ownsBackend = b, true
	}
	defer r.releaseOnError(&err) // every return below sets err (a named result)
	if err := checkMemory(cfg, r.b.Name(), !opt.evalOnly); err != nil {
		return nil, err
	}
	if r.code, err = encode.ForRun(cfg); err != nil {
		return nil, err
	}
	if r.simP, err = sim.FromConfig(cfg.Trajectory); err != nil {
		return nil, err
	}
	if r.gen, err = sim.New(r.simP, rand.NewPCG(cfg.Seed, streamTrajectory)); err != nil {
		return nil, err
	}
	if r.ncfg, err = nn.FromConfig(&cfg); err != nil {
		return nil, err
	}
	r.msrc = rand.NewPCG(cfg.Seed, streamModel)
	if r.model, err = nn.New(r.b, r.ncfg, rand.New(r.msrc)); err != nil {
		return nil, err
	}
	s, err := optim.FromConfig(&cfg)
	if err != nil {
		return nil, err
	}
	if r.optim, err = optim.New(r.b, r.model.Params(), s); err != nil {
		return nil, err
	}
	if r.genState, err = r.gen.MarshalBinary(); err != nil {
		return nil, err
	}
	if r.dev, err = newDeviceBatches(r); err != nil {
		// The run can still train with host batches: say so instead of failing.
		r.dev, r.batchNote = nil, fmt.Sprintf("batches on the host: %v", err)
	}
	return r, nil
}

// openRun is newRun for a run directory that already holds config.json (info): it refuses to
// go on when the target code no longer matches the one the run was trained with.
func openRun(dir string, cfg config.Config, info RunInfo, opt Options) (*run, error) {
	r, err := newRun(dir, cfg, opt)
	if err != nil {
		return nil, err
	}
	if err := checkCode(dir, info, r.code, cfg.Trajectory); err != nil {
		r.release()
		return nil, err
	}
	return r, nil
}

// Train starts a new run of cfg in dir (created if needed) and runs it to the end: training,
// checkpoints, and the post-training evaluation. dir must not hold a run already. When ctx
// is cancelled, Train saves a checkpoint and returns ctx's error; Resume continues.
func Train(ctx context.Context, dir string, cfg config.Config, opt Options) (*Summary, error) {
	r, err := startRun(dir, cfg, opt)
	if err != nil {
		return nil, err
	}
	defer r.release()
	return r.execute(ctx)
}

// startRun prepares a new run of cfg in dir: it writes config.json, the place-cell centres
// and an empty metrics file, and returns the run at step 0.
func startRun(dir string, cfg config.Config, opt Options) (_ *run, err error) {
	if err := checkNoRun(dir); err != nil {
		return nil, err
	}
	r, err := newRun(dir, cfg, opt)
	if err != nil {
		return nil, err
	}
	defer r.releaseOnError(&err) // every return below sets err (a named result)
	if err := os.MkdirAll(filepath.Join(dir, checkpointDir), 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if r.lock, err = lockRun(dir); err != nil {
		return nil, err
	}
	// Another process may have started the run between checkNoRun and the lock.
	if err = checkNoRun(dir); err != nil {
		return nil, err
	}
	// The centres first: config.json marks the directory as a run, which a resume reopens.
	if err := r.writeCentres(); err != nil {
		return nil, err
	}
	if err := writeConfig(dir, cfg, r.backendName(), opt.Version, codeFingerprint(r.code, cfg.Trajectory)); err != nil {
		return nil, err
	}
	if err := truncateMetrics(dir, 0); err != nil {
		return nil, err
	}
	return r, nil
}

// Resume continues the run in dir from its latest checkpoint (from the start when it was
// stopped before its first checkpoint) with the config saved in dir. Metrics lines written
// after that checkpoint are dropped. The final weights are bit-identical to those of an
// uninterrupted run on the same backend.
func Resume(ctx context.Context, dir string, opt Options) (*Summary, error) {
	r, err := reopenRun(dir, opt)
	if err != nil {
		return nil, err
	}
	defer r.release()
	return r.execute(ctx)
}

// CheckStart reports, without writing anything, why Train (resume false) or Resume (resume
// true) would refuse dir: ErrRunExists or ErrFinished for a new run, ErrFinished for a
// resumed one; nil when it would go on. Commands call it before they open a device.
func CheckStart(dir string, resume bool) error {
	if resume {
		return checkUnfinished(dir)
	}
	return checkNoRun(dir)
}

// checkNoRun refuses a directory that holds a run already (ErrFinished or ErrRunExists).
func checkNoRun(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, configFile)); err == nil {
		if err := checkUnfinished(dir); err != nil {
			return err
		}
		return fmt.Errorf("train: %s: %w", dir, ErrRunExists)
	}
	return nil
}

// checkUnfinished refuses a run that has finished (ErrFinished).
func checkUnfinished(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, summaryFile)); err == nil {
		return fmt.Errorf("train: %s: %w", dir, ErrFinished)
	}
	return nil
}

// reopenRun loads the unfinished run in dir at its latest checkpoint.
func reopenRun(dir string, opt Options) (_ *run, err error) {
	cfg, info, err := loadRunInfo(dir)
	if err != nil {
		return nil, err
	}
	if err := checkUnfinished(dir); err != nil {
		return nil, err
	}
	r, err := openRun(dir, cfg, info, opt)
	if err != nil {
		return nil, err
	}
	defer r.releaseOnError(&err) // every return below sets err (a named result)
	if r.lock, err = lockRun(dir); err != nil {
		return nil, err
	}
	// It may have finished in the process that held the lock until now.
	if err = checkUnfinished(dir); err != nil {
		return nil, err
	}
	if err = os.MkdirAll(filepath.Join(dir, checkpointDir), 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	// A process killed while writing left its temporary files (a whole checkpoint, for
	// latest.npz); holding the run's lock, no writer of the checkpoints is at work.
	safefile.RemoveTemporaries(filepath.Join(dir, checkpointDir))
	// Runs written before the centres came first may lack them after a kill.
	if _, serr := os.Stat(filepath.Join(dir, centresFile)); errors.Is(serr, os.ErrNotExist) {
		if err = r.writeCentres(); err != nil {
			return nil, err
		}
	}
	if _, serr := os.Stat(filepath.Join(dir, latestFile)); serr == nil {
		if err = r.restore(filepath.Join(dir, latestFile)); err != nil {
			return nil, err
		}
	}
	if err = truncateMetrics(dir, r.step); err != nil {
		return nil, err
	}
	return r, nil
}

// writeCentres writes the place-cell centres (Np×F×2, m) for analyses outside gridcells;
// the run itself redraws them from the seed. Codes without centres write nothing.
func (r *run) writeCentres() error {
	if xy, f := r.code.Centres(); xy != nil {
		return npyio.WriteFile(filepath.Join(r.dir, centresFile), npyio.NewFloat32(xy, r.code.Np(), f, 2))
	}
	return nil
}

// execute runs the remaining steps, the final checkpoint and the evaluation.
func (r *run) execute(ctx context.Context) (*Summary, error) {
	if r.batchNote != "" && r.opt.Progress != nil {
		r.opt.Progress.Stage(r.batchNote)
	}
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	if err := r.saveFinal(); err != nil {
		return nil, err
	}
	return r.evaluate(ctx, r.dir)
}

// backendName is the backend the run trains on, as config.json and summary.json record it.
func (r *run) backendName() string {
	if r.opt.lane != "" {
		return r.b.Name() + " (" + r.opt.lane + ")"
	}
	return r.b.Name()
}

// evalEvery and checkpointEvery resolve the "0 = end of each epoch" convention.
func evalEvery(t config.Training) int {
	if t.EvalEvery > 0 {
		return t.EvalEvery
	}
	return t.StepsPerEpoch
}

func checkpointEvery(t config.Training) int {
	if t.CheckpointEvery > 0 {
		return t.CheckpointEvery
	}
	return t.StepsPerEpoch
}

// trainStep runs one gradient step on batch it (loaded into the model's inputs, then
// forward, backward, optimizer update) and returns its loss. On an asynchronous backend the
// update may still be queued when it returns.
func (r *run) trainStep(it *item) float64 {
	B, T := r.cfg.Trajectory.BatchSize, r.cfg.Trajectory.SequenceLength
	r.loadBatch(it, r.model.Inputs(B, T), r.b)
	return r.stepLoaded()
}

// stepLoaded runs one gradient step on the batch already in the model's inputs.
func (r *run) stepLoaded() float64 { return r.stepLoadedThen(nil) }

// stepLoadedThen is stepLoaded that runs meanwhile, when not nil, once the step is queued and
// before its loss is waited for (stepThen).
func (r *run) stepLoadedThen(meanwhile func()) float64 {
	loss, _ := stepThen(r.model, r.optim, r.cfg.Trajectory.BatchSize, r.cfg.Trajectory.SequenceLength, meanwhile, nil)
	return loss
}

// stepThen runs one gradient step of m, updated by o, on the B×T batch already in m's
// inputs, and returns its loss. The optimizer update is queued before the loss is waited
// for, so that on a GPU it runs while the host reads the loss and queues the next step
// (nn.Model.StartStep); meanwhile, when not nil, runs between the two: the loop loads the
// next batch then (batchFeed). With stop set, the step is given up, and stepThen returns
// false, when stop reports true before its backward pass ends (nn.Model.StartStepUntil):
// nothing is updated and meanwhile does not run.
func stepThen(m *nn.Model, o *optim.Optimizer, B, T int, meanwhile func(), stop func() bool) (float64, bool) {
	if !m.StartStepUntil(B, T, stop) {
		return 0, false
	}
	o.Step()
	if meanwhile != nil {
		meanwhile()
	}
	return m.FinishStep(), true
}

// feed returns the batch feed of the loop's steps on src's batches (batchFeed).
func (r *run) feed(src source) *batchFeed[[]byte] {
	in := r.model.Inputs(r.cfg.Trajectory.BatchSize, r.cfg.Trajectory.SequenceLength)
	return &batchFeed[[]byte]{load: func() []byte {
		it := src.next()
		r.loadBatch(it, in, r.b)
		state := it.stateAfter // a slice of its own, made by the generator for this batch
		src.release(it)
		return state
	}}
}

// loopStep runs one step of the training loop on f's next batch, loading the batch after it
// meanwhile when ahead is set, and returns its loss and the generator state after its batch.
// When stop (nil: never) gives the step up (stepThen) it returns false, with the model's
// generator put back as it was before the step's dropout masks: the run is then as it was
// after the previous step, whose generator state r.genState still holds, and a run resumed
// from a checkpoint of it trains this step again on the same batch and masks.
func (r *run) loopStep(f *batchFeed[[]byte], ahead bool, stop func() bool) (float64, []byte, bool) {
	state := f.next()
	masks := *r.msrc // PCG's whole state is its value: a copy is a snapshot
	loss, ok := stepThen(r.model, r.optim, r.cfg.Trajectory.BatchSize, r.cfg.Trajectory.SequenceLength, f.during(ahead), stop)
	if !ok {
		*r.msrc = masks
	}
	return loss, state, ok
}

// loop runs gradient steps until the configured total, checkpointing on the way. On
// cancellation it checkpoints the last completed step (a step given up midway is trained
// again on resume) and returns ctx's error.
func (r *run) loop(ctx context.Context) error {
	if r.step >= r.cfg.TotalSteps() {
		return nil
	}
	s, err := r.begin()
	if err != nil {
		return err
	}
	defer s.close()
	prod := r.startSource(s.B, s.T)
	defer prod.stop()
	f := r.feed(prod)
	// A CPU step at paper size takes seconds; Ctrl-C gives it up within a time step of the
	// recurrence rather than waiting for it (loopStep).
	stop := func() bool { return ctx.Err() != nil }
	for r.step < s.total {
		if ctx.Err() != nil {
			return s.cancel(ctx.Err()) // a batch loaded ahead is dropped: the resumed run makes it again
		}
		t0 := time.Now()
		// The next batch is loaded during this step unless this step is the last or evaluates:
		// the evaluation runs the model on a batch of the training shape, in the same inputs.
		next := r.step + 1
		loss, state, ok := r.loopStep(f, next < s.total && next%evalEvery(r.cfg.Training) != 0, stop)
		if !ok {
			return s.cancel(ctx.Err()) // the step given up is trained again by the resumed run
		}
		r.genState = state
		if err := s.record(loss, t0); err != nil {
			return err
		}
	}
	s.end()
	return nil
}

// session is the bookkeeping of one run's training steps in this process: metrics lines,
// evaluations, progress and checkpoints. loop drives one; an ensemble (stack.go) drives one
// per lane.
type session struct {
	r            *run
	B, T, total  int
	metrics      *metricsWriter
	ev           *evaluator
	start        time.Time
	lastLine     time.Time
	lastLineStep int
	rate         rateMeter
	loss         float64   // the last counted step's loss
	now          time.Time // when it was counted
	// sync, when set, brings r.model (with the optimizer state when optimizer is set) up to
	// date before an evaluation or a checkpoint reads it.
	sync func(optimizer bool)
}

// begin opens the run's metrics and evaluator for a session of steps.
func (r *run) begin() (*session, error) {
	metrics, err := openMetrics(r.dir)
	if err != nil {
		return nil, err
	}
	B, T := r.cfg.Trajectory.BatchSize, r.cfg.Trajectory.SequenceLength
	now := time.Now()
	return &session{r: r, B: B, T: T, total: r.cfg.TotalSteps(), metrics: metrics, ev: newEvaluator(r, B, T),
		start: now, lastLine: now, lastLineStep: r.step}, nil
}

func (s *session) close() { s.metrics.Close() }

func (s *session) syncModel(optimizer bool) {
	if s.sync != nil {
		s.sync(optimizer)
	}
}

// cancel checkpoints the run after a cancellation and returns err.
func (s *session) cancel(err error) error {
	r := s.r
	r.elapsed += time.Since(s.start)
	s.syncModel(true)
	if cerr := r.checkpoint(); cerr != nil {
		return cerr
	}
	return err
}

// end adds the session's time to the run's.
func (s *session) end() { s.r.elapsed += time.Since(s.start) }

// record counts one gradient step of loss, started at t0, and does what follows it (see
// after).
func (s *session) record(loss float64, t0 time.Time) error {
	s.count(loss, t0)
	return s.after()
}

// count adds one gradient step of loss, started at t0, to the run's step and accumulators.
func (s *session) count(loss float64, t0 time.Time) {
	r := s.r
	r.step++
	r.lossSum += loss
	r.lossCount++
	s.loss = loss
	s.now = time.Now()
	s.rate.add(s.now.Sub(t0), s.now)
}

// after does what follows the step just counted: at evaluation steps it evaluates and writes
// the metrics line, then it reports progress, and at checkpoint steps it checkpoints.
func (s *session) after() error {
	r, now := s.r, s.now
	st := Status{Step: r.step, Total: s.total, Loss: s.loss, StepsPerSecond: s.rate.perSecond(),
		Elapsed: r.elapsed + now.Sub(s.start)}
	if r.step%evalEvery(r.cfg.Training) == 0 || r.step == s.total {
		s.syncModel(false)
		p := s.ev.at(r.step)
		st.Eval = &p
		line := MetricsLine{
			Step:            r.step,
			Loss:            Number(r.lossSum / float64(r.lossCount)),
			EvalLoss:        Number(p.Loss),
			DecodingErrorCM: Number(p.DecodingErrorCM),
			StepsPerSecond:  Number(float64(r.step-s.lastLineStep) / now.Sub(s.lastLine).Seconds()),
			WallSeconds:     Number(st.Elapsed.Seconds()),
			Time:            now.UTC().Format(time.RFC3339),
		}
		if p.Scored {
			mx, frac := Number(p.MaxScore60), Number(p.FracAbove03)
			line.MaxScore60, line.FracAbove03 = &mx, &frac
		}
		if err := s.metrics.write(line); err != nil {
			return err
		}
		r.lossSum, r.lossCount = 0, 0
		s.lastLine, s.lastLineStep = time.Now(), r.step
	}
	if r.opt.Progress != nil {
		r.opt.Progress.Step(st)
	}
	if r.step%checkpointEvery(r.cfg.Training) == 0 && r.step < s.total {
		// Elapsed is saved as of this step; the session clock keeps running.
		saved := r.elapsed
		r.elapsed += time.Since(s.start)
		s.syncModel(true)
		err := r.checkpoint()
		r.elapsed = saved
		if err != nil {
			return err
		}
	}
	return nil
}

// rateMeter is an exponential moving average of the step rate, for progress display.
type rateMeter struct {
	last time.Time
	ema  float64 // seconds per step
}

func (m *rateMeter) add(_ time.Duration, now time.Time) {
	if !m.last.IsZero() {
		d := now.Sub(m.last).Seconds()
		if m.ema == 0 {
			m.ema = d
		} else {
			m.ema += 0.05 * (d - m.ema)
		}
	}
	m.last = now
}

func (m *rateMeter) perSecond() float64 {
	if m.ema == 0 {
		return math.NaN()
	}
	return 1 / m.ema
}

// evaluator computes EvalPoints on fresh batches of the training shape. The batch of step s
// comes from its own stateless PCG stream, so evaluations do not disturb the training
// stream and need no state in the checkpoint.
type evaluator struct {
	r   *run
	sb  *sim.Batch
	nb  nn.Batch
	out []float32
	// scores measures the units' grid scores (eval.track_scores); nil for none.
	scores *scoreTracker
}

func newEvaluator(r *run, B, T int) *evaluator {
	e := &evaluator{r: r, sb: sim.NewBatch(B, T)} // at's EncodeBatch sizes nb once
	if r.cfg.Eval.TracksScores() && len(r.cfg.Eval.NBins) > 0 {
		e.scores = newScoreTracker(r)
	}
	return e
}

func (e *evaluator) at(step int) EvalPoint {
	g, err := sim.New(e.r.simP, rand.NewPCG(e.r.cfg.Seed^uint64(step)*0x9e3779b97f4a7c15, streamEval))
	if err != nil {
		panic("train: " + err.Error()) // the params were validated when the run was built
	}
	g.Next(e.sb)
	EncodeBatch(e.r.code, e.sb, &e.nb)
	var loss float64
	loss, e.out = e.r.model.Evaluate(e.nb, e.out)
	p := EvalPoint{Loss: loss, DecodingErrorCM: e.r.code.DecodingError(e.out, e.sb.Pos)}
	if e.scores != nil {
		p.Scored = true
		p.MaxScore60, p.FracAbove03 = e.scores.at(e.r)
	}
	return p
}

// scoreTracker scores the analysed units during training (eval.track_scores): the rate maps
// of the first scorer's units at eval.nbins[0], from a batch of the post-training
// evaluation's shape (a training batch of 20 steps leaves most of 44 × 44 bins empty). The
// batch is the same at every step, drawn once from its own stream: a fresh batch per step
// made the curve jump by as much as the batches differ (0.3 in the best score60 from one
// evaluation to the next), where the same trajectories leave only the network's change.
//
// The batch's targets and activations are made anew at each step, not kept: at Ng 4096
// the activations of 200 × 50 steps are 164 MB, and an ensemble has a tracker per lane.
type scoreTracker struct {
	sb     *sim.Batch
	units  []int
	scorer *analysis.Scorer
	nbins  int
}

func newScoreTracker(r *run) *scoreTracker {
	cfg := r.cfg
	n := cfg.Eval.NBins[0]
	method, err := analysis.ParseMethod(cfg.Eval.ScoreMethod)
	if err != nil {
		panic("train: " + err.Error()) // validated with the config
	}
	sc, err := analysis.NewScorer(n, &analysis.Settings{Method: method})
	if err != nil {
		panic("train: " + err.Error()) // validated with the config
	}
	// The units the post-training evaluation scores at nbins[0] (evaluate), or the first
	// maxTrackedUnits of their draw (the same stream's permutation): a subset of them
	// (eval.n_units ≥ 1 is validated).
	units := analysedUnits(r.ncfg.Ng, min(cfg.Eval.NUnits, maxTrackedUnits), rand.New(rand.NewPCG(cfg.Seed, streamUnits)))
	g, err := sim.New(r.simP, rand.NewPCG(cfg.Seed, streamTrackScores))
	if err != nil {
		panic("train: " + err.Error()) // the params were validated when the run was built
	}
	sb := sim.NewBatch(evalBatchShape(cfg))
	g.Next(sb)
	return &scoreTracker{sb: sb, units: units, scorer: sc, nbins: n}
}

// maxTrackedUnits bounds the units scored at each evaluation during training. Scoring takes
// about 0.7 ms a unit at 44 bins on this project's 2-core machine: the 1,024 units NFL's
// evaluation analyses, in each of 64 ensemble lanes, would take a minute per evaluation,
// longer than the thousand GPU steps between two. The best of 256 units is a little below
// the best of 1,024, so first_grid_step can come a little later than with all of them.
const maxTrackedUnits = 256

// at returns the best score60 of the tracked units on r's model now (NaN when none has one) and
// the fraction of them above periodicityThreshold (0.3).
func (t *scoreTracker) at(r *run) (maxScore, frac float64) {
	var nb nn.Batch
	EncodeBatch(r.code, t.sb, &nb)
	_, _, g := r.model.EvaluateGrid(nb, nil, nil)
	maps, err := rateMaps(g, t.sb.Pos, r.ncfg.Ng, t.units, t.nbins, r.cfg.Trajectory.MapSide())
	if err != nil {
		panic("train: " + err.Error()) // the sizes were validated with the config
	}
	scores, err := t.scorer.ScoreAll(context.Background(), maps, 0)
	if err != nil {
		panic("train: " + err.Error()) // only a cancelled context fails it
	}
	return maxScore60(scores), fracAbove(scores, periodicityThreshold)
}
