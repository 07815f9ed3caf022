// Package vdisktest builds virtual disks with qemu-img for the tests of
// the virtual-disk readers, and gives the digests to compare them with,
// computed by qemu-img and coreutils, never by the readers themselves.
package vdisktest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/image/container"
)

// QemuImg skips the test when qemu-img (Debian qemu-utils) is absent.
func QemuImg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed (Debian package qemu-utils): virtual disks cannot be built")
	}
}

// RawDisk writes the partitioned test disk (testdata/images'
// mbr-ntfs-ext4.raw: NTFS and ext4 in an MBR) to dir and returns its path.
func RawDisk(t testing.TB, dir string) string {
	t.Helper()
	b := testfixture.Gunzip(t, filepath.Join(testfixture.Root(t), "testdata", "images", "mbr-ntfs-ext4.raw.gz"))
	p := filepath.Join(dir, "disk.raw")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Run runs a command (qemu-img, qemu-io) and fails the test on an error.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Convert converts src to dst with qemu-img convert -O format and options.
func Convert(t testing.TB, src, dst, format string, opts ...string) string {
	t.Helper()
	args := []string{"convert", "-O", format}
	args = append(args, opts...)
	Run(t, "qemu-img", append(args, src, dst)...)
	return dst
}

// Container is a kind of virtual disk qemu-img makes.
type Container struct {
	Name, Format string   // a name for the test; qemu-img's format
	Options      []string // qemu-img convert's options (-o subformat=..., -c)
}

// Containers lists every kind of virtual disk the readers take that
// qemu-img makes.
var Containers = []Container{
	{"vpc-dynamic", "vpc", []string{"-o", "subformat=dynamic"}},
	{"vpc-fixed", "vpc", []string{"-o", "subformat=fixed"}},
	{"vhdx", "vhdx", nil},
	{"vmdk-monolithicSparse", "vmdk", []string{"-o", "subformat=monolithicSparse"}},
	{"vmdk-streamOptimized", "vmdk", []string{"-o", "subformat=streamOptimized"}},
	{"vmdk-twoGbMaxExtentSparse", "vmdk", []string{"-o", "subformat=twoGbMaxExtentSparse"}},
	{"vmdk-monolithicFlat", "vmdk", []string{"-o", "subformat=monolithicFlat"}},
	{"qcow2", "qcow2", nil},
	{"qcow2-compressed", "qcow2", []string{"-c"}},
}

// Convert converts src to a disk of kind c, disk.FORMAT in a folder of
// its own (named c.Name) under dir, and returns its path.
func (c Container) Convert(t testing.TB, src, dir string) string {
	t.Helper()
	sd := filepath.Join(dir, c.Name)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		t.Fatal(err)
	}
	return Convert(t, src, filepath.Join(sd, "disk."+c.Format), c.Format, c.Options...)
}

// RawMD5 returns the MD5 of the logical disk of img in format (qemu's
// name: vpc, vhdx, vmdk, qcow2) as qemu-img convert -O raw writes it,
// hashed by md5sum, and its size.
func RawMD5(t testing.TB, img, format string) (string, int64) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "logical.raw")
	Run(t, "qemu-img", "convert", "-f", format, "-O", "raw", img, out)
	return MD5Sum(t, out)
}

// MD5Sum returns what coreutils md5sum says of a file, and its size.
func MD5Sum(t testing.TB, path string) (string, int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("md5sum"); err != nil {
		t.Skip("md5sum (coreutils) not installed")
	}
	out := Run(t, "md5sum", path)
	return strings.Fields(out)[0], fi.Size()
}

// MD5 hashes size bytes of r with 1 MiB reads; a read error fails the test.
func MD5(t testing.TB, r io.ReaderAt, size int64) string {
	t.Helper()
	h := md5.New()
	buf := make([]byte, 1<<20+512)
	for off := int64(0); off < size; {
		n := int(min(int64(len(buf)), size-off))
		m, err := r.ReadAt(buf[:n], off)
		if err != nil && !(errors.Is(err, io.EOF) && m == n) {
			t.Fatalf("read at %#x: %v", off, err)
		}
		h.Write(buf[:n])
		off += int64(n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Fixture returns the content of testdata/images/NAME.gz, a tiny virtual
// disk made by make.sh, and the MD5 of its logical disk as qemu-img
// converted it (vdisk-tiny.md5).
func Fixture(t testing.TB, name string) ([]byte, string) {
	t.Helper()
	b := testfixture.Gunzip(t, filepath.Join(testfixture.Root(t), "testdata", "images", name+".gz"))
	return b, testfixture.Sum(t, "vdisk-tiny.md5", name)
}

// FuzzSeeds returns the tiny fixtures named, whole and cut to their
// first n bytes (n > 0), as seeds for a fuzz test.
func FuzzSeeds(f *testing.F, n int, names ...string) [][]byte {
	var out [][]byte
	for _, name := range names {
		b, _ := Fixture(f, name)
		out = append(out, b)
		if n > 0 && len(b) > n {
			out = append(out, b[:n])
		}
	}
	return out
}

// Exercise calls every accessor of an opened image, as a fuzz test does
// on a successful parse, and reads some of its media: the start, the
// middle and the end.
func Exercise(img interface {
	io.ReaderAt
	Size() int64
}) {
	if d, ok := img.(container.Describer); ok {
		_ = d.Describe()
	}
	if s, ok := img.(container.SegmentFiler); ok {
		_ = s.SegmentFiles()
	}
	if p, ok := img.(container.ProblemReporter); ok {
		_ = p.Problems()
	}
	if a, ok := img.(container.AcquisitionReporter); ok {
		_, _ = a.AcquisitionMetadata(), a.AcquisitionReport()
	}
	buf := make([]byte, 70000)
	for _, off := range []int64{0, img.Size() / 2, img.Size() - 100} {
		if off >= 0 {
			_, _ = img.ReadAt(buf, off)
		}
	}
}

// StreamMD5 hashes the media s streams with workers goroutines; an
// unreadable piece fails the test.
func StreamMD5(t testing.TB, s container.Streamer, workers int) string {
	t.Helper()
	h := md5.New()
	err := s.Stream(context.Background(), workers, func(b []byte, bad *container.RegionError) error {
		if bad != nil {
			t.Errorf("unreadable: %v", bad)
		}
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
