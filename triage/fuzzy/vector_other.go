//go:build !amd64 || purego

package fuzzy

// useVector is false: no vector code on this platform.
var useVector = false

func tlshBlocks(p *byte, blocks int, cs byte, hist *[tlshSubs][256]uint32, scratch *tlshScratch, pairs *[256 * 256]byte) byte {
	panic("fuzzy: no vector code on this platform")
}

func ssdeepRoll(p *byte, blocks int, mask byte) int {
	panic("fuzzy: no vector code on this platform")
}

func ssdeepSteps(p *byte, n int, h, halfh *lanes, tab *[64*64 + 64]byte) {
	panic("fuzzy: no vector code on this platform")
}
