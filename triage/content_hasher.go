package triage

import "io"

// ContentHasher computes the digests of content streams with the scan's
// hashing pipeline: one read of the content, the algorithms spread over two
// goroutines for large content. It is not safe for concurrent use; Close
// releases it.
type ContentHasher struct{ h *hasher }

// NewContentHasher returns a ContentHasher for algs.
func NewContentHasher(algs []Algorithm) *ContentHasher {
	return &ContentHasher{h: newHasher(algs, nil)}
}

// Sum reads r to EOF and returns the digests of its content and the number
// of bytes read. size is the declared size (it chooses the strategy, not
// how much is read). A read error is returned with the digests of the bytes
// read before it.
func (c *ContentHasher) Sum(r io.Reader, size int64) (Digests, int64, error) {
	res := c.h.sum(r, size, false, nil)
	return res.Digests, res.n, res.err
}

// Close stops the hasher's goroutines.
func (c *ContentHasher) Close() { c.h.close() }
