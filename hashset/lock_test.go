package hashset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func importOne(t *testing.T, lib *Library, name string) error {
	t.Helper()
	src := filepath.Join(t.TempDir(), "set.md5")
	os.WriteFile(src, []byte("44d88612fea8a8f36de82e1278abb02f  eicar.com\n"), 0o644)
	_, err := lib.Import(context.Background(), []string{src}, ImportOptions{Name: name, Category: KnownBad})
	return err
}

// One import per set name: a second import of the name is refused with the
// PID of the first, while other names go on.
func TestImportLockPerName(t *testing.T) {
	lib := &Library{Dir: t.TempDir(), NoBuiltin: true}
	held, err := lib.lockName("same")
	if err != nil {
		t.Fatal(err)
	}
	err = importOne(t, lib, "same")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) {
		t.Errorf("second import: %v", err)
	}
	if err := importOne(t, lib, "other"); err != nil {
		t.Errorf("another name: %v", err)
	}
	held.release()
	if err := importOne(t, lib, "same"); err != nil {
		t.Errorf("once free: %v", err)
	}
	names, _ := lib.Names()
	if len(names) != 2 {
		t.Errorf("sets %v", names)
	}
}

// The temporary files of a killed import are removed by the next import.
func TestImportRemovesStaleTemporaryFiles(t *testing.T) {
	lib := &Library{Dir: t.TempDir(), NoBuiltin: true}
	stale := filepath.Join(lib.Dir, ".import-123")
	os.MkdirAll(stale, 0o755)
	os.WriteFile(filepath.Join(stale, importLockName), nil, 0o644)
	os.WriteFile(filepath.Join(stale, "run-md5-1"), make([]byte, 1000), 0o644)
	tmpIdx := filepath.Join(lib.Dir, ".x"+Ext+".tmp-456")
	os.WriteFile(tmpIdx, make([]byte, 1000), 0o644)
	// An import running now keeps its folder.
	live := filepath.Join(lib.Dir, ".import-789")
	os.MkdirAll(live, 0o755)
	lk, _, _, err := tryLockFile(filepath.Join(live, importLockName))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.release()
	if err := importOne(t, lib, "x"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{stale, tmpIdx} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live import's folder was removed: %v", err)
	}
}
