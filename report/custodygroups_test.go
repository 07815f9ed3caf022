package report

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os/exec"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/custody"
)

// TestCustodyGroups: the fixture's log (fixture_test.go: 1 case created,
// 2 evidence added and 3 scan finished of item 1, 4 a transfer naming no
// item) and a note about item 1 (5) group as: the case (human 4; events
// 1, 4) and item 1 (human 5; events 2, 3, 5), in HTML and PDF.
func TestCustodyGroups(t *testing.T) {
	c := newFixtureCase(t)
	if _, err := custody.Append(c.Dir, custody.Event{Action: custody.ActionNote, Actor: "B. Jones",
		Details: map[string]any{"text": "bag resealed", "seal": "S-2", "evidence": 1}}, custody.Options{}); err != nil {
		t.Fatal(err)
	}
	r := buildFixture(t, c, Options{})
	groups := r.CustodyGroups()
	seqs := func(g CustodyGroup) string {
		var h, e []int64
		for _, x := range g.Human {
			h = append(h, x.Seq)
		}
		for _, x := range g.Events {
			e = append(e, x.Seq)
		}
		return fmt.Sprint(h, e)
	}
	if len(groups) != 2 || seqs(groups[0]) != "[4] [1 4]" || seqs(groups[1]) != "[5] [2 3 5]" ||
		groups[1].Title != "Evidence item 1 — exhibit "+exhibitID {
		for _, g := range groups {
			t.Logf("%s: %s", g.Title, seqs(g))
		}
		t.Fatal("custody groups differ")
	}
	// each document: human events per group, then every event per group
	order := []string{
		"Transfers, seals and notes recorded by people",
		"Case (events that name no evidence item)", "Transferred from A. Smith to Evidence store",
		"Evidence item 1 — exhibit " + exhibitID, "bag resealed; seal S-2; evidence item 1.",
		"Every event, including those triage records, by evidence item",
		"Case (events that name no evidence item)", "case created", "custody transfer",
		"Evidence item 1 — exhibit " + exhibitID, "evidence added", "scan finished", "note",
		"9. Statement and signature",
	}
	docs := map[string]string{"html": htmlText(string(render(t, r, "html")))}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		var b bytes.Buffer
		if err := WritePDF(context.Background(), &b, r, PDFOptions{FontDirs: []string{}}); err != nil {
			t.Fatal(err)
		}
		docs["pdf"] = strings.Join(strings.Fields(pdfText(t, b.Bytes())), " ")
	}
	for format, text := range docs {
		text = html.UnescapeString(text)
		at := strings.Index(text, "8. Chain of custody")
		for _, want := range order {
			i := strings.Index(text[at:], want)
			if i < 0 {
				t.Errorf("%s: %q missing or out of order after position %d", format, want, at)
				break
			}
			at += i + len(want)
		}
	}
}
