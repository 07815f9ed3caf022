package hashset

import "bytes"

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
