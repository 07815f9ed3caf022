package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/custody"
)

func TestValidateCustodyAdd(t *testing.T) {
	for _, tc := range []struct {
		o  CustodyAddOptions
		ok bool
	}{
		{CustodyAddOptions{Action: "transfer", From: "a", To: "b", Reason: "storage"}, true},
		{CustodyAddOptions{Action: "transfer", From: "a", To: "b"}, false},
		{CustodyAddOptions{Action: "note", Text: "x"}, true},
		{CustodyAddOptions{Action: "note"}, false},
		{CustodyAddOptions{Action: "seize"}, false},
		{CustodyAddOptions{}, false},
	} {
		if err := validateCustodyAdd(&tc.o); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.o, err)
		}
	}
}

func TestCustodyAddShow(t *testing.T) {
	fixedClock(t)
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "case", "init", dir, "--examiner", "A. Smith"); st != 0 {
		t.Fatal(errs)
	}
	if st, _, errs := tri(t, "custody", "add", dir, "--action", "transfer", "--from", "DC J. Brown", "--to", "A. Smith",
		"--reason", "examination", "--seal", "S-1187 intact", "--location", "lab 2"); st != 0 {
		t.Fatal(errs)
	}
	if st, _, errs := tri(t, "custody", "add", dir, "--action", "note", "--text", "returned to locker 4", "--examiner", "C. Doe"); st != 0 {
		t.Fatal(errs)
	}
	if st, _, _ := tri(t, "custody", "add", dir, "--action", "transfer", "--from", "x"); st != 2 {
		t.Errorf("incomplete transfer: status %d, want 2", st)
	}
	ev := custodyEvents(t, dir)
	if actions(ev) != "case created, custody transfer, note" {
		t.Fatalf("events: %s", actions(ev))
	}
	if ev[1].Actor != "A. Smith" || ev[1].Details["seal"] != "S-1187 intact" || ev[1].Details["to"] != "A. Smith" ||
		ev[2].Actor != "C. Doe" || ev[2].Time != "2026-03-04T10:00:03Z" {
		t.Errorf("events: %+v", ev)
	}
	st, out, _ := tri(t, "custody", "show", dir)
	if st != 0 || !strings.Contains(out, "#2  2026-03-04T10:00:02Z  A. Smith  custody transfer") ||
		!strings.Contains(out, "seal: S-1187 intact") || !strings.Contains(out, "chain OK: 3 events") {
		t.Errorf("custody show: %d\n%s", st, out)
	}

	// one flipped byte: show fails naming the line, add refuses to append
	p := filepath.Join(dir, custody.FileName)
	b, _ := os.ReadFile(p)
	i := strings.Index(string(b), "locker 4")
	b[i] = 'L'
	os.WriteFile(p, b, 0o644)
	st, _, errs := tri(t, "custody", "show", dir)
	if st != 1 || !strings.Contains(errs, "line 3") {
		t.Errorf("tampered show: %d %s", st, errs)
	}
	st, _, errs = tri(t, "custody", "add", dir, "--action", "note", "--text", "more")
	if st != 1 || !strings.Contains(errs, "never repaired") {
		t.Errorf("add to a broken log: %d %s", st, errs)
	}
	if b2, _ := os.ReadFile(p); len(b2) != len(b) {
		t.Error("a broken log was appended to")
	}
}
