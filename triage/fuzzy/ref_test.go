package fuzzy

// The straightforward byte-at-a-time ssdeep, kept as the reference the
// fast one is checked against on any content and any split into writes
// (FuzzDigest, TestFastMatchesReference).

import (
	"math/bits"
	"strconv"
)

type refBlockhash struct {
	dindex     int
	digest     [SpamSumLength]byte // digest[dindex] is 0 or the last character of a full digest
	halfdigest byte
}

// refSSDeep computes an ssdeep digest of the bytes written to it. The zero
// value is not ready: make one with [newRefSSDeep] or call Reset.
type refSSDeep struct {
	total          uint64
	bhstart, bhend int
	needLast       bool
	lasth          byte
	h, halfh       lanes // the piecewise hashes of each block size, mod 64
	bh             [numBlockhashes]refBlockhash
	// rolling hash
	window     [rollingWindow]byte
	wi         int
	h1, h2, h3 uint32
}

// newRefSSDeep returns a new ssdeep state.
func newRefSSDeep() *refSSDeep {
	s := new(refSSDeep)
	s.Reset()
	return s
}

// Reset starts a new digest.
func (s *refSSDeep) Reset() {
	s.total = 0
	s.bhstart, s.bhend = 0, 1
	s.needLast = false
	s.lasth = 0
	s.bh[0] = refBlockhash{}
	s.h, s.halfh = lanes{}, lanes{}
	s.h.set(0, init64)
	s.halfh.set(0, init64)
	s.window = [rollingWindow]byte{}
	s.wi = 0
	s.h1, s.h2, s.h3 = 0, 0, 0
}

func (s *refSSDeep) tryFork() {
	o := s.bhend - 1
	if s.bhend < numBlockhashes {
		s.bh[s.bhend] = refBlockhash{}
		s.h.set(s.bhend, s.h.get(o))
		s.halfh.set(s.bhend, s.halfh.get(o))
		s.bhend++
	} else if !s.needLast {
		s.needLast = true
		s.lasth = s.h.get(o)
	}
}

func (s *refSSDeep) tryReduce() {
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

// Write adds p to the digest. It never fails.
func (s *refSSDeep) Write(p []byte) (int, error) {
	s.total += uint64(len(p))
	h1, h2, h3, wi := s.h1, s.h2, s.h3, s.wi
	for _, c := range p {
		// The rolling hash over the last 7 bytes.
		h2 -= h1
		h2 += rollingWindow * uint32(c)
		h1 += uint32(c)
		h1 -= uint32(s.window[wi])
		s.window[wi] = c
		wi++
		if wi == rollingWindow {
			wi = 0
		}
		h3 = h3<<5 ^ uint32(c)
		h := h1 + h2 + h3

		cb := uint64(c&63) * lane01
		for w := s.bhstart >> 3; w <= (s.bhend-1)>>3; w++ {
			s.h[w] = step64(s.h[w], cb)
			s.halfh[w] = step64(s.halfh[w], cb)
		}
		if s.needLast {
			s.lasth = (s.lasth*prime64 ^ c) & 63
		}
		// h ≡ -1 (mod 3·2ⁱ) exactly when h ≡ 2 (mod 3) and 2ⁱ divides
		// h/3+1: block sizes bhstart up to the trailing zeros of h/3+1
		// trigger (h = 0 never does). Written without a branch on h mod
		// 3, which would mispredict on a third of the bytes.
		q := h / minBlockSize
		key := q + 1
		if h-q*minBlockSize != minBlockSize-1 {
			key = 1
		}
		tz := bits.TrailingZeros32(key)
		if tz < s.bhstart || key == 1 && h != minBlockSize-1 {
			continue
		}
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
	s.h1, s.h2, s.h3, s.wi = h1, h2, h3, wi
	return len(p), nil
}

// Size returns the bytes written since the last Reset.
func (s *refSSDeep) Size() int64 { return int64(s.total) }

// Sum returns the digest of the bytes written so far, as the ssdeep
// command prints it ("blocksize:part1:part2"), or "" when the content is
// too large for any block size (more than 3·2³⁰·64 bytes, about 206 GB).
// It does not change the state: more may be written and Sum called again.
func (s *refSSDeep) Sum() string {
	var buf [MaxSSDeepLen]byte
	return string(s.AppendSum(buf[:0]))
}

// AppendSum appends the digest Sum returns to b.
func (s *refSSDeep) AppendSum(b []byte) []byte {
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
