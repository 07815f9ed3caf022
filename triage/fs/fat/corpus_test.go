package fat

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// walkAll opens an image and collects its items and problems.
func walkAll(t testing.TB, img []byte, opts *Options) (*FS, []*Item, []error) {
	t.Helper()
	fs, err := Open(bytes.NewReader(img), 0, int64(len(img)), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var items []*Item
	var problems []error
	if err := fs.Walk(context.Background(), func(it *Item) error {
		items = append(items, it)
		return nil
	}, func(err error) { problems = append(problems, err) }); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return fs, items, problems
}

func md5Of(t testing.TB, fs *FS, it *Item) string {
	t.Helper()
	h := md5.New()
	if _, err := io.Copy(h, fs.Open(it)); err != nil {
		t.Fatalf("%s: %v", it.Path, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func unzipOne(t testing.TB, path, name string) []byte {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name == name || len(f.Name) > len(name) && f.Name[len(f.Name)-len(name)-1:] == "/"+name {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s holds no %s", path, name)
	return nil
}

// TestDFTT6 checks the deleted files of DFTT #6 against the names and MD5s
// its page documents.
func TestDFTT6(t *testing.T) {
	img := unzipOne(t, testfixture.Corpus(t, "dftt/6-undel-fat.zip"), "6-fat-undel.dd")
	fs, items, problems := walkAll(t, img, nil)
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	if fs.Type != FAT16 {
		t.Errorf("type %v, want FAT16", fs.Type)
	}
	// The documented names and correct MD5s. The entries have no long
	// names: the lost first character shows as "_", as in the Sleuth Kit.
	want := map[string]string{
		"/_ing.dat":            "59b20779f69ff9f0ac5fcd2c38835a79",
		"/_ult1.dat":           "ffd27bd782bdce67750b6b9ee069d2ef",
		"/_rag1.dat":           "7a3bc5b763bef201202108f4ba128149",
		"/_rag2.dat":           "0e80ab84ef0087e60dfc67b88a1cf13e",
		"/_ir1/mult2.dat":      "59cf0e9cd107bc1e75afb7374f6e05bb",
		"/_ir1/dir2/frag3.dat": "21121699487f3fbbdb9a4b3391b6d3e0",
		"/_ir1":                "",
		"/_ir1/dir2":           "",
	}
	found := map[string]bool{}
	for _, it := range items {
		t.Logf("%s del=%v dir=%v size=%d entry=%#x first=%d complete=%v %q rec=%q", it.Path, it.Deleted, it.IsDir, it.Size, it.Entry, it.FirstCluster, it.Complete, it.Incomplete, it.Recovered)
		sum, ok := want[it.Path]
		if !ok {
			continue
		}
		found[it.Path] = true
		if !it.Deleted {
			t.Errorf("%s: not deleted", it.Path)
		}
		if it.IsDir {
			continue
		}
		if !it.Complete {
			t.Errorf("%s: incomplete: %s", it.Path, it.Incomplete)
		}
		if got := md5Of(t, fs, it); got != sum {
			t.Errorf("%s: MD5 %s, want %s (recovered %q)", it.Path, got, sum, it.Recovered)
		}
	}
	for p := range want {
		if !found[p] {
			t.Errorf("%s not found", p)
		}
	}
}
