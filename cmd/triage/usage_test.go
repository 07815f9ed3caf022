package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
)

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"quite", "quiet", 2}, {"formt", "format", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}} {
		if d := levenshtein(tt.a, tt.b); d != tt.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
	}
}

func TestSuggestFlags(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Bool("quiet", false, "")
	fs.String("format", "", "")
	fs.String("font", "", "")
	fs.String("verify-image", "", "")
	fs.String("secret", "", "")
	fs.MarkHidden("secret")
	for typed, want := range map[string]string{
		"quite": "--quiet", "formt": "--format", "verify": "--verify-image", "zzzzzz": "", "secrt": "",
	} {
		if got := strings.Join(suggestFlags(fs, typed), " "); got != want {
			t.Errorf("suggestFlags(%q) = %q, want %q", typed, got, want)
		}
	}
}

// The closing summary lists the first ten problems and counts the rest,
// with the command that lists them all.
func TestSummaryProblems(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "my case")
	c, _, err := casedb.OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ev := &casedb.Evidence{Source: "/ev", Type: "folder", Size: -1, State: casedb.StatePartial, StartedAt: at}
	if ev.ID, err = c.AddEvidence(ctx, ev); err != nil {
		t.Fatal(err)
	}
	run := &casedb.Run{EvidenceID: ev.ID, StartedAt: at}
	if _, err := c.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(ev.ID, run.ID)
	for i := range 13 {
		w.AddError(fmt.Sprintf("/f%02d", i), int64(i*512), fmt.Sprintf("damaged entry %d", i), at)
	}
	statuses := []string{casedb.StatusKnownBad, casedb.StatusKnownBad, casedb.StatusKnownBad, casedb.StatusNotable, casedb.StatusKnownGood, casedb.StatusUnknown}
	for i, st := range statuses {
		if err := w.AddFile(&casedb.FileRecord{Key: fmt.Sprint(i), Path: fmt.Sprintf("/g%d", i), Type: casedb.TypeFile, Status: st, Complete: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := &triage.Result{EvidenceID: ev.ID, State: casedb.StatePartial, Files: 6, Errors: 13, Started: at, Finished: at.Add(time.Second)}
	printSummary(ctx, &out, c, "/ev", r, true)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines, want 12 (summary, ten problems, the rest):\n%s", len(lines), out.String())
	}
	if !strings.Contains(lines[0], "evidence 1 partial: 6 records, ") || !strings.HasSuffix(lines[0], ", 3 known-bad, 1 notable, 13 problems") {
		t.Errorf("summary line %q", lines[0])
	}
	if lines[1] != "triage: /ev: problem: /f00 at byte 0x0: damaged entry 0" || lines[10] != "triage: /ev: problem: /f09 at byte 0x1200: damaged entry 9" {
		t.Errorf("problem lines %q ... %q", lines[1], lines[10])
	}
	if want := "triage: /ev: and 3 more: triage files '" + c.Dir + "' --incomplete --evidence 1 lists them all"; lines[11] != want {
		t.Errorf("last line %q, want %q", lines[11], want)
	}
}
