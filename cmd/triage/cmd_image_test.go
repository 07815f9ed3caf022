package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"github.com/triagekit/triage/internal/testfixture"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var fixtureSum = testfixture.Sum

const imageFixtures = "../../testdata/images"

// runTriage runs triage in-process; runs of spaces in stdout are squashed
// to one so that checks do not depend on column alignment.
func runTriage(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(args, strings.NewReader(""), &out, &errb)
	return status, spaces.ReplaceAllString(out.String(), " "), errb.String()
}

var spaces = regexp.MustCompile(` {2,}`)

// copyFixture copies an E01 fixture into a temporary folder.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(imageFixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImageVerifyE01(t *testing.T) {
	md5sum := fixtureSum(t, "ewf-fixtures.md5", "mixed.raw")
	sha1sum := fixtureSum(t, "ewf-fixtures.sha1", "mixed.raw")
	p := filepath.Join(imageFixtures, "ewf-best-mixed.E01")
	for _, cmd := range [][]string{{"image", "verify"}, {"verify-image"}} {
		st, out, errs := runTriage(t, append(cmd, p)...)
		if st != 0 {
			t.Fatalf("%v: status %d, stderr %s", cmd, st, errs)
		}
		for _, want := range []string{
			"MD5 hash stored (digest section): " + md5sum,
			"SHA1 hash stored (digest section): " + sha1sum,
			"MD5 hash calculated over data: " + md5sum,
			"SHA1 hash calculated over data: " + sha1sum,
			"Result: verified",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", cmd, want, out)
			}
		}
	}
	// A wrong expected SHA-256: MISMATCH, status 1.
	st, out, errs := runTriage(t, "image", "verify", p, "--expect-sha256", strings.Repeat("ab", 32))
	if st != 1 || !strings.Contains(out, "Result:") || !strings.Contains(out, "MISMATCH") || !strings.Contains(errs, "MISMATCH") {
		t.Errorf("status %d\n%s\n%s", st, out, errs)
	}
}

func TestImageVerifyBadChunk(t *testing.T) {
	p := copyFixture(t, "ewf-best-mixed.E01")
	b, _ := os.ReadFile(p)
	// The sectors section follows header2, header2, header, volume; flip a
	// byte inside its first chunk.
	off := int64(13)
	for {
		typ := strings.TrimRight(string(b[off:off+16]), "\x00")
		if typ == "sectors" {
			break
		}
		off = int64(binary.LittleEndian.Uint64(b[off+16:]))
	}
	b[off+76+100] ^= 0xff
	os.WriteFile(p, b, 0o644)
	st, out, errs := runTriage(t, "image", "verify", p, "--json")
	if st != 1 {
		t.Fatalf("status %d, want 1; %s", st, errs)
	}
	var v imageVerification
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Check.Verdict != "MISMATCH" || len(v.Hashes.Bad) != 1 || v.Hashes.Bad[0].Offset != 0 {
		t.Errorf("verdict %q, unreadable %+v", v.Check.Verdict, v.Hashes.Bad)
	}
	// Without stored hashes to compare, a bad chunk still never verifies.
	if v.Check.Verdict == "verified" {
		t.Error("a bad chunk gave verified")
	}
}

func TestImageVerifyRaw(t *testing.T) {
	data := bytes.Repeat([]byte("raw image bytes "), 200000) // 3.2 MB, not a multiple of 1 MiB
	p := filepath.Join(t.TempDir(), "disk.dd")
	os.WriteFile(p, data, 0o644)
	s256 := sha256.Sum256(data)
	m5 := md5.Sum(data)
	st, out, errs := runTriage(t, "image", "verify", p)
	if st != 0 || !strings.Contains(out, "no stored hash") || !strings.Contains(out, hex.EncodeToString(s256[:])) || !strings.Contains(out, hex.EncodeToString(m5[:])) {
		t.Errorf("status %d\n%s\n%s", st, out, errs)
	}
	st, out, _ = runTriage(t, "verify-image", p, "--expect-sha256", strings.ToUpper(hex.EncodeToString(s256[:])), "--expect-md5", hex.EncodeToString(m5[:]))
	if st != 0 || !strings.Contains(out, "Result:") || !strings.Contains(out, "verified") {
		t.Errorf("status %d\n%s", st, out)
	}
	st, _, _ = runTriage(t, "verify-image", p, "--expect-md5", strings.Repeat("0", 32))
	if st != 1 {
		t.Errorf("status %d for a wrong --expect-md5, want 1", st)
	}
}

func TestImageVerifyFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"image", "verify", "x", "--expect-md5", "123"}, "--expect-md5 needs 32 hex digits"},
		{[]string{"image", "verify", "x", "--expect-sha1", strings.Repeat("g", 40)}, "--expect-sha1 needs 40 hex digits"},
		{[]string{"verify-image", "x", "--expect-sha256", "ab"}, "--expect-sha256 needs 64"},
		{[]string{"verify-image"}, "needs 1 argument"},
		{[]string{"image", "info"}, "needs 1 argument"},
	} {
		st, _, errs := runTriage(t, tt.args...)
		if st != 2 || !strings.Contains(errs, tt.err) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", tt.args, st, errs, tt.err)
		}
	}
}

func TestImageInfo(t *testing.T) {
	p := filepath.Join(imageFixtures, "ewf-best-mixed.E01")
	st, out, errs := runTriage(t, "image", "info", p)
	if st != 0 {
		t.Fatalf("status %d: %s", st, errs)
	}
	// The values make_ewf.sh gave ewfacquire.
	for _, want := range []string{"CASE-2024-017", "USB stick from desk drawer", "J. Examiner", "EV-03",
		"fixture for triage; made by make_ewf.sh", "Bytes per sector: 512", "best compression",
		fixtureSum(t, "ewf-fixtures.md5", "mixed.raw")} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	st, out, _ = runTriage(t, "image", "info", "--json", p)
	var v struct {
		Size     int64
		Metadata map[string]map[string]any
	}
	if err := json.Unmarshal([]byte(out), &v); st != 0 || err != nil {
		t.Fatalf("status %d, %v", st, err)
	}
	if v.Metadata["acquisition"]["case_number"] != "CASE-2024-017" || v.Size != 394752 {
		t.Errorf("json: %s", out)
	}
	// A raw file: format and size only.
	raw := filepath.Join(t.TempDir(), "x.dd")
	os.WriteFile(raw, make([]byte, 4096), 0o644)
	if st, out, _ := runTriage(t, "image", "info", raw); st != 0 || !strings.Contains(out, "4096 bytes") || !strings.Contains(out, "raw") {
		t.Errorf("raw info: %d\n%s", st, out)
	}
}

// TestImageVerifyCorpusSplit checks a two-segment E01 of the corpus against
// corpus/INDEX.md: media MD5 and each segment file's SHA-256.
func TestImageVerifyCorpusSplit(t *testing.T) {
	p := testfixture.Corpus(t, "dfvfs/ext2.split.E01")
	st, out, errs := runTriage(t, "image", "verify", "--json", p)
	if st != 0 {
		t.Fatalf("status %d: %s", st, errs)
	}
	var v imageVerification
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Hashes.MD5 != "196066add11fb71c4c49cf1bb50d6d24" || v.Check.Verdict != "verified" {
		t.Errorf("md5 %s, verdict %s", v.Hashes.MD5, v.Check.Verdict)
	}
	want := []string{"d14f130c462b0ab8efb6bb44bbfe5680e00ffaa90538cde84579d1eb0dcac00f", "b508375954ec1d1caeed8a6e5fc503f98493816ad6a3af89f5d220244c5f2864"}
	if len(v.Files) != 2 || v.Files[0].SHA256 != want[0] || v.Files[1].SHA256 != want[1] {
		t.Errorf("segment files %+v", v.Files)
	}
}
