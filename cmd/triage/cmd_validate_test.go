package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestValidate runs the suite through the command, writes a signed record,
// checks it with triage verify, and catches a one-byte change to it.
func TestValidate(t *testing.T) {
	t.Setenv("TRIAGE_VALIDATION_DIR", t.TempDir())
	d := t.TempDir()
	sec, pub := unencryptedKey(t)
	st, out, errs := tri(t, "validate", "-o", filepath.Join(d, "rec.json"), "--sign", sec, "--examiner", "A. Smith")
	if st != 0 || strings.Contains(out, "FAIL") || !strings.Contains(out, "PASS NTFS-02") || !strings.Contains(out, " 0 failed") {
		t.Fatalf("validate: %d\n%s\n%s", st, out, errs)
	}
	for _, f := range []string{"rec.json", "rec.html", "rec.manifest.json", "rec.manifest.json.minisig"} {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			t.Error(err)
		}
	}
	if st, out, _ := tri(t, "verify", filepath.Join(d, "rec.json"), "--pubkey", pub); st != 0 || strings.Contains(out, "FAILED") {
		t.Errorf("verify of the record: %d\n%s", st, out)
	}
	b, _ := os.ReadFile(filepath.Join(d, "rec.html"))
	b[len(b)/2] ^= 0x20
	os.WriteFile(filepath.Join(d, "rec.html"), b, 0o644)
	if st, out, _ := tri(t, "verify", filepath.Join(d, "rec.json"), "--pubkey", pub); st != 1 || !strings.Contains(out, "FAILED  report "+filepath.Join(d, "rec.html")) {
		t.Errorf("verify of a changed record: %d\n%s", st, out)
	}
}

// TestValidateCompare: two records that differ in one case.
func TestValidateCompare(t *testing.T) {
	t.Setenv("TRIAGE_VALIDATION_DIR", t.TempDir())
	d := t.TempDir()
	if st, _, errs := tri(t, "validate", "-o", filepath.Join(d, "old.json"), "--format", "json"); st != 0 {
		t.Fatalf("validate: %d %s", st, errs)
	}
	// The older record: E01-02 failed there.
	b, _ := os.ReadFile(filepath.Join(d, "old.json"))
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec["cases"].([]any) {
		if c := c.(map[string]any); c["id"] == "E01-02" {
			c["pass"], c["actual"] = false, "not caught"
		}
	}
	b, _ = json.Marshal(rec)
	os.WriteFile(filepath.Join(d, "old.json"), b, 0o644)
	st, out, errs := tri(t, "validate", "--compare", filepath.Join(d, "old.json"), "--json")
	var changes []struct{ ID, What, Old, New string }
	if err := json.Unmarshal([]byte(out), &changes); err != nil || st != 0 {
		t.Fatalf("compare: %d %v\n%s\n%s", st, err, out, errs)
	}
	if len(changes) != 1 || changes[0].ID != "E01-02" || changes[0].What != "result changed" ||
		!strings.HasPrefix(changes[0].Old, "FAIL: not caught") || !strings.HasPrefix(changes[0].New, "PASS") {
		t.Errorf("changes %+v", changes)
	}
	st, out, _ = tri(t, "validate", "--compare", filepath.Join(d, "old.json"))
	if st != 0 || !strings.Contains(out, "E01-02   result changed; was FAIL: not caught; now PASS") {
		t.Errorf("compare text: %d\n%s", st, out)
	}
}

// TestReportNamesValidation: a report made by a binary with a stored
// validation record names it.
func TestReportNamesValidation(t *testing.T) {
	t.Setenv("TRIAGE_VALIDATION_DIR", t.TempDir())
	d := t.TempDir()
	if st, _, errs := tri(t, "validate", "--examiner", "A. Smith"); st != 0 {
		t.Fatalf("validate: %d %s", st, errs)
	}
	ev := filepath.Join(d, "ev")
	os.MkdirAll(ev, 0o755)
	os.WriteFile(filepath.Join(ev, "a.txt"), []byte("a\n"), 0o644)
	dir := filepath.Join(d, "case")
	if st, _, errs := tri(t, "scan", ev, "--case", dir, "-q"); st != 0 {
		t.Fatalf("scan: %d %s", st, errs)
	}
	if st, _, errs := tri(t, "report", dir, "-o", filepath.Join(d, "r.json"), "--format", "json,html"); st != 0 {
		t.Fatalf("report: %d %s", st, errs)
	}
	b, _ := os.ReadFile(filepath.Join(d, "r.json"))
	var r struct {
		Report struct {
			Tool struct{ Validation string } `json:"tool"`
		} `json:"report"`
	}
	json.Unmarshal(b, &r)
	if v := r.Report.Tool.Validation; !strings.HasPrefix(v, "TV-") || !strings.Contains(v, "by A. Smith") || !strings.Contains(v, "0 failed") {
		t.Errorf("report tool.validation %q", v)
	}
	h, _ := os.ReadFile(filepath.Join(d, "r.html"))
	if !strings.Contains(string(h), "Validation record") {
		t.Error("the HTML report does not name the validation record")
	}
}

// TestValidateFlags: usage errors.
func TestValidateFlags(t *testing.T) {
	if st, _, _ := tri(t, "validate", "--sign", "k"); st != 2 {
		t.Errorf("--sign without -o: %d", st)
	}
	if st, _, _ := tri(t, "validate", "--format", "doc"); st != 2 {
		t.Errorf("bad format: %d", st)
	}
	if st, _, errs := tri(t, "validate", "--compare", "/nonexistent.json"); st != 1 || !strings.Contains(errs, "nonexistent") {
		t.Errorf("missing old record: %d %s", st, errs)
	}
}

// TestValidatePDF: --format pdf writes the record as a PDF whose text
// (pdftotext, poppler-utils) holds the record's identity and every case
// with its result; it is listed in the signed manifest, so triage verify
// accepts it and catches a one-byte change to it.
func TestValidatePDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	t.Setenv("TRIAGE_VALIDATION_DIR", t.TempDir())
	d := t.TempDir()
	sec, pub := unencryptedKey(t)
	rec := filepath.Join(d, "rec.json")
	if st, out, errs := tri(t, "validate", "-o", rec, "--format", "json,pdf", "--sign", sec, "--examiner", "A. Smith"); st != 0 {
		t.Fatalf("validate: %d\n%s\n%s", st, out, errs)
	}
	var r struct {
		ID    string `json:"id"`
		Cases []struct {
			ID string `json:"id"`
		} `json:"cases"`
	}
	b, err := os.ReadFile(rec)
	if err != nil || json.Unmarshal(b, &r) != nil || len(r.Cases) == 0 {
		t.Fatalf("record: %v", err)
	}
	txt, err := exec.Command("pdftotext", "-layout", filepath.Join(d, "rec.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(txt)
	for _, want := range []string{"Validation record " + r.ID, "A. Smith", "Binary SHA-256", "0 failed", "page 1 of"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	for _, c := range r.Cases {
		if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(c.ID) + `\s+PASS\s*$`).MatchString(text) {
			t.Errorf("the PDF's text lacks %q", c.ID+" PASS")
		}
	}
	if st, out, _ := tri(t, "verify", rec, "--pubkey", pub); st != 0 || strings.Contains(out, "FAILED") {
		t.Errorf("verify of the record: %d\n%s", st, out)
	}
	p := filepath.Join(d, "rec.pdf")
	b, _ = os.ReadFile(p)
	b[len(b)/2] ^= 0x01
	os.WriteFile(p, b, 0o644)
	if st, out, _ := tri(t, "verify", rec, "--pubkey", pub); st != 1 || !strings.Contains(out, "FAILED  report "+p) {
		t.Errorf("verify of a changed PDF record: %d\n%s", st, out)
	}
}
