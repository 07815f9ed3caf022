package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/sfnt"

	"github.com/triagekit/triage/triage/casedb"
)

// TestPDFStreamedListing: the listing appended to fpdf's front matter
// makes one valid document (qpdf --check), whose pages all carry
// "page N of M" with the true M (pdfinfo), whose fonts are embedded
// subsets (pdffonts), and whose text holds every record.
func TestPDFStreamedListing(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdfinfo", "pdffonts"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (poppler-utils)", tool)
		}
	}
	c := newFixtureCase(t)
	w := c.NewWriter(1, 1)
	for i := range 300 {
		d := sums(strconv.Itoa(i))
		if err := w.AddFile(&casedb.FileRecord{Key: "s" + strconv.Itoa(i), Path: "/bulk/ünïcode-" + strconv.Itoa(i) + ".txt", Type: "file", Size: int64(i),
			MD5: d.md5, SHA1: d.sha1, SHA256: d.sha256, Status: "unknown", Complete: true}); err != nil {
			t.Fatal(err)
		}
	}
	w.Commit()
	r := buildFixture(t, c, Options{})
	var b bytes.Buffer
	if err := WritePDF(context.Background(), &b, r, PDFOptions{FontDirs: []string{}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(p, b.Bytes(), 0o644)
	if _, err := exec.LookPath("qpdf"); err == nil {
		if out, err := exec.Command("qpdf", "--check", p).CombinedOutput(); err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors") {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	} else {
		t.Log("qpdf not installed: structure not checked with qpdf")
	}
	n := pdfPages(t, b.Bytes())
	pages := strings.Split(pdfText(t, b.Bytes()), "\f")
	for i := range n {
		if !strings.Contains(pages[i], "page "+strconv.Itoa(i+1)+" of "+strconv.Itoa(n)) {
			t.Errorf("page %d lacks 'page %d of %d'", i+1, i+1, n)
		}
	}
	text := strings.Join(pages, "")
	for _, want := range []string{"/bulk/ünïcode-0.txt", "/bulk/ünïcode-299.txt", "309 records.", "end of report", sums("299").sha256} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	out, err := exec.Command("pdffonts", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "+GoMono") {
		t.Errorf("the listing's mono font is not an embedded subset:\n%s", out)
	}
}

// TestSubsetTrueType: the subset keeps the outlines of the glyphs asked
// for and empties the others, with glyph ids unchanged, as
// golang.org/x/image/font/sfnt reads it.
func TestSubsetTrueType(t *testing.T) {
	full, err := sfnt.Parse(gomono.TTF)
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	gA, _ := full.GlyphIndex(&buf, 'A')
	gZ, _ := full.GlyphIndex(&buf, 'Z')
	data, err := subsetTrueType(gomono.TTF, map[sfntGlyph]rune{gA: 'A'})
	if err != nil {
		t.Fatal(err)
	}
	if len(data) >= len(gomono.TTF)/2 {
		t.Errorf("subset of one glyph: %d of %d bytes", len(data), len(gomono.TTF))
	}
	sub, err := sfnt.Parse(data)
	if err != nil {
		t.Fatalf("the subset does not parse: %v", err)
	}
	if sub.NumGlyphs() != full.NumGlyphs() {
		t.Errorf("glyphs: %d, want %d", sub.NumGlyphs(), full.NumGlyphs())
	}
	if g, _ := sub.GlyphIndex(&buf, 'A'); g != gA {
		t.Errorf("'A' is glyph %d in the subset, %d in the font", g, gA)
	}
	segs, err := sub.LoadGlyph(&buf, gA, 1000<<6, nil)
	if err != nil || len(segs) == 0 {
		t.Errorf("'A' has no outline in the subset: %v", err)
	}
	if segs, _ := sub.LoadGlyph(&buf, gZ, 1000<<6, nil); len(segs) != 0 {
		t.Errorf("'Z' kept %d segments", len(segs))
	}
	for _, bad := range [][]byte{nil, gomono.TTF[:11], gomono.TTF[:200], gomono.TTF[:len(gomono.TTF)/2]} {
		if _, err := subsetTrueType(bad, map[sfntGlyph]rune{gA: 'A'}); err == nil {
			t.Errorf("a font cut to %d bytes is subset", len(bad))
		}
	}
}

// FuzzSubsetTrueType: any font data (a --font file) is subset or refused,
// never a panic or a hang.
func FuzzSubsetTrueType(f *testing.F) {
	var buf sfnt.Buffer
	full, _ := sfnt.Parse(gomono.TTF)
	g, _ := full.GlyphIndex(&buf, 'A')
	small, err := subsetTrueType(gomono.TTF, map[sfntGlyph]rune{g: 'A'})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small, uint16(g))
	f.Fuzz(func(t *testing.T, data []byte, g uint16) {
		_, _ = subsetTrueType(data, map[sfntGlyph]rune{sfntGlyph(g): 'x', 0: 'y'})
	})
}
