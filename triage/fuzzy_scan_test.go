package triage

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestScanFuzzyDigestsMatchCommands scans a folder with ssdeep and TLSH
// chosen and compares the recorded digests with the ssdeep and tlsh
// commands, for files hashed in batches (small), as one stream, and with the
// digests spread over two lanes (2 MiB and more).
func TestScanFuzzyDigestsMatchCommands(t *testing.T) {
	if _, err := exec.LookPath("ssdeep"); err != nil {
		t.Skip("ssdeep not installed (Debian package ssdeep)")
	}
	root := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{30, 300, 5000, 70000, 700000, 3<<20 + 5} {
		b := make([]byte, n)
		for i := range b {
			// Text-like: a small alphabet with runs.
			b[i] = "abcdefgh \n"[r.IntN(10)]
		}
		if err := os.WriteFile(filepath.Join(root, "f"+strconv.Itoa(n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := newCase(t)
	res := scanTree(t, c, root, Options{Algorithms: []Algorithm{MD5, SSDEEP, TLSH}, Workers: 2})
	recs := records(t, c, res.EvidenceID)
	out, err := exec.Command("ssdeep", "-s", "-b", "-r", root).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n")[1:] {
		if i := strings.LastIndexByte(line, ','); i > 0 {
			name, _ := strconv.Unquote(line[i+1:])
			want["/"+name] = line[:i]
		}
	}
	var wantTLSH map[string]string
	if _, err := exec.LookPath("tlsh"); err == nil {
		out, err := exec.Command("tlsh", "-r", root).Output()
		if err != nil {
			t.Fatal(err)
		}
		wantTLSH = map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Split(line, "\t"); len(f) == 2 && len(f[0]) == 70 {
				wantTLSH["/"+filepath.Base(f[1])] = "T1" + f[0]
			}
		}
	}
	checked := 0
	for _, rec := range recs {
		if rec.Type != "file" {
			continue
		}
		got, _ := rec.Extra["ssdeep"].(string)
		if got != want[rec.Path] || got == "" {
			t.Errorf("%s: ssdeep %q, the command printed %q", rec.Path, got, want[rec.Path])
		}
		if wantTLSH != nil && rec.Size >= 256 {
			if got, _ := rec.Extra["tlsh"].(string); got != wantTLSH[rec.Path] {
				t.Errorf("%s: tlsh %q, the command printed %q", rec.Path, got, wantTLSH[rec.Path])
			}
		}
		if rec.Size < 50 && rec.Extra["tlsh"] != nil {
			t.Errorf("%s: a TLSH digest for %d bytes", rec.Path, rec.Size)
		}
		checked++
	}
	if checked != 6 {
		t.Errorf("%d records checked, want 6", checked)
	}
}
