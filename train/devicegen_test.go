package train

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/gridcells/gridcells/compute/cuda"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/sim"
)

// devicePlace takes exactly the codes the GPU kernel computes, with their parameters, and
// leaves every other code to the host.
func TestDevicePlace(t *testing.T) {
	for _, tc := range []struct {
		preset string
		sets   []string
		ok     bool
		want   cuda.PlaceParams
	}{
		{config.PresetNFL2022, nil, true, cuda.PlaceParams{Kind: cuda.PlaceDifferenceOfSoftmaxes, Sigma: 0.12, Surround: 2}},
		{config.PresetSorscher2019, nil, true, cuda.PlaceParams{Kind: cuda.PlaceDifferenceOfSoftmaxes, Sigma: 0.12, Surround: 2, VarianceRatio: true}},
		{config.PresetNFL2022, []string{"encoding.kind=gaussian"}, true, cuda.PlaceParams{Kind: cuda.PlaceGaussian, Sigma: 0.12}},
		{config.PresetNFL2022, []string{"encoding.kind=softmax_of_differences"}, true, cuda.PlaceParams{Kind: cuda.PlaceSoftmaxOfDifferences, Sigma: 0.12, Surround: 2}},
		{config.PresetNFL2022, []string{"encoding.fields_per_cell=Poisson( 3.0 )"}, false, cuda.PlaceParams{}},
		{config.PresetNFL2022, []string{"encoding.place_cell_rf=Uniform( 0.06 , 0.24 )"}, false, cuda.PlaceParams{}},
		{config.PresetNFL2022, []string{"encoding.anisotropy=Uniform( 1 , 2 )"}, false, cuda.PlaceParams{}},
		{config.PresetNFL2022, []string{"encoding.kind=true_difference_of_gaussians", "encoding.normalization=none", "training.loss=mse"}, false, cuda.PlaceParams{}},
		{config.PresetNFL2022, []string{"encoding.kind=cartesian", "encoding.normalization=none", "training.loss=mse", "encoding.np=2"}, false, cuda.PlaceParams{}},
	} {
		cfg, err := config.Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		if err := config.ApplySets(&cfg, append([]string{"encoding.np=64"}, tc.sets...)); err != nil {
			t.Fatalf("%v: %v", tc.sets, err)
		}
		code, err := encode.ForRun(cfg)
		if err != nil {
			t.Fatalf("%v: %v", tc.sets, err)
		}
		p, ok := devicePlace(cfg, code)
		if ok != tc.ok {
			t.Errorf("%s %v: on the device %v, want %v", tc.preset, tc.sets, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.Kind != tc.want.Kind || p.Sigma != tc.want.Sigma || p.Surround != tc.want.Surround || p.VarianceRatio != tc.want.VarianceRatio {
			t.Errorf("%s %v: %+v, want %+v", tc.preset, tc.sets, *p, tc.want)
		}
		xy, _ := code.Centres()
		if len(p.Centres) != 128 || p.Centres[5] != xy[5] {
			t.Errorf("%s %v: centres are not the code's", tc.preset, tc.sets)
		}
	}
}

// The counter source hands out the Philox walk's batch indices in order, with the state
// that resumes after each, as the producer does for host batches.
func TestCounterSource(t *testing.T) {
	p := sim.DefaultParams()
	p.RNG = sim.Philox
	gen, err := sim.NewSeed(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	src := &counterSource{gen: gen}
	var states [][]byte
	for i := range 3 {
		it := src.next()
		if it.index != uint64(i) {
			t.Fatalf("batch %d has index %d", i, it.index)
		}
		states = append(states, append([]byte(nil), it.stateAfter...))
		src.release(it)
	}
	again, err := sim.NewSeed(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.UnmarshalBinary(states[1]); err != nil {
		t.Fatal(err)
	}
	if it := (&counterSource{gen: again}).next(); it.index != 2 {
		t.Errorf("resumed after batch 1, the next index is %d, want 2", it.index)
	}
}

// A run with the Philox walk trains on the CPU (host walk and codes) and resumes bit for
// bit, as a PCG run does; on a GPU the same run makes its batches there.
func TestPhiloxRunResumes(t *testing.T) {
	cfg := smallConfig(t)
	if err := config.ApplySets(&cfg, []string{"trajectory.rng=philox"}); err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	if _, err := Train(context.Background(), ref, cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := Train(ctx, dir, cfg, Options{Progress: &cancelAt{k: 25, cancel: cancel}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v", err)
	}
	cancel()
	if _, err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	sameWeights(t, filepath.Join(ref, finalFile), filepath.Join(dir, finalFile))
}
