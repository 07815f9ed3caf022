package hashset

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchSet  *Set
	benchKeys [][]byte
	benchErr  error
)

// benchIndex builds (once per process) an MD5 index of 10 million
// pseudo-random digests (1 million with -short) and a query list of which
// half is present.
func benchIndex(b *testing.B) (*Set, [][]byte) {
	benchOnce.Do(func() {
		n := 10_000_000
		if testing.Short() {
			n = 1_000_000
		}
		dir, err := os.MkdirTemp("", "hashset-bench-")
		if err != nil {
			benchErr = err
			return
		}
		defer os.RemoveAll(dir) // the mapping outlives the file name
		bl := newBuilder(dir, 0)
		r := rand.New(rand.NewPCG(7, 7))
		chunk := make([]byte, 0, 16*4096)
		for i := 0; i < n; i++ {
			var d [16]byte
			binary.LittleEndian.PutUint64(d[:], r.Uint64())
			binary.LittleEndian.PutUint64(d[8:], r.Uint64())
			chunk = append(chunk, d[:]...)
			if i%2 == 0 && len(benchKeys) < 1<<20 {
				benchKeys = append(benchKeys, append([]byte(nil), d[:]...))
				var x [16]byte
				binary.LittleEndian.PutUint64(x[:], r.Uint64())
				benchKeys = append(benchKeys, x[:])
			}
			if len(chunk) == cap(chunk) {
				bl.add(MD5, chunk)
				chunk = chunk[:0]
			}
		}
		bl.add(MD5, chunk)
		p := filepath.Join(dir, "b"+Ext)
		if benchErr = bl.writeFile(context.Background(), p, &Header{Name: "b", Category: KnownBad}); benchErr != nil {
			return
		}
		bl.cleanup()
		benchSet, benchErr = Open(p)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchSet, benchKeys
}

// BenchmarkLookup: one core, warm cache, half the queries present.
func BenchmarkLookup(b *testing.B) {
	s, keys := benchIndex(b)
	b.ResetTimer()
	found := 0
	for i := 0; i < b.N; i++ {
		if s.Contains(MD5, keys[i&(len(keys)-1)]) {
			found++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	b.ReportMetric(float64(s.Size)/float64(s.Count(MD5)), "bytes/entry")
	if b.N > len(keys) && (found < b.N/3 || found > 2*b.N/3) {
		b.Fatalf("%d of %d found", found, b.N)
	}
}

// BenchmarkMatch is the per-file cost a scan pays: three hex digests
// against the built-in set and a 10-million-entry set.
func BenchmarkMatch(b *testing.B) {
	s, keys := benchIndex(b)
	m := NewMatcher([]*Set{s, builtinEICAR()})
	hexKeys := make([]string, 1024)
	for i := range hexKeys {
		hexKeys[i] = hexString(keys[i])
	}
	sha1 := "3395856ce81f2b7382dee72602f798b642f14140"
	sha256 := "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(hexKeys[i&1023], sha1, sha256)
	}
}

// BenchmarkImportMD5sum imports one million md5sum lines.
func BenchmarkImportMD5sum(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "in.md5")
	genMD5sum(b, src, 1_000_000, 0)
	fi, _ := os.Stat(src)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lib := &Library{Dir: filepath.Join(dir, "lib")}
		if _, err := lib.Import(context.Background(), []string{src}, ImportOptions{Name: "x", Category: KnownBad, Replace: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "lines/s")
}
