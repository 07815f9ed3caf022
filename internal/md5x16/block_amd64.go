//go:build amd64 && !purego

package md5x16

import "golang.org/x/sys/cpu"

var useAVX512 = cpu.X86.HasAVX512F

// block16 runs n MD5 blocks on each lane set in mask: lane l reads its
// blocks from base+offs[l] on, and offs is advanced past them.
//
//go:noescape
func block16(state *[4][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int)
