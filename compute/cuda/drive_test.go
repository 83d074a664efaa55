//go:build !nocuda

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/ensemble"
)

// TestFusedInputsSetting checks how Settings.UnfusedInputs and GRIDCELLS_FUSED_DRIVE decide
// whether a backend fuses (no device needed).
func TestFusedInputsSetting(t *testing.T) {
	for _, tc := range []struct {
		env     string
		unfused bool
		want    bool
	}{{"", false, true}, {"", true, false}, {"0", false, false}, {"1", false, true}, {"1", true, false}} {
		t.Setenv(envFusedInputs, tc.env)
		if got := (&Settings{UnfusedInputs: tc.unfused}).fusedInputs(); got != tc.want {
			t.Errorf("%s=%q, UnfusedInputs %v: fused = %v; want %v", envFusedInputs, tc.env, tc.unfused, got, tc.want)
		}
	}
}

// TestDriveSettings checks MaxDrivenInputs on a device: compute.MaxDriven by default, 0 with
// Settings.UnfusedInputs or GRIDCELLS_FUSED_DRIVE=0, where the operations still run when
// called (the comparison runs of an A/B timing need them only through MaxDrivenInputs).
func TestDriveSettings(t *testing.T) {
	if got := newOrSkip(t, nil).MaxDrivenInputs(); got != compute.MaxDriven {
		t.Errorf("MaxDrivenInputs = %d by default; want %d", got, compute.MaxDriven)
	}
	off := newOrSkip(t, &Settings{UnfusedInputs: true})
	if got := off.MaxDrivenInputs(); got != 0 {
		t.Errorf("MaxDrivenInputs = %d with UnfusedInputs; want 0", got)
	}
	t.Setenv(envFusedInputs, "0")
	if got := newOrSkip(t, nil).MaxDrivenInputs(); got != 0 {
		t.Errorf("MaxDrivenInputs = %d with %s=0; want 0", got, envFusedInputs)
	}
	x := off.New(3, 4)
	off.Fill(x, 1)
	off.ActivateDriven(x, x, off.New(3, 1), off.New(1, 4), compute.Sigmoid) // w = 0: σ(1)
	got := make([]float32, 12)
	off.Download(got, x)
	if want := 1 / (1 + math.Exp(-1)); math.Abs(float64(got[0])-want) > 1e-6 {
		t.Errorf("ActivateDriven with the fusion off: %v; want %v", got[0], want)
	}
}

// TestDriveEnsemble checks the fused operations of an ensemble on the GPU on a model step's
// shapes (each lane B×n of a state, B×2 velocities of a (T·B)×2 input, 2×n weights): one
// launch for all lanes, named as the kernels are, with each lane's results those of the
// single operations on its own tensors, bit for bit, for a lane width the float4 kernels take
// (64) and one they do not (30).
func TestDriveEnsemble(t *testing.T) {
	b := newOrSkip(t, nil)
	const lanes, B, T = 3, 20, 4
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{64, 30} {
		e, err := ensemble.New(b, lanes)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.MaxDrivenInputs(); got != compute.MaxDriven {
			t.Fatalf("the ensemble's MaxDrivenInputs = %d; want %d", got, compute.MaxDriven)
		}
		random := func(rows, cols int) [][]float32 {
			v := make([][]float32, lanes)
			for k := range v {
				v[k] = make([]float32, rows*cols)
				for i := range v[k] {
					v[k][i] = float32(2*rng.Float64() - 1)
				}
			}
			return v
		}
		hs, hx, hw, hd, hg := random((T+1)*B, n), random(T*B, 2), random(2, n), random(B, n), random(2, n)
		// The ensemble's tensors and their step views, as nn's workspace has them.
		s, x, w, d, g := e.New((T+1)*B, n), e.New(T*B, 2), e.New(2, n), e.New(B, n), e.New(2, n)
		for _, u := range []struct {
			t compute.Tensor
			v [][]float32
		}{{s, hs}, {x, hx}, {w, hw}, {d, hd}, {g, hg}} {
			e.UploadLanes(u.t, u.v, nil)
		}
		st, xt := e.View(s, 2*B, 0, B, n), e.View(x, B, 0, B, 2) // r_2, x_2
		if err := e.StartProfile(); err != nil {
			t.Fatal(err)
		}
		e.ActivateDriven(st, st, xt, w, compute.Tanh)
		e.ActivationGradDriven(d, st, xt, g, compute.Tanh, 1)
		ops, _, err := e.StopProfile()
		if err != nil {
			t.Fatal(err)
		}
		q := ""
		if n%4 == 0 {
			q = "4"
		}
		launches := map[string]int{}
		for _, o := range ops {
			launches[o.Op] += o.Count
		}
		for _, k := range []string{"gc_activate_driven" + q, "gc_activation_grad_driven" + q} {
			if launches[k] != 1 || len(launches) != 2 {
				t.Errorf("n=%d: launches %v; want one %s (and one of the other kernel)", n, launches, k)
			}
		}
		for k := range lanes {
			one := func(rows, cols int, v []float32) compute.Tensor {
				x := b.New(rows, cols)
				b.Upload(x, v)
				return x
			}
			ls, lx, lw, ld, lg := one((T+1)*B, n, hs[k]), one(T*B, 2, hx[k]), one(2, n, hw[k]), one(B, n, hd[k]), one(2, n, hg[k])
			lst, lxt := b.View(ls, 2*B, 0, B, n), b.View(lx, B, 0, B, 2)
			b.ActivateDriven(lst, lst, lxt, lw, compute.Tanh)
			b.ActivationGradDriven(ld, lst, lxt, lg, compute.Tanh, 1)
			for _, c := range []struct {
				name      string
				lane, ens compute.Tensor
			}{{"state", ls, s}, {"gradient", ld, d}, {"weight gradient", lg, g}} {
				want := make([]float32, c.lane.Rows()*c.lane.Cols())
				got := make([]float32, len(want))
				b.Download(want, c.lane)
				e.DownloadLane(got, c.ens, k)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n=%d lane %d %s[%d] = %v, alone %v", n, k, c.name, i, got[i], want[i])
					}
				}
			}
		}
	}
}
