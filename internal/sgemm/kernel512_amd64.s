//go:build !noasm && !purego

#include "textflag.h"

// The 12×32 AVX-512F micro-kernel. Register use (32 zmm):
//
//	Z0–Z23   accumulators: row i of the tile in Z(2i) (columns 0–15) and Z(2i+1) (16–31)
//	Z24, Z25 the 32 values of B for one step of k
//	Z26–Z29  broadcast values of A (four rows in flight, so loads run ahead of the FMAs)
//	Z30      alpha
//	Z31      beta
//
// Only AVX512F instructions on zmm (VMOVUPS, VBROADCASTSS, VFMADD231PS, VMULPS,
// VPXORD; EVEX VXORPS would need AVX512DQ), plus VZEROUPPER at the end. The
// packed A micro-panel has 12 values (48 bytes) per step of k, the packed B
// micro-panel 32 (128 bytes).

// FMA2 adds the broadcast A value in ZA times the 32 values of B to one row.
#define FMA2(ZA, LO, HI) \
	VFMADD231PS Z24, ZA, LO; \
	VFMADD231PS Z25, ZA, HI

// STEP512 is one step of k: AO and BO are its byte offsets in the A and B
// micro-panels (AX, BX).
#define STEP512(AO, BO) \
	VMOVUPS      BO(BX), Z24;     \
	VMOVUPS      BO+64(BX), Z25;  \
	VBROADCASTSS AO(AX), Z26;     \
	VBROADCASTSS AO+4(AX), Z27;   \
	VBROADCASTSS AO+8(AX), Z28;   \
	VBROADCASTSS AO+12(AX), Z29;  \
	FMA2(Z26, Z0, Z1);            \
	FMA2(Z27, Z2, Z3);            \
	FMA2(Z28, Z4, Z5);            \
	FMA2(Z29, Z6, Z7);            \
	VBROADCASTSS AO+16(AX), Z26;  \
	VBROADCASTSS AO+20(AX), Z27;  \
	VBROADCASTSS AO+24(AX), Z28;  \
	VBROADCASTSS AO+28(AX), Z29;  \
	FMA2(Z26, Z8, Z9);            \
	FMA2(Z27, Z10, Z11);          \
	FMA2(Z28, Z12, Z13);          \
	FMA2(Z29, Z14, Z15);          \
	VBROADCASTSS AO+32(AX), Z26;  \
	VBROADCASTSS AO+36(AX), Z27;  \
	VBROADCASTSS AO+40(AX), Z28;  \
	VBROADCASTSS AO+44(AX), Z29;  \
	FMA2(Z26, Z16, Z17);          \
	FMA2(Z27, Z18, Z19);          \
	FMA2(Z28, Z20, Z21);          \
	FMA2(Z29, Z22, Z23)

// PREFROW touches one 128-byte row of the C tile at R9 (three lines when it is
// not 64-byte aligned) and moves R9 to the next row.
#define PREFROW \
	PREFETCHT0 (R9);    \
	PREFETCHT0 64(R9);  \
	PREFETCHT0 124(R9); \
	ADDQ       R8, R9

// ROW512BETA: C[row] = acc + beta·C[row] (acc already scaled by alpha).
#define ROW512BETA(LO, HI) \
	VFMADD231PS (DX), Z31, LO;   \
	VFMADD231PS 64(DX), Z31, HI; \
	VMOVUPS     LO, (DX);        \
	VMOVUPS     HI, 64(DX);      \
	ADDQ        R8, DX

// ROW512STORE: C[row] = acc, C not read (beta = 0).
#define ROW512STORE(LO, HI) \
	VMOVUPS LO, (DX);   \
	VMOVUPS HI, 64(DX); \
	ADDQ    R8, DX

// func kernel12x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·kernel12x32AVX512(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8 // ldc in bytes

	// Touch the twelve rows of the C tile now so that they are in cache when
	// the update at the end reads them.
	MOVQ DX, R9
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ CX, R10
	SHRQ $2, R10 // steps of four
	JZ   tail512

loop512x4:
	// Four steps read 192 bytes of A (three lines): fetch the A lines of the
	// iteration after next; the B micro-panel is re-read for every A panel and
	// stays in L1.
	PREFETCHT0 384(AX)
	PREFETCHT0 448(AX)
	PREFETCHT0 512(AX)
	STEP512(0, 0)
	STEP512(48, 128)
	STEP512(96, 256)
	STEP512(144, 384)
	ADDQ       $192, AX
	ADDQ       $512, BX
	DECQ       R10
	JNZ        loop512x4

tail512:
	ANDQ $3, CX
	JZ   update512

loop512x1:
	STEP512(0, 0)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  loop512x1

update512:
	VBROADCASTSS alpha+40(FP), Z30
	VMULPS       Z30, Z0, Z0
	VMULPS       Z30, Z1, Z1
	VMULPS       Z30, Z2, Z2
	VMULPS       Z30, Z3, Z3
	VMULPS       Z30, Z4, Z4
	VMULPS       Z30, Z5, Z5
	VMULPS       Z30, Z6, Z6
	VMULPS       Z30, Z7, Z7
	VMULPS       Z30, Z8, Z8
	VMULPS       Z30, Z9, Z9
	VMULPS       Z30, Z10, Z10
	VMULPS       Z30, Z11, Z11
	VMULPS       Z30, Z12, Z12
	VMULPS       Z30, Z13, Z13
	VMULPS       Z30, Z14, Z14
	VMULPS       Z30, Z15, Z15
	VMULPS       Z30, Z16, Z16
	VMULPS       Z30, Z17, Z17
	VMULPS       Z30, Z18, Z18
	VMULPS       Z30, Z19, Z19
	VMULPS       Z30, Z20, Z20
	VMULPS       Z30, Z21, Z21
	VMULPS       Z30, Z22, Z22
	VMULPS       Z30, Z23, Z23

	// beta == 0 (either sign) must not read C, which may hold NaN.
	MOVL beta+44(FP), R9
	ANDL $0x7fffffff, R9
	JZ   storeonly512

	VBROADCASTSS beta+44(FP), Z31
	ROW512BETA(Z0, Z1)
	ROW512BETA(Z2, Z3)
	ROW512BETA(Z4, Z5)
	ROW512BETA(Z6, Z7)
	ROW512BETA(Z8, Z9)
	ROW512BETA(Z10, Z11)
	ROW512BETA(Z12, Z13)
	ROW512BETA(Z14, Z15)
	ROW512BETA(Z16, Z17)
	ROW512BETA(Z18, Z19)
	ROW512BETA(Z20, Z21)
	ROW512BETA(Z22, Z23)
	VZEROUPPER
	RET

storeonly512:
	ROW512STORE(Z0, Z1)
	ROW512STORE(Z2, Z3)
	ROW512STORE(Z4, Z5)
	ROW512STORE(Z6, Z7)
	ROW512STORE(Z8, Z9)
	ROW512STORE(Z10, Z11)
	ROW512STORE(Z12, Z13)
	ROW512STORE(Z14, Z15)
	ROW512STORE(Z16, Z17)
	ROW512STORE(Z18, Z19)
	ROW512STORE(Z20, Z21)
	ROW512STORE(Z22, Z23)
	VZEROUPPER
	RET
