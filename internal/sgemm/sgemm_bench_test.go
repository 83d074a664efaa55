package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the products of one training step (B 200, T 20, Np 512, so 4000
// rows when all time steps are stacked; see README "Speed on a CPU") at Ng 4096, 1024
// and 256. testdata/openblas_bench.py runs the same list through numpy/OpenBLAS.
var benchShapes = func() []struct {
	name    string
	tA, tB  bool
	m, n, k int
} {
	var s []struct {
		name    string
		tA, tB  bool
		m, n, k int
	}
	for _, ng := range []int{4096, 1024, 256} {
		s = append(s, []struct {
			name    string
			tA, tB  bool
			m, n, k int
		}{
			{"recurrent-NN", false, false, 200, ng, ng},  // h_t·W per time step
			{"recurrent-NT", false, true, 200, ng, ng},   // the same with W stored transposed
			{"readout-NN", false, false, 4000, 512, ng},  // all hidden states · readout
			{"encoder-NN", false, false, 4000, ng, 512},  // place-cell code · encoder; readout backward
			{"weightgrad-TN", true, false, ng, ng, 4000}, // Hᵀ·dH over all rows
		}...)
	}
	return s
}()

// BenchmarkSgemm reports GFLOP/s (2·m·n·k per call) at the training step's shapes
// with the default kernel (logged with each shape; GRIDCELLS_SGEMM_KERNEL pins it)
// and all GOMAXPROCS workers.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%s/m=%d,n=%d,k=%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			benchOne(b, s.tA, s.tB, s.m, s.n, s.k)
		})
	}
}

// BenchmarkSgemmSerial is BenchmarkSgemm on one goroutine, for the kernel's speed
// per core.
func BenchmarkSgemmSerial(b *testing.B) {
	defer config{kern: activeKernel, blk: blocks, workers: 1, minWork: minParallelWork, extraPacking: maxExtraPacking, parallelPack: minParallelPack}.apply()()
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%s/m=%d,n=%d,k=%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			benchOne(b, s.tA, s.tB, s.m, s.n, s.k)
		})
	}
}

// BenchmarkNaiveSgemm is the naive triple loop, the reference twin, at the small
// shapes only (it is about a hundred times slower).
func BenchmarkNaiveSgemm(b *testing.B) {
	for _, s := range benchShapes {
		if s.m*s.n*s.k > 1<<26 {
			continue
		}
		b.Run(fmt.Sprintf("%s/m=%d,n=%d,k=%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(1, 1))
			a, bb, c := randSlice(rnd, s.m*s.k), randSlice(rnd, s.k*s.n), make([]float32, s.m*s.n)
			lda, ldb := s.k, s.n
			if s.tA {
				lda = s.m
			}
			if s.tB {
				ldb = s.k
			}
			for b.Loop() {
				naive(s.tA, s.tB, s.m, s.n, s.k, a, lda, bb, ldb, c, s.n)
			}
			b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func naive(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float32
			for p := range k {
				av, bv := a[i*lda+p], float32(0)
				if tA {
					av = a[p*lda+i]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			c[i*ldc+j] = s
		}
	}
}

func benchOne(b *testing.B, tA, tB bool, m, n, k int) {
	rnd := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(rnd, m*k), randSlice(rnd, k*n), make([]float32, m*n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n) // warm up buffers and workers
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for b.Loop() {
		Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.Logf("kernel %s", KernelName())
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		// With w workers busy, w CPU-seconds pass per second: this is per core.
		b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
	}
}
