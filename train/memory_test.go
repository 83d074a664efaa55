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

// A batch this machine cannot hold is refused before anything is written (it used to die
// in the runtime's "out of memory" with the run directory half made).
func TestTrainRefusesBatchBeyondMemory(t *testing.T) {
	avail := availableMemory()
	if avail <= 0 {
		t.Skip("MemAvailable unknown here: nothing is checked")
	}
	cfg := smallConfig(t)
	cfg.Trajectory.BatchSize = 1
	one := cpuStepBytes(cfg)
	cfg.Trajectory.BatchSize = 2
	per := cpuStepBytes(cfg) - one // bytes per trajectory of the batch
	cfg.Trajectory.BatchSize = int(float64(avail)/per) + 2
	if need := cpuStepBytes(cfg); need <= float64(avail) {
		t.Fatalf("batch %d needs %.0f bytes, not above the %d available", cfg.Trajectory.BatchSize, need, avail)
	}
	dir := filepath.Join(t.TempDir(), "run")
	_, err := Train(context.Background(), dir, cfg, Options{})
	if !errors.Is(err, ErrMemory) {
		t.Fatalf("batch %d: %v, want ErrMemory", cfg.Trajectory.BatchSize, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the refused run left %s (%v)", dir, err)
	}
}
