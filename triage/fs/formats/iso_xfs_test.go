package formats

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// TestDetectISO names the disc make.sh built with xorriso.
func TestDetectISO(t *testing.T) {
	b := testfixture.Image(t, "iso-rr-joliet.iso")
	if f := DetectAt(bytes.NewReader(b), 0); f == nil || f.Name != "iso9660" || f.Open == nil {
		t.Errorf("iso-rr-joliet.iso: %v", f)
	}
	b[32769] = 'X' // "CD001" broken
	if f := Detect(b[:65536]); f != nil {
		t.Errorf("broken signature: %s", f.Name)
	}
}

// TestDetectXFS names a volume made by mkfs.xfs as xfs, recognised but
// not read.
func TestDetectXFS(t *testing.T) {
	bad := append([]byte("XFSB"), 0, 0, 0x10, 1) // block size 4097
	if f := Detect(bad); f != nil {
		t.Errorf("XFSB with a bad block size: %s", f.Name)
	}
	if _, err := exec.LookPath("mkfs.xfs"); err != nil {
		t.Skip("mkfs.xfs not installed (Debian package xfsprogs)")
	}
	p := filepath.Join(t.TempDir(), "xfs.raw")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 300<<20); err != nil { // the smallest XFS mkfs.xfs makes
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.xfs", "-q", p).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.xfs: %v\n%s", err, out)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := DetectAt(f, 0); got == nil || got.Name != "xfs" || got.Open != nil {
		t.Errorf("mkfs.xfs volume: %v", got)
	}
}
