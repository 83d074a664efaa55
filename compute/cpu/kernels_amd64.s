//go:build amd64 && !noasm && !purego

#include "textflag.h"

// AVX2+FMA kernels of kernels.go. Each handles n elements, n a positive multiple of 8; the Go
// wrappers in kernels_amd64.go run the tail with the reference loops. Only VEX-encoded
// instructions are used (legacy SSE moves after 256-bit code stall on Zen 3).

// func maxAVX2(x *float32, n int) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS (SI), Y0
	VMOVAPS      Y0, Y1

maxloop:
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JNZ    maxloop
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VZEROUPPER
	VMOVSS       X0, ret+16(FP)
	RET

// func sumDotShiftAVX2(y, z *float32, n int, shift float32) (sy, syd float32)
TEXT ·sumDotShiftAVX2(SB), NOSPLIT, $0-40
	MOVQ         y+0(FP), SI
	MOVQ         z+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y15
	VXORPS       Y0, Y0, Y0 // Σy
	VXORPS       Y1, Y1, Y1 // Σy·(z−shift)

dotloop:
	VMOVUPS     (SI), Y2
	VMOVUPS     (DI), Y3
	VSUBPS      Y15, Y3, Y3
	VADDPS      Y2, Y0, Y0
	VFMADD231PS Y3, Y2, Y1
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         dotloop
	VEXTRACTF128 $1, Y0, X2
	VADDPS       X2, X0, X0
	VEXTRACTF128 $1, Y1, X3
	VADDPS       X3, X1, X1
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VZEROUPPER
	VMOVSS       X0, sy+32(FP)
	VMOVSS       X1, syd+36(FP)
	RET

// func axpbyAVX2(dst, x, y *float32, n int, a, b float32)
TEXT ·axpbyAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS a+32(FP), Y14
	VBROADCASTSS b+36(FP), Y15

axpbyloop:
	VMULPS      (SI), Y14, Y0
	VFMADD231PS (DX), Y15, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         axpbyloop
	VZEROUPPER
	RET

// func reluAVX2(dst, src *float32, n int)
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y15, Y15, Y15

reluloop:
	// max(0, x) with x as the second source: a NaN x is passed through, as Go's max.
	VMAXPS  (SI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     reluloop
	VZEROUPPER
	RET

// func reluMaskAVX2(dst, out *float32, n int)
TEXT ·reluMaskAVX2(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   out+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y15, Y15, Y15

maskloop:
	VMOVUPS (SI), Y0
	VCMPPS  $6, Y15, Y0, Y1 // NLE_UQ: out > 0 or NaN keeps dst, as the Go loop
	VANDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     maskloop
	VZEROUPPER
	RET

// func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, lr, eps float32)
TEXT ·adamAVX2(SB), NOSPLIT, $0-64
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), R8
	MOVQ         v+24(FP), R9
	MOVQ         n+32(FP), CX
	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS c1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS c2+52(FP), Y11
	VBROADCASTSS lr+56(FP), Y12
	VBROADCASTSS eps+60(FP), Y13

adamloop:
	VMOVUPS     (SI), Y0
	VMULPS      (R8), Y8, Y1  // β1·m
	VFMADD231PS Y0, Y9, Y1    // + (1−β1)·g
	VMOVUPS     Y1, (R8)
	VMULPS      Y0, Y0, Y2    // g²
	VMULPS      (R9), Y10, Y3 // β2·v
	VFMADD231PS Y2, Y11, Y3   // + (1−β2)·g²
	VMOVUPS     Y3, (R9)
	VSQRTPS     Y3, Y3
	VADDPS      Y13, Y3, Y3   // √v + ε
	VMULPS      Y12, Y1, Y1   // lr·m
	VDIVPS      Y3, Y1, Y1
	VMOVUPS     (DI), Y4
	VSUBPS      Y1, Y4, Y4
	VMOVUPS     Y4, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, R8
	ADDQ        $32, R9
	SUBQ        $8, CX
	JNZ         adamloop
	VZEROUPPER
	RET

// func sumSquaresAVX2(x *float32, n int) float64
TEXT ·sumSquaresAVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

ssloop:
	VCVTPS2PD   (SI), Y0
	VCVTPS2PD   16(SI), Y1
	VFMADD231PD Y0, Y0, Y2
	VFMADD231PD Y1, Y1, Y3
	ADDQ        $32, SI
	SUBQ        $8, CX
	JNZ         ssloop
	VADDPD       Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VADDPD       X3, X2, X2
	VHADDPD      X2, X2, X2
	VZEROUPPER
	VMOVSD       X2, ret+16(FP)
	RET

// func scaleSumSquaresAVX2(dst, x *float32, n int, alpha float32) float64
TEXT ·scaleSumSquaresAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y15
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3

sssloop:
	VMOVUPS     (SI), Y4
	VMULPS      Y4, Y15, Y5
	VMOVUPS     Y5, (DI)
	VCVTPS2PD   X4, Y0
	VEXTRACTF128 $1, Y4, X6
	VCVTPS2PD   X6, Y1
	VFMADD231PD Y0, Y0, Y2
	VFMADD231PD Y1, Y1, Y3
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         sssloop
	VADDPD       Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VADDPD       X3, X2, X2
	VHADDPD      X2, X2, X2
	VZEROUPPER
	VMOVSD       X2, ret+32(FP)
	RET

// func mulAVX2(dst, x, y *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX

mulloop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     mulloop
	VZEROUPPER
	RET

// func addMulAVX2(dst, x, y *float32, n int)
TEXT ·addMulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX

addmulloop:
	// The product rounded, then the sum (no FMA), as the Go loop.
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     addmulloop
	VZEROUPPER
	RET

// func sigmoidGradAVX2(dst, out *float32, n int)
TEXT ·sigmoidGradAVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         out+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15

sgradloop:
	// dst·(out·(1 − out)), rounded step by step as the Go loop.
	VMOVUPS (SI), Y0
	VSUBPS  Y0, Y15, Y1
	VMULPS  Y1, Y0, Y1
	VMULPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     sgradloop
	VZEROUPPER
	RET

// func tanhGradAVX2(dst, out *float32, n int)
TEXT ·tanhGradAVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         out+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15

tgradloop:
	// dst·(1 − out²), rounded step by step as the Go loop.
	VMOVUPS (SI), Y0
	VMULPS  Y0, Y0, Y1
	VSUBPS  Y1, Y15, Y1
	VMULPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     tgradloop
	VZEROUPPER
	RET
