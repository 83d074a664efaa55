//go:build !noasm && !purego

#include "textflag.h"

// AVX2+FMA kernels of expf.go; each handles n elements, n a multiple of 8 (the Go wrappers in
// expf_amd64.go do the tail). The expc table holds each constant broadcast to 8 lanes:
// LOG2E  1.442695041
// LN2HI  0.693359375
// LN2LO  -0.00021219444
// LO     -86.64339 (-125·ln2: results below 2^-125 are flushed to 0, never subnormal)
// HI     88.37626
// ONE    1
// P0     0.000198756915
// P1     0.001398199951
// P2     0.008333451907
// P3     0.04166579589
// P4     0.1666666546
// P5     0.500000012
// NEGINF -inf
// POSINF inf
// BIAS   127 (int32 exponent bias)
// TINY   2^-63 (lanes below it are zeroed before a squaring, whose result would be subnormal)
#define LOG2E 0
#define LN2HI 32
#define LN2LO 64
#define LO 96
#define HI 128
#define ONE 160
#define P0 192
#define P1 224
#define P2 256
#define P3 288
#define P4 320
#define P5 352
#define NEGINF 384
#define POSINF 416
#define BIAS 448
#define TINY 480

DATA expc<>+0(SB)/4, $0x3fb8aa3b
DATA expc<>+4(SB)/4, $0x3fb8aa3b
DATA expc<>+8(SB)/4, $0x3fb8aa3b
DATA expc<>+12(SB)/4, $0x3fb8aa3b
DATA expc<>+16(SB)/4, $0x3fb8aa3b
DATA expc<>+20(SB)/4, $0x3fb8aa3b
DATA expc<>+24(SB)/4, $0x3fb8aa3b
DATA expc<>+28(SB)/4, $0x3fb8aa3b
DATA expc<>+32(SB)/4, $0x3f318000
DATA expc<>+36(SB)/4, $0x3f318000
DATA expc<>+40(SB)/4, $0x3f318000
DATA expc<>+44(SB)/4, $0x3f318000
DATA expc<>+48(SB)/4, $0x3f318000
DATA expc<>+52(SB)/4, $0x3f318000
DATA expc<>+56(SB)/4, $0x3f318000
DATA expc<>+60(SB)/4, $0x3f318000
DATA expc<>+64(SB)/4, $0xb95e8083
DATA expc<>+68(SB)/4, $0xb95e8083
DATA expc<>+72(SB)/4, $0xb95e8083
DATA expc<>+76(SB)/4, $0xb95e8083
DATA expc<>+80(SB)/4, $0xb95e8083
DATA expc<>+84(SB)/4, $0xb95e8083
DATA expc<>+88(SB)/4, $0xb95e8083
DATA expc<>+92(SB)/4, $0xb95e8083
DATA expc<>+96(SB)/4, $0xc2ad496a
DATA expc<>+100(SB)/4, $0xc2ad496a
DATA expc<>+104(SB)/4, $0xc2ad496a
DATA expc<>+108(SB)/4, $0xc2ad496a
DATA expc<>+112(SB)/4, $0xc2ad496a
DATA expc<>+116(SB)/4, $0xc2ad496a
DATA expc<>+120(SB)/4, $0xc2ad496a
DATA expc<>+124(SB)/4, $0xc2ad496a
DATA expc<>+128(SB)/4, $0x42b0c0a5
DATA expc<>+132(SB)/4, $0x42b0c0a5
DATA expc<>+136(SB)/4, $0x42b0c0a5
DATA expc<>+140(SB)/4, $0x42b0c0a5
DATA expc<>+144(SB)/4, $0x42b0c0a5
DATA expc<>+148(SB)/4, $0x42b0c0a5
DATA expc<>+152(SB)/4, $0x42b0c0a5
DATA expc<>+156(SB)/4, $0x42b0c0a5
DATA expc<>+160(SB)/4, $0x3f800000
DATA expc<>+164(SB)/4, $0x3f800000
DATA expc<>+168(SB)/4, $0x3f800000
DATA expc<>+172(SB)/4, $0x3f800000
DATA expc<>+176(SB)/4, $0x3f800000
DATA expc<>+180(SB)/4, $0x3f800000
DATA expc<>+184(SB)/4, $0x3f800000
DATA expc<>+188(SB)/4, $0x3f800000
DATA expc<>+192(SB)/4, $0x39506967
DATA expc<>+196(SB)/4, $0x39506967
DATA expc<>+200(SB)/4, $0x39506967
DATA expc<>+204(SB)/4, $0x39506967
DATA expc<>+208(SB)/4, $0x39506967
DATA expc<>+212(SB)/4, $0x39506967
DATA expc<>+216(SB)/4, $0x39506967
DATA expc<>+220(SB)/4, $0x39506967
DATA expc<>+224(SB)/4, $0x3ab743ce
DATA expc<>+228(SB)/4, $0x3ab743ce
DATA expc<>+232(SB)/4, $0x3ab743ce
DATA expc<>+236(SB)/4, $0x3ab743ce
DATA expc<>+240(SB)/4, $0x3ab743ce
DATA expc<>+244(SB)/4, $0x3ab743ce
DATA expc<>+248(SB)/4, $0x3ab743ce
DATA expc<>+252(SB)/4, $0x3ab743ce
DATA expc<>+256(SB)/4, $0x3c088908
DATA expc<>+260(SB)/4, $0x3c088908
DATA expc<>+264(SB)/4, $0x3c088908
DATA expc<>+268(SB)/4, $0x3c088908
DATA expc<>+272(SB)/4, $0x3c088908
DATA expc<>+276(SB)/4, $0x3c088908
DATA expc<>+280(SB)/4, $0x3c088908
DATA expc<>+284(SB)/4, $0x3c088908
DATA expc<>+288(SB)/4, $0x3d2aa9c1
DATA expc<>+292(SB)/4, $0x3d2aa9c1
DATA expc<>+296(SB)/4, $0x3d2aa9c1
DATA expc<>+300(SB)/4, $0x3d2aa9c1
DATA expc<>+304(SB)/4, $0x3d2aa9c1
DATA expc<>+308(SB)/4, $0x3d2aa9c1
DATA expc<>+312(SB)/4, $0x3d2aa9c1
DATA expc<>+316(SB)/4, $0x3d2aa9c1
DATA expc<>+320(SB)/4, $0x3e2aaaaa
DATA expc<>+324(SB)/4, $0x3e2aaaaa
DATA expc<>+328(SB)/4, $0x3e2aaaaa
DATA expc<>+332(SB)/4, $0x3e2aaaaa
DATA expc<>+336(SB)/4, $0x3e2aaaaa
DATA expc<>+340(SB)/4, $0x3e2aaaaa
DATA expc<>+344(SB)/4, $0x3e2aaaaa
DATA expc<>+348(SB)/4, $0x3e2aaaaa
DATA expc<>+352(SB)/4, $0x3f000000
DATA expc<>+356(SB)/4, $0x3f000000
DATA expc<>+360(SB)/4, $0x3f000000
DATA expc<>+364(SB)/4, $0x3f000000
DATA expc<>+368(SB)/4, $0x3f000000
DATA expc<>+372(SB)/4, $0x3f000000
DATA expc<>+376(SB)/4, $0x3f000000
DATA expc<>+380(SB)/4, $0x3f000000
DATA expc<>+384(SB)/4, $0xff800000
DATA expc<>+388(SB)/4, $0xff800000
DATA expc<>+392(SB)/4, $0xff800000
DATA expc<>+396(SB)/4, $0xff800000
DATA expc<>+400(SB)/4, $0xff800000
DATA expc<>+404(SB)/4, $0xff800000
DATA expc<>+408(SB)/4, $0xff800000
DATA expc<>+412(SB)/4, $0xff800000
DATA expc<>+416(SB)/4, $0x7f800000
DATA expc<>+420(SB)/4, $0x7f800000
DATA expc<>+424(SB)/4, $0x7f800000
DATA expc<>+428(SB)/4, $0x7f800000
DATA expc<>+432(SB)/4, $0x7f800000
DATA expc<>+436(SB)/4, $0x7f800000
DATA expc<>+440(SB)/4, $0x7f800000
DATA expc<>+444(SB)/4, $0x7f800000
DATA expc<>+448(SB)/4, $0x0000007f
DATA expc<>+452(SB)/4, $0x0000007f
DATA expc<>+456(SB)/4, $0x0000007f
DATA expc<>+460(SB)/4, $0x0000007f
DATA expc<>+464(SB)/4, $0x0000007f
DATA expc<>+468(SB)/4, $0x0000007f
DATA expc<>+472(SB)/4, $0x0000007f
DATA expc<>+476(SB)/4, $0x0000007f
DATA expc<>+480(SB)/4, $0x20000000
DATA expc<>+484(SB)/4, $0x20000000
DATA expc<>+488(SB)/4, $0x20000000
DATA expc<>+492(SB)/4, $0x20000000
DATA expc<>+496(SB)/4, $0x20000000
DATA expc<>+500(SB)/4, $0x20000000
DATA expc<>+504(SB)/4, $0x20000000
DATA expc<>+508(SB)/4, $0x20000000
GLOBL expc<>(SB), RODATA|NOPTR, $512

// LOADCONST puts the register-resident exp constants in Y9–Y12.
#define LOADCONST \
	VMOVUPS expc<>+LO(SB), Y12; \
	VMOVUPS expc<>+HI(SB), Y11; \
	VMOVUPS expc<>+LOG2E(SB), Y10; \
	VMOVUPS expc<>+LN2HI(SB), Y9

// EXP8 sets Y5 = e^Y0 lane-wise (Y0 clobbered, Y1–Y4 scratch), exactly the steps of Exp in
// expf.go: mask the lanes below LO (they become 0 whatever garbage the steps below make of them,
// −Inf included), clamp to HI (NaN stays NaN: VMINPS returns its second source, here x, when
// either is NaN), n = round(x·log2e) (ties to even), r = x − n·ln2 in two parts, p(r) by Horner with FMA, e^r = p·r² + r + 1, times 2^n
// built in the exponent bits.
#define EXP8 \
	VCMPPS $1, Y12, Y0, Y1; \
	VMINPS Y0, Y11, Y0; \
	VMULPS Y10, Y0, Y2; \
	VROUNDPS $0, Y2, Y2; \
	VFNMADD231PS Y9, Y2, Y0; \
	VFNMADD231PS expc<>+LN2LO(SB), Y2, Y0; \
	VMOVUPS expc<>+P0(SB), Y3; \
	VFMADD213PS expc<>+P1(SB), Y0, Y3; \
	VFMADD213PS expc<>+P2(SB), Y0, Y3; \
	VFMADD213PS expc<>+P3(SB), Y0, Y3; \
	VFMADD213PS expc<>+P4(SB), Y0, Y3; \
	VFMADD213PS expc<>+P5(SB), Y0, Y3; \
	VMULPS Y0, Y0, Y4; \
	VADDPS expc<>+ONE(SB), Y0, Y5; \
	VFMADD231PS Y4, Y3, Y5; \
	VCVTPS2DQ Y2, Y2; \
	VPADDD expc<>+BIAS(SB), Y2, Y2; \
	VPSLLD $23, Y2, Y2; \
	VMULPS Y2, Y5, Y5; \
	VANDNPS Y5, Y1, Y5

// HSUM leaves the sum of the 8 lanes of Y in the low lane of X (Y's low half); X0 is scratch.
#define HSUM(Y, X) \
	VEXTRACTF128 $1, Y, X0; \
	VADDPS X0, X, X; \
	VHADDPS X, X, X; \
	VHADDPS X, X, X

// HREDUCE leaves OP (VMAXPS or VMINPS) over the 8 lanes of Y in the low lane of X; X0 is scratch.
#define HREDUCE(OP, Y, X) \
	VEXTRACTF128 $1, Y, X0; \
	OP X0, X, X; \
	VSHUFPS $0x4e, X, X, X0; \
	OP X0, X, X; \
	VSHUFPS $0xb1, X, X, X0; \
	OP X0, X, X

// func expSumAVX2(dst, x *float32, n int, a, b float32) float32
TEXT ·expSumAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y15
	VBROADCASTSS b+28(FP), Y14
	VXORPS Y13, Y13, Y13
	LOADCONST
	SHRQ $3, CX
	JZ   expsum_done

expsum_loop:
	VMOVUPS (SI), Y0
	VFMADD213PS Y14, Y15, Y0
	EXP8
	VMOVUPS Y5, (DI)
	VADDPS Y5, Y13, Y13
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  expsum_loop

expsum_done:
	HSUM(Y13, X13)
	MOVSS X13, ret+32(FP)
	VZEROUPPER
	RET

// func expSumPowAVX2(dstE, dstI, x *float32, n int, a, b float32, squarings int) (sE, sI float32)
TEXT ·expSumPowAVX2(SB), NOSPLIT, $0-56
	MOVQ dstE+0(FP), DI
	MOVQ dstI+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS a+32(FP), Y15
	VBROADCASTSS b+36(FP), Y14
	MOVQ squarings+40(FP), DX
	VXORPS Y13, Y13, Y13 // Σ e_I
	VXORPS Y8, Y8, Y8    // Σ e_E
	LOADCONST
	SHRQ $3, CX
	JZ   exppow_done

	VMOVUPS expc<>+TINY(SB), Y7
	CMPQ DX, $2
	JEQ  exppow2_loop

exppow_loop:
	VMOVUPS (SI), Y0
	VFMADD213PS Y14, Y15, Y0
	EXP8
	VMOVUPS Y5, (R8)
	VADDPS Y5, Y13, Y13
	MOVQ DX, AX

exppow_square:
	// Zero the lanes below TINY: the mask is "not less than" (predicate 5), true for NaN, so
	// a NaN stays NaN as in the Go code's e < tinySquare test.
	VCMPPS $5, Y7, Y5, Y1
	VANDPS Y1, Y5, Y5
	VMULPS Y5, Y5, Y5
	DECQ AX
	JNZ  exppow_square
	VMOVUPS Y5, (DI)
	VADDPS Y5, Y8, Y8
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ CX
	JNZ  exppow_loop
	JMP  exppow_done

	// squarings = 2 (σ ratio 2, the NFL default) without the inner loop.
exppow2_loop:
	VMOVUPS (SI), Y0
	VFMADD213PS Y14, Y15, Y0
	EXP8
	VMOVUPS Y5, (R8)
	VADDPS Y5, Y13, Y13
	VCMPPS $5, Y7, Y5, Y1
	VANDPS Y1, Y5, Y5
	VMULPS Y5, Y5, Y5
	VCMPPS $5, Y7, Y5, Y1
	VANDPS Y1, Y5, Y5
	VMULPS Y5, Y5, Y5
	VMOVUPS Y5, (DI)
	VADDPS Y5, Y8, Y8
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ CX
	JNZ  exppow2_loop

exppow_done:
	HSUM(Y8, X8)
	HSUM(Y13, X13)
	MOVSS X8, sE+48(FP)
	MOVSS X13, sI+52(FP)
	VZEROUPPER
	RET

// func dist2MinAVX2(dst, px, py *float32, n int, x, y float32) float32
// The running minimum is updated as in minAVX2 (VMINPS m, d, m: m = d < m ? d : m), so a NaN
// distance is skipped, the Go loop's rule.
TEXT ·dist2MinAVX2(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ px+8(FP), SI
	MOVQ py+16(FP), R8
	MOVQ n+24(FP), CX
	VBROADCASTSS x+32(FP), Y15
	VBROADCASTSS y+36(FP), Y14
	VMOVUPS expc<>+POSINF(SB), Y13
	SHRQ $3, CX
	JZ   dist2_done

dist2_loop:
	VSUBPS (SI), Y15, Y0
	VMULPS Y0, Y0, Y0
	VSUBPS (R8), Y14, Y1
	VFMADD231PS Y1, Y1, Y0
	VMOVUPS Y0, (DI)
	VMINPS Y13, Y0, Y13
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, DI
	DECQ CX
	JNZ  dist2_loop

dist2_done:
	HREDUCE(VMINPS, Y13, X13)
	MOVSS X13, ret+40(FP)
	VZEROUPPER
	RET

// func diffMinSumAVX2(dst, x, y *float32, n int, a, b float32) (lo, sum float32)
// Two vectors per iteration with their own min and sum accumulators: one accumulator would make
// the loop wait on the adder's latency. The minima skip NaNs as in dist2MinAVX2.
TEXT ·diffMinSumAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), R8
	MOVQ n+24(FP), CX
	VBROADCASTSS a+32(FP), Y15
	VBROADCASTSS b+36(FP), Y14
	VMOVUPS expc<>+POSINF(SB), Y13
	VMOVUPS Y13, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y10, Y10, Y10
	SHRQ $3, CX
	MOVQ CX, DX
	SHRQ $1, DX
	JZ   diff_single

diff_loop:
	VMULPS (SI), Y15, Y0
	VMULPS 32(SI), Y15, Y1
	VFNMADD231PS (R8), Y14, Y0
	VFNMADD231PS 32(R8), Y14, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMINPS Y13, Y0, Y13
	VMINPS Y11, Y1, Y11
	VADDPS Y0, Y12, Y12
	VADDPS Y1, Y10, Y10
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, DI
	DECQ DX
	JNZ  diff_loop

diff_single:
	ANDQ $1, CX
	JZ   diff_done
	VMULPS (SI), Y15, Y0
	VFNMADD231PS (R8), Y14, Y0
	VMOVUPS Y0, (DI)
	VMINPS Y13, Y0, Y13
	VADDPS Y0, Y12, Y12

diff_done:
	VMINPS Y11, Y13, Y13
	VADDPS Y10, Y12, Y12
	HREDUCE(VMINPS, Y13, X13)
	HSUM(Y12, X12)
	MOVSS X13, lo+40(FP)
	MOVSS X12, sum+44(FP)
	VZEROUPPER
	RET

// func addScaleAVX2(dst, x *float32, n int, add, mul float32)
// Four vectors per iteration while 32 elements remain, then one: the loop is so short that its
// counter and pointer updates would otherwise be a third of its instructions.
TEXT ·addScaleAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS add+24(FP), Y15
	VBROADCASTSS mul+28(FP), Y14
	SHRQ $3, CX
	MOVQ CX, DX
	SHRQ $2, DX
	JZ   addscale_tail

addscale4_loop:
	VADDPS (SI), Y15, Y0
	VADDPS 32(SI), Y15, Y1
	VADDPS 64(SI), Y15, Y2
	VADDPS 96(SI), Y15, Y3
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ DX
	JNZ  addscale4_loop

addscale_tail:
	ANDQ $3, CX
	JZ   addscale_done

addscale_loop:
	VADDPS (SI), Y15, Y0
	VMULPS Y14, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  addscale_loop

addscale_done:
	VZEROUPPER
	RET

// func nearestFieldAVX2(bE, bI, cx, cy, hE, hI *float32, n int, x, y float32)
// Per 8 lanes: d2 = (x−cx)² + (y−cy)² (multiply, multiply, add: no FMA, so the bits are
// Go's), e = d2·hE, take = e < bE (ordered: NaN never takes), bE = take ? e : bE,
// bI = take ? d2·hI : bI.
TEXT ·nearestFieldAVX2(SB), NOSPLIT, $0-64
	MOVQ bE+0(FP), DI
	MOVQ bI+8(FP), SI
	MOVQ cx+16(FP), R8
	MOVQ cy+24(FP), R9
	MOVQ hE+32(FP), R10
	MOVQ hI+40(FP), R11
	MOVQ n+48(FP), CX
	VBROADCASTSS x+56(FP), Y15
	VBROADCASTSS y+60(FP), Y14
	SHRQ $3, CX
	JZ   nearest_done
	XORQ AX, AX

nearest_loop:
	VSUBPS (R8)(AX*1), Y15, Y0  // dx = x − cx
	VSUBPS (R9)(AX*1), Y14, Y1  // dy = y − cy
	VMULPS Y0, Y0, Y0
	VMULPS Y1, Y1, Y1
	VADDPS Y1, Y0, Y0           // d2
	VMULPS (R10)(AX*1), Y0, Y2  // e = d2·hE
	VMULPS (R11)(AX*1), Y0, Y3  // d2·hI
	VMOVUPS (DI)(AX*1), Y4      // bE
	VCMPPS $1, Y4, Y2, Y5       // take = e < bE (LT_OS)
	VBLENDVPS Y5, Y2, Y4, Y4    // take ? e : bE
	VMOVUPS Y4, (DI)(AX*1)
	VMOVUPS (SI)(AX*1), Y6      // bI
	VBLENDVPS Y5, Y3, Y6, Y6    // take ? d2·hI : bI
	VMOVUPS Y6, (SI)(AX*1)
	ADDQ $32, AX
	DECQ CX
	JNZ  nearest_loop

nearest_done:
	VZEROUPPER
	RET

// func minAVX2(x *float32, n int) float32
// VMINPS m, x, m (x in a register) sets m = x < m ? x : m per lane: m stays when x is NaN,
// the Go loop's rule. The accumulators start at +Inf.
TEXT ·minAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0x7f800000, AX
	VMOVD AX, X0
	VBROADCASTSS X0, Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	SHRQ $3, CX
	MOVQ CX, DX
	SHRQ $2, DX
	JZ   min_tail

min4_loop:
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VMINPS Y0, Y4, Y0
	VMINPS Y1, Y5, Y1
	VMINPS Y2, Y6, Y2
	VMINPS Y3, Y7, Y3
	ADDQ $128, SI
	DECQ DX
	JNZ  min4_loop

min_tail:
	ANDQ $3, CX
	JZ   min_combine

min_loop:
	VMOVUPS (SI), Y4
	VMINPS Y0, Y4, Y0
	ADDQ $32, SI
	DECQ CX
	JNZ  min_loop

min_combine:
	VMINPS Y1, Y0, Y0
	VMINPS Y3, Y2, Y2
	VMINPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMINPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1 // swap the 64-bit halves
	VMINPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1 // swap neighbours
	VMINPS X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET
