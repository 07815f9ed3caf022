package fuzzy

import (
	"math/rand/v2"
	"testing"
)

func benchData() []byte {
	r := rand.New(rand.NewPCG(1, 1))
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func BenchmarkSSDeep(b *testing.B) {
	d := benchData()
	s := NewSSDeep()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		s.Reset()
		s.Write(d)
		_ = s.Sum()
	}
}

func BenchmarkTLSH(b *testing.B) {
	d := benchData()
	t := NewTLSH()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		t.Reset()
		t.Write(d)
		_ = t.Sum()
	}
}

// The byte-at-a-time reference, for the speed-up in the same run.

func BenchmarkSSDeepReference(b *testing.B) {
	d := benchData()
	s := newRefSSDeep()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		s.Reset()
		s.Write(d)
		_ = s.Sum()
	}
}
