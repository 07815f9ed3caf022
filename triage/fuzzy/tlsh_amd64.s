//go:build amd64 && !purego

#include "textflag.h"

// DIST is how many positions ahead the rows of pairs are prefetched.
#define DIST 8

// TLSH on 64 positions at once (AVX-512 VBMI and VBMI2).
//
// For the 64 positions of a block, with c the byte and j1..j4 the four
// before it, each of the six bucket triples is v[v[first_s[c]^x]^y]: three
// lookups in 256-byte tables, each two VPERMI2B (the table halves chosen by
// bit 7 of the index through masks). The bucket indices below 128 (TLSH
// counts only those) are gathered with VPCOMPRESSB into a list, and the
// scalar loop adds them to four histograms in turn, so that a bucket hit
// again at once does not wait for its previous increment. The checksum
// is a chain through the positions, v[a^cs] with a = v[first_0[c]^j1]
// computed in the vector part, each step waiting for the one before: two
// steps are taken in one load from a table of 64 KiB (tlshPairs), whose
// row depends only on a and is prefetched DIST positions ahead. Its steps
// are interleaved with the increments.
//
// Registers: SI the block, CX the blocks left, R8 tlshTab (v, then the
// seven first-lookup tables), R15 tlshPairs, R9 the histograms (4·1024
// bytes), R10 the scratch (the 64 checksum lookups, the list at DI =
// R10+64, the offsets of the checksum's rows at R10+640), BX the list's
// length, DX the checksum; Z0 c, Z1..Z4 j1..j4, Z28..Z31 v in quarters, K1
// bit 7 of c.

// FIRST looks c up in the first-lookup table at off(R8) into dst.
#define FIRST(off, dst) \
	VMOVDQU64 off(R8), dst; \
	VPERMT2B  off+64(R8), Z0, dst; \
	VMOVDQU64 off+128(R8), Z12; \
	VPERMT2B  off+192(R8), Z0, Z12; \
	VPBLENDMB Z12, dst, K1, dst

// LOOK replaces each byte x of X by v[x].
#define LOOK(X) \
	VPMOVB2M X, K3; \
	KNOTQ    K3, K4; \
	VPERMI2B Z31, Z30, K3, X; \
	VPERMI2B Z29, Z28, K4, X

// TRIPLE appends to the list the bucket indices below 128 of
// v[v[first[c]^ja]^jb].
#define TRIPLE(off, ja, jb) \
	FIRST(off, Z5); \
	VPXORQ      ja, Z5, Z5; \
	LOOK(Z5); \
	VPXORQ      jb, Z5, Z5; \
	LOOK(Z5); \
	VPMOVB2M    Z5, K3; \
	KNOTQ       K3, K4; \
	VPCOMPRESSB Z5, K4, Z6; \
	VMOVDQU8    Z6, (DI)(BX*1); \
	KMOVQ       K4, AX; \
	POPCNTQ     AX, AX; \
	ADDQ        AX, BX

// CHAIN2 is two steps of the checksum, cs = v[a[k+1]^v[a[k]^cs]], one
// load on the chain: pairs[a[k+1]][a[k]^cs], the row's offset a[k+1]·256
// at ro.
#define CHAIN2(k, ro) \
	MOVBLZX k(R10)(R12*1), AX; \
	MOVWLZX ro(R10)(R12*2), R13; \
	ADDQ    R15, R13; \
	XORL    DX, AX; \
	MOVBLZX (R13)(AX*1), DX

// FETCH prefetches the row of pairs whose offset is at ro. Near the
// block's end it reads past the block's rows into the padding: a useless
// prefetch, no harm.
#define FETCH(ro) \
	MOVWLZX ro(R10)(R12*2), R14; \
	PREFETCHT0 (R15)(R14*1); \
	PREFETCHT0 64(R15)(R14*1); \
	PREFETCHT0 128(R15)(R14*1); \
	PREFETCHT0 192(R15)(R14*1)

// INC4 counts the four list entries from o on, one in each histogram.
#define INC4(o) \
	MOVBLZX o(DI)(R11*1), AX; \
	MOVBLZX o+1(DI)(R11*1), R13; \
	MOVBLZX o+2(DI)(R11*1), R14; \
	ADDL    $1, (R9)(AX*4); \
	ADDL    $1, 1024(R9)(R13*4); \
	ADDL    $1, 2048(R9)(R14*4); \
	MOVBLZX o+3(DI)(R11*1), AX; \
	ADDL    $1, 3072(R9)(AX*4)

// func tlshBlocks(p *byte, blocks int, cs byte, hist *[4][256]uint32, scratch *tlshScratch, pairs *[65536]byte) byte
TEXT ·tlshBlocks(SB), NOSPLIT, $0-49
	MOVQ    p+0(FP), SI
	MOVQ    blocks+8(FP), CX
	MOVBLZX cs+16(FP), DX
	MOVQ    hist+24(FP), R9
	MOVQ    scratch+32(FP), R10
	LEAQ    64(R10), DI
	LEAQ    ·tlshTab(SB), R8
	MOVQ    pairs+40(FP), R15
	VMOVDQU64 0(R8), Z28
	VMOVDQU64 64(R8), Z29
	VMOVDQU64 128(R8), Z30
	VMOVDQU64 192(R8), Z31
	VPTERNLOGD $0xff, Z20, Z20, Z20
	TESTQ   CX, CX
	JZ      done

block:
	VMOVDQU64 (SI), Z0
	VMOVDQU64 -1(SI), Z1
	VMOVDQU64 -2(SI), Z2
	VMOVDQU64 -3(SI), Z3
	VMOVDQU64 -4(SI), Z4
	VPMOVB2M  Z0, K1
	XORQ      BX, BX

	// The checksum's lookups v[first_0[c]^j1].
	FIRST(256, Z5)
	VPXORQ    Z1, Z5, Z5
	LOOK(Z5)
	VMOVDQU64 Z5, (R10)
	// The rows of pairs, a·256, as 64 words at 640.
	VPMOVZXBW Y5, Z6
	VPSLLW    $8, Z6, Z6
	VMOVDQU64 Z6, 640(R10)
	VEXTRACTI64X4 $1, Z5, Y7
	VPMOVZXBW Y7, Z7
	VPSLLW    $8, Z7, Z7
	VMOVDQU64 Z7, 704(R10)

	TRIPLE(512, Z1, Z2)  // salt 2: c, j1, j2
	TRIPLE(768, Z1, Z3)  // salt 3: c, j1, j3
	TRIPLE(1024, Z2, Z3) // salt 5: c, j2, j3
	TRIPLE(1280, Z2, Z4) // salt 7: c, j2, j4
	TRIPLE(1536, Z1, Z4) // salt 11: c, j1, j4
	TRIPLE(1792, Z3, Z4) // salt 13: c, j3, j4

	// Pad the list with 192 entries of bucket 255, never counted.
	VMOVDQU64 Z20, (DI)(BX*1)
	VMOVDQU64 Z20, 64(DI)(BX*1)
	VMOVDQU64 Z20, 128(DI)(BX*1)

	// 64 checksum steps with the first 192 list entries (3 a step).
	XORQ R11, R11
	XORQ R12, R12
	FETCH(640+2)
	FETCH(640+6)
	FETCH(640+10)
	FETCH(640+14)

steps:
	FETCH(640+2*DIST+2)
	FETCH(640+2*DIST+6)
	CHAIN2(0, 640+2)
	CHAIN2(2, 640+6)
	INC4(0)
	INC4(4)
	INC4(8)
	ADDQ $4, R12
	ADDQ $12, R11
	CMPQ R12, $64
	JB   steps

	// The rest of the list.
rest:
	CMPQ R11, BX
	JAE  next
	INC4(0)
	ADDQ $4, R11
	JMP  rest

next:
	ADDQ $64, SI
	DECQ CX
	JNZ  block

done:
	VZEROUPPER
	MOVB DL, ret+48(FP)
	RET
