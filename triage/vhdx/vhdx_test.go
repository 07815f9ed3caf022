package vhdx

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/internal/vdisk/vdisktest"
	"github.com/triagekit/triage/triage/image/container"
)

func check(t *testing.T, r *Reader, img string) {
	t.Helper()
	want, size := vdisktest.RawMD5(t, img, "vhdx")
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
}

// TestQemuImages: dynamic and fixed disks made by qemu-img read as
// qemu-img convert -O raw reads them.
func TestQemuImages(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	for _, sub := range []string{"dynamic", "fixed"} {
		t.Run(sub, func(t *testing.T) {
			p := vdisktest.Convert(t, raw, filepath.Join(dir, sub+".vhdx"), "vhdx", "-o", "subformat="+sub)
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			check(t, r, p)
			if got := r.AcquisitionMetadata()["disk_type"]; got != sub {
				t.Errorf("disk type %v", got)
			}
		})
	}
}

// unzipVHDX extracts Velociraptor's test.vhdx to dir.
func unzipVHDX(t *testing.T, dir string) string {
	t.Helper()
	z, err := zip.OpenReader(testfixture.Corpus(t, "velociraptor/test.vhdx.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	rc, err := z.Open("test.vhdx")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "test.vhdx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCorpusVelociraptor: Velociraptor's test.vhdx (made by Windows)
// holds a 5 MiB disk whose MD5 INDEX.md records, with a GPT.
func TestCorpusVelociraptor(t *testing.T) {
	p := unzipVHDX(t, t.TempDir())
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != 5242880 {
		t.Errorf("size %d", r.Size())
	}
	if got := vdisktest.MD5(t, r, r.Size()); got != "29a6a0389eff11f35882abbbfa7b7cb5" {
		t.Errorf("media MD5 %s, INDEX.md 29a6a0389eff11f35882abbbfa7b7cb5", got)
	}
	if c := r.AcquisitionMetadata()["creator"].(string); !strings.HasPrefix(c, "Microsoft Windows 10.0.20348") {
		t.Errorf("creator %q", c)
	}
}

// header returns the offset of the header in use (the higher sequence).
func currentHeader(b []byte) int {
	if binary.LittleEndian.Uint64(b[headerOff2+8:]) > binary.LittleEndian.Uint64(b[headerOff1+8:]) {
		return headerOff2
	}
	return headerOff1
}

func setCRC(b []byte) {
	binary.LittleEndian.PutUint32(b[4:], 0)
	binary.LittleEndian.PutUint32(b[4:], crcWithout(b, 4))
}

// TestHostile: a log to replay is refused; a bad header CRC falls back
// on the other header; a BAT entry outside the file reads as zeros with a
// RegionError.
func TestHostile(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	p := vdisktest.Convert(t, vdisktest.RawDisk(t, dir), filepath.Join(dir, "d.vhdx"), "vhdx")
	b, _ := os.ReadFile(p)
	h := currentHeader(b)

	logged := append([]byte(nil), b...)
	logged[h+48] = 1
	setCRC(logged[h : h+4096])
	if _, err := New(bytes.NewReader(logged), int64(len(logged))); !errors.Is(err, ErrLogReplay) || !strings.Contains(err.Error(), "at byte") {
		t.Errorf("log: %v", err)
	}

	badcrc := append([]byte(nil), b...)
	badcrc[h+100] ^= 1
	r, err := New(bytes.NewReader(badcrc), int64(len(badcrc)))
	if err != nil || len(r.Problems()) != 1 || !strings.Contains(r.Problems()[0].Error(), "CRC-32C") {
		t.Errorf("bad header CRC: %v %v", err, r.Problems())
	}

	bat := append([]byte(nil), b...)
	regs, err := ParseRegionTable(bat[regionOff1 : regionOff1+regionSize])
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range regs {
		if g.GUID == guidBAT {
			binary.LittleEndian.PutUint64(bat[g.Off:], 0xfffff<<20|6)
		}
	}
	if r, err = New(bytes.NewReader(bat), int64(len(bat))); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := r.ReadAt(buf, 0)
	var re *container.RegionError
	if n != len(buf) || !errors.As(err, &re) || re.Off != 0 || !strings.Contains(err.Error(), "outside the file") {
		t.Errorf("bad block: %d %v", n, err)
	}
	if _, err := New(bytes.NewReader(b[:100000]), 100000); err == nil {
		t.Error("truncated file accepted")
	}
}

// locator encodes a parent locator item.
func locator(kv [][2]string) []byte {
	var data []byte
	hdr := make([]byte, 20+12*len(kv))
	copy(hdr, guidVHDXLocator[:])
	binary.LittleEndian.PutUint16(hdr[18:], uint16(len(kv)))
	enc := func(s string) []byte {
		var b []byte
		for _, c := range s {
			b = binary.LittleEndian.AppendUint16(b, uint16(c))
		}
		return b
	}
	for i, e := range kv {
		k, v := enc(e[0]), enc(e[1])
		ko := len(hdr) + len(data)
		data = append(data, k...)
		vo := len(hdr) + len(data)
		data = append(data, v...)
		binary.LittleEndian.PutUint32(hdr[20+i*12:], uint32(ko))
		binary.LittleEndian.PutUint32(hdr[24+i*12:], uint32(vo))
		binary.LittleEndian.PutUint16(hdr[28+i*12:], uint16(len(k)))
		binary.LittleEndian.PutUint16(hdr[30+i*12:], uint16(len(v)))
	}
	return append(hdr, data...)
}

// makeDifferencing turns a qemu dynamic VHDX (1 MiB blocks) into a
// differencing disk whose parent has the data write identifier link: block
// keep is partially present with only sector keepSector in the child; the
// other blocks are not present.
func makeDifferencing(t *testing.T, b []byte, link, relPath string, keep, keepSector int64) []byte {
	t.Helper()
	b = append([]byte(nil), b...)
	regs, err := ParseRegionTable(b[regionOff1 : regionOff1+regionSize])
	if err != nil {
		t.Fatal(err)
	}
	var batOff, metaOff int64
	for _, g := range regs {
		switch g.GUID {
		case guidBAT:
			batOff = g.Off
		case guidMetadata:
			metaOff = g.Off
		}
	}
	le := binary.LittleEndian
	meta := b[metaOff:]
	n := int(le.Uint16(meta[10:]))
	for i := range n {
		e := meta[32+i*32:]
		var id GUID
		copy(id[:], e)
		if id == guidFileParams {
			if bs := le.Uint32(meta[le.Uint32(e[16:]):]); bs != 1<<20 {
				t.Fatalf("block size %d", bs)
			}
			fp := meta[le.Uint32(e[16:])+4:]
			le.PutUint32(fp, le.Uint32(fp)|2)
		}
	}
	loc := locator([][2]string{{"parent_linkage", link}, {"relative_path", relPath}})
	const itemOff = 512 << 10
	copy(meta[itemOff:], loc)
	e := meta[32+n*32:]
	copy(e, guidParentLoc[:])
	le.PutUint32(e[16:], itemOff)
	le.PutUint32(e[20:], uint32(len(loc)))
	le.PutUint32(e[24:], 4) // required
	le.PutUint16(meta[10:], uint16(n+1))
	// The sector bitmap block, appended (1 MiB aligned).
	for len(b)%(1<<20) != 0 {
		b = append(b, 0)
	}
	sbOff := int64(len(b))
	sb := make([]byte, 1<<20)
	bit := keep*(1<<20/512) + keepSector
	sb[bit/8] |= 1 << (bit % 8)
	b = append(b, sb...)
	ratio := int64(1<<23) * 512 / (1 << 20)
	for blk := int64(0); blk < ratio; blk++ {
		at := batOff + (blk+blk/ratio)*8
		if blk == keep {
			le.PutUint64(b[at:], le.Uint64(b[at:])&^7|7)
			// The block's other sectors hold what must not be read.
			data := int64(le.Uint64(b[at:])>>20) << 20
			for s := int64(0); s < 1<<20/512; s++ {
				if s != keepSector {
					copy(b[data+s*512:data+s*512+512], bytes.Repeat([]byte{0xee}, 512))
				}
			}
		} else {
			le.PutUint64(b[at:], 0)
		}
	}
	le.PutUint64(b[batOff+ratio*8:], uint64(sbOff)|6)
	return b
}

// TestDifferencing: a differencing disk with one sector of its own reads
// as the changed disk (qemu-img's reading of the full child); its parent
// is found by its relative path or given, checked by its data write
// identifier.
func TestDifferencing(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	base := vdisktest.Convert(t, raw, filepath.Join(dir, "base.vhdx"), "vhdx", "-o", "block_size=1048576")
	b, _ := os.ReadFile(raw)
	const keep, sector = 3, 7
	copy(b[keep<<20+sector*512:], "changed sector of the child disk")
	raw2 := filepath.Join(dir, "disk2.raw")
	os.WriteFile(raw2, b, 0o644)
	full := vdisktest.Convert(t, raw2, filepath.Join(dir, "full.vhdx"), "vhdx", "-o", "block_size=1048576")
	want, _ := vdisktest.RawMD5(t, full, "vhdx")

	pr, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	link := "{" + pr.header.DataWrite.String() + "}"
	pr.Close()
	fb, _ := os.ReadFile(full)
	sub := filepath.Join(dir, "child")
	os.Mkdir(sub, 0o755)
	child := filepath.Join(sub, "child.vhdx")
	os.WriteFile(child, makeDifferencing(t, fb, link, `..\base.vhdx`, keep, sector), 0o644)

	if _, err := Open(child); err == nil || !strings.Contains(err.Error(), link) {
		t.Fatalf("missing parent: %v", err)
	}
	r, err := Open(child, base)
	if err != nil {
		t.Fatal(err)
	}
	if got := vdisktest.MD5(t, r, r.Size()); got != want {
		t.Errorf("media MD5 %s, want %s", got, want)
	}
	if f := r.SegmentFiles(); len(f) != 2 || f[1].Path != base {
		t.Errorf("chain %+v", f)
	}
	r.Close()
	// The wrong parent next to it, by name.
	os.Link(full, filepath.Join(sub, "base.vhdx"))
	if _, err := Open(child); err == nil || !strings.Contains(err.Error(), "expects "+link) {
		t.Errorf("wrong parent: %v", err)
	}
}
