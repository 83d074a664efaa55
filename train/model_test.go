package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/encode"
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

// EncodeBatch reuses an nn.Batch across batches of different shapes (it panicked when the
// buffers of the last batch had another length), and the shrunk batch's code is the same
// as a fresh one's.
func TestEncodeBatchReuse(t *testing.T) {
	cfg := smallConfig(t)
	code, err := encode.ForRun(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sim.FromConfig(cfg.Trajectory)
	if err != nil {
		t.Fatal(err)
	}
	g, err := sim.New(p, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	var reused nn.Batch
	for _, b := range []int{8, 4, 8} {
		sb := sim.NewBatch(b, 5)
		g.Next(sb)
		EncodeBatch(code, sb, &reused)
		var fresh nn.Batch
		EncodeBatch(code, sb, &fresh)
		if !slices.Equal(reused.Targets, fresh.Targets) || !slices.Equal(reused.InitCode, fresh.InitCode) {
			t.Errorf("B %d: reused batch's code differs from a fresh one's", b)
		}
	}
}
