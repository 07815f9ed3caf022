//go:build amd64 && !purego

package adler

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2

// blocks is blocksGeneric with AVX2 (adler_amd64.s); p is at most nmax
// bytes, whole blocks of 32.
func blocks(p []byte) (a, pre, w uint64) {
	var lanes [24]uint32
	blocksAVX2(&p[0], len(p)/32, &lanes)
	for i := range 8 {
		a += uint64(lanes[i])
		pre += uint64(lanes[8+i])
		w += uint64(lanes[16+i])
	}
	return
}

// blocksAVX2 sums n blocks of 32 bytes at p into the lanes: the byte sums
// (8 lanes), the sums of the byte sums before each block, and the weighted
// sums (see blocksGeneric).
//
//go:noescape
func blocksAVX2(p *byte, n int, lanes *[24]uint32)
