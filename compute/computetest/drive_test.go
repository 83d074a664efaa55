package computetest_test

import (
	"testing"

	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
)

// TestInputDriving runs the conformance suite, the InputDriver checks included, on the
// unfused reference InputDriving over the CPU backend in float32 and float64: the models'
// and ensembles' tests take it as the contract of a fused backend.
func TestInputDriving(t *testing.T) {
	t.Run("float32", func(t *testing.T) { computetest.TestBackend(t, computetest.NewInputDriving(cpu.New(nil))) })
	t.Run("float64", func(t *testing.T) { computetest.TestBackend(t, computetest.NewInputDriving(cpu.New64())) })
}
