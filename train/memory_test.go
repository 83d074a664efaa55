package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/internal/sysmem"
)

// fixMemory makes availableMemory report b for the rest of the test.
func fixMemory(t *testing.T, b sysmem.Bound) {
	real := availableMemory
	availableMemory = func() sysmem.Bound { return b }
	t.Cleanup(func() { availableMemory = real })
}

// A run this machine cannot hold is refused before anything is written (it used to die in
// the runtime's "out of memory" with the run directory half made); an evaluation is held to
// the evaluation's memory only: a run trained elsewhere with a larger batch still evaluates.
func TestMemoryCheck(t *testing.T) {
	cfg := smallConfig(t)
	trained := filepath.Join(t.TempDir(), "trained")
	if _, err := Train(context.Background(), trained, cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	evalNeed, trainNeed := cpuStepBytes(cfg, false), cpuStepBytes(cfg, true)
	if !(evalNeed < trainNeed) {
		t.Fatalf("evaluation needs %.0f bytes, training %.0f", evalNeed, trainNeed)
	}
	// Between the two: the evaluation fits, the training does not. The fixed value makes
	// the test independent of the machine: a refusal that failed would train the small
	// config, not try to fill the memory.
	fixMemory(t, sysmem.Bound{Available: int64(evalNeed) + 1})
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Train(context.Background(), dir, cfg, Options{}); !errors.Is(err, ErrMemory) {
		t.Errorf("training needing %.0f bytes of %d: %v, want ErrMemory", trainNeed, int64(evalNeed)+1, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the refused run left %s (%v)", dir, err)
	}
	if _, err := Evaluate(context.Background(), trained, Options{}); err != nil {
		t.Errorf("evaluating with %d bytes for an evaluation of %.0f: %v", int64(evalNeed)+1, evalNeed, err)
	}
	fixMemory(t, sysmem.Bound{Available: int64(evalNeed) - 1})
	if _, err := Evaluate(context.Background(), trained, Options{}); !errors.Is(err, ErrMemory) {
		t.Errorf("evaluating with %d bytes for an evaluation of %.0f: %v, want ErrMemory", int64(evalNeed)-1, evalNeed, err)
	}
}

// Lanes that each fit but not together are refused before any lane's directory is written.
func TestStackMemoryCheck(t *testing.T) {
	cfgs := stackConfigs(t)
	one := cpuStepBytes(cfgs[0], true)
	fixMemory(t, sysmem.Bound{Available: int64(1.5 * one)}) // one lane fits, three do not
	var runs []StackedRun
	for i := range cfgs {
		runs = append(runs, StackedRun{Dir: filepath.Join(t.TempDir(), "lane"), Config: &cfgs[i]})
	}
	_, err := TrainStacked(context.Background(), runs, cpu.New(nil), "test")
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "3 lanes") {
		t.Fatalf("3 lanes of %.0f bytes each in %d: %v, want ErrMemory naming the lanes", one, int64(1.5*one), err)
	}
	for _, r := range runs {
		if _, err := os.Stat(r.Dir); !os.IsNotExist(err) {
			t.Errorf("the refused ensemble left %s (%v)", r.Dir, err)
		}
	}
	if _, err := Train(context.Background(), filepath.Join(t.TempDir(), "alone"), cfgs[0], Options{}); err != nil {
		t.Errorf("one lane alone: %v", err)
	}
}

// A cgroup's limit is named in the refusal: the machine may have far more memory.
func TestMemoryCheckNamesCgroup(t *testing.T) {
	cfg := smallConfig(t)
	fixMemory(t, sysmem.Bound{Available: 1000, CgroupLimit: 3 << 30})
	err := checkMemory(cfg, "cpu", true)
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "memory cgroup (a container's or a job's limit of 3.0 GiB)") {
		t.Errorf("%v, want ErrMemory naming the cgroup's limit", err)
	}
}
