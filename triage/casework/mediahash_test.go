package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// TestMediaHashResume interrupts the media hash of a raw image: the item
// is left "media hash pending" (not complete), verify says so and fails,
// and the same scan run again finishes the media hash, whose digest is
// that of the file (crypto/sha256 over its bytes), and the item is
// complete again.
func TestMediaHashResume(t *testing.T) {
	env := fixedEnv(t)
	d := t.TempDir()
	img := filepath.Join(d, "disk.dd")
	b := make([]byte, 16<<20)
	for i := range b {
		b[i] = byte(i * 7 / 13)
	}
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(d, "case")
	c, _, err := env.OpenCase(context.Background(), dir, nil, "A. Smith")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	o := &ScanOptions{As: "image", VerifyImage: true, Hashsets: HashsetOptions{None: true, FileCategory: "known-bad"},
		MediaProgress: func(string, int64) (func(int64), func()) { return func(int64) { cancel() }, func() {} }}
	res, err := env.Scan(ctx, c, []string{img}, o)
	if err == nil || len(res) != 1 {
		t.Fatalf("interrupted media hash: %v %v", res, err)
	}
	items, _ := c.EvidenceItems(context.Background())
	if len(items) != 1 || items[0].State != casedb.StateMediaHashPending {
		t.Fatalf("state after the interrupt: %+v", items[0])
	}
	cs := report.VerifyCase(context.Background(), dir, report.VerifyOptions{Rehash: RehashMedia})
	var saw bool
	for _, ch := range cs {
		saw = saw || ch.Status == report.Failed && strings.Contains(ch.Detail, "media hash was interrupted")
	}
	if !saw {
		t.Errorf("verify does not say the media hash is pending: %v", cs)
	}

	o.MediaProgress = nil
	res, err = env.Scan(context.Background(), c, []string{img}, o)
	if err != nil || len(res) != 1 || !res[0].MediaHashResumed || res[0].Image == nil {
		t.Fatalf("resume: %+v %v", res, err)
	}
	sum := sha256.Sum256(b)
	if res[0].Image.Media.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("resumed media SHA-256 %s, want %x", res[0].Image.Media.SHA256, sum)
	}
	items, _ = c.EvidenceItems(context.Background())
	if items[0].State == casedb.StateMediaHashPending || items[0].State != res[0].Result.State {
		t.Errorf("state after the resume: %s (scan %s)", items[0].State, res[0].Result.State)
	}
	evs, _, err := custody.Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	var interrupted, hashed bool
	for _, e := range evs {
		interrupted = interrupted || e.Action == custody.ActionScanInterrupted && e.Details["phase"] == "media hash"
		hashed = hashed || e.Action == custody.ActionImageHashed && e.Details["computed_sha256"] == hex.EncodeToString(sum[:])
	}
	if !interrupted || !hashed {
		t.Errorf("custody events: %s", actions(evs))
	}
	for _, ch := range report.VerifyCase(context.Background(), dir, report.VerifyOptions{Rehash: RehashMedia}) {
		if ch.Status == report.Failed {
			t.Errorf("verify after the resume: %+v", ch)
		}
	}
}
