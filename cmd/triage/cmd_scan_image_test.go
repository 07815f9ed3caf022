package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"github.com/triagekit/triage/internal/testfixture"
	"hash/adler32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/vdisk/vdisktest"
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

// appendError2 inserts an error2 section (sectors the acquisition could not
// read) before the done section of a single-segment E01 held in b, whose
// done section is its last 76 bytes.
func appendError2(b []byte, start, count uint32) []byte {
	desc := func(typ string, next, size uint64) []byte {
		d := make([]byte, 76)
		copy(d, typ)
		binary.LittleEndian.PutUint64(d[16:], next)
		binary.LittleEndian.PutUint64(d[24:], size)
		binary.LittleEndian.PutUint32(d[72:], adler32.Checksum(d[:72]))
		return d
	}
	done := uint64(len(b) - 76)
	data := make([]byte, 520+8+4)
	binary.LittleEndian.PutUint32(data, 1)
	binary.LittleEndian.PutUint32(data[516:], adler32.Checksum(data[:516]))
	binary.LittleEndian.PutUint32(data[520:], start)
	binary.LittleEndian.PutUint32(data[524:], count)
	binary.LittleEndian.PutUint32(data[528:], adler32.Checksum(data[520:528]))
	next := done + 76 + uint64(len(data))
	out := append([]byte(nil), b[:done]...)
	out = append(out, desc("error2", next, 76+uint64(len(data)))...)
	out = append(out, data...)
	return append(out, desc("done", next, 0)...)
}

func TestScanE01AcquisitionReadErrors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(imageFixtures, "ewf-tiny.E01"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b[len(b)-76:len(b)-72]) != "done" {
		t.Fatal("fixture does not end with a done section")
	}
	p := filepath.Join(t.TempDir(), "acq.E01")
	os.WriteFile(p, appendError2(b, 7, 3), 0o644)
	dir := filepath.Join(t.TempDir(), "case")
	runTriage(t, "scan", "--case", dir, p)
	c, err := casedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	errs, err := c.Errors(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range errs {
		if strings.Contains(e.Message, "acquisition read error") && strings.Contains(e.Message, "3 sector(s) from sector 7") && e.Offset != nil && *e.Offset == 7*512 {
			found = true
		}
	}
	if !found {
		t.Errorf("errors table lacks the acquisition read error: %+v", errs)
	}
	evs, _ := c.EvidenceItems(context.Background())
	ewfMeta, _ := evs[0].Metadata["ewf"].(map[string]any)
	if re, _ := ewfMeta["read_errors"].([]any); len(re) != 1 {
		t.Errorf("evidence read_errors %v", ewfMeta["read_errors"])
	}
}

// corruptChunk flips a byte inside chunk ci of a single-segment E01 whose
// first table section lists it.
func corruptChunk(t *testing.T, b []byte, ci int) {
	t.Helper()
	off := int64(13)
	for {
		typ := strings.TrimRight(string(b[off:off+16]), "\x00")
		next := int64(binary.LittleEndian.Uint64(b[off+16:]))
		if typ == "table" {
			d := b[off+76:]
			base := int64(binary.LittleEndian.Uint64(d[8:]))
			e := binary.LittleEndian.Uint32(d[24+4*ci:])
			b[base+int64(e&0x7fffffff)+20] ^= 0xff
			return
		}
		if next <= off {
			t.Fatal("no table section")
		}
		off = next
	}
}

// TestScanE01BadChunkInFile: a damaged chunk under a file's data makes that
// file incomplete and the image MISMATCH. In go-ewf's test.ntfs.dd.E01,
// ones.bin (MFT 38) has clusters 7695 and 7711 (istat; 1 KiB clusters),
// i.e. media bytes in chunk 240 (32 KiB chunks).
func TestScanE01BadChunkInFile(t *testing.T) {
	b, err := os.ReadFile(testfixture.Corpus(t, "go-ewf/test.ntfs.dd.E01"))
	if err != nil {
		t.Fatal(err)
	}
	corruptChunk(t, b, 240)
	p := filepath.Join(t.TempDir(), "bad.E01")
	os.WriteFile(p, b, 0o644)
	caseDir := filepath.Join(t.TempDir(), "case")
	st, _, errs := runTriage(t, "scan", "--case", caseDir, "--jsonl", filepath.Join(t.TempDir(), "r.jsonl"), p)
	if st != 1 || !strings.Contains(errs, "image MISMATCH") {
		t.Errorf("status %d, want 1 and MISMATCH: %s", st, errs)
	}
	c, err := casedb.Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var complete bool
	var msg string
	ones := 0
	if err := c.Files(context.Background(), casedb.FileFilter{Path: "/ones.bin"}, func(r *casedb.FileRecord) error {
		complete, msg = r.Complete, r.Error
		ones++
		return nil
	}); err != nil || ones == 0 {
		t.Fatal(err, ones)
	}
	if complete || !strings.Contains(msg, "chunk 240") {
		t.Errorf("ones.bin complete=%v error %q", complete, msg)
	}
	// Files away from the chunk are intact: Hello world text document.txt.
	var md5 string
	c.Files(context.Background(), casedb.FileFilter{Path: "/Folder A/Folder B/Hello world text document.txt"}, func(r *casedb.FileRecord) error {
		if r.Size == 12 {
			md5 = r.MD5
		}
		return nil
	})
	if md5 != "86fb269d190d2c85f6e0468ceca42a20" { // md5 of "Hello world!"
		t.Errorf("hello world md5 %q", md5)
	}
}

// TestScanE01SegmentFiles: the SHA-256 of each segment file recorded with
// the media hashes, made from the scan's own reads of the files, is the
// file's sha256sum (the standard library's when coreutils is absent).
func TestScanE01SegmentFiles(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []string{"E01", "E02", "E03"} {
		name := "ewf-split-none." + s
		if err := os.WriteFile(filepath.Join(dir, name), testfixture.Image(t, name), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	st, ev, _, errs := scanEvidence(t, filepath.Join(dir, "ewf-split-none.E01"))
	if st != 0 && st != 3 {
		t.Fatalf("status %d: %s", st, errs)
	}
	hashes, _ := ev.Metadata["media_hashes"].(map[string]any)
	files, _ := hashes["segment_files"].([]any)
	if len(files) != 3 {
		t.Fatalf("segment files %v", hashes["segment_files"])
	}
	for i, f := range files {
		m, _ := f.(map[string]any)
		path, _ := m["path"].(string)
		if want := filepath.Join(dir, "ewf-split-none.E0"+string(rune('1'+i))); path != want {
			t.Errorf("segment %d: path %q, want %q", i, path, want)
		}
		if want := sha256File(t, path); m["sha256"] != want {
			t.Errorf("%s: sha256 %v, sha256sum %s", filepath.Base(path), m["sha256"], want)
		}
	}
}

// sha256File is coreutils sha256sum's digest of path, or the standard
// library's when sha256sum is not installed.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	if out, err := exec.Command("sha256sum", path).Output(); err == nil {
		return strings.Fields(string(out))[0]
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkSegmentFiles scans the image at paths[0] and verifies it with
// image verify --json, and checks that both record the files paths, in
// order, each with its sha256sum.
func checkSegmentFiles(t *testing.T, paths []string) {
	t.Helper()
	check := func(what string, files []any) {
		t.Helper()
		if len(files) != len(paths) {
			t.Fatalf("%s: files %v, want %v", what, files, paths)
		}
		for i, f := range files {
			m, _ := f.(map[string]any)
			if m["path"] != paths[i] || m["sha256"] != sha256File(t, paths[i]) {
				t.Errorf("%s: file %d %v, want %s with sha256sum %s", what, i, m, paths[i], sha256File(t, paths[i]))
			}
		}
	}
	st, ev, _, errs := scanEvidence(t, paths[0])
	if st != 0 && st != 3 {
		t.Fatalf("status %d: %s", st, errs)
	}
	hashes, _ := ev.Metadata["media_hashes"].(map[string]any)
	files, _ := hashes["segment_files"].([]any)
	check("scan", files)

	st, out, errs := runTriage(t, "image", "verify", "--json", paths[0])
	if st != 0 {
		t.Fatalf("image verify: status %d: %s", st, errs)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	files, _ = v["segment_files"].([]any)
	check("image verify", files)
}

// TestSplitRawSegmentFiles: for a split raw image, the SHA-256 of each
// file recorded with the media hashes (made from the media's blocks, by
// the scan's disk-order pass and by image verify) is the file's sha256sum.
func TestSplitRawSegmentFiles(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, s := range []string{"001", "002", "003"} {
		name := "fat-small.raw." + s
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, testfixture.Image(t, name), 0o444); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	checkSegmentFiles(t, paths)
}

// TestVirtualDiskSegmentFiles: for a virtual disk, the SHA-256 of each of
// its files recorded with the media hashes (made from the stream's reads
// of the files, by the scan and by image verify) is the file's sha256sum:
// one file, and a descriptor with its extent files.
func TestVirtualDiskSegmentFiles(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	for _, c := range vdisktest.Containers {
		t.Run(c.Name, func(t *testing.T) {
			p := c.Convert(t, raw, dir)
			// The files, as qemu-img made them: the descriptor first.
			paths := []string{p}
			more, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "disk-*.vmdk"))
			checkSegmentFiles(t, append(paths, more...))
		})
	}
}
