package triage

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	md5simd "github.com/minio/md5-simd"

	"github.com/triagekit/triage/internal/mbhash"
)

// The pipelined (two-lane, double-buffered) and inline paths must give the
// digests of the standard library's one-shot functions for every size
// around the block and threshold edges.
func TestHasherSizes(t *testing.T) {
	srv := md5simd.NewServer()
	defer srv.Close()
	h := newHasher([]Algorithm{MD5, SHA1, SHA256, BLAKE3}, srv)
	defer h.close()
	data := make([]byte, parallelThreshold+3*blockSize+5)
	rand.New(rand.NewSource(7)).Read(data)
	for _, n := range []int{0, 1, blockSize - 1, blockSize, blockSize + 1, parallelThreshold - 1, parallelThreshold,
		parallelThreshold + 1, 2*parallelThreshold - 3, len(data)} {
		if n > len(data) {
			continue
		}
		b := data[:n]
		one := b[:min(n, 5000)] // byte-at-a-time reading is slow: a prefix is enough
		for _, simd := range []bool{false, true} {
			for _, c := range []struct {
				name string
				r    io.Reader
				want []byte
			}{
				{"whole", bytes.NewReader(b), b},
				{"half-reads", iotest.HalfReader(bytes.NewReader(b)), b},
				{"one-byte-reads", iotest.OneByteReader(bytes.NewReader(one)), one},
			} {
				res := h.sum(c.r, int64(len(c.want)), simd, nil)
				if res.n != int64(len(c.want)) {
					t.Fatalf("size %d %s: read %d", n, c.name, res.n)
				}
				m, s1, s2 := md5.Sum(c.want), sha1.Sum(c.want), sha256.Sum256(c.want)
				if res.MD5 != hex.EncodeToString(m[:]) || res.SHA1 != hex.EncodeToString(s1[:]) || res.SHA256 != hex.EncodeToString(s2[:]) {
					t.Errorf("size %d %s simd=%v: digests differ", n, c.name, simd)
				}
				if res.BLAKE3 == "" {
					t.Errorf("size %d: no blake3", n)
				}
			}
		}
	}
}

func TestHasherReadErrorKeepsWhatWasRead(t *testing.T) {
	h := newHasher(DefaultAlgorithms, nil)
	defer h.close()
	data := bytes.Repeat([]byte("x"), 3*blockSize)
	boom := errors.New("bad sector")
	r := io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom))
	res := h.sum(r, 10*blockSize, false, nil)
	if !errors.Is(res.err, boom) || res.n != int64(len(data)) {
		t.Fatalf("err %v n %d", res.err, res.n)
	}
	want := sha256.Sum256(data)
	if res.SHA256 != hex.EncodeToString(want[:]) {
		t.Error("digest does not cover exactly the bytes read before the error")
	}
}

func benchmarkHasher(b *testing.B, algs []Algorithm, size int) {
	h := newHasher(algs, nil)
	defer h.close()
	data := make([]byte, size)
	rand.New(rand.NewSource(1)).Read(data)
	b.SetBytes(int64(size))
	for b.Loop() {
		h.sum(bytes.NewReader(data), int64(size), false, nil)
	}
}

// One large file: the algorithms spread over two lanes.
func BenchmarkHasher64MiB(b *testing.B) { benchmarkHasher(b, DefaultAlgorithms, 64<<20) }

// Small files hashed inline.
func BenchmarkHasher16KiB(b *testing.B) { benchmarkHasher(b, DefaultAlgorithms, 16<<10) }

func BenchmarkHasher64MiBSHA256(b *testing.B) { benchmarkHasher(b, []Algorithm{SHA256}, 64<<20) }

// The batch buffer grows with the batches (in steps of batchGrow), never
// shrinks, and is not allocated before a batch needs it.
func TestBatchBufferGrows(t *testing.T) {
	h := newHasher(DefaultAlgorithms, nil)
	defer h.close()
	if h.batchBuf != nil {
		t.Fatalf("batch buffer of %d bytes before any batch", len(h.batchBuf))
	}
	for _, c := range []struct{ need, want int }{
		{1, batchGrow}, {batchGrow, batchGrow}, {batchGrow + 1, 2 * batchGrow}, {100, 2 * batchGrow},
		{batchBytes + batchMax*(mbhash.Pad+1), batchBytes + batchGrow},
	} {
		if got := len(h.batchBuffer(c.need)); got != c.want {
			t.Errorf("need %d: %d bytes, want %d", c.need, got, c.want)
		}
	}
}

// A folder whose batches go from tiny to full (2 MiB) and back, read by one
// worker, gets the digests of the standard library's functions.
func TestBatchesOfGrowingSize(t *testing.T) {
	root := t.TempDir()
	rnd := rand.New(rand.NewSource(15))
	want := map[string]string{}
	sizes := []int{}
	for range 100 {
		sizes = append(sizes, rnd.Intn(300))
	}
	for range 20 {
		sizes = append(sizes, batchFileMax-rnd.Intn(1000)) // about 8 a full batch
	}
	for range 100 {
		sizes = append(sizes, rnd.Intn(3000))
	}
	for i, n := range sizes {
		b := make([]byte, n)
		rnd.Read(b)
		name := fmt.Sprintf("f%03d", i)
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		want["/"+name] = hex.EncodeToString(sum[:])
	}
	c := newCase(t)
	res := scanTree(t, c, root, Options{Workers: 1})
	recs := records(t, c, res.EvidenceID)
	for p, w := range want {
		if r := recs[p]; r == nil || r.MD5 != w || !r.Complete {
			t.Errorf("%s: %+v, want md5 %s", p, r, w)
		}
	}
}
