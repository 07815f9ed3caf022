//go:build !amd64 || purego

package adler

const useAVX2 = false

func blocks(p []byte) (a, pre, w uint64) { return blocksGeneric(p) }
