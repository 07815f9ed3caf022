package report

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// The mismatch section groups by detected type and shows each record's
// reason, in HTML and PDF.
func TestMismatchSectionGroups(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	rec := func(path, mime, why string) *casedb.FileRecord {
		return &casedb.FileRecord{Evidence: 1, Path: path, Type: casedb.TypeFile, MIME: mime, ExtensionMismatch: true,
			Extra: map[string]any{"mismatch_reason": why}}
	}
	const pe = "application/vnd.microsoft.portable-executable"
	r.Mismatches = Section{Total: 3, Records: []*casedb.FileRecord{
		rec("/report.dat", pe, "content is "+pe+"; .dat is not one of its extensions"),
		rec("/photo.hmm", "image/jpeg", "content is image/jpeg; .hmm is not one of its extensions"),
		rec("/invoice.jpg", pe, "content is "+pe+"; .jpg is not one of its extensions"),
	}}
	g := r.Mismatches.ByType()
	// types in alphabetical order, records in the section's order
	if len(g) != 2 || g[1].MIME != "image/jpeg" || len(g[1].Records) != 1 || g[0].MIME != pe ||
		len(g[0].Records) != 2 || g[0].Records[0].Path != "/report.dat" {
		t.Fatalf("groups %+v", g)
	}
	h := string(render(t, r, "html"))
	sec := h[strings.Index(h, `id="mismatch"`):]
	sec = sec[:strings.Index(sec, "</table>")]
	order := regexp.MustCompile(`Detected type application/vnd\.microsoft\.portable-executable \(2\).*\n.*/report\.dat.*\.dat is not one of its extensions.*\n.*/invoice\.jpg.*\n` +
		`.*Detected type image/jpeg \(1\).*\n.*/photo\.hmm.*content is image/jpeg; \.hmm is not one of its extensions`)
	if !order.MatchString(sec) {
		t.Errorf("HTML mismatch section:\n%s", sec)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed: PDF not checked")
	}
	txt := strings.Join(strings.Fields(pdfText(t, render(t, r, "pdf"))), " ")
	for _, want := range []string{"Detected type image/jpeg (1)", "Detected type " + pe + " (2)", ".hmm is not one of its extensions"} {
		if !strings.Contains(txt, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
}
