package hashset

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sampleDir is the repository's sample evidence; the golden hash-set files
// in testdata were made from it with coreutils md5sum/sha1sum/sha256sum and
// hashdeep (and, for the other formats, from their digests).
const sampleDir = "../testdata/sample"

// contentDigests returns the hex digests per algorithm of the sample files
// plus extra contents, computed with crypto/*.
func contentDigests(t *testing.T, extra ...string) map[Algorithm][]string {
	t.Helper()
	var contents [][]byte
	err := filepath.WalkDir(sampleDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		contents = append(contents, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range extra {
		contents = append(contents, []byte(e))
	}
	out := map[Algorithm][]string{}
	seen := map[string]bool{}
	for _, c := range contents {
		m, s1, s2 := md5.Sum(c), sha1.Sum(c), sha256.Sum256(c)
		for a, d := range map[Algorithm][]byte{MD5: m[:], SHA1: s1[:], SHA256: s2[:]} {
			h := hex.EncodeToString(d)
			if !seen[h] {
				seen[h] = true
				out[a] = append(out[a], h)
			}
		}
	}
	for a := range out {
		sort.Strings(out[a])
	}
	return out
}

func setDigests(t *testing.T, s *Set) map[Algorithm][]string {
	out := map[Algorithm][]string{}
	for _, a := range Algorithms {
		s.Digests(a, func(d []byte) bool { out[a] = append(out[a], hex.EncodeToString(d)); return true })
	}
	return out
}

func TestGoldenFormats(t *testing.T) {
	tests := []struct {
		file      string
		format    string // detected format
		algs      []Algorithm
		extra     []string // contents beyond the sample files
		records   int64
		malformed int64
	}{
		{"md5sum-text.md5", "md5sum", []Algorithm{MD5}, []string{"odd", "odd2"}, 11, 0},
		{"sha1sum-binary.sha1", "md5sum", []Algorithm{SHA1}, nil, 9, 0},
		{"sha256sum-bsd-tag.txt", "md5sum", []Algorithm{SHA256}, []string{"odd", "odd2"}, 11, 0},
		{"hashdeep-md5-sha256.txt", "hashdeep", []Algorithm{MD5, SHA256}, nil, 9, 0},
		{"plain-virusshare.md5", "plain", []Algorithm{MD5}, nil, 9, 0},
		{"plain-xways-sha1.txt", "plain", []Algorithm{SHA1}, nil, 9, 0},
		{"csv-md5-sha256.csv", "csv", []Algorithm{MD5, SHA256}, nil, 9, 0},
		{"nsrl-rds2-NSRLFile.txt", "nsrl-txt", []Algorithm{MD5, SHA1}, nil, 9, 0},
		{"hashkeeper-Z00236.hsh", "hashkeeper", []Algorithm{MD5}, nil, 9, 0},
		{"vics-2.0-media.json", "vics", []Algorithm{MD5, SHA1}, nil, 9, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			want := contentDigests(t, tt.extra...)
			for _, format := range []string{"auto", tt.format} {
				lib := &Library{Dir: t.TempDir()}
				res, err := lib.Import(context.Background(), []string{path}, ImportOptions{Name: "g", Category: KnownGood, Format: format})
				if err != nil {
					t.Fatal(err)
				}
				src := res.Sources[0]
				if src.Format != tt.format || src.Records != tt.records || src.Malformed != tt.malformed {
					t.Errorf("%s: format %s records %d malformed %d, want %s %d %d (problems %v)", format,
						src.Format, src.Records, src.Malformed, tt.format, tt.records, tt.malformed, src.Problems)
				}
				s, err := lib.Open("g")
				if err != nil {
					t.Fatal(err)
				}
				got := setDigests(t, s)
				s.Close()
				for _, a := range Algorithms {
					var w []string
					if contains(tt.algs, a) {
						w = want[a]
					}
					if strings.Join(got[a], ",") != strings.Join(w, ",") {
						t.Errorf("%s %s digests:\n got %v\nwant %v", format, a, got[a], w)
					}
				}
			}
		})
	}
}

func contains(as []Algorithm, a Algorithm) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func TestMalformedLines(t *testing.T) {
	lib := &Library{Dir: t.TempDir()}
	res, err := lib.Import(context.Background(), []string{"testdata/md5sum-malformed.md5"}, ImportOptions{Name: "m", Category: KnownBad})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Sources[0]
	if s.Records != 3 || s.Malformed != 4 {
		t.Fatalf("records %d malformed %d, want 3 and 4", s.Records, s.Malformed)
	}
	var lines []int64
	for _, p := range s.Problems {
		lines = append(lines, p.Line)
		if p.File != "md5sum-malformed.md5" {
			t.Errorf("problem names file %q", p.File)
		}
	}
	if len(lines) != 4 || lines[0] != 4 || lines[1] != 6 || lines[2] != 7 || lines[3] != 9 {
		t.Errorf("problem lines %v, want [4 6 7 9]: %v", lines, s.Problems)
	}
	if !strings.Contains(s.Problems[3].String(), "128 hex digits") {
		t.Errorf("problem %s", s.Problems[3])
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	allBad := filepath.Join(dir, "bad.md5")
	os.WriteFile(allBad, []byte("zz  a\nqq  b\n"), 0o644)
	sqliteFile := filepath.Join(dir, "x.db")
	os.WriteFile(sqliteFile, []byte("SQLite format 3\x00"), 0o644)
	tests := []struct {
		files  []string
		format string
		want   string
	}{
		{[]string{"testdata/empty.md5"}, "", "cannot tell the format: an empty file"},
		{[]string{"testdata/empty.md5"}, "md5sum", "no hash records (0 malformed lines)"},
		{[]string{"testdata/no-format.txt"}, "", "cannot tell the format"},
		{[]string{allBad}, "md5sum", "no hash records (2 malformed lines); first: bad.md5: line 1:"},
		{[]string{"testdata/hashdeep-md5-sha256.txt"}, "nsrl-sqlite", "is not in nsrl-sqlite format (no SQLite header); it looks like hashdeep"},
		{[]string{"testdata/md5sum-text.md5"}, "hashkeeper", "is not in hashkeeper format"},
		{[]string{"testdata/md5sum-text.md5"}, "vics", "it looks like md5sum"},
		{[]string{"testdata/vics-2.0-media.json"}, "csv", "it looks like vics"},
		{[]string{dir}, "", "is a folder"},
		{[]string{sqliteFile}, "", "support is not built in"},
	}
	for _, tt := range tests {
		lib := &Library{Dir: filepath.Join(dir, "lib")}
		_, err := lib.Import(context.Background(), tt.files, ImportOptions{Name: "e", Category: KnownBad, Format: tt.format})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v --format %q: error %v, want %q", tt.files, tt.format, err, tt.want)
		}
		if names, _ := lib.Names(); len(names) != 1 {
			t.Errorf("a failed import left sets %v", names)
		}
	}
	// an existing name needs Replace
	lib := &Library{Dir: filepath.Join(dir, "lib2")}
	opts := ImportOptions{Name: "x", Category: KnownBad}
	if _, err := lib.Import(context.Background(), []string{"testdata/md5sum-text.md5"}, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Import(context.Background(), []string{"testdata/sha1sum-binary.sha1"}, opts); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second import: %v", err)
	}
	opts.Replace = true
	if _, err := lib.Import(context.Background(), []string{"testdata/sha1sum-binary.sha1"}, opts); err != nil {
		t.Errorf("replace: %v", err)
	}
	s, _ := lib.Open("x")
	if s.Count(MD5) != 0 || s.Count(SHA1) != 9 {
		t.Errorf("replaced set counts %v", s.Counts)
	}
	s.Close()
	ents, _ := os.ReadDir(lib.Dir)
	if len(ents) != 1 {
		t.Errorf("library holds %d entries, want 1 (no temporary files left)", len(ents))
	}
}

func TestParseDigest(t *testing.T) {
	for _, tt := range []struct {
		in  string
		alg Algorithm
		err string
	}{
		{"44D88612FEA8A8F36DE82E1278ABB02F", MD5, ""},
		{"md5:44d88612fea8a8f36de82e1278abb02f", MD5, ""},
		{"SHA1:3395856ce81f2b7382dee72602f798b642f14140", SHA1, ""},
		{"sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", SHA256, ""},
		{"sha1:44d88612fea8a8f36de82e1278abb02f", 0, "a sha1 digest has 40 hex digits"},
		{"crc32:00000000", 0, "unknown algorithm prefix"},
		{"44d88612fea8a8f36de82e1278abb0zz", 0, "not hexadecimal"},
		{"abc", 0, "3 hex digits"},
	} {
		a, d, err := ParseDigest(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || a != tt.alg || len(d) != a.Size() {
			t.Errorf("%s: %v %x %v", tt.in, a, d, err)
		}
	}
}
