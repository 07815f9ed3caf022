package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
	"github.com/triagekit/triage/triage/image"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func render(t *testing.T, r *Report, format string) []byte {
	t.Helper()
	fn, err := rendererFor(format, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := fn(context.Background(), &b, r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

// TestGolden renders the fixed case in every text format, compares with the
// golden files, and checks the content with assertions that do not depend on
// the goldens (a regenerated golden must still pass them).
func TestGolden(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	for _, f := range []string{"html", "json", "csv", "dfxml"} {
		got := render(t, r, f)
		if again := render(t, r, f); !bytes.Equal(got, again) {
			t.Errorf("%s: two renders of the same report differ", f)
		}
		golden := filepath.Join("testdata", "golden"+Extension(f))
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./report -run TestGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s output differs from %s (inspect, then -update if the change is intended)", f, golden)
		}
	}
}

func TestHTMLContent(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	h := string(render(t, r, "html"))
	for _, want := range []string{
		testID, "2026/042", "LAB-7", "warrant 26-1187", "DC J. Brown", "Digital forensic examiner",
		sums("abc").sha256, sums("abc").md5, sums("abc").sha1, // the known-bad hit with all hashes
		sums("the whole media").sha256, // full-media hash of the item
		"NSRL RDS_2026.09.1_modern_minimal", "known (published software), not that it is benign",
		"relate only to the items examined", "Signature",
		"custody transfer", "S-1187 intact",
		"0x200", "read error at byte 0x200",
		"triage scan /evidence/usb-stick.dd --case case", // exact command line
		testTool.SHA256, testTool.Commit,
		"日本語ファイル.txt", "café résumé.txt",
		`invoice\u202Egpj.exe`, // bidi override shown, not applied
		"2026-01-01T10:30:00Z (2026-01-01T11:30:00+01:00[Europe/Berlin])", // received date in UTC and the display zone
		"Appendix A. Full file listing",
		`content: "page " counter(page) " of " counter(pages)`,
	} {
		// html/template writes "+" as "&#43;": compare the text as read
		if !strings.Contains(h, want) && !strings.Contains(html.UnescapeString(h), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Hostile names and case text never become markup.
	for _, bad := range []string{"<script", "<img", "<b>bold", "\u202E", "onerror=alert(2)>"} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML contains raw %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "&lt;b&gt;bold&lt;/b&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks escaped %q", want)
		}
	}
	// Self-contained: no scripts, no external fetches.
	if m := regexp.MustCompile(`(?i)<(script|link|iframe|object|embed|img)|<[^>]*\s(src|href)=|url\(|@import`).FindString(h); m != "" {
		t.Errorf("HTML fetches or runs something: %q", m)
	}
	// Counts: 9 records, 7 files, 1 known-bad, 2 notable, 1 known-good, 4 unknown
	s := r.Summary
	if s.Records != 9 || s.Files != 7 || s.KnownBad != 1 || s.Notable != 2 || s.KnownGood != 1 || s.Unknown != 3 ||
		s.ExtensionMismatch != 1 || s.Deleted != 1 || s.Incomplete != 1 || s.Errors != 1 {
		t.Errorf("summary %+v", s)
	}
	if len(r.Hits.Records) != 3 || r.Hits.Records[0].Path != nameScript {
		t.Errorf("hits: want the known-bad file first of 3, got %d", len(r.Hits.Records))
	}
}

func TestNoListing(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{NoListing: true})
	h := string(render(t, r, "html"))
	if strings.Contains(h, "Appendix A") {
		t.Error("--no-listing HTML has the listing")
	}
	if !strings.Contains(h, "full file listing was left out") {
		t.Error("--no-listing HTML does not say the listing was left out")
	}
	// CSV always holds the listing
	rows, err := csv.NewReader(bytes.NewReader(render(t, r, "csv"))).ReadAll()
	if err != nil || len(rows) != 1+len(fixtureFiles) {
		t.Errorf("csv: %d rows, %v", len(rows), err)
	}
}

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"/a=b": "/a=b", "": "", "plain": "plain", "'quoted": "'quoted",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSV(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	raw := render(t, r, "csv")
	if !bytes.Contains(raw, []byte("\r\n")) || bytes.Count(raw, []byte("\r\n")) != 1+len(fixtureFiles) {
		t.Errorf("CSV lines do not end in CRLF (RFC 4180)")
	}
	rd := csv.NewReader(bytes.NewReader(raw))
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(fixtureFiles) {
		t.Fatalf("%d rows, want %d", len(rows), 1+len(fixtureFiles))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, row := range rows[1:] {
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q (%s) starts with a formula character", cell, rows[0][i])
			}
		}
		if row[col["exhibit"]] != "'"+exhibitID {
			t.Errorf("exhibit %q, want neutralised %q", row[col["exhibit"]], "'"+exhibitID)
		}
		if row[col["report_id"]] != testID {
			t.Errorf("report id %q", row[col["report_id"]])
		}
	}
	found := false
	for _, row := range rows[1:] {
		if row[col["path"]] == "'"+nameFormula {
			found = true
			if row[col["sha256"]] != sums("formula").sha256 {
				t.Errorf("sha256 of the formula file %q", row[col["sha256"]])
			}
		}
		if row[col["path"]] == nameScript && (row[col["md5"]] != sums("abc").md5 || row[col["status"]] != "known-bad") {
			t.Errorf("known-bad row %q", row)
		}
	}
	if !found {
		t.Error("the file named like a formula is not neutralised in the path column")
	}
}

func TestJSON(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	var doc struct {
		SchemaVersion int             `json:"schema_version"`
		Report        json.RawMessage `json:"report"`
		Files         []map[string]any
	}
	if err := json.Unmarshal(render(t, r, "json"), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != SchemaVersion || len(doc.Files) != len(fixtureFiles) {
		t.Fatalf("schema %d, %d files", doc.SchemaVersion, len(doc.Files))
	}
	var rep Report
	if err := json.Unmarshal(doc.Report, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.ID != testID || rep.Summary.KnownBad != 1 || len(rep.Custody.Events) != 4 || !rep.Custody.Intact || rep.Case.CaseNumber != "2026/042" {
		t.Errorf("report: id %q, known-bad %d, %d events", rep.ID, rep.Summary.KnownBad, len(rep.Custody.Events))
	}
	if doc.Files[2]["path"] != nameScript || doc.Files[2]["sha256"] != sums("abc").sha256 {
		t.Errorf("file 2: %v", doc.Files[2])
	}
}

// xsdDir makes a folder with the DFXML schema and the two small schemas it
// imports (Dublin Core elements and the xml: attributes), which the shared
// copy of the schema does not carry. Both are checked laxly by the schema.
func xsdDir(t *testing.T) string {
	src := os.Getenv("TRIAGE_SHARED")
	if src == "" {
		src = filepath.Join("..", "..", "shared")
	}
	xsd, err := os.ReadFile(filepath.Join(src, "specs", "dfxml.xsd"))
	if err != nil {
		t.Skipf("DFXML schema not found (%v); set TRIAGE_SHARED", err)
	}
	d := t.TempDir()
	os.MkdirAll(filepath.Join(d, "ref"), 0o755)
	os.WriteFile(filepath.Join(d, "dfxml.xsd"), xsd, 0o644)
	os.WriteFile(filepath.Join(d, "ref", "dc.xsd"), []byte(`<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://purl.org/dc/elements/1.1/" elementFormDefault="qualified">
  <xs:element name="type" type="xs:string"/><xs:element name="identifier" type="xs:string"/><xs:element name="title" type="xs:string"/>
</xs:schema>`), 0o644)
	os.WriteFile(filepath.Join(d, "ref", "xml.xsd"), []byte(`<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:language"/>
</xs:schema>`), 0o644)
	return d
}

func TestDFXML(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	out := render(t, r, "dfxml")
	// well-formed, with one fileobject per record and the digests of "abc"
	var doc struct {
		XMLName xml.Name `xml:"dfxml"`
		Version string   `xml:"version,attr"`
		Creator struct {
			Program string `xml:"program"`
			Env     struct {
				CommandLine string `xml:"command_line"`
				StartTime   string `xml:"start_time"`
			} `xml:"execution_environment"`
		} `xml:"creator"`
		Files []struct {
			Filename string `xml:"filename"`
			Hashes   []struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"hashdigest"`
		} `xml:"fileobject"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != DFXMLVersion || doc.Creator.Program != "triage" || doc.Creator.Env.StartTime != "2026-01-02T15:04:05Z" ||
		!strings.Contains(doc.Creator.Env.CommandLine, "triage report") || len(doc.Files) != len(fixtureFiles) {
		t.Fatalf("dfxml: %+v", doc.Creator)
	}
	f := doc.Files[2]
	abc := sums("abc")
	if f.Filename != strings.TrimPrefix(nameScript, "/") || len(f.Hashes) != 3 || f.Hashes[0].Type != "md5" || f.Hashes[0].Value != abc.md5 ||
		f.Hashes[1].Type != "sha1" || f.Hashes[1].Value != abc.sha1 || f.Hashes[2].Type != "sha256" || f.Hashes[2].Value != abc.sha256 {
		t.Errorf("fileobject 2: %+v", f)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed: schema validation skipped")
	}
	d := xsdDir(t)
	p := filepath.Join(t.TempDir(), "r.dfxml.xml")
	os.WriteFile(p, out, 0o644)
	if b, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join(d, "dfxml.xsd"), p).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, b)
	}
	// and a fileobject out of schema order is rejected: the check can fail
	bad := bytes.Replace(out, []byte("<name_type>r</name_type>\n    <filesize>3</filesize>"), []byte("<filesize>3</filesize>\n    <name_type>r</name_type>"), 1)
	os.WriteFile(p, bad, 0o644)
	if err := exec.Command(xmllint, "--noout", "--schema", filepath.Join(d, "dfxml.xsd"), p).Run(); err == nil {
		t.Error("xmllint accepted a fileobject with children out of order")
	}
}

func TestXMLSafe(t *testing.T) {
	if got := xesc("a\x01b<&>\u202E"); got != `a\u0001b&lt;&amp;&gt;`+"\u202E" {
		t.Errorf("xesc: %q", got)
	}
}

func TestBrokenChain(t *testing.T) {
	c := newFixtureCase(t)
	p := filepath.Join(c.Dir, custody.FileName)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte("S-1187 intact"), []byte("S-1187 broken"), 1), 0o644)
	_, err := Build(context.Background(), c, Options{ID: testID, Now: testNow, Tool: &testTool})
	if !errors.Is(err, ErrBrokenChain) || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("Build over a broken chain: %v, want ErrBrokenChain naming line 4", err)
	}
	r := buildFixture(t, c, Options{AllowBrokenChain: true})
	h := string(render(t, r, "html"))
	i := strings.Index(h, "WARNING: the custody log of this case is broken")
	if i < 0 || i > strings.Index(h, `id="case"`) {
		t.Error("the broken chain warning is not at the top of the report")
	}
	if r.Manifest(nil).Custody.Intact {
		t.Error("manifest says the chain is intact")
	}
}

func TestNoScans(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "empty")
	c, _, err := casedb.OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	custody.Append(dir, custody.Event{Action: custody.ActionCaseCreated}, custody.Options{})
	r, err := Build(context.Background(), c, Options{ID: testID, Now: testNow, Tool: &testTool})
	if err != nil {
		t.Fatal(err)
	}
	if !r.NoScans {
		t.Error("NoScans not set")
	}
	for _, f := range []string{"html", "pdf", "json", "csv", "dfxml"} {
		out := render(t, r, f)
		if f == "html" && !strings.Contains(string(out), "No evidence has been scanned in this case") {
			t.Error("HTML of an empty case does not say so")
		}
		if f == "csv" && strings.Count(string(out), "\r\n") != 1 {
			t.Error("CSV of an empty case has rows")
		}
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		formats []string
		out     string
		want    []string
		man     string
		err     bool
	}{
		{[]string{"html"}, "r.html", []string{"r.html"}, "r.manifest.json", false},
		{[]string{"html"}, "r", []string{"r.html"}, "r.manifest.json", false},
		{[]string{"pdf", "html", "pdf"}, "out/rep", []string{"out/rep.html", "out/rep.pdf"}, "out/rep.manifest.json", false},
		{[]string{"dfxml"}, "x.xml", []string{"x.dfxml.xml"}, "x.manifest.json", false},
		{[]string{"csv", "json"}, "a.csv", []string{"a.json", "a.csv"}, "a.manifest.json", false},
		{[]string{"docx"}, "a", nil, "", true},
		{nil, "a", nil, "", true},
		{[]string{"html"}, "", nil, "", true},
	} {
		outs, man, err := Plan(tc.formats, tc.out)
		if (err != nil) != tc.err {
			t.Errorf("Plan(%v, %q): %v", tc.formats, tc.out, err)
			continue
		}
		var got []string
		for _, o := range outs {
			got = append(got, o.Path)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") || man != tc.man {
			t.Errorf("Plan(%v, %q) = %v %q, want %v %q", tc.formats, tc.out, got, man, tc.want, tc.man)
		}
	}
}

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{"a\u202Eb": `a\u202Eb`, "x\ny": `x\u000Ay`, "日本": "日本", "a\u200Bb": `a\u200Bb`} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

func pdfText(t *testing.T, pdf []byte, args ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(p, pdf, 0o644)
	out, err := exec.Command("pdftotext", append(args, p, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func pdfPages(t *testing.T, pdf []byte) int {
	p := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(p, pdf, 0o644)
	out, err := exec.Command("pdfinfo", p).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("pdfinfo gives no page count:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): PDF content not checked")
	}
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	var b bytes.Buffer
	if err := WritePDF(context.Background(), &b, r, PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	n := pdfPages(t, b.Bytes())
	text := pdfText(t, b.Bytes())
	// the report id and "page i of n" on every page
	pages := strings.Split(text, "\f")
	if len(pages) < n {
		t.Fatalf("%d pages of text for %d pages", len(pages), n)
	}
	for i := 0; i < n; i++ {
		if !strings.Contains(pages[i], "Report ID "+testID) || !strings.Contains(pages[i], "page "+strconv.Itoa(i+1)+" of "+strconv.Itoa(n)) {
			t.Errorf("page %d lacks the report id or 'page %d of %d'", i+1, i+1, n)
		}
	}
	for _, want := range []string{"café résumé.txt", `invoice\u202Egpj.exe`, "2026/042", "warrant 26-1187", "relate only to the items examined"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(text), ""), sums("abc").sha256) {
		t.Error("PDF lacks the SHA-256 of the known-bad file")
	}
	if f := (&pdfWriter{opts: PDFOptions{}}).findFallback("日本語"); f == nil {
		t.Log("no system font covers Japanese: checking the \\u escapes instead (install fonts-ipafont-gothic)")
		if !strings.Contains(text, `\u65E5\u672C\u8A9E`) {
			t.Error("PDF lacks the escaped Japanese name")
		}
	} else if !strings.Contains(text, "日本語ファイル.txt") {
		t.Error("PDF lacks the Japanese file name")
	}
}

func TestPDFEscapesWithoutFallbackFont(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils)")
	}
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	var b bytes.Buffer
	if err := WritePDF(context.Background(), &b, r, PDFOptions{FontDirs: []string{}}); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes())
	text = strings.Join(strings.Fields(text), "")
	if !strings.Contains(text, `/Users/alice/\u65E5\u672C\u8A9E\u30D5\u30A1\u30A4\u30EB.txt`) {
		t.Error("without a CJK font the Japanese name is not printed as \\u escapes")
	}
}

// TestPDFManyPages checks that a long listing breaks across pages with the
// table header repeated.
func TestPDFManyPages(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils)")
	}
	c := newFixtureCase(t)
	w := c.NewWriter(1, 1)
	for i := 0; i < 400; i++ {
		d := sums(strconv.Itoa(i))
		if err := w.AddFile(&casedb.FileRecord{Key: "k" + strconv.Itoa(i), Path: "/bulk/file-" + strconv.Itoa(i) + ".txt", Type: "file", Size: 1,
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
	n := pdfPages(t, b.Bytes())
	text := pdfText(t, b.Bytes())
	if n < 8 {
		t.Errorf("%d pages for 409 listing rows", n)
	}
	if h := strings.Count(text, "SHA-256 · MD5"); h < n-5 {
		t.Errorf("listing header repeated on %d pages of %d", h, n)
	}
	if !strings.Contains(text, "/bulk/file-399.txt") || !strings.Contains(text, "409 records.") {
		t.Error("the end of the listing is missing")
	}
}

var _ = io.Discard

func TestMetadataLabels(t *testing.T) {
	l := labeler{image.MetadataLabel} // as the report workflow sets it
	for k, want := range map[string]string{
		"segments[1].path":                     "Image segment 2",
		"segments.path":                        "Image segment",
		"ewf.media.sector_count":               "E01 media: sector count",
		"ewf.acquisition.acquisition_date_raw": "E01 header: acquired (as stored)",
		"ewf.acquisition.some_new_field":       "E01 header: some new field",
		"media_hashes.sha1":                    "Media SHA-1 (computed)",
		"vendor.thing_raw":                     "Vendor: thing (as stored)",
	} {
		if got := l.metaLabel(k); got != want {
			t.Errorf("metaLabel(%q) = %q, want %q", k, got, want)
		}
	}
	// JSON numbers decode as float64; sizes must not print as 1.048576e+07.
	for v, want := range map[float64]string{10485760: "10485760", 0.5: "0.5", -3: "-3"} {
		if got := metaString(v); got != want {
			t.Errorf("metaString(%v) = %q, want %q", v, got, want)
		}
	}
	_, ver, _ := l.splitMetadata(map[string]any{"image_verification": map[string]any{
		"verdict": "MISMATCH", "at": "2026-01-02T03:04:05Z",
		"comparisons": []any{map[string]any{"algorithm": "md5", "source": "hash section", "value": "aa", "computed": "bb", "match": false}},
	}})
	want := []KV{{"Image verification", "MISMATCH"}, {"MD5 stored (hash section) / computed", "aa / bb: MISMATCH"}, {"Verified at", "2026-01-02T03:04:05Z"}}
	if fmt.Sprint(ver) != fmt.Sprint(want) {
		t.Errorf("verification rows %v, want %v", ver, want)
	}
}
