package ewf

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/triagekit/triage/triage/image/container"
)

// benchImage is the image the read benchmarks use: $TRIAGE_BENCH_E01 (for
// example the one bench/ewf.sh builds) or a committed fixture.
func benchImage(b *testing.B) *Reader {
	p := os.Getenv("TRIAGE_BENCH_E01")
	if p == "" {
		p = fixture(b, "ewf-split-none.E01")
	}
	r, err := Open(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return r
}

// BenchmarkReadAtSequential reads the media front to back through ReadAt
// in 1 MiB requests, as a hasher or file-system reader does.
func BenchmarkReadAtSequential(b *testing.B) {
	r := benchImage(b)
	buf := make([]byte, 1<<20)
	b.SetBytes(r.Size())
	b.ResetTimer()
	for range b.N {
		for off := int64(0); off < r.Size(); off += int64(len(buf)) {
			if _, err := r.ReadAt(buf, off); err != nil && err != io.EOF {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkStream decodes the media in order with parallel workers.
func BenchmarkStream(b *testing.B) {
	r := benchImage(b)
	b.SetBytes(r.Size())
	b.ResetTimer()
	for range b.N {
		if err := r.Stream(context.Background(), 0, func([]byte, *container.RegionError) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
