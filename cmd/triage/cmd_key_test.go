package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyGenerateErrors(t *testing.T) {
	d := t.TempDir()
	if st, _, _ := tri(t, "key", "generate"); st != 2 {
		t.Errorf("no -o: status %d", st)
	}
	// no terminal and no password file: never prompt
	st, _, errs := tri(t, "key", "generate", "-o", filepath.Join(d, "k"))
	if st != 1 || !strings.Contains(errs, "not a terminal") || !strings.Contains(errs, "--password-file") {
		t.Errorf("no password: %d %s", st, errs)
	}
	empty := filepath.Join(d, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if st, _, errs := tri(t, "key", "generate", "-o", filepath.Join(d, "k"), "--password-file", empty); st != 1 || !strings.Contains(errs, "empty") {
		t.Errorf("empty password: %d %s", st, errs)
	}
	os.WriteFile(filepath.Join(d, "old.key"), []byte("x"), 0o600)
	if st, _, errs := tri(t, "key", "generate", "-o", filepath.Join(d, "old"), "--password-file", empty); st != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("existing key: %d %s", st, errs)
	}
	if ents, _ := os.ReadDir(d); len(ents) != 2 {
		t.Errorf("failed runs left files: %d entries", len(ents))
	}
}

// TestKeyGenerateSignVerify makes an encrypted key pair, signs a report
// with it and checks the signature with triage and minisign. Key
// encryption costs seconds of scrypt, so it is left out of -short runs and
// race-detector runs.
func TestKeyGenerateSignVerify(t *testing.T) {
	if testing.Short() || reportRaceEnabled {
		t.Skip("scrypt with minisign's cost parameters takes seconds, minutes under the race detector")
	}
	fixedClock(t)
	d := t.TempDir()
	pw := filepath.Join(d, "pw")
	os.WriteFile(pw, []byte("correct horse\n"), 0o600)
	st, out, errs := tri(t, "key", "generate", "-o", filepath.Join(d, "examiner"), "--password-file", pw)
	if st != 0 || !strings.Contains(out, "public key: ") {
		t.Fatalf("key generate: %d %s", st, errs)
	}
	if fi, err := os.Stat(filepath.Join(d, "examiner.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret key mode: %v %v", fi, err)
	}
	dir := filepath.Join(d, "case")
	tri(t, "case", "init", dir)
	wrong := filepath.Join(d, "wrong")
	os.WriteFile(wrong, []byte("wrong horse\n"), 0o600)
	st, _, errs = tri(t, "report", dir, "-o", filepath.Join(d, "r.html"), "--sign", filepath.Join(d, "examiner.key"), "--password-file", wrong)
	if st != 1 || !strings.Contains(errs, "wrong password") {
		t.Errorf("wrong password: %d %s", st, errs)
	}
	if _, err := os.Stat(filepath.Join(d, "r.html")); err == nil {
		t.Error("a report was written with a wrong password")
	}
	st, _, errs = tri(t, "report", dir, "-o", filepath.Join(d, "r.html"), "--sign", filepath.Join(d, "examiner.key"), "--password-file", pw)
	if st != 0 {
		t.Fatalf("signed report: %s", errs)
	}
	if st, out, _ := tri(t, "verify", filepath.Join(d, "r.html"), "--pubkey", filepath.Join(d, "examiner.pub")); st != 0 || !strings.Contains(out, "valid, by the given public key") {
		t.Errorf("verify: %d %s", st, out)
	}
	if mv, err := exec.LookPath("minisign"); err == nil {
		if b, err := exec.Command(mv, "-V", "-p", filepath.Join(d, "examiner.pub"), "-m", filepath.Join(d, "r.manifest.json")).CombinedOutput(); err != nil {
			t.Errorf("minisign -V: %v %s", err, b)
		}
	}
}

// reportRaceEnabled is set when the race detector is on.
var reportRaceEnabled bool
