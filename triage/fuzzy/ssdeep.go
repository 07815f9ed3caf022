package fuzzy

import (
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

type blockhash struct {
	h, halfh   uint32
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
	lasth          uint32
	bh             [numBlockhashes]blockhash
	// rolling hash
	window     [rollingWindow]byte
	wi         int
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
	s.bh[0] = blockhash{h: hashInit, halfh: hashInit}
	s.window = [rollingWindow]byte{}
	s.wi = 0
	s.h1, s.h2, s.h3 = 0, 0, 0
}

func blockSizeAt(i int) uint64 { return uint64(minBlockSize) << uint(i) }

func (s *SSDeep) tryFork() {
	o := &s.bh[s.bhend-1]
	if s.bhend < numBlockhashes {
		s.bh[s.bhend] = blockhash{h: o.h, halfh: o.halfh}
		s.bhend++
	} else if !s.needLast {
		s.needLast = true
		s.lasth = o.h
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

// Write adds p to the digest. It never fails.
func (s *SSDeep) Write(p []byte) (int, error) {
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

		for i := s.bhstart; i < s.bhend; i++ {
			b := &s.bh[i]
			b.h = b.h*hashPrime ^ uint32(c)
			b.halfh = b.halfh*hashPrime ^ uint32(c)
		}
		if s.needLast {
			s.lasth = s.lasth*hashPrime ^ uint32(c)
		}
		if h == 0 || h%minBlockSize != minBlockSize-1 {
			continue
		}
		for i := s.bhstart; i < s.bhend; i++ {
			bs := uint32(blockSizeAt(i))
			// h ≡ -1 (mod 2bs) implies h ≡ -1 (mod bs): the first block
			// size that misses ends the loop.
			if uint64(h)%uint64(bs) != uint64(bs)-1 {
				break
			}
			b := &s.bh[i]
			if b.dindex == 0 {
				s.tryFork()
			}
			b.digest[b.dindex] = b64[b.h%64]
			b.halfdigest = b64[b.halfh%64]
			if b.dindex < SpamSumLength-1 {
				b.dindex++
				b.digest[b.dindex] = 0
				b.h = hashInit
				if b.dindex < SpamSumLength/2 {
					b.halfh = hashInit
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
		b = append(b, b64[x.h%64])
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
			b = append(b, b64[x.halfh%64])
		} else if x.halfdigest != 0 {
			b = append(b, x.halfdigest)
		}
	} else if h != 0 {
		if bi == numBlockhashes-1 && s.needLast {
			b = append(b, b64[s.lasth%64])
		} else {
			b = append(b, b64[x.h%64])
		}
	}
	return b
}
