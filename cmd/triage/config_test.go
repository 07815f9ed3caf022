package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// The configuration file gives defaults; the environment wins over it and
// a flag over both.
func TestConfigPrecedence(t *testing.T) {
	ev := t.TempDir()
	os.WriteFile(filepath.Join(ev, "a.txt"), []byte("a"), 0o644)
	cfgFile := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(cfgFile, []byte(`{"examiner": "From File", "timezone": "Europe/London", "hash": "sha256", "report_formats": ["json", "csv"]}`), 0o644)
	t.Setenv(EnvConfig, cfgFile)

	examiner := func(t *testing.T, env string, args ...string) (evidence, caseExaminer, tz string, ev0 *casedb.Evidence) {
		t.Helper()
		t.Setenv("TRIAGE_EXAMINER", env)
		dir := filepath.Join(t.TempDir(), "c")
		var out, errb bytes.Buffer
		if st := run(append([]string{"scan", ev, "--case", dir, "-q"}, args...), strings.NewReader(""), &out, &errb); st != 0 {
			t.Fatalf("scan: %d %s", st, errb.String())
		}
		c, err := casedb.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		evs, err := c.EvidenceItems(context.Background())
		if err != nil || len(evs) != 1 {
			t.Fatalf("evidence %v %v", evs, err)
		}
		ci, err := casedb.LoadCaseInfo(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return evs[0].Examiner, ci.Examiner, ci.TimeZone, evs[0]
	}
	t.Run("file", func(t *testing.T) {
		e, ce, tz, item := examiner(t, "")
		if e != "From File" || ce != "From File" || tz != "Europe/London" {
			t.Errorf("examiner %q, case examiner %q, time zone %q; want the file's", e, ce, tz)
		}
		if strings.Join(item.HashAlgorithms, ",") != "sha256" {
			t.Errorf("hash algorithms %v, want the file's sha256", item.HashAlgorithms)
		}
	})
	t.Run("environment", func(t *testing.T) {
		if e, _, _, _ := examiner(t, "From Env"); e != "From Env" {
			t.Errorf("examiner %q, want the environment's", e)
		}
	})
	t.Run("flag", func(t *testing.T) {
		e, _, tz, item := examiner(t, "From Env", "--examiner", "From Flag", "--timezone", "Asia/Tokyo", "--hash", "md5")
		if e != "From Flag" || tz != "Asia/Tokyo" || strings.Join(item.HashAlgorithms, ",") != "md5" {
			t.Errorf("examiner %q, time zone %q, hashes %v; want the flags'", e, tz, item.HashAlgorithms)
		}
	})
	t.Run("report formats", func(t *testing.T) {
		t.Setenv("TRIAGE_EXAMINER", "")
		dir := filepath.Join(t.TempDir(), "c")
		var out, errb bytes.Buffer
		if st := run([]string{"scan", ev, "--case", dir, "-q"}, strings.NewReader(""), &out, &errb); st != 0 {
			t.Fatalf("scan: %d %s", st, errb.String())
		}
		outDir := t.TempDir()
		if st := run([]string{"report", dir, "-o", filepath.Join(outDir, "r")}, strings.NewReader(""), &out, &errb); st != 0 {
			t.Fatalf("report: %d %s", st, errb.String())
		}
		for _, name := range []string{"r.json", "r.csv"} {
			if _, err := os.Stat(filepath.Join(outDir, name)); err != nil {
				t.Errorf("the file's formats: %v", err)
			}
		}
		if _, err := os.Stat(filepath.Join(outDir, "r.html")); err == nil {
			t.Error("r.html written: the file's formats replace the default")
		}
		if st := run([]string{"report", dir, "-o", filepath.Join(outDir, "f"), "-f", "html"}, strings.NewReader(""), &out, &errb); st != 0 {
			t.Fatalf("report -f html: %d %s", st, errb.String())
		}
		if _, err := os.Stat(filepath.Join(outDir, "f.html")); err != nil {
			t.Errorf("the flag's format: %v", err)
		}
		if _, err := os.Stat(filepath.Join(outDir, "f.json")); err == nil {
			t.Error("f.json written: the flag replaces the file's formats")
		}
	})
	t.Run("bad file", func(t *testing.T) {
		os.WriteFile(cfgFile, []byte(`{"examinr": "typo"}`), 0o644)
		var out, errb bytes.Buffer
		if st := run([]string{"scan", ev, "--case", filepath.Join(t.TempDir(), "c"), "-q"}, strings.NewReader(""), &out, &errb); st != 1 || !strings.Contains(errb.String(), `unknown field "examinr"`) {
			t.Errorf("status %d, stderr %q; want 1 naming the unknown key", st, errb.String())
		}
		out.Reset()
		if st := run([]string{"config"}, strings.NewReader(""), &out, &errb); st != 1 {
			t.Errorf("config with a bad file: status %d", st)
		}
	})
}
