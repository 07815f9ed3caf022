//go:build amd64 && !purego

#include "textflag.h"

// ssdeep with AVX-512 (VBMI): the rolling hash's low byte for 64
// positions at once, and the piecewise hashes of every block size as the
// 64 byte lanes of one register, stepped by one VPERMB a byte.

// func ssdeepRoll(p *byte, blocks int, mask byte) int
//
// The rolling hash of position i is a function of p[i-6..i]:
// h = Σ (8-k)·c(i-k) + Σ c(i-k)<<5k (mod 2³²), k = 0..6, whose low byte is
// Σ (8-k)·c(i-k) + (c(i) ^ c(i-1)<<5) mod 256. The weighted sum is the sum
// of the prefix sums P0..P6 plus P6 (Pj = c(i) + ... + c(i-j)).
TEXT ·ssdeepRoll(SB), NOSPLIT, $0-32
	MOVQ    p+0(FP), SI
	MOVQ    blocks+8(FP), CX
	MOVBLZX mask+16(FP), AX
	VPBROADCASTB AX, Z20
	MOVL    $0xe0e0e0e0, AX
	VPBROADCASTD AX, Z21
	XORQ    DX, DX

roll:
	VMOVDQU64 (SI)(DX*1), Z0
	VMOVDQU64 -1(SI)(DX*1), Z1
	VMOVDQU64 -2(SI)(DX*1), Z2
	VMOVDQU64 -3(SI)(DX*1), Z3
	VMOVDQU64 -4(SI)(DX*1), Z4
	VMOVDQU64 -5(SI)(DX*1), Z5
	VMOVDQU64 -6(SI)(DX*1), Z6
	VPADDB Z1, Z0, Z8   // P1
	VPADDB Z2, Z8, Z9   // P2
	VPADDB Z3, Z9, Z10  // P3
	VPADDB Z4, Z10, Z11 // P4
	VPADDB Z5, Z11, Z12 // P5
	VPADDB Z6, Z12, Z13 // P6
	VPADDB Z8, Z0, Z14
	VPADDB Z10, Z9, Z15
	VPADDB Z12, Z11, Z16
	VPADDB Z13, Z13, Z17
	VPADDB Z15, Z14, Z14
	VPADDB Z17, Z16, Z16
	VPADDB Z16, Z14, Z14
	// c(i) ^ (c(i-1)<<5 & 0xe0): a word shift, the bits crossing into
	// the next byte masked off.
	VPSLLW $5, Z1, Z7
	VPTERNLOGD $0x6c, Z21, Z0, Z7
	VPADDB Z7, Z14, Z14
	VPANDQ Z20, Z14, Z14
	VPCMPEQB Z20, Z14, K1
	KMOVQ   K1, AX
	TESTQ   AX, AX
	JNZ     found
	ADDQ    $64, DX
	DECQ    CX
	JNZ     roll
	MOVQ    DX, ret+24(FP)
	VZEROUPPER
	RET

found:
	BSFQ    AX, AX
	ADDQ    AX, DX
	MOVQ    DX, ret+24(FP)
	VZEROUPPER
	RET

// STEP steps the lanes in Z by the byte at (R): Z = tab[c&63][Z].
#define STEP(R, T, Z) \
	MOVBLZX (R), T; \
	ANDL    $63, T; \
	SHLL    $6, T; \
	VPERMB  (R8)(T*1), Z, Z

// func ssdeepSteps(p *byte, n int, h, halfh *lanes, tab *[4160]byte)
//
// The lanes are h's first 32 bytes and halfh's. With n/4 bytes or more the
// bytes go in four parts at once: the first steps the lanes, each other
// one the identity (the map of all 64 values through its bytes), and the
// maps are applied in turn after the loop.
TEXT ·ssdeepSteps(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ h+16(FP), DI
	MOVQ halfh+24(FP), R9
	MOVQ tab+32(FP), R8
	VMOVDQU (DI), Y0
	VINSERTI64X4 $1, (R9), Z0, Z0
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail
	VMOVDQU64 4096(R8), Z1
	VMOVDQA64 Z1, Z2
	VMOVDQA64 Z1, Z3
	LEAQ (SI)(BX*1), R10
	LEAQ (R10)(BX*1), R11
	LEAQ (R11)(BX*1), R12
	MOVQ BX, DX

parts:
	STEP(SI, AX, Z0)
	STEP(R10, R13, Z1)
	STEP(R11, R14, Z2)
	STEP(R12, R15, Z3)
	INCQ SI
	INCQ R10
	INCQ R11
	INCQ R12
	DECQ DX
	JNZ  parts
	VPERMB Z1, Z0, Z0
	VPERMB Z2, Z0, Z0
	VPERMB Z3, Z0, Z0
	MOVQ R12, SI
	ANDQ $3, CX

tail:
	TESTQ CX, CX
	JZ    done
	STEP(SI, AX, Z0)
	INCQ  SI
	DECQ  CX
	JMP   tail

done:
	VMOVDQU Y0, (DI)
	VEXTRACTI64X4 $1, Z0, (R9)
	VZEROUPPER
	RET
