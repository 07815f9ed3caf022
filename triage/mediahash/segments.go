package mediahash

import (
	"crypto/sha256"
	"hash"

	"github.com/triagekit/triage/triage/image/container"
)

// A split raw image is its medium cut into files (name.001, name.002,
// ...): the files' bytes are the medium's, in order. Their SHA-256 digests,
// recorded beside the media's so that the files can be checked later, are
// made from the same blocks as the media digests (segmentHash), instead of
// reading the files again after the scan.

// segmentHash hashes each piece of the medium, the pieces given by their
// sizes, in order.
type segmentHash struct {
	sizes []int64
	i     int
	left  int64 // bytes of piece i still to hash
	h     hash.Hash
	sums  [][sha256.Size]byte
}

func newSegmentHash(sizes []int64) *segmentHash {
	s := &segmentHash{sizes: sizes, h: sha256.New(), sums: make([][sha256.Size]byte, len(sizes))}
	s.next()
	return s
}

// next closes the pieces that are whole, and ends at the first with bytes
// left (or past the last).
func (s *segmentHash) next() {
	for s.i < len(s.sizes) && s.left == 0 {
		s.left = s.sizes[s.i]
		if s.left == 0 {
			s.h.Sum(s.sums[s.i][:0])
			s.i++
		}
	}
}

// Write hashes p, the next bytes of the medium.
func (s *segmentHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && s.i < len(s.sizes) {
		k := min(int64(len(p)), s.left)
		s.h.Write(p[:k])
		p = p[k:]
		if s.left -= k; s.left == 0 {
			s.h.Sum(s.sums[s.i][:0])
			s.h.Reset()
			s.i++
			s.next()
		}
	}
	return n, nil
}

// The rest of hash.Hash, so that the hasher runs it as the media digests.
func (s *segmentHash) Sum(b []byte) []byte { return b }
func (s *segmentHash) Reset()              {}
func (s *segmentHash) Size() int           { return sha256.Size }
func (s *segmentHash) BlockSize() int      { return sha256.BlockSize }

// splitSizes returns the sizes of the files of a split raw image r, in
// order, when they hold exactly its size bytes; nil for any other image.
func splitSizes(r any, size int64) []int64 {
	d, ok := r.(interface{ Describe() container.Info })
	if !ok {
		return nil
	}
	info := d.Describe()
	if info.Format != "split-raw" || len(info.Segments) < 2 {
		return nil
	}
	sizes := make([]int64, len(info.Segments))
	var at int64
	for i, s := range info.Segments {
		if s.Offset != at || s.Size < 0 {
			return nil
		}
		sizes[i] = s.Size
		at += s.Size
	}
	if at != size {
		return nil
	}
	return sizes
}

// segmentSums returns the digests of the pieces when every byte of the
// medium was hashed as read (no unreadable range, hashed as zeros).
func (h *hasher) segmentSums(r *Result) [][sha256.Size]byte {
	if h.seg == nil || len(r.Bad) > 0 || h.seg.i < len(h.seg.sizes) {
		return nil
	}
	return h.seg.sums
}
