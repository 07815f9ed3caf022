package custody

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// A log that ends in half a line (a crash or a full disk during a write)
// does not block the case: the next append moves the partial line to
// custody.jsonl.torn-1, records that in an event, and the chain verifies.
func TestTornLastLineSetAside(t *testing.T) {
	dir := t.TempDir()
	appendN(t, dir, 3)
	p := filepath.Join(dir, FileName)
	orig, _ := os.ReadFile(p)
	torn := []byte(`{"action":"scan finished","actor":"exa`)
	os.WriteFile(p, append(append([]byte{}, orig...), torn...), 0o644)
	for round := 1; round <= 2; round++ {
		if _, err := Append(dir, Event{Action: ActionNote, Details: map[string]any{"round": round}}, Options{}); err != nil {
			t.Fatal(err)
		}
		evs, _, err := Verify(dir)
		if err != nil {
			t.Fatal(err)
		}
		if round == 1 {
			if len(evs) != 5 {
				t.Fatalf("%d events, want 3 + the set-aside event + the note", len(evs))
			}
			ev := evs[3]
			sum := sha256.Sum256(torn)
			if ev.Action != ActionTornLineSetAside || ev.Details["file"] != FileName+".torn-1" ||
				ev.Details["sha256"] != hex.EncodeToString(sum[:]) || ev.Details["offset"] != float64(len(orig)) {
				t.Errorf("event %+v", ev)
			}
			got, err := os.ReadFile(filepath.Join(dir, FileName+".torn-1"))
			if err != nil || string(got) != string(torn) {
				t.Errorf("torn file %q, %v", got, err)
			}
			// A second crash: another torn line, another file.
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b, torn[:5]...), 0o644)
		} else {
			if len(evs) != 7 || evs[5].Details["file"] != FileName+".torn-2" {
				t.Errorf("second repair: %d events, %+v", len(evs), evs[len(evs)-2])
			}
		}
	}
}
