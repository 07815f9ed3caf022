package hashset

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Algorithm identifies a digest algorithm of an index.
type Algorithm uint8

// The algorithms an index holds.
const (
	MD5 Algorithm = iota
	SHA1
	SHA256
	numAlgorithms
)

// Algorithms lists every supported algorithm in index order.
var Algorithms = []Algorithm{MD5, SHA1, SHA256}

// Size returns the digest size in bytes.
func (a Algorithm) Size() int {
	switch a {
	case MD5:
		return 16
	case SHA1:
		return 20
	case SHA256:
		return 32
	}
	return 0
}

func (a Algorithm) String() string {
	switch a {
	case MD5:
		return "md5"
	case SHA1:
		return "sha1"
	case SHA256:
		return "sha256"
	}
	return fmt.Sprintf("algorithm(%d)", uint8(a))
}

// ParseAlgorithm parses an algorithm name (md5, sha1, sha-1, sha256, sha-256),
// ignoring case.
func ParseAlgorithm(s string) (Algorithm, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "md5":
		return MD5, true
	case "sha1", "sha-1":
		return SHA1, true
	case "sha256", "sha-256", "sha2-256", "sha2_256":
		return SHA256, true
	}
	return 0, false
}

// algorithmForHexLen names the algorithm of a hex digest by its length.
func algorithmForHexLen(n int) (Algorithm, bool) {
	switch n {
	case 32:
		return MD5, true
	case 40:
		return SHA1, true
	case 64:
		return SHA256, true
	}
	return 0, false
}

// ParseDigest parses a hex digest, upper or lower case, optionally prefixed
// with "md5:", "sha1:" or "sha256:". Without a prefix the algorithm follows
// from the length.
func ParseDigest(s string) (Algorithm, []byte, error) {
	s = strings.TrimSpace(s)
	var alg Algorithm
	named := false
	if i := strings.IndexByte(s, ':'); i >= 0 {
		a, ok := ParseAlgorithm(s[:i])
		if !ok {
			return 0, nil, fmt.Errorf("unknown algorithm prefix %q", s[:i])
		}
		alg, named, s = a, true, s[i+1:]
	}
	a, ok := algorithmForHexLen(len(s))
	if !ok {
		return 0, nil, fmt.Errorf("a digest of %d hex digits is not MD5 (32), SHA-1 (40) or SHA-256 (64)", len(s))
	}
	if named && a != alg {
		return 0, nil, fmt.Errorf("a %s digest has %d hex digits, got %d", alg, alg.Size()*2, len(s))
	}
	d := make([]byte, a.Size())
	if !decodeHex(d, []byte(s)) {
		return 0, nil, fmt.Errorf("%q is not hexadecimal", s)
	}
	return a, d, nil
}

// hexVal maps an ASCII byte to its hex value, or 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// decodeHex decodes len(dst)*2 hex digits of src (either case) into dst.
// It takes a string as well, without converting it.
func decodeHex[S []byte | string](dst []byte, src S) bool {
	if len(src) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := hexVal[src[2*i]], hexVal[src[2*i+1]]
		if hi > 15 || lo > 15 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// isHex reports whether every byte of b is a hex digit.
func isHex(b []byte) bool {
	for _, c := range b {
		if hexVal[c] == 0xff {
			return false
		}
	}
	return true
}

func hexString(d []byte) string { return hex.EncodeToString(d) }
