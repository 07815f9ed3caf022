package ext

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/fs"
)

// raceEnabled is set under the race detector, which makes the sweep ten
// times slower: it then flips fewer bits.
var raceEnabled bool

// sweepImage makes a 1 MiB ext4 volume (1 KiB blocks, extents, no
// journal) with mke2fs -d: a few small files and folders, and a file of
// eight data runs separated by holes, so that its extent tree has an index
// level (more than the four extents the inode holds).
func sweepImage(t *testing.T, features string) []byte {
	t.Helper()
	needTools(t, "mkfs.ext4")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "docs", "deeper"), 0o755)
	os.WriteFile(filepath.Join(src, "hello.txt"), []byte("hello ext\n"), 0o644)
	os.WriteFile(filepath.Join(src, "docs", "report.txt"), bytes.Repeat([]byte("line of the report\n"), 400), 0o644)
	os.WriteFile(filepath.Join(src, "docs", "deeper", "note.txt"), []byte("a note\n"), 0o644)
	f, err := os.Create(filepath.Join(src, "runs.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		f.WriteAt(bytes.Repeat([]byte{byte('a' + i)}, 1024), int64(i)*8192)
	}
	f.Close()
	img := filepath.Join(dir, "sweep.img")
	cmd := exec.Command("mkfs.ext4", "-q", "-F", "-b", "1024", "-N", "32", "-O", features, "-d", src, img, "1M")
	cmd.Env = append(os.Environ(), "E2FSPROGS_FAKE_TIME=1700000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v %s", err, out)
	}
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sweepRegion is a byte range of the volume whose bits are flipped.
type sweepRegion struct {
	name     string
	off, len int64
}

// sweepRegions finds the superblock, the group descriptors, the inodes of
// the root, the files and folders, and the extent index and leaf blocks of
// runs.bin in a volume made by sweepImage.
func sweepRegions(t *testing.T, b []byte) []sweepRegion {
	t.Helper()
	v, err := New(bytes.NewReader(b), 0, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	rs := []sweepRegion{{"superblock", 1024, 1024}, {"group descriptors", 2048, 64}}
	// The inodes mkfs -d gives the root (2) and the first files (12..17).
	for _, n := range []uint32{2, 12, 13, 14, 15, 16, 17} {
		rs = append(rs, sweepRegion{"inode", inodeOf(t, b, n), int64(v.sb.inodeSize)})
	}
	// runs.bin: the inode whose extent header has depth 1.
	found := false
	for n := uint32(12); n < 32 && !found; n++ {
		o := inodeOf(t, b, n)
		h := b[o+0x28:]
		if binary.LittleEndian.Uint16(h) != 0xf30a || binary.LittleEndian.Uint16(h[6:]) != 1 {
			continue
		}
		found = true
		leaf := int64(binary.LittleEndian.Uint32(h[12+4:])) | int64(binary.LittleEndian.Uint16(h[12+8:]))<<32
		rs = append(rs, sweepRegion{"extent tree (inode root)", o + 0x28, 60}, sweepRegion{"extent tree (leaf block)", leaf * v.sb.blockSize, 12 + 8*12})
	}
	if !found {
		t.Fatal("mkfs.ext4 made no extent tree with an index level for runs.bin")
	}
	return rs
}

// walkBounded opens, walks and reads every entry's content like walkAll,
// counting the problems; every problem and error must name an offset.
func walkBounded(t *testing.T, b []byte, what string) (entries, problems int) {
	v, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
	if err != nil {
		if !strings.Contains(err.Error(), "at byte 0x") {
			t.Errorf("%s: an error without its offset: %v", what, err)
		}
		return 0, 1
	}
	v.Walk(context.Background(), func(e *fs.Entry) error {
		entries++
		if e.Open != nil {
			r, err := e.Open()
			if err != nil {
				problems++
				return nil
			}
			if n, _ := io.CopyN(io.Discard, r, 64<<20); n > e.Size {
				t.Fatalf("%s: %s: read %d bytes of %d", what, e.Path, n, e.Size)
			}
			r.Close()
		}
		return nil
	}, func(err error) {
		problems++
		if !strings.Contains(err.Error(), "at byte 0x") {
			t.Errorf("%s: a problem without its offset: %v", what, err)
		}
	})
	return entries, problems
}

// TestMetadataBitFlips flips, one at a time, bits of the superblock, the
// group descriptors, the inodes and the extent tree of a small ext4
// volume made by mke2fs (with metadata checksums, which catch most flips,
// and without, so that the flipped values reach the parsers): each variant
// opens, walks and reads every file without a panic and within a time
// bound, and every problem and error names its offset.
func TestMetadataBitFlips(t *testing.T) {
	for _, features := range []string{"^has_journal", "^has_journal,^metadata_csum"} {
		t.Run(features, func(t *testing.T) { sweep(t, sweepImage(t, features)) })
	}
}

func sweep(t *testing.T, good []byte) {
	clean, cleanProblems := walkBounded(t, good, "clean")
	if clean < 6 || cleanProblems != 0 {
		t.Fatalf("clean volume: %d entries, %d problems", clean, cleanProblems)
	}
	step := int64(1)
	if testing.Short() || raceEnabled {
		step = 7
	}
	const limit = 2 * time.Second
	b := bytes.Clone(good)
	start := time.Now()
	variants, noticed := 0, 0
	var slowest time.Duration
	for _, r := range sweepRegions(t, good) {
		for bit := r.off * 8; bit < (r.off+r.len)*8; bit += step {
			b[bit/8] ^= 1 << (bit % 8)
			t0 := time.Now()
			_, p := walkBounded(t, b, r.name)
			d := time.Since(t0)
			slowest = max(slowest, d)
			if d > limit {
				t.Errorf("%s: bit %d of byte %#x: %v", r.name, bit%8, bit/8, d)
			}
			if p > 0 {
				noticed++
			}
			b[bit/8] ^= 1 << (bit % 8)
			variants++
		}
	}
	t.Logf("%d variants in %v (slowest %v), %d with a problem or error", variants, time.Since(start), slowest, noticed)
	if noticed == 0 {
		t.Error("no flipped bit gave a problem or an error")
	}
}
