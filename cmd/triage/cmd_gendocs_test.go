package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gen-docs writes a man page and a markdown page per command; boolean
// flags are shown plainly (no cobra "[=false]"), a flag taking a value
// with its value name, list defaults as typed; groff reads the man pages
// without a warning.
func TestGenDocs(t *testing.T) {
	dir := t.TempDir()
	if st, _, errs := runTriage(t, "gen-docs", "--dir", dir); st != 0 {
		t.Fatalf("gen-docs: status %d: %s", st, errs)
	}
	if st, _, errs := runTriage(t, "gen-docs", "--dir", dir, "--format", "markdown"); st != 0 {
		t.Fatalf("gen-docs --format markdown: status %d: %s", st, errs)
	}
	for _, page := range []string{"triage", "triage-scan", "triage-case-show", "triage-export", "triage-audit", "triage-report"} {
		for _, ext := range []string{".1", ".md"} {
			if _, err := os.Stat(filepath.Join(dir, page+ext)); err != nil {
				t.Errorf("no page %s%s: %v", page, ext, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "triage-gen-docs.1")); err == nil {
		t.Errorf("the hidden gen-docs has a man page")
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*"))
	cobraSyntax := regexp.MustCompile(`\[=(false|true)\]|--[a-z-]+\[=|\(default \[`)
	for _, p := range pages {
		b, _ := os.ReadFile(p)
		s := strings.ReplaceAll(string(b), `\-`, "-")
		if m := cobraSyntax.FindString(s); m != "" {
			t.Errorf("%s shows %q", filepath.Base(p), m)
		}
	}

	man := read("triage-export.1")
	for _, want := range []string{
		".TH \"TRIAGE-EXPORT\" \"1\"",
		".SH SYNOPSIS\n.nf\n\\fBtriage export CASE \\-o DIR [flags]\\fR\n",
		".TP\n\\fB\\-\\-force\\fR\nexport into a folder",
		".TP\n\\fB\\-q\\fR, \\fB\\-\\-quiet\\fR\nprint nothing",
		".TP\n\\fB\\-\\-case\\fR \\fIDIR\\fR\nthe case DIR",
		".TP\n\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fIDIR\\fR\n",
		".SH SEE ALSO\n.BR triage (1)\n",
	} {
		if !strings.Contains(man, want) {
			t.Errorf("triage-export.1 lacks %q", want)
		}
	}
	// A boolean flag on by default says so; a list default is shown as typed.
	scan := strings.ReplaceAll(read("triage-scan.1"), `\-`, "-")
	if !regexp.MustCompile(`\\fB--archives\\fR\n[^\n]*\(default true\)`).MatchString(scan) {
		t.Errorf("triage-scan.1: --archives not shown plainly with (default true)")
	}
	md := read("triage-report.md")
	for _, want := range []string{"# triage report\n", "## Options\n\n```\n", "      --force ", "--format FORMATS"} {
		if !strings.Contains(md, want) {
			t.Errorf("triage-report.md lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^  -f, --format [A-Z]+ +[^\n]*\(default html\)$`).MatchString(md) {
		t.Errorf("triage-report.md: --format's default not shown as typed (default html)")
	}

	if _, err := exec.LookPath("groff"); err != nil {
		t.Log("groff not installed (Debian package groff): the man pages are not rendered")
		return
	}
	for _, p := range pages {
		if !strings.HasSuffix(p, ".1") {
			continue
		}
		out, err := exec.Command("groff", "-man", "-ww", "-z", p).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("groff %s: %v: %s", filepath.Base(p), err, out)
		}
	}

	if st, _, errs := runTriage(t, "gen-docs", "--dir", dir, "--format", "html"); st != 2 || !strings.Contains(errs, `--format "html": use man or markdown`) {
		t.Errorf("gen-docs --format html: status %d, %s", st, errs)
	}
}
