package casework

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
)

// md5sum's digests of the files of matchFixture.
const (
	md5Hello = "b1946ac92492d2347c6235b4d2611184" // "hello\n"
	md5Bad   = "038c0b651879dddb0fc393e43d4daf8b" // "bad stuff\n"
)

// matchFixture scans a folder of two files into a new case with a library
// holding one known-good set that lists a.txt, and returns the case
// folder and the library.
func matchFixture(t *testing.T, env *Env) (string, *hashset.Library) {
	t.Helper()
	tmp := t.TempDir()
	ev := filepath.Join(tmp, "ev")
	os.MkdirAll(ev, 0o755)
	os.WriteFile(filepath.Join(ev, "a.txt"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(ev, "b.bin"), []byte("bad stuff\n"), 0o644)
	lib := &hashset.Library{Dir: filepath.Join(tmp, "lib"), NoBuiltin: true}
	importSet(t, lib, "good", hashset.KnownGood, md5Hello+"  a.txt\n")
	dir := filepath.Join(tmp, "case")
	c, _, err := env.OpenCase(context.Background(), dir, HeaderChanges{"examiner": "A. Smith"}, "A. Smith")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := env.Scan(context.Background(), c, []string{ev}, &ScanOptions{Hashsets: HashsetOptions{Dir: lib.Dir, FileCategory: hashset.KnownBad}})
	if err != nil || len(res) != 1 || res[0].Failed() {
		t.Fatalf("scan: %v %+v", err, res)
	}
	return dir, lib
}

func importSet(t *testing.T, lib *hashset.Library, name, category, text string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), name+".md5")
	os.WriteFile(f, []byte(text), 0o644)
	if _, err := lib.Import(context.Background(), []string{f}, hashset.ImportOptions{Name: name, Category: category}); err != nil {
		t.Fatal(err)
	}
}

func statuses(t *testing.T, c *casedb.Case) map[string]*casedb.FileRecord {
	t.Helper()
	m := map[string]*casedb.FileRecord{}
	if err := c.Files(context.Background(), casedb.FileFilter{}, func(r *casedb.FileRecord) error { m[r.Path] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMatch: a set imported after the scan turns b.bin known-bad, records
// the digest that matched, keeps the known-good hit of a set the match did
// not use, and leaves a case that verify accepts.
func TestMatch(t *testing.T) {
	env := fixedEnv(t)
	dir, lib := matchFixture(t, env)
	c, err := casedb.OpenWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	recs := statuses(t, c)
	if a := recs["/a.txt"]; a.Status != casedb.StatusKnownGood || a.HashMatch() == nil || a.HashMatch().Hits[0].Digest != md5Hello {
		t.Fatalf("scan: a.txt %s %+v", a.Status, a.HashMatch())
	}
	importSet(t, lib, "bad", hashset.KnownBad, md5Bad+"  b.bin\n")
	res, err := env.Match(context.Background(), c, &MatchOptions{Hashsets: HashsetOptions{Dir: lib.Dir, Names: []string{"bad"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Changed != 1 || res[0].Records != 2 || res[0].After[casedb.StatusKnownBad] != 1 {
		t.Fatalf("match result %+v", res[0])
	}
	recs = statuses(t, c)
	b := recs["/b.bin"]
	m := b.HashMatch()
	if b.Status != casedb.StatusKnownBad || len(b.Hashsets) != 1 || b.Hashsets[0] != "bad" || m == nil ||
		m.Run != res[0].RunID || m.At == "" || len(m.Hits) != 1 ||
		(m.Hits[0] != casedb.HashHit{Set: "bad", Category: hashset.KnownBad, Algorithm: "md5", Digest: md5Bad}) {
		t.Errorf("b.bin after match: %s %v %+v", b.Status, b.Hashsets, m)
	}
	// the known-good hit of "good", which this match did not use, stays
	if a := recs["/a.txt"]; a.Status != casedb.StatusKnownGood || len(a.Hashsets) != 1 || a.Hashsets[0] != "good" {
		t.Errorf("a.txt after match: %s %v", a.Status, a.Hashsets)
	}
	// the run is recorded, with its set
	used, _ := c.HashSetsUsed(context.Background())
	found := false
	for _, u := range used {
		found = found || u.RunID == res[0].RunID && u.Name == "bad" && u.Details["file_sha256"] != nil
	}
	if !found {
		t.Errorf("the match run records no use of set bad: %+v", used)
	}
	for _, ch := range report.VerifyCase(context.Background(), dir, report.VerifyOptions{NoEvidence: true}) {
		if ch.Status == report.Failed {
			t.Errorf("verify after match: %s: %s", ch.Name, ch.Detail)
		}
	}
	// the whole library: "good" is matched again and gives the same hit
	res, err = env.Match(context.Background(), c, &MatchOptions{Hashsets: HashsetOptions{Dir: lib.Dir}})
	if err != nil || res[0].Changed != 0 {
		t.Fatalf("second match: %v %+v", err, res)
	}
}

// TestMatchIncompleteNeverKnownGood: as in a scan, a known-good match of
// a record whose content was not read in full gives unknown.
func TestMatchIncompleteNeverKnownGood(t *testing.T) {
	rec := &casedb.FileRecord{Complete: false}
	if got := mergeHits(rec, []casedb.HashHit{{Set: "good", Category: hashset.KnownGood}}, map[string]bool{"good": true}, nil); len(got) != 1 {
		t.Fatalf("hits %+v", got)
	}
	for _, c := range []struct {
		rec  *casedb.FileRecord
		want string
	}{
		{&casedb.FileRecord{Complete: false}, casedb.StatusUnknown},
		{&casedb.FileRecord{Complete: true, Extra: map[string]any{"recovered": "contiguous"}}, casedb.StatusUnknown},
		{&casedb.FileRecord{Complete: true}, casedb.StatusKnownGood},
	} {
		if got := triage.MatchStatus(c.rec, hashset.KnownGood); got != c.want {
			t.Errorf("%+v: %s, want %s", c.rec, got, c.want)
		}
	}
}

// TestMergeHits: hits of sets the match did not use are kept, with the
// category the case records for a set an old case names without a hit.
func TestMergeHits(t *testing.T) {
	rec := &casedb.FileRecord{Hashsets: []string{"old", "vic", "z"}, Extra: map[string]any{casedb.ExtraHashMatch: map[string]any{
		"run": 1.0, "at": "2026-01-01T00:00:00Z", "hits": []any{
			map[string]any{"set": "vic", "category": "known-bad", "algorithm": "sha1", "digest": "ab"},
			map[string]any{"set": "z", "category": "notable", "algorithm": "md5", "digest": "cd"},
		}}}}
	got := mergeHits(rec, []casedb.HashHit{{Set: "new", Category: "known-good", Algorithm: "md5", Digest: "ef"}},
		map[string]bool{"new": true, "z": true}, map[string]string{"old": "notable"})
	want := []casedb.HashHit{
		{Set: "new", Category: "known-good", Algorithm: "md5", Digest: "ef"},
		{Set: "old", Category: "notable"},
		{Set: "vic", Category: "known-bad", Algorithm: "sha1", Digest: "ab"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("hit %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
