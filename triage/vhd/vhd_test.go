package vhd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/internal/vdisk"
	"github.com/triagekit/triage/internal/vdisk/vdisktest"
	"github.com/triagekit/triage/triage/image/container"
)

// TestQemuImages: dynamic and fixed disks made by qemu-img from the
// partitioned test disk read as qemu-img convert -O raw reads them.
func TestQemuImages(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	for _, sub := range []string{"dynamic", "fixed"} {
		t.Run(sub, func(t *testing.T) {
			p := vdisktest.Convert(t, raw, filepath.Join(dir, sub+".vhd"), "vpc", "-o", "subformat="+sub)
			want, size := vdisktest.RawMD5(t, p, "vpc")
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Size() != size {
				t.Fatalf("size %d, qemu-img %d", r.Size(), size)
			}
			if got := vdisktest.MD5(t, r, r.Size()); got != want {
				t.Errorf("media MD5 %s, qemu-img convert %s", got, want)
			}
			if got := vdisktest.StreamMD5(t, r, 3); got != want {
				t.Errorf("streamed media MD5 %s, qemu-img convert %s", got, want)
			}
			if p := r.Problems(); len(p) > 0 {
				t.Errorf("problems: %v", p)
			}
			if d := r.Describe(); d.Format != "vhd" || len(d.Segments) != 1 || d.Segments[0].Path != p {
				t.Errorf("describe: %+v", d)
			}
			if got := r.AcquisitionMetadata()["disk_type"]; got != sub {
				t.Errorf("disk type %v", got)
			}
		})
	}
}

// TestCorpusExt2: dfvfs's ext2.vhd (qemu, dynamic) holds ext2.raw in its
// first 4 MiB, then zeros up to its CHS-rounded size.
func TestCorpusExt2(t *testing.T) {
	p := testfixture.Corpus(t, "dfvfs/ext2.vhd")
	raw := testfixture.Gunzip(t, testfixture.Corpus(t, "dfvfs/ext2.raw.gz"))
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != 4212736 {
		t.Fatalf("size %d, want 4212736 (INDEX.md)", r.Size())
	}
	got := make([]byte, r.Size())
	if n, err := r.ReadAt(got, 0); n != len(got) || err != nil {
		t.Fatal(n, err)
	}
	if !bytes.Equal(got[:len(raw)], raw) || !bytes.Equal(got[len(raw):], make([]byte, len(got)-len(raw))) {
		t.Error("content differs from ext2.raw")
	}
}

// setChecksum recomputes the checksum of a footer or header.
func setChecksum(b []byte, at int) {
	binary.BigEndian.PutUint32(b[at:], checksum(b, at))
}

// makeDifferencing turns a qemu dynamic disk into a differencing disk of
// parent: only sectors listed in keep[block] stay in the child.
func makeDifferencing(t *testing.T, child []byte, parentID [16]byte, parentName string, keep map[int][]int) []byte {
	t.Helper()
	b := append([]byte(nil), child...)
	footers := []int{0, len(b) - 512}
	for _, o := range footers {
		binary.BigEndian.PutUint32(b[o+60:], TypeDifferencing)
		setChecksum(b[o:o+512], 64)
	}
	h := int(binary.BigEndian.Uint64(b[16:]))
	hdr := b[h : h+1024]
	copy(hdr[40:56], parentID[:])
	name := make([]byte, 512)
	for i, c := range parentName {
		binary.BigEndian.PutUint16(name[i*2:], uint16(c))
	}
	copy(hdr[64:576], name)
	setChecksum(hdr, 36)
	bat := int(binary.BigEndian.Uint64(hdr[16:]))
	n := int(binary.BigEndian.Uint32(hdr[28:]))
	bs := int(binary.BigEndian.Uint32(hdr[32:]))
	bm := (bs/512/8 + 511) &^ 511
	for i := range n {
		e := binary.BigEndian.Uint32(b[bat+i*4:])
		if e == 0xffffffff {
			continue
		}
		sectors, ok := keep[i]
		if !ok {
			binary.BigEndian.PutUint32(b[bat+i*4:], 0xffffffff)
			continue
		}
		m := b[int(e)*512 : int(e)*512+bm]
		clear(m)
		for _, s := range sectors {
			m[s/8] |= 0x80 >> (s % 8)
		}
		// The block's other sectors hold what must not be read.
		data := b[int(e)*512+bm : int(e)*512+bm+bs]
		for s := range bs / 512 {
			if !slices.Contains(sectors, s) {
				copy(data[s*512:s*512+512], bytes.Repeat([]byte{0xee}, 512))
			}
		}
	}
	return b
}

// TestDifferencing: a child that keeps one changed sector reads as the
// changed disk (qemu-img's reading of the full dynamic child); its parent
// is found next to it by name, or given; a wrong parent is refused by its
// unique ID, a missing one named.
func TestDifferencing(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	base := vdisktest.Convert(t, raw, filepath.Join(dir, "base.vhd"), "vpc")
	// The changed disk: sector 3 of block 1 (media byte 2 MiB + 1536).
	b, _ := os.ReadFile(raw)
	copy(b[2<<20+1536:], "changed sector of the child disk")
	raw2 := filepath.Join(dir, "disk2.raw")
	os.WriteFile(raw2, b, 0o644)
	full := vdisktest.Convert(t, raw2, filepath.Join(dir, "full.vhd"), "vpc")
	want, _ := vdisktest.RawMD5(t, full, "vpc")

	pr, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	pid := pr.Footer().UniqueID
	pr.Close()
	fb, _ := os.ReadFile(full)
	sub := filepath.Join(dir, "child")
	os.Mkdir(sub, 0o755)
	child := filepath.Join(sub, "child.vhd")
	os.WriteFile(child, makeDifferencing(t, fb, pid, `C:\vms\base.vhd`, map[int][]int{1: {3}}), 0o644)

	// Not next to it: missing, named.
	if _, err := Open(child); !errors.Is(err, vdisk.ErrNoParent) || !strings.Contains(err.Error(), uuidString(pid)) || !strings.Contains(err.Error(), "base.vhd") {
		t.Fatalf("missing parent: %v", err)
	}
	check := func(r *Reader) {
		t.Helper()
		if got := vdisktest.MD5(t, r, r.Size()); got != want {
			t.Errorf("media MD5 %s, want %s", got, want)
		}
		if f := r.SegmentFiles(); len(f) != 2 || f[0].Path != child {
			t.Errorf("chain files %+v", f)
		}
	}
	r, err := Open(child, base)
	if err != nil {
		t.Fatal(err)
	}
	check(r)
	r.Close()
	// Next to it, by name.
	os.Link(base, filepath.Join(sub, "base.vhd"))
	if r, err = Open(child); err != nil {
		t.Fatal(err)
	}
	check(r)
	r.Close()
	// Given under another name: found by its unique ID.
	other := filepath.Join(dir, "renamed.vhd")
	os.Link(base, other)
	os.Remove(filepath.Join(sub, "base.vhd"))
	if r, err = Open(child, other); err != nil {
		t.Fatal(err)
	}
	check(r)
	r.Close()
	// A wrong parent next to it: refused by its unique ID.
	os.Link(full, filepath.Join(sub, "base.vhd"))
	if _, err := Open(child); err == nil || !strings.Contains(err.Error(), "expects "+uuidString(pid)) {
		t.Errorf("wrong parent: %v", err)
	}
}

// TestDamaged: a block table entry pointing past the end of the file
// reads as zeros with a RegionError naming the file offset; a bad header
// checksum is a problem; truncated footers are refused.
func TestDamaged(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	p := vdisktest.Convert(t, vdisktest.RawDisk(t, dir), filepath.Join(dir, "d.vhd"), "vpc")
	b, _ := os.ReadFile(p)
	h := int(binary.BigEndian.Uint64(b[16:]))
	bat := int(binary.BigEndian.Uint64(b[h+16:]))
	binary.BigEndian.PutUint32(b[bat:], 0x7ffffff0)
	r, err := New(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := r.ReadAt(buf, 0)
	var re *container.RegionError
	if n != len(buf) || !errors.As(err, &re) || re.Off != 0 || !strings.Contains(err.Error(), "past the end") || !bytes.Equal(buf, make([]byte, 4096)) {
		t.Errorf("bad block: %d %v", n, err)
	}
	// The next block still reads.
	if _, err := r.ReadAt(buf, 2<<20); err != nil {
		t.Errorf("block 1: %v", err)
	}
	b[h+40] ^= 1
	if r, err = New(bytes.NewReader(b), int64(len(b))); err != nil || len(r.Problems()) != 1 || !strings.Contains(r.Problems()[0].Error(), "checksum") {
		t.Errorf("header checksum: %v %v", err, r.Problems())
	}
	// A differencing disk read without its parent.
	if _, err := New(bytes.NewReader(b[:len(b)-1000]), int64(len(b)-1000)); err != nil {
		// The footer copy at byte 0 is used, with a problem.
		t.Logf("truncated: %v", err)
	}
	if _, err := New(bytes.NewReader(b[:300]), 300); !errors.Is(err, ErrNotVHD) {
		t.Errorf("short file: %v", err)
	}
}

// TestEOF: reads at and past the end follow io.ReaderAt.
func TestEOF(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	p := vdisktest.Convert(t, vdisktest.RawDisk(t, dir), filepath.Join(dir, "d.vhd"), "vpc", "-o", "subformat=fixed")
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 1024)
	if n, err := r.ReadAt(buf, r.Size()-512); n != 512 || err != io.EOF {
		t.Errorf("read across the end: %d %v", n, err)
	}
	if n, err := r.ReadAt(buf, r.Size()); n != 0 || err != io.EOF {
		t.Errorf("read at the end: %d %v", n, err)
	}
	// The footer is not part of the disk.
	fi, _ := os.Stat(p)
	if r.Size() != fi.Size()-512 {
		t.Errorf("size %d of a %d-byte fixed disk", r.Size(), fi.Size())
	}
}
