package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyRawImage scans a raw image, then checks that verify re-hashes
// it (the hashes are those of sha256sum/md5sum) and catches one changed
// byte.
func TestVerifyRawImage(t *testing.T) {
	fixedClock(t)
	d := t.TempDir()
	img := filepath.Join(d, "disk.dd")
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i * 7 / 13)
	}
	os.WriteFile(img, b, 0o644)
	dir := filepath.Join(d, "case")
	if st, _, errs := tri(t, "scan", img, "--as", "image", "--case", dir, "-q"); st != 0 && st != 3 {
		t.Fatalf("scan: %d %s", st, errs)
	}
	st, out, errs := tri(t, "verify", dir)
	if st != 0 || !strings.Contains(out, "OK      evidence 1 "+img+": re-hashed") {
		t.Fatalf("verify: %d\n%s%s", st, out, errs)
	}
	for _, tool := range []string{"md5sum", "sha256sum"} {
		if s := coreutilsSum(t, tool, img); s != "" && !strings.Contains(out, s) {
			t.Errorf("verify output lacks the %s value %s", tool, s)
		}
	}
	b[4096] ^= 0x80
	os.WriteFile(img, b, 0o644)
	st, out, errs = tri(t, "verify", dir)
	if st != 1 || !strings.Contains(out, "FAILED  evidence 1") || !strings.Contains(errs, "MISMATCH") {
		t.Errorf("changed image: %d\n%s%s", st, out, errs)
	}
	// --no-evidence leaves it alone
	if st, out, _ := tri(t, "verify", dir, "--no-evidence"); st != 0 || strings.Contains(out, "evidence 1") {
		t.Errorf("--no-evidence: %d %s", st, out)
	}
	// a missing image is skipped, not failed
	os.Remove(img)
	if st, out, _ := tri(t, "verify", dir); st != 0 || !strings.Contains(out, "SKIPPED evidence 1") {
		t.Errorf("missing image: %d %s", st, out)
	}
}

// TestVerifyE01 re-hashes the decoded media of an E01 fixture: the values
// must be those ewfacquire's author recorded (testdata/images/*.md5).
func TestVerifyE01(t *testing.T) {
	fixedClock(t)
	img := copyFixture(t, "ewf-tiny.E01")
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "scan", img, "--case", dir, "-q"); st != 0 && st != 3 {
		t.Fatalf("scan: %d %s", st, errs)
	}
	st, out, errs := tri(t, "verify", dir, "--json")
	if st != 0 || !strings.Contains(out, `"status": "OK"`) || !strings.Contains(out, "re-hashed") {
		t.Fatalf("verify: %d\n%s%s", st, out, errs)
	}
	want := fixtureSum(t, "ewf-fixtures.md5", "tiny.raw")
	if !strings.Contains(out, "md5 "+want) {
		t.Errorf("verify does not give the fixture's MD5 %s:\n%s", want, out)
	}
}

func TestVerifyNotFound(t *testing.T) {
	st, out, _ := tri(t, "verify", filepath.Join(t.TempDir(), "nothing.html"))
	if st != 1 || !strings.Contains(out, "FAILED") {
		t.Errorf("missing report: %d %s", st, out)
	}
}
