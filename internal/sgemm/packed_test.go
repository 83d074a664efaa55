package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSgemmPackedMatchesSgemm checks that a product with op(B) packed once by PackB
// is bit-identical to Sgemm for every kernel, blocking and worker split, both
// transposes, padded operands and several row counts m sharing one packing (the
// recurrent product of an RNN: one W_rec, T steps).
func TestSgemmPackedMatchesSgemm(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	var pb PackedB // reused across every case, growing and shrinking
	for _, cfg := range configs() {
		t.Run(cfg.name, func(t *testing.T) {
			defer cfg.apply()()
			for _, s := range shapes {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					for _, pad := range []int{0, 3} {
						tA, tB := tr[0], tr[1]
						bRows, bCols := s.k, s.n
						if tB {
							bRows, bCols = s.n, s.k
						}
						b := newGuarded(rnd, bRows, bCols, max(1, bCols)+pad, uniform)
						PackB(&pb, tB, s.k, s.n, b.data, b.ld)
						b.checkGuards(t, "PackB: B")
						if pb.K() != s.k || pb.N() != s.n {
							t.Fatalf("PackB(k=%d, n=%d): K, N = %d, %d", s.k, s.n, pb.K(), pb.N())
						}
						for _, m := range []int{s.m, s.m + 5, 1} {
							for _, ab := range [][2]float32{{1, 0}, {-0.5, 1.5}} {
								aRows, aCols := m, s.k
								if tA {
									aRows, aCols = s.k, m
								}
								a := newGuarded(rnd, aRows, aCols, max(1, aCols)+pad, uniform)
								c0 := newGuarded(rnd, m, s.n, s.n+pad, uniform)
								want := append([]float32(nil), c0.buf...)
								got := append([]float32(nil), c0.buf...)
								ld := c0.ld
								Sgemm(tA, tB, m, s.n, s.k, ab[0], a.data, a.ld, b.data, b.ld, ab[1], want[guardLen:], ld)
								SgemmPacked(tA, m, ab[0], a.data, a.ld, &pb, ab[1], got[guardLen:], ld)
								if !sameBits(got, want) {
									t.Fatalf("%s", fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v pad=%d: SgemmPacked differs from Sgemm",
										tA, tB, m, s.n, s.k, ab[0], ab[1], pad))
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmPackedBetaZeroIgnoresC checks that with beta = 0 a NaN in C does not
// leak into the result, and that alpha = 0 does not read the packed B.
func TestSgemmPackedBetaZeroIgnoresC(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	const m, n, k = 9, 20, 11
	a, b := randSlice(rnd, m*k), randSlice(rnd, k*n)
	var pb PackedB
	PackB(&pb, false, k, n, b, n)
	want := make([]float32, m*n)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	got := make([]float32, m*n)
	for i := range got {
		got[i] = guardNaN
	}
	SgemmPacked(false, m, 1, a, k, &pb, 0, got, n)
	if !sameBits(got, want) {
		t.Fatal("beta = 0: result differs from Sgemm (NaN in C leaked?)")
	}
	SgemmPacked(false, m, 0, a, k, &pb, 0.5, got, n)
	for i := range got {
		if got[i] != 0.5*want[i] {
			t.Fatalf("alpha = 0: C[%d] = %v, want %v", i, got[i], 0.5*want[i])
		}
	}
}

func TestSgemmPackedPanics(t *testing.T) {
	b := make([]float32, 12)
	a := make([]float32, 12)
	c := make([]float32, 12)
	var packed PackedB
	PackB(&packed, false, 3, 4, b, 4)
	for name, f := range map[string]func(){
		"unpacked":   func() { SgemmPacked(false, 3, 1, a, 3, &PackedB{}, 0, c, 4) },
		"negative k": func() { PackB(&PackedB{}, false, -1, 4, b, 4) },
		"small ldb":  func() { PackB(&PackedB{}, true, 3, 4, b, 2) },
		"short B":    func() { PackB(&PackedB{}, false, 4, 4, b, 4) },
		"negative m": func() { SgemmPacked(false, -1, 1, a, 3, &packed, 0, c, 4) },
		"small lda":  func() { SgemmPacked(false, 3, 1, a, 2, &packed, 0, c, 4) },
		"small ldc":  func() { SgemmPacked(false, 3, 1, a, 3, &packed, 0, c, 3) },
		"short A":    func() { SgemmPacked(false, 5, 1, a, 3, &packed, 0, make([]float32, 20), 4) },
		"short C":    func() { SgemmPacked(false, 3, 1, a, 3, &packed, 0, c[:11], 4) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestSgemmPackedAllocs checks that a warmed-up PackB and SgemmPacked allocate
// nothing, serial and parallel.
func TestSgemmPackedAllocs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	const m, n, k = 64, 96, 80
	a, b, c := randSlice(rnd, m*k), randSlice(rnd, k*n), randSlice(rnd, m*n)
	for _, kern := range availableKernels() {
		for _, workers := range []int{1, 2} {
			restore := config{kern: kern, blk: blocks, workers: workers, extraPacking: 10, maxProcs: 2}.apply()
			var pb PackedB
			f := func() {
				PackB(&pb, true, k, n, b, k)
				SgemmPacked(false, m, 1, a, k, &pb, 0, c, n)
			}
			f()
			got := testing.AllocsPerRun(10, f)
			restore()
			if got != 0 {
				t.Errorf("%s, workers=%d: %v allocations per call, want 0", kern.name, workers, got)
			}
		}
	}
}

// BenchmarkRecurrentProduct compares the training step's recurrent product
// (h_{t−1}·W_rec, B = 200, Ng = 1024, and its backward δ·W_recᵀ) through Sgemm,
// which packs W_rec on every call, with SgemmPacked on W_rec packed once.
func BenchmarkRecurrentProduct(b *testing.B) {
	rnd := rand.New(rand.NewPCG(11, 12))
	const m, ng = 200, 1024
	h, w, c := randSlice(rnd, m*ng), randSlice(rnd, ng*ng), randSlice(rnd, m*ng)
	for _, tB := range []bool{false, true} {
		b.Run(fmt.Sprintf("tB=%v/Sgemm", tB), func(b *testing.B) {
			for b.Loop() {
				Sgemm(false, tB, m, ng, ng, 1, h, ng, w, ng, 1, c, ng)
			}
		})
		b.Run(fmt.Sprintf("tB=%v/SgemmPacked", tB), func(b *testing.B) {
			var pb PackedB
			PackB(&pb, tB, ng, ng, w, ng)
			for b.Loop() {
				SgemmPacked(false, m, 1, h, ng, &pb, 1, c, ng)
			}
		})
	}
}
