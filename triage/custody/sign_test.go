package custody

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"
)

type testSigner struct{ k minisign.PrivateKey }

func (s testSigner) Sign(msg []byte, tc string) []byte {
	return minisign.SignWithComments(s.k, msg, tc, "test")
}
func (s testSigner) KeyID() string { return keyID(s.k.ID()) }

func newSigner(t *testing.T) (testSigner, string) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{priv}, pub.String()
}

// TestSignatures: events signed from the key-set event on verify (checked
// against minisign's own verification of each line); a key changed by an
// event not signed by the key in force, a changed signature, and an
// unsigned event are each refused.
func TestSignatures(t *testing.T) {
	dir := t.TempDir()
	s, pub := newSigner(t)
	if _, err := Append(dir, Event{Action: ActionNote, Details: map[string]any{"text": "before"}}, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(dir, Event{Action: ActionSigningKeySet, Details: map[string]any{"public_key": pub}}, Options{Signer: s}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := Append(dir, Event{Action: ActionNote, Details: map[string]any{"text": "after"}}, Options{Signer: s}); err != nil {
			t.Fatal(err)
		}
	}
	events, _, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifySignatures(dir, events, pub)
	if err != nil || r.From != 2 || r.Signed != 4 {
		t.Fatalf("%+v %v", r, err)
	}
	sigs, _ := ReadSignatures(dir)
	var p minisign.PublicKey
	p.UnmarshalText([]byte(pub))
	for _, e := range events[1:] {
		line, _ := Canonical(&e, true)
		if !minisign.Verify(p, line, []byte(sigs[e.Seq].Signature)) {
			t.Errorf("event %d: minisign does not verify its signature", e.Seq)
		}
	}

	// An attacker's key set by an event signed with that key.
	forged := t.TempDir()
	copyFiles(t, dir, forged)
	evil, evilPub := newSigner(t)
	if _, err := Append(forged, Event{Action: ActionSigningKeySet, Details: map[string]any{"public_key": evilPub}}, Options{Signer: evil}); err != nil {
		t.Fatal(err)
	}
	events, _, _ = Verify(forged)
	if _, err := VerifySignatures(forged, events, ""); err == nil || !strings.Contains(err.Error(), "event 6") {
		t.Errorf("a key changed by its own signature: %v", err)
	}

	// A signature changed.
	bad := t.TempDir()
	copyFiles(t, dir, bad)
	b, _ := os.ReadFile(filepath.Join(bad, SigFileName))
	os.WriteFile(filepath.Join(bad, SigFileName), []byte(strings.Replace(string(b), `"seq":3`, `"seq":4`, 1)), 0o644)
	events, _, _ = Verify(bad)
	if _, err := VerifySignatures(bad, events, ""); err == nil {
		t.Error("a signature moved to another event was accepted")
	}
}

func copyFiles(t *testing.T, from, to string) {
	for _, n := range []string{FileName, SigFileName} {
		b, err := os.ReadFile(filepath.Join(from, n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(to, n), b, 0o644)
	}
}

// FuzzSignatures: any signature log beside a signed custody log is read
// and checked without a panic, and a log whose signatures were changed
// is never accepted with more verified signatures than events.
func FuzzSignatures(f *testing.F) {
	dir := f.TempDir()
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	s := testSigner{priv}
	Append(dir, Event{Action: ActionSigningKeySet, Details: map[string]any{"public_key": pub.String()}}, Options{Signer: s})
	Append(dir, Event{Action: ActionNote, Details: map[string]any{"text": "n"}}, Options{Signer: s})
	events, _, err := Verify(dir)
	if err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, SigFileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"seq":9223372036854775807,"signature":"x"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := t.TempDir()
		log, _ := os.ReadFile(filepath.Join(dir, FileName))
		os.WriteFile(filepath.Join(d, FileName), log, 0o644)
		os.WriteFile(filepath.Join(d, SigFileName), b, 0o644)
		r, err := VerifySignatures(d, events, "")
		if err == nil && r.Signed > len(events) {
			t.Fatalf("%d signatures verified for %d events", r.Signed, len(events))
		}
	})
}
