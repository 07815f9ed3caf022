package mediahash

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/triagekit/triage/triage/image"
)

// BenchmarkSumE01 verifies the E01 named by $TRIAGE_BENCH_E01 (for example
// the one bench/ewf.sh builds).
func BenchmarkSumE01(b *testing.B) {
	p := os.Getenv("TRIAGE_BENCH_E01")
	if p == "" {
		b.Skip("TRIAGE_BENCH_E01 not set")
	}
	r, err := image.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.SetBytes(r.Size())
	for range b.N {
		if _, err := Sum(context.Background(), r, r.Size(), 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSumRaw hashes 64 MiB held in memory through ReadAt: the three
// digests run on their own goroutines.
func BenchmarkSumRaw(b *testing.B) {
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 31 >> 5)
	}
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	for range b.N {
		if _, err := Sum(context.Background(), r, int64(len(data)), 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
