package main

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/custody"
)

// TestReportRunsSelfContained runs reports to one base name: a second run
// is refused, --force replaces it and the custody log records the run it
// superseded, verify CASE passes and tells the superseded run apart, and a
// file left by the superseded run is not vouched for by verify FILE.
func TestReportRunsSelfContained(t *testing.T) {
	fixedClock(t)
	ev := evidenceTree(t)
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "scan", ev, "--case", dir, "-q"); st != 0 {
		t.Fatal(errs)
	}
	base := filepath.Join(t.TempDir(), "out", "r")
	if st, _, errs := tri(t, "report", dir, "-f", "csv", "-o", base); st != 0 {
		t.Fatalf("first report: %d %s", st, errs)
	}
	first, _ := os.ReadFile(base + ".manifest.json")
	st, _, errs := tri(t, "report", dir, "-f", "html", "-o", base)
	if st == 0 || !strings.Contains(errs, "already exists") || !strings.Contains(errs, "--force") {
		t.Fatalf("second report to the same base: %d %s", st, errs)
	}
	if b, _ := os.ReadFile(base + ".manifest.json"); string(b) != string(first) {
		t.Fatal("a refused run changed the manifest")
	}
	if _, err := os.Stat(base + ".html"); err == nil {
		t.Fatal("a refused run wrote its output")
	}
	if st, _, errs := tri(t, "report", dir, "-f", "html", "-o", base, "--force"); st != 0 {
		t.Fatalf("--force: %d %s", st, errs)
	}
	evs := custodyEvents(t, dir)
	last := evs[len(evs)-1]
	sup, _ := last.Details["supersedes"].(map[string]any)
	if last.Action != custody.ActionReportGenerated || sup == nil || sup["manifest_sha256"] != coreutilsSumOf(t, first) {
		t.Errorf("the forced run does not record the run it superseded: %v", last.Details)
	}
	st, out, errs := tri(t, "verify", dir, "--no-evidence")
	if st != 0 || !strings.Contains(out, "superseded by report") || !strings.Contains(out, "replaced with --force") {
		t.Errorf("verify CASE after two runs: %d\n%s%s", st, out, errs)
	}
	// the CSV of the first run is in no manifest now
	st, out, _ = tri(t, "verify", base+".csv")
	if st != 1 || !strings.Contains(out, "FAILED  report "+base+".csv: not listed in") {
		t.Errorf("verify of a file no manifest lists: %d\n%s", st, out)
	}
	if st, out, _ := tri(t, "verify", base+".html"); st != 0 || !strings.Contains(out, "OK      report "+base+".html: listed in") {
		t.Errorf("verify of the listed file: %d\n%s", st, out)
	}
	// a third run to a new base, and verify still passes
	if st, _, errs := tri(t, "report", dir, "-f", "json", "-o", base+"-2"); st != 0 {
		t.Fatal(errs)
	}
	if st, out, _ := tri(t, "verify", dir, "--no-evidence"); st != 0 {
		t.Errorf("verify after three runs: %d\n%s", st, out)
	}
}

func coreutilsSumOf(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, b, 0o644)
	return coreutilsSum(t, "sha256sum", p)
}

// TestReportExtensions: each format's usual extensions name the output
// without doubling it.
func TestReportExtensions(t *testing.T) {
	fixedClock(t)
	ev := evidenceTree(t)
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "scan", ev, "--case", dir, "-q"); st != 0 {
		t.Fatal(errs)
	}
	out := t.TempDir()
	for _, tc := range []struct{ format, o, want string }{
		{"dfxml", "a.dfxml", "a.dfxml.xml"},
		{"dfxml", "b.xml", "b.dfxml.xml"},
		{"dfxml", "c.dfxml.xml", "c.dfxml.xml"},
		{"html", "d.htm", "d.htm"},
		{"json", "e.json", "e.json"},
	} {
		if st, _, errs := tri(t, "report", dir, "-f", tc.format, "-o", filepath.Join(out, tc.o)); st != 0 {
			t.Errorf("%s -o %s: %d %s", tc.format, tc.o, st, errs)
			continue
		}
		if _, err := os.Stat(filepath.Join(out, tc.want)); err != nil {
			ents, _ := os.ReadDir(out)
			t.Errorf("%s -o %s: %s not written (%v)", tc.format, tc.o, tc.want, ents)
		}
		if st, vout, _ := tri(t, "verify", filepath.Join(out, tc.want)); st != 0 {
			t.Errorf("verify %s: %d\n%s", tc.want, st, vout)
		}
	}
}

// integrityCase scans a folder and a raw image (its media hashed) into a
// new case and writes a report.
func integrityCase(t *testing.T) string {
	t.Helper()
	fixedClock(t)
	ev := evidenceTree(t)
	img := filepath.Join(t.TempDir(), "disk.dd")
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i * 7 / 13)
	}
	os.WriteFile(img, b, 0o644)
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "scan", ev, "--case", dir, "-q"); st != 0 {
		t.Fatal(errs)
	}
	if st, _, errs := tri(t, "scan", img, "--as", "image", "--case", dir, "-q"); st != 0 && st != 3 {
		t.Fatalf("scan: %d %s", st, errs)
	}
	if st, _, errs := tri(t, "report", dir, "-f", "json", "-o", filepath.Join(t.TempDir(), "r")); st != 0 {
		t.Fatal(errs)
	}
	if st, out, errs := tri(t, "verify", dir); st != 0 {
		t.Fatalf("fresh case: %d\n%s%s", st, out, errs)
	}
	return dir
}

// copyCase copies a case folder for one tamper.
func copyCase(t *testing.T, dir string) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "case")
	if out, err := exec.Command("cp", "-a", dir, d).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return d
}

// TestVerifyCaseDBTampers changes case.db as sqlite3 would and checks
// that verify catches and names each change: the records are sealed by
// the scan's closing custody event, the media hashes by the image event.
func TestVerifyCaseDBTampers(t *testing.T) {
	dir := integrityCase(t)
	for _, tc := range []struct{ name, sql, want string }{
		{"an MD5 changed", `UPDATE files SET md5 = '00000000000000000000000000000000' WHERE id = (SELECT min(id) FROM files WHERE md5 IS NOT NULL)`, "a file record's content"},
		{"a row deleted", `DELETE FROM files WHERE id = (SELECT max(id) FROM files WHERE evidence_id = 1)`, "records deleted"},
		{"a status changed", `UPDATE files SET status = 'known-good' WHERE id = (SELECT min(id) FROM files)`, "a status was changed"},
		{"errors deleted", `DELETE FROM errors`, "errors deleted"},
		{"media_hashes edited", `UPDATE evidence SET metadata = json_set(metadata, '$.media_hashes.sha256', '` + strings.Repeat("ab", 32) + `') WHERE type = 'raw'`, "case.db was edited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := copyCase(t, dir)
			db, err := sql.Open("sqlite", filepath.Join(d, "case.db"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Exec(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatal("the tamper changed nothing")
			}
			db.Close()
			st, out, _ := tri(t, "verify", d)
			if st != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, tc.want) {
				t.Errorf("verify after %s: %d\n%s", tc.name, st, out)
			}
		})
	}
}

// TestVerifyTruncatedLog cuts the custody log's tail: the head anchored in
// case.db and in the report's manifest catch it.
func TestVerifyTruncatedLog(t *testing.T) {
	dir := integrityCase(t)
	for _, cut := range []int{1, 3} {
		d := copyCase(t, dir)
		p := filepath.Join(d, custody.FileName)
		b, _ := os.ReadFile(p)
		lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
		keep := len(lines) - cut
		os.WriteFile(p, []byte(strings.Join(lines[:keep], "")), 0o644)
		st, out, _ := tri(t, "verify", d, "--no-evidence")
		want := "custody log truncated after event " + itoa(keep)
		if st != 1 || !strings.Contains(out, want) {
			t.Errorf("cut %d lines: %d, want %q\n%s", cut, st, want, out)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestVerifyForgedTail appends a well-formed, correctly chained custody
// line by hand: the head case.db records shows it was not written by
// triage.
func TestVerifyForgedTail(t *testing.T) {
	d := copyCase(t, integrityCase(t))
	if _, err := custody.Append(d, custody.Event{Action: custody.ActionNote, Details: map[string]any{"text": "forged"}}, custody.Options{}); err != nil {
		t.Fatal(err)
	}
	st, out, _ := tri(t, "verify", d, "--no-evidence")
	if st != 1 || !strings.Contains(out, "appended outside triage") {
		t.Errorf("forged tail: %d\n%s", st, out)
	}
}

// TestScanJSONLAppends: --jsonl FILE keeps what FILE holds and appends
// the records after it.
func TestScanJSONLAppends(t *testing.T) {
	fixedClock(t)
	ev := evidenceTree(t)
	j := filepath.Join(t.TempDir(), "r.jsonl")
	os.WriteFile(j, []byte("{\"earlier\":true}\n"), 0o644)
	if st, _, errs := tri(t, "scan", ev, "--case", filepath.Join(t.TempDir(), "case"), "-q", "--jsonl", j); st != 0 {
		t.Fatal(errs)
	}
	b, _ := os.ReadFile(j)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if lines[0] != `{"earlier":true}` || len(lines) != 1+7 {
		t.Errorf("--jsonl file after the scan:\n%s", b)
	}
}
