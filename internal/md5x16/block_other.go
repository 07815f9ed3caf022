//go:build !amd64 || purego

package md5x16

const useAVX512 = false

func block16(state *[4][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int) {
	panic("md5x16: no vector code on this platform")
}
