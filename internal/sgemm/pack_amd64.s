//go:build !noasm && !purego

#include "textflag.h"

// Packing routines for the 6×16 AVX2 kernel. Each packs one full micro-panel;
// pack.go handles partial panels and the k remainders noted below. Only
// VEX-encoded instructions are used (see kernel_amd64.s on legacy SSE).

// func packA6T(k int, src *float32, lda int, dst *float32)
TEXT ·packA6T(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JLE   a6tdone

a6tloop:
	VMOVUPS (SI), X0
	VMOVSD  16(SI), X1
	VMOVUPS X0, (DI)
	VMOVSD  X1, 16(DI)
	ADDQ    R8, SI
	ADDQ    $24, DI
	DECQ    CX
	JNZ     a6tloop

a6tdone:
	RET

// func packA6N(k int, src *float32, lda int, dst *float32)
// k must be a multiple of 4.
TEXT ·packA6N(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	SHRQ $2, CX
	JZ   a6ndone
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	LEAQ (SI)(R8*2), R9 // row 2
	LEAQ (R9)(R8*2), R10 // row 4

a6nloop:
	// Four k steps of six rows: transpose the 4×4 block of rows 0–3 and the
	// 2×4 block of rows 4–5.
	VMOVUPS   (SI), X0
	VMOVUPS   (SI)(R8*1), X1
	VMOVUPS   (R9), X2
	VMOVUPS   (R9)(R8*1), X3
	VMOVUPS   (R10), X4
	VMOVUPS   (R10)(R8*1), X5
	VUNPCKLPS X1, X0, X6 // r0p0 r1p0 r0p1 r1p1
	VUNPCKHPS X1, X0, X7 // r0p2 r1p2 r0p3 r1p3
	VUNPCKLPS X3, X2, X8
	VUNPCKHPS X3, X2, X9
	VUNPCKLPS X5, X4, X10 // r4p0 r5p0 r4p1 r5p1
	VUNPCKHPS X5, X4, X11 // r4p2 r5p2 r4p3 r5p3
	VSHUFPS   $0x44, X8, X6, X0 // rows 0–3 at p0
	VSHUFPS   $0xEE, X8, X6, X1 // p1
	VSHUFPS   $0x44, X9, X7, X2 // p2
	VSHUFPS   $0xEE, X9, X7, X3 // p3
	VMOVUPS   X0, (DI)
	VMOVSD    X10, 16(DI)
	VMOVUPS   X1, 24(DI)
	VMOVHPS   X10, 40(DI)
	VMOVUPS   X2, 48(DI)
	VMOVSD    X11, 64(DI)
	VMOVUPS   X3, 72(DI)
	VMOVHPS   X11, 88(DI)
	ADDQ      $16, SI
	ADDQ      $16, R9
	ADDQ      $16, R10
	ADDQ      $96, DI
	DECQ      CX
	JNZ       a6nloop

a6ndone:
	RET

// func packB16N(k int, src *float32, ldb int, dst *float32)
TEXT ·packB16N(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JLE   b16ndone

b16nloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     b16nloop
	VZEROUPPER

b16ndone:
	RET

// TRANSPOSE8 transposes the 8×8 block whose rows are in Y0–Y7 (row r in Yr)
// into columns: on exit Y8+c holds column c for c = 0…7 in the order
// Y8, Y10, Y12, Y14, Y9, Y11, Y13, Y15 (see the stores in packB16T).
#define TRANSPOSE8 \
	VUNPCKLPS  Y1, Y0, Y8;          \
	VUNPCKHPS  Y1, Y0, Y9;          \
	VUNPCKLPS  Y3, Y2, Y10;         \
	VUNPCKHPS  Y3, Y2, Y11;         \
	VUNPCKLPS  Y5, Y4, Y12;         \
	VUNPCKHPS  Y5, Y4, Y13;         \
	VUNPCKLPS  Y7, Y6, Y14;         \
	VUNPCKHPS  Y7, Y6, Y15;         \
	VSHUFPS    $0x44, Y10, Y8, Y0;  \
	VSHUFPS    $0xEE, Y10, Y8, Y1;  \
	VSHUFPS    $0x44, Y11, Y9, Y2;  \
	VSHUFPS    $0xEE, Y11, Y9, Y3;  \
	VSHUFPS    $0x44, Y14, Y12, Y4; \
	VSHUFPS    $0xEE, Y14, Y12, Y5; \
	VSHUFPS    $0x44, Y15, Y13, Y6; \
	VSHUFPS    $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8;   \
	VPERM2F128 $0x31, Y4, Y0, Y9;   \
	VPERM2F128 $0x20, Y5, Y1, Y10;  \
	VPERM2F128 $0x31, Y5, Y1, Y11;  \
	VPERM2F128 $0x20, Y6, Y2, Y12;  \
	VPERM2F128 $0x31, Y6, Y2, Y13;  \
	VPERM2F128 $0x20, Y7, Y3, Y14;  \
	VPERM2F128 $0x31, Y7, Y3, Y15

// LOAD8 loads 8 values at byte offset OFF of the eight rows starting at R.
#define LOAD8(R, OFF) \
	VMOVUPS OFF(R), Y0;           \
	VMOVUPS OFF(R)(R8*1), Y1;     \
	VMOVUPS OFF(R)(R8*2), Y2;     \
	VMOVUPS OFF(R)(R11*1), Y3;    \
	VMOVUPS OFF(R)(R8*4), Y4;     \
	VMOVUPS OFF(R)(R12*1), Y5;    \
	VMOVUPS OFF(R)(R11*2), Y6;    \
	VMOVUPS OFF(R)(R13*1), Y7

// STORE8 writes the transposed columns p0…p7 of one 8-row half at byte offset
// OFF (0 for rows 0–7, 32 for rows 8–15) of eight consecutive 64-byte k steps.
#define STORE8(OFF) \
	VMOVUPS Y8, OFF(DI);      \
	VMOVUPS Y10, OFF+64(DI);  \
	VMOVUPS Y12, OFF+128(DI); \
	VMOVUPS Y14, OFF+192(DI); \
	VMOVUPS Y9, OFF+256(DI);  \
	VMOVUPS Y11, OFF+320(DI); \
	VMOVUPS Y13, OFF+384(DI); \
	VMOVUPS Y15, OFF+448(DI)

// func packB16T(k int, src *float32, ldb int, dst *float32)
// k must be a multiple of 8.
TEXT ·packB16T(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	SHRQ $3, CX
	JZ   b16tdone
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8 // 1 row
	LEAQ (R8)(R8*2), R11 // 3 rows
	LEAQ (R8)(R8*4), R12 // 5 rows
	LEAQ (R11)(R8*4), R13 // 7 rows
	LEAQ (SI)(R8*8), R9 // row 8
	MOVQ dst+24(FP), DI

b16tloop:
	LOAD8(SI, 0)
	TRANSPOSE8
	STORE8(0)
	LOAD8(R9, 0)
	TRANSPOSE8
	STORE8(32)
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $512, DI
	DECQ CX
	JNZ  b16tloop
	VZEROUPPER

b16tdone:
	RET

// Packing routines for the 12×32 AVX-512 kernel (kernel512_amd64.s). They use
// VEX-encoded AVX instructions only, so they run, and are tested, on AVX2
// machines as well.

// func packA12T(k int, src *float32, lda int, dst *float32)
TEXT ·packA12T(SB), NOSPLIT, $0-32
	MOVQ  k+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  lda+16(FP), R8
	SHLQ  $2, R8
	MOVQ  dst+24(FP), DI
	TESTQ CX, CX
	JLE   a12tdone

a12tloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), X1
	VMOVUPS Y0, (DI)
	VMOVUPS X1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $48, DI
	DECQ    CX
	JNZ     a12tloop
	VZEROUPPER

a12tdone:
	RET

// TRANSPOSE4X4 packs four k steps of the four rows starting at R (row stride
// R8, three rows R11): the four values of step p go to byte OFF + 48·p of DI.
#define TRANSPOSE4X4(R, OFF) \
	VMOVUPS   (R), X0;            \
	VMOVUPS   (R)(R8*1), X1;      \
	VMOVUPS   (R)(R8*2), X2;      \
	VMOVUPS   (R)(R11*1), X3;     \
	VUNPCKLPS X1, X0, X4;         \
	VUNPCKHPS X1, X0, X5;         \
	VUNPCKLPS X3, X2, X6;         \
	VUNPCKHPS X3, X2, X7;         \
	VSHUFPS   $0x44, X6, X4, X0;  \
	VSHUFPS   $0xEE, X6, X4, X1;  \
	VSHUFPS   $0x44, X7, X5, X2;  \
	VSHUFPS   $0xEE, X7, X5, X3;  \
	VMOVUPS   X0, OFF(DI);        \
	VMOVUPS   X1, OFF+48(DI);     \
	VMOVUPS   X2, OFF+96(DI);     \
	VMOVUPS   X3, OFF+144(DI)

// func packA12N(k int, src *float32, lda int, dst *float32)
// k must be a multiple of 4.
TEXT ·packA12N(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	SHRQ $2, CX
	JZ   a12ndone
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	LEAQ (R8)(R8*2), R11 // 3 rows
	LEAQ (SI)(R8*4), R9  // row 4
	LEAQ (R9)(R8*4), R10 // row 8

a12nloop:
	TRANSPOSE4X4(SI, 0)
	TRANSPOSE4X4(R9, 16)
	TRANSPOSE4X4(R10, 32)
	ADDQ $16, SI
	ADDQ $16, R9
	ADDQ $16, R10
	ADDQ $192, DI
	DECQ CX
	JNZ  a12nloop

a12ndone:
	RET

// func packB32N(k int, src *float32, ldb int, dst *float32)
TEXT ·packB32N(SB), NOSPLIT, $0-32
	MOVQ  k+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  ldb+16(FP), R8
	SHLQ  $2, R8
	MOVQ  dst+24(FP), DI
	TESTQ CX, CX
	JLE   b32ndone

b32nloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    R8, SI
	ADDQ    $128, DI
	DECQ    CX
	JNZ     b32nloop
	VZEROUPPER

b32ndone:
	RET

// STORE8W is STORE8 for 128-byte k steps: OFF is 0, 32, 64 or 96 for rows
// 0–7, 8–15, 16–23 or 24–31.
#define STORE8W(OFF) \
	VMOVUPS Y8, OFF(DI);      \
	VMOVUPS Y10, OFF+128(DI); \
	VMOVUPS Y12, OFF+256(DI); \
	VMOVUPS Y14, OFF+384(DI); \
	VMOVUPS Y9, OFF+512(DI);  \
	VMOVUPS Y11, OFF+640(DI); \
	VMOVUPS Y13, OFF+768(DI); \
	VMOVUPS Y15, OFF+896(DI)

// func packB32T(k int, src *float32, ldb int, dst *float32)
// k must be a multiple of 8.
TEXT ·packB32T(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	SHRQ $3, CX
	JZ   b32tdone
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8           // 1 row
	LEAQ (R8)(R8*2), R11  // 3 rows
	LEAQ (R8)(R8*4), R12  // 5 rows
	LEAQ (R11)(R8*4), R13 // 7 rows
	LEAQ (SI)(R8*8), R9   // row 8
	LEAQ (R9)(R8*8), R10  // row 16
	LEAQ (R10)(R8*8), BX  // row 24
	MOVQ dst+24(FP), DI

b32tloop:
	LOAD8(SI, 0)
	TRANSPOSE8
	STORE8W(0)
	LOAD8(R9, 0)
	TRANSPOSE8
	STORE8W(32)
	LOAD8(R10, 0)
	TRANSPOSE8
	STORE8W(64)
	LOAD8(BX, 0)
	TRANSPOSE8
	STORE8W(96)
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, BX
	ADDQ $1024, DI
	DECQ CX
	JNZ  b32tloop
	VZEROUPPER

b32tdone:
	RET
