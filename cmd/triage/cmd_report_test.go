package main

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/custody"
)

func TestValidateReportOptions(t *testing.T) {
	for _, tc := range []struct {
		formats []string
		out     string
		pwfile  string
		want    string // output paths, or "" for a usage error
	}{
		{[]string{"html"}, "r.html", "", "r.html"},
		{[]string{"html,PDF", "json"}, "out/r", "", "out/r.html out/r.pdf out/r.json"},
		{[]string{"csv"}, "", "", ""},
		{[]string{"xlsx"}, "r", "", ""},
		{[]string{"html"}, "r", "pw", ""}, // --password-file without --sign
	} {
		o := &ReportOptions{Formats: tc.formats, Output: tc.out, PasswordFile: tc.pwfile}
		err := validateReportOptions(o)
		var got []string
		for _, x := range o.outputs {
			got = append(got, x.Path)
		}
		if tc.want == "" && err == nil || tc.want != "" && (err != nil || strings.Join(got, " ") != tc.want) {
			t.Errorf("%v -o %q: %v %v", tc.formats, tc.out, got, err)
		}
	}
}

// unencryptedKey writes a minisign key pair without a password (as
// minisign -G -W does), to keep scrypt out of the fast tests.
func unencryptedKey(t *testing.T) (sec, pub string) {
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	sec, pub = filepath.Join(d, "k.key"), filepath.Join(d, "k.pub")
	st, _ := sk.MarshalText()
	pt, _ := pk.MarshalText()
	os.WriteFile(sec, st, 0o600)
	os.WriteFile(pub, pt, 0o644)
	return sec, pub
}

// coreutilsSum returns the digest of a file from sha256sum/md5sum when
// installed (an independent implementation), else the empty string.
func coreutilsSum(t *testing.T, tool, path string) string {
	p, err := exec.LookPath(tool)
	if err != nil {
		return ""
	}
	out, err := exec.Command(p, path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}

// TestReportEndToEnd scans a real folder, writes every format with a
// signed manifest, and checks the outputs against independent tools.
func TestReportEndToEnd(t *testing.T) {
	fixedClock(t)
	setTestOptions(t, func(g *globalOptions) { g.ReportID = "TR-20260304-E2E00001" })
	ev := evidenceTree(t)
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "scan", ev, "--case", dir, "-q", "--case-number", "2026/042", "--examiner", "A. Smith"); st != 0 {
		t.Fatal(errs)
	}
	sec, pub := unencryptedKey(t)
	outDir := t.TempDir()
	base := filepath.Join(outDir, "case-042")
	st, out, errs := tri(t, "report", dir, "--format", "html,pdf,json,csv,dfxml", "-o", base, "--sign", sec)
	if st != 0 {
		t.Fatalf("report: %d %s", st, errs)
	}
	// stdout lists sha256sum-style lines the recipient can check
	for _, f := range []string{".html", ".pdf", ".json", ".csv", ".dfxml.xml", ".manifest.json"} {
		want := coreutilsSum(t, "sha256sum", base+f)
		if want != "" && !strings.Contains(out, want+"  "+base+f) {
			t.Errorf("stdout lacks the sha256sum of %s:\n%s", f, out)
		}
	}
	// the custody log records the run with the manifest's hash
	evs := custodyEvents(t, dir)
	last := evs[len(evs)-1]
	msum := coreutilsSum(t, "sha256sum", base+".manifest.json")
	if last.Action != custody.ActionReportGenerated || last.Details["report_id"] != "TR-20260304-E2E00001" ||
		msum != "" && last.Details["manifest_sha256"] != msum {
		t.Errorf("last event %s %v", last.Action, last.Details)
	}
	// the CSV hashes are those of sha256sum and md5sum
	f, _ := os.Open(base + ".csv")
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	checked := 0
	for _, r := range rows[1:] {
		if r[col["type"]] != "file" {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(r[col["path"]], "'"), "/")
		p := filepath.Join(ev, name)
		if s := coreutilsSum(t, "sha256sum", p); s != "" && s != r[col["sha256"]] {
			t.Errorf("%s: sha256 %s, sha256sum %s", name, r[col["sha256"]], s)
		}
		if s := coreutilsSum(t, "md5sum", p); s != "" && s != r[col["md5"]] {
			t.Errorf("%s: md5 %s, md5sum %s", name, r[col["md5"]], s)
		}
		checked++
		if strings.HasPrefix(name, "=") && !strings.HasPrefix(r[col["path"]], "/") {
			t.Errorf("formula name not anchored: %q", r[col["path"]])
		}
	}
	if checked != 6 {
		t.Errorf("%d file rows, want 6", checked)
	}
	// HTML: escaped hostile name, the extension mismatch, the scan command line
	h, _ := os.ReadFile(base + ".html")
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;.txt", "/pics/holiday.jpg", "日本語ファイル.txt",
		"TR-20260304-E2E00001", "2026/042", "triage scan " + ev} {
		if !strings.Contains(string(h), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(string(h), "<img") {
		t.Error("HTML holds a raw <img")
	}
	// JSON parses and counts the mismatch
	var doc struct {
		Report report.Report `json:"report"`
	}
	b, _ := os.ReadFile(base + ".json")
	if err := json.Unmarshal(b, &doc); err != nil || doc.Report.Summary.ExtensionMismatch != 1 || doc.Report.Summary.Files != 6 {
		t.Errorf("json: %v %+v", err, doc.Report.Summary)
	}
	// stock minisign verifies the manifest
	if mv, err := exec.LookPath("minisign"); err == nil {
		if b, err := exec.Command(mv, "-V", "-p", pub, "-m", base+".manifest.json").CombinedOutput(); err != nil {
			t.Errorf("minisign -V: %v %s", err, b)
		}
	}
	// PDF: report id on every page, Japanese name
	if _, err := exec.LookPath("pdftotext"); err == nil {
		txt, _ := exec.Command("pdftotext", base+".pdf", "-").Output()
		pages := strings.Split(strings.TrimRight(string(txt), "\f"), "\f")
		for i, p := range pages {
			if !strings.Contains(p, "Report ID TR-20260304-E2E00001") {
				t.Errorf("PDF page %d lacks the report id", i+1)
			}
		}
		if !strings.Contains(string(txt), "日本語ファイル.txt") && !strings.Contains(string(txt), `\u65E5\u672C\u8A9E`) {
			t.Error("PDF lacks the Japanese name (as text or escapes)")
		}
	}

	// verify: all OK
	st, out, errs = tri(t, "verify", dir, "--pubkey", pub)
	if st != 0 || strings.Contains(out, "FAILED") {
		t.Fatalf("verify: %d\n%s%s", st, out, errs)
	}
	// tamper with a report: verify names the file
	p := base + ".json"
	b[10] ^= 1
	os.WriteFile(p, b, 0o644)
	st, out, errs = tri(t, "verify", dir)
	if st != 1 || !strings.Contains(errs, "case-042.json") || !strings.Contains(out, "FAILED  report "+p) {
		t.Errorf("tampered report: %d\n%s%s", st, out, errs)
	}
	b[10] ^= 1
	os.WriteFile(p, b, 0o644)
	// tamper with the custody log: verify names the line, report refuses
	lp := filepath.Join(dir, custody.FileName)
	lb, _ := os.ReadFile(lp)
	i := strings.Index(string(lb), `"action":"scan started"`)
	line := strings.Count(string(lb[:i]), "\n") + 1
	lb[i+11] ^= 1
	os.WriteFile(lp, lb, 0o644)
	st, _, errs = tri(t, "verify", dir)
	if st != 1 || !strings.Contains(errs, "line "+strconv.Itoa(line)+":") {
		t.Errorf("tampered log: %d %s (want line %d)", st, errs, line)
	}
	st, _, errs = tri(t, "report", dir, "-o", filepath.Join(outDir, "again.html"), "--sign", sec)
	if st != 1 || !strings.Contains(errs, "custody log is broken") || !strings.Contains(errs, "--allow-broken-chain") {
		t.Errorf("report over a broken chain: %d %s", st, errs)
	}
	if _, err := os.Stat(filepath.Join(outDir, "again.html")); err == nil {
		t.Error("a report was written over a broken chain")
	}
	st, _, errs = tri(t, "report", dir, "-o", filepath.Join(outDir, "again.html"), "--allow-broken-chain")
	h, _ = os.ReadFile(filepath.Join(outDir, "again.html"))
	if st != 0 || !strings.Contains(string(h), "WARNING: the custody log of this case is broken") {
		t.Errorf("--allow-broken-chain: %d %s", st, errs)
	}
	if b2, _ := os.ReadFile(lp); len(b2) != len(lb) {
		t.Error("the broken custody log was appended to")
	}
}

func TestReportBadInput(t *testing.T) {
	fixedClock(t)
	dir := filepath.Join(t.TempDir(), "case")
	tri(t, "case", "init", dir, "--case-number", "2026/9")
	out := t.TempDir()
	_, pub := unencryptedKey(t)
	blocker := filepath.Join(t.TempDir(), "file") // a file where the output folder should be
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		st   int
		msg  string
	}{
		{[]string{"report", dir}, 2, "-o is required"},
		{[]string{"report", dir, "-o", filepath.Join(out, "r"), "-f", "docx"}, 2, "unknown format"},
		{[]string{"report", dir, "-o", filepath.Join(out, "r"), "--sign", filepath.Join(out, "none.key")}, 1, "cannot read secret key"},
		{[]string{"report", dir, "-o", filepath.Join(out, "r"), "--sign", pub}, 1, "is a public key"},
		{[]string{"report", dir, "-o", filepath.Join(blocker, "r.html")}, 1, "not a folder"},
		{[]string{"report", filepath.Join(out, "nocase"), "-o", filepath.Join(out, "r")}, 1, "not a triage case"},
		{[]string{"report", dir, "-o", filepath.Join(dir, "r.html")}, 2, "inside the case directory"},
	} {
		st, _, errs := tri(t, tc.args...)
		if st != tc.st || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: status %d, stderr %q; want %d and %q", tc.args[1:], st, errs, tc.st, tc.msg)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("failed runs left %d files in the output folder", len(ents))
	}
	// a case with no scans says so plainly
	st, _, errs := tri(t, "report", dir, "-o", filepath.Join(out, "empty.html"))
	h, _ := os.ReadFile(filepath.Join(out, "empty.html"))
	if st != 0 || !strings.Contains(string(h), "No evidence has been scanned in this case") {
		t.Errorf("empty case: %d %s", st, errs)
	}
}
