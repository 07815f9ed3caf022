// Package testfixture finds the inputs the packages' tests share: the
// project's own test images (testdata/images, made by make.sh and
// make_ewf.sh) and the external corpus of documented images beside the
// project (../shared/corpus, or the folder $TRIAGE_CORPUS names). Tests that
// need the corpus skip with a clear message when it is absent.
package testfixture

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Root returns the project root: the nearest folder above the working
// directory (a package folder, under go test) that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			t.Fatal("testfixture: no go.mod above the working directory")
		}
		d = up
	}
}

// CorpusDir returns the corpus folder, or skips the test when it (its
// INDEX.md) is not there.
func CorpusDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("TRIAGE_CORPUS")
	if d == "" {
		d = filepath.Join(Root(t), "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(d, "INDEX.md")); err != nil {
		t.Skipf("corpus not found at %s (set TRIAGE_CORPUS): %v", d, err)
	}
	return d
}

// Corpus returns the path of rel inside the corpus, or skips the test when
// that image is not there.
func Corpus(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(CorpusDir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus image %s not available (set TRIAGE_CORPUS): %v", rel, err)
	}
	return p
}

// Gunzip returns the decompressed content of the gzip file at path.
func Gunzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Image returns the test image testdata/images/NAME.gz, decompressed.
func Image(t testing.TB, name string) []byte {
	t.Helper()
	return Gunzip(t, filepath.Join(Root(t), "testdata", "images", name+".gz"))
}

// ImageFile decompresses the test image testdata/images/NAME.gz into a
// temporary file named NAME and returns its path.
func ImageFile(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, Image(t, name), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Sum returns the digest that a sums file in testdata/images (md5sum or
// sha1sum output, such as ewf-fixtures.md5) lists for the file named raw.
func Sum(t testing.TB, file, raw string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), "testdata", "images", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if fs := strings.Fields(line); len(fs) == 2 && fs[1] == raw {
			return fs[0]
		}
	}
	t.Fatalf("%s: no sum for %s", file, raw)
	return ""
}
