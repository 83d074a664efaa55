package theory

import (
	"context"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/train"
)

// TestCompareTrainedRun reads a run directory that train writes (its config.json and
// scores.csv, not hand-made copies), so that the two packages' formats cannot drift apart.
func TestCompareTrainedRun(t *testing.T) {
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	if err := config.ApplySets(&cfg, []string{
		"model.ng=16", "encoding.np=32", "trajectory.batch_size=8", "trajectory.sequence_length=6",
		"training.n_epochs=1", "training.n_grad_steps_per_epoch=5", "eval.nbins=20",
		"eval.sequence_length=10", "eval.batch_size=20",
	}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := train.Train(context.Background(), dir, cfg, train.Options{}); err != nil {
		t.Fatal(err)
	}
	got, u, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Model.Ng != 16 || got.Encoding.Np != 32 {
		t.Errorf("ReadRun's config: Ng %d, Np %d; want 16, 32", got.Model.Ng, got.Encoding.Np)
	}
	c, err := CompareRun(dir, -2) // every unit with a score counts
	if err != nil {
		t.Fatal(err)
	}
	if c.Units != 16 || c.NBins != 20 || c.Units != len(u.Score60) {
		t.Errorf("units %d (scores %d), nbins %d; want 16 units at 20 bins", c.Units, len(u.Score60), c.NBins)
	}
}
