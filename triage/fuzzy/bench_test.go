package fuzzy

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

func benchData() []byte {
	r := rand.New(rand.NewPCG(1, 1))
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// cpuTime is the process's user and system time: on a busy machine the
// CPU time per byte is steadier than the wall time MB/s come from.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// benchWrites times w over the benchmark data in writes of 1 MiB, as the
// scan feeds it, and reports the CPU time per byte too.
func benchWrites(b *testing.B, reset func(), w func([]byte), sum func()) {
	d := benchData()
	b.SetBytes(int64(len(d)))
	c0 := cpuTime()
	for b.Loop() {
		reset()
		w(d)
		sum()
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/float64(len(d)), "cpu-ns/B")
}

func BenchmarkSSDeep(b *testing.B) {
	s := NewSSDeep()
	benchWrites(b, s.Reset, func(d []byte) { s.Write(d) }, func() { _ = s.Sum() })
}

func BenchmarkTLSH(b *testing.B) {
	t := NewTLSH()
	benchWrites(b, t.Reset, func(d []byte) { t.Write(d) }, func() { _ = t.Sum() })
}

// The byte-at-a-time code, for the speed-up in the same run.

func BenchmarkSSDeepReference(b *testing.B) {
	s := newRefSSDeep()
	benchWrites(b, s.Reset, func(d []byte) { s.Write(d) }, func() { _ = s.Sum() })
}

func BenchmarkTLSHReference(b *testing.B) {
	var t refTLSH
	benchWrites(b, func() { t = refTLSH{} }, func(d []byte) { t.Write(d) }, func() { _ = t.Sum() })
}

// BenchmarkTLSHBytes is the byte-by-byte code TLSH uses without the
// vector code.
func BenchmarkTLSHBytes(b *testing.B) {
	t := NewTLSH()
	benchWrites(b, t.Reset, t.writeBytes, func() { _ = t.Sum() })
}
