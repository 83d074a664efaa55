package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/sim"
)

// A loaded network, run on the run's final evaluation batch, gives the decoding error the
// run's summary reports: the weights, the code's centres and the inputs are all the run's.
func TestLoadModelReproducesSummary(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig(t)
	sum, err := Train(context.Background(), dir, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadModel(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := sim.New(tr.Motion, rand.NewPCG(cfg.Seed, streamFinalEval))
	if err != nil {
		t.Fatal(err)
	}
	sb := sim.NewBatch(cfg.Eval.BatchSize, cfg.Eval.SequenceLength)
	gen.Next(sb)
	var nb nn.Batch
	EncodeBatch(tr.Code, sb, &nb)
	_, out := tr.Model.Evaluate(nb, nil)
	got := tr.Code.DecodingError(out, sb.Pos)
	if want := float64(sum.DecodingErrorCM); math.Abs(got-want) > 1e-9*want {
		t.Errorf("decoding error of the loaded network %.12g cm; the summary says %.12g cm", got, want)
	}

	// No final weights: the run has not finished.
	if err := os.Remove(filepath.Join(dir, finalFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(dir, nil); !errors.Is(err, ErrNoRun) {
		t.Errorf("LoadModel without final weights: %v; want ErrNoRun", err)
	}
	if _, err := LoadModel(t.TempDir(), nil); !errors.Is(err, ErrNoRun) {
		t.Errorf("LoadModel of an empty directory: %v; want ErrNoRun", err)
	}
}
