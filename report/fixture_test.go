package report

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// Fixed identity of the test reports.
var (
	testNow  = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	testID   = "TR-20260102-0000TEST"
	testTool = Tool{Program: "triage", Version: "1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567",
		SHA256: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", GoVersion: "go1.26.8", Platform: "linux/amd64"}
)

// Hostile and non-ASCII names of the fixed case.
const (
	nameScript   = "/Users/alice/<script>alert(1)</script>.txt"
	nameImg      = `/Users/alice/"><img src=x onerror=alert(2)>.doc`
	nameJapanese = "/Users/alice/日本語ファイル.txt"
	nameAccent   = "/Users/alice/café résumé.txt"
	nameBidi     = "/Users/alice/invoice\u202Egpj.exe"
	nameFormula  = "=HYPERLINK(\"http://evil.example/\",\"click\")"
	exhibitID    = "@SUM(1+1)*cmd|' /C calc'!A0"
)

type digests struct{ md5, sha1, sha256 string }

// sums computes the digests of content with the standard library, as
// sha256sum and friends would.
func sums(content string) digests {
	m := md5.Sum([]byte(content))
	s1 := sha1.Sum([]byte(content))
	s2 := sha256.Sum256([]byte(content))
	return digests{hex.EncodeToString(m[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s2[:])}
}

type fixtureFile struct {
	path, content, status string
	sets                  []string
	mismatch, deleted     bool
	stream, err           string
	typ                   string
}

var fixtureFiles = []fixtureFile{
	{path: "/Users", typ: casedb.TypeDir},
	{path: "/Users/alice", typ: casedb.TypeDir},
	{path: nameScript, content: "abc", status: casedb.StatusKnownBad, sets: []string{"VIC sample"}},
	{path: nameImg, content: "notable content", status: casedb.StatusNotable, sets: []string{"Watch list"}, deleted: true},
	{path: nameJapanese, content: "日本", status: casedb.StatusNotable, sets: []string{"Watch list"}, stream: "Zone.Identifier"},
	{path: nameAccent, content: "é", status: casedb.StatusKnownGood, sets: []string{"NSRL RDS_2026.09.1_modern_minimal"}},
	{path: nameBidi, content: "MZ\x90\x00", status: casedb.StatusUnknown, mismatch: true},
	{path: nameFormula, content: "formula", status: casedb.StatusUnknown},
	{path: "/Users/alice/locked.bin", content: "", status: casedb.StatusUnknown, err: "read error at byte 0x200: input/output error"},
}

// newFixtureCase builds a fixed case with the case store's own API: one
// raw image evidence item, one run, the records above, an error, two hash
// sets and a custody log with injected times.
func newFixtureCase(t testing.TB) *casedb.Case {
	t.Helper()
	return newFixtureCaseOf(t, "/evidence/usb-stick.dd")
}

// newFixtureCaseOf builds the fixed case with source as its evidence item.
func newFixtureCaseOf(t testing.TB, source string) *casedb.Case {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "case")
	c, _, err := casedb.OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetMeta(ctx, "created_at", "2026-01-02T09:00:00Z"); err != nil {
		t.Fatal(err)
	}
	ci := casedb.CaseInfo{CaseNumber: "2026/042", LabCaseID: "LAB-7", Agency: "City Police", RequestingOfficer: "DC J. Brown",
		Examiner: "A. Smith", ExaminerRole: "Digital forensic examiner", Authority: "warrant 26-1187",
		Description: "Suspected fraud <b>bold</b>", TimeZone: "Europe/Berlin"}
	if err := casedb.SaveCaseInfo(ctx, c, ci); err != nil {
		t.Fatal(err)
	}
	clock := testNow.Add(-6 * time.Hour)
	tick := func() time.Time { clock = clock.Add(time.Minute); return clock }
	log := func(action string, d map[string]any) {
		t.Helper()
		if _, err := custody.Append(dir, custody.Event{Action: action, Actor: "A. Smith", Host: "lab-ws-01", Details: d}, custody.Options{Now: tick, Tool: &custody.Tool{Version: testTool.Version, Commit: testTool.Commit, SHA256: testTool.SHA256}}); err != nil {
			t.Fatal(err)
		}
	}
	log(custody.ActionCaseCreated, map[string]any{"case_number": "2026/042"})
	media := sums("the whole media")
	ev := &casedb.Evidence{Source: source, Type: "raw", Size: 1 << 20, State: casedb.StateRunning,
		StartedAt: clock, ToolVersion: testTool.Version, ToolCommit: testTool.Commit, ToolSHA256: testTool.SHA256,
		GoVersion: "go1.26.8", Platform: "linux/amd64", CommandLine: []string{"triage", "scan", "/evidence/usb-stick.dd", "--case", "case"},
		Host: "lab-ws-01", Examiner: "A. Smith", HashAlgorithms: []string{"md5", "sha1", "sha256"},
		Metadata: map[string]any{casedb.MetaExhibitID: exhibitID, casedb.MetaMake: "Kingston", casedb.MetaSerial: "0012AB", casedb.MetaReceivedAt: "2026-01-01T10:30:00Z",
			"media_hashes": map[string]any{"md5": media.md5, "sha256": media.sha256}}}
	if _, err := c.AddEvidence(ctx, ev); err != nil {
		t.Fatal(err)
	}
	log(custody.ActionEvidenceAdded, map[string]any{"evidence": ev.ID, "source": ev.Source})
	run := &casedb.Run{EvidenceID: ev.ID, StartedAt: tick(), CommandLine: ev.CommandLine, ToolVersion: testTool.Version,
		ToolCommit: testTool.Commit, Host: "lab-ws-01", Examiner: "A. Smith"}
	if _, err := c.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(ev.ID, run.ID)
	mt := time.Date(2025, 12, 24, 18, 30, 0, 0, time.UTC)
	vol := 1
	var bytes int64
	for i, f := range fixtureFiles {
		ino := uint64(100 + i)
		r := &casedb.FileRecord{Key: f.path + ":" + f.stream, Path: f.path, Type: f.typ, Stream: f.stream, Status: f.status,
			Hashsets: f.sets, ExtensionMismatch: f.mismatch, Deleted: f.deleted, Complete: f.err == "", Error: f.err,
			Inode: &ino, Volume: &vol, Mtime: mt, Atime: mt.Add(time.Hour), Ctime: mt.Add(2 * time.Hour), Btime: mt.Add(-time.Hour)}
		if r.Type == "" {
			r.Type = casedb.TypeFile
			r.Size = int64(len(f.content))
			bytes += r.Size
			if f.err == "" {
				d := sums(f.content)
				r.MD5, r.SHA1, r.SHA256 = d.md5, d.sha1, d.sha256
				r.MIME = "text/plain"
			}
			r.Extension = filepath.Ext(f.path)
			if f.mismatch {
				r.MIME = "application/x-dosexec"
			}
		}
		if err := w.AddFile(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddError("/Users/alice/locked.bin", 0x200, "read error at byte 0x200: input/output error", tick()); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := c.FinishRun(run.ID, ev.ID, casedb.StatePartial, int64(len(fixtureFiles)), bytes, 1, tick()); err != nil {
		t.Fatal(err)
	}
	for _, h := range []casedb.HashSetUse{
		{Name: "NSRL RDS_2026.09.1_modern_minimal", Category: "known-good", Details: map[string]any{"version": "2026.09.1", "hashes": 1000, "sha256": sums("nsrl").sha256}},
		{Name: "VIC sample", Category: "known-bad", Details: map[string]any{"source": "Project VIC export", "hashes": 2}},
		{Name: "Watch list", Category: "notable", Details: map[string]any{"hashes": 3}},
	} {
		if err := c.AddHashSetUse(ctx, run.ID, h); err != nil {
			t.Fatal(err)
		}
	}
	log(custody.ActionScanFinished, map[string]any{"evidence": ev.ID, "run": run.ID, "state": casedb.StatePartial, "records": len(fixtureFiles)})
	log(custody.ActionTransfer, map[string]any{"from": "A. Smith", "to": "Evidence store", "reason": "storage", "seal": "S-1187 intact"})
	return c
}

// buildFixture builds the report of the fixed case with fixed identity.
func buildFixture(t testing.TB, c *casedb.Case, o Options) *Report {
	t.Helper()
	o.ID, o.Now, o.Tool, o.Host = testID, testNow, &testTool, "lab-ws-01"
	o.CommandLine = []string{"triage", "report", "case", "-o", "out/report", "--format", "html,pdf,json,csv,dfxml"}
	r, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatal(err)
	}
	r.CaseDir = "/cases/case-042" // the temporary folder differs per run
	return r
}
