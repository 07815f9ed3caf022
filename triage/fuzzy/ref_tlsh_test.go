package fuzzy

// The straightforward byte-at-a-time TLSH, kept as the reference the fast
// one is checked against on any content and any split into writes
// (FuzzTLSHWrites, TestTLSHMatchesReference).

type refTLSH struct {
	buckets  [256]uint32
	window   [tlshWindow - 1]byte // the last bytes written, newest first
	n        uint64
	checksum byte
}

func pearson(s, i, j, k byte) byte {
	return vTable[vTable[vTable[s^i]^j]^k]
}

func (t *refTLSH) Write(p []byte) (int, error) {
	w := &t.window
	for _, c := range p {
		if t.n >= tlshWindow-1 {
			t.checksum = pearson(salt0, c, w[0], t.checksum)
			t.buckets[pearson(salt2, c, w[0], w[1])]++
			t.buckets[pearson(salt3, c, w[0], w[2])]++
			t.buckets[pearson(salt5, c, w[1], w[2])]++
			t.buckets[pearson(salt7, c, w[1], w[3])]++
			t.buckets[pearson(salt11, c, w[0], w[3])]++
			t.buckets[pearson(salt13, c, w[2], w[3])]++
		}
		w[0], w[1], w[2], w[3] = c, w[0], w[1], w[2]
		t.n++
	}
	return len(p), nil
}

// Sum returns the digest as TLSH.Sum does, through the same Digest code.
func (t *refTLSH) Sum() string {
	var x TLSH
	x.buckets[0] = t.buckets
	x.n = t.n
	x.checksum = t.checksum
	return x.Sum()
}
