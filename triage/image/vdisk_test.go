package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// segmentDigester is a container that hashes its files from its stream's
// reads (the virtual-disk readers, through internal/vdisk).
type segmentDigester interface {
	SegmentSHA256() [][sha256.Size]byte
}

// streamDigests streams img whole with workers and returns the digests of
// its files the stream made.
func streamDigests(t *testing.T, img Image, workers int) [][sha256.Size]byte {
	t.Helper()
	st, ok := img.(container.Streamer)
	if !ok {
		t.Fatal("no stream")
	}
	if err := st.Stream(context.Background(), workers, func([]byte, *container.RegionError) error { return nil }); err != nil {
		t.Fatal(err)
	}
	sd, ok := img.(segmentDigester)
	if !ok {
		t.Fatal("the files are not hashed from the stream")
	}
	return sd.SegmentSHA256()
}

// checkFileDigests compares the digests with those of the disk's files
// (SegmentFiles) read whole by the standard library.
func checkFileDigests(t *testing.T, img Image, sums [][sha256.Size]byte) {
	t.Helper()
	files := img.(container.SegmentFiler).SegmentFiles()
	if len(sums) != len(files) {
		t.Fatalf("%d digests for %d files", len(sums), len(files))
	}
	for i, f := range files {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256(b); sums[i] != want {
			t.Errorf("%s: SHA-256 %x from the stream, %x read whole", filepath.Base(f.Path), sums[i], want)
		}
	}
}

// bytesRead is the process's rchar (/proc/self/io): what its read calls
// asked for.
func bytesRead(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io: the bytes read cannot be counted")
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}

// TestVirtualDiskFilesFromStream: a stream that goes to the end of a
// virtual disk gives the SHA-256 of each of its files, as the files read
// whole give it, with one worker or several; on disks qemu-img makes of
// random content (every block allocated), the stream and those digests
// read the files about once, not twice.
func TestVirtualDiskFilesFromStream(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"vdisk-tiny.vhd", "vdisk-tiny-fixed.vhd", "vdisk-tiny.vhdx", "vdisk-tiny.vmdk",
		"vdisk-tiny-stream.vmdk", "vdisk-tiny.qcow2", "vdisk-tiny-c.qcow2"} {
		b, _ := vdisktest.Fixture(t, name)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o444); err != nil {
			t.Fatal(err)
		}
		img, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, w := range []int{1, 3} {
			checkFileDigests(t, img, streamDigests(t, img, w))
		}
		img.Close()
	}

	vdisktest.QemuImg(t)
	raw := filepath.Join(dir, "random.raw")
	content := make([]byte, 24<<20)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(content); i += 8 {
		binary.LittleEndian.PutUint64(content[i:], rnd.Uint64())
	}
	if err := os.WriteFile(raw, content, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range vdisktest.Containers {
		t.Run(c.Name, func(t *testing.T) {
			p := c.Convert(t, raw, dir)
			before := bytesRead(t)
			img, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			sums := streamDigests(t, img, 2)
			read := bytesRead(t) - before
			checkFileDigests(t, img, sums)
			var size int64
			for _, f := range img.(container.SegmentFiler).SegmentFiles() {
				size += f.Size
			}
			if read > size+size/20+1<<20 {
				t.Errorf("opening, streaming and hashing read %d bytes of files of %d bytes", read, size)
			}
		})
	}
}
