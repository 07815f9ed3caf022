package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// scanEvidence scans args into a new case and returns the status, the
// first evidence item and the custody actions with their details.
func scanEvidence(t *testing.T, args ...string) (int, *casedb.Evidence, []map[string]any, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "case")
	st, _, errs := runTriage(t, append([]string{"scan", "--case", dir}, args...)...)
	c, err := casedb.Open(dir)
	if err != nil {
		t.Fatalf("status %d, %v: %s", st, err, errs)
	}
	defer c.Close()
	evs, err := c.EvidenceItems(context.Background())
	if err != nil || len(evs) != 1 {
		t.Fatalf("evidence: %v, %v", evs, err)
	}
	f, err := os.Open(filepath.Join(dir, "custody.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []map[string]any
	s := bufio.NewScanner(f)
	for s.Scan() {
		var e map[string]any
		if err := json.Unmarshal(s.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return st, evs[0], events, errs
}

func imageEvents(events []map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if a, _ := e["action"].(string); strings.HasPrefix(a, "image ") {
			out = append(out, e)
		}
	}
	return out
}

func TestScanE01Verified(t *testing.T) {
	md5sum := fixtureSum(t, "ewf-fixtures.md5", "mixed.raw")
	sha1sum := fixtureSum(t, "ewf-fixtures.sha1", "mixed.raw")
	// The fixture holds no file system: the scan is partial (status 3),
	// the image itself is verified.
	st, ev, events, errs := scanEvidence(t, filepath.Join(imageFixtures, "ewf-best-mixed.E01"))
	if st != 0 && st != 3 {
		t.Fatalf("status %d: %s", st, errs)
	}
	if ev.Type != "e01" {
		t.Errorf("type %q", ev.Type)
	}
	ewfMeta, _ := ev.Metadata["ewf"].(map[string]any)
	acq, _ := ewfMeta["acquisition"].(map[string]any)
	if acq["case_number"] != "CASE-2024-017" || acq["examiner"] != "J. Examiner" {
		t.Errorf("acquisition metadata %v", acq)
	}
	hashes, _ := ev.Metadata["media_hashes"].(map[string]any)
	ver, _ := ev.Metadata["image_verification"].(map[string]any)
	if hashes["md5"] != md5sum || hashes["sha1"] != sha1sum || ver["verdict"] != "verified" {
		t.Errorf("media hashes %v, verification %v; want md5sum %s", hashes, ver, md5sum)
	}
	ie := imageEvents(events)
	if len(ie) != 1 || ie[0]["action"] != "image verified" {
		t.Fatalf("custody image events %v", ie)
	}
	d := ie[0]["details"].(map[string]any)
	if d["stored_md5"] != md5sum || d["computed_md5"] != md5sum || d["stored_sha1"] != sha1sum || d["computed_sha1"] != sha1sum {
		t.Errorf("custody details %v", d)
	}
	if !strings.Contains(errs, "image verified") {
		t.Errorf("stderr lacks the verdict: %s", errs)
	}
}

func TestScanE01BadChunk(t *testing.T) {
	p := copyFixture(t, "ewf-best-mixed.E01")
	b, _ := os.ReadFile(p)
	off := int64(13)
	for strings.TrimRight(string(b[off:off+16]), "\x00") != "sectors" {
		off = int64(binary.LittleEndian.Uint64(b[off+16:]))
	}
	b[off+76+100] ^= 0xff // inside chunk 0 (text, compressed)
	os.WriteFile(p, b, 0o644)
	st, ev, events, errs := scanEvidence(t, p)
	if st != 1 {
		t.Errorf("status %d, want 1 (MISMATCH): %s", st, errs)
	}
	ver, _ := ev.Metadata["image_verification"].(map[string]any)
	if ver["verdict"] != "MISMATCH" {
		t.Errorf("verification %v", ver)
	}
	ie := imageEvents(events)
	if len(ie) != 1 || ie[0]["action"] != "image MISMATCH" {
		t.Errorf("custody image events %v", ie)
	}
}

func TestScanVerifyImageOff(t *testing.T) {
	_, ev, events, errs := scanEvidence(t, "--verify-image=false", filepath.Join(imageFixtures, "ewf-best-mixed.E01"))
	if _, ok := ev.Metadata["image_verification"]; ok || len(imageEvents(events)) != 0 || strings.Contains(errs, "hashing the whole media") {
		t.Errorf("verified with --verify-image=false: %v", ev.Metadata)
	}
}

func TestScanRawImageHashed(t *testing.T) {
	// An MBR-looking raw image: one partition entry, no file system.
	data := make([]byte, 1<<20)
	data[446+4] = 0x83
	binary.LittleEndian.PutUint32(data[446+8:], 2048)
	binary.LittleEndian.PutUint32(data[446+12:], 100)
	data[510], data[511] = 0x55, 0xaa
	for i := 4096; i < len(data); i++ {
		data[i] = byte(i)
	}
	p := filepath.Join(t.TempDir(), "disk.dd")
	os.WriteFile(p, data, 0o644)
	want := sha256.Sum256(data)
	_, ev, events, errs := scanEvidence(t, "--as", "image", p)
	hashes, _ := ev.Metadata["media_hashes"].(map[string]any)
	ver, _ := ev.Metadata["image_verification"].(map[string]any)
	if hashes["sha256"] != hex.EncodeToString(want[:]) || hashes["size"] != float64(len(data)) || ver["verdict"] != "no stored hash" {
		t.Errorf("media hashes %v, verification %v: %s", hashes, ver, errs)
	}
	if ie := imageEvents(events); len(ie) != 1 || ie[0]["action"] != "image hashed" {
		t.Errorf("custody image events %v", ie)
	}
}
