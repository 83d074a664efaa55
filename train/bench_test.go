package train

import (
	"context"
	"math"
	"testing"
)

// Bench times every measurement on a small network; a cancelled context stops it with the
// context's error.
func TestBench(t *testing.T) {
	cfg := smallConfig(t)
	res, err := Bench(context.Background(), cfg, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"batch": res.BatchMS, "step": res.StepMS, "step with batch": res.StepWithBatchMS, "pipelined": res.PipelinedStepMS} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s: %v ms; want a positive time", name, v)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Bench(ctx, cfg, 3, Options{}); err != context.Canceled {
		t.Errorf("cancelled bench: %v; want context.Canceled", err)
	}
}
