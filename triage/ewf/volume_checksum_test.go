package ewf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A volume section whose checksum does not match is recorded as a problem
// at the checksum's offset, even when the data section that repeats it
// gives the geometry; libewf refuses the image outright.
func TestVolumeChecksumMismatchIsAProblem(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "images", "ewf-tiny.E01"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("volume\x00"))
	if i < 0 || !bytes.Contains(b, []byte("data\x00")) {
		t.Fatal("no volume and data sections in ewf-tiny.E01")
	}
	data := int64(i) + 76
	b[data+100] ^= 0xff // a reserved byte of the volume section
	r, err := New(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range r.Problems() {
		if strings.Contains(p.Error(), "volume section: checksum mismatch") && strings.HasSuffix(p.Error(), "at byte 0x818") {
			found = true
		}
	}
	if !found || data+1048 != 0x818 {
		t.Errorf("problems %v", r.Problems())
	}
	if _, err := exec.LookPath("ewfverify"); err != nil {
		t.Log("ewfverify not installed: libewf's verdict not compared")
		return
	}
	p := filepath.Join(t.TempDir(), "x.E01")
	os.WriteFile(p, b, 0o644)
	out, _ := exec.Command("ewfverify", "-q", p).CombinedOutput()
	if !strings.Contains(string(out), "unable to open") {
		t.Errorf("ewfverify accepted the image: %s", out)
	}
}
