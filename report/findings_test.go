package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// TestFindingsGolden checks the first-page summary in the committed
// goldens against the fixture's known content (fixture_test.go): one
// known-bad file (set "VIC sample"), two notable ones ("Watch list"), one
// extension mismatch, one deleted entry, one incomplete record, one error;
// a raw image whose unallocated space no scan searches.
func TestFindingsGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Report struct {
			Findings    Findings `json:"findings"`
			NotExamined []string `json:"not_examined"`
			Limitations []string `json:"limitations"`
		} `json:"report"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	found := strings.Join(g.Report.Findings.Found, "\n")
	for _, want := range []string{"1 known-bad file and 2 notable files", "VIC sample: 1", "Watch list: 2",
		"1 file whose extension contradicts", "1 deleted entry", "1 record incomplete", "1 problem recorded"} {
		if !strings.Contains(found, want) {
			t.Errorf("golden findings lack %q:\n%s", want, found)
		}
	}
	if len(g.Report.Findings.Examined) != 1 || !strings.Contains(g.Report.Findings.Examined[0], "/evidence/usb-stick.dd") {
		t.Errorf("golden examined: %v", g.Report.Findings.Examined)
	}
	ne := strings.Join(g.Report.NotExamined, "\n")
	if !strings.Contains(ne, "unallocated space and file slack were not searched") || !strings.Contains(ne, "Archives") {
		t.Errorf("golden not examined: %s", ne)
	}
	// every not-examined item stands in the limitations too
	lim := strings.Join(g.Report.Limitations, "\n")
	for _, l := range g.Report.NotExamined {
		if !strings.Contains(lim, l) {
			t.Errorf("limitations lack %q", l)
		}
	}
	h, err := os.ReadFile(filepath.Join("testdata", "golden.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(h)
	gl, cs := strings.Index(html, "Findings at a glance"), strings.Index(html, "1. Case</h2>")
	if gl < 0 || cs < 0 || gl > cs || !strings.Contains(html[gl:cs], "What was not examined") || !strings.Contains(html[gl:cs], "unallocated space") {
		t.Errorf("golden HTML: findings at a glance missing or not before the case section")
	}
	if strings.Contains(html, "No limitations were recorded") {
		t.Error(`golden HTML says "No limitations were recorded" while the unallocated space was not searched`)
	}
	if strings.Contains(html, " MB (") || !strings.Contains(html, "1.0 MiB (1,048,576 bytes)") {
		t.Error("golden HTML does not give sizes in IEC units")
	}
}

// TestNotExaminedVolumes: volumes of an item that hold no record are
// listed as not examined, with the reason, and never "no limitations".
func TestNotExaminedVolumes(t *testing.T) {
	c := newFixtureCase(t)
	ctx := context.Background()
	for _, v := range []casedb.Volume{
		{Index: 7, Offset: 1 << 20, Length: 8 << 20, Type: "Linux LVM"},
		{Index: 8, Offset: 9 << 20, Length: 4 << 20, Type: "Linux", FS: "ext4"},
		{Index: 1, Offset: 0, Length: 1 << 20, Type: "FAT32", FS: "fat"}, // holds the fixture's records
	} {
		if err := c.AddVolume(ctx, 1, v); err != nil {
			t.Fatal(err)
		}
	}
	r := buildFixture(t, c, Options{})
	ne := strings.Join(r.NotExamined, "\n")
	for _, want := range []string{"volume 7 (Linux LVM, 8.0 MiB (8,388,608 bytes) at byte 1048576): not examined: no supported file system was found in it",
		"volume 8 (Linux, 4.0 MiB (4,194,304 bytes) at byte 9437184): not examined: its file system (ext4) was not read"} {
		if !strings.Contains(ne, want) {
			t.Errorf("not examined lacks %q:\n%s", want, ne)
		}
	}
	if strings.Contains(ne, "volume 1 ") {
		t.Errorf("the volume holding records is listed as not examined:\n%s", ne)
	}
}

// TestPDFFirstPage: page 1 of the PDF (pdftotext) holds the findings
// summary with what was not examined.
func TestPDFFirstPage(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): PDF content not checked")
	}
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	var b bytes.Buffer
	if err := WritePDF(context.Background(), &b, r, PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	p1 := strings.Join(strings.Fields(pdfText(t, b.Bytes(), "-f", "1", "-l", "1")), " ")
	for _, want := range []string{"Findings at a glance", "What was examined", "What was found", "What was not examined",
		"1 known-bad file and 2 notable files", "unallocated space and file slack were not searched"} {
		if !strings.Contains(p1, want) {
			t.Errorf("page 1 lacks %q:\n%s", want, p1)
		}
	}
}

// TestHashSetRows: the provenance a scan records (casework.UseDetails,
// as decoded from the case) reads as labelled rows, one per digest, with
// no raw keys.
func TestHashSetRows(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	var raw map[string]any
	json.Unmarshal([]byte(`{"description":"seized set","sources":[{"name":"bad.md5","sha256":"`+strings.Repeat("ab", 32)+`","size":2048,"format":"md5sum","records":3,"malformed":1}],
		"counts":{"md5":3,"sha1":0,"sha256":2},"index_sha256":"`+strings.Repeat("cd", 32)+`","built_in":false,"tool":"triage 1.4.0","index_format_version":1,"imported":"2026-01-02T09:00:00Z"}`), &raw)
	rows := r.HashSetRows(HashSet{Name: "seized", Category: "known-bad", Meaning: Meaning("known-bad"), raw: raw})
	var text []string
	for _, row := range rows {
		text = append(text, row.Label+" = "+row.Value)
		if strings.Contains(row.Label, ".") || strings.Contains(row.Label, "_") {
			t.Errorf("raw key as label: %q", row.Label)
		}
	}
	got := strings.Join(text, "\n")
	for _, want := range []string{
		"Category and what a match means = Known-bad: a match means",
		"Description = seized set",
		"Source file = bad.md5 (md5sum format, 2.0 KiB (2,048 bytes), 3 entries read, 1 malformed line skipped)",
		"Source file SHA-256 = " + strings.Repeat("ab", 32),
		"Entries per digest = MD5: 3, SHA-1: 0, SHA-256: 2",
		"Imported = 2026-01-02T09:00:00Z (2026-01-02T10:00:00+01:00[Europe/Berlin]) by triage 1.4.0",
		"Index SHA-256 = " + strings.Repeat("cd", 32),
		"Index format version = 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rows lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Built into triage") {
		t.Errorf("a false flag is shown:\n%s", got)
	}
}

// TestMatchedOn: a hit names the digest that matched: the digests the
// record has that the set holds entries of.
func TestMatchedOn(t *testing.T) {
	r := &Report{HashSets: []HashSet{
		{Name: "md5 only", raw: map[string]any{"counts": map[string]any{"md5": 3.0, "sha1": 0.0, "sha256": 0.0}}},
		{Name: "both", raw: map[string]any{"counts": map[string]any{"md5": 3.0, "sha256": 2.0}}},
		{Name: "no counts"},
	}}
	f := &casedb.FileRecord{MD5: "aa", SHA256: "bb", Hashsets: []string{"md5 only", "both", "no counts"}}
	got := matchedOn(f, r.setDigests())
	if want := "md5 only (matched on MD5), both (matched on MD5 or SHA-256), no counts"; got != want {
		t.Errorf("matchedOn = %q, want %q", got, want)
	}
}

// TestPDFListingDigests: in the PDF listing (pdftotext -layout) every
// digest stands whole on one line after its label, as md5sum and
// sha256sum compute them.
func TestPDFListingDigests(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): PDF content not checked")
	}
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	var b bytes.Buffer
	if err := WritePDF(context.Background(), &b, r, PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes(), "-layout")
	for _, content := range []string{"abc", "日本", "formula"} {
		d := sums(content)
		for _, want := range []string{`SHA-256\s+` + d.sha256, `MD5\s+` + d.md5, `SHA-1\s+` + d.sha1} {
			// the hits section and the listing: every occurrence whole
			if n := len(regexp.MustCompile(want).FindAllString(text, -1)); n == 0 {
				t.Errorf("PDF lacks the line %q", want)
			}
		}
		for _, h := range []string{d.sha256, d.md5, d.sha1} {
			if whole, part := strings.Count(text, h), strings.Count(text, h[:20]); whole != part {
				t.Errorf("%s is cut in %d of %d places", h, part-whole, part)
			}
		}
	}
}

// TestHumanEvents: the fixture's transfer (fixture_test.go) reads as a
// sentence in its own table, apart from triage's events.
func TestHumanEvents(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	hs := r.HumanEvents()
	if len(hs) != 1 || hs[0].Text != "Transferred from A. Smith to Evidence store; reason: storage; seal S-1187 intact." {
		t.Fatalf("human events: %+v", hs)
	}
	h := string(render(t, r, "html"))
	i, j := strings.Index(h, "Transfers, seals and notes recorded by people"), strings.Index(h, "Every event, including those triage records")
	if i < 0 || j < i || !strings.Contains(h[i:j], "Transferred from A. Smith to Evidence store") || strings.Contains(h[i:j], "scan finished") {
		t.Error("HTML: the human events are not in their own table before the full log")
	}
}

// TestRescanSupersedes: a second evidence item of the same source (a
// rescan) supersedes the first, whose records are not counted twice.
func TestRescanSupersedes(t *testing.T) {
	c := newFixtureCase(t)
	ctx := context.Background()
	before := buildFixture(t, c, Options{}).Summary
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev := *items[0]
	ev.ID = 0
	if _, err := c.AddEvidence(ctx, &ev); err != nil {
		t.Fatal(err)
	}
	run := &casedb.Run{EvidenceID: ev.ID, StartedAt: ev.StartedAt, CommandLine: ev.CommandLine, ToolVersion: ev.ToolVersion}
	if _, err := c.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(ev.ID, run.ID)
	if err := w.AddFile(&casedb.FileRecord{Key: "only", Path: "/only.txt", Type: casedb.TypeFile, Size: 3, Status: casedb.StatusUnknown, Complete: true}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r := buildFixture(t, c, Options{})
	if r.Evidence[0].SupersededBy != ev.ID || r.Evidence[1].SupersededBy != 0 {
		t.Fatalf("superseded: %d %d", r.Evidence[0].SupersededBy, r.Evidence[1].SupersededBy)
	}
	if r.Summary.Records != 1 || r.Summary.KnownBad != 0 || before.Records <= 1 {
		t.Errorf("summary counts the superseded item: %+v (before %+v)", r.Summary, before)
	}
	if !strings.Contains(strings.Join(r.Findings.Examined, "\n"), "superseded by evidence item 2") {
		t.Errorf("findings: %v", r.Findings.Examined)
	}
}

// TestDateValues: E01 header dates show as dates in the report's time
// format, epoch seconds as stored with the date beside them.
func TestDateValues(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	for _, tc := range []struct{ label, in, want string }{
		{"E01 header: acquired", "2024-04-05T10:11:12Z", "2024-04-05T10:11:12Z (2024-04-05T12:11:12+02:00[Europe/Berlin])"},
		{"E01 header: acquired (as stored)", "1712311872", "2024-04-05T10:11:12Z (2024-04-05T12:11:12+02:00[Europe/Berlin]), stored as 1712311872"},
		{"E01 header: notes", "1712311872", "1712311872"},
	} {
		if got := r.dateValue(tc.label, tc.in); got != tc.want {
			t.Errorf("dateValue(%q, %q) = %q, want %q", tc.label, tc.in, got, tc.want)
		}
	}
}

// TestEventDetails: custody details read as words, times in the report's
// format, digests labelled.
func TestEventDetails(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	got := r.EventDetails(custody.Event{Details: map[string]any{"computed_sha256": "ab", "at": "2026-01-02T09:00:00Z", "records_from_earlier_runs": 3.0}})
	want := []KV{{"at", "2026-01-02T09:00:00Z (2026-01-02T10:00:00+01:00[Europe/Berlin])"}, {"computed SHA-256", "ab"}, {"records from earlier runs", "3"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("EventDetails = %v, want %v", got, want)
	}
}

// TestMatchedOnRecorded: a record that records its match (extra.hash_match)
// names the digest recorded at match time and when, not an inference.
func TestMatchedOnRecorded(t *testing.T) {
	r := &Report{HashSets: []HashSet{
		{Name: "both", raw: map[string]any{"counts": map[string]any{"md5": 3.0, "sha256": 2.0}}},
	}}
	f := &casedb.FileRecord{MD5: "aa", SHA256: "bb", Hashsets: []string{"both"}, Extra: map[string]any{
		"hash_match": map[string]any{"run": 2.0, "at": "2026-01-02T03:04:05Z",
			"hits": []any{map[string]any{"set": "both", "category": "known-bad", "algorithm": "sha256", "digest": "bb"}}},
	}}
	got := r.matchedOn(f, r.setDigests())
	if want := "both (matched on SHA-256); matched " + r.Time("2026-01-02T03:04:05Z"); got != want {
		t.Errorf("matchedOn = %q, want %q", got, want)
	}
}
