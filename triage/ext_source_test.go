package triage

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/casedb"
)

type extRec struct {
	jsonRec
	SHA256     *string `json:"sha256"`
	LinkTarget *string `json:"link_target"`
}

// TestCorpusExt scans the dfvfs ext2 volume in each of its containers (raw,
// split raw, E01, split E01) and the two ext partitions of mbr.raw, and
// checks what INDEX.md documents (rows 1-3 and 7): inodes, sizes, the
// SHA-256 prefixes and suffixes, the link target.
func TestCorpusExt(t *testing.T) {
	d := corpusDir(t)
	raw := filepath.Join(t.TempDir(), "ext2.raw")
	os.WriteFile(raw, testfixture.Gunzip(t, filepath.Join(d, "dfvfs/ext2.raw.gz")), 0o644)
	mbr := filepath.Join(t.TempDir(), "mbr.raw")
	os.WriteFile(mbr, testfixture.Gunzip(t, filepath.Join(d, "dfvfs/mbr.raw.gz")), 0o644)
	for name, path := range map[string]string{
		"raw": raw, "splitraw": filepath.Join(d, "dfvfs/ext2.splitraw.000"), "E01": filepath.Join(d, "dfvfs/ext2.E01"),
		"split-E01": filepath.Join(d, "dfvfs/ext2.split.E01"), "mbr": mbr,
	} {
		t.Run(name, func(t *testing.T) {
			src, err := OpenSource(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var buf bytes.Buffer
			res, err := Scan(context.Background(), c, src, Options{JSONL: &buf, Workers: 2})
			if err != nil || res.State != casedb.StateComplete {
				t.Fatalf("state %v, err %v", res.State, err)
			}
			vols := map[int]map[string]extRec{}
			dec := json.NewDecoder(&buf)
			for dec.More() {
				var r extRec
				if err := dec.Decode(&r); err != nil {
					t.Fatal(err)
				}
				if r.Volume == nil {
					t.Fatalf("%s: no volume", r.Path)
				}
				if vols[*r.Volume] == nil {
					vols[*r.Volume] = map[string]extRec{}
				}
				vols[*r.Volume][r.Path] = r
			}
			want := 1
			if name == "mbr" {
				want = 2 // ext3_test (no journal) and ext4_test
			}
			if len(vols) != want {
				t.Fatalf("%d volumes, want %d", len(vols), want)
			}
			for v, all := range vols {
				for _, w := range []struct {
					path, sha256 string
					inode        uint64
					size         int64
				}{
					{"/a_directory/a_file", "4a49638d…ec92d", 13, 53},
					{"/a_directory/another_file", "c7fbc0e8…0c16", 15, 22},
					{"/passwords.txt", "02a2a6af…e252", 14, 116},
				} {
					r, ok := all[w.path]
					pre, suf, _ := strings.Cut(w.sha256, "…")
					if !ok || r.SHA256 == nil || !strings.HasPrefix(*r.SHA256, pre) || !strings.HasSuffix(*r.SHA256, suf) ||
						*r.Inode != w.inode || r.Size != w.size || r.Deleted || !r.Complete {
						t.Errorf("volume %d %s: %+v", v, w.path, r)
					}
				}
				if r := all["/a_link"]; r.Type != "symlink" || r.LinkTarget == nil || *r.LinkTarget != "a_directory/another_file" {
					t.Errorf("volume %d /a_link: %+v", v, r)
				}
				if r := all["/lost+found"]; r.Type != "dir" || *r.Inode != 11 {
					t.Errorf("volume %d /lost+found: %+v", v, r)
				}
			}
			vl, _ := c.Volumes(context.Background(), res.EvidenceID)
			for _, v := range vl {
				if v.FS != "ext" {
					t.Errorf("volume %d: file system %q", v.Index, v.FS)
				}
			}
		})
	}
}
