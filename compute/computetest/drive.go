package computetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
)

// InputDriving is a backend with compute.LaneInputDriver added, each operation made of the
// backend's own operations (Copy, Gemm, Activate, ActivationGrad): the unfused products that
// the interface replaces. It is for testing the code that uses the interface (models,
// ensembles) on a backend without it, such as the float64 CPU backend of the gradient
// checks. It counts its calls.
type InputDriving struct {
	compute.Backend
	// Calls counts the single operations, LaneCalls the lane operations.
	Calls, LaneCalls int
}

var _ compute.LaneInputDriver = (*InputDriving)(nil)

// NewInputDriving returns b with compute.LaneInputDriver.
func NewInputDriving(b compute.Backend) *InputDriving { return &InputDriving{Backend: b} }

// MaxDrivenInputs is compute.MaxDriven.
func (d *InputDriving) MaxDrivenInputs() int { return compute.MaxDriven }

// ActivateDriven is Copy (unless dst is pre), Gemm with beta = 1, Activate.
func (d *InputDriving) ActivateDriven(dst, pre, x, w compute.Tensor, f compute.Activation) {
	compute.DrivenDims("ActivateDriven", dst, pre, x, w, 1, compute.MaxDriven)
	d.Calls++
	d.activate(dst, pre, x, w, f)
}

// ActivationGradDriven is ActivationGrad, then Gemm of xᵀ·dst with beta.
func (d *InputDriving) ActivationGradDriven(dst, out, x, gw compute.Tensor, f compute.Activation, beta float64) {
	compute.DrivenDims("ActivationGradDriven", dst, out, x, gw, 1, compute.MaxDriven)
	d.Calls++
	d.grad(dst, out, x, gw, f, beta)
}

// ActivateDrivenLanes is ActivateDriven on each lane's views in turn.
func (d *InputDriving) ActivateDrivenLanes(dst, pre, x, w compute.Tensor, f compute.Activation, lanes int) {
	n, k := compute.DrivenDims("ActivateDrivenLanes", dst, pre, x, w, lanes, compute.MaxDriven)
	d.LaneCalls++
	for l := range lanes {
		d.activate(d.lane(dst, l, n), d.lane(pre, l, n), d.lane(x, l, k), d.lane(w, l, n), f)
	}
}

// ActivationGradDrivenLanes is ActivationGradDriven on each lane's views in turn.
func (d *InputDriving) ActivationGradDrivenLanes(dst, out, x, gw compute.Tensor, f compute.Activation, beta float64, lanes int) {
	n, k := compute.DrivenDims("ActivationGradDrivenLanes", dst, out, x, gw, lanes, compute.MaxDriven)
	d.LaneCalls++
	for l := range lanes {
		d.grad(d.lane(dst, l, n), d.lane(out, l, n), d.lane(x, l, k), d.lane(gw, l, n), f, beta)
	}
}

func (d *InputDriving) activate(dst, pre, x, w compute.Tensor, f compute.Activation) {
	if dst != pre {
		d.Copy(dst, pre)
	}
	d.Gemm(false, false, 1, x, w, 1, dst)
	d.Activate(dst, dst, f)
}

func (d *InputDriving) grad(dst, out, x, gw compute.Tensor, f compute.Activation, beta float64) {
	d.ActivationGrad(dst, out, f)
	d.Gemm(true, false, 1, x, dst, beta, gw)
}

// lane returns lane l's block, w columns wide, of x.
func (d *InputDriving) lane(x compute.Tensor, l, w int) compute.Tensor {
	return d.View(x, 0, l*w, x.Rows(), w)
}

var activations = []compute.Activation{compute.Linear, compute.ReLU, compute.Tanh, compute.Sigmoid}

// viewed is a host matrix uploaded as the block at (1, 4) of a parent two rows and eight
// columns larger, whose other elements must not change. The offsets keep a block whose
// columns are a multiple of 4 readable as float4s (a GPU's vector kernels).
type viewed struct {
	full   host
	parent compute.Tensor
	v      compute.Tensor
}

func upViewed(b compute.Backend, rng *rand.Rand, h host) viewed {
	full := rounded(b, randHost(rng, h.r+2, h.c+8))
	for i := range h.r {
		copy(full.v[(i+1)*full.c+4:], h.v[i*h.c:(i+1)*h.c])
	}
	p := up(b, full)
	return viewed{full, p, b.View(p, 1, 4, h.r, h.c)}
}

// expect returns the parent's values with the block replaced by want (row-major, r×c).
func (v viewed) expect(want []float64, c int) []float64 {
	e := append([]float64(nil), v.full.v...)
	for i := range len(want) / c {
		copy(e[(i+1)*v.full.c+4:], want[i*c:(i+1)*c])
	}
	return e
}

// drivenRef returns φ(pre + x·w) for B×n pre, B×k x and k×n w, in float64.
func drivenRef(pre, x, w host, f compute.Activation) []float64 {
	out := make([]float64, len(pre.v))
	for r := range pre.r {
		for j := range pre.c {
			s := 0.0
			for i := range x.c {
				s += x.at(r, i) * w.at(i, j)
			}
			out[r*pre.c+j] = f.Apply(pre.at(r, j) + s)
		}
	}
	return out
}

// drivenGradRef returns d ⊙ φ'(out) and beta·gw + xᵀ·(d ⊙ φ'(out)), in float64 (gw is not
// read when beta = 0).
func drivenGradRef(d, out, x, gw host, f compute.Activation, beta float64) (dst, gwant []float64) {
	dst = make([]float64, len(d.v))
	for i, v := range d.v {
		dst[i] = v * f.DerivFromOutput(out.v[i])
	}
	gwant = make([]float64, len(gw.v))
	for i := range gw.r {
		for j := range gw.c {
			s := 0.0
			for r := range d.r {
				s += x.at(r, i) * dst[r*d.c+j]
			}
			if beta != 0 {
				s += beta * gw.at(i, j)
			}
			gwant[i*gw.c+j] = s
		}
	}
	return dst, gwant
}

// activationOutputs returns φ of random pre-activations, rows×cols, rounded to b's dtype: the
// outputs an ActivationGrad receives (relu's zeros included).
func activationOutputs(b compute.Backend, rng *rand.Rand, rows, cols int, f compute.Activation) host {
	h := randHost(rng, rows, cols)
	for i, v := range h.v {
		h.v[i] = f.Apply(3 * v)
	}
	return rounded(b, h)
}

// TestInputDriver checks d, b's compute.InputDriver, against float64 host loops: every
// activation, k = 1 … MaxDrivenInputs, operands that are views inside larger parents whose
// other elements must not change, dst apart from pre and in place of it, beta 0 (gw not
// read: NaNs there must not propagate), 1 and 0.5, on column counts that a GPU's vector
// kernels take (multiples of 4) and that they do not; then, when d has the lane forms
// (compute.LaneInputDriver), each lane's results against the single operations on that
// lane's views, bit for bit; then the panics for misuse. TestBackend runs it for backends
// whose MaxDrivenInputs is positive.
func TestInputDriver(t *testing.T, b compute.Backend, d compute.InputDriver) {
	maxK := d.MaxDrivenInputs()
	if maxK < 1 || maxK > compute.MaxDriven {
		t.Fatalf("MaxDrivenInputs = %d; want 1 … %d", maxK, compute.MaxDriven)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sh := range []struct{ rows, n, k int }{{1, 1, 1}, {3, 9, 2}, {5, 8, 2}, {70, 12, 3}, {33, 40, compute.MaxDriven}, {200, 8, 2}} {
		k := min(sh.k, maxK)
		for _, f := range activations {
			name := fmt.Sprintf("%d×%d k=%d %v", sh.rows, sh.n, k, f)
			hx := rounded(b, randHost(rng, sh.rows, k))
			hw := rounded(b, randHost(rng, k, sh.n))
			x, w := upViewed(b, rng, hx), upViewed(b, rng, hw)
			for _, inPlace := range []bool{false, true} {
				hp := rounded(b, randHost(rng, sh.rows, sh.n))
				pre := upViewed(b, rng, hp)
				dst := pre
				if !inPlace {
					dst = upViewed(b, rng, rounded(b, randHost(rng, sh.rows, sh.n)))
				}
				d.ActivateDriven(dst.v, pre.v, x.v, w.v, f)
				want := drivenRef(hp, hx, hw, f)
				check(t, b, fmt.Sprintf("ActivateDriven %s in place=%v", name, inPlace), down(b, dst.parent), dst.expect(want, sh.n))
				if !inPlace {
					check(t, b, "ActivateDriven's pre "+name, down(b, pre.parent), pre.full.v)
				}
			}
			for _, beta := range []float64{0, 1, 0.5} {
				hd := rounded(b, randHost(rng, sh.rows, sh.n))
				hout := activationOutputs(b, rng, sh.rows, sh.n, f)
				hg := rounded(b, randHost(rng, k, sh.n))
				if beta == 0 {
					for i := range hg.v {
						hg.v[i] = math.NaN() // must not be read
					}
				}
				dst, out, gw := upViewed(b, rng, hd), upViewed(b, rng, hout), upViewed(b, rng, hg)
				d.ActivationGradDriven(dst.v, out.v, x.v, gw.v, f, beta)
				wantD, wantG := drivenGradRef(hd, hout, hx, hg, f, beta)
				n := fmt.Sprintf("ActivationGradDriven %s β=%v", name, beta)
				check(t, b, n+" dst", down(b, dst.parent), dst.expect(wantD, sh.n))
				check(t, b, n+" gw", down(b, gw.parent), gw.expect(wantG, sh.n))
				check(t, b, n+" out", down(b, out.parent), out.full.v)
			}
			check(t, b, "ActivateDriven's x "+name, down(b, x.parent), x.full.v)
			check(t, b, "ActivateDriven's w "+name, down(b, w.parent), w.full.v)
		}
	}
	if ld, ok := d.(compute.LaneInputDriver); ok {
		testInputDriverLanes(t, b, ld)
	}
	x, w := b.New(4, maxK+1), b.New(maxK+1, 8)
	dst := b.New(4, 8)
	if !panics(func() { d.ActivateDriven(dst, dst, x, w, compute.ReLU) }) {
		t.Errorf("ActivateDriven with %d input columns did not panic", maxK+1)
	}
	if !panics(func() { d.ActivationGradDriven(dst, b.New(4, 8), x, w, compute.ReLU, 0) }) {
		t.Errorf("ActivationGradDriven with %d input columns did not panic", maxK+1)
	}
	if !panics(func() { d.ActivateDriven(dst, dst, b.New(3, 1), b.New(1, 8), compute.ReLU) }) {
		t.Errorf("ActivateDriven with 3 input rows for 4 did not panic")
	}
	if !panics(func() { d.ActivationGradDriven(dst, b.New(4, 8), b.New(4, 1), b.New(1, 7), compute.ReLU, 0) }) {
		t.Errorf("ActivationGradDriven with a 1×7 gradient for 8 columns did not panic")
	}
}

// testInputDriverLanes checks the lane forms on whole tensors and on row views (the time
// steps of an ensemble's states) of lanes side by side, with lane widths that a GPU's vector
// kernels take and that they do not.
func testInputDriverLanes(t *testing.T, b compute.Backend, d compute.LaneInputDriver) {
	rng := rand.New(rand.NewPCG(13, 14))
	maxK := d.MaxDrivenInputs()
	for _, sh := range []struct{ lanes, rows, n, k int }{{3, 10, 8, 2}, {3, 10, 6, 2}, {2, 41, 16, compute.MaxDriven}, {1, 5, 4, 1}} {
		k := min(sh.k, maxK)
		L := sh.lanes
		for _, f := range activations {
			name := fmt.Sprintf("%d lanes of %d×%d k=%d %v", L, sh.rows, sh.n, k, f)
			// Each operand twice, with the same values: for the lane form and for the
			// single operations. Row 1 … of a parent one row taller, as an ensemble's step.
			pair := func(h host) (lanes, single compute.Tensor) {
				p := rounded(b, randHost(rng, h.r+1, h.c))
				copy(p.v[h.c:], h.v)
				return b.View(up(b, p), 1, 0, h.r, h.c), b.View(up(b, p), 1, 0, h.r, h.c)
			}
			lane := func(x compute.Tensor, l, w int) compute.Tensor { return b.View(x, 0, l*w, x.Rows(), w) }
			hx := rounded(b, randHost(rng, sh.rows, L*k))
			hw := rounded(b, randHost(rng, k, L*sh.n))
			hp := rounded(b, randHost(rng, sh.rows, L*sh.n))
			xL, xS := pair(hx)
			wL, wS := pair(hw)
			pL, pS := pair(hp)
			d.ActivateDrivenLanes(pL, pL, xL, wL, f, L)
			for l := range L {
				d.ActivateDriven(lane(pS, l, sh.n), lane(pS, l, sh.n), lane(xS, l, k), lane(wS, l, sh.n), f)
			}
			same(t, "ActivateDrivenLanes "+name, down(b, pL), down(b, pS))
			for _, beta := range []float64{0, 1} {
				hd := rounded(b, randHost(rng, sh.rows, L*sh.n))
				hout := activationOutputs(b, rng, sh.rows, L*sh.n, f)
				hg := rounded(b, randHost(rng, k, L*sh.n))
				dL, dS := pair(hd)
				oL, oS := pair(hout)
				gL, gS := pair(hg)
				d.ActivationGradDrivenLanes(dL, oL, xL, gL, f, beta, L)
				for l := range L {
					d.ActivationGradDriven(lane(dS, l, sh.n), lane(oS, l, sh.n), lane(xS, l, k), lane(gS, l, sh.n), f, beta)
				}
				n := fmt.Sprintf("ActivationGradDrivenLanes %s β=%v", name, beta)
				same(t, n+" dst", down(b, dL), down(b, dS))
				same(t, n+" gw", down(b, gL), down(b, gS))
				// And the values themselves, lane by lane, against the host.
				for l := range L {
					sub := func(h host, w int) host {
						s := host{h.r, w, make([]float64, h.r*w)}
						for i := range h.r {
							copy(s.v[i*w:], h.v[i*h.c+l*w:i*h.c+(l+1)*w])
						}
						return s
					}
					wantD, wantG := drivenGradRef(sub(hd, sh.n), sub(hout, sh.n), sub(hx, k), sub(hg, sh.n), f, beta)
					check(t, b, fmt.Sprintf("%s lane %d dst", n, l), down(b, lane(dL, l, sh.n)), wantD)
					check(t, b, fmt.Sprintf("%s lane %d gw", n, l), down(b, lane(gL, l, sh.n)), wantG)
				}
			}
		}
	}
	if !panics(func() {
		x := b.New(4, 6)
		d.ActivateDrivenLanes(x, x, b.New(4, 3), b.New(1, 6), compute.ReLU, 4)
	}) {
		t.Errorf("ActivateDrivenLanes of 4 lanes on 6 columns did not panic")
	}
}

// same fails t unless got and want are the same bits.
func same(t *testing.T, name string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("%s: element %d = %v, the single operations give %v", name, i, got[i], want[i])
			return
		}
	}
}
