package hashset

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// fuzzText parses b with the named text format and checks the invariants:
// no panic, whole digests only, records and malformed lines bounded by the
// line count, and an index built from the digests finds every one of them.
func fuzzText(t *testing.T, format string, b []byte) {
	var got [numAlgorithms][]byte
	st, err := parseText(context.Background(), bytes.NewReader(b), "f", textFormats[format], 2, newSum(), func(bt *batch) error {
		for a := range got {
			got[a] = append(got[a], bt.d[a]...)
		}
		return nil
	})
	if err != nil {
		return
	}
	lines := int64(bytes.Count(b, []byte{'\n'}) + 1)
	if st.records+st.malformed > lines {
		t.Fatalf("%d records + %d malformed > %d lines", st.records, st.malformed, lines)
	}
	if len(st.problems) > maxProblems {
		t.Fatalf("%d problems kept", len(st.problems))
	}
	ds := map[Algorithm][][]byte{}
	for _, a := range Algorithms {
		if len(got[a])%a.Size() != 0 {
			t.Fatalf("%s: %d bytes of digests", a, len(got[a]))
		}
		for i := 0; i < len(got[a]); i += a.Size() {
			ds[a] = append(ds[a], got[a][i:i+a.Size()])
		}
	}
	ix, err := buildBytes(&Header{Name: "f", Category: KnownBad}, ds)
	if err != nil {
		t.Fatal(err)
	}
	s, err := openBytes(ix)
	if err != nil {
		t.Fatal(err)
	}
	for a, l := range ds {
		for _, d := range l {
			if !s.Contains(a, d) {
				t.Fatalf("%s %x lost", a, d)
			}
		}
	}
}

func seedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
}

func FuzzMD5sum(f *testing.F) {
	seedFiles(f, "*sum*")
	seedFiles(f, "*.md5")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, "md5sum", b) })
}

func FuzzHashdeep(f *testing.F) {
	seedFiles(f, "hashdeep*")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, "hashdeep", b) })
}

func FuzzPlain(f *testing.F) {
	seedFiles(f, "plain*")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, "plain", b) })
}

func FuzzCSV(f *testing.F) {
	seedFiles(f, "*.csv")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, "csv", b) })
}

func FuzzNSRLText(f *testing.F) {
	seedFiles(f, "nsrl-rds2*")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, "nsrl-txt", b) })
}

func FuzzHashKeeper(f *testing.F) {
	seedFiles(f, "*.hsh")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, "hashkeeper", b) })
}

func FuzzDetect(f *testing.F) {
	seedFiles(f, "*")
	f.Fuzz(func(t *testing.T, b []byte) {
		d := detect(b)
		if d != "" {
			if _, ok := NormalizeFormat(d); !ok {
				t.Fatalf("detected unknown format %q", d)
			}
		}
		describe(b)
	})
}

func FuzzVICS(f *testing.F) {
	seedFiles(f, "*.json")
	f.Add([]byte(`{"value":[{"Media":[{"MD5":"F557D7461CBAAC8B021FC303FD7B4EFE"}]},{"AlternativeHashes":[{"HashName":"SHA1","HashValue":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		st, err := parseVICS(context.Background(), bytes.NewReader(b), "f", map[string]int64{}, func(bt *batch) error {
			for _, a := range Algorithms {
				if len(bt.d[a])%a.Size() != 0 {
					t.Fatalf("%s: partial digest", a)
				}
				n += len(bt.d[a])
			}
			return nil
		})
		if err == nil && st.records == 0 && n > 0 {
			t.Fatal("digests without records")
		}
	})
}
