//go:build !noasm && !purego

package sgemm

import "golang.org/x/sys/cpu"

// availableKernels lists the kernels this CPU runs, slowest first: the
// generic one always, the AVX2+FMA one and, ahead of it, the AVX-512F one when
// x/sys/cpu reports the features (including the operating system's support for
// the wider register state).
func availableKernels() []*microKernel {
	ks := []*microKernel{&kernelGeneric}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &kernelAVX2FMA)
	}
	if cpu.X86.HasAVX512F {
		ks = append(ks, &kernelAVX512)
	}
	return ks
}

var kernelAVX2FMA = microKernel{
	name: "avx2fma", mr: 6, nr: 16, run: kernel6x16AVX2FMA,
	packAN: panelPacker{packA6N, 4},
	packAT: panelPacker{packA6T, 1},
	packBN: panelPacker{packB16N, 1},
	packBT: panelPacker{packB16T, 8},
}

// kernelAVX512 is the 12×32 AVX-512F kernel: 24 of the 32 zmm registers hold
// the tile, two the values of B and four broadcast values of A (the tile of
// BLIS's Skylake-X sgemm, transposed for row-major C). Its packers use AVX
// (VEX) instructions only, so they are tested on AVX2 machines too
// (kernel_amd64_test.go).
var kernelAVX512 = microKernel{
	name: "avx512", mr: 12, nr: 32, run: kernel12x32AVX512,
	packAN: panelPacker{packA12N, 4},
	packAT: panelPacker{packA12T, 1},
	packBN: panelPacker{packB32N, 1},
	packBT: panelPacker{packB32T, 8},
}

// kernel6x16AVX2FMA is, with mr = 6 and nr = 16,
//
//	for i := 0; i < mr; i++ {
//		for j := 0; j < nr; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[p*mr+i] * b[p*nr+j]
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * s
//			} else {
//				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
// with the twelve 8-wide accumulators of the 6×16 tile held in Y0–Y11.
//
//go:noescape
func kernel6x16AVX2FMA(k int, a, b, c *float32, ldc int, alpha, beta float32)

// packA6N packs k (a multiple of 4) steps of six rows of A stored row-major:
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < 6; i++ {
//			dst[p*6+i] = src[i*lda+p]
//		}
//	}
//
//go:noescape
func packA6N(k int, src *float32, lda int, dst *float32)

// packA6T packs k steps of six columns of A stored transposed (k×m):
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < 6; i++ {
//			dst[p*6+i] = src[p*lda+i]
//		}
//	}
//
//go:noescape
func packA6T(k int, src *float32, lda int, dst *float32)

// packB16N packs k steps of sixteen columns of B stored row-major (k×n):
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 16; j++ {
//			dst[p*16+j] = src[p*ldb+j]
//		}
//	}
//
//go:noescape
func packB16N(k int, src *float32, ldb int, dst *float32)

// packB16T packs k (a multiple of 8) steps of sixteen rows of B stored
// transposed (n×k), with 8×8 in-register transposes:
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 16; j++ {
//			dst[p*16+j] = src[j*ldb+p]
//		}
//	}
//
//go:noescape
func packB16T(k int, src *float32, ldb int, dst *float32)

// kernel12x32AVX512 is kernel6x16AVX2FMA's loop with mr = 12 and nr = 32, the
// 24 16-wide accumulators held in Z0–Z23 (kernel512_amd64.s).
//
//go:noescape
func kernel12x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

// packA12N packs k (a multiple of 4) steps of twelve rows of A stored row-major
// (dst[p*12+i] = src[i*lda+p]).
//
//go:noescape
func packA12N(k int, src *float32, lda int, dst *float32)

// packA12T packs k steps of twelve columns of A stored transposed
// (dst[p*12+i] = src[p*lda+i]).
//
//go:noescape
func packA12T(k int, src *float32, lda int, dst *float32)

// packB32N packs k steps of 32 columns of B stored row-major
// (dst[p*32+j] = src[p*ldb+j]).
//
//go:noescape
func packB32N(k int, src *float32, ldb int, dst *float32)

// packB32T packs k (a multiple of 8) steps of 32 rows of B stored transposed
// (dst[p*32+j] = src[j*ldb+p]), with 8×8 in-register transposes.
//
//go:noescape
func packB32T(k int, src *float32, ldb int, dst *float32)
