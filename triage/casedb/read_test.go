package casedb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestTypedReads checks the reads that replace SQL in callers: runs, hash
// sets used, counts and the file filters.
func TestTypedReads(t *testing.T) {
	ctx := context.Background()
	c, _, err := OpenOrCreate(filepath.Join(t.TempDir(), "c"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if has, err := c.HasRuns(ctx); err != nil || has {
		t.Fatalf("HasRuns of a new case: %v %v", has, err)
	}
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	ev := &Evidence{Source: "/ev", Type: "folder", State: StateRunning, StartedAt: start}
	id, err := c.AddEvidence(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	run := &Run{EvidenceID: id, StartedAt: start, CommandLine: []string{"triage", "scan", "/ev"}, ToolVersion: "1.0", Host: "h", Examiner: "A"}
	if _, err := c.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(id, run.ID)
	recs := []*FileRecord{
		{Key: "1", Path: "/", Type: TypeDir, Complete: true},
		{Key: "2", Path: "/bad.exe", Type: TypeFile, Size: 10, Status: StatusKnownBad, Complete: true},
		{Key: "3", Path: "/note.txt", Type: TypeFile, Size: 20, Status: StatusNotable, Complete: true, ExtensionMismatch: true},
		{Key: "4", Path: "/gone.doc", Type: TypeFile, Size: 30, Status: StatusKnownGood, Complete: true, Deleted: true},
		{Key: "5", Path: "/locked", Type: TypeFile, Size: 40, Complete: false, Error: "denied"},
		{Key: "6", Path: "/part", Type: TypeFile, Size: 50, Complete: false},
	}
	for _, r := range recs {
		if r.Status == "" {
			r.Status = StatusUnknown
		}
		if err := w.AddFile(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddError("/locked", 0, "denied", start); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := c.FinishRun(run.ID, id, StatePartial, 6, 150, 1, start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := c.AddHashSetUse(ctx, run.ID, HashSetUse{Name: "b", Category: "known-bad", Details: map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddHashSetUse(ctx, run.ID, HashSetUse{Name: "a", Category: "notable"}); err != nil {
		t.Fatal(err)
	}

	runs, err := c.Runs(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs: %v %v", runs, err)
	}
	u := runs[0]
	if u.ID != run.ID || u.EvidenceID != id || !u.StartedAt.Equal(start) || !u.FinishedAt.Equal(start.Add(time.Minute)) ||
		u.State != StatePartial || u.Files != 6 || u.Bytes != 150 || u.Errors != 1 || fmt.Sprint(u.CommandLine) != "[triage scan /ev]" ||
		u.ToolVersion != "1.0" || u.Host != "h" || u.Examiner != "A" {
		t.Errorf("run %+v", u)
	}
	if has, _ := c.HasRuns(ctx); !has {
		t.Error("HasRuns false after a run")
	}
	used, err := c.HashSetsUsed(ctx)
	if err != nil || len(used) != 2 || used[0].Name != "a" || used[1].Name != "b" || used[1].RunID != run.ID ||
		used[1].Category != "known-bad" || used[1].Details["n"] != float64(1) {
		t.Errorf("HashSetsUsed %+v %v", used, err)
	}
	n, err := c.CountFiles(ctx)
	want := FileCounts{Records: 6, Files: 5, Bytes: 150, KnownBad: 1, Notable: 1, KnownGood: 1, Unknown: 2,
		ExtensionMismatch: 1, Deleted: 1, Incomplete: 2}
	if err != nil || n != want {
		t.Errorf("CountFiles %+v, want %+v (%v)", n, want, err)
	}
	if e, err := c.CountErrors(ctx, 0); err != nil || e != 1 {
		t.Errorf("CountErrors %d %v", e, err)
	}
	if e, _ := c.CountErrors(ctx, id+1); e != 0 {
		t.Errorf("CountErrors of another item %d", e)
	}
	for _, tc := range []struct {
		f    FileFilter
		want string
	}{
		{FileFilter{}, "[/ /bad.exe /note.txt /gone.doc /locked /part]"},
		{FileFilter{EvidenceID: id + 1}, "[]"},
		{FileFilter{Status: []string{StatusKnownBad, StatusNotable}}, "[/bad.exe /note.txt]"},
		{FileFilter{ExtensionMismatch: true}, "[/note.txt]"},
		{FileFilter{Deleted: true}, "[/gone.doc]"},
		{FileFilter{Incomplete: true}, "[/locked /part]"},
		{FileFilter{HasError: true}, "[/locked]"},
		{FileFilter{Path: "/part"}, "[/part]"},
		{FileFilter{Limit: 2}, "[/ /bad.exe]"},
		{FileFilter{Status: []string{StatusUnknown}, Limit: 1}, "[/]"},
		{FileFilter{ExceptEvidence: []int64{id}}, "[]"},
		{FileFilter{ExceptEvidence: []int64{id + 1, id + 2}, Deleted: true}, "[/gone.doc]"},
	} {
		var got []string
		if err := c.Files(ctx, tc.f, func(r *FileRecord) error { got = append(got, r.Path); return nil }); err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(got); s != tc.want && !(tc.want == "[]" && got == nil) {
			t.Errorf("Files(%+v) = %s, want %s", tc.f, s, tc.want)
		}
		total, err := c.CountMatching(ctx, tc.f)
		tc.f.Limit = 0
		var all int64
		c.Files(ctx, tc.f, func(*FileRecord) error { all++; return nil })
		if err != nil || total != all {
			t.Errorf("CountMatching(%+v) = %d, want %d (%v)", tc.f, total, all, err)
		}
	}
}
