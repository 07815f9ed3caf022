package fuzzy

import (
	"math"
	"slices"
)

// TLSH's constants (128 buckets, 1-byte checksum, as TLSH 4.x builds by
// default).
const (
	tlshWindow  = 5
	tlshBuckets = 128
	codeSize    = tlshBuckets / 4 // 2 bits per bucket
	// TLSHMinSize is the least content TLSH digests (TLSH 4.x's
	// MIN_DATA_LENGTH).
	TLSHMinSize = 50
	// TLSHLen is the length of a digest's text: "T1" and 70 hex digits.
	TLSHLen = 2 + 2*(3+codeSize)
)

// vTable is TLSH's Pearson permutation (tlsh_util.cpp's v_table).
var vTable = [256]byte{
	1, 87, 49, 12, 176, 178, 102, 166, 121, 193, 6, 84, 249, 230, 44, 163,
	14, 197, 213, 181, 161, 85, 218, 80, 64, 239, 24, 226, 236, 142, 38, 200,
	110, 177, 104, 103, 141, 253, 255, 50, 77, 101, 81, 18, 45, 96, 31, 222,
	25, 107, 190, 70, 86, 237, 240, 34, 72, 242, 20, 214, 244, 227, 149, 235,
	97, 234, 57, 22, 60, 250, 82, 175, 208, 5, 127, 199, 111, 62, 135, 248,
	174, 169, 211, 58, 66, 154, 106, 195, 245, 171, 17, 187, 182, 179, 0, 243,
	132, 56, 148, 75, 128, 133, 158, 100, 130, 126, 91, 13, 153, 246, 216, 219,
	119, 68, 223, 78, 83, 88, 201, 99, 122, 11, 92, 32, 136, 114, 52, 10,
	138, 30, 48, 183, 156, 35, 61, 26, 143, 74, 251, 94, 129, 162, 63, 152,
	170, 7, 115, 167, 241, 206, 3, 150, 55, 59, 151, 220, 90, 53, 23, 131,
	125, 173, 15, 238, 79, 95, 89, 16, 105, 137, 225, 224, 217, 160, 37, 123,
	118, 73, 2, 157, 46, 116, 9, 145, 134, 228, 207, 212, 202, 215, 69, 229,
	27, 188, 67, 124, 168, 252, 42, 4, 29, 108, 21, 247, 19, 205, 39, 203,
	233, 40, 186, 147, 198, 192, 155, 33, 164, 191, 98, 204, 165, 180, 117, 76,
	140, 36, 210, 172, 41, 54, 159, 8, 185, 232, 113, 196, 231, 47, 146, 120,
	51, 65, 28, 144, 254, 221, 93, 189, 194, 139, 112, 43, 71, 109, 184, 209,
}

// Each bucket triple's salt starts from v_table[salt]: v_table[0],
// v_table[2], v_table[3], v_table[5], v_table[7], v_table[11] and
// v_table[13], constants so that the loop does not load them for every
// byte (TestSalts checks them).
const (
	salt0  = 1
	salt2  = 49
	salt3  = 12
	salt5  = 178
	salt7  = 166
	salt11 = 84
	salt13 = 230
)

// tlshTables holds v_table and, for each salt, the table of its first
// lookup: a triple's hash v[v[v[salt^c]^x]^y] is v[v[first[c]^x]^y]. The
// vector code reads it too (tlsh_amd64.s: keep the layout).
type tlshTables struct {
	v     [256]byte
	first [7][256]byte // salts 0, 2, 3, 5, 7, 11 and 13, in that order
}

var tlshTab = func() (t tlshTables) {
	t.v = vTable
	for k, s := range [7]byte{salt0, salt2, salt3, salt5, salt7, salt11, salt13} {
		for c := range 256 {
			t.first[k][c] = vTable[s^byte(c)]
		}
	}
	return
}()

// tlshPairs holds two steps of the checksum, pairs[b][y] = v[b^v[y]], for
// the vector code: its chain of one dependent load a byte bounds TLSH's
// speed, and this halves the loads on it (the rows it reads are fetched
// ahead: 64 KiB do not stay in the first-level cache).
var tlshPairs = func() (t [256 * 256]byte) {
	for b := range 256 {
		for y := range 256 {
			t[256*b+y] = vTable[byte(b)^vTable[y]]
		}
	}
	return
}()

// tlshSubs is the number of bucket histograms: the vector code spreads the
// increments over four, so that a bucket hit again at once (runs of equal
// bytes) does not wait for its previous increment; Digest sums them.
const tlshSubs = 4

// TLSH computes a TLSH digest of the bytes written to it. The zero value
// is ready to use.
type TLSH struct {
	buckets  [tlshSubs][256]uint32
	window   [tlshWindow - 1]byte // the last bytes written, newest first
	n        uint64
	checksum byte
	scratch  tlshScratch
}

// tlshScratch is the vector code's room for one block of 64 positions:
// the checksum's 64 lookups, the bucket indices below 128 (at most 6·64,
// then 192 bytes of padding the code writes after them), and the offsets
// of the checksum's rows of tlshPairs (64 words, then room for the reads
// past them).
type tlshScratch [64 + 6*64 + 3*64 + 2*64 + 32]byte

// NewTLSH returns a new TLSH state.
func NewTLSH() *TLSH { return new(TLSH) }

// Reset starts a new digest.
func (t *TLSH) Reset() {
	t.buckets = [tlshSubs][256]uint32{}
	t.window = [tlshWindow - 1]byte{}
	t.n = 0
	t.checksum = 0
}

// Size returns the bytes written since the last Reset.
func (t *TLSH) Size() int64 { return int64(t.n) }

// tlshVectorMin is the least write the vector code takes: the window's
// four bytes from the write itself and at least one block of 64.
const tlshVectorMin = tlshWindow - 1 + 64

// Write adds p to the digest. It never fails.
//
// The positions whose window reaches back before p go byte by byte; from
// p[4] on, whole blocks of 64 positions go to the vector code where there
// is one (tlsh_amd64.s), and the rest byte by byte again.
func (t *TLSH) Write(p []byte) (int, error) {
	if !useVector || len(p) < tlshVectorMin {
		t.writeBytes(p)
		return len(p), nil
	}
	t.writeBytes(p[:tlshWindow-1])
	blocks := (len(p) - (tlshWindow - 1)) / 64
	end := tlshWindow - 1 + 64*blocks
	t.checksum = tlshBlocks(&p[tlshWindow-1], blocks, t.checksum, &t.buckets, &t.scratch, &tlshPairs)
	t.n += uint64(64 * blocks)
	t.window = [tlshWindow - 1]byte{p[end-1], p[end-2], p[end-3], p[end-4]}
	t.writeBytes(p[end:])
	return len(p), nil
}

// writeBytes adds p byte by byte.
func (t *TLSH) writeBytes(p []byte) {
	// The window as the last four bytes before c, newest first.
	w := &t.window
	j1, j2, j3, j4 := w[0], w[1], w[2], w[3]
	n := t.n
	cs := t.checksum
	h := &t.buckets[0]
	v, f := &tlshTab.v, &tlshTab.first
	for _, c := range p {
		if n >= tlshWindow-1 {
			cs = v[v[f[0][c]^j1]^cs]
			h[v[v[f[1][c]^j1]^j2]]++
			h[v[v[f[2][c]^j1]^j3]]++
			h[v[v[f[3][c]^j2]^j3]]++
			h[v[v[f[4][c]^j2]^j4]]++
			h[v[v[f[5][c]^j1]^j4]]++
			h[v[v[f[6][c]^j3]^j4]]++
		}
		j1, j2, j3, j4 = c, j1, j2, j3
		n++
	}
	w[0], w[1], w[2], w[3] = j1, j2, j3, j4
	t.n = n
	t.checksum = cs
}

// lCapture is TLSH's logarithmic length code.
func lCapture(n uint64) byte {
	f := float64(float32(n))
	var i int
	switch {
	case n <= 656:
		i = int(math.Floor(math.Log(f) / 0.4054651))
	case n <= 3199:
		i = int(math.Floor(math.Log(f)/0.26236426 - 8.72777))
	default:
		i = int(math.Floor(math.Log(f)/0.095310180 - 62.5472))
	}
	return byte(i)
}

// TLSHDigest is a parsed TLSH digest.
type TLSHDigest struct {
	Checksum byte
	L        byte
	Q1, Q2   byte // 4 bits each
	Code     [codeSize]byte
}

// Digest returns the digest of the bytes written so far, ok false when the
// content is too small (under [TLSHMinSize] bytes) or too uniform (half
// of the buckets or more empty). It does not change the state.
func (t *TLSH) Digest() (d TLSHDigest, ok bool) {
	if t.n < TLSHMinSize {
		return d, false
	}
	var buckets [tlshBuckets]uint32
	for i := range buckets {
		buckets[i] = t.buckets[0][i] + t.buckets[1][i] + t.buckets[2][i] + t.buckets[3][i]
	}
	sorted := buckets
	slices.Sort(sorted[:])
	q1, q2, q3 := sorted[tlshBuckets/4-1], sorted[tlshBuckets/2-1], sorted[tlshBuckets-tlshBuckets/4-1]
	if q3 == 0 {
		return d, false
	}
	nonzero := 0
	for _, c := range buckets {
		if c > 0 {
			nonzero++
		}
	}
	if nonzero <= tlshBuckets/2 {
		return d, false
	}
	for i := range codeSize {
		var h byte
		for j := range 4 {
			k := buckets[4*i+j]
			switch {
			case q3 < k:
				h += 3 << (j * 2)
			case q2 < k:
				h += 2 << (j * 2)
			case q1 < k:
				h += 1 << (j * 2)
			}
		}
		d.Code[i] = h
	}
	d.Checksum = t.checksum
	d.L = lCapture(t.n)
	d.Q1 = byte(uint32(float32(q1*100)/float32(q3)) % 16)
	d.Q2 = byte(uint32(float32(q2*100)/float32(q3)) % 16)
	return d, true
}

// Sum returns the digest as TLSH 4.x prints it ("T1" and 70 upper-case
// hex digits), or "" when the content gets no digest (see Digest).
func (t *TLSH) Sum() string {
	d, ok := t.Digest()
	if !ok {
		return ""
	}
	return d.String()
}

const hexUpper = "0123456789ABCDEF"

// String returns the digest's text, "T1" and 70 hex digits.
func (d TLSHDigest) String() string {
	var b [TLSHLen]byte
	return string(d.appendText(b[:0]))
}

func (d TLSHDigest) appendText(b []byte) []byte {
	b = append(b, 'T', '1')
	put := func(x byte) {
		b = append(b, hexUpper[x>>4], hexUpper[x&15])
	}
	// TLSH swaps the nibbles of the first three bytes and writes the
	// code body last bucket first.
	put(d.Checksum<<4 | d.Checksum>>4)
	put(d.L<<4 | d.L>>4)
	put(d.Q1<<4 | d.Q2)
	for k := codeSize - 1; k >= 0; k-- {
		put(d.Code[k])
	}
	return b
}

// ParseTLSH parses a TLSH digest: "T1" and 70 hex digits, or the 70 hex
// digits alone (as TLSH 3.x prints them), either case.
func ParseTLSH(s string) (TLSHDigest, error) {
	var d TLSHDigest
	if len(s) == TLSHLen && (s[0] == 'T' || s[0] == 't') {
		if s[1] != '1' {
			return d, &DigestError{Digest: s, Msg: "unsupported TLSH version " + strconvQuote(s[:2])}
		}
		s = s[2:]
	}
	if len(s) != TLSHLen-2 {
		return d, &DigestError{Digest: s, Msg: "a TLSH digest has 70 hex digits after \"T1\""}
	}
	var raw [3 + codeSize]byte
	for i := range raw {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return d, &DigestError{Digest: s, Msg: "not a hex digit in TLSH digest"}
		}
		raw[i] = hi<<4 | lo
	}
	d.Checksum = raw[0]<<4 | raw[0]>>4
	d.L = raw[1]<<4 | raw[1]>>4
	d.Q1, d.Q2 = raw[2]>>4, raw[2]&15
	for k := range codeSize {
		d.Code[k] = raw[3+codeSize-1-k]
	}
	return d, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func modDiff(x, y, r int) int {
	var dl, dr int
	if y > x {
		dl, dr = y-x, x+r-y
	} else {
		dl, dr = x-y, y+r-x
	}
	return min(dl, dr)
}

// bitPairDiff[a^b...] is computed per byte: the distance of two code
// bytes, each 2-bit pair counting |a-b|, or 6 for a difference of 3.
var bitPairDiff = func() (t [256][256]uint8) {
	for a := range 256 {
		for b := range 256 {
			d := 0
			for j := 0; j < 4; j++ {
				x, y := (a>>(2*j))&3, (b>>(2*j))&3
				e := x - y
				if e < 0 {
					e = -e
				}
				if e == 3 {
					e = 6
				}
				d += e
			}
			t[a][b] = uint8(d)
		}
	}
	return
}()

// Distance returns TLSH's distance between a and b with the length
// counted (TLSH's totalDiff(len_diff=true)): 0 for identical digests,
// growing as they differ; about 40 or less suggests similar content.
func (a TLSHDigest) Distance(b TLSHDigest) int {
	return a.distance(&b, math.MaxInt)
}

// distance is Distance, stopping as soon as the distance exceeds bound
// (the result is then some value above bound).
func (a *TLSHDigest) distance(b *TLSHDigest, bound int) int {
	diff := 0
	switch l := modDiff(int(a.L), int(b.L), 256); l {
	case 0:
	case 1:
		diff = 1
	default:
		diff = l * 12
	}
	for _, q := range [2][2]byte{{a.Q1, b.Q1}, {a.Q2, b.Q2}} {
		qd := modDiff(int(q[0]), int(q[1]), 16)
		if qd <= 1 {
			diff += qd
		} else {
			diff += (qd - 1) * 12
		}
	}
	if a.Checksum != b.Checksum {
		diff++
	}
	if diff > bound {
		return diff
	}
	for i := 0; i < len(a.Code); i += 8 {
		for k := i; k < i+8; k++ {
			diff += int(bitPairDiff[a.Code[k]][b.Code[k]])
		}
		if diff > bound {
			return diff
		}
	}
	return diff
}

// AppendSum appends the digest Sum returns to b (nothing when the content
// gets no digest).
func (t *TLSH) AppendSum(b []byte) []byte {
	d, ok := t.Digest()
	if !ok {
		return b
	}
	return d.appendText(b)
}
