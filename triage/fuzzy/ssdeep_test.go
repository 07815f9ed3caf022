package fuzzy

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// checkSSDeep compares ssdeep fed b in the writes cuts makes (each cut is
// a write's length; the rest goes last) with the byte-at-a-time reference
// fed b whole.
func checkSSDeep(t *testing.T, b []byte, cuts []int) {
	t.Helper()
	ref := newRefSSDeep()
	ref.Write(b)
	s := NewSSDeep()
	writeCut(s, b, cuts)
	if got, want := s.Sum(), ref.Sum(); got != want {
		t.Fatalf("%d bytes in writes %v (vector code %v): %s, reference %s", len(b), cuts, useVector, got, want)
	}
}

// TestSSDeepSplitWrites cuts contents into two and three writes around
// the places where the code changes hands: within the rolling window's
// first seven bytes, around each of the first blocks of 64 positions of
// the vector code, and in the piecewise hashes' four parts; on the vector
// and the byte-by-byte code. The contents are large enough (20 KB) for
// block sizes from 48 on, whose triggers the vector code looks for.
func TestSSDeepSplitWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	rnd := make([]byte, 20000)
	low := make([]byte, 20000)
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
		low[i] = byte(r.IntN(4))
	}
	var cutsAt []int
	// Every cut up to 300, every seventh under the race detector (whose
	// instrumented reference is about 30 times slower).
	step, random := 1, 40
	if raceEnabled {
		step, random = 7, 6
	}
	for c := 0; c <= 300; c += step {
		cutsAt = append(cutsAt, c)
	}
	for range random {
		cutsAt = append(cutsAt, r.IntN(len(rnd)))
	}
	for _, b := range [][]byte{rnd, low} {
		for _, vector := range []bool{true, false} {
			saved := useVector
			useVector = vector && saved
			for _, c := range cutsAt {
				checkSSDeep(t, b, []int{c})
				checkSSDeep(t, b, []int{len(b) - c})
				checkSSDeep(t, b, []int{c, 71})
				checkSSDeep(t, b, []int{5000, c, 3})
			}
			useVector = saved
		}
	}
}

// TestSSDeepLowBits feeds content whose rolling hash has its low byte all
// ones at many positions (candidates for the vector code's test that the
// full hash then rejects) and content of one repeated byte.
func TestSSDeepLowBits(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	var cases [][]byte
	for _, n := range []int{3000, 40000, 300000} {
		cases = append(cases, bytes.Repeat([]byte{0}, n), bytes.Repeat([]byte{0xff}, n))
		// 8 zero bytes then 0xff: h's low byte is 0xff at the 0xff.
		b := bytes.Repeat([]byte("\x00\x00\x00\x00\x00\x00\x00\xff"), n/8)
		for range n / 50 {
			b[r.IntN(len(b))] = byte(r.Uint32())
		}
		cases = append(cases, b)
	}
	for _, b := range cases {
		checkSSDeep(t, b, nil)
		checkSSDeep(t, b, []int{len(b) / 3, 64, 7})
	}
}

// FuzzSSDeepWrites spreads the fuzzer's bytes over a content of 2 to 17 KB
// (large enough for the vector code's block sizes) and feeds it in the
// writes the fuzzer picks: the digest is the reference's.
func FuzzSSDeepWrites(f *testing.F) {
	f.Add([]byte("ssdeep fuzz seed"), uint8(10), []byte{3, 70, 1, 200})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0xff}, uint8(200), []byte{0, 68, 64})
	f.Fuzz(func(t *testing.T, seed []byte, size uint8, splits []byte) {
		if len(seed) == 0 {
			return
		}
		b := make([]byte, 2000+60*int(size))
		for i := range b {
			b[i] = seed[i%len(seed)] + byte(i/len(seed)*7)
		}
		cuts := make([]int, len(splits))
		for i, s := range splits {
			cuts[i] = int(s) * 13
		}
		checkSSDeep(t, b, cuts)
	})
}

// writeCut writes b to w in pieces of the lengths in cuts (each at most
// what is left), then the rest.
func writeCut(w io.Writer, b []byte, cuts []int) {
	for _, c := range cuts {
		c = min(c, len(b))
		w.Write(b[:c])
		b = b[c:]
	}
	w.Write(b)
}
