//go:build amd64 && !purego

package fuzzy

import "golang.org/x/sys/cpu"

// useVector selects the AVX-512 code (tlsh_amd64.s): 64 byte-table
// lookups at once with VPERMI2B (AVX-512 VBMI), the bucket indices gathered
// with VPCOMPRESSB (VBMI2). Tests turn it off to check the byte-by-byte
// code against it.
var useVector = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI &&
	cpu.X86.HasAVX512VBMI2 && cpu.X86.HasPOPCNT

// tlshBlocks adds the positions p[0:64·blocks] to the bucket histograms
// and returns the checksum after them, starting from cs. The four bytes
// before p are the window of p[0]; pairs is tlshPairs.
//
//go:noescape
func tlshBlocks(p *byte, blocks int, cs byte, hist *[tlshSubs][256]uint32, scratch *tlshScratch, pairs *[256 * 256]byte) byte

// ssdeepRoll returns the first position i < 64·blocks of p whose rolling
// hash h has h&mask == mask, or 64·blocks. The six bytes before p are the
// window of p[0].
//
//go:noescape
func ssdeepRoll(p *byte, blocks int, mask byte) int

// ssdeepSteps steps the piecewise hashes in the first 32 lanes of h and
// halfh through p[:n]; tab is ssdeepTab.
//
//go:noescape
func ssdeepSteps(p *byte, n int, h, halfh *lanes, tab *[64*64 + 64]byte)
