//go:build !amd64 || purego

package mbhash

const useAVX512 = false

func block16(state *[4][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int) {
	panic("mbhash: no vector code on this platform")
}

func sha1Block16(state *[5][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int) {
	panic("mbhash: no vector code on this platform")
}

func sha256Block16(state *[8][16]uint32, base *byte, offs *[16]uint32, mask uint16, n int) {
	panic("mbhash: no vector code on this platform")
}
