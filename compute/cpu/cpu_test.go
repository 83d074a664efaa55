package cpu

import (
	"testing"

	"github.com/gridcells/gridcells/compute/computetest"
)

func TestFloat32(t *testing.T) { computetest.TestBackend(t, New(nil)) }

func TestFloat64(t *testing.T) { computetest.TestBackend(t, New64()) }

// TestSgemmSetting checks that Settings.Sgemm is the product every Gemm goes through.
func TestSgemmSetting(t *testing.T) {
	calls := 0
	b := New(&Settings{Sgemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, bb []float32, ldb int, beta float32, c []float32, ldc int) {
		calls++
		GonumSgemm(tA, tB, m, n, k, alpha, a, lda, bb, ldb, beta, c, ldc)
	}})
	computetest.TestBackend(t, b)
	if calls == 0 {
		t.Errorf("Settings.Sgemm was never called")
	}
}
