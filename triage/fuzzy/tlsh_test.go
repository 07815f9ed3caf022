package fuzzy

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// withBytes runs f with the vector code off, so that TLSH goes byte by
// byte.
func withBytes(t testing.TB, f func()) {
	t.Helper()
	saved := useVector
	useVector = false
	defer func() { useVector = saved }()
	f()
}

// tlshState is what two TLSH values must agree on after the same content:
// the summed buckets the digest counts (the vector code leaves the others
// out), the window, the size and the checksum.
func tlshState(t *TLSH) (b [tlshBuckets]uint32, w [tlshWindow - 1]byte, n uint64, cs byte) {
	for i := range b {
		b[i] = t.buckets[0][i] + t.buckets[1][i] + t.buckets[2][i] + t.buckets[3][i]
	}
	return b, t.window, t.n, t.checksum
}

// checkTLSH compares TLSH fed b in the writes cuts makes (each cut is a
// write's length; the rest goes last) with the byte-at-a-time reference
// fed b whole, on every bucket, not only on the digest.
func checkTLSH(t *testing.T, b []byte, cuts []int) {
	t.Helper()
	var ref refTLSH
	ref.Write(b)
	x := NewTLSH()
	writeCut(x, b, cuts)
	got, w, n, cs := tlshState(x)
	if got != [tlshBuckets]uint32(ref.buckets[:tlshBuckets]) || w != ref.window || n != ref.n || cs != ref.checksum {
		t.Fatalf("%d bytes in writes %v (vector code %v): state differs from the reference (checksum %d, want %d)",
			len(b), cuts, useVector, cs, ref.checksum)
	}
	if x.Sum() != ref.Sum() {
		t.Fatalf("%d bytes in writes %v: %s, reference %s", len(b), cuts, x.Sum(), ref.Sum())
	}
}

// TestTLSHSplitWrites cuts contents into two and three writes at every
// boundary up to a few blocks of the vector code, so that a write ends
// inside the four-byte window, inside a block and exactly on one, on
// both the vector and the byte-by-byte code.
func TestTLSHSplitWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 4, 5, 67, 68, 69, 131, 132, 200, 333} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		for _, vector := range []bool{true, false} {
			saved := useVector
			useVector = vector && saved
			for c := 0; c <= n; c++ {
				checkTLSH(t, b, []int{c})
				checkTLSH(t, b, []int{c, 1})
				checkTLSH(t, b, []int{1, c})
				checkTLSH(t, b, []int{3, c, 2})
			}
			useVector = saved
		}
	}
}

// TestTLSHMatchesReference compares with the reference on the samples and
// on contents of low variety (runs of one byte, few distinct bytes), where
// the bucket lists of the vector code are longest and one bucket is hit
// at every position.
// raceEnabled is set by race_test.go under the race detector.
var raceEnabled bool

func TestTLSHMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	var cases [][]byte
	for _, s := range samples() {
		// The race detector makes the byte-at-a-time reference about
		// 30 times slower: the largest samples are left to runs without it.
		if raceEnabled && len(s.data) > 100000 {
			continue
		}
		cases = append(cases, s.data)
	}
	for _, n := range []int{100, 1000, 70000} {
		cases = append(cases, bytes.Repeat([]byte{0}, n), bytes.Repeat([]byte{0xff}, n), bytes.Repeat([]byte("ab"), n/2))
		low := make([]byte, n)
		for i := range low {
			low[i] = byte(r.IntN(3)) * 0x55
		}
		cases = append(cases, low)
	}
	for _, b := range cases {
		checkTLSH(t, b, nil)
		checkTLSH(t, b, []int{len(b) / 3, 64, 65, 1})
		withBytes(t, func() { checkTLSH(t, b, []int{len(b) / 2}) })
	}
}

// FuzzTLSHWrites feeds hostile content in writes of the sizes the fuzzer
// picks: the state is the reference's whatever the split.
func FuzzTLSHWrites(f *testing.F) {
	f.Add(bytes.Repeat([]byte("tlsh fuzz seed, a content long enough for a block or two "), 4), []byte{3, 70, 1, 200})
	f.Add(make([]byte, 300), []byte{0, 68, 64})
	f.Fuzz(func(t *testing.T, b []byte, splits []byte) {
		cuts := make([]int, len(splits))
		for i, s := range splits {
			cuts[i] = int(s)
		}
		checkTLSH(t, b, cuts)
	})
}
