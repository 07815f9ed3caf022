package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatchSealed: a match after a hash-set import leaves a case that
// verify accepts, and a status changed behind triage's back after the
// match is caught and named against the match's seal.
func TestMatchSealed(t *testing.T) {
	lib := t.TempDir()
	t.Setenv("TRIAGE_HASHSET_DIR", lib)
	dir := integrityCase(t)
	set := filepath.Join(t.TempDir(), "bad.md5")
	// md5sum of "hello\n" (a.txt of the evidence tree)
	os.WriteFile(set, []byte("b1946ac92492d2347c6235b4d2611184  a.txt\n"), 0o644)
	if st, _, errs := tri(t, "hashset", "import", set, "--name", "bad", "--category", "known-bad", "-q"); st != 0 {
		t.Fatal(errs)
	}
	st, _, errs := tri(t, "match", "--case", dir)
	if st != 0 || !strings.Contains(errs, "evidence item 1 ") || !strings.Contains(errs, "1 record changed") {
		t.Fatalf("match: %d %s", st, errs)
	}
	st, out, _ := tri(t, "hits", dir)
	if st != 0 || !strings.Contains(out, "bad:md5") || !strings.Contains(out, "/a.txt") {
		t.Errorf("hits after match: %d\n%s", st, out)
	}
	if st, out, errs := tri(t, "verify", dir, "--no-evidence"); st != 0 || !strings.Contains(out, "as sealed by custody event") {
		t.Fatalf("verify after match: %d\n%s%s", st, out, errs)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "case.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE files SET status = 'unknown', hashsets = '[]' WHERE status = 'known-bad'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, out, _ = tri(t, "verify", dir, "--no-evidence")
	if st != 1 || !strings.Contains(out, "a status was changed") {
		t.Errorf("verify after a status was reset: %d\n%s", st, out)
	}
}
