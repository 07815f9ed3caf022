package report

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os/exec"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// TestRescanSupersedesTables: a rescan of the fixture's source (item 2,
// one known-bad file and one incomplete record) supersedes item 1 in the
// findings tables as in the summary: the tables and their counts hold the
// rescan's records only, and each table says what of item 1 it leaves
// out. Item 1 holds (fixture_test.go) 3 hits (1 known-bad, 2 notable), 1
// extension mismatch, 1 incomplete record and 1 recorded error, 9 records.
func TestRescanSupersedesTables(t *testing.T) {
	c := newFixtureCase(t)
	ctx := context.Background()
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
	d := sums("abc")
	for _, f := range []*casedb.FileRecord{
		{Key: "bad", Path: "/rescan/bad.txt", Type: casedb.TypeFile, Size: 3, Status: casedb.StatusKnownBad, Hashsets: []string{"VIC sample"},
			MD5: d.md5, SHA1: d.sha1, SHA256: d.sha256, Complete: true},
		{Key: "cut", Path: "/rescan/cut.bin", Type: casedb.TypeFile, Size: 9, Status: casedb.StatusUnknown, Complete: false, Error: "cut short"},
	} {
		if err := w.AddFile(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r := buildFixture(t, c, Options{})

	if r.Hits.Total != 1 || len(r.Hits.Records) != 1 || r.Hits.Records[0].Path != "/rescan/bad.txt" {
		t.Errorf("hits: %d %v", r.Hits.Total, r.Hits.Records)
	}
	if r.Mismatches.Total != 0 || len(r.Mismatches.Records) != 0 {
		t.Errorf("mismatches: %d", r.Mismatches.Total)
	}
	if r.Incomplete.Total != 1 || len(r.Incomplete.Records) != 1 || r.Incomplete.Records[0].Path != "/rescan/cut.bin" {
		t.Errorf("incomplete: %d %v", r.Incomplete.Total, r.Incomplete.Records)
	}
	if len(r.Errors) != 0 || r.ErrorsTotal != 0 || r.Summary.Errors != 0 {
		t.Errorf("errors: %v, total %d, summary %d", r.Errors, r.ErrorsTotal, r.Summary.Errors)
	}
	want := []SupersededItem{{ID: 1, Exhibit: exhibitID, By: 2, Records: 9, Hits: 3, Mismatches: 1, Incomplete: 1, Errors: 1}}
	if fmt.Sprint(r.Superseded) != fmt.Sprint(want) {
		t.Errorf("superseded: %+v, want %+v", r.Superseded, want)
	}
	notes := []string{
		"Evidence item 1 (" + exhibitID + ") was superseded by evidence item 2 (a rescan of the same source): its 3 known-bad or notable records are not listed here; the rescan's are.",
		"its 1 extension mismatch is not listed here",
		"its 1 incomplete or unreadable record is not listed here",
		"its 1 recorded error is not listed here",
		"those of evidence items superseded by a rescan too (item 1, superseded by item 2)",
	}
	h := string(render(t, r, "html"))
	text := html.UnescapeString(h)
	for _, n := range notes {
		if !strings.Contains(text, n) {
			t.Errorf("HTML lacks %q", n)
		}
	}
	i, j := strings.Index(h, `<h2 id="hits">`), strings.Index(h, `<h2 id="mismatch">`)
	if hits := h[i:j]; strings.Contains(hits, "alert(1)") || !strings.Contains(hits, "/rescan/bad.txt") {
		t.Error("HTML: the hits table lists the superseded item's records, or not the rescan's")
	}
	if !strings.Contains(h[j:], "&lt;script&gt;alert(1)") {
		t.Error("HTML: the listing leaves out the superseded item's records")
	}

	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): PDF not checked")
	}
	var b bytes.Buffer
	if err := WritePDF(ctx, &b, r, PDFOptions{FontDirs: []string{}}); err != nil {
		t.Fatal(err)
	}
	pdf := strings.Join(strings.Fields(pdfText(t, b.Bytes())), " ")
	for _, n := range notes {
		if !strings.Contains(pdf, n) {
			t.Errorf("PDF lacks %q", n)
		}
	}
}
