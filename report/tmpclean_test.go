//go:build unix

package report

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The temporary files a killed report left beside its output are removed
// by the next report to that output; one being written (locked) is kept.
func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r[1].html")
	stale := filepath.Join(dir, ".r[1].html.tmp-123")
	os.WriteFile(stale, make([]byte, 100), 0o644)
	other := filepath.Join(dir, ".other.html.tmp-5")
	os.WriteFile(other, nil, 0o644)
	live, err := os.CreateTemp(dir, ".r[1].html.tmp-*")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	lockTemp(live)
	tmp, _, _, err := writeTemp(out, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err })
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(tmp)
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temporary file was kept")
	}
	for _, p := range []string{live.Name(), other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}
