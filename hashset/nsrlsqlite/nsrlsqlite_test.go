package nsrlsqlite

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/triagekit/triage/hashset"
)

// buildSQL makes an SQLite database from a hashset testdata SQL script
// (the RDSv3 DDL of FORMATS.md 1.1 with rows for the sample evidence).
func buildSQL(t testing.TB, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), strings.TrimSuffix(script, ".sql")+".db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := os.ReadFile(filepath.Join("..", "testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(b), ";\n") {
		if strings.TrimSpace(stmt) != "" {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	return p
}

// sampleDigests are the digests of the repository's sample evidence,
// computed with crypto/*.
func sampleDigests(t *testing.T) map[hashset.Algorithm][]string {
	out := map[hashset.Algorithm][]string{}
	seen := map[string]bool{}
	err := filepath.WalkDir("../../testdata/sample", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		c, err := os.ReadFile(p)
		m, s1, s2 := md5.Sum(c), sha1.Sum(c), sha256.Sum256(c)
		for a, d := range map[hashset.Algorithm][]byte{hashset.MD5: m[:], hashset.SHA1: s1[:], hashset.SHA256: s2[:]} {
			if h := hex.EncodeToString(d); !seen[h] {
				seen[h] = true
				out[a] = append(out[a], h)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for a := range out {
		sort.Strings(out[a])
	}
	return out
}

func fileSHA256(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestGoldenRDSv3(t *testing.T) {
	defer func(w int) { Workers = w }(Workers)
	for _, w := range []int{1, 3} {
		Workers = w
		testGoldenRDSv3(t)
	}
}

func testGoldenRDSv3(t *testing.T) {
	want := sampleDigests(t)
	for _, tt := range []struct {
		script  string
		records int64
	}{
		{"nsrl-rdsv3-minimal.sql", 18}, // every file in two packages
		{"nsrl-rdsv3-full.sql", 9},     // lower-case digests in METADATA
	} {
		t.Run(tt.script, func(t *testing.T) {
			db := buildSQL(t, tt.script)
			before := fileSHA256(t, db)
			lib := &hashset.Library{Dir: t.TempDir()}
			res, err := lib.Import(context.Background(), []string{db}, hashset.ImportOptions{Name: "nsrl", Category: hashset.KnownGood})
			if err != nil {
				t.Fatal(err)
			}
			src := res.Sources[0]
			if src.Format != "nsrl-sqlite" || src.Records != tt.records || src.Malformed != 0 {
				t.Errorf("source %+v", src)
			}
			if src.SHA256 != before {
				t.Errorf("source sha256 %s, sha256 of the file %s", src.SHA256, before)
			}
			if after := fileSHA256(t, db); after != before {
				t.Error("the database changed")
			}
			ents, _ := os.ReadDir(filepath.Dir(db))
			if len(ents) != 1 {
				t.Errorf("files next to the database: %v", ents)
			}
			s, err := lib.Open("nsrl")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, a := range hashset.Algorithms {
				var got []string
				s.Digests(a, func(d []byte) bool { got = append(got, hex.EncodeToString(d)); return true })
				if strings.Join(got, ",") != strings.Join(want[a], ",") {
					t.Errorf("%s:\n got %v\nwant %v", a, got, want[a])
				}
			}
		})
	}
}

func TestBadRows(t *testing.T) {
	db := buildSQL(t, "nsrl-rdsv3-minimal.sql")
	c, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(`INSERT INTO FILE VALUES ('XYZ','','','0','a',1,1), ('','','','0','b',1,1)`)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	lib := &hashset.Library{Dir: t.TempDir()}
	res, err := lib.Import(context.Background(), []string{db}, hashset.ImportOptions{Name: "n", Category: hashset.KnownGood, Format: "nsrl-sqlite"})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Sources[0]
	if s.Records != 18 || s.Malformed != 2 || len(s.Problems) != 2 || s.Problems[0].Line != 19 || s.Problems[0].Unit != "row" {
		t.Errorf("records %d malformed %d problems %v", s.Records, s.Malformed, s.Problems)
	}
}

func TestNotNSRL(t *testing.T) {
	p := filepath.Join(t.TempDir(), "other.db")
	c, _ := sql.Open("sqlite", p)
	c.Exec(`CREATE TABLE t (x)`)
	c.Close()
	lib := &hashset.Library{Dir: t.TempDir()}
	_, err := lib.Import(context.Background(), []string{p}, hashset.ImportOptions{Name: "n", Category: hashset.KnownGood})
	if err == nil || !strings.Contains(err.Error(), "without the NSRL RDSv3 FILE table") {
		t.Errorf("error %v", err)
	}
}

// FuzzRows mutates small RDSv3 databases: damage must come back as an
// error, never a panic escaping Rows or a hang.
func FuzzRows(f *testing.F) {
	for _, s := range []string{"nsrl-rdsv3-minimal.sql", "nsrl-rdsv3-full.sql"} {
		b, err := os.ReadFile(buildSQL(f, s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.db")
		os.WriteFile(p, b, 0o644)
		Rows(context.Background(), p, func(id int64, v [3][]byte, err error) error { return nil })
	})
}
