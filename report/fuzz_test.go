package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/triagekit/triage/triage/custody"
)

// FuzzNames checks the text defences on arbitrary names: CSV cells never
// start with a formula character, DFXML text is always well-formed XML, and
// Visible leaves no control or bidi character.
func FuzzNames(f *testing.F) {
	for _, s := range []string{nameScript, nameImg, nameJapanese, nameBidi, nameFormula, exhibitID, "\x00\x01\ufffe", "\t=1", "-\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := Neutralize(s); n != "" && strings.ContainsRune("=+-@\t\r", rune(n[0])) {
			t.Errorf("Neutralize(%q) = %q", s, n)
		}
		doc := "<a>" + xesc(s) + "</a>"
		if utf8.ValidString(s) {
			if err := xml.Unmarshal([]byte(doc), new(struct{})); err != nil {
				t.Errorf("xesc(%q) is not XML text: %v", s, err)
			}
		}
		for _, r := range Visible(s) {
			if hidden(r) {
				t.Errorf("Visible(%q) keeps %U", s, r)
			}
		}
		if n := ShowName(s); !utf8.ValidString(n) || strings.ContainsRune(n, utf8.RuneError) && !strings.ContainsRune(s, utf8.RuneError) {
			t.Errorf("ShowName(%q) = %q", s, n)
		}
		for _, r := range ShowName(s) {
			if hidden(r) {
				t.Errorf("ShowName(%q) keeps %U", s, r)
			}
		}
	})
}

// FuzzVerifyManifest feeds arbitrary bytes as a manifest (and signature):
// verification must fail or skip cleanly, never panic, and never report a
// file OK that the manifest does not list with its true hash.
func FuzzVerifyManifest(f *testing.F) {
	f.Add([]byte(`{"schema_version":1,"kind":"triage report manifest","outputs":[{"file":"r.html","sha256":"00","size":1}]}`), []byte("untrusted comment: x\nRUQ=\ntrusted comment: y\nAA==\n"))
	f.Add([]byte(`{"kind":"triage report manifest","outputs":[{"file":"../../etc/passwd"}],"signature":{"public_key":"RWQ="}}`), []byte{})
	f.Add([]byte("null"), []byte("\x00"))
	f.Fuzz(func(t *testing.T, manifest, sig []byte) {
		d := t.TempDir()
		mp := filepath.Join(d, "r.manifest.json")
		os.WriteFile(mp, manifest, 0o644)
		if len(sig) > 0 {
			os.WriteFile(mp+".minisig", sig, 0o644)
		}
		os.WriteFile(filepath.Join(d, "r.html"), []byte("x"), 0o644)
		for _, c := range VerifyReport(context.Background(), mp, VerifyOptions{}) {
			if c.Status == OK && strings.HasPrefix(c.Name, "report ") && !bytes.Contains(manifest, []byte("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")) {
				t.Errorf("file OK without its hash in the manifest: %+v", c)
			}
		}
	})
}

// FuzzCustodyLog feeds arbitrary bytes as a custody log to the reader the
// report and verify use: it must never panic, and whatever it accepts must
// re-verify to the same head.
func FuzzCustodyLog(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"action":"note","actor":"a","details":{},"hash":"x","host":"h","prev":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"time":"t","tool":{"commit":"","sha256":"","version":""}}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, head, err := custody.VerifyReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		ev2, head2, err := custody.VerifyReader(bytes.NewReader(b))
		if err != nil || head != head2 || len(ev) != len(ev2) {
			t.Errorf("accepted log does not re-verify: %v", err)
		}
	})
}
