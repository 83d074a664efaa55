package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseMemAvailable(t *testing.T) {
	const meminfo = "MemTotal:       24570036 kB\nMemFree:         1234567 kB\nMemAvailable:   20971520 kB\nBuffers:           12 kB\n"
	if got, want := parseMemAvailable([]byte(meminfo)), int64(20<<30); got != want {
		t.Errorf("MemAvailable: %d, want %d", got, want)
	}
	if got := parseMemAvailable([]byte("MemTotal: 5 kB\n")); got != 0 {
		t.Errorf("no MemAvailable line: %d, want 0", got)
	}
}

// fixMemory makes availableMemory report avail bytes for the rest of the test.
func fixMemory(t *testing.T, avail int64) {
	real := availableMemory
	availableMemory = func() int64 { return avail }
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
	fixMemory(t, int64(evalNeed)+1)
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
	fixMemory(t, int64(evalNeed)-1)
	if _, err := Evaluate(context.Background(), trained, Options{}); !errors.Is(err, ErrMemory) {
		t.Errorf("evaluating with %d bytes for an evaluation of %.0f: %v, want ErrMemory", int64(evalNeed)-1, evalNeed, err)
	}
}
