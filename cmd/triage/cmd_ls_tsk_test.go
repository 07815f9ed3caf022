package main

import (
	"bytes"
	"encoding/json"
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

// TestLsJSON checks ls --json against the rows mmls recorded and the
// listing of ls --files --json against fls -r -p's recorded addresses.
func TestLsJSON(t *testing.T) {
	img := unpackImage(t, "mbr-ntfs-ext4.raw")
	var out, errb bytes.Buffer
	if st := run([]string{"ls", "--json", img}, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	var got struct {
		Scheme string `json:"scheme"`
		Rows   []struct {
			Slot        string `json:"slot"`
			Start, End  int64
			Length      int64  `json:"length"`
			Description string `json:"description"`
			Volume      *int   `json:"volume"`
		} `json:"rows"`
		FileSystems []struct {
			Volume int    `json:"volume"`
			FS     string `json:"fs"`
			Label  string `json:"label"`
		} `json:"file_systems"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// mbr-ntfs-ext4.raw.mmls.txt: 7 rows; row 006 is slot 001:000, Linux.
	if got.Scheme != "mbr" || len(got.Rows) != 7 || got.Rows[6].Slot != "001:000" || got.Rows[6].Start != 20480 ||
		got.Rows[6].Length != 20480 || got.Rows[6].Description != "Linux (0x83)" || got.Rows[6].Volume == nil || *got.Rows[6].Volume != 1 ||
		got.Rows[0].Slot != "Meta" || got.Rows[0].Volume != nil {
		t.Errorf("rows %+v", got.Rows)
	}
	if len(got.FileSystems) != 2 || got.FileSystems[0].FS != "ntfs" || got.FileSystems[0].Label != "mbrntfs" || got.FileSystems[1].FS != "ext" {
		t.Errorf("file systems %+v", got.FileSystems)
	}
	out.Reset()
	if st := run([]string{"ls", "--files", "--json", "--volume", "0", img}, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	found := false
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r struct {
			Volume  *int   `json:"volume"`
			Type    string `json:"type"`
			Deleted bool   `json:"deleted"`
			Address string `json:"address"`
			Path    string `json:"path"`
			Stream  string `json:"stream"`
			Size    int64  `json:"size"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		// fls: "r/r 70-128-5:	docs/ads.txt:secret"; 5000 bytes (expected.tsv)
		if r.Path == "docs/ads.txt" && r.Stream == "secret" {
			found = r.Type == "r/r" && r.Address == "70-128-5" && !r.Deleted && r.Size == 5000 && r.Volume != nil && *r.Volume == 0
		}
	}
	if !found {
		t.Errorf("no docs/ads.txt:secret entry as fls lists it in\n%s", out.String())
	}
}
