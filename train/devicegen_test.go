package train

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
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

// TestCUDAStackLaneLaunches: an ensemble whose lanes all make their batches on the GPU loads
// them with one launch for every lane (cuda.BatchGeneratorLanes), and trains exactly the
// weights and losses of the same lanes loaded lane by lane, each generator launched alone:
// for host walks encoded on the device (PCG) and for Philox walks on the device, with lanes of
// three kinds of code (DoS, Gaussian, SoD of another width) and their own seeds, hence centres
// and walks. A lane on the host makes the ensemble load lane by lane. It skips where there is
// no GPU.
func TestCUDAStackLaneLaunches(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	gpu, _, err := NewBackend("cuda")
	if err != nil {
		t.Fatal(err)
	}
	const steps = 3
	codes := [][]string{nil, {"encoding.kind=gaussian"}, {"encoding.kind=softmax_of_differences", "encoding.place_cell_rf=0.2"}}
	for _, rng := range []string{"pcg", "philox"} {
		t.Run(rng, func(t *testing.T) {
			var cfgs []config.Config
			for k, sets := range codes {
				cfg := smallConfig(t)
				cfg.Seed = uint64(21 + k)
				if err := config.ApplySets(&cfg, append([]string{"model.recurrent_dropout=0", "trajectory.rng=" + rng}, sets...)); err != nil {
					t.Fatal(err)
				}
				cfgs = append(cfgs, cfg)
			}
			var losses [2][]float64
			var weights [2][]float32
			for mode, batched := range []bool{true, false} {
				runs := make([]*run, len(cfgs))
				for k, cfg := range cfgs {
					if runs[k], err = newRun("", cfg, Options{Backend: gpu}); err != nil {
						t.Fatal(err)
					}
					if runs[k].dev == nil {
						t.Fatalf("lane %d makes its batches on the host: %s", k, runs[k].batchesMade())
					}
				}
				st, err := newStack(runs, gpu)
				if err != nil {
					t.Fatal(err)
				}
				if st.gens == nil {
					t.Fatal("no lane launches for lanes that all make their batches on the GPU")
				}
				if !batched {
					// Lane by lane, as for lanes that make their batches in different ways.
					st.gens.Free()
					st.gens, st.encodes = nil, false
				}
				losses[mode], weights[mode] = stackRun(t, st, runs, steps)
				st.free()
			}
			if !slices.Equal(losses[0], losses[1]) {
				t.Errorf("losses %v with one launch for every lane, %v lane by lane", losses[0], losses[1])
			}
			if !slices.Equal(weights[0], weights[1]) {
				t.Error("one launch for every lane trains other weights than lane by lane")
			}
		})
	}
	t.Run("mixed", func(t *testing.T) {
		var runs []*run
		for k, rng := range []string{"pcg", "philox"} {
			cfg := smallConfig(t)
			cfg.Seed = uint64(31 + k)
			if err := config.ApplySets(&cfg, []string{"model.recurrent_dropout=0", "trajectory.rng=" + rng}); err != nil {
				t.Fatal(err)
			}
			r, err := newRun("", cfg, Options{Backend: gpu})
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		st, err := newStack(runs, gpu)
		if err != nil {
			t.Fatal(err)
		}
		defer st.free()
		if st.gens != nil || !st.device {
			t.Errorf("a PCG lane and a Philox lane: lane launches %v, lane by lane %v; want lane by lane", st.gens != nil, st.device)
		}
		stackRun(t, st, runs, 1)
	})
}

// stackRun takes steps steps of st on its lanes' own batch sources and returns the lanes'
// losses, step by step, and the first parameter of every lane.
func stackRun(t *testing.T, st *stack, runs []*run, steps int) ([]float64, []float32) {
	t.Helper()
	B, T := runs[0].cfg.Trajectory.BatchSize, runs[0].cfg.Trajectory.SequenceLength
	in := st.model.Inputs(B, T)
	srcs := make([]source, len(runs))
	its := make([]*item, len(runs))
	for k, r := range runs {
		srcs[k] = r.startSource(B, T)
		defer srcs[k].stop()
	}
	var losses []float64
	for range steps {
		for k, s := range srcs {
			its[k] = s.next()
		}
		losses = append(losses, st.step(its, in)...)
		for k, s := range srcs {
			s.release(its[k])
		}
	}
	p := st.model.Params()[0]
	w := make([]float32, len(runs)*p.Rows*p.Cols)
	st.e.Download(w, p.Value)
	return losses, w
}
