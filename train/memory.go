package train

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/sysmem"
)

// ErrMemory: a CPU run of the config would not fit in this machine's memory. It is refused
// before the run directory is written, because Go's answer to an allocation the machine
// cannot give is a fatal error that no code can catch: the process would die mid-start with
// a stack dump and leave a directory that neither a new run nor --resume can use.
var ErrMemory = errors.New("not enough memory")

// cpuStepBytes is a lower bound on the bytes a CPU run of cfg holds at once, in float32: of
// the evaluation, its batch's targets and hidden states (the rate maps' input); when
// training, also of a training step, the batch's place-cell targets, the network's logits
// and their gradient (B·T·Np each) and its hidden states (B·T·Ng; gated cells hold several
// times that). Both workspaces are cached, so a trained run holds both. The real need is
// larger (weights, Adam's moments, gate activations, scratch), so a config refused by it
// could not have run.
func cpuStepBytes(cfg config.Config, training bool) float64 {
	np, ng := float64(cfg.Encoding.Np), float64(cfg.Model.Ng)
	eb, et := evalBatchShape(cfg)
	b := float64(eb) * float64(et) * (np + ng)
	if training {
		b += float64(cfg.Trajectory.BatchSize) * float64(cfg.Trajectory.SequenceLength) * (3*np + ng)
	}
	return 4 * b
}

// checkMemory refuses a CPU run whose cpuStepBytes exceed the memory this process can
// still allocate (sysmem: Linux's MemAvailable, bounded by the limits of its memory cgroups,
// a container's or a SLURM job's; elsewhere nothing is checked). A GPU run's batches live on
// the device, whose allocator returns errors instead. Swap is not counted: a machine that
// would have run the config slowly from swap is refused it.
func checkMemory(cfg config.Config, backend string, training bool) error {
	if !strings.HasPrefix(backend, "cpu") {
		return nil
	}
	need := cpuStepBytes(cfg, training)
	bound, fits := fitsMemory(need)
	if fits {
		return nil
	}
	eb, et := evalBatchShape(cfg)
	if !training {
		return fmt.Errorf("train: %w: an evaluation batch of eval.batch_size %d × eval.sequence_length %d with encoding.np %d and model.ng %d needs at least %.1f GiB; %s",
			ErrMemory, eb, et, cfg.Encoding.Np, cfg.Model.Ng, need/gib, describeBound(bound))
	}
	return fmt.Errorf("train: %w: a training step of trajectory.batch_size %d × trajectory.sequence_length %d with encoding.np %d and model.ng %d, and an evaluation batch of %d × %d, need at least %.1f GiB; %s: lower trajectory.batch_size (or eval.batch_size)",
		ErrMemory, cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength, cfg.Encoding.Np, cfg.Model.Ng, eb, et, need/gib, describeBound(bound))
}

// checkStackMemory refuses K runs trained as one ensemble on the CPU when their training
// steps together, and the largest of their evaluations (run lane by lane afterwards), exceed
// what this process can allocate: the ensemble holds every lane's batch, logits and states
// at once, so K lanes that each fit may not fit together.
func checkStackMemory(cfgs []config.Config, backend string) error {
	if !strings.HasPrefix(backend, "cpu") || len(cfgs) < 2 {
		return nil
	}
	var need, eval float64
	for _, c := range cfgs {
		e := cpuStepBytes(c, false)
		need += cpuStepBytes(c, true) - e
		eval = max(eval, e)
	}
	need += eval
	bound, fits := fitsMemory(need)
	if fits {
		return nil
	}
	c := cfgs[0]
	return fmt.Errorf("train: %w: %d lanes of trajectory.batch_size %d × trajectory.sequence_length %d with encoding.np %d and model.ng %d, trained as one ensemble, need at least %.1f GiB; %s: train fewer lanes at once (sweep run --lanes, lanes --stack off) or lower trajectory.batch_size",
		ErrMemory, len(cfgs), c.Trajectory.BatchSize, c.Trajectory.SequenceLength, c.Encoding.Np, c.Model.Ng, need/gib, describeBound(bound))
}

// fitsMemory reports whether need bytes fit in what this process can allocate, with that
// bound; where nothing could be read (not Linux), everything fits.
func fitsMemory(need float64) (sysmem.Bound, bool) {
	b := availableMemory()
	return b, b.Available <= 0 || need <= float64(b.Available)
}

const gib = 1 << 30

// describeBound says what limits the memory: the machine's, or a cgroup's limit.
func describeBound(b sysmem.Bound) string {
	if b.CgroupLimit > 0 {
		return fmt.Sprintf("this process's memory cgroup (a container's or a job's limit of %.1f GiB) leaves %.1f GiB available", float64(b.CgroupLimit)/gib, float64(b.Available)/gib)
	}
	return fmt.Sprintf("this machine has %.1f GiB available", float64(b.Available)/gib)
}

// availableMemory is sysmem.Available; a variable so that tests can fix it.
var availableMemory = sysmem.Available
