package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// The scan applies a mismatch policy file; a broken one stops the scan
// before any source is read.
func TestScanMismatchPolicy(t *testing.T) {
	env := fixedEnv(t)
	tmp := t.TempDir()
	ev := filepath.Join(tmp, "ev")
	os.MkdirAll(ev, 0o755)
	// A PNG signature and IHDR chunk (PNG specification 5.2, 11.2.2).
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	os.WriteFile(filepath.Join(ev, "a.thm"), png, 0o644)
	os.WriteFile(filepath.Join(ev, "b.dat"), png, 0o644)
	pol := filepath.Join(tmp, "lab.txt")
	os.WriteFile(pol, []byte("image/png += thm\n"), 0o644)
	bad := filepath.Join(tmp, "bad.txt")
	os.WriteFile(bad, []byte("png thm\n"), 0o644)

	var caseDir string
	scan := func(policy string) (map[string]bool, error) {
		caseDir = filepath.Join(t.TempDir(), "case")
		c, _, err := env.OpenCase(context.Background(), caseDir, nil, "A. Smith")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		res, err := env.Scan(context.Background(), c, []string{ev}, &ScanOptions{MismatchPolicy: policy, Hashsets: HashsetOptions{None: true, Dir: t.TempDir(), FileCategory: "known-bad"}})
		if err != nil {
			return nil, err
		}
		got := map[string]bool{}
		err = c.Files(context.Background(), casedb.FileFilter{EvidenceID: res[0].Result.EvidenceID}, func(r *casedb.FileRecord) error {
			if r.Type == casedb.TypeFile {
				got[r.Path] = r.ExtensionMismatch
			}
			return nil
		})
		return got, err
	}
	if got, err := scan(""); err != nil || !got["/a.thm"] || !got["/b.dat"] {
		t.Errorf("default table: %v %v", got, err)
	}
	if got, err := scan(pol); err != nil || got["/a.thm"] || !got["/b.dat"] {
		t.Errorf("with the policy: %v %v", got, err)
	}
	// The custody log records the policy file and its SHA-256.
	evs, _, err := custody.Verify(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("image/png += thm\n"))
	found := false
	for _, e := range evs {
		if e.Action == custody.ActionScanStarted {
			mp, _ := e.Details["mismatch_policy"].(map[string]any)
			found = mp["path"] == pol && mp["sha256"] == hex.EncodeToString(sum[:])
		}
	}
	if !found {
		t.Errorf("scan started event without the policy: %v", evs)
	}
	if _, err := scan(bad); err == nil || !strings.Contains(err.Error(), `line 1 (offset 0): "png" is not a MIME type`) {
		t.Errorf("broken policy: %v", err)
	}
}
