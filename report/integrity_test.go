package report

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/triagekit/triage/triage/custody"
)

// testKey writes an unencrypted minisign key pair (as minisign -G -W
// makes) and returns the secret and public key paths. Encrypted keys cost
// a second of scrypt each; TestEncryptedKey covers them.
func testKey(t *testing.T) (sec, pub string) {
	t.Helper()
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	sec, pub = filepath.Join(d, "test.key"), filepath.Join(d, "test.pub")
	st, _ := sk.MarshalText()
	pt, _ := pk.MarshalText()
	os.WriteFile(sec, append(st, '\n'), 0o600)
	os.WriteFile(pub, append(pt, '\n'), 0o644)
	return sec, pub
}

func writeAll(t *testing.T, r *Report, dir string, signer *Signer) *Result {
	t.Helper()
	outs, man, err := Plan(Formats, filepath.Join(dir, "report"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Write(context.Background(), r, outs, man, WriteOptions{Signer: signer, PDF: PDFOptions{FontDirs: []string{}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func failures(cs []Check) []Check {
	var out []Check
	for _, c := range cs {
		if c.Status == Failed {
			out = append(out, c)
		}
	}
	return out
}

func flipByte(t *testing.T, path string, off int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off += len(b)
	}
	b[off] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSignVerifyTamper(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	sec, pub := testKey(t)
	signer, err := LoadSigner(sec, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res := writeAll(t, r, dir, signer)
	if len(res.Outputs) != 5 || res.SignaturePath == "" {
		t.Fatalf("outputs %v, signature %q", res.Outputs, res.SignaturePath)
	}
	// every output's SHA-256 in the manifest is that of the file on disk
	for _, o := range res.Outputs {
		_, sum, err := FileSHA256(filepath.Join(dir, o.File))
		if err != nil || sum != o.SHA256 {
			t.Errorf("%s: manifest %s, file %s (%v)", o.File, o.SHA256, sum, err)
		}
	}
	// nothing else was left in the folder (temporary files)
	ents, _ := os.ReadDir(dir)
	if len(ents) != 7 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want 5 outputs, manifest and signature", names)
	}
	pubText, _ := os.ReadFile(pub)
	vo := VerifyOptions{PublicKey: string(pubText)}
	if f := failures(VerifyReport(context.Background(), filepath.Join(dir, "report.pdf"), vo)); len(f) > 0 {
		t.Fatalf("fresh report fails: %v", f)
	}
	if mv, err := exec.LookPath("minisign"); err == nil {
		if out, err := exec.Command(mv, "-V", "-p", pub, "-m", res.ManifestPath).CombinedOutput(); err != nil {
			t.Errorf("minisign -V rejects the signature: %v\n%s", err, out)
		}
	} else {
		t.Log("minisign not installed: signature not checked with the stock tool")
	}

	// one flipped byte in a report file
	csvPath := filepath.Join(dir, "report.csv")
	flipByte(t, csvPath, 100)
	f := failures(VerifyReport(context.Background(), res.ManifestPath, vo))
	if len(f) != 1 || !strings.Contains(f[0].Name, "report.csv") || !strings.Contains(f[0].Detail, "changed") {
		t.Errorf("tampered CSV: %v", f)
	}
	flipByte(t, csvPath, 100)

	// one flipped byte in the manifest: in a recorded hash, and in its kind
	mb, _ := os.ReadFile(res.ManifestPath)
	at := strings.Index(string(mb), `"sha256": "`) + len(`"sha256": "`) + 3
	flipByte(t, res.ManifestPath, at)
	f = failures(VerifyReport(context.Background(), res.ManifestPath, vo))
	var sigFailed bool
	for _, c := range f {
		sigFailed = sigFailed || strings.HasSuffix(c.Name, "report.manifest.json.minisig") && strings.Contains(c.Detail, "does not match")
	}
	if !sigFailed {
		t.Errorf("tampered manifest: signature not failed: %v", f)
	}
	flipByte(t, res.ManifestPath, at)
	flipByte(t, res.ManifestPath, 40)
	f = failures(VerifyReport(context.Background(), res.ManifestPath, vo))
	if len(f) == 0 || !strings.Contains(f[0].Name, "report.manifest.json") {
		t.Errorf("tampered manifest kind: %v", f)
	}
	flipByte(t, res.ManifestPath, 40)

	// a signature by another key
	_, otherPub := testKey(t)
	op, _ := os.ReadFile(otherPub)
	f = failures(VerifyReport(context.Background(), res.ManifestPath, VerifyOptions{PublicKey: string(op)}))
	if len(f) != 1 || !strings.Contains(f[0].Detail, "signed by key") {
		t.Errorf("foreign key: %v", f)
	}
	if minisignPath, err := exec.LookPath("minisign"); err == nil {
		if exec.Command(minisignPath, "-V", "-p", otherPub, "-m", res.ManifestPath).Run() == nil {
			t.Error("minisign -V accepts the signature with another key")
		}
	}
}

func TestVerifyCase(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	dir := t.TempDir()
	res := writeAll(t, r, dir, nil)
	abs, _ := filepath.Abs(res.ManifestPath)
	if _, err := custody.Append(c.Dir, custody.Event{Action: custody.ActionReportGenerated, Details: map[string]any{
		"manifest": abs, "manifest_sha256": res.ManifestSHA256, "report_id": r.ID}}, custody.Options{}); err != nil {
		t.Fatal(err)
	}
	cs := VerifyCase(context.Background(), c.Dir, VerifyOptions{})
	if f := failures(cs); len(f) > 0 {
		t.Fatalf("fresh case fails: %v", f)
	}
	var sawHead, sawManifest, sawEvidence bool
	for _, ch := range cs {
		sawHead = sawHead || strings.HasPrefix(ch.Name, "custody head") && ch.Status == OK
		sawManifest = sawManifest || strings.HasPrefix(ch.Name, "manifest") && strings.Contains(ch.Detail, "custody event 5")
		sawEvidence = sawEvidence || strings.HasPrefix(ch.Name, "evidence 1") && ch.Status == Skipped && strings.Contains(ch.Detail, "not reachable")
	}
	if !sawHead || !sawManifest || !sawEvidence {
		t.Errorf("checks missing: head %v manifest %v evidence %v\n%v", sawHead, sawManifest, sawEvidence, cs)
	}

	// a changed manifest no longer matches its custody event (the
	// manifest is unsigned here, so only the log catches it)
	flipByte(t, res.ManifestPath, 30)
	f := failures(VerifyCase(context.Background(), c.Dir, VerifyOptions{}))
	if len(f) == 0 || !strings.Contains(f[0].Detail, "custody event 5 recorded") {
		t.Errorf("changed manifest: %v", f)
	}
	flipByte(t, res.ManifestPath, 30)

	// one flipped byte in the custody log names the line
	log := filepath.Join(c.Dir, custody.FileName)
	b, _ := os.ReadFile(log)
	line3 := strings.Index(string(b), `"action":"scan finished"`)
	flipByte(t, log, line3+12)
	f = failures(VerifyCase(context.Background(), c.Dir, VerifyOptions{}))
	if len(f) == 0 || !strings.Contains(f[0].Detail, "line 3:") {
		t.Errorf("tampered log: %v", f)
	}
}

func TestVerifyEvidenceRehash(t *testing.T) {
	img := filepath.Join(t.TempDir(), "usb-stick.dd")
	os.WriteFile(img, []byte("the whole media"), 0o644)
	c := newFixtureCaseOf(t, img)
	check := func() Check {
		for _, ch := range VerifyCase(context.Background(), c.Dir, VerifyOptions{}) {
			if strings.HasPrefix(ch.Name, "evidence 1") {
				return ch
			}
		}
		t.Fatal("no evidence check")
		return Check{}
	}
	if ch := check(); ch.Status != OK || !strings.Contains(ch.Detail, sums("the whole media").sha256) {
		t.Errorf("matching image: %+v", ch)
	}
	os.WriteFile(img, []byte("the whole mediA"), 0o644)
	if ch := check(); ch.Status != Failed || !strings.Contains(ch.Detail, "MISMATCH") {
		t.Errorf("changed image: %+v", ch)
	}
}

func TestWriteLeavesNothingOnFailure(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	dir := t.TempDir()
	outs, man, _ := Plan(Formats, filepath.Join(dir, "report"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the listing query fails: the JSON render fails after HTML and PDF were written
	if _, err := Write(ctx, r, outs, man, WriteOptions{PDF: PDFOptions{FontDirs: []string{}}}); err == nil {
		t.Fatal("Write with a cancelled context succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a failed run left %d files", len(ents))
	}
	// an output folder that does not exist is made
	_, err := Write(context.Background(), r, []Output{{"html", filepath.Join(dir, "new", "sub", "r.html")}}, filepath.Join(dir, "new", "sub", "r.manifest.json"), WriteOptions{})
	if _, serr := os.Stat(filepath.Join(dir, "new", "sub", "r.html")); err != nil || serr != nil {
		t.Errorf("missing folder: %v, %v", err, serr)
	}
	// an output folder that is a file
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	_, err = Write(context.Background(), r, []Output{{"html", filepath.Join(dir, "file", "r.html")}}, filepath.Join(dir, "file", "r.manifest.json"), WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("folder is a file: %v", err)
	}
}

func TestKeyFiles(t *testing.T) {
	_, pub := testKey(t)
	if _, err := LoadSigner(pub, ""); !errors.Is(err, ErrNotSecretKey) {
		t.Errorf("public key as secret key: %v", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.key")
	os.WriteFile(junk, []byte("untrusted comment: hello\nbm90IGEga2V5\n"), 0o600)
	if _, err := LoadSigner(junk, ""); !errors.Is(err, ErrNotSecretKey) {
		t.Errorf("junk key: %v", err)
	}
	if _, err := LoadSigner(filepath.Join(t.TempDir(), "none.key"), ""); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing key: %v", err)
	}
}

// raceEnabled is set when the race detector is on.
var raceEnabled bool

func TestEncryptedKey(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("scrypt with minisign's cost parameters (1 GiB) takes seconds, minutes under the race detector")
	}
	kp, err := GenerateKey("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	sec, pub := filepath.Join(d, "k.key"), filepath.Join(d, "k.pub")
	os.WriteFile(sec, kp.Secret, 0o600)
	os.WriteFile(pub, kp.Public, 0o644)
	if !KeyIsEncrypted(sec) {
		t.Error("generated key is not encrypted")
	}
	if _, err := LoadSigner(sec, "wrong"); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}
	s, err := LoadSigner(sec, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("manifest")
	sig := s.Sign(msg, "trusted")
	if tc, err := VerifySignature(string(kp.Public), msg, sig); err != nil || tc != "trusted" || s.KeyID() != kp.ID {
		t.Errorf("verify: %q %v", tc, err)
	}
	if mv, err := exec.LookPath("minisign"); err == nil {
		m := filepath.Join(d, "m")
		os.WriteFile(m, msg, 0o644)
		os.WriteFile(m+".minisig", sig, 0o644)
		if out, err := exec.Command(mv, "-V", "-p", pub, "-m", m).CombinedOutput(); err != nil {
			t.Errorf("minisign -V: %v\n%s", err, out)
		}
	}
}

func TestVerifyHostileManifest(t *testing.T) {
	d := t.TempDir()
	mp := filepath.Join(d, "r.manifest.json")
	os.WriteFile(mp, []byte(`{"kind":"triage report manifest","outputs":[{"file":"../../../../dev/zero","sha256":"x"},{"file":"/etc/passwd"},{"file":"sub"}]}`), 0o644)
	os.Mkdir(filepath.Join(d, "sub"), 0o755)
	cs := VerifyReport(context.Background(), mp, VerifyOptions{})
	f := failures(cs)
	if len(f) != 3 || !strings.Contains(f[0].Detail, "outside its folder") || !strings.Contains(f[1].Detail, "outside its folder") || !strings.Contains(f[2].Detail, "not a regular file") {
		t.Errorf("hostile manifest: %v", cs)
	}
	if _, err := LoadSigner("/dev/zero", ""); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("device as key: %v", err)
	}
}
