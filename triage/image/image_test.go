package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/triagekit/triage/internal/testfixture"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var corpusDir = testfixture.CorpusDir

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func readAll(t *testing.T, img Image) []byte {
	t.Helper()
	b := make([]byte, img.Size())
	// Odd-sized reads cross segment boundaries.
	for off := 0; off < len(b); {
		n, err := img.ReadAt(b[off:min(off+77777, len(b))], int64(off))
		off += n
		if err != nil && !(errors.Is(err, io.EOF) && off == len(b)) {
			t.Fatalf("ReadAt at %d: %v", off, err)
		}
	}
	return b
}

// TestCorpusSplitRaw reads dfvfs's ext2.splitraw.000 + .001 as one image:
// INDEX.md gives the SHA-256 of the whole ext2.raw.
func TestCorpusSplitRaw(t *testing.T) {
	d := corpusDir(t)
	img, err := Open(filepath.Join(d, "dfvfs", "ext2.splitraw.000"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	info := img.(Describer).Describe()
	if info.Format != "split-raw" || len(info.Segments) != 2 || img.Size() != 4194304 {
		t.Fatalf("info %+v size %d", info, img.Size())
	}
	if got := sha(readAll(t, img)); got != "a6c2f0e39afe6c6ab432ca5465349fcefe8dc944398e97b2d957d3f89dbb5d80" {
		t.Errorf("sha256 %s", got)
	}
	f, _ := os.Open(filepath.Join(d, "dfvfs", "ext2.splitraw.000"))
	defer f.Close()
	if k := Detect(f, 0); k != Kind("ext") {
		t.Errorf("Detect = %q, want ext", k)
	}
}

func TestSplitNaming(t *testing.T) {
	data := make([]byte, 10000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		names []string
	}{
		{[]string{"disk.001", "disk.002", "disk.003"}},
		{[]string{"disk.000", "disk.001", "disk.002"}},
		{[]string{"diskaa", "diskab", "diskac"}},
		{[]string{"x.img.aa", "x.img.ab", "x.img.ac"}},
	} {
		t.Run(tc.names[0], func(t *testing.T) {
			dir := t.TempDir()
			cuts := []int{0, 4096, 4097, len(data)}
			for i, n := range tc.names {
				os.WriteFile(filepath.Join(dir, n), data[cuts[i]:cuts[i+1]], 0o644)
			}
			img, err := Open(filepath.Join(dir, tc.names[0]))
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if got := readAll(t, img); !bytes.Equal(got, data) {
				t.Errorf("content differs from the concatenation")
			}
			if segs := img.(Describer).Describe().Segments; len(segs) != 3 || segs[2].Offset != 4097 {
				t.Errorf("segments %+v", segs)
			}
			// A read past the end: the bytes before it and io.EOF.
			buf := make([]byte, 100)
			if n, err := img.ReadAt(buf, int64(len(data))-10); n != 10 || !errors.Is(err, io.EOF) {
				t.Errorf("read over the end: %d, %v", n, err)
			}
		})
	}
	// Not a first segment: opened alone as raw.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "disk.002"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "disk.003"), data, 0o644)
	img, err := Open(filepath.Join(dir, "disk.002"))
	if err != nil {
		t.Fatal(err)
	}
	if img.Size() != int64(len(data)) || img.(Describer).Describe().Format != "raw" {
		t.Errorf("disk.002 opened as %+v", img.(Describer).Describe())
	}
	img.Close()
}

func TestSplitSegmentShrunk(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "d.001"), make([]byte, 1000), 0o644)
	os.WriteFile(filepath.Join(dir, "d.002"), make([]byte, 1000), 0o644)
	img, err := Open(filepath.Join(dir, "d.001"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	os.Truncate(filepath.Join(dir, "d.001"), 500)
	if n, err := img.ReadAt(make([]byte, 1500), 0); n != 500 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("shrunk segment: %d, %v", n, err)
	}
}

func TestDetect(t *testing.T) {
	sector := func(f func(b []byte)) []byte {
		b := make([]byte, 2048)
		b[510], b[511] = 0x55, 0xaa
		f(b)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want Kind
	}{
		{"ewf", append(append([]byte(nil), ewfSignature...), make([]byte, 100)...), KindEWF},
		{"ntfs", sector(func(b []byte) { copy(b[3:], "NTFS    ") }), Kind("ntfs")},
		{"fat32", sector(func(b []byte) { copy(b[82:], "FAT32   ") }), Kind("fat")},
		{"fat16", sector(func(b []byte) { copy(b[54:], "FAT16   ") }), Kind("fat")},
		{"exfat", sector(func(b []byte) { copy(b[3:], "EXFAT   ") }), Kind("exfat")},
		{"mbr", sector(func(b []byte) { b[446+4] = 0x83; b[446+8] = 1; b[446+12] = 9 }), KindMBR},
		{"protective-mbr", sector(func(b []byte) { b[446+4] = 0xee; b[446+8] = 1; b[446+12] = 9 }), KindMBR},
		{"55aa-empty-table", sector(func(b []byte) {}), KindNone},
		{"55aa-bad-boot-flag", sector(func(b []byte) { b[446] = 0x12; b[446+4] = 0x83; b[446+12] = 9 }), KindNone},
		{"text", []byte("just some text that is not an image"), KindNone},
		{"empty", nil, KindNone},
	}
	for _, tt := range tests {
		if got := Detect(bytes.NewReader(tt.b), int64(len(tt.b))); got != tt.want {
			t.Errorf("%s: Detect = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// ewfSignature starts the first segment of an Expert Witness (E01) image.
var ewfSignature = []byte("EVF\x09\x0d\x0a\xff\x00")

// TestOpenEWFGarbage: a file with the E01 signature and nothing valid
// behind it is an error.
func TestOpenEWFGarbage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.E01")
	os.WriteFile(p, append(append([]byte(nil), ewfSignature...), make([]byte, 100)...), 0o644)
	if img, err := Open(p); err == nil {
		img.Close()
		t.Errorf("Open of a broken E01 succeeded")
	}
}
