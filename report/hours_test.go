package report

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

// TestKnownBadHours: the busiest hours of the known-bad files, on a case
// whose records are written here with known times: each file counts once
// in each hour its time stamps fall in, each stamp in its own column;
// notable files do not count; a file with no
// time stamp is named; the ten hours with the most files are shown, ties
// broken by the most stamps, then the earliest hour. The HTML and the PDF
// (pdftotext) show the table.
func TestKnownBadHours(t *testing.T) {
	c := newFixtureCase(t)
	ctx := context.Background()
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	// Evidence item 2, with known-bad and notable records.
	add := func(source string) *casedb.Writer {
		ev := &casedb.Evidence{Source: source, Type: "folder", State: casedb.StateRunning, StartedAt: day}
		if _, err := c.AddEvidence(ctx, ev); err != nil {
			t.Fatal(err)
		}
		run := &casedb.Run{EvidenceID: ev.ID, StartedAt: day}
		if _, err := c.StartRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		return c.NewWriter(ev.ID, run.ID)
	}
	w := add("/evidence/laptop")
	n := 0
	file := func(status string, m, a, ch, b time.Time) {
		n++
		d := sums(fmt.Sprint("file ", n))
		r := &casedb.FileRecord{Key: fmt.Sprint("/f", n), Path: fmt.Sprint("/f", n), Type: casedb.TypeFile, Size: 10, Status: status,
			Hashsets: []string{"VIC sample"}, Complete: true, MD5: d.md5, SHA1: d.sha1, SHA256: d.sha256, Mtime: m, Atime: a, Ctime: ch, Btime: b}
		if err := w.AddFile(r); err != nil {
			t.Fatal(err)
		}
	}
	var zero time.Time
	// Hour 3: three files, modified there; two of them also accessed
	// there (one file, one count in Files).
	file(casedb.StatusKnownBad, at(3, 1), at(3, 2), zero, zero)
	file(casedb.StatusKnownBad, at(3, 10), at(3, 50), zero, zero)
	file(casedb.StatusKnownBad, at(3, 59), zero, zero, zero)
	// Hours 5 to 15: one file each, modified and changed in its hour;
	// hour 15 also holds a creation time of the next file, so it has
	// the most stamps of the one-file hours.
	for h := 5; h <= 15; h++ {
		file(casedb.StatusKnownBad, at(h, 0), zero, at(h, 30), zero)
	}
	file(casedb.StatusKnownBad, zero, zero, zero, at(15, 45))
	// No time stamp.
	file(casedb.StatusKnownBad, zero, zero, zero, zero)
	// Notable, in hour 3: not counted.
	file(casedb.StatusNotable, at(3, 5), at(3, 6), at(3, 7), at(3, 8))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}

	r := buildFixture(t, c, Options{})
	kb := r.KnownBadHours
	// The fixture's own known-bad file (item 1) adds four hours of
	// 2025-12-24 with one file and one stamp each.
	if kb.Files != 1+3+11+1+1 || kb.Untimed != 1 || kb.Distinct != 1+11+4 {
		t.Errorf("files %d, untimed %d, distinct hours %d; want 17, 1, 16", kb.Files, kb.Untimed, kb.Distinct)
	}
	type row struct {
		hour                int
		files, m, a, ch, cr int64
	}
	want := []row{{3, 3, 3, 2, 0, 0}, {15, 2, 1, 0, 1, 1}}
	// Then the one-file hours with two stamps, earliest first, up to ten
	// hours: 5 to 12 (the fixture's hours have one stamp each).
	for h := 5; h <= 12; h++ {
		want = append(want, row{h, 1, 1, 0, 1, 0})
	}
	if len(kb.Hours) != MaxHourRows {
		t.Fatalf("%d hours, want %d: %+v", len(kb.Hours), MaxHourRows, kb.Hours)
	}
	for i, w := range want {
		h := kb.Hours[i]
		got := row{int(h.Start.Sub(day) / time.Hour), h.Files, h.Modified, h.Accessed, h.Changed, h.Created}
		if !h.Start.Equal(at(w.hour, 0)) || got != w {
			t.Errorf("hour %d: %+v (start %v), want %+v", i, got, h.Start, w)
		}
	}
	note := kb.HoursNote()
	for _, s := range []string{"17 known-bad files", "the 10 hours with the most files, of the 16 they fall in", "1 of them carries no time stamp"} {
		if !strings.Contains(note, s) {
			t.Errorf("note %q lacks %q", note, s)
		}
	}

	var hb bytes.Buffer
	if err := WriteHTML(ctx, &hb, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hb.String(), `<tr><td>2024-03-01T03:00:00Z to 2024-03-01T03:59:59Z</td><td class="num">3</td><td class="num">3</td><td class="num">2</td>`) {
		t.Error("the HTML lacks the busiest hour's row")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): PDF content not checked")
	}
	var pb bytes.Buffer
	if err := WritePDF(ctx, &pb, r, PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfText(t, pb.Bytes())), " ")
	for _, s := range []string{"Busiest hours of the known-bad files", "2024-03-01T03:00:00Z to 2024-03-01T03:59:59Z 3 3 2 0 0"} {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF lacks %q", s)
		}
	}
}
