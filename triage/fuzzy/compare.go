package fuzzy

import (
	"strconv"
	"strings"
)

// DigestError reports a digest that cannot be parsed.
type DigestError struct {
	Digest string
	Msg    string
}

func (e *DigestError) Error() string {
	d := e.Digest
	if len(d) > MaxSSDeepLen {
		d = d[:MaxSSDeepLen] + "..."
	}
	return "fuzzy: " + e.Msg + ": " + strconvQuote(d)
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// SSDeepDigest is a parsed ssdeep digest. Its parts are kept as ssdeep's
// comparison sees them: runs of more than three equal characters cut to
// three.
type SSDeepDigest struct {
	BlockSize    uint64
	part1, part2 [SpamSumLength]byte
	n1, n2       uint8
}

// Part1 and Part2 return the digest's parts, runs cut to three.
func (d *SSDeepDigest) Part1() []byte { return d.part1[:d.n1] }

// Part2 returns the second part, runs cut to three.
func (d *SSDeepDigest) Part2() []byte { return d.part2[:d.n2] }

func isB64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// ParseSSDeep parses an ssdeep digest "blocksize:part1:part2". Anything
// after a comma (a file name, as in ssdeep's CSV lines) is ignored. The
// block size must be 3·2ⁿ and each part at most 64 base-64 characters.
func ParseSSDeep(s string) (SSDeepDigest, error) {
	var d SSDeepDigest
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	if len(s) > MaxSSDeepLen {
		return d, &DigestError{Digest: s, Msg: "ssdeep digest too long"}
	}
	c1 := strings.IndexByte(s, ':')
	if c1 <= 0 {
		return d, &DigestError{Digest: s, Msg: "ssdeep digest without block size"}
	}
	bs, err := strconv.ParseUint(s[:c1], 10, 64)
	if err != nil || !validBlockSize(bs) {
		return d, &DigestError{Digest: s, Msg: "bad ssdeep block size"}
	}
	d.BlockSize = bs
	rest := s[c1+1:]
	c2 := strings.IndexByte(rest, ':')
	if c2 < 0 {
		return d, &DigestError{Digest: s, Msg: "ssdeep digest with one part"}
	}
	p1, p2 := rest[:c2], rest[c2+1:]
	var ok bool
	if d.n1, ok = copyElim(d.part1[:], p1); !ok {
		return d, &DigestError{Digest: s, Msg: "bad first part of ssdeep digest"}
	}
	if d.n2, ok = copyElim(d.part2[:], p2); !ok {
		return d, &DigestError{Digest: s, Msg: "bad second part of ssdeep digest"}
	}
	return d, nil
}

func validBlockSize(bs uint64) bool {
	for i := range numBlockhashes {
		if blockSizeAt(i) == bs {
			return true
		}
	}
	return false
}

// copyElim copies src to dst keeping at most three of any run of equal
// characters (ssdeep's eliminate_sequences).
func copyElim(dst []byte, src string) (uint8, bool) {
	if len(src) > SpamSumLength {
		return 0, false
	}
	n := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !isB64(c) {
			return 0, false
		}
		if i >= 3 && c == src[i-1] && c == src[i-2] && c == src[i-3] {
			continue
		}
		dst[n] = c
		n++
	}
	return uint8(n), true
}

// CompareSSDeep returns ssdeep's match score of a and b, 0 (no
// similarity, or block sizes too far apart) to 100, as ssdeep 2.14's
// fuzzy_compare computes it.
func CompareSSDeep(a, b *SSDeepDigest) int {
	b1, b2 := a.BlockSize, b.BlockSize
	if b1 != b2 && b1*2 != b2 && b2*2 != b1 {
		return 0
	}
	if b1 == b2 && a.n1 == b.n1 && a.n2 == b.n2 &&
		string(a.Part1()) == string(b.Part1()) && string(a.Part2()) == string(b.Part2()) {
		return 100
	}
	switch {
	case b1 == b2:
		return max(scoreStrings(a.Part1(), b.Part1(), b1), scoreStrings(a.Part2(), b.Part2(), b1*2))
	case b1*2 == b2:
		return scoreStrings(b.Part1(), a.Part2(), b2)
	default:
		return scoreStrings(a.Part1(), b.Part2(), b1)
	}
}

// scoreStrings is ssdeep's score_strings.
func scoreStrings(s1, s2 []byte, blockSize uint64) int {
	if !hasCommonSubstring(s1, s2) {
		return 0
	}
	score := uint64(editDistance(s1, s2))
	score = score * SpamSumLength / uint64(len(s1)+len(s2))
	score = 100 * score / SpamSumLength
	if score >= 100 {
		return 0
	}
	score = 100 - score
	if blockSize >= (99+rollingWindow)/rollingWindow*minBlockSize {
		return int(score)
	}
	if limit := blockSize / minBlockSize * uint64(min(len(s1), len(s2))); score > limit {
		score = limit
	}
	return int(score)
}

func hasCommonSubstring(s1, s2 []byte) bool {
	if len(s1) < rollingWindow || len(s2) < rollingWindow {
		return false
	}
	for i := 0; i+rollingWindow <= len(s1); i++ {
		g := string(s1[i : i+rollingWindow])
		for j := 0; j+rollingWindow <= len(s2); j++ {
			if string(s2[j:j+rollingWindow]) == g {
				return true
			}
		}
	}
	return false
}

// editDistance is ssdeep's edit_distn: insertions and deletions cost 1, a
// substitution 2. Both strings are at most 64 bytes.
func editDistance(s1, s2 []byte) int {
	var row [2][SpamSumLength + 1]int
	prev, cur := &row[0], &row[1]
	for j := 0; j <= len(s2); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(s1); i++ {
		cur[0] = i
		for j := 1; j <= len(s2); j++ {
			cost := prev[j-1]
			if s1[i-1] != s2[j-1] {
				cost += 2
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(s2)]
}
