package ewf

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/triage/image/container"
)

// fileSHA256 reads the file whole and hashes it.
func fileSHA256(t *testing.T, path string) [sha256.Size]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// checkSegmentSums compares the digests the stream made with those of the
// segment files read whole.
func checkSegmentSums(t *testing.T, r *Reader) {
	t.Helper()
	sums := r.SegmentSHA256()
	files := r.SegmentFiles()
	if len(sums) != len(files) || len(files) == 0 {
		t.Fatalf("%d digests for %d segment files", len(sums), len(files))
	}
	for i, f := range files {
		if want := fileSHA256(t, f.Path); sums[i] != want {
			t.Errorf("%s: streamed SHA-256 %x, the file's %x", filepath.Base(f.Path), sums[i], want)
		}
	}
}

// TestSegmentSHA256 streams every fixture (one and several segment
// files; compressed, stored and mixed chunks) with the usual windows, with
// windows hardly larger than a chunk (windows overlap, and leave section
// headers, tables and the sections after the last chunk to be read by the
// hasher), and with windows smaller than a chunk (every chunk is read on
// its own, the hasher reads the whole file): the segment files' digests
// made on the way are those of the files read whole.
func TestSegmentSHA256(t *testing.T) {
	for _, ahead := range []int64{readAheadSize, 40 << 10, 33 << 10, 1 << 10} {
		old := readAheadSize
		readAheadSize = ahead
		for _, tt := range fixtureTests {
			t.Run(tt.name, func(t *testing.T) {
				r := openClean(t, fixture(t, tt.name))
				if r.SegmentSHA256() != nil {
					t.Fatal("digests before any stream")
				}
				if got, _ := hashStream(t, r); got != sums(t, "ewf-fixtures.md5", tt.raw) {
					t.Fatalf("media md5 %s", got)
				}
				checkSegmentSums(t, r)
			})
		}
		readAheadSize = old
	}
}

// TestSegmentSHA256Partial: a stream stopped before the end hashes no
// segment file; a whole stream after it does.
func TestSegmentSHA256Partial(t *testing.T) {
	r := openClean(t, fixture(t, "ewf-split-none.E01"))
	stop := errors.New("stop")
	n := 0
	err := r.Stream(context.Background(), 2, func([]byte, *container.RegionError) error {
		if n++; n > 3 {
			return stop
		}
		return nil
	})
	if err != stop || r.SegmentSHA256() != nil {
		t.Fatalf("stopped stream: %v, digests %x", err, r.SegmentSHA256())
	}
	hashStream(t, r)
	checkSegmentSums(t, r)
}

// TestSegmentSHA256BadChunk: a chunk that does not decode is a region
// error in the media, but the segment file is still hashed as it is.
func TestSegmentSHA256BadChunk(t *testing.T) {
	p := fixture(t, "ewf-best-mixed.E01")
	r0 := openClean(t, p)
	seg, off, n, ok := r0.rawSpan(2)
	if !ok || seg != 0 {
		t.Fatalf("chunk 2: segment %d, ok %v", seg, ok)
	}
	r0.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := off + 2; i < off+n-4; i += 7 {
		b[i] ^= 0x5a
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o444); err != nil {
		t.Fatal(err)
	}
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, bad := hashStream(t, r); len(bad) == 0 {
		t.Fatal("no bad region for the damaged chunk")
	}
	checkSegmentSums(t, r)
}
