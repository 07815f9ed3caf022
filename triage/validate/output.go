package validate

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"

	"github.com/triagekit/triage/report"
)

// maxRecord bounds the size of a record read by Load.
const maxRecord = 64 << 20

// Formats are the output formats of a record.
var Formats = []string{"json", "html", "pdf"}

// Written is what Write produced.
type Written struct {
	Files     []string
	Manifest  string
	Signature string
}

// Write writes the record as BASE.json, BASE.html and/or BASE.pdf (base: out without
// its extension) with BASE.manifest.json, a report manifest listing them
// with their SHA-256, and with a signer BASE.manifest.json.minisig, so
// that `triage verify` checks the record like a report.
//
// Write never replaces the files of an earlier record (its outputs,
// manifest or signature) unless force is set: it returns an *ExistsError
// naming them. With force, a signature left by the earlier record is
// removed when this one is not signed.
func Write(rec *Record, out string, formats []string, signer *report.Signer, force bool) (*Written, error) {
	base := strings.TrimSuffix(out, filepath.Ext(out))
	if len(formats) == 0 {
		formats = []string{"json"}
	}
	w := &Written{Manifest: base + ".manifest.json"}
	sigPath := w.Manifest + ".minisig"
	var exist []string
	for _, p := range append(formatPaths(base, formats), w.Manifest, sigPath) {
		if _, err := os.Lstat(p); err == nil {
			exist = append(exist, p)
		}
	}
	if len(exist) > 0 && !force {
		return nil, &ExistsError{Paths: exist}
	}
	if force && signer == nil {
		if err := os.Remove(sigPath); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	m := report.Manifest{SchemaVersion: report.SchemaVersion, Kind: report.ManifestKind, ReportID: rec.ID,
		GeneratedAt: rec.GeneratedAt, Tool: rec.Tool}
	for _, f := range formats {
		var b []byte
		var err error
		switch f {
		case "json":
			b, err = json.MarshalIndent(rec, "", "  ")
			b = append(b, '\n')
		case "html":
			var sb strings.Builder
			err = htmlTemplate.Execute(&sb, rec)
			b = []byte(sb.String())
		case "pdf":
			b, err = writePDF(rec)
		default:
			return nil, fmt.Errorf("unknown format %q (json, html, pdf)", f)
		}
		if err != nil {
			return nil, err
		}
		p := base + "." + f
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		n, sum, err := report.FileSHA256(p)
		if err != nil {
			return nil, err
		}
		m.Outputs = append(m.Outputs, report.ManifestOutput{File: filepath.Base(p), Format: f, Size: n, SHA256: sum})
		w.Files = append(w.Files, p)
	}
	if signer != nil {
		m.Signature = &struct {
			File      string `json:"file"`
			KeyID     string `json:"key_id"`
			PublicKey string `json:"public_key"`
		}{filepath.Base(sigPath), signer.KeyID(), signer.PublicKey()}
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	mb = append(mb, '\n')
	if err := os.WriteFile(w.Manifest, mb, 0o644); err != nil {
		return nil, err
	}
	if signer != nil {
		tc := fmt.Sprintf("triage validation record %s manifest %s", rec.ID, filepath.Base(w.Manifest))
		if err := os.WriteFile(sigPath, signer.Sign(mb, tc), 0o644); err != nil {
			return nil, err
		}
		w.Signature = sigPath
	}
	return w, nil
}

// formatPaths are the files Write makes for formats.
func formatPaths(base string, formats []string) []string {
	var out []string
	for _, f := range formats {
		out = append(out, base+"."+f)
	}
	return out
}

// ExistsError is returned by Write for files of an earlier record.
type ExistsError struct{ Paths []string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("validate: %s already exists (written by an earlier validation)", strings.Join(e.Paths, ", "))
}

// Load reads a JSON validation record.
func Load(path string) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRecord {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxRecord)
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Parse decodes a JSON validation record.
func Parse(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("not a validation record: %w", err)
	}
	if r.Kind != RecordKind {
		return nil, fmt.Errorf("not a validation record (kind %q)", r.Kind)
	}
	return &r, nil
}

// Change is one difference between two records.
type Change struct {
	ID   string `json:"id"`
	What string `json:"what"` // "added", "removed", "result changed", "expectation changed"
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// Compare lists the cases added, removed, and whose result (pass/fail or
// actual value) or expectation changed from old to new.
func Compare(old, new *Record) []Change {
	oldBy := map[string]Case{}
	for _, c := range old.Cases {
		oldBy[c.ID] = c
	}
	var out []Change
	seen := map[string]bool{}
	for _, c := range new.Cases {
		seen[c.ID] = true
		o, ok := oldBy[c.ID]
		switch {
		case !ok:
			out = append(out, Change{ID: c.ID, What: "added", New: verdict(c)})
		case o.Pass != c.Pass || o.Actual != c.Actual:
			out = append(out, Change{ID: c.ID, What: "result changed", Old: verdict(o), New: verdict(c)})
		case o.Expected != c.Expected || o.ImageSHA256 != c.ImageSHA256:
			out = append(out, Change{ID: c.ID, What: "expectation changed", Old: o.Expected, New: c.Expected})
		}
	}
	for _, c := range old.Cases {
		if !seen[c.ID] {
			out = append(out, Change{ID: c.ID, What: "removed", Old: verdict(c)})
		}
	}
	return out
}

func verdict(c Case) string {
	v := "FAIL"
	if c.Pass {
		v = "PASS"
	}
	return v + ": " + c.Actual
}

// checkReportTamper writes a signed record, checks that report.VerifyReport
// accepts it, changes one byte of its JSON file and checks that the change
// is caught.
func checkReportTamper(e *env, s *spec) (string, string, []string, error) {
	dir := filepath.Join(e.tmp, "tamper")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", nil, err
	}
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	kt, err := priv.MarshalText()
	if err != nil {
		return "", "", nil, err
	}
	kp := filepath.Join(dir, "key")
	if err := os.WriteFile(kp, kt, 0o600); err != nil {
		return "", "", nil, err
	}
	signer, err := report.LoadSigner(kp, "")
	if err != nil {
		return "", "", nil, err
	}
	rec := &Record{SchemaVersion: SchemaVersion, Kind: RecordKind, ID: "TV-TAMPER", Cases: []Case{{ID: "X", Pass: true, Actual: "sample"}}}
	w, err := Write(rec, filepath.Join(dir, "record.json"), []string{"json"}, signer, false)
	if err != nil {
		return "", "", nil, err
	}
	vo := report.VerifyOptions{PublicKey: pub.String(), NoEvidence: true}
	exp := "intact record: every check OK; one byte changed: the changed file FAILED"
	var diffs []string
	for _, c := range report.VerifyReport(e.ctx, w.Manifest, vo) {
		if c.Status != report.OK {
			diffs = append(diffs, fmt.Sprintf("intact record: %s %s: %s", c.Name, c.Status, c.Detail))
		}
	}
	b, err := os.ReadFile(w.Files[0])
	if err != nil {
		return "", "", nil, err
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(w.Files[0], b, 0o644); err != nil {
		return "", "", nil, err
	}
	caught := ""
	for _, c := range report.VerifyReport(e.ctx, w.Manifest, vo) {
		if c.Status == report.Failed && strings.Contains(c.Name, filepath.Base(w.Files[0])) {
			caught = c.Detail
		}
	}
	act := "tamper caught: " + caught
	if caught == "" {
		act = "tamper not caught"
		diffs = append(diffs, "a one-byte change to the record went unnoticed")
	}
	return exp, act, diffs, nil
}

var htmlTemplate = template.Must(template.New("record").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>triage validation record {{.ID}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px;vertical-align:top;font-size:90%}
.pass{color:#060;font-weight:bold}.fail{color:#b00;font-weight:bold}code{word-break:break-all}</style></head><body>
<h1>Validation record {{.ID}}</h1>
<table>
<tr><th>Tool</th><td>{{.Tool.Program}} {{.Tool.Version}} (commit {{.Tool.Commit}}, {{.Tool.GoVersion}}, {{.Tool.Platform}})</td></tr>
<tr><th>Binary SHA-256</th><td><code>{{.Tool.SHA256}}</code></td></tr>
<tr><th>Date</th><td>{{.GeneratedAt}}</td></tr>
<tr><th>Examiner</th><td>{{.Examiner}}</td></tr>
<tr><th>Host</th><td>{{.Host}}</td></tr>
<tr><th>Result</th><td>{{.Passed}} passed, {{.Failed}} failed, in {{.Seconds}} s</td></tr>
</table>
<h2>Cases</h2>
<table><tr><th>Case</th><th>Requirement</th><th>Image (SHA-256)</th><th>Expected</th><th>Source of the expectation</th><th>Actual</th><th>Result</th></tr>
{{range .Cases}}<tr><td>{{.ID}}</td><td>{{.Requirement}}</td><td>{{.Image}}{{if .ImageSHA256}}<br><code>{{.ImageSHA256}}</code>{{end}}</td>
<td>{{.Expected}}</td><td>{{.Source}}</td><td>{{.Actual}}{{range .Differences}}<br>{{.}}{{end}}</td>
<td>{{if .Pass}}<span class="pass">PASS</span>{{else}}<span class="fail">FAIL</span>{{end}}</td></tr>
{{end}}</table></body></html>
`))

// EnvDir names the environment variable that overrides DataDir.
const EnvDir = "TRIAGE_VALIDATION_DIR"

// DataDir returns the user's folder of validation records:
// $TRIAGE_VALIDATION_DIR, else $XDG_DATA_HOME/triage/validation, else
// ~/.local/share/triage/validation.
func DataDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "triage", "validation"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "triage", "validation"), nil
}

// CaseDir is the folder of validation records inside a case folder.
func CaseDir(caseDir string) string { return filepath.Join(caseDir, "validation") }

// Store keeps a copy of a record in dir as BINARY-SHA256.json, where Find
// looks for the record of a binary. A record without the binary's SHA-256
// is not stored.
func Store(rec *Record, dir string) (string, error) {
	if !isHex64(rec.Tool.SHA256) {
		return "", fmt.Errorf("the record names no binary SHA-256")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, rec.Tool.SHA256+".json")
	return p, os.WriteFile(p, append(b, '\n'), 0o644)
}

// Find returns the stored validation record of the binary with this
// SHA-256 in the first of dirs that holds one.
func Find(binarySHA256 string, dirs ...string) (string, *Record, error) {
	if !isHex64(binarySHA256) {
		return "", nil, fmt.Errorf("not a SHA-256: %q", binarySHA256)
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, binarySHA256+".json")
		if r, err := Load(p); err == nil && r.Tool.SHA256 == binarySHA256 {
			return p, r, nil
		}
	}
	return "", nil, os.ErrNotExist
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
