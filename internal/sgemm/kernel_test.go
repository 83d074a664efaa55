package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// TestKernelSelection checks GRIDCELLS_SGEMM_KERNEL's rules: a name this build
// and CPU run picks that kernel; an empty, unknown or unsupported name falls
// back to the fastest; and the kernel chosen at init follows the same rules for
// the process's own environment. With -v it prints the kernels, so a test log
// says which ran.
func TestKernelSelection(t *testing.T) {
	avail := availableKernels()
	names := make([]string, len(avail))
	for i, k := range avail {
		names[i] = k.name
	}
	t.Logf("kernel in use: %s (available: %v; %s=%q)", KernelName(), names, kernelEnv, os.Getenv(kernelEnv))
	if avail[0] != &kernelGeneric {
		t.Fatalf("first available kernel is %s, want generic", avail[0].name)
	}
	fastest := avail[len(avail)-1]
	for _, k := range avail {
		if got := selectKernel(k.name, avail); got != k {
			t.Errorf("selectKernel(%q) = %s", k.name, got.name)
		}
	}
	for _, name := range []string{"", "sse", "AVX512 ", "Generic"} {
		if got := selectKernel(name, avail); got != fastest {
			t.Errorf("selectKernel(%q) = %s, want the fastest, %s", name, got.name, fastest.name)
		}
	}
	// A kernel the CPU lacks is not in avail and so falls back too.
	if got := selectKernel("avx512", avail[:1]); got != &kernelGeneric {
		t.Errorf("selectKernel(avx512) with only generic available = %s", got.name)
	}
	if want := selectKernel(os.Getenv(kernelEnv), avail); activeKernel != want || KernelName() != want.name {
		t.Errorf("kernel chosen at init is %s, want %s", KernelName(), want.name)
	}
}

// TestMicroKernels runs each available micro-kernel directly on random packed
// micro-panels against a float64 loop, for k around its 4-step unroll, with a C
// row stride wider than the tile whose padding and surroundings hold guard NaNs,
// and with beta = 0 on a NaN C (which must not be read). A wrong register,
// offset or stride in a kernel shows here with the failing row and column,
// before the blocked products in TestSgemm.
func TestMicroKernels(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 14))
	for _, kern := range availableKernels() {
		mr, nr := kern.mr, kern.nr
		for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 256, 259} {
			for _, ab := range [][2]float32{{1, 0}, {-0.5, 1.5}, {2, 1}} {
				alpha, beta := ab[0], ab[1]
				ldc := nr + 5
				a, b := randSlice(rnd, k*mr), randSlice(rnd, k*nr)
				fill := uniform
				if beta == 0 {
					fill = func(*rand.Rand) float32 { return guardNaN }
				}
				c := newGuarded(rnd, mr, nr, ldc, fill)
				c0 := append([]float32(nil), c.data...)
				kern.run(k, &a[0], &b[0], &c.data[0], ldc, alpha, beta)
				name := fmt.Sprintf("%s k=%d alpha=%v beta=%v", kern.name, k, alpha, beta)
				c.checkGuards(t, name+": C")
				for i := range mr {
					for j := range nr {
						var s, mag float64
						for p := range k {
							v := float64(a[p*mr+i]) * float64(b[p*nr+j])
							s += v
							mag += math.Abs(v)
						}
						want := float64(alpha) * s
						mag *= math.Abs(float64(alpha))
						if beta != 0 {
							cv := float64(c0[i*ldc+j])
							want += float64(beta) * cv
							mag += math.Abs(float64(beta) * cv)
						}
						got := float64(c.data[i*ldc+j])
						if tol := tolFactor * float32Eps * float64(k+2) * mag; !(math.Abs(got-want) <= tol) {
							t.Fatalf("%s: C[%d,%d] = %v, want %v (tol %g)", name, i, j, got, want, tol)
						}
					}
				}
			}
		}
	}
}
