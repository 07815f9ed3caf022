package formats

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

// Each file system that says how many bytes it uses (fs.Usage, the
// estimate of the progress bar) says what the file system's own tools
// say: dumpe2fs for ext, dump.exfat for exFAT, fsck.fat for FAT and
// ntfsinfo for NTFS, run on the same volumes.
func TestUsedBytes(t *testing.T) {
	num := func(t *testing.T, out []byte, re string) int64 {
		t.Helper()
		m := regexp.MustCompile(re).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no %q in:\n%s", re, out)
		}
		n, err := strconv.ParseInt(string(m[1]), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tt := range []struct {
		image  string
		offset int64 // of the volume in the image
		length int64
		tool   []string
		want   func(t *testing.T, out []byte) int64
	}{
		{"ext4-small.raw", 0, -1, []string{"dumpe2fs", "-h"}, func(t *testing.T, out []byte) int64 {
			return (num(t, out, `(?m)^Block count:\s+(\d+)`) - num(t, out, `(?m)^Free blocks:\s+(\d+)`)) * num(t, out, `(?m)^Block size:\s+(\d+)`)
		}},
		{"ext2-small.raw", 0, -1, []string{"dumpe2fs", "-h"}, func(t *testing.T, out []byte) int64 {
			return (num(t, out, `(?m)^Block count:\s+(\d+)`) - num(t, out, `(?m)^Free blocks:\s+(\d+)`)) * num(t, out, `(?m)^Block size:\s+(\d+)`)
		}},
		{"exfat-basic.raw", 0, -1, []string{"dump.exfat"}, func(t *testing.T, out []byte) int64 {
			return (num(t, out, `Total Clusters:\s+(\d+)`) - num(t, out, `Free Clusters:\s+(\d+)`)) * num(t, out, `Cluster size:\s+(\d+)`)
		}},
		{"fat-small.raw", 0, -1, []string{"fsck.fat", "-n", "-v"}, func(t *testing.T, out []byte) int64 {
			return num(t, out, `files, (\d+)/\d+ clusters`) * num(t, out, `(\d+) bytes per cluster`)
		}},
		{"ntfs-basic.raw", -1, -1, []string{"ntfsinfo", "-m", "-f"}, func(t *testing.T, out []byte) int64 {
			return (num(t, out, `Volume Size in Clusters:\s+(\d+)`) - num(t, out, `Free Clusters:\s+(\d+)`)) * num(t, out, `Cluster Size:\s+(\d+)`)
		}},
	} {
		t.Run(tt.image, func(t *testing.T) {
			if _, err := exec.LookPath(tt.tool[0]); err != nil {
				t.Skipf("%s is not installed (Debian packages e2fsprogs, exfatprogs, dosfstools, ntfs-3g)", tt.tool[0])
			}
			img := testfixture.Image(t, tt.image)
			vol := img
			if tt.offset < 0 {
				// the first volume that holds a file system
				for _, off := range []int64{0, 63 * 512, 128 * 512, 2048 * 512} {
					if off < int64(len(img)) && Detect(img[off:]) != nil {
						vol = img[off:]
						break
					}
				}
			}
			p := filepath.Join(t.TempDir(), "vol.raw")
			if err := os.WriteFile(p, vol, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(tt.tool[0], append(tt.tool[1:], p)...).CombinedOutput()
			if err != nil && tt.tool[0] != "fsck.fat" {
				t.Fatalf("%s: %v\n%s", tt.tool[0], err, out)
			}
			want := tt.want(t, out)
			f := Detect(vol)
			if f == nil {
				t.Fatal("no file system detected")
			}
			fsys, err := f.Open(bytes.NewReader(vol), 0, int64(len(vol)), nil)
			if err != nil {
				t.Fatal(err)
			}
			u, ok := fsys.(fs.Usage)
			if !ok {
				t.Fatalf("%s does not implement fs.Usage", f.Name)
			}
			if got := u.UsedBytes(); got != want {
				t.Errorf("%s: UsedBytes %d, %s says %d", f.Name, got, tt.tool[0], want)
			}
		})
	}
}

// FuzzUsedBytes opens hostile volumes and asks each file system that
// tells its used bytes for them: no panic, no hang, -1 or a count.
func FuzzUsedBytes(f *testing.F) {
	for _, name := range []string{"ext4-small.raw", "ext2-small.raw", "exfat-basic.raw", "fat-small.raw", "ntfs-basic.raw"} {
		b := testfixture.Image(f, name)
		f.Add(b[:min(len(b), 256<<10)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fm := range All {
			if fm.Open == nil || !fm.Probe(b[:min(len(b), fs.ProbeSize)]) {
				continue
			}
			fsys, err := fm.Open(bytes.NewReader(b), 0, int64(len(b)), nil)
			if err != nil {
				continue
			}
			if u, ok := fsys.(fs.Usage); ok {
				if n := u.UsedBytes(); n < -1 {
					t.Errorf("%s: UsedBytes %d", fm.Name, n)
				}
			}
		}
	})
}
