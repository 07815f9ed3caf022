package triage

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// estimateVisitor records the progress estimate as the walk goes.
type estimateVisitor struct {
	est, found int64
	atFirst    int64 // the estimate when the first entry was found
	entries    int
}

func (v *estimateVisitor) estimate(d int64) { v.est += d }
func (v *estimateVisitor) Entry(e *Entry) error {
	if v.entries == 0 {
		v.atFirst = v.est
	}
	v.entries++
	if e.Open != nil {
		v.found += max(e.Size, 0)
	}
	return nil
}
func (v *estimateVisitor) Problem(string, int64, error) {}

// The estimate of an image's content before its walk has found it: when
// the first entry is found, the bytes the first file system uses (what
// ntfsinfo says its allocated clusters hold) plus the length of the
// volumes not yet opened (mmls); once the walk ends, exactly the content
// the walk found.
func TestImageContentEstimate(t *testing.T) {
	if _, err := exec.LookPath("ntfsinfo"); err != nil {
		t.Skip("ntfsinfo is not installed (Debian package ntfs-3g)")
	}
	for _, tt := range []struct {
		image       string
		first, size int64 // the NTFS volume (mmls)
		other       int64 // the length of the volumes after it
	}{
		{"ntfs-basic.raw", 0, -1, 0},
		{"mbr-ntfs-ext4.raw", 2048 * 512, 16384 * 512, 20480 * 512},
	} {
		t.Run(tt.image, func(t *testing.T) {
			path := imageFile(t, tt.image)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			size := tt.size
			if size < 0 {
				fi, _ := f.Stat()
				size = fi.Size()
			}
			vol := filepath.Join(t.TempDir(), "ntfs.raw")
			w, _ := os.Create(vol)
			_, err = io.Copy(w, io.NewSectionReader(f, tt.first, size))
			f.Close()
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("ntfsinfo", "-m", "-f", vol).CombinedOutput()
			if err != nil {
				t.Fatalf("ntfsinfo: %v\n%s", err, out)
			}
			num := func(re string) int64 {
				m := regexp.MustCompile(re).FindSubmatch(out)
				if m == nil {
					t.Fatalf("ntfsinfo: no %q in\n%s", re, out)
				}
				n, _ := strconv.ParseInt(string(m[1]), 10, 64)
				return n
			}
			used := (num(`Volume Size in Clusters:\s+(\d+)`) - num(`Free Clusters:\s+(\d+)`)) * num(`Cluster Size:\s+(\d+)`)

			src, err := OpenSourceWith(path, SourceOptions{As: AsImage})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			v := &estimateVisitor{}
			if err := src.Walk(context.Background(), v); err != nil {
				t.Fatal(err)
			}
			if v.entries == 0 || v.found == 0 {
				t.Fatalf("the walk found %d entries, %d bytes", v.entries, v.found)
			}
			if want := used + tt.other; v.atFirst != want {
				t.Errorf("estimate at the first entry %d, want %d (NTFS used %d + other volumes %d)", v.atFirst, want, used, tt.other)
			}
			if v.est != v.found {
				t.Errorf("estimate after the walk %d, want the %d bytes the walk found", v.est, v.found)
			}
			t.Logf("estimate at the first entry %d, content found %d", v.atFirst, v.found)
		})
	}
}
