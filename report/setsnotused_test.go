package report

import (
	"bytes"
	"context"
	"html"
	"os/exec"
	"strings"
	"testing"
)

// TestHashSetsNotUsed: of a library holding the fixture's three sets used
// (fixture_test.go), one set no scan used and one damaged set, the report
// names the unused and the damaged, on page 1 and in section 7, in JSON,
// HTML and PDF.
func TestHashSetsNotUsed(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{Library: []LibrarySet{
		{Name: "NSRL RDS_2026.09.1_modern_minimal", Category: "known-good"}, {Name: "VIC sample", Category: "known-bad"},
		{Name: "Watch list", Category: "notable"}, {Name: "Old list", Category: "notable"},
		{Name: "Seized 2025", Problem: "hashset: index is truncated or corrupted: header checksum mismatch at byte 0x26c"},
	}})
	if len(r.HashSetsNotUsed) != 2 || r.HashSetsNotUsed[0].Name != "Old list" || r.HashSetsNotUsed[1].Name != "Seized 2025" {
		t.Fatalf("not used: %+v", r.HashSetsNotUsed)
	}
	want := []string{
		`Hash sets not used: 1 set of the hash-set library was used by no scan of this case: "Old list" (notable). A file they hold is reported as "unknown" here.`,
		`Hash set "Seized 2025" of the hash-set library cannot be used now: hashset: index is truncated or corrupted: header checksum mismatch at byte 0x26c.`,
	}
	ne := strings.Join(r.NotExamined, "\n")
	for _, w := range want {
		if !strings.Contains(ne, w) {
			t.Errorf("not examined lacks %q:\n%s", w, ne)
		}
	}
	if !strings.Contains(string(render(t, r, "json")), `"hash_sets_not_used": [`) {
		t.Error("JSON lacks hash_sets_not_used")
	}
	h := html.UnescapeString(htmlText(string(render(t, r, "html"))))
	for _, w := range want {
		if strings.Count(h, w) != 2 { // page 1 and section 7
			t.Errorf("HTML holds %q %d times, want 2", w, strings.Count(h, w))
		}
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): PDF not checked")
	}
	var b bytes.Buffer
	if err := WritePDF(context.Background(), &b, r, PDFOptions{FontDirs: []string{}}); err != nil {
		t.Fatal(err)
	}
	p1 := strings.Join(strings.Fields(pdfText(t, b.Bytes(), "-f", "1", "-l", "2")), " ")
	if !strings.Contains(p1, `"Old list" (notable)`) || !strings.Contains(p1, `Hash set "Seized 2025" of the hash-set library cannot be used now`) {
		t.Errorf("the PDF's first pages lack the sets not used:\n%s", p1)
	}

	// without a library listing, nothing is said of unused sets
	r = buildFixture(t, c, Options{})
	if strings.Contains(strings.Join(r.NotExamined, "\n"), "Hash set") {
		t.Errorf("sets not used named without a library: %v", r.NotExamined)
	}
	r = buildFixture(t, c, Options{LibraryError: "permission denied"})
	if !strings.Contains(strings.Join(r.NotExamined, "\n"), "the hash-set library could not be read (permission denied)") {
		t.Errorf("a library that cannot be read is not named: %v", r.NotExamined)
	}
}
