package vmdk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/internal/vdisk"
	"github.com/triagekit/triage/internal/vdisk/vdisktest"
	"github.com/triagekit/triage/triage/image/container"
)

func check(t *testing.T, r *Reader, img string) {
	t.Helper()
	want, size := vdisktest.RawMD5(t, img, "vmdk")
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

// TestQemuImages: every subformat qemu-img writes reads as qemu-img
// convert -O raw reads it, with its extent files listed.
func TestQemuImages(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	for _, c := range []struct {
		sub   string
		files int
	}{
		{"monolithicSparse", 1}, {"streamOptimized", 1}, {"twoGbMaxExtentSparse", 2},
		{"monolithicFlat", 2}, {"twoGbMaxExtentFlat", 2},
	} {
		t.Run(c.sub, func(t *testing.T) {
			sd := filepath.Join(dir, c.sub)
			os.Mkdir(sd, 0o755)
			p := vdisktest.Convert(t, raw, filepath.Join(sd, "d.vmdk"), "vmdk", "-o", "subformat="+c.sub)
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			check(t, r, p)
			if f := r.SegmentFiles(); len(f) != c.files {
				t.Errorf("files %+v", f)
			}
			if got := r.Descriptor().CreateType; got != c.sub {
				t.Errorf("create type %q", got)
			}
		})
	}
}

// TestCorpusExt2: dfvfs's ext2.vmdk holds ext2.raw.
func TestCorpusExt2(t *testing.T) {
	p := testfixture.Corpus(t, "dfvfs/ext2.vmdk")
	raw := testfixture.Gunzip(t, testfixture.Corpus(t, "dfvfs/ext2.raw.gz"))
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]byte, r.Size())
	if n, err := r.ReadAt(got, 0); n != len(got) || err != nil {
		t.Fatal(n, err)
	}
	if !bytes.Equal(got, raw) {
		t.Error("content differs from ext2.raw")
	}
}

// TestSnapshot: a snapshot on a base disk, changed with qemu-io, reads as
// qemu-img reads it; a parent with another CID is refused, a missing one
// named.
func TestSnapshot(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	base := vdisktest.Convert(t, raw, filepath.Join(dir, "base.vmdk"), "vmdk")
	snap := filepath.Join(dir, "snap.vmdk")
	vdisktest.Run(t, "qemu-img", "create", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", snap)
	vdisktest.Run(t, "qemu-io", "-f", "vmdk", "-c", "write -P 0x5a 1M 64k", "-c", "write -P 0xa5 5000k 4k", snap)
	r, err := Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, snap)
	if f := r.SegmentFiles(); len(f) != 2 || f[1].Path != base {
		t.Errorf("chain %+v", f)
	}
	pcid := r.Descriptor().ParentCID
	r.Close()

	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	b, _ := os.ReadFile(snap)
	os.WriteFile(filepath.Join(other, "snap.vmdk"), b, 0o644)
	if _, err := Open(filepath.Join(other, "snap.vmdk")); !errors.Is(err, vdisk.ErrNoParent) || !strings.Contains(err.Error(), "base.vmdk") {
		t.Errorf("missing parent: %v", err)
	}
	// Another disk with the parent's name: its CID differs.
	vdisktest.Convert(t, raw, filepath.Join(other, "base.vmdk"), "vmdk")
	if _, err := Open(filepath.Join(other, "snap.vmdk")); err == nil || !strings.Contains(err.Error(), "expects "+cid(pcid)) {
		t.Errorf("wrong parent: %v", err)
	}
	// Given: found by name.
	if r, err = Open(filepath.Join(other, "snap.vmdk"), base); err != nil {
		t.Fatal(err)
	}
	r.Close()

	// A parent with the expected CID but another size.
	small := filepath.Join(other, "base.vmdk")
	vdisktest.Run(t, "qemu-img", "create", "-f", "vmdk", small, "10M")
	sb, _ := os.ReadFile(small)
	// The embedded descriptor is padded with zeros: the line may grow.
	i := bytes.Index(sb, []byte("\nCID=")) + 5
	j := i + bytes.IndexByte(sb[i:], '\n')
	end := i + bytes.IndexByte(sb[i:], 0)
	rest := append([]byte(cid(pcid)), sb[j:end]...)
	copy(sb[i:], rest)
	os.WriteFile(small, sb, 0o644)
	if _, err := Open(filepath.Join(other, "snap.vmdk")); err == nil || !strings.Contains(err.Error(), "has 10485760 bytes") || !strings.Contains(err.Error(), "expects 20971520") {
		t.Errorf("parent of another size: %v", err)
	}
}

// TestHostile: a descriptor naming a missing extent, an extent outside
// the folder, a grain pointing past the end.
func TestHostile(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	p := vdisktest.Convert(t, raw, filepath.Join(dir, "d.vmdk"), "vmdk", "-o", "subformat=monolithicFlat")
	os.Remove(filepath.Join(dir, "d-flat.vmdk"))
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), `missing extent "d-flat.vmdk"`) || !strings.Contains(err.Error(), "line") {
		t.Errorf("missing extent: %v", err)
	}
	desc, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(desc, []byte(`"d-flat.vmdk"`), []byte(`"../etc/passwd"`), 1), 0o644)
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("extent outside: %v", err)
	}

	sp := vdisktest.Convert(t, raw, filepath.Join(dir, "s.vmdk"), "vmdk")
	b, _ := os.ReadFile(sp)
	h, _ := ParseSparseHeader(b)
	gt := binary.LittleEndian.Uint32(b[h.GDOffset*512:])
	binary.LittleEndian.PutUint32(b[int64(gt)*512:], 0x7ffffff0)
	r, err := New(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := r.ReadAt(buf, 0)
	var re *container.RegionError
	if n != len(buf) || !errors.As(err, &re) || re.Off != 0 || !strings.Contains(err.Error(), "past the end") {
		t.Errorf("bad grain: %d %v", n, err)
	}
}
