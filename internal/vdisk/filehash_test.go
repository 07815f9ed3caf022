package vdisk

import (
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// hashFile writes size pseudo-random bytes to a file and opens it as a
// disk's file.
func hashFile(t testing.TB, size int, seed uint64) (*File, [sha256.Size]byte) {
	t.Helper()
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), "disk.bin")
	if err := os.WriteFile(p, b, 0o444); err != nil {
		t.Fatal(err)
	}
	f, n, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if n != int64(size) {
		t.Fatalf("size %d, want %d", n, size)
	}
	return f, sha256.Sum256(b)
}

// readRange is one read of a pattern.
type readRange struct{ off, n int64 }

// replay shows the reads of a pattern to a hasher of f, through f's
// ReadAt as a stream's workers read, and returns the digests it stores.
func replay(t *testing.T, f *File, bound int64, reads []readRange, complete bool) (*FileDigests, int64) {
	t.Helper()
	var d FileDigests
	end := hashFiles([]*File{f}, bound, &d)
	h := f.tap.Load()
	var most int64
	for _, r := range reads {
		b := make([]byte, r.n)
		f.ReadAt(b, r.off)
		h.mu.Lock()
		most = max(most, h.kept)
		h.mu.Unlock()
	}
	end(complete)
	if f.tap.Load() != nil {
		t.Fatal("the file still shows its reads after the stream")
	}
	return &d, most
}

// TestFileHasherPatterns: whatever the order of the reads, a stream that
// went to the end gives the file's SHA-256 (crypto/sha256 of its bytes);
// reads in order, or out of order by less than the bound, leave the
// hasher to read only the gaps between them; reads far ahead are not
// kept; the bytes kept never pass the bound by more than one read.
func TestFileHasherPatterns(t *testing.T) {
	const size = 12<<20 + 12345
	const bound = 1 << 20
	f, want := hashFile(t, size, 1)
	const blk = 256 << 10
	var inOrder, gaps, swapped, swappedGaps, leading, shuffled, walk []readRange
	var gapBytes int64
	for off := int64(0); off < size; off += blk {
		inOrder = append(inOrder, readRange{off, min(blk, size-off)})
		// 512 bytes of metadata before each block, never read.
		if off+512 < size {
			gaps = append(gaps, readRange{off + 512, min(blk, size-off) - 512})
			gapBytes += 512
		}
	}
	// Two workers: each pair of pieces read in the wrong order.
	for i := 0; i < len(inOrder); i += 2 {
		if i+1 < len(inOrder) {
			swapped = append(swapped, inOrder[i+1])
		}
		swapped = append(swapped, inOrder[i])
	}
	for i := 0; i < len(gaps); i += 2 {
		if i+1 < len(gaps) {
			swappedGaps = append(swappedGaps, gaps[i+1])
		}
		swappedGaps = append(swappedGaps, gaps[i])
	}
	// A metadata region larger than the bound before the first data.
	for _, r := range inOrder {
		if r.off >= 2<<20 {
			leading = append(leading, r)
		}
	}
	shuffled = append(shuffled, inOrder...)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// Another reader's reads far ahead, between the stream's.
	r := rand.New(rand.NewPCG(5, 6))
	for _, x := range inOrder {
		walk = append(walk, x, readRange{r.Int64N(size - 4096), 4096})
	}
	for _, c := range []struct {
		name     string
		reads    []readRange
		selfRead int64 // -1: any
		mostKept int64 // 0: the bound and a read
	}{
		{"in order", inOrder, 0, 0},
		{"gaps", gaps, gapBytes, 0},
		{"two workers", swapped, 0, blk},
		// The gaps are read at once, not when the bound is reached.
		{"two workers with gaps", swappedGaps, gapBytes, blk},
		{"leading metadata", leading, 2 << 20, 0},
		{"walk far ahead", walk, -1, 0},
		{"shuffled", shuffled, -1, 0},
		{"nothing read", nil, size, 0},
		{"overlapping", append(append([]readRange{}, swapped[:10]...), readRange{1000, 300000}, readRange{0, size}), 0, size},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, most := replay(t, f, bound, c.reads, true)
			sums := d.SegmentSHA256()
			if len(sums) != 1 || sums[0] != want {
				t.Fatalf("digests %x, want %x", sums, want)
			}
			if c.selfRead >= 0 && d.SelfRead() != c.selfRead {
				t.Errorf("the hasher read %d bytes itself, want %d", d.SelfRead(), c.selfRead)
			}
			if d.SelfRead() > size {
				t.Errorf("the hasher read %d bytes itself, more than the file", d.SelfRead())
			}
			if c.name == "walk far ahead" && d.SelfRead() > 4*smallGap {
				t.Errorf("the hasher read %d bytes itself for another reader's reads", d.SelfRead())
			}
			if c.mostKept == 0 {
				c.mostKept = bound + blk
			}
			if most > c.mostKept {
				t.Errorf("%d bytes kept at once, want at most %d", most, c.mostKept)
			}
		})
	}
	t.Run("stopped", func(t *testing.T) {
		d, _ := replay(t, f, bound, inOrder[:5], false)
		if d.SegmentSHA256() != nil {
			t.Error("digests from a stream that stopped before its end")
		}
	})
}

// TestFileHasherMissingBytes: a file shorter than when it was opened (the
// hasher cannot read its end) gives no digest rather than a wrong one.
func TestFileHasherMissingBytes(t *testing.T) {
	f, _ := hashFile(t, 100000, 2)
	f.size += 4096
	d, _ := replay(t, f, 1<<20, []readRange{{0, 50000}}, true)
	if d.SegmentSHA256() != nil {
		t.Error("a digest of a file whose end could not be read")
	}
}

// TestFileHasherOneStream: while a stream hashes a disk's files, a second
// stream of the same disk hashes nothing (it would see the first's reads),
// and neither gets a digest it did not make.
func TestFileHasherOneStream(t *testing.T) {
	f, want := hashFile(t, 200000, 3)
	var d1, d2 FileDigests
	end1 := hashFiles([]*File{f}, 1<<20, &d1)
	end2 := hashFiles([]*File{f}, 1<<20, &d2)
	end2(true)
	end1(true)
	if d2.SegmentSHA256() != nil {
		t.Error("the second stream gave digests")
	}
	if s := d1.SegmentSHA256(); len(s) != 1 || s[0] != want {
		t.Errorf("the first stream: %x", s)
	}
	// A file not held open: nothing is hashed.
	var d3 FileDigests
	hashFiles([]*File{f, nil}, 1<<20, &d3)(true)
	if d3.SegmentSHA256() != nil {
		t.Error("digests with a file not held open")
	}
}

// TestFileHasherConcurrent: reads from several goroutines at once (the
// stream's workers and a walk) give the file's digest; run with -race.
func TestFileHasherConcurrent(t *testing.T) {
	const size = 4 << 20
	f, want := hashFile(t, size, 4)
	var d FileDigests
	end := hashFiles([]*File{f}, 1<<20, &d)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			b := make([]byte, 256<<10)
			for off := int64(w) * int64(len(b)); off < size; off += 4 * int64(len(b)) {
				f.ReadAt(b, off)
			}
		})
	}
	wg.Go(func() {
		b := make([]byte, 4096)
		r := rand.New(rand.NewPCG(8, 9))
		for range 200 {
			f.ReadAt(b, r.Int64N(size-4096))
		}
	})
	wg.Wait()
	end(true)
	if s := d.SegmentSHA256(); len(s) != 1 || s[0] != want {
		t.Errorf("digest %x, want %x", s, want)
	}
}

// FuzzFileHasher: any pattern of reads gives the file's digest, and the
// hasher never keeps more than the bound and one read.
func FuzzFileHasher(f *testing.F) {
	f.Add([]byte{0, 10, 5, 3, 200, 1, 7, 7, 7})
	f.Add([]byte{255, 255, 0, 0, 1, 1, 2, 2})
	const size = 1 << 16
	file, want := hashFile(f, size, 5)
	f.Fuzz(func(t *testing.T, ops []byte) {
		var reads []readRange
		for i := 0; i+2 < len(ops) && len(reads) < 200; i += 3 {
			off := (int64(ops[i])<<8 | int64(ops[i+1])) % size
			n := min(int64(ops[i+2])*64+1, size-off)
			reads = append(reads, readRange{off, n})
		}
		const bound = 4096
		d, most := replay(t, file, bound, reads, true)
		if s := d.SegmentSHA256(); len(s) != 1 || s[0] != want {
			t.Fatalf("digest %x, want %x", s, want)
		}
		if most > bound+255*64+1 {
			t.Fatalf("%d bytes kept", most)
		}
	})
}

// TestFileHasherManyFiles: a disk of many files, each with its data after
// metadata the stream does not read and less data than the bound (a VMDK
// split in extent files with a little data each): the hashers together
// keep at most about twice the bound, not the bound in each file, and
// every file's digest is right.
func TestFileHasherManyFiles(t *testing.T) {
	const n, size, bound, blk = 20, 1 << 20, 512 << 10, 64 << 10
	files := make([]*File, n)
	want := make([][sha256.Size]byte, n)
	for i := range files {
		files[i], want[i] = hashFile(t, size, uint64(10+i))
	}
	var d FileDigests
	end := hashFiles(files, bound, &d)
	all := files[0].tap.Load().all
	var most int64
	b := make([]byte, blk)
	for _, f := range files {
		// 256 KiB of metadata, then data up to 768 KiB: 512 KiB kept,
		// not more than the bound.
		for off := int64(256 << 10); off < 768<<10; off += blk {
			f.ReadAt(b, off)
			most = max(most, all.n.Load())
		}
	}
	end(true)
	if most > 2*bound+blk {
		t.Errorf("%d bytes kept at once by the hashers of %d files, want at most %d", most, n, 2*bound+blk)
	}
	sums := d.SegmentSHA256()
	if len(sums) != n {
		t.Fatalf("%d digests", len(sums))
	}
	for i := range sums {
		if sums[i] != want[i] {
			t.Errorf("file %d: %x, want %x", i, sums[i], want[i])
		}
	}
	if all.n.Load() != 0 {
		t.Errorf("%d bytes still counted as kept", all.n.Load())
	}
}
