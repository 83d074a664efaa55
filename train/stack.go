package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cuda"
	"github.com/gridcells/gridcells/compute/ensemble"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/optim"
)

// ErrNotStackable: runs given to TrainStacked cannot be lanes of one ensemble.
var ErrNotStackable = errors.New("the runs cannot be trained as one ensemble")

// stackKey is what the lanes of one ensemble share: the network's shape and every setting
// its weights, its optimizer and the training schedule depend on. Seeds, trajectories,
// target codes (of the same Np) and evaluation settings may differ between lanes.
type stackKey struct {
	Net                         nn.Config
	Optim                       optim.Settings
	B, T                        int
	Total, EvalEvery, CkptEvery int
	Device                      string
}

// StackKey returns a string that is equal for two configs exactly when their runs can be
// lanes of one ensemble (TrainStacked), or an error when cfg cannot be a lane: dropout
// draws one mask per network, which an ensemble does not do.
func StackKey(cfg config.Config) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	net, err := nn.FromConfig(&cfg)
	if err != nil {
		return "", err
	}
	if net.InputDropout > 0 || net.RecurrentDropout > 0 {
		return "", fmt.Errorf("%w: dropout (model.readout_dropout, model.recurrent_dropout) needs a mask per network", ErrNotStackable)
	}
	s, err := optim.FromConfig(&cfg)
	if err != nil {
		return "", err
	}
	k := stackKey{Net: net, Optim: s, B: cfg.Trajectory.BatchSize, T: cfg.Trajectory.SequenceLength,
		Total: cfg.TotalSteps(), EvalEvery: evalEvery(cfg.Training), CkptEvery: checkpointEvery(cfg.Training), Device: cfg.Training.Device}
	b, err := json.Marshal(k)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// StackedRun is one lane of TrainStacked: a new run of Config in Dir, or, when Config is
// nil, the unfinished run in Dir resumed from its latest checkpoint.
type StackedRun struct {
	Dir      string
	Config   *config.Config
	Progress Progress // nil: none
}

// LaneResult is the outcome of one lane of TrainStacked.
type LaneResult struct {
	Summary *Summary
	Err     error
}

// TrainStacked trains runs together as the lanes of one ensemble (package compute/ensemble)
// on the backend b: each step runs every network's forward pass, backward pass and update
// with the launches of one network and batched GEMMs, which is how small networks fill a GPU
// (issue 8). Each run keeps its own seed, trajectory producer, target code, metrics,
// evaluations and checkpoints, and each run directory ends as Train or Resume would leave
// it: on the CPU, with the shapes of the presets (rows of a multiple of 8 values), the
// weights are bit-identical to the run's alone; the logged training losses agree to about
// 1e-15 (see compute/ensemble, Exactness).
//
// The runs must share a StackKey and, when resumed, their step. Before training, every run
// is checked and prepared; an error there (bad config, different keys, a finished run)
// returns with no lane trained. While training, the lanes step together: an error in one
// lane (a failed checkpoint write) stops every lane with a checkpoint, and cancellation
// checkpoints every lane and returns ctx's error. The post-training evaluations run lane by
// lane, each with its own result. A nil b means the backend of the runs' training.device,
// as for Train.
func TrainStacked(ctx context.Context, runs []StackedRun, b compute.Backend, version string) ([]LaneResult, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("train: TrainStacked: no runs")
	}
	if _, ok := b.(*ensemble.Backend); ok {
		return nil, fmt.Errorf("train: TrainStacked: give the inner backend, not an ensemble")
	}
	// Check every config before writing anything.
	cfgs := make([]config.Config, len(runs))
	key := ""
	for i, sr := range runs {
		if sr.Config != nil {
			cfgs[i] = *sr.Config
		} else {
			c, _, err := loadRunInfo(sr.Dir)
			if err != nil {
				return nil, err
			}
			cfgs[i] = c
		}
		k, err := StackKey(cfgs[i])
		if err != nil {
			return nil, fmt.Errorf("train: %s: %w", sr.Dir, err)
		}
		if i == 0 {
			key = k
		} else if k != key {
			return nil, fmt.Errorf("train: %s: %w: its network, optimizer, batch shape or schedule differs from %s's", sr.Dir, ErrNotStackable, runs[0].Dir)
		}
	}
	// Every lane must start at the same step; find out before writing anything.
	first := 0
	for i, sr := range runs {
		step, err := startStep(sr)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = step
		} else if step != first {
			return nil, fmt.Errorf("train: %s: %w: it is at step %d, %s at step %d", sr.Dir, ErrNotStackable, step, runs[0].Dir, first)
		}
	}
	if b == nil { // as Train does: the backend of the runs' training.device (StackKey includes it)
		var err error
		if b, _, err = makeBackend(cfgs[0].Training.Device); err != nil {
			return nil, err
		}
		defer CloseBackend(b) // last: after the lanes and the stack let go of it
	}
	if err := checkStackMemory(cfgs, b.Name()); err != nil {
		return nil, err
	}
	lanes := make([]*run, len(runs))
	defer releaseAll(lanes) // the slice's elements as the loop below fills them in
	for i, sr := range runs {
		opt := Options{Backend: b, Progress: sr.Progress, Version: version,
			lane: fmt.Sprintf("lane %d of an ensemble of %d", i, len(runs))}
		var err error
		if sr.Config != nil {
			lanes[i], err = startRun(sr.Dir, cfgs[i], opt)
		} else {
			lanes[i], err = reopenRun(sr.Dir, opt)
		}
		if err != nil {
			return nil, err
		}
	}
	st, err := newStack(lanes, b)
	if err != nil {
		return nil, err
	}
	defer st.free()
	if err := st.loop(ctx); err != nil {
		return nil, err
	}
	for k := range lanes {
		st.sync(k, true)
	}
	res := make([]LaneResult, len(lanes))
	for i, r := range lanes {
		if err := r.saveFinal(); err != nil {
			res[i].Err = err
			continue
		}
		res[i].Summary, res[i].Err = r.evaluate(ctx, r.dir)
	}
	return res, nil
}

// startStep returns the step a lane starts from, without writing anything: 0 for a new run
// (whose directory must not hold a run), the latest checkpoint's step for a resumed one.
func startStep(sr StackedRun) (int, error) {
	if sr.Config != nil {
		return 0, checkNoRun(sr.Dir)
	}
	if err := checkUnfinished(sr.Dir); err != nil {
		return 0, err
	}
	path := filepath.Join(sr.Dir, latestFile)
	if _, err := os.Stat(path); err != nil {
		return 0, nil // stopped before its first checkpoint: it starts again from step 0
	}
	m, err := npyio.ReadNPZ(path)
	if err != nil {
		return 0, fmt.Errorf("train: %w", err)
	}
	step, err := checkpointInt(m, path, keyStep)
	return int(step), err
}

// stack is the ensemble of a TrainStacked call: one model and optimizer holding every lane,
// while each lane's run keeps a model of its own, brought up to date (sync) before an
// evaluation or a checkpoint reads it.
type stack struct {
	e     *ensemble.Backend
	lanes []*run
	model *nn.Model
	optim *optim.Optimizer
	// The lanes' batches of a step, and the host buffer that interleaves them for upload.
	vel, init, targets [][]float32
	buf                []float32
	// device: some lane makes its batches on the GPU (devicegen.go), so batches do not go
	// through one interleaved upload: gens makes them all at once or, without gens, they load
	// lane by lane.
	device bool
	// encodes: every lane walks on the host and encodes on the GPU; then the lanes' walks go
	// up as one interleaved upload each of velocities and positions (posE, initPosE, ensemble
	// tensors) instead of three uploads per lane, and every lane's codes are computed from
	// its lane of them by one launch (gens).
	encodes        bool
	posE, initPosE compute.Tensor
	pos, initPos   [][]float32
	// gens launches every lane's batch generator at once (cuda.BatchGeneratorLanes) when all
	// lanes make their batches on the GPU the same way: with encodes, or when every lane walks
	// on the device too (Philox; the walks go into posE and initPosE); then a step launches
	// the code kernel (and the walk kernel) once instead of once per lane. nil otherwise, and
	// lanes then load lane by lane. index holds the lanes' batch indices of a step.
	gens  *cuda.BatchGeneratorLanes
	index []uint64
	views map[compute.Tensor][]compute.Tensor // laneViews' lanes of each tensor
}

// envLaneGroup, a number of lanes, makes an ensemble run its recurrence lane group by lane
// group (ensemble.SetLaneGroups; compute.LaneGrouper says why): an experiment, off by
// default until a GPU measures it faster. Results do not depend on it.
const envLaneGroup = "GRIDCELLS_LANE_GROUP"

// laneGroupSize reads envLaneGroup: 0 (off) when unset or empty.
func laneGroupSize() (int, error) {
	v := os.Getenv(envLaneGroup)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("train: %s = %q: want a number of lanes ≥ 0", envLaneGroup, v)
	}
	return n, nil
}

func newStack(lanes []*run, b compute.Backend) (*stack, error) {
	e, err := ensemble.New(b, len(lanes))
	if err != nil {
		return nil, err
	}
	group, err := laneGroupSize()
	if err != nil {
		return nil, err
	}
	e.SetLaneGroups(group)
	r0 := lanes[0]
	// The ensemble's own initial weights are overwritten by the lanes' below.
	m, err := nn.New(e, r0.ncfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	o, err := optim.New(e, m.Params(), r0.optim.Settings())
	if err != nil {
		return nil, err
	}
	n := len(lanes)
	st := &stack{e: e, lanes: lanes, model: m, optim: o,
		vel: make([][]float32, n), init: make([][]float32, n), targets: make([][]float32, n)}
	st.encodes = true
	for k, r := range lanes {
		st.device = st.device || r.dev != nil
		st.encodes = st.encodes && r.dev != nil && !r.dev.walk
		for i, p := range r.model.Params() {
			b.Copy(e.Lane(m.Params()[i].Value, k), p.Value)
		}
		for i, s := range r.optim.State() {
			b.Copy(e.Lane(o.State()[i].Tensor, k), s.Tensor)
		}
	}
	o.SetIterations(r0.optim.Iterations())
	if st.encodes {
		st.pos, st.initPos = make([][]float32, n), make([][]float32, n)
	}
	if st.gens = deviceLanes(lanes); st.gens != nil {
		B, T := r0.cfg.Trajectory.BatchSize, r0.cfg.Trajectory.SequenceLength
		st.posE, st.initPosE = e.New(T*B, 2), e.New(B, 2)
		st.index = make([]uint64, n)
	}
	return st, nil
}

// sync copies lane k of the ensemble into its run's model (and optimizer).
func (st *stack) sync(k int, optimizer bool) {
	r, b := st.lanes[k], st.e.Inner()
	for i, p := range r.model.Params() {
		b.Copy(p.Value, st.e.Lane(st.model.Params()[i].Value, k))
	}
	if optimizer {
		for i, s := range r.optim.State() {
			b.Copy(s.Tensor, st.e.Lane(st.optim.State()[i].Tensor, k))
		}
		r.optim.SetIterations(st.optim.Iterations())
	}
}

// free releases the ensemble's tensors.
func (st *stack) free() {
	if st.gens != nil {
		st.gens.Free()
	}
	if st.posE != nil {
		st.e.Free(st.posE)
		st.e.Free(st.initPosE)
	}
	st.optim.Free()
	st.model.Free()
}

// loop is run.loop for every lane at once: one ensemble step per step, then each lane's
// bookkeeping.
func (st *stack) loop(ctx context.Context) error {
	r0 := st.lanes[0]
	if r0.step >= r0.cfg.TotalSteps() {
		return nil
	}
	sessions := make([]*session, len(st.lanes))
	prods := make([]source, len(st.lanes))
	for k, r := range st.lanes {
		s, err := r.begin()
		if err != nil {
			return err
		}
		defer s.close()
		s.sync = func(optimizer bool) { st.sync(k, optimizer) }
		sessions[k] = s
		prods[k] = r.startSource(s.B, s.T)
		defer prods[k].stop()
	}
	total := sessions[0].total
	f := st.feed(prods, st.model.Inputs(sessions[0].B, sessions[0].T))
	// A CPU ensemble's step takes as long as all its lanes' steps (seconds each at paper
	// size); Ctrl-C gives it up within a time step of the recurrence (loopStep).
	stop := func() bool { return ctx.Err() != nil }
	for r0.step < total {
		if err := ctx.Err(); err != nil {
			return st.cancel(sessions, err) // batches loaded ahead are dropped: the resumed runs make them again
		}
		t0 := time.Now()
		// The lanes evaluate their own models (sync copies them out of the ensemble), never
		// the ensemble's inputs, so the next batches load during every step but the last.
		losses, states, ok := st.loopStep(f, r0.step+1 < total, stop)
		if !ok {
			return st.cancel(sessions, ctx.Err()) // the step given up is trained again on resume
		}
		for k, state := range states {
			st.lanes[k].genState = state
		}
		// Every lane counts the step before any evaluates or checkpoints, so that a failure
		// leaves them all at the same step for the checkpoints of cancel.
		for k, s := range sessions {
			s.count(losses[k], t0)
		}
		for k, s := range sessions {
			if err := s.after(); err != nil {
				return st.cancel(sessions, fmt.Errorf("train: %s: %w", st.lanes[k].dir, err))
			}
		}
	}
	for _, s := range sessions {
		s.end()
	}
	return nil
}

// step runs one gradient step of every lane on its batch its[k] (uploaded into in, the
// ensemble model's inputs) and returns the lanes' losses. On an asynchronous backend the
// update may still be queued when it returns.
func (st *stack) step(its []*item, in nn.Inputs) []float64 {
	st.load(its, in)
	losses, _ := st.run(nil, nil)
	return losses
}

// load queues every lane's batch its[k] into in, the ensemble model's inputs.
func (st *stack) load(its []*item, in nn.Inputs) {
	if st.encodes {
		// Host walks, GPU codes: one upload of every lane's velocities and positions, then
		// every lane's codes from its lane of the positions, in one launch.
		for k, it := range its {
			st.vel[k], st.pos[k], st.initPos[k] = it.sb.Vel, it.sb.Pos, it.sb.InitPos
		}
		st.buf = st.e.UploadLanes(in.Vel, st.vel, st.buf)
		st.buf = st.e.UploadLanes(st.posE, st.pos, st.buf)
		st.buf = st.e.UploadLanes(st.initPosE, st.initPos, st.buf)
		st.gens.EncodePositions(st.laneViews(st.posE), st.laneViews(st.initPosE), st.laneViews(in.InitCode), st.laneViews(in.Targets))
	} else if st.gens != nil {
		// Philox walks and codes on the GPU: every lane's batch in one launch of each kernel.
		for k, it := range its {
			st.index[k] = it.index
		}
		st.gens.Generate(st.index, st.laneViews(in.Vel), st.laneViews(in.InitCode), st.laneViews(in.Targets),
			st.laneViews(st.posE), st.laneViews(st.initPosE))
	} else if st.device {
		// Lane by lane: each run's batches are made or encoded on the GPU, into its lane.
		for k, it := range its {
			lane := nn.Inputs{Vel: st.e.Lane(in.Vel, k), InitCode: st.e.Lane(in.InitCode, k), Targets: st.e.Lane(in.Targets, k)}
			st.lanes[k].loadBatch(it, lane, st.e.Inner())
		}
	} else {
		for k, it := range its {
			st.vel[k], st.init[k], st.targets[k] = it.nb.Vel, it.nb.InitCode, it.nb.Targets
		}
		st.buf = st.e.UploadLanes(in.Vel, st.vel, st.buf)
		st.buf = st.e.UploadLanes(in.InitCode, st.init, st.buf)
		st.buf = st.e.UploadLanes(in.Targets, st.targets, st.buf)
	}
}

// run runs one gradient step of every lane on the batches loaded into the inputs and returns
// the lanes' losses, running meanwhile (when not nil) once the step is queued and before its
// losses are waited for (stepThen). When stop (nil: never) gives the step up, it returns
// false and nothing is updated.
func (st *stack) run(meanwhile func(), stop func() bool) ([]float64, bool) {
	// The batch shape from the config: a batch made on the GPU has no host arrays.
	tr := st.lanes[0].cfg.Trajectory
	if _, ok := stepThen(st.model, st.optim, tr.BatchSize, tr.SequenceLength, meanwhile, stop); !ok {
		return nil, false
	}
	return st.model.LaneLosses(), true
}

// feed returns the batch feed of an ensemble loop on the lanes' sources srcs (batchFeed):
// each load takes every lane's next batch, loads them into in and returns their generator
// states, lane by lane.
func (st *stack) feed(srcs []source, in nn.Inputs) *batchFeed[[][]byte] {
	its := make([]*item, len(srcs))
	return &batchFeed[[][]byte]{load: func() [][]byte {
		for k, s := range srcs {
			its[k] = s.next()
		}
		st.load(its, in)
		states := make([][]byte, len(srcs))
		for k, it := range its {
			states[k] = it.stateAfter
			srcs[k].release(it)
		}
		return states
	}}
}

// loopStep runs one ensemble step of the training loop on f's next batches, loading the
// batches after them meanwhile when ahead is set, and returns the lanes' losses and the
// generator states after their batches. When stop (nil: never) gives the step up it returns
// false: the lanes are as they were after the previous step, whose generator states they
// still hold (a stack has no dropout masks to put back, unlike run.loopStep).
func (st *stack) loopStep(f *batchFeed[[][]byte], ahead bool, stop func() bool) ([]float64, [][]byte, bool) {
	states := f.next()
	losses, ok := st.run(f.during(ahead), stop)
	return losses, states, ok
}

// laneViews returns the K lanes of the ensemble tensor t, each a tensor of the inner backend:
// made at t's first use and kept, since a step passes the same tensors every time.
func (st *stack) laneViews(t compute.Tensor) []compute.Tensor {
	if views, ok := st.views[t]; ok {
		return views
	}
	views := make([]compute.Tensor, len(st.lanes))
	for k := range views {
		views[k] = st.e.Lane(t, k)
	}
	if st.views == nil {
		st.views = map[compute.Tensor][]compute.Tensor{}
	}
	st.views[t] = views
	return views
}

// cancel checkpoints every lane and returns err joined with any checkpoint error.
func (st *stack) cancel(sessions []*session, err error) error {
	errs := []error{err}
	for k, s := range sessions {
		if cerr := s.cancel(nil); cerr != nil {
			errs = append(errs, fmt.Errorf("train: %s: %w", st.lanes[k].dir, cerr))
		}
	}
	return errors.Join(errs...)
}
