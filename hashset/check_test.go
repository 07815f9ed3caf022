package hashset

import (
	"errors"
	"os"
	"testing"
)

// A set's sections are checked once per file version: the second check of
// the same file takes the first's result; a changed file is checked again
// and a flipped digest bit is a *DamagedError naming the set.
func TestCheckCached(t *testing.T) {
	lib := &Library{Dir: t.TempDir(), NoBuiltin: true}
	if err := importOne(t, lib, "x"); err != nil {
		t.Fatal(err)
	}
	open := func() *Set {
		s, err := lib.Open("x")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	cached, err := lib.CheckCached(s)
	if err != nil || cached || len(s.FileSHA256) != 64 {
		t.Fatalf("first check: cached %v, %v, sha %q", cached, err, s.FileSHA256)
	}
	first := s.FileSHA256
	off := s.Sections[0].DataOffset
	s.Close()
	s = open()
	cached, err = lib.CheckCached(s)
	if err != nil || !cached || s.FileSHA256 != first {
		t.Errorf("second check: cached %v, %v", cached, err)
	}
	s.Close()
	b, _ := os.ReadFile(lib.path("x"))
	b[off] ^= 1
	os.WriteFile(lib.path("x"), b, 0o644)
	s = open()
	defer s.Close()
	_, err = lib.CheckCached(s)
	var de *DamagedError
	if !errors.As(err, &de) || de.Name != "x" {
		t.Errorf("damaged: %v", err)
	}
}
