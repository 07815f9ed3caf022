package validate

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteNeverReplacesAnEarlierRecord: a second record written to the
// same -o is refused and the first stays as it was; with force it replaces
// it, and a signature the earlier record left is removed.
func TestWriteNeverReplacesAnEarlierRecord(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rec.json")
	first := &Record{SchemaVersion: SchemaVersion, Kind: RecordKind, ID: "TV-1", Cases: []Case{{ID: "A", Pass: true}}}
	if _, err := Write(first, out, []string{"json", "html"}, nil, false); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sig := filepath.Join(dir, "rec.manifest.json.minisig")
	if err := os.WriteFile(sig, []byte("left by an earlier signed record"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := &Record{SchemaVersion: SchemaVersion, Kind: RecordKind, ID: "TV-2", Cases: []Case{{ID: "A", Pass: false}}}
	_, err = Write(second, out, []string{"json"}, nil, false)
	var ee *ExistsError
	if !errors.As(err, &ee) || len(ee.Paths) != 3 {
		t.Fatalf("second record to the same output: %v, want an ExistsError naming rec.json, the manifest and the signature", err)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Error("the refused write changed the earlier record")
	}
	if _, err := Write(second, out, []string{"json"}, nil, true); err != nil {
		t.Fatalf("with force: %v", err)
	}
	if rec, err := Load(out); err != nil || rec.ID != "TV-2" {
		t.Errorf("with force the record is %+v (%v), want TV-2", rec, err)
	}
	if _, err := os.Stat(sig); !os.IsNotExist(err) {
		t.Error("the earlier record's signature was left beside an unsigned manifest")
	}
}
