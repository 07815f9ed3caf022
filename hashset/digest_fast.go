package hashset

import (
	"bytes"
	"encoding/binary"
)

// DecodeDigest is ParseDigest for a hot loop: it decodes a bare hex digest
// (32, 40 or 64 digits, either case, no prefix, no spaces) from b into dst
// without allocating, and returns its algorithm and the digest (a slice of
// dst). ok is false for anything else, which ParseDigest then reads (and
// explains).
func DecodeDigest(dst *[32]byte, b []byte) (a Algorithm, d []byte, ok bool) {
	a, ok = algorithmForHexLen(len(b))
	if !ok || bytes.IndexByte(b, ':') >= 0 {
		return 0, nil, false
	}
	d = dst[:a.Size()]
	if !decodeHex(d, b) {
		return 0, nil, false
	}
	return a, d, true
}

// FindDigestInto is FindDigest appending the names of the matching sets to
// sets[:0] (no allocation once sets has room).
func (m *Matcher) FindDigestInto(a Algorithm, d []byte, sets []string) (status string, out []string, err error) {
	status = Unknown
	rank := 0
	out = sets[:0]
	for _, s := range m.sets {
		found, err := s.Find(a, d)
		if err != nil {
			return Unknown, nil, err
		}
		if found {
			out = append(out, s.Name)
			if r := statusRank[s.Category]; r > rank {
				rank, status = r, s.Category
			}
		}
	}
	return status, out, nil
}

// WarmBatch reads, in every mapped set, the memory that finding the
// digests ds (of algorithms as) will read first: their prefix-table
// entries, then the digests their buckets point to. It returns a byte of
// what it read, which means nothing. A lookup in a large set is bound by
// these reads; made for a batch at once, before the lookups, they are
// waited for together instead of one after the other. At most WarmMax
// digests are warmed.
func (m *Matcher) WarmBatch(as []Algorithm, ds [][]byte) byte {
	var v byte
	for _, s := range m.sets {
		v ^= s.warmBatch(as, ds)
	}
	return v
}

// WarmMax is the most digests WarmBatch warms at once.
const WarmMax = 64

func (s *Set) warmBatch(as []Algorithm, ds [][]byte) byte {
	if s.mem == nil {
		return 0
	}
	var pos [WarmMax]int64
	n := min(len(as), len(ds), WarmMax)
	for i := range n {
		pos[i] = -1
		a, d := as[i], ds[i]
		if a >= numAlgorithms || len(d) != a.Size() || s.sec[a].n == 0 {
			continue
		}
		x := &s.sec[a]
		lo, hi := x.bucket(d)
		if k := hi - lo; k > 0 && k <= 64 {
			v := binary.BigEndian.Uint64(d) << x.bits >> 32
			pos[i] = x.data + (lo+int64(v*uint64(k)>>32))*int64(x.size)
		}
	}
	var v byte
	for _, p := range pos[:n] {
		if p >= 0 {
			v ^= s.mem[p]
		}
	}
	return v
}
