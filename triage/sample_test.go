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
	if files != 11 {
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
		"/Downloads/photo.hmm":   {"image/jpeg", true},
		"/Downloads/report.dat":  {"application/vnd.microsoft.portable-executable", true},
	}
	for p, w := range want {
		r := recs[p]
		if r == nil || r.MIME != w.mime || r.ExtensionMismatch != w.mismatch {
			t.Errorf("%s: %+v, want %+v", p, r, w)
		}
	}
	// The reason names the content type and the extension (see
	// docs/classification.md).
	for p, why := range map[string]string{
		"/Downloads/photo.hmm":   "content is image/jpeg; .hmm is not one of its extensions",
		"/Downloads/report.dat":  "content is application/vnd.microsoft.portable-executable; .dat is not one of its extensions",
		"/Pictures/invoice.jpg":  "content is application/vnd.microsoft.portable-executable; .jpg is not one of its extensions",
		"/Documents/archive.png": "content is application/zip; .png is not one of its extensions",
	} {
		if r := recs[p]; r == nil || r.Extra["mismatch_reason"] != why {
			t.Errorf("%s: reason %v, want %q", p, r.Extra, why)
		}
	}
	for _, r := range recs {
		if _, ok := r.Extra["mismatch_reason"]; ok != r.ExtensionMismatch {
			t.Errorf("%s: mismatch %v, extra %v", r.Path, r.ExtensionMismatch, r.Extra)
		}
	}
	if e := recs["/Downloads/blob.bin"].Entropy; e == nil || *e < 7.99 {
		t.Errorf("random blob entropy %v, want ~8", e)
	}
}
