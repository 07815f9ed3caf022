package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// Two names that differ only in a byte that is not valid UTF-8 (0xFF and
// 0xFE), which U+FFFD would show alike.
const (
	nameFF = "/Users/alice/bad\xffname.txt"
	nameFE = "/Users/alice/bad\xfename.txt"
)

func invalidNamesReport(t *testing.T) *Report {
	t.Helper()
	c := newFixtureCase(t)
	w := c.NewWriter(1, 1)
	for i, p := range []string{nameFF, nameFE} {
		err := w.AddFile(&casedb.FileRecord{Key: "invalid" + string(rune('0'+i)), Path: p, Type: "file", Size: 1, Status: "unknown",
			Complete: false, Error: "read error", ErrorOffset: -1})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return buildFixture(t, c, Options{})
}

// TestInvalidUTF8Names: in every format the two names read differently,
// the invalid byte shown as \xFF or \xFE (in HTML in a marked span), never
// as U+FFFD; DFXML also carries the exact bytes (triage:name_bytes_b64) and
// stays valid against the schema; CSV keeps them in name_bytes_b64.
func TestInvalidUTF8Names(t *testing.T) {
	r := invalidNamesReport(t)
	h := string(render(t, r, "html"))
	for _, want := range []string{
		`/Users/alice/bad<span class="rawbyte" title="byte 0xff: not valid UTF-8">\xFF</span>name.txt`,
		`/Users/alice/bad<span class="rawbyte" title="byte 0xfe: not valid UTF-8">\xFE</span>name.txt`,
	} {
		// the listing and the incomplete records table
		if n := strings.Count(h, want); n != 2 {
			t.Errorf("HTML holds %q %d times, want 2", want, n)
		}
	}
	if strings.Contains(h, "\ufffd") {
		t.Error("HTML shows U+FFFD")
	}

	// CSV: the path cells differ, the bytes column holds the names' bytes
	rows, err := csv.NewReader(bytes.NewReader(render(t, r, "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{}
	for _, row := range rows[1:] {
		cells[row[3]] = row[len(row)-1]
	}
	for path, want := range map[string]string{`/Users/alice/bad\xFFname.txt`: nameFF, `/Users/alice/bad\xFEname.txt`: nameFE} {
		b64, ok := cells[path]
		if !ok {
			t.Errorf("CSV has no path cell %q", path)
			continue
		}
		if got, _ := base64.StdEncoding.DecodeString(b64); string(got) != want {
			t.Errorf("CSV name_bytes_b64 of %q is %q, want %q", path, got, want)
		}
	}

	// DFXML: escaped text, exact bytes in an attribute of another namespace
	out := render(t, r, "dfxml")
	var doc struct {
		Files []struct {
			Filename struct {
				Text  string `xml:",chardata"`
				Bytes string `xml:"urn:triagekit:triage:dfxml:1 name_bytes_b64,attr"`
			} `xml:"filename"`
		} `xml:"fileobject"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range doc.Files {
		for text, want := range map[string]string{`Users/alice/bad\xFFname.txt`: nameFF, `Users/alice/bad\xFEname.txt`: nameFE} {
			if f.Filename.Text != text {
				continue
			}
			found++
			if got, _ := base64.StdEncoding.DecodeString(f.Filename.Bytes); "/"+string(got) != want {
				t.Errorf("DFXML name_bytes_b64 of %q is %q", text, got)
			}
		}
		if f.Filename.Bytes != "" && !strings.Contains(f.Filename.Text, `\x`) {
			t.Errorf("DFXML gives the bytes of a name it shows as it is: %q", f.Filename.Text)
		}
	}
	if found != 2 {
		t.Errorf("DFXML shows %d of the 2 names with escapes", found)
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		d := xsdDir(t)
		p := filepath.Join(t.TempDir(), "r.dfxml.xml")
		os.WriteFile(p, out, 0o644)
		if b, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join(d, "dfxml.xsd"), p).CombinedOutput(); err != nil {
			t.Errorf("xmllint: %v\n%s", err, b)
		}
	} else {
		t.Log("xmllint not installed: schema validation skipped")
	}

	// PDF: the listing and the incomplete records table
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): PDF not checked")
	}
	var b bytes.Buffer
	if err := WritePDF(context.Background(), &b, r, PDFOptions{FontDirs: []string{}}); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfText(t, b.Bytes())), "")
	for _, want := range []string{`bad\xFFname.txt`, `bad\xFEname.txt`} {
		if n := strings.Count(text, want); n != 2 {
			t.Errorf("PDF holds %q %d times, want 2", want, n)
		}
	}
}
