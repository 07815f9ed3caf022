package triage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestScanISOSessions: a disc of two sessions (xorriso): the newest
// session's files are recorded, and a.txt, removed in the second session,
// is recorded deleted with its content (md5sum of "session one\n") and its
// session; the volume's details list both sessions.
func TestScanISOSessions(t *testing.T) {
	if _, err := exec.LookPath("xorriso"); err != nil {
		t.Skip("xorriso not installed (Debian package xorriso)")
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "multi.iso")
	for i, files := range []map[string]string{{"a.txt": "session one\n", "keep.txt": "kept\n"}, {"b.txt": "session two\n"}} {
		src := filepath.Join(dir, "s"+string(rune('1'+i)))
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		for n, c := range files {
			if err := os.WriteFile(filepath.Join(src, n), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		args := []string{"-dev", img, "-map", src, "/"}
		if i == 1 {
			args = append(args, "-rm", "/a.txt", "--")
		}
		if out, err := exec.Command("xorriso", append(args, "-commit")...).CombinedOutput(); err != nil {
			t.Fatalf("xorriso: %v\n%s", err, out)
		}
	}
	res, recs, c := scanImage(t, img, SourceOptions{})
	if res.Errors != 0 {
		t.Errorf("%d errors", res.Errors)
	}
	var got []string
	for _, r := range recs {
		if r.Type == "file" {
			s := r.Path + " " + *r.MD5
			if r.Deleted {
				s += fmt.Sprint(" deleted, session ", r.Extra["iso_session"])
			}
			got = append(got, s)
		}
	}
	slices.Sort(got)
	want := []string{
		"/a.txt f6ef5647be2cdc1be4b61d51ef71512f deleted, session 1",
		"/b.txt d7181490b82b5dc3e7bfc7e6004b2040",
		"/keep.txt 649c727626d5a242b871347db6558c50",
	}
	if !slices.Equal(got, want) {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	vols, err := c.Volumes(context.Background(), res.EvidenceID)
	if err != nil || len(vols) != 1 {
		t.Fatalf("volumes %+v (%v)", vols, err)
	}
	if s, _ := vols[0].Details["fs_iso_sessions"].([]any); len(s) != 2 {
		t.Errorf("sessions in the volume's details: %v", vols[0].Details)
	}
}

// TestScanUDF: a UDF volume (mkudffs) is recognised, reported as not
// supported with exit status 3, and recorded as not examined; a bridge
// disc (genisoimage -udf) is read through ISO 9660, its details saying
// that its UDF side is not read.
func TestScanUDF(t *testing.T) {
	if _, err := exec.LookPath("mkudffs"); err != nil {
		t.Skip("mkudffs not installed (Debian package udftools)")
	}
	p := filepath.Join(t.TempDir(), "udf.img")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 4<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkudffs", "--media-type=dvd", p).CombinedOutput(); err != nil {
		t.Fatalf("mkudffs: %v\n%s", err, out)
	}
	res, _, c := scanImage(t, p, SourceOptions{})
	errs, _ := c.Errors(context.Background(), res.EvidenceID)
	if len(errs) != 1 || errs[0].Message != "volume 0 at byte 0x0 (none): file system udf is not supported" {
		t.Errorf("errors %+v", errs)
	}
	vols, _ := c.Volumes(context.Background(), res.EvidenceID)
	if len(vols) != 1 || vols[0].FS != "udf" || vols[0].Details["not_examined"] != "file system udf is not supported" {
		t.Errorf("volumes %+v", vols)
	}
	if _, err := exec.LookPath("genisoimage"); err != nil {
		t.Skip("genisoimage not installed: no bridge disc")
	}
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("bridge\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bridge := filepath.Join(t.TempDir(), "bridge.iso")
	if out, err := exec.Command("genisoimage", "-quiet", "-udf", "-R", "-J", "-o", bridge, src).CombinedOutput(); err != nil {
		t.Fatalf("genisoimage: %v\n%s", err, out)
	}
	res, recs, c := scanImage(t, bridge, SourceOptions{})
	if res.Errors != 0 {
		t.Errorf("bridge disc: %d errors", res.Errors)
	}
	found := false
	for _, r := range recs {
		found = found || r.Path == "/a.txt" && r.MD5 != nil && *r.MD5 == "1af99d1c92ddc577bb5c8ee11fb2a01c"
	}
	if !found {
		t.Errorf("bridge disc: /a.txt (md5sum of \"bridge\\n\") not recorded")
	}
	vols, _ = c.Volumes(context.Background(), res.EvidenceID)
	if len(vols) != 1 || vols[0].FS != "iso9660" || vols[0].Details["fs_udf"] == nil {
		t.Errorf("bridge disc volumes %+v", vols)
	}
}
