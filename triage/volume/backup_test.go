package volume

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A GPT image cut short has lost its backup header: the table still reads
// from the primary, with a problem saying so at the primary's pointer; an
// intact image has none.
func TestGPTBackupMissing(t *testing.T) {
	good := testImage(t, "gpt-ntfs.raw")
	if tab, err := Read(bytes.NewReader(good), int64(len(good))); err != nil || len(tab.Problems) != 0 {
		t.Fatalf("intact image: %v, problems %v", err, tab.Problems)
	}
	cut := good[:len(good)-64<<10]
	tab, err := Read(bytes.NewReader(cut), int64(len(cut)))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Scheme != SchemeGPT || len(tab.Partitions) == 0 {
		t.Errorf("table %+v", tab)
	}
	if len(tab.Problems) == 0 || !strings.Contains(tab.Problems[0].Error(), "backup GPT header") ||
		!strings.Contains(tab.Problems[0].Error(), "past the end of the image") || !strings.HasSuffix(tab.Problems[0].Error(), "at byte 0x220") {
		t.Errorf("problems %v", tab.Problems)
	}
	// sgdisk agrees that the cut image has lost its backup header.
	if _, err := exec.LookPath("sgdisk"); err != nil {
		t.Log("sgdisk not installed: not compared")
		return
	}
	p := filepath.Join(t.TempDir(), "cut.raw")
	os.WriteFile(p, cut, 0o644)
	out, _ := exec.Command("sgdisk", "-v", p).CombinedOutput()
	if !strings.Contains(strings.ToLower(string(out)), "problem") {
		t.Errorf("sgdisk -v finds no problem: %s", out)
	}
}
