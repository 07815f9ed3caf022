//go:build amd64 && !purego

package mbhash

import "golang.org/x/sys/cpu"

// The kernels use AVX-512F, and VPSHUFB on 512-bit registers (AVX-512BW).
var useAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// block16 runs n MD5 blocks on each lane set in mask: lane l reads its
// blocks from base+offs[l] on, and offs is advanced past them.
//
//go:noescape
func block16(state *[4][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int)

// sha1Block16 is block16 for SHA-1.
//
//go:noescape
func sha1Block16(state *[5][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int)

// sha256Block16 is block16 for SHA-256.
//
//go:noescape
func sha256Block16(state *[8][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int)
