package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casework"
	"github.com/triagekit/triage/triage/custody"
)

// TestCustodySigning: after case set --key every custody event is signed
// into custody.jsonl.sig, and verify checks them all; a forged event
// appended with a correct hash chain (and the head anchored in case.db,
// so that only the signatures can tell), and a cut tail (the case.db head
// moved back too) are both caught. A command that cannot read the key
// records nothing and fails; $TRIAGE_CUSTODY_KEY gives the moved key.
func TestCustodySigning(t *testing.T) {
	sec, pub := unencryptedKey(t)
	dir := filepath.Join(t.TempDir(), "c")
	ev := t.TempDir()
	os.WriteFile(filepath.Join(ev, "a.txt"), []byte("evidence\n"), 0o644)
	if st, _, errs := tri(t, "case", "init", dir, "--case-number", "2026/1"); st != 0 {
		t.Fatal(errs)
	}
	st, _, errs := tri(t, "case", "set", dir, "--key", sec)
	if st != 0 || !strings.Contains(errs, "signed with key") {
		t.Fatalf("case set --key: %d %s", st, errs)
	}
	if st, _, errs := tri(t, "custody", "add", dir, "--action", "note", "--text", "received sealed"); st != 0 {
		t.Fatal(errs)
	}
	if st, _, errs := tri(t, "scan", ev, "--case", dir); st != 0 {
		t.Fatal(errs)
	}
	events := custodyEvents(t, dir)
	sigs, err := custody.ReadSignatures(dir)
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Action != custody.ActionCaseCreated || events[1].Action != custody.ActionSigningKeySet || len(sigs) != len(events)-1 {
		t.Fatalf("%d events (%s, %s), %d signatures: want every event from the key's on signed", len(events), events[0].Action, events[1].Action, len(sigs))
	}
	st, out, _ := tri(t, "verify", dir, "--pubkey", pub)
	if st != 0 || !strings.Contains(out, "OK      custody signatures") {
		t.Fatalf("verify of the signed case: %d\n%s", st, out)
	}

	// A forged event with a correct chain, its head anchored in case.db.
	forged := copyCase(t, dir)
	fe, err := custody.Append(forged, custody.Event{Action: custody.ActionNote, Details: map[string]any{"text": "forged"}}, custody.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := casework.AnchorCustody(forged, fe); err != nil {
		t.Fatal(err)
	}
	st, out, _ = tri(t, "verify", forged, "--no-evidence")
	if st != 1 || !strings.Contains(out, "FAILED  custody signatures") || !strings.Contains(out, "is not signed") {
		t.Errorf("verify of a forged tail: %d\n%s", st, out)
	}

	// The tail cut, with the case.db head moved back to the new last event.
	cut := copyCase(t, dir)
	log, _ := os.ReadFile(filepath.Join(cut, custody.FileName))
	ls := bytes.SplitAfter(bytes.TrimRight(log, "\n"), []byte("\n"))
	os.WriteFile(filepath.Join(cut, custody.FileName), bytes.Join(ls[:len(ls)-1], nil), 0o644)
	kept := custodyEvents(t, cut)
	if err := casework.AnchorCustody(cut, &kept[len(kept)-1]); err != nil {
		t.Fatal(err)
	}
	st, out, _ = tri(t, "verify", cut, "--no-evidence")
	if st != 1 || !strings.Contains(out, "FAILED  custody signatures") || !strings.Contains(out, "tail was cut") {
		t.Errorf("verify of a cut tail: %d\n%s", st, out)
	}

	// Another key given to verify is refused.
	_, other := unencryptedKey(t)
	if st, out, _ = tri(t, "verify", dir, "--no-evidence", "--pubkey", other); st != 1 || !strings.Contains(out, "not the key given") {
		t.Errorf("verify with another key: %d\n%s", st, out)
	}

	// The key moved: nothing is recorded, until $TRIAGE_CUSTODY_KEY names it.
	moved := filepath.Join(t.TempDir(), "moved.key")
	if err := os.Rename(sec, moved); err != nil {
		t.Fatal(err)
	}
	n := len(custodyEvents(t, dir))
	st, _, errs = tri(t, "custody", "add", dir, "--action", "note", "--text", "unsigned?")
	if st != 1 || !strings.Contains(errs, "signs its custody events with key") || len(custodyEvents(t, dir)) != n {
		t.Errorf("custody add without the key: %d %s; %d events, had %d", st, errs, len(custodyEvents(t, dir)), n)
	}
	t.Setenv(casework.EnvCustodyKey, moved)
	if st, _, errs := tri(t, "custody", "add", dir, "--action", "note", "--text", "signed"); st != 0 {
		t.Fatal(errs)
	}
	if st, out, _ := tri(t, "verify", dir, "--no-evidence"); st != 0 {
		t.Errorf("verify after the moved key was used: %d\n%s", st, out)
	}
}
