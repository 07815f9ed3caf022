package triage

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSampleGolden scans the bundled sample evidence and checks it against
// testdata/sample.{md5,sha1,sha256}sums, written by coreutils' md5sum,
// sha1sum and sha256sum (regenerate them with those tools, never with
// triage), and against the documented nature of each sample file (see
// testdata/gensample.go).
func TestSampleGolden(t *testing.T) {
	root := filepath.Join("..", "testdata", "sample")
	c := newCase(t)
	res := scanTree(t, c, root, Options{})
	recs := records(t, c, res.EvidenceID)
	files := 0
	for _, alg := range []string{"md5", "sha1", "sha256"} {
		f, err := os.Open(filepath.Join("..", "testdata", "sample."+alg+"sums"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			sum, name, _ := strings.Cut(sc.Text(), "  ")
			r := recs["/"+strings.TrimPrefix(name, "./")]
			if r == nil {
				t.Errorf("%s not recorded", name)
				continue
			}
			got := map[string]string{"md5": r.MD5, "sha1": r.SHA1, "sha256": r.SHA256}[alg]
			if got != sum {
				t.Errorf("%s %s = %s, coreutils says %s", name, alg, got, sum)
			}
			n++
		}
		f.Close()
		files = n
	}
	if files != 9 {
		t.Errorf("golden lists %d files", files)
	}
	want := map[string]struct {
		mime     string
		mismatch bool
	}{
		"/Pictures/holiday.jpg":  {"image/jpeg", false},
		"/Pictures/logo.png":     {"image/png", false},
		"/Pictures/invoice.jpg":  {"application/vnd.microsoft.portable-executable", true},
		"/Documents/notes.txt":   {"text/plain", false},
		"/Documents/report.docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", false},
		"/Documents/archive.png": {"application/zip", true},
		"/Downloads/blob.bin":    {"application/octet-stream", false},
		"/Downloads/empty.dat":   {"application/x-empty", false},
		"/Downloads/page.html":   {"text/html", false},
	}
	for p, w := range want {
		r := recs[p]
		if r == nil || r.MIME != w.mime || r.ExtensionMismatch != w.mismatch {
			t.Errorf("%s: %+v, want %+v", p, r, w)
		}
	}
	if e := recs["/Downloads/blob.bin"].Entropy; e == nil || *e < 7.99 {
		t.Errorf("random blob entropy %v, want ~8", e)
	}
}
