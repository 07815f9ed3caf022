package fuzzy

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestDivisibilityTest checks Write's trigger test against the division
// it replaces, on every block size and keys around the multiples.
func TestDivisibilityTest(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for i := range numBlockhashes {
		bs := uint64(minBlockSize) << i
		for range 20000 {
			k := uint64(r.Uint32()) + 1
			if r.IntN(2) == 0 {
				k = k/bs*bs + uint64(r.IntN(3)) - 1
			}
			if k == 0 || k > 1<<32 {
				continue
			}
			got := bits.RotateLeft64(k*inv3, -i) <= divLimit[i]
			if want := k%bs == 0; got != want {
				t.Fatalf("block size %d, key %d: %v, want %v", bs, k, got, want)
			}
		}
	}
}

// fastVsRef compares the ssdeep digest with the byte-at-a-time reference
// on b, written whole and cut at cut.
func fastVsRef(t *testing.T, b []byte, cut int) {
	t.Helper()
	rs := newRefSSDeep()
	rs.Write(b)
	s := NewSSDeep()
	s.Write(b[:cut])
	s.Write(b[cut:])
	if got, want := s.Sum(), rs.Sum(); got != want {
		t.Fatalf("%d bytes cut at %d: ssdeep %s, reference %s", len(b), cut, got, want)
	}
}

// TestFastMatchesReference compares the ssdeep digests with the reference on
// contents of many sizes and kinds, including content made to trigger
// many block sizes at once (a rolling hash of all ones).
func TestFastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, x := range samples() {
		fastVsRef(t, x.data, len(x.data)/3)
	}
	for _, n := range []int{10, 100, 1000, 5000, 50000, 400000} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(4)) // low variety: long digests, many triggers
		}
		fastVsRef(t, b, r.IntN(n))
		fastVsRef(t, bytes.Repeat([]byte{0xff}, n), n/2)
		fastVsRef(t, bytes.Repeat([]byte("\xff\x00\x00\x00\x00\x00\x00\x01"), n/8), 1)
	}
}

func TestSalts(t *testing.T) {
	for _, x := range [][2]int{{salt0, 0}, {salt2, 2}, {salt3, 3}, {salt5, 5}, {salt7, 7}, {salt11, 11}, {salt13, 13}} {
		if int(vTable[x[1]]) != x[0] {
			t.Errorf("salt %d: %d, v_table has %d", x[1], x[0], vTable[x[1]])
		}
	}
}
