//go:build !noasm && !purego

#include "textflag.h"

// One step of k: load the 16 values of B for this k (Y12, Y13), broadcast the 6
// values of A one at a time (Y14, Y15 alternate so that loads run ahead of the
// FMAs) and accumulate the outer product into Y0–Y11 (row i in Y(2i), Y(2i+1)).
// AO and BO are the byte offsets of this step in the A and B micro-panels.
#define STEP(AO, BO) \
	VMOVUPS      BO(BX), Y12;      \
	VMOVUPS      BO+32(BX), Y13;   \
	VBROADCASTSS AO(AX), Y14;      \
	VBROADCASTSS AO+4(AX), Y15;    \
	VFMADD231PS  Y12, Y14, Y0;     \
	VFMADD231PS  Y13, Y14, Y1;     \
	VFMADD231PS  Y12, Y15, Y2;     \
	VFMADD231PS  Y13, Y15, Y3;     \
	VBROADCASTSS AO+8(AX), Y14;    \
	VBROADCASTSS AO+12(AX), Y15;   \
	VFMADD231PS  Y12, Y14, Y4;     \
	VFMADD231PS  Y13, Y14, Y5;     \
	VFMADD231PS  Y12, Y15, Y6;     \
	VFMADD231PS  Y13, Y15, Y7;     \
	VBROADCASTSS AO+16(AX), Y14;   \
	VBROADCASTSS AO+20(AX), Y15;   \
	VFMADD231PS  Y12, Y14, Y8;     \
	VFMADD231PS  Y13, Y14, Y9;     \
	VFMADD231PS  Y12, Y15, Y10;    \
	VFMADD231PS  Y13, Y15, Y11

// Row update with beta ≠ 0: C[row] = acc + beta·C[row] (acc already scaled by alpha).
#define ROWBETA(LO, HI) \
	VFMADD231PS (DX), Y15, LO;    \
	VFMADD231PS 32(DX), Y15, HI;  \
	VMOVUPS     LO, (DX);         \
	VMOVUPS     HI, 32(DX);       \
	ADDQ        R8, DX

// Row update with beta = 0: C[row] = acc, C not read.
#define ROWSTORE(LO, HI) \
	VMOVUPS LO, (DX);    \
	VMOVUPS HI, 32(DX);  \
	ADDQ    R8, DX

// func kernel6x16AVX2FMA(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·kernel6x16AVX2FMA(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8 // ldc in bytes

	// Touch the six rows of the C tile now so that they are in cache when the
	// update at the end reads them.
	MOVQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R10
	SHRQ $2, R10 // steps of four
	JZ   tail

loop4:
	PREFETCHT0 384(AX)
	STEP(0, 0)
	STEP(24, 64)
	PREFETCHT0 448(AX)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ       $96, AX
	ADDQ       $256, BX
	DECQ       R10
	JNZ        loop4

tail:
	ANDQ $3, CX
	JZ   update

loop1:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

update:
	// VEX-encoded loads only: a legacy-SSE MOVSS here, with the upper halves of
	// the Y registers dirty, cost a quarter of the kernel's speed on Zen 3.
	VBROADCASTSS alpha+40(FP), Y14
	VMULPS       Y14, Y0, Y0
	VMULPS       Y14, Y1, Y1
	VMULPS       Y14, Y2, Y2
	VMULPS       Y14, Y3, Y3
	VMULPS       Y14, Y4, Y4
	VMULPS       Y14, Y5, Y5
	VMULPS       Y14, Y6, Y6
	VMULPS       Y14, Y7, Y7
	VMULPS       Y14, Y8, Y8
	VMULPS       Y14, Y9, Y9
	VMULPS       Y14, Y10, Y10
	VMULPS       Y14, Y11, Y11

	// beta == 0 (either sign) must not read C, which may hold NaN.
	MOVL beta+44(FP), R9
	ANDL $0x7fffffff, R9
	JZ   storeonly

	VBROADCASTSS beta+44(FP), Y15
	ROWBETA(Y0, Y1)
	ROWBETA(Y2, Y3)
	ROWBETA(Y4, Y5)
	ROWBETA(Y6, Y7)
	ROWBETA(Y8, Y9)
	ROWBETA(Y10, Y11)
	VZEROUPPER
	RET

storeonly:
	ROWSTORE(Y0, Y1)
	ROWSTORE(Y2, Y3)
	ROWSTORE(Y4, Y5)
	ROWSTORE(Y6, Y7)
	ROWSTORE(Y8, Y9)
	ROWSTORE(Y10, Y11)
	VZEROUPPER
	RET
