package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// lsImages are images with partition tables and what mmls printed for them
// (recorded next to them when make.sh or the corpus authors made them).
var lsImages = []struct {
	name   string // test image, or corpus path
	corpus bool
}{
	{"mbr-ntfs-ext4.raw", false},
	{"gpt-ntfs.raw", false},
	{"dfvfs/mbr.raw.gz", true},
	{"dfir_ntfs/gpt-512-3p.raw.gz", true},
	{"dfir_ntfs/ntfs_index.raw.gz", true},
}

// lsImage returns the path of an unpacked image and of its recorded mmls
// output.
func lsImage(t *testing.T, name string, corpus bool) (img, mmlsTxt string) {
	t.Helper()
	if !corpus {
		return unpackImage(t, name), filepath.Join("..", "..", "testdata", "images", name+".mmls.txt")
	}
	gz := testfixture.Corpus(t, name)
	img = filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(name), ".gz"))
	if err := os.WriteFile(img, testfixture.Gunzip(t, gz), 0o644); err != nil {
		t.Fatal(err)
	}
	return img, strings.TrimSuffix(gz, ".gz") + ".mmls.txt"
}

// TestLsLikeMmlsBytes compares the table triage ls prints with mmls's
// output byte for byte: the one recorded with the image, and mmls run now
// when it is installed.
func TestLsLikeMmlsBytes(t *testing.T) {
	mmls, _ := exec.LookPath("mmls")
	for _, tt := range lsImages {
		t.Run(filepath.Base(tt.name), func(t *testing.T) {
			img, recorded := lsImage(t, tt.name, tt.corpus)
			var out, errb bytes.Buffer
			if st := run([]string{"ls", img}, nil, &out, &errb); st != 0 {
				t.Fatalf("status %d: %s", st, errb.String())
			}
			// The table ends at the blank line before the file systems.
			table, _, _ := strings.Cut(out.String(), "\n\nFile systems:")
			table += "\n"
			want, err := os.ReadFile(recorded)
			if err != nil {
				t.Fatal(err)
			}
			if table != string(want) {
				t.Errorf("triage ls:\n%s\nrecorded mmls:\n%s", table, want)
			}
			if mmls == "" {
				t.Skip("mmls is not installed (Debian package sleuthkit): compared with the recorded output only")
			}
			live, err := exec.Command(mmls, img).Output()
			if err != nil {
				t.Fatalf("mmls: %v", err)
			}
			if table != string(live) {
				t.Errorf("triage ls:\n%s\nmmls:\n%s", table, live)
			}
		})
	}
}
