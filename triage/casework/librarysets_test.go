package casework

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/hashset"
)

// TestLibrarySets: the library's sets as the report lists them: the
// built-in set and two imported ones usable, with their categories; a set
// whose digest data has a flipped bit, and a file that is no index, each
// with the reason it cannot be used.
func TestLibrarySets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "list.md5")
	os.WriteFile(src, []byte("44d88612fea8a8f36de82e1278abb02f  eicar.com\nd41d8cd98f00b204e9800998ecf8427e  empty\n"), 0o644)
	lib := &hashset.Library{Dir: dir}
	for _, s := range []struct{ name, cat string }{{"agency", hashset.KnownBad}, {"broken", hashset.Notable}, {"watch", hashset.Notable}} {
		if _, err := lib.Import(ctx, []string{src}, hashset.ImportOptions{Name: s.name, Category: s.cat}); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "broken"+hashset.Ext)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1 // the last digest's last bit
	os.WriteFile(p, b, 0o644)
	os.WriteFile(filepath.Join(dir, "garbage"+hashset.Ext), []byte("not an index"), 0o644)

	sets, err := LibrarySets(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range sets {
		got[s.Name] = s.Category
		if s.Problem != "" {
			got[s.Name] = "problem"
		}
		t.Logf("%+v", s)
	}
	want := map[string]string{hashset.EICARName: hashset.KnownBad, "agency": hashset.KnownBad, "watch": hashset.Notable,
		"broken": "problem", "garbage": "problem"}
	if len(got) != len(want) {
		t.Errorf("sets: %v, want %v", got, want)
	}
	for n, c := range want {
		if got[n] != c {
			t.Errorf("set %q: %q, want %q", n, got[n], c)
		}
	}
}
