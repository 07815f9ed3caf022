package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// eicar is the EICAR anti-virus test file, built here so that no file of
// the repository holds it.
func eicar() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*")
}

// TestScanFindsEICARInNestedArchive: EICAR inside a zip inside a .tar.gz
// inside a zip is known-bad through a hash set of its MD5 (the published
// digest, checked against crypto/md5), and the archives are opened by
// default.
func TestScanFindsEICARInNestedArchive(t *testing.T) {
	e := eicar()
	sum := md5.Sum(e)
	if got := hex.EncodeToString(sum[:]); got != "44d88612fea8a8f36de82e1278abb02f" {
		t.Fatalf("EICAR built wrong: md5 %s", got)
	}
	zipOf := func(name string, b []byte) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(name)
		w.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	inner := zipOf("eicar.com", e)
	tw.WriteHeader(&tar.Header{Name: "payload/inner.zip", Mode: 0o644, Size: int64(len(inner)), ModTime: time.Unix(1700000000, 0)})
	tw.Write(inner)
	tw.Close()
	gz.Close()
	ev := t.TempDir()
	os.WriteFile(filepath.Join(ev, "outer.zip"), zipOf("b.tar.gz", tgz.Bytes()), 0o644)
	os.WriteFile(filepath.Join(ev, "other.txt"), []byte("nothing\n"), 0o644)
	set := filepath.Join(t.TempDir(), "bad.md5")
	os.WriteFile(set, []byte("44d88612fea8a8f36de82e1278abb02f\n"), 0o644)
	jl := filepath.Join(t.TempDir(), "recs.jsonl")
	var out, errb bytes.Buffer
	args := []string{"scan", ev, "--case", filepath.Join(t.TempDir(), "c"), "-q", "--jsonl", jl,
		"--no-hashsets", "--hashset-file", set, "--hashset-dir", t.TempDir()}
	if st := run(args, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	b, _ := os.ReadFile(jl)
	var found bool
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r struct {
			Path   string         `json:"path"`
			Status string         `json:"status"`
			MD5    string         `json:"md5"`
			Extra  map[string]any `json:"extra"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Path == "/outer.zip!/b.tar.gz!/payload/inner.zip!/eicar.com" {
			found = true
			if r.Status != "known-bad" || r.Extra["container"] != "/outer.zip!/b.tar.gz!/payload/inner.zip" {
				t.Errorf("EICAR record %s", l)
			}
		} else if r.Status == "known-bad" {
			t.Errorf("known-bad: %s", l)
		}
	}
	if !found {
		t.Fatalf("no EICAR record in\n%s", b)
	}

	// --archives=false: the archive alone, nothing known-bad.
	jl2 := filepath.Join(t.TempDir(), "recs.jsonl")
	args = []string{"scan", ev, "--case", filepath.Join(t.TempDir(), "c"), "-q", "--jsonl", jl2,
		"--no-hashsets", "--hashset-file", set, "--hashset-dir", t.TempDir(), "--archives=false"}
	if st := run(args, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	if b, _ := os.ReadFile(jl2); bytes.Contains(b, []byte("!/")) || bytes.Contains(b, []byte("known-bad")) {
		t.Errorf("--archives=false recorded members:\n%s", b)
	}
}

func TestScanArchiveFlags(t *testing.T) {
	var got *ScanOptions
	g := &globalOptions{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	cmd := newScanCommandWith(g, func(o *ScanOptions, args []string) error { got = o; return nil })
	cmd.SetArgs([]string{"ev", "--case", "c", "--archive-max-depth", "2", "--archive-max-ratio", "50", "--archive-timeout", "3s",
		"--archive-max-member-bytes", "1000", "--archive-max-bytes", "5000", "--archive-max-members", "7"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	l := got.ArchiveLimits
	if !got.Archives || l.Depth != 2 || l.Ratio != 50 || l.Time != 3*time.Second || l.MemberBytes != 1000 || l.ArchiveBytes != 5000 || l.Members != 7 {
		t.Errorf("parsed %v %+v", got.Archives, l)
	}
	var out, errb bytes.Buffer
	if st := run([]string{"scan", t.TempDir(), "--case", filepath.Join(t.TempDir(), "c"), "--archive-max-depth", "0"}, nil, &out, &errb); st != 2 || !strings.Contains(errb.String(), "--archive-max-depth") {
		t.Errorf("depth 0: status %d, %q", st, errb.String())
	}
}
