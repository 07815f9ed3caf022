package casework

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/hashset"
)

func TestFileSetName(t *testing.T) {
	taken := map[string]bool{"bad.md5": true}
	for in, want := range map[string]string{
		"/x/good.md5":        "good.md5",
		"/x/bad.md5":         "bad.md5-2",
		"/x/.hidden list.md": "hidden_list.md",
		"/x/...":             "hashset-file",
	} {
		if got := FileSetName(in, taken); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestOpenHashsetsClosesSetsOnFailure: when the temporary library of the
// --hashset-file sets cannot be made, the library sets already opened are
// closed, not leaked.
func TestOpenHashsetsClosesSetsOnFailure(t *testing.T) {
	if _, err := os.Stat("/proc/self/maps"); err != nil {
		t.Skip("needs /proc")
	}
	ctx := context.Background()
	libDir := t.TempDir()
	src := filepath.Join(t.TempDir(), "list.md5")
	os.WriteFile(src, []byte("44d88612fea8a8f36de82e1278abb02f  eicar.com\n"), 0o644)
	lib := &hashset.Library{Dir: libDir}
	if _, err := lib.Import(ctx, []string{src}, hashset.ImportOptions{Name: "agency", Category: hashset.KnownBad}); err != nil {
		t.Fatal(err)
	}
	s, err := lib.Open("agency")
	if err != nil {
		t.Fatal(err)
	}
	index := s.Path
	s.Close()
	if open := openFiles(t, index); open {
		t.Fatalf("%s is open before the test", index)
	}

	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing")) // os.MkdirTemp fails
	hs, err := OpenHashsets(ctx, &HashsetOptions{Names: []string{"agency"}, Dir: libDir, Files: []string{src},
		FileCategory: hashset.KnownBad}, nil)
	if err == nil {
		hs.Close()
		t.Fatal("OpenHashsets succeeded without a temporary folder")
	}
	if openFiles(t, index) {
		t.Errorf("the library set %s is still open after OpenHashsets failed: %v", index, err)
	}
}

// openFiles reports whether the process holds path open or mapped.
func openFiles(t *testing.T, path string) bool {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(maps), path) {
		return true
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && l == path {
			return true
		}
	}
	return false
}
