package report

import (
	"bytes"
	"context"
	"html"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestOneTimeFormat: every time the HTML and PDF show is ISO 8601 in UTC
// ("…Z"), followed by the display zone's time in brackets (the fixture's
// zone is Europe/Berlin, one hour ahead in winter): never the old
// "2006-01-02 15:04:05 UTC" or a zone abbreviation.
func TestOneTimeFormat(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	texts := map[string]string{"html": htmlText(string(render(t, r, "html")))}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		var b bytes.Buffer
		if err := WritePDF(context.Background(), &b, r, PDFOptions{}); err != nil {
			t.Fatal(err)
		}
		// a time in a narrow column breaks before its zone's bracket
		texts["pdf"] = strings.ReplaceAll(strings.Join(strings.Fields(pdfText(t, b.Bytes())), " "), " [", "[")
	} else {
		t.Log("pdftotext not installed (poppler-utils): PDF not checked")
	}
	old := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?|\bUTC \(|\b(CET|CEST|GMT)\b`)
	for format, text := range texts {
		for _, want := range []string{
			"2026-01-02T15:04:05Z (2026-01-02T16:04:05+01:00[Europe/Berlin])", // generated
			"2026-01-02T09:00:00Z (2026-01-02T10:00:00+01:00[Europe/Berlin])", // case created
			"2026-01-01T10:30:00Z (2026-01-01T11:30:00+01:00[Europe/Berlin])", // exhibit received
			"2026-01-02T09:11:05Z (2026-01-02T10:11:05+01:00[Europe/Berlin])", // the transfer
			"M 2025-12-24T18:30:00Z", // file times: UTC
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", format, want)
			}
		}
		if m := old.FindString(text); m != "" {
			t.Errorf("%s holds a time in another format: %q", format, m)
		}
	}
}

// htmlText returns the text of an HTML document: tags removed, entities
// decoded, white space folded.
func htmlText(h string) string {
	h = regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`).ReplaceAllString(h, " ")
	return strings.Join(strings.Fields(html.UnescapeString(h)), " ")
}
