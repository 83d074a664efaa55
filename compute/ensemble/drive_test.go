package ensemble

import (
	"fmt"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
)

// singleDriver has the single fused operations of an InputDriving backend, not its lane
// forms.
type singleDriver struct {
	compute.Backend
	d *computetest.InputDriving
}

func newSingleDriver(b compute.Backend) singleDriver {
	d := computetest.NewInputDriving(b)
	return singleDriver{d, d}
}

func (s singleDriver) MaxDrivenInputs() int { return s.d.MaxDrivenInputs() }
func (s singleDriver) ActivateDriven(dst, pre, x, w compute.Tensor, f compute.Activation) {
	s.d.ActivateDriven(dst, pre, x, w, f)
}
func (s singleDriver) ActivationGradDriven(dst, out, x, gw compute.Tensor, f compute.Activation, beta float64) {
	s.d.ActivationGradDriven(dst, out, x, gw, f, beta)
}

// drivenOps are the fused operations on a model step's shapes (4 rows, 8 columns, 2
// inputs), for checkOp.
func drivenOps() []op {
	mat, x, w := operand{4, 8}, operand{4, 2}, operand{2, 8}
	var list []op
	for _, f := range []compute.Activation{compute.Linear, compute.ReLU, compute.Tanh, compute.Sigmoid} {
		list = append(list, op{name: "ActivateDriven/" + f.String(), operands: []operand{mat, mat, x, w},
			run: func(b compute.Backend, t []compute.Tensor) float64 {
				b.(compute.InputDriver).ActivateDriven(t[0], t[1], t[2], t[3], f)
				return 0
			}})
		for _, beta := range []float64{0, 1} {
			list = append(list, op{name: fmt.Sprintf("ActivationGradDriven/%v/β=%v", f, beta), operands: []operand{mat, mat, x, w},
				run: func(b compute.Backend, t []compute.Tensor) float64 {
					b.Activate(t[1], t[1], f)
					b.(compute.InputDriver).ActivationGradDriven(t[0], t[1], t[2], t[3], f, beta)
					return 0
				}})
		}
	}
	return list
}

// TestInputDriver checks the ensemble's fused operations against the inner backend's, lane
// by lane, bit for bit (checkOp), on an inner backend with the lane forms (the reference
// computetest.InputDriving): operands that cover every lane take one lane operation, views
// that cut columns one single operation per lane. MaxDrivenInputs is the inner backend's
// with the lane forms, and 0 without them or without any fused operation.
func TestInputDriver(t *testing.T) {
	inner := computetest.NewInputDriving(cpu.New(nil))
	e, err := New(inner, lanes)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.MaxDrivenInputs(); got != compute.MaxDriven {
		t.Errorf("MaxDrivenInputs with the lane forms = %d; want %d", got, compute.MaxDriven)
	}
	for _, cut := range []bool{false, true} {
		for i, o := range drivenOps() {
			t.Run(fmt.Sprintf("cut=%v/%s", cut, o.name), func(t *testing.T) {
				inner.Calls, inner.LaneCalls = 0, 0
				checkOp(t, e, inner, o, cut, uint64(100+i))
				// The ensemble's part of the calls: checkOp then ran the operation once per
				// lane on the inner backend itself.
				wantLane, wantSingle := 1, lanes
				if cut {
					wantLane, wantSingle = 0, 2*lanes
				}
				if inner.LaneCalls != wantLane || inner.Calls != wantSingle {
					t.Errorf("%d lane and %d single operations; want %d and %d", inner.LaneCalls, inner.Calls, wantLane, wantSingle)
				}
			})
		}
	}
	// Without the lane forms the operations still run, lane by lane, but MaxDrivenInputs
	// says not to use them; without any fused operation they panic.
	single := newSingleDriver(cpu.New(nil))
	es, err := New(single, lanes)
	if err != nil {
		t.Fatal(err)
	}
	if got := es.MaxDrivenInputs(); got != 0 {
		t.Errorf("MaxDrivenInputs without the lane forms = %d; want 0", got)
	}
	for i, o := range drivenOps()[:3] {
		t.Run("single operations only/"+o.name, func(t *testing.T) { checkOp(t, es, single, o, false, uint64(200+i)) })
	}
	ep, err := New(cpu.New(nil), lanes)
	if err != nil {
		t.Fatal(err)
	}
	if got := ep.MaxDrivenInputs(); got != 0 {
		t.Errorf("MaxDrivenInputs on the plain CPU backend = %d; want 0", got)
	}
	x := ep.New(4, 8)
	if !panics(func() { ep.ActivateDriven(x, x, ep.New(4, 2), ep.New(2, 8), compute.ReLU) }) {
		t.Errorf("ActivateDriven on an inner backend without it did not panic")
	}
}
