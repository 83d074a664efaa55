package train

import (
	"fmt"
	"os"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cuda"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/sim"
)

// Batches on the GPU. On the CUDA backend a run puts its batches into the model's inputs
// without building the targets on the host when its code is one of the presets' kinds (one
// round field per cell of one width, Gaussian, DoS or SoD, global normalisation):
//   - with trajectory.rng philox the walk and the codes are generated on the device from the
//     batch index (cuda.BatchGenerator.Generate): the host only counts batches, and a batch
//     costs a few µs of GPU time instead of a walk and an encoding on the CPU (issue 2);
//   - with the default PCG walk the producer still walks on the host (the trajectories are
//     those of the run on the CPU), but only the velocities and positions are uploaded
//     (≈ 50 KB instead of the 8 MB of targets of B 200, T 20, Np 512) and the codes are
//     computed on the device (EncodePositions).
// The targets then equal encode's to float32 rounding (about 1e-6), not bit for bit, so a
// GPU run no longer matches the CPU run's weights bit for bit (it did not before either:
// cuBLAS sums in another order). GRIDCELLS_HOST_BATCHES=1 turns this off; a generator that
// fails to start (its kernels do not compile, say) leaves the run on host batches, with a
// note through Progress.Stage.

// deviceBatches generates or encodes one run's batches on the GPU.
type deviceBatches struct {
	gen          *cuda.BatchGenerator
	walk         bool           // the walk runs on the device too (Philox)
	pos, initPos compute.Tensor // device positions of the batch, (T·B)×2 and B×2
	b            compute.Backend
}

// envHostBatches turns device batches off.
const envHostBatches = "GRIDCELLS_HOST_BATCHES"

// newDeviceBatches returns the device batches of r, or nil when r's backend is not the GPU,
// its code has no device kernel, or GRIDCELLS_HOST_BATCHES=1.
func newDeviceBatches(r *run) (*deviceBatches, error) {
	gb, ok := r.b.(*cuda.Backend)
	if !ok || os.Getenv(envHostBatches) == "1" {
		return nil, nil
	}
	place, ok := devicePlace(r.cfg, r.code)
	if !ok {
		return nil, nil
	}
	t := r.cfg.Trajectory
	w := cuda.WalkParams{B: t.BatchSize, T: t.SequenceLength, BoxWidth: t.BoxWidth, BoxHeight: t.BoxHeight,
		Dt: t.Dt, Periodic: t.Periodic, RotVelStd: r.simP.RotVelStd, SpeedScale: r.simP.SpeedScale,
		BorderRegion: r.simP.BorderRegion, BorderSlowdown: r.simP.BorderSlowdown}
	key, _, walk := r.gen.PhiloxState()
	w.Key = key
	g, err := gb.NewBatchGenerator(w, place)
	if err != nil {
		return nil, fmt.Errorf("train: batches on the GPU: %w", err)
	}
	return &deviceBatches{gen: g, walk: walk, b: r.b,
		pos: r.b.New(t.SequenceLength*t.BatchSize, 2), initPos: r.b.New(t.BatchSize, 2)}, nil
}

// devicePlace maps a run's code onto the device kernel's parameters, when it has one.
func devicePlace(cfg config.Config, code encode.Code) (*cuda.PlaceParams, bool) {
	p, err := encode.FromConfig(cfg.Encoding, cfg.Trajectory.BoxWidth, cfg.Trajectory.BoxHeight)
	if err != nil || p.Normalization != encode.NormGlobal || !p.Sigma.IsConst() ||
		!p.Fields.IsConst() || p.Fields.A != 1 || !p.Aspect.IsConst() || p.Aspect.A != 1 {
		return nil, false
	}
	pp := &cuda.PlaceParams{Sigma: p.Sigma.A}
	switch p.Kind {
	case encode.Gaussian:
		pp.Kind = cuda.PlaceGaussian
	case encode.DifferenceOfGaussians, encode.SoftmaxOfDifferences:
		if !p.Surround.IsConst() {
			return nil, false
		}
		pp.Kind = cuda.PlaceDifferenceOfSoftmaxes
		if p.Kind == encode.SoftmaxOfDifferences {
			pp.Kind = cuda.PlaceSoftmaxOfDifferences
		}
		pp.Surround = p.Surround.A
		pp.VarianceRatio = p.SurroundConvention == encode.VarianceRatio
	default:
		return nil, false
	}
	xy, fields := code.Centres()
	if fields != 1 || len(xy) != 2*code.Np() {
		return nil, false
	}
	pp.Centres = xy
	return pp, true
}

// load puts batch it into the inputs in: generated from its index (Philox walk), or its
// host walk uploaded and encoded on the device.
func (d *deviceBatches) load(it *item, in nn.Inputs) {
	if d.walk {
		d.gen.Generate(it.index, in.Vel, in.InitCode, in.Targets, d.pos, d.initPos)
		return
	}
	d.b.Upload(in.Vel, it.sb.Vel)
	d.b.Upload(d.pos, it.sb.Pos)
	d.b.Upload(d.initPos, it.sb.InitPos)
	d.gen.EncodePositions(d.pos, d.initPos, in.InitCode, in.Targets)
}

// deviceLanes returns the generators of an ensemble's lanes as one cuda.BatchGeneratorLanes
// (one launch of each kernel a step for every lane) when all lanes make their batches on the
// GPU the same way: all walk on the device (Philox), or all walk on the host and encode on the
// device. Otherwise, some lanes on the host or the two ways mixed, it returns nil and the
// lanes load lane by lane. The lanes of a stack share B, T and Np (StackKey) and the backend.
func deviceLanes(lanes []*run) *cuda.BatchGeneratorLanes {
	gens := make([]*cuda.BatchGenerator, len(lanes))
	for k, r := range lanes {
		if r.dev == nil || r.dev.walk != lanes[0].dev.walk {
			return nil
		}
		gens[k] = r.dev.gen
	}
	return cuda.NewBatchGeneratorLanes(gens)
}

// batchesMade says where r's batches are made: "gpu" (Philox walk and codes on the device),
// "host walk, gpu codes", or "host" (with the reason when the GPU could have made them).
func (r *run) batchesMade() string {
	switch {
	case r.dev != nil && r.dev.walk:
		return "gpu"
	case r.dev != nil:
		return "host walk, gpu codes"
	case r.batchNote != "":
		return r.batchNote
	}
	return "host"
}

// source is where a run's training loop takes its batches from: a producer goroutine
// (host walk, with or without host encoding) or, for the Philox walk on the device, the
// batch counter alone.
type source interface {
	next() *item
	release(*item)
	stop()
}

// counterSource hands out the Philox walk's batch indices for device generation: the walk
// itself runs on the GPU.
type counterSource struct {
	gen *sim.Generator
	it  item
}

func (c *counterSource) next() *item {
	c.it.index = c.gen.SkipBatch()
	s, err := c.gen.MarshalBinary()
	if err != nil {
		panic("train: " + err.Error()) // the Philox state is a key and a counter
	}
	c.it.stateAfter = s
	return &c.it
}

func (c *counterSource) release(*item) {}
func (c *counterSource) stop()         {}

// startSource starts r's batch source for batches of B×T.
func (r *run) startSource(B, T int) source {
	switch {
	case r.dev != nil && r.dev.walk:
		return &counterSource{gen: r.gen}
	case r.dev != nil:
		return startProducer(r.gen, nil, B, T) // walk only; the device encodes
	}
	return startProducer(r.gen, r.code, B, T)
}

// loadBatch puts batch it into the model inputs in (which may be an ensemble lane's).
func (r *run) loadBatch(it *item, in nn.Inputs, b compute.Backend) {
	if r.dev != nil {
		r.dev.load(it, in)
		return
	}
	b.Upload(in.Vel, it.nb.Vel)
	b.Upload(in.InitCode, it.nb.InitCode)
	b.Upload(in.Targets, it.nb.Targets)
}
