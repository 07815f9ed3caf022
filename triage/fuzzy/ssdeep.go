package fuzzy

import (
	"math/bits"
	"strconv"
)

// ssdeep's constants (fuzzy.c of ssdeep 2.14).
const (
	rollingWindow  = 7
	minBlockSize   = 3
	hashPrime      = 0x01000193
	hashInit       = 0x28021967
	numBlockhashes = 31
	// SpamSumLength is the most characters of the first part of an
	// ssdeep digest; the second part has at most half as many.
	SpamSumLength = 64
	// MaxSSDeepLen bounds the text of a digest: the block size, two
	// colons and both parts (fuzzy.h's FUZZY_MAX_RESULT).
	MaxSSDeepLen = 2*SpamSumLength + 20
)

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// Only the low 6 bits of ssdeep's piecewise hashes reach the digest, and
// (h·hashPrime ^ c) mod 64 depends only on h mod 64: the hashes are kept
// mod 64, eight to a uint64 (one per byte lane), and all lanes step at
// once.
const (
	lane3F  = 0x3F3F3F3F3F3F3F3F
	lane3E  = 0x3E3E3E3E3E3E3E3E
	lane30  = 0x3030303030303030
	lane01  = 0x0101010101010101
	init64  = hashInit % 64
	prime64 = hashPrime % 64 // 19 = 16 + 2 + 1
)

// step64 applies ssdeep's sum_hash to eight lanes: x·19 ^ c mod 64.
func step64(x, c uint64) uint64 {
	return (x+(x<<1)&lane3E+(x<<4)&lane30)&lane3F ^ c
}

// One word more than the block sizes need, so that Write can read the
// eight lanes from any block size on.
type lanes [(numBlockhashes+7)/8 + 1]uint64

func (l *lanes) get(i int) byte { return byte(l[i>>3] >> (8 * (i & 7))) }

func (l *lanes) set(i int, v byte) {
	sh := 8 * (i & 7)
	l[i>>3] = l[i>>3]&^(0xFF<<sh) | uint64(v)<<sh
}

type blockhash struct {
	dindex     int
	digest     [SpamSumLength]byte // digest[dindex] is 0 or the last character of a full digest
	halfdigest byte
}

// SSDeep computes an ssdeep digest of the bytes written to it. The zero
// value is not ready: make one with [NewSSDeep] or call Reset.
type SSDeep struct {
	total          uint64
	bhstart, bhend int
	needLast       bool
	lasth          byte
	h, halfh       lanes // the piecewise hashes of each block size, mod 64
	bh             [numBlockhashes]blockhash
	// rolling hash; win holds the last 7 bytes, the newest in the low byte
	win        uint64
	h1, h2, h3 uint32
}

// NewSSDeep returns a new ssdeep state.
func NewSSDeep() *SSDeep {
	s := new(SSDeep)
	s.Reset()
	return s
}

// Reset starts a new digest.
func (s *SSDeep) Reset() {
	s.total = 0
	s.bhstart, s.bhend = 0, 1
	s.needLast = false
	s.lasth = 0
	s.bh[0] = blockhash{}
	s.h, s.halfh = lanes{}, lanes{}
	s.h.set(0, init64)
	s.halfh.set(0, init64)
	s.win = 0
	s.h1, s.h2, s.h3 = 0, 0, 0
}

func blockSizeAt(i int) uint64 { return uint64(minBlockSize) << uint(i) }

func (s *SSDeep) tryFork() {
	o := s.bhend - 1
	if s.bhend < numBlockhashes {
		s.bh[s.bhend] = blockhash{}
		s.h.set(s.bhend, s.h.get(o))
		s.halfh.set(s.bhend, s.halfh.get(o))
		s.bhend++
	} else if !s.needLast {
		s.needLast = true
		s.lasth = s.h.get(o)
	}
}

func (s *SSDeep) tryReduce() {
	if s.bhend-s.bhstart < 2 {
		return
	}
	if blockSizeAt(s.bhstart)*SpamSumLength >= s.total {
		return
	}
	if s.bh[s.bhstart+1].dindex < SpamSumLength/2 {
		return
	}
	s.bhstart++
}

// inv3 is the inverse of 3 modulo 2⁶⁴: k·inv3 rotated right by i is at
// most divLimit[i] exactly when 3·2ⁱ divides k (Granlund and Montgomery's
// divisibility test), one multiplication and no division per byte.
const inv3 = 0xAAAAAAAAAAAAAAAB

var divLimit = func() (t [numBlockhashes]uint64) {
	for i := range t {
		t[i] = ^uint64(0) / (uint64(minBlockSize) << i)
	}
	return
}()

// Write adds p to the digest. It never fails.
//
// The bytes are taken in runs up to the next byte where some active block
// size triggers (the rolling hash h ≡ -1 mod 3·2ⁱ for i ≥ bhstart, on
// average once every 3·2^bhstart bytes): within a run only the rolling
// hash and the piecewise hashes change, held in registers; the block
// hashes are updated at the trigger.
func (s *SSDeep) Write(p []byte) (int, error) {
	s.total += uint64(len(p))
	for i := 0; i < len(p); {
		start := s.bhstart
		// The rolling hash up to the next trigger, then the piecewise
		// hashes over the same bytes.
		j, key := s.rollFrom(p, i, start)
		s.steps(p[i:j])
		i = j
		if key != 0 {
			s.trigger(bits.TrailingZeros64(key))
		}
	}
	return len(p), nil
}

// ssdeepTab is the vector code's table of a piecewise hash's step,
// tab[c][x] = x·19 ^ c mod 64 for c and x below 64, then the identity
// (ssdeep_amd64.s: keep the layout).
var ssdeepTab = func() (t [64*64 + 64]byte) {
	for c := range 64 {
		for x := range 64 {
			t[64*c+x] = byte(x*prime64^c) & 63
		}
	}
	for x := range 64 {
		t[64*64+x] = byte(x)
	}
	return
}()

// rollVectorStart is the least block size index whose triggers the vector
// code looks for: it tests the hash's low min(start, 8) bits on 64
// positions at once and checks the candidates one by one (one position in
// 2^start), more work than the byte-by-byte roll below it.
const rollVectorStart = 4

// rollFrom is roll on p from i on, where p[:i] has been rolled: it returns
// the end of the run and h+1 at it (0 when none triggers). With the
// vector code, the positions whose window lies in p are tested 64 at a
// time on the hash's low byte and the candidates checked here.
func (s *SSDeep) rollFrom(p []byte, i, start int) (int, uint64) {
	if !useVector || start < rollVectorStart || len(p)-i < 64+rollingWindow {
		n, key := s.roll(p[i:], start)
		return i + n, key
	}
	if i < rollingWindow-1 {
		// The window of these reaches back before p.
		n, key := s.roll(p[i:rollingWindow-1], start)
		if key != 0 {
			return i + n, key
		}
		i = rollingWindow - 1
	}
	mask := byte(1<<min(start, 8) - 1)
	lim := divLimit[start]
	for {
		blocks := (len(p) - i) / 64
		if blocks == 0 {
			break
		}
		k := ssdeepRoll(&p[i], blocks, mask)
		if k == 64*blocks {
			i += k
			break
		}
		c := i + k
		s.setWindow(p[c+1-rollingWindow : c+1])
		if key := uint64(s.h1+s.h2+s.h3) + 1; bits.RotateLeft64(key*inv3, -start) <= lim {
			return c + 1, key
		}
		i = c + 1
	}
	s.setWindow(p[i-rollingWindow : i])
	n, key := s.roll(p[i:], start)
	return i + n, key
}

// setWindow sets the rolling hash to that of w, the last 7 bytes: it is a
// function of those alone.
func (s *SSDeep) setWindow(w []byte) {
	var win uint64
	var h1, h2, h3 uint32
	for _, c := range w[:rollingWindow] {
		win = win<<8 | uint64(c)
		h2 = h2 - h1 + rollingWindow*uint32(c)
		h1 += uint32(c)
		h3 = h3<<5 ^ uint32(c)
	}
	s.win, s.h1, s.h2, s.h3 = win, h1, h2, h3
}

// steps steps the piecewise hashes over p.
func (s *SSDeep) steps(p []byte) {
	switch {
	case useVector && len(p) >= 16:
		// Every block size's hashes at once; the last one's in lane 31
		// of h, which no block size uses.
		if s.needLast {
			s.h.set(numBlockhashes, s.lasth)
		}
		ssdeepSteps(&p[0], len(p), &s.h, &s.halfh, &ssdeepTab)
		if s.needLast {
			s.lasth = s.h.get(numBlockhashes)
		}
	case s.bhend-s.bhstart <= 8 && !s.needLast:
		s.step8(p)
	default:
		// More than eight active sizes (content made to trigger
		// large block sizes early) or all 31 in use.
		s.stepAll(p)
	}
}

// roll runs the rolling hash over p up to the first byte where block
// size start or a larger one triggers: it returns the bytes taken and h+1
// there (0 when none triggers).
func (s *SSDeep) roll(p []byte, start int) (int, uint64) {
	lim := divLimit[start]
	win, h1, h2, h3 := s.win, s.h1, s.h2, s.h3
	for i, c := range p {
		out := uint32(byte(win >> 48))
		win = win<<8 | uint64(c)
		h2 = h2 - h1 + rollingWindow*uint32(c)
		h1 = h1 + uint32(c) - out
		h3 = h3<<5 ^ uint32(c)
		if k := uint64(h1+h2+h3) + 1; bits.RotateLeft64(k*inv3, -start) <= lim {
			s.win, s.h1, s.h2, s.h3 = win, h1, h2, h3
			return i + 1, k
		}
	}
	s.win, s.h1, s.h2, s.h3 = win, h1, h2, h3
	return len(p), 0
}

// step8 steps the piecewise hashes of the eight block sizes from
// bhstart on over p: the lanes of two words shifted into one, then spread
// to 16 bits a lane, where x·19 is one multiplication without carries
// between lanes (x < 64, so x·19 < 2¹¹).
func (s *SSDeep) step8(p []byte) {
	w0, sh := s.bhstart>>3, uint(s.bhstart&7)*8
	a := s.h[w0]>>sh | s.h[w0+1]<<(64-sh)
	b := s.halfh[w0]>>sh | s.halfh[w0+1]<<(64-sh)
	a0, a1 := spread16(uint32(a)), spread16(uint32(a>>32))
	b0, b1 := spread16(uint32(b)), spread16(uint32(b>>32))
	a0, a1, b0, b1 = step16(p, a0, a1, b0, b1)
	a = uint64(pack16(a0)) | uint64(pack16(a1))<<32
	b = uint64(pack16(b0)) | uint64(pack16(b1))<<32
	low := uint64(1)<<sh - 1
	s.h[w0] = s.h[w0]&low | a<<sh
	s.halfh[w0] = s.halfh[w0]&low | b<<sh
	if sh != 0 {
		s.h[w0+1] = s.h[w0+1]&^low | a>>(64-sh)
		s.halfh[w0+1] = s.halfh[w0+1]&^low | b>>(64-sh)
	}
}

// step16 steps four words of 16-bit lanes over p. It is a function of
// its own so that the loop has the registers to itself.
//
//go:noinline
func step16(p []byte, a0, a1, b0, b1 uint64) (uint64, uint64, uint64, uint64) {
	const m = 0x003F003F003F003F
	for _, c := range p {
		cb := uint64(c&63) * 0x0001000100010001
		a0 = a0*prime64&m ^ cb
		a1 = a1*prime64&m ^ cb
		b0 = b0*prime64&m ^ cb
		b1 = b1*prime64&m ^ cb
	}
	return a0, a1, b0, b1
}

// spread16 moves the four bytes of x to the low bytes of four 16-bit
// lanes; pack16 undoes it.
func spread16(x uint32) uint64 {
	y := uint64(x)
	y = (y | y<<16) & 0x0000FFFF0000FFFF
	return (y | y<<8) & 0x00FF00FF00FF00FF
}

func pack16(y uint64) uint32 {
	y &= 0x00FF00FF00FF00FF
	y = (y | y>>8) & 0x0000FFFF0000FFFF
	return uint32(y | y>>16)
}

// stepAll steps the piecewise hashes of every active block size, and
// the last block size's hash once all 31 are in use, over p.
func (s *SSDeep) stepAll(p []byte) {
	for w := s.bhstart >> 3; w <= (s.bhend-1)>>3; w++ {
		a, b := s.h[w], s.halfh[w]
		for _, c := range p {
			cb := uint64(c&63) * lane01
			a = step64(a, cb)
			b = step64(b, cb)
		}
		s.h[w], s.halfh[w] = a, b
	}
	if s.needLast {
		x := s.lasth
		for _, c := range p {
			x = (x*prime64 ^ c) & 63
		}
		s.lasth = x
	}
}

// trigger updates the block hashes of sizes bhstart up to tz (those 3·2ⁱ
// divides h+1) at a trigger point (fuzzy.c's fuzzy_engine_step).
func (s *SSDeep) trigger(tz int) {
	for i := s.bhstart; i < s.bhend && i <= tz; i++ {
		b := &s.bh[i]
		if b.dindex == 0 {
			s.tryFork()
		}
		b.digest[b.dindex] = b64[s.h.get(i)]
		b.halfdigest = b64[s.halfh.get(i)]
		if b.dindex < SpamSumLength-1 {
			b.dindex++
			b.digest[b.dindex] = 0
			s.h.set(i, init64)
			if b.dindex < SpamSumLength/2 {
				s.halfh.set(i, init64)
				b.halfdigest = 0
			}
		} else {
			s.tryReduce()
		}
	}
}

// Size returns the bytes written since the last Reset.
func (s *SSDeep) Size() int64 { return int64(s.total) }

// Sum returns the digest of the bytes written so far, as the ssdeep
// command prints it ("blocksize:part1:part2"), or "" when the content is
// too large for any block size (more than 3·2³⁰·64 bytes, about 206 GB).
// It does not change the state: more may be written and Sum called again.
func (s *SSDeep) Sum() string {
	var buf [MaxSSDeepLen]byte
	return string(s.AppendSum(buf[:0]))
}

// AppendSum appends the digest Sum returns to b.
func (s *SSDeep) AppendSum(b []byte) []byte {
	bi := s.bhstart
	h := s.h1 + s.h2 + s.h3
	for blockSizeAt(bi)*SpamSumLength < s.total {
		bi++
		if bi >= numBlockhashes {
			return b
		}
	}
	for bi >= s.bhend {
		bi--
	}
	for bi > s.bhstart && s.bh[bi].dindex < SpamSumLength/2 {
		bi--
	}
	b = strconv.AppendUint(b, blockSizeAt(bi), 10)
	b = append(b, ':')
	x := &s.bh[bi]
	b = append(b, x.digest[:x.dindex]...)
	if h != 0 {
		b = append(b, b64[s.h.get(bi)])
	} else if x.digest[x.dindex] != 0 {
		b = append(b, x.digest[x.dindex])
	}
	b = append(b, ':')
	if bi < s.bhend-1 {
		bi++
		x = &s.bh[bi]
		n := min(x.dindex, SpamSumLength/2-1)
		b = append(b, x.digest[:n]...)
		if h != 0 {
			b = append(b, b64[s.halfh.get(bi)])
		} else if x.halfdigest != 0 {
			b = append(b, x.halfdigest)
		}
	} else if h != 0 {
		if bi == numBlockhashes-1 && s.needLast {
			b = append(b, b64[s.lasth])
		} else {
			b = append(b, b64[s.h.get(bi)])
		}
	}
	return b
}
