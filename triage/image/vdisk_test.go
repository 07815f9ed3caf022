package image

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/internal/vdisk/vdisktest"
	"github.com/triagekit/triage/triage/image/container"
)

// TestVirtualDisks: each tiny virtual disk of testdata/images is known by
// its content, whatever its name, and opened through the table with the
// optional interfaces of a container and its logical disk.
func TestVirtualDisks(t *testing.T) {
	dir := t.TempDir()
	for name, kind := range map[string]Kind{
		"vdisk-tiny.vhd": KindVHD, "vdisk-tiny-fixed.vhd": KindVHD, "vdisk-tiny.vhdx": KindVHDX,
		"vdisk-tiny.vmdk": KindVMDK, "vdisk-tiny-stream.vmdk": KindVMDK,
		"vdisk-tiny.qcow2": KindQCOW2, "vdisk-tiny-c.qcow2": KindQCOW2,
	} {
		b, want := vdisktest.Fixture(t, name)
		if got := Detect(bytes.NewReader(b), int64(len(b))); got != kind {
			t.Errorf("%s: Detect = %q, want %q", name, got, kind)
		}
		p := filepath.Join(dir, "evidence-"+name+".bin") // the extension plays no part
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := Open(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := vdisktest.MD5(t, img, img.Size()); got != want {
			t.Errorf("%s: media MD5 %s, qemu-img %s", name, got, want)
		}
		d, ok := img.(Describer)
		if !ok || d.Describe().Format != string(kind) {
			t.Errorf("%s: not described as %s", name, kind)
		}
		if _, ok := img.(container.SegmentFiler); !ok {
			t.Errorf("%s: no segment files", name)
		}
		if a, ok := img.(container.AcquisitionReporter); !ok || len(a.AcquisitionReport()) == 0 {
			t.Errorf("%s: no acquisition report", name)
		}
		img.Close()
	}
}

// BenchmarkRead reads the whole logical disk of the image that
// $TRIAGE_BENCH_IMAGE names as the media hashing does (bench/vdisk.sh):
// through container.Streamer, or else in 1 MiB reads.
func BenchmarkRead(b *testing.B) {
	p := os.Getenv("TRIAGE_BENCH_IMAGE")
	if p == "" {
		b.Skip("set TRIAGE_BENCH_IMAGE to an image")
	}
	img, err := Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer img.Close()
	buf := make([]byte, 1<<20)
	b.SetBytes(img.Size())
	for b.Loop() {
		// As the media hashing reads it: streamed when the format can.
		if s, ok := img.(container.Streamer); ok {
			if err := s.Stream(context.Background(), 0, func([]byte, *container.RegionError) error { return nil }); err != nil {
				b.Fatal(err)
			}
			continue
		}
		for off := int64(0); off < img.Size(); off += int64(len(buf)) {
			if _, err := img.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
				b.Fatal(err)
			}
		}
	}
}

// TestVirtualDisksKeepAccessTime: the files of a virtual disk are opened as
// evidence is (internal/evidence, O_NOATIME): reading a disk whole leaves
// its access time as it was (a relatime mount would update an access time
// older than a day).
func TestVirtualDisksKeepAccessTime(t *testing.T) {
	for _, name := range []string{"vdisk-tiny.vhd", "vdisk-tiny.vhdx", "vdisk-tiny.vmdk", "vdisk-tiny-c.qcow2"} {
		p := testfixture.ImageFile(t, name)
		old := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		img, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := io.Copy(io.Discard, io.NewSectionReader(img, 0, img.Size())); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img.Close()
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		if got := time.Unix(st.Atim.Sec, st.Atim.Nsec); !got.Equal(old) {
			t.Errorf("%s: access time changed from %v to %v", name, old, got)
		}
	}
}
