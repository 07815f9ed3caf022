package fat

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		// The fragmented files are rebuilt by skipping the clusters of
		// the others; the rest lie in one run.
		wantRec := "contiguous"
		if strings.Contains(it.Path, "_rag") || strings.Contains(it.Path, "frag") {
			wantRec = "skip-claimed"
		}
		if it.Recovered != wantRec {
			t.Errorf("%s: recovered %q, want %q", it.Path, it.Recovered, wantRec)
		}
	}
	for p := range want {
		if !found[p] {
			t.Errorf("%s not found", p)
		}
	}
}

// sparseImage holds an image's non-zero 4 KiB blocks.
type sparseImage struct {
	size   int64
	blocks map[int64][]byte
}

func (s *sparseImage) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off+int64(n) < s.size {
		pos := off + int64(n)
		blk, in := pos/4096, pos%4096
		m := min(len(p)-n, 4096-int(in), int(s.size-pos))
		if b, ok := s.blocks[blk]; ok {
			copy(p[n:n+m], b[in:])
		} else {
			clear(p[n : n+m])
		}
		n += m
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// untarSparse reads the one file of a .tgz into a sparseImage.
func untarSparse(t testing.TB, path string) *sparseImage {
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
	tr := tar.NewReader(z)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	img := &sparseImage{size: h.Size, blocks: map[int64][]byte{}}
	buf := make([]byte, 4096)
	for blk := int64(0); ; blk++ {
		n, err := io.ReadFull(tr, buf)
		if n > 0 && !allZero(buf[:n]) {
			img.blocks[blk] = append([]byte(nil), buf[:n]...)
		}
		if err != nil {
			break
		}
	}
	return img
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readExpected parses a dfir_ntfs listing: path, tab, time.
func readExpected(t testing.TB, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		p, tm, _ := strings.Cut(l, "\t")
		m[p] = tm
	}
	return m
}

// checkExpected compares the live items with a dfir_ntfs listing. Its
// authors printed the stored local times three hours on (their zone was
// UTC+3): the times are read here in that zone's opposite and compared as
// printed.
func checkExpected(t *testing.T, items []*Item, want map[string]string) {
	t.Helper()
	got := map[string]bool{}
	for _, it := range items {
		if it.Deleted {
			continue
		}
		got[it.Path] = true
		w, ok := want[it.Path]
		if !ok {
			t.Errorf("unexpected %s", it.Path)
			continue
		}
		if s := it.Modified.Add(3*time.Hour).Format("2006-01-02+15:04:05") + ".0000000000"; s != w {
			t.Errorf("%s: modified %s, want %s", it.Path, s, w)
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("%s not found", p)
		}
	}
}

func TestFAT12Full(t *testing.T) {
	dir := testfixture.Corpus(t, "dfir_ntfs")
	img := testfixture.Gunzip(t, filepath.Join(dir, "fat12.raw.gz"))
	want := readExpected(t, filepath.Join(dir, "fat12_full_test.txt.expected"))
	fs, items, problems := walkAll(t, img, nil)
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	if fs.Type != FAT12 {
		t.Errorf("type %v, want FAT12", fs.Type)
	}
	if len(want) != 1025 {
		t.Fatalf("listing has %d paths, want 1025", len(want))
	}
	checkExpected(t, items, want)
}

func TestFAT32Full(t *testing.T) {
	dir := testfixture.Corpus(t, "dfir_ntfs")
	img := untarSparse(t, filepath.Join(dir, "fat32_full_test.tgz"))
	want := readExpected(t, filepath.Join(dir, "fat32_full_test.txt.expected"))
	fs, err := Open(img, 0, img.size, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Type != FAT32 {
		t.Errorf("type %v, want FAT32", fs.Type)
	}
	var items []*Item
	if err := fs.Walk(context.Background(), func(it *Item) error {
		items = append(items, it)
		return nil
	}, func(err error) { t.Errorf("problem: %v", err) }); err != nil {
		t.Fatal(err)
	}
	if len(want) != 269 {
		t.Fatalf("listing has %d paths, want 269", len(want))
	}
	checkExpected(t, items, want)
	long, cyrillic := false, false
	for _, it := range items {
		if len([]rune(it.Name)) == 255 {
			long = true
		}
		if it.Name == "привет.txt" {
			cyrillic = true
		}
	}
	if !long || !cyrillic {
		t.Errorf("255-character name found %v, Cyrillic name found %v", long, cyrillic)
	}
}

// TestRustFatfsFAT16 checks rust-fatfs's image against what its creation
// script wrote.
func TestRustFatfsFAT16(t *testing.T) {
	img := testfixture.Gunzip(t, testfixture.Corpus(t, "rust-fatfs/fat16.img.gz"))
	fs, items, problems := walkAll(t, img, nil)
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	if fs.Type != FAT16 || fs.Label != "Test!" || fs.Serial != 0x12345678 {
		t.Errorf("type %v label %q serial %#x, want FAT16 \"Test!\" 0x12345678", fs.Type, fs.Label, fs.Serial)
	}
	line := "Rust is cool!\n"
	want := map[string]string{
		"/long.txt":                strings.Repeat(line, 1000),
		"/short.txt":               line,
		"/very/long/path/test.txt": line,
		"/very-long-dir-name/very-long-file-name.txt": line,
		"/very":               "",
		"/very/long":          "",
		"/very/long/path":     "",
		"/very-long-dir-name": "",
	}
	got := map[string]bool{}
	for _, it := range items {
		w, ok := want[it.Path]
		if !ok || it.Deleted {
			t.Errorf("unexpected %s (deleted %v)", it.Path, it.Deleted)
			continue
		}
		got[it.Path] = true
		if it.IsDir != (w == "") {
			t.Errorf("%s: folder %v", it.Path, it.IsDir)
		}
		if it.IsDir {
			continue
		}
		b, err := io.ReadAll(fs.Open(it))
		if err != nil || string(b) != w || !it.Complete {
			t.Errorf("%s: %d bytes (err %v, complete %v), want %d", it.Path, len(b), err, it.Complete, len(w))
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("%s not found", p)
		}
	}
}
