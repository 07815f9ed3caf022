package qcow2

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
	want, size := vdisktest.RawMD5(t, img, "qcow2")
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

// TestQemuImages: plain and compressed (zlib, zstd) images made by
// qemu-img read as qemu-img convert -O raw reads them.
func TestQemuImages(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	for _, c := range []struct {
		name string
		opts []string
	}{
		{"plain", nil},
		{"v2-512b-clusters", []string{"-o", "compat=0.10,cluster_size=512"}},
		{"compressed", []string{"-c"}},
		{"compressed-zstd", []string{"-c", "-o", "compression_type=zstd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := vdisktest.Convert(t, raw, filepath.Join(dir, c.name+".qcow2"), "qcow2", c.opts...)
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			check(t, r, p)
			m := r.AcquisitionMetadata()
			if strings.HasPrefix(c.name, "compressed") && m["compressed_clusters"].(int64) == 0 {
				t.Errorf("no compressed clusters: %v", m)
			}
			if c.name == "compressed-zstd" && m["compression"] != "zstd" {
				t.Errorf("compression %v", m["compression"])
			}
		})
	}
}

// TestCorpusExt2: dfvfs's ext2.qcow2 holds ext2.raw.
func TestCorpusExt2(t *testing.T) {
	p := testfixture.Corpus(t, "dfvfs/ext2.qcow2")
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

// TestBacking: an overlay on a backing file, changed with qemu-io, reads
// as qemu-img reads it; its backing file is found next to it by name or
// given, never followed outside its folder, and a loop is refused.
func TestBacking(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	base := vdisktest.Convert(t, raw, filepath.Join(dir, "base.qcow2"), "qcow2")
	over := filepath.Join(dir, "overlay.qcow2")
	vdisktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", over)
	vdisktest.Run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 1M 64k", "-c", "write -z 3M 128k", "-c", "write -P 0xa5 5000k 4k", over)
	r, err := Open(over)
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, over)
	if f := r.SegmentFiles(); len(f) != 2 || f[1].Path != base {
		t.Errorf("chain %+v", f)
	}
	r.Close()

	// A raw backing file, recorded by an absolute path in another folder:
	// not followed, found only when given.
	sub := filepath.Join(dir, "case")
	os.Mkdir(sub, 0o755)
	over2 := filepath.Join(sub, "over-raw.qcow2")
	vdisktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", raw, "-F", "raw", over2)
	vdisktest.Run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0x11 2M 64k", over2)
	if _, err := Open(over2); !errors.Is(err, vdisk.ErrNoParent) || !strings.Contains(err.Error(), raw) {
		t.Errorf("backing outside the folder: %v", err)
	}
	if r, err = Open(over2, raw); err != nil {
		t.Fatal(err)
	}
	check(t, r, over2)
	r.Close()

	// A loop: an image that is its own backing file.
	loop := filepath.Join(dir, "loop.qcow2")
	vdisktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-u", "-b", "loop.qcow2", "-F", "qcow2", loop, "1M")
	if _, err := Open(loop); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("loop: %v", err)
	}
}

// TestHostile: an encrypted image is refused; a cluster pointing past
// the end reads as zeros with a RegionError; a short header is an error.
func TestHostile(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	p := vdisktest.Convert(t, vdisktest.RawDisk(t, dir), filepath.Join(dir, "d.qcow2"), "qcow2")
	b, _ := os.ReadFile(p)
	enc := append([]byte(nil), b...)
	binary.BigEndian.PutUint32(enc[32:], 1)
	if _, err := New(bytes.NewReader(enc), int64(len(enc))); !errors.Is(err, ErrEncrypted) || !strings.Contains(err.Error(), "at byte 0x20") {
		t.Errorf("encrypted: %v", err)
	}
	// The first L2 entry of the first L2 table.
	l1 := binary.BigEndian.Uint64(b[40:])
	l2 := binary.BigEndian.Uint64(b[l1:]) & 0x00fffffffffffe00
	bad := append([]byte(nil), b...)
	binary.BigEndian.PutUint64(bad[l2:], 1<<63|0x7fff0000)
	r, err := New(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := r.ReadAt(buf, 0)
	var re *container.RegionError
	if n != len(buf) || !errors.As(err, &re) || re.Off != 0 || !strings.Contains(err.Error(), "past the end") {
		t.Errorf("bad cluster: %d %v", n, err)
	}
	if _, err := r.ReadAt(buf, 1<<20); err != nil {
		t.Errorf("next cluster: %v", err)
	}
	if _, err := New(bytes.NewReader(b[:50]), 50); err == nil {
		t.Error("short header accepted")
	}
}
