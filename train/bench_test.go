package train

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/gridcells/gridcells/compute"
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

// The two ways of training lanes together report consistent throughputs on the CPU, and a
// cancelled context stops both with its error.
func TestBenchLanesAndStacked(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Model.RecurrentDropout = 0 // StackKey: ensembles have no dropout
	newCPU := func() (compute.Backend, error) { b, _, err := NewBackend("cpu"); return b, err }
	b, err := newCPU()
	if err != nil {
		t.Fatal(err)
	}
	streams, err := BenchLanes(context.Background(), cfg, 3, 2, 1000, newCPU)
	if err != nil {
		t.Fatal(err)
	}
	stacked, err := BenchStacked(context.Background(), cfg, 3, 2, 1000, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []LanesResult{streams, stacked} {
		if r.Lanes != 2 || r.Steps != 3 || !(r.NetworkStepMS > 0) || math.Abs(r.NetworkStepMS*2-r.LaneStepMS) > 1e-9*r.LaneStepMS ||
			math.Abs(r.NetworksPerHour-3600*r.StepsPerSecond/1000) > 1e-9*r.NetworksPerHour {
			t.Errorf("%s: inconsistent result %+v", r.Mode, r)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := BenchLanes(ctx, cfg, 3, 2, 1000, newCPU); err != context.Canceled {
		t.Errorf("cancelled BenchLanes: %v; want context.Canceled", err)
	}
	if _, err := BenchStacked(ctx, cfg, 3, 2, 1000, b); err != context.Canceled {
		t.Errorf("cancelled BenchStacked: %v; want context.Canceled", err)
	}
}

// typicalTime is the median where the clock is fine, and the span's mean where its tick
// quantises the times.
func TestTypicalTime(t *testing.T) {
	for _, c := range []struct {
		ts               []float64
		mean, tick, want float64
	}{
		{[]float64{40.2, 39.8, 55}, 45, 0.001, 40.2},                // fine clock: the median
		{[]float64{40.2, 39.8, 55, 41}, 44, 0.001, (40.2 + 41) / 2}, // even count
		{[]float64{31.25, 46.875, 31.25}, 40, 15.625, 40},           // Windows' default tick
		{[]float64{0, 0, 0}, 0.1, 15.625, 0.1},                      // steps under a tick
	} {
		if got := typicalTime(c.ts, c.mean, c.tick); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("typicalTime(%v, mean %v, tick %v) = %v, want %v", c.ts, c.mean, c.tick, got, c.want)
		}
	}
	if tick := clockTick(); tick <= 0 || tick > time.Second {
		t.Errorf("clockTick() = %v", tick)
	}
}
