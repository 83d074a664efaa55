//go:build !noasm && !purego

package sgemm

import "golang.org/x/sys/cpu"

// useAVX2FMA selects the AVX2+FMA kernel. Tests turn it off to run the generic
// kernel on machines that have the assembly one (the x/crypto/blake2b pattern).
var useAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// An AVX-512 kernel would add a useAVX512 flag (cpu.X86.HasAVX512F), a
// microKernel value with its own tile (e.g. 14×32 in 28 zmm accumulators) and a
// case in currentKernel ahead of AVX2; the packing and blocking code takes mr and
// nr from the kernel and needs no change.

var kernelAVX2FMA = microKernel{
	name: "avx2fma", mr: 6, nr: 16, run: kernel6x16AVX2FMA,
	packAN: panelPacker{packA6N, 4},
	packAT: panelPacker{packA6T, 1},
	packBN: panelPacker{packB16N, 1},
	packBT: panelPacker{packB16T, 8},
}

// currentKernel returns the fastest kernel the CPU supports.
func currentKernel() *microKernel {
	if useAVX2FMA {
		return &kernelAVX2FMA
	}
	return &kernelGeneric
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
