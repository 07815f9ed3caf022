package triage

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanISO: a disc image is recognised by its content and scanned as
// one ISO 9660 volume: the records of iso-rr-joliet.iso are its files
// with the MD5s md5sum gave for its source files (make.sh), its link is a
// symlink record with its target.
func TestScanISO(t *testing.T) {
	p := imageFile(t, "iso-rr-joliet.iso")
	res, recs, c := scanImage(t, p, SourceOptions{})
	if res.Errors != 0 {
		t.Errorf("%d errors", res.Errors)
	}
	got := map[string]jsonRec{}
	for _, r := range recs {
		got[r.Path] = r
	}
	sums, err := os.ReadFile(filepath.Join("..", "testdata", "images", "iso-rr-joliet.iso.md5"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, path, _ := strings.Cut(line, "  ")
		path = strings.TrimPrefix(path, ".")
		if r, ok := got[path]; !ok || r.MD5 == nil || *r.MD5 != sum || !r.Complete {
			t.Errorf("%s: %+v, want md5 %s", path, r, sum)
		}
	}
	if l := got["/dir/link"]; l.Type != "symlink" || l.Extra["symlink_target"] != "../hello.txt" || l.MD5 != nil {
		t.Errorf("link: %+v", l)
	}
	vols, err := c.Volumes(context.Background(), res.EvidenceID)
	if err != nil || len(vols) != 1 || vols[0].FS != "iso9660" || vols[0].Details["fs_label"] != "SEED" {
		t.Errorf("volumes %+v (%v)", vols, err)
	}
}

// TestScanXFS: an XFS volume (mkfs.xfs) is recognised, reported as not
// supported with exit status 3, and recorded as not examined.
func TestScanXFS(t *testing.T) {
	if _, err := exec.LookPath("mkfs.xfs"); err != nil {
		t.Skip("mkfs.xfs not installed (Debian package xfsprogs)")
	}
	p := filepath.Join(t.TempDir(), "xfs.raw")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 300<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.xfs", "-q", p).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.xfs: %v\n%s", err, out)
	}
	res, _, c := scanImage(t, p, SourceOptions{})
	errs, _ := c.Errors(context.Background(), res.EvidenceID)
	if len(errs) != 1 || errs[0].Message != "volume 0 at byte 0x0 (none): file system xfs is not supported" {
		t.Errorf("errors %+v", errs)
	}
	vols, _ := c.Volumes(context.Background(), res.EvidenceID)
	if len(vols) != 1 || vols[0].FS != "xfs" || vols[0].Details["not_examined"] != "file system xfs is not supported" {
		t.Errorf("volumes %+v", vols)
	}
}
