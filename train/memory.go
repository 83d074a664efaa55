package train

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/config"
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

// checkMemory refuses a CPU run whose cpuStepBytes exceed the memory the kernel reports
// available (Linux's MemAvailable; elsewhere nothing is checked). A GPU run's batches live
// on the device, whose allocator returns errors instead. MemAvailable leaves out swap and a
// cgroup's limit: a machine that would have run the config slowly from swap is refused it,
// one whose cgroup is smaller than its memory is not protected.
func checkMemory(cfg config.Config, backend string, training bool) error {
	if !strings.HasPrefix(backend, "cpu") {
		return nil
	}
	avail := availableMemory()
	need := cpuStepBytes(cfg, training)
	if avail <= 0 || need <= float64(avail) {
		return nil
	}
	eb, et := evalBatchShape(cfg)
	const gib = 1 << 30
	if !training {
		return fmt.Errorf("train: %w: an evaluation batch of eval.batch_size %d × eval.sequence_length %d with encoding.np %d and model.ng %d needs at least %.1f GiB; this machine has %.1f GiB available",
			ErrMemory, eb, et, cfg.Encoding.Np, cfg.Model.Ng, need/gib, float64(avail)/gib)
	}
	return fmt.Errorf("train: %w: a training step of trajectory.batch_size %d × trajectory.sequence_length %d with encoding.np %d and model.ng %d, and an evaluation batch of %d × %d, need at least %.1f GiB; this machine has %.1f GiB available: lower trajectory.batch_size (or eval.batch_size)",
		ErrMemory, cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength, cfg.Encoding.Np, cfg.Model.Ng, eb, et, need/gib, float64(avail)/gib)
}

// availableMemory returns MemAvailable of /proc/meminfo in bytes, or 0 where it cannot be
// read (not Linux, or a kernel before 3.14). A variable so that tests can fix it.
var availableMemory = func() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemAvailable(data)
}

// parseMemAvailable reads the "MemAvailable:  N kB" line of /proc/meminfo text.
func parseMemAvailable(data []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemAvailable:" && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
