//go:build !noasm && !purego

#include "textflag.h"

// AVX2+FMA kernels of dos.go; each handles n elements, n a multiple of 8 (the Go wrappers in
// dos_amd64.go do the tail). The e2c table holds each constant broadcast to 8 lanes:
// C0      1 (p(f) ≈ 2^f, minimax for relative error on [-1/2, 1/2], coefficients tuned in float32)
// C1      0.693147
// C2      0.24022178
// C3      0.055507153
// C4      0.009675539
// C5      0.0013276477
// POSINF  +inf
#define C0 0
#define C1 32
#define C2 64
#define C3 96
#define C4 128
#define C5 160
#define POSINF 192

DATA e2c<>+0(SB)/4, $0x3f800000
DATA e2c<>+4(SB)/4, $0x3f800000
DATA e2c<>+8(SB)/4, $0x3f800000
DATA e2c<>+12(SB)/4, $0x3f800000
DATA e2c<>+16(SB)/4, $0x3f800000
DATA e2c<>+20(SB)/4, $0x3f800000
DATA e2c<>+24(SB)/4, $0x3f800000
DATA e2c<>+28(SB)/4, $0x3f800000
DATA e2c<>+32(SB)/4, $0x3f317215
DATA e2c<>+36(SB)/4, $0x3f317215
DATA e2c<>+40(SB)/4, $0x3f317215
DATA e2c<>+44(SB)/4, $0x3f317215
DATA e2c<>+48(SB)/4, $0x3f317215
DATA e2c<>+52(SB)/4, $0x3f317215
DATA e2c<>+56(SB)/4, $0x3f317215
DATA e2c<>+60(SB)/4, $0x3f317215
DATA e2c<>+64(SB)/4, $0x3e75fcb3
DATA e2c<>+68(SB)/4, $0x3e75fcb3
DATA e2c<>+72(SB)/4, $0x3e75fcb3
DATA e2c<>+76(SB)/4, $0x3e75fcb3
DATA e2c<>+80(SB)/4, $0x3e75fcb3
DATA e2c<>+84(SB)/4, $0x3e75fcb3
DATA e2c<>+88(SB)/4, $0x3e75fcb3
DATA e2c<>+92(SB)/4, $0x3e75fcb3
DATA e2c<>+96(SB)/4, $0x3d635b78
DATA e2c<>+100(SB)/4, $0x3d635b78
DATA e2c<>+104(SB)/4, $0x3d635b78
DATA e2c<>+108(SB)/4, $0x3d635b78
DATA e2c<>+112(SB)/4, $0x3d635b78
DATA e2c<>+116(SB)/4, $0x3d635b78
DATA e2c<>+120(SB)/4, $0x3d635b78
DATA e2c<>+124(SB)/4, $0x3d635b78
DATA e2c<>+128(SB)/4, $0x3c1e8627
DATA e2c<>+132(SB)/4, $0x3c1e8627
DATA e2c<>+136(SB)/4, $0x3c1e8627
DATA e2c<>+140(SB)/4, $0x3c1e8627
DATA e2c<>+144(SB)/4, $0x3c1e8627
DATA e2c<>+148(SB)/4, $0x3c1e8627
DATA e2c<>+152(SB)/4, $0x3c1e8627
DATA e2c<>+156(SB)/4, $0x3c1e8627
DATA e2c<>+160(SB)/4, $0x3aae0477
DATA e2c<>+164(SB)/4, $0x3aae0477
DATA e2c<>+168(SB)/4, $0x3aae0477
DATA e2c<>+172(SB)/4, $0x3aae0477
DATA e2c<>+176(SB)/4, $0x3aae0477
DATA e2c<>+180(SB)/4, $0x3aae0477
DATA e2c<>+184(SB)/4, $0x3aae0477
DATA e2c<>+188(SB)/4, $0x3aae0477
DATA e2c<>+192(SB)/4, $0x7f800000
DATA e2c<>+196(SB)/4, $0x7f800000
DATA e2c<>+200(SB)/4, $0x7f800000
DATA e2c<>+204(SB)/4, $0x7f800000
DATA e2c<>+208(SB)/4, $0x7f800000
DATA e2c<>+212(SB)/4, $0x7f800000
DATA e2c<>+216(SB)/4, $0x7f800000
DATA e2c<>+220(SB)/4, $0x7f800000
GLOBL e2c<>(SB), RODATA|NOPTR, $224

// HSUM leaves the sum of the 8 lanes of Y in the low lane of X (Y's low half); X0 is scratch.
#define HSUM(Y, X) \
	VEXTRACTF128 $1, Y, X0; \
	VADDPS X0, X, X; \
	VHADDPS X, X, X; \
	VHADDPS X, X, X

// HMIN leaves the minimum of the 8 lanes of Y in the low lane of X; X0 is scratch.
#define HMIN(Y, X) \
	VEXTRACTF128 $1, Y, X0; \
	VMINPS X0, X, X; \
	VSHUFPS $0x4e, X, X, X0; \
	VMINPS X0, X, X; \
	VSHUFPS $0xb1, X, X, X0; \
	VMINPS X0, X, X

// func dist2ExpPowSumAVX2(dstE, dstI, px, py *float32, n int, x, y, k, s, lo, floor float32, squarings int) (sE, sI, d2min float32)
//
// Two passes over the points: the first stores the exponents t = (s − d²)·k in dstE, the second
// overwrites them with e_E. Each pass works on four vectors of 8 points per step, their
// instructions interleaved, then on single vectors. The exponential is a chain of about 40
// cycles of latency: the out-of-order core keeps only a few such chains in flight, so the
// short chains of split passes and four independent ones side by side ran 1.3–1.7× as fast as
// one long chain per vector on the reference machine. The masks are computed from t reloaded
// from memory after the polynomial, which keeps three registers per vector.
// The steps are those of exp2 in dos.go: n = round(t) (ties to even), f = t − n exactly, p(f) by
// Horner with FMA, and 2^n·p(f) by adding n to the exponent bits of p(f) ∈ [0.7, 1.5), normal
// for n ≥ −125; lanes with t < lo are 0 whatever the integer add made of them, and lanes with
// t < floor are 0 before the squarings, which then never make a subnormal.
TEXT ·dist2ExpPowSumAVX2(SB), NOSPLIT, $0-84
	MOVQ dstE+0(FP), DI
	MOVQ dstI+8(FP), R8
	MOVQ px+16(FP), SI
	MOVQ py+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS x+40(FP), Y15
	VBROADCASTSS y+44(FP), Y14
	VBROADCASTSS k+48(FP), Y13
	VBROADCASTSS s+52(FP), Y11
	MOVQ squarings+64(FP), DX
	VMOVUPS e2c<>+POSINF(SB), Y10 // min d², two accumulators (VMINPS m, d, m skips a NaN d)
	VMOVUPS Y10, Y9
	SHRQ $3, CX                   // vectors
	MOVQ DI, AX
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   dosA_tail

dosA_loop:
	VSUBPS 0(SI), Y15, Y0
	VSUBPS 32(SI), Y15, Y2
	VSUBPS 64(SI), Y15, Y4
	VSUBPS 96(SI), Y15, Y6
	VSUBPS 0(R9), Y14, Y1
	VSUBPS 32(R9), Y14, Y3
	VSUBPS 64(R9), Y14, Y5
	VSUBPS 96(R9), Y14, Y7
	VMULPS Y0, Y0, Y0
	VMULPS Y2, Y2, Y2
	VMULPS Y4, Y4, Y4
	VMULPS Y6, Y6, Y6
	VFMADD231PS Y1, Y1, Y0
	VFMADD231PS Y3, Y3, Y2
	VFMADD231PS Y5, Y5, Y4
	VFMADD231PS Y7, Y7, Y6
	VMINPS Y10, Y0, Y10
	VMINPS Y9, Y2, Y9
	VMINPS Y10, Y4, Y10
	VMINPS Y9, Y6, Y9
	VSUBPS Y0, Y11, Y0
	VSUBPS Y2, Y11, Y2
	VSUBPS Y4, Y11, Y4
	VSUBPS Y6, Y11, Y6
	VMULPS Y13, Y0, Y0
	VMULPS Y13, Y2, Y2
	VMULPS Y13, Y4, Y4
	VMULPS Y13, Y6, Y6
	VMOVUPS Y0, 0(AX)
	VMOVUPS Y2, 32(AX)
	VMOVUPS Y4, 64(AX)
	VMOVUPS Y6, 96(AX)
	ADDQ $128, SI
	ADDQ $128, R9
	ADDQ $128, AX
	DECQ BX
	JNZ  dosA_loop

dosA_tail:
	MOVQ CX, BX
	ANDQ $3, BX
	JZ   dosB

dosA_tail_loop:
	VSUBPS 0(SI), Y15, Y0
	VSUBPS 0(R9), Y14, Y1
	VMULPS Y0, Y0, Y0
	VFMADD231PS Y1, Y1, Y0
	VMINPS Y10, Y0, Y10
	VSUBPS Y0, Y11, Y0
	VMULPS Y13, Y0, Y0
	VMOVUPS Y0, 0(AX)
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $32, AX
	DECQ BX
	JNZ  dosA_tail_loop

dosB:
	VMINPS Y9, Y10, Y10
	HMIN(Y10, X10)
	MOVSS X10, d2min+80(FP)
	VXORPS Y12, Y12, Y12          // Σ e_I
	VXORPS Y15, Y15, Y15          // Σ e_E
	VBROADCASTSS lo+56(FP), Y13
	VBROADCASTSS floor+60(FP), Y14
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   dosB_tail
	CMPQ DX, $2
	JNE  dosB_loop

	// squarings = 2 (σ ratio 2, the NFL default) without the inner loop.
dosB2_loop:
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y3
	VMOVUPS 64(DI), Y6
	VMOVUPS 96(DI), Y9
	VROUNDPS $0, Y0, Y1
	VROUNDPS $0, Y3, Y4
	VROUNDPS $0, Y6, Y7
	VROUNDPS $0, Y9, Y10
	VSUBPS Y1, Y0, Y0
	VSUBPS Y4, Y3, Y3
	VSUBPS Y7, Y6, Y6
	VSUBPS Y10, Y9, Y9
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y4, Y4
	VCVTPS2DQ Y7, Y7
	VCVTPS2DQ Y10, Y10
	VPSLLD $23, Y1, Y1
	VPSLLD $23, Y4, Y4
	VPSLLD $23, Y7, Y7
	VPSLLD $23, Y10, Y10
	VMOVUPS e2c<>+C5(SB), Y2
	VMOVUPS e2c<>+C5(SB), Y5
	VMOVUPS e2c<>+C5(SB), Y8
	VMOVUPS e2c<>+C5(SB), Y11
	VFMADD213PS e2c<>+C4(SB), Y0, Y2
	VFMADD213PS e2c<>+C4(SB), Y3, Y5
	VFMADD213PS e2c<>+C4(SB), Y6, Y8
	VFMADD213PS e2c<>+C4(SB), Y9, Y11
	VFMADD213PS e2c<>+C3(SB), Y0, Y2
	VFMADD213PS e2c<>+C3(SB), Y3, Y5
	VFMADD213PS e2c<>+C3(SB), Y6, Y8
	VFMADD213PS e2c<>+C3(SB), Y9, Y11
	VFMADD213PS e2c<>+C2(SB), Y0, Y2
	VFMADD213PS e2c<>+C2(SB), Y3, Y5
	VFMADD213PS e2c<>+C2(SB), Y6, Y8
	VFMADD213PS e2c<>+C2(SB), Y9, Y11
	VFMADD213PS e2c<>+C1(SB), Y0, Y2
	VFMADD213PS e2c<>+C1(SB), Y3, Y5
	VFMADD213PS e2c<>+C1(SB), Y6, Y8
	VFMADD213PS e2c<>+C1(SB), Y9, Y11
	VFMADD213PS e2c<>+C0(SB), Y0, Y2
	VFMADD213PS e2c<>+C0(SB), Y3, Y5
	VFMADD213PS e2c<>+C0(SB), Y6, Y8
	VFMADD213PS e2c<>+C0(SB), Y9, Y11
	VPADDD Y1, Y2, Y2
	VPADDD Y4, Y5, Y5
	VPADDD Y7, Y8, Y8
	VPADDD Y10, Y11, Y11
	VCMPPS $14, 0(DI), Y13, Y0
	VCMPPS $14, 32(DI), Y13, Y3
	VCMPPS $14, 64(DI), Y13, Y6
	VCMPPS $14, 96(DI), Y13, Y9
	VANDNPS Y2, Y0, Y2
	VANDNPS Y5, Y3, Y5
	VANDNPS Y8, Y6, Y8
	VANDNPS Y11, Y9, Y11
	VMOVUPS Y2, 0(R8)
	VMOVUPS Y5, 32(R8)
	VMOVUPS Y8, 64(R8)
	VMOVUPS Y11, 96(R8)
	VADDPS Y2, Y12, Y12
	VADDPS Y5, Y12, Y12
	VADDPS Y8, Y12, Y12
	VADDPS Y11, Y12, Y12
	VCMPPS $14, 0(DI), Y14, Y0
	VCMPPS $14, 32(DI), Y14, Y3
	VCMPPS $14, 64(DI), Y14, Y6
	VCMPPS $14, 96(DI), Y14, Y9
	VANDNPS Y2, Y0, Y2
	VANDNPS Y5, Y3, Y5
	VANDNPS Y8, Y6, Y8
	VANDNPS Y11, Y9, Y11
	VMULPS Y2, Y2, Y2
	VMULPS Y5, Y5, Y5
	VMULPS Y8, Y8, Y8
	VMULPS Y11, Y11, Y11
	VMULPS Y2, Y2, Y2
	VMULPS Y5, Y5, Y5
	VMULPS Y8, Y8, Y8
	VMULPS Y11, Y11, Y11
	VMOVUPS Y2, 0(DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y8, 64(DI)
	VMOVUPS Y11, 96(DI)
	VADDPS Y2, Y15, Y15
	VADDPS Y5, Y15, Y15
	VADDPS Y8, Y15, Y15
	VADDPS Y11, Y15, Y15
	ADDQ $128, DI
	ADDQ $128, R8
	DECQ BX
	JNZ  dosB2_loop
	JMP  dosB_tail

dosB_loop:
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y3
	VMOVUPS 64(DI), Y6
	VMOVUPS 96(DI), Y9
	VROUNDPS $0, Y0, Y1
	VROUNDPS $0, Y3, Y4
	VROUNDPS $0, Y6, Y7
	VROUNDPS $0, Y9, Y10
	VSUBPS Y1, Y0, Y0
	VSUBPS Y4, Y3, Y3
	VSUBPS Y7, Y6, Y6
	VSUBPS Y10, Y9, Y9
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y4, Y4
	VCVTPS2DQ Y7, Y7
	VCVTPS2DQ Y10, Y10
	VPSLLD $23, Y1, Y1
	VPSLLD $23, Y4, Y4
	VPSLLD $23, Y7, Y7
	VPSLLD $23, Y10, Y10
	VMOVUPS e2c<>+C5(SB), Y2
	VMOVUPS e2c<>+C5(SB), Y5
	VMOVUPS e2c<>+C5(SB), Y8
	VMOVUPS e2c<>+C5(SB), Y11
	VFMADD213PS e2c<>+C4(SB), Y0, Y2
	VFMADD213PS e2c<>+C4(SB), Y3, Y5
	VFMADD213PS e2c<>+C4(SB), Y6, Y8
	VFMADD213PS e2c<>+C4(SB), Y9, Y11
	VFMADD213PS e2c<>+C3(SB), Y0, Y2
	VFMADD213PS e2c<>+C3(SB), Y3, Y5
	VFMADD213PS e2c<>+C3(SB), Y6, Y8
	VFMADD213PS e2c<>+C3(SB), Y9, Y11
	VFMADD213PS e2c<>+C2(SB), Y0, Y2
	VFMADD213PS e2c<>+C2(SB), Y3, Y5
	VFMADD213PS e2c<>+C2(SB), Y6, Y8
	VFMADD213PS e2c<>+C2(SB), Y9, Y11
	VFMADD213PS e2c<>+C1(SB), Y0, Y2
	VFMADD213PS e2c<>+C1(SB), Y3, Y5
	VFMADD213PS e2c<>+C1(SB), Y6, Y8
	VFMADD213PS e2c<>+C1(SB), Y9, Y11
	VFMADD213PS e2c<>+C0(SB), Y0, Y2
	VFMADD213PS e2c<>+C0(SB), Y3, Y5
	VFMADD213PS e2c<>+C0(SB), Y6, Y8
	VFMADD213PS e2c<>+C0(SB), Y9, Y11
	VPADDD Y1, Y2, Y2
	VPADDD Y4, Y5, Y5
	VPADDD Y7, Y8, Y8
	VPADDD Y10, Y11, Y11
	VCMPPS $14, 0(DI), Y13, Y0
	VCMPPS $14, 32(DI), Y13, Y3
	VCMPPS $14, 64(DI), Y13, Y6
	VCMPPS $14, 96(DI), Y13, Y9
	VANDNPS Y2, Y0, Y2
	VANDNPS Y5, Y3, Y5
	VANDNPS Y8, Y6, Y8
	VANDNPS Y11, Y9, Y11
	VMOVUPS Y2, 0(R8)
	VMOVUPS Y5, 32(R8)
	VMOVUPS Y8, 64(R8)
	VMOVUPS Y11, 96(R8)
	VADDPS Y2, Y12, Y12
	VADDPS Y5, Y12, Y12
	VADDPS Y8, Y12, Y12
	VADDPS Y11, Y12, Y12
	VCMPPS $14, 0(DI), Y14, Y0
	VCMPPS $14, 32(DI), Y14, Y3
	VCMPPS $14, 64(DI), Y14, Y6
	VCMPPS $14, 96(DI), Y14, Y9
	VANDNPS Y2, Y0, Y2
	VANDNPS Y5, Y3, Y5
	VANDNPS Y8, Y6, Y8
	VANDNPS Y11, Y9, Y11
	MOVQ DX, AX

dosB_square:
	VMULPS Y2, Y2, Y2
	VMULPS Y5, Y5, Y5
	VMULPS Y8, Y8, Y8
	VMULPS Y11, Y11, Y11
	DECQ AX
	JNZ  dosB_square
	VMOVUPS Y2, 0(DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y8, 64(DI)
	VMOVUPS Y11, 96(DI)
	VADDPS Y2, Y15, Y15
	VADDPS Y5, Y15, Y15
	VADDPS Y8, Y15, Y15
	VADDPS Y11, Y15, Y15
	ADDQ $128, DI
	ADDQ $128, R8
	DECQ BX
	JNZ  dosB_loop

dosB_tail:
	ANDQ $3, CX
	JZ   dos_done

dosB_tail_loop:
	VMOVUPS 0(DI), Y0
	VROUNDPS $0, Y0, Y1
	VSUBPS Y1, Y0, Y0
	VCVTPS2DQ Y1, Y1
	VPSLLD $23, Y1, Y1
	VMOVUPS e2c<>+C5(SB), Y2
	VFMADD213PS e2c<>+C4(SB), Y0, Y2
	VFMADD213PS e2c<>+C3(SB), Y0, Y2
	VFMADD213PS e2c<>+C2(SB), Y0, Y2
	VFMADD213PS e2c<>+C1(SB), Y0, Y2
	VFMADD213PS e2c<>+C0(SB), Y0, Y2
	VPADDD Y1, Y2, Y2
	VCMPPS $14, 0(DI), Y13, Y0
	VANDNPS Y2, Y0, Y2
	VMOVUPS Y2, 0(R8)
	VADDPS Y2, Y12, Y12
	VCMPPS $14, 0(DI), Y14, Y0
	VANDNPS Y2, Y0, Y2
	MOVQ DX, AX

dosB_tail_square:
	VMULPS Y2, Y2, Y2
	DECQ AX
	JNZ  dosB_tail_square
	VMOVUPS Y2, 0(DI)
	VADDPS Y2, Y15, Y15
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ CX
	JNZ  dosB_tail_loop

dos_done:
	HSUM(Y15, X15)
	HSUM(Y12, X12)
	MOVSS X15, sE+72(FP)
	MOVSS X12, sI+76(FP)
	VZEROUPPER
	RET

// func prefetchAVX2(p *float32, n int)
// One PREFETCHT0 per 64-byte line of n floats from p (n a multiple of 16). A read prefetch of
// a line no other core holds brings it in the exclusive state, so the stores that follow need
// no further request.
TEXT ·prefetchAVX2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $4, CX
	JZ   prefetch_done

prefetch_loop:
	PREFETCHT0 (DI)
	ADDQ $64, DI
	DECQ CX
	JNZ  prefetch_loop

prefetch_done:
	RET
