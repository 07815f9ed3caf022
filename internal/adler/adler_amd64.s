//go:build amd64 && !purego

#include "textflag.h"

// The weights of the bytes of a block: 32 for the first, 1 for the last.
DATA weights<>+0(SB)/8, $0x191a1b1c1d1e1f20
DATA weights<>+8(SB)/8, $0x1112131415161718
DATA weights<>+16(SB)/8, $0x090a0b0c0d0e0f10
DATA weights<>+24(SB)/8, $0x0102030405060708
GLOBL weights<>(SB), RODATA|NOPTR, $32

// 16 words of 1.
DATA ones<>+0(SB)/8, $0x0001000100010001
DATA ones<>+8(SB)/8, $0x0001000100010001
DATA ones<>+16(SB)/8, $0x0001000100010001
DATA ones<>+24(SB)/8, $0x0001000100010001
GLOBL ones<>(SB), RODATA|NOPTR, $32

// func blocksAVX2(p *byte, n int, lanes *[24]uint32)
//
// Y1 the byte sums (VPSADBW: four sums of 8 bytes, in dword lanes 0, 2,
// 4, 6), Y2 the sums of Y1 before each block, Y3 the weighted sums
// (VPMADDUBSW: byte times weight, pairs added into words; VPMADDWD with
// ones: pairs of words into dwords). Y13 zero, Y14 the weights, Y15 ones.
TEXT ·blocksAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ lanes+16(FP), DI
	VPXOR   Y1, Y1, Y1
	VPXOR   Y2, Y2, Y2
	VPXOR   Y3, Y3, Y3
	VPXOR   Y13, Y13, Y13
	VMOVDQU weights<>(SB), Y14
	VMOVDQU ones<>(SB), Y15
	TESTQ   CX, CX
	JZ      done

loop:
	VMOVDQU    (SI), Y0
	VPADDD     Y1, Y2, Y2
	VPSADBW    Y13, Y0, Y4
	VPADDD     Y4, Y1, Y1
	VPMADDUBSW Y14, Y0, Y5
	VPMADDWD   Y15, Y5, Y5
	VPADDD     Y5, Y3, Y3
	ADDQ       $32, SI
	DECQ       CX
	JNZ        loop

done:
	VMOVDQU Y1, 0(DI)
	VMOVDQU Y2, 32(DI)
	VMOVDQU Y3, 64(DI)
	VZEROUPPER
	RET
