package validate

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestSuite runs the whole built-in suite: every case must pass.
func TestSuite(t *testing.T) {
	rec, err := Run(context.Background(), Options{Examiner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.Cases {
		if !c.Pass {
			t.Errorf("%s failed: expected %s; actual %s; %v", c.ID, c.Expected, c.Actual, c.Differences)
		}
		if c.Requirement == "" || c.Source == "" || c.Expected == "" || strings.Contains(c.Source, "{") {
			t.Errorf("%s: incomplete case %+v", c.ID, c)
		}
	}
	if !rec.OK() || len(rec.Cases) != len(suite) {
		t.Errorf("record: %d passed, %d failed of %d", rec.Passed, rec.Failed, len(rec.Cases))
	}
	t.Logf("%d cases in %.1f s", len(rec.Cases), rec.Seconds)
}

// TestEmbeddedMatchesTestdata: the embedded copies are those make.sh wrote.
func TestEmbeddedMatchesTestdata(t *testing.T) {
	fs.WalkDir(refdata, "refdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "gen.sh" {
			return err
		}
		a, _ := refdata.ReadFile(p)
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "images", d.Name()))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from testdata/images (run go generate ./triage/validate): %v", p, err)
		}
		return nil
	})
}

// mapFS copies the embedded reference data, changing one file.
func mapFS(t *testing.T, name string, change func([]byte) []byte) fs.FS {
	m := fstest.MapFS{}
	fs.WalkDir(refdata, "refdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := refdata.ReadFile(p)
			if d.Name() == name {
				b = change(b)
			}
			m[strings.TrimPrefix(p, "refdata/")] = &fstest.MapFile{Data: b}
		}
		return err
	})
	return m
}

// TestWrongExpectation: a deliberately wrong MD5 for hello.txt in the
// recorded expectations makes NTFS-01 fail, naming the file.
func TestWrongExpectation(t *testing.T) {
	data := mapFS(t, "ntfs-basic.raw.expected.tsv", func(b []byte) []byte {
		return bytes.Replace(b, []byte("f0ef7081e1539ac00ef5b761b4fb01b3\thello.txt"), []byte("00000000000000000000000000000000\thello.txt"), 1)
	})
	rec, err := Run(context.Background(), Options{Data: data, Only: []string{"NTFS-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.OK() || len(rec.FailedCases()) != 1 || rec.FailedCases()[0] != "NTFS-01" {
		t.Fatalf("failed cases %v", rec.FailedCases())
	}
	if d := rec.Cases[0].Differences; len(d) != 1 || !strings.Contains(d[0], "/hello.txt") {
		t.Errorf("differences %v", d)
	}
}

// TestTamperedImage: a reference image whose SHA-256 is not the recorded
// one fails its cases.
func TestTamperedImage(t *testing.T) {
	data := mapFS(t, "ewf-tiny.E01", func(b []byte) []byte { b = bytes.Clone(b); b[len(b)-1] ^= 1; return b })
	rec, err := Run(context.Background(), Options{Data: data, Only: []string{"E01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.OK() {
		t.Errorf("a changed E01 passed: %+v", rec.Cases)
	}
}

func TestCompare(t *testing.T) {
	old := &Record{Kind: RecordKind, Cases: []Case{{ID: "A", Pass: true, Actual: "1"}, {ID: "B", Pass: true, Actual: "2"}, {ID: "C", Pass: true}}}
	new := &Record{Kind: RecordKind, Cases: []Case{{ID: "A", Pass: true, Actual: "1"}, {ID: "B", Pass: false, Actual: "3"}, {ID: "D", Pass: true}}}
	ch := Compare(old, new)
	want := map[string]string{"B": "result changed", "D": "added", "C": "removed"}
	if len(ch) != 3 {
		t.Fatalf("changes %+v", ch)
	}
	for _, c := range ch {
		if want[c.ID] != c.What {
			t.Errorf("change %+v", c)
		}
	}
}
