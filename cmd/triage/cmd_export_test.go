package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/casework"
)

// TestExportImage: the files of an NTFS image exported from its case (an
// alternate data stream, deleted files) are the bytes icat gives (their
// MD5s from ntfs-basic.raw.expected.tsv, computed with icat and md5sum),
// and coreutils sha256sum of each exported file is the digest the case and
// the manifest record.
func TestExportImage(t *testing.T) {
	for _, tool := range []string{"md5sum", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s (coreutils) is not installed", tool)
		}
	}
	img := unpackImage(t, "ntfs-basic.raw")
	dir := filepath.Join(t.TempDir(), "case")
	// exit 3: the image holds entries that cannot be read in full
	if st, _, errs := tri(t, "scan", img, "--case", dir, "-q", "--no-hashsets"); st != 0 && st != exitPartial {
		t.Fatalf("scan: %s", errs)
	}
	out := filepath.Join(t.TempDir(), "out")
	if st, _, errs := tri(t, "export", dir, "--path", "/docs/*", "-o", out, "-q"); st != 0 {
		t.Fatalf("export: %s", errs)
	}
	if st, _, errs := tri(t, "export", dir, "--deleted", "--path", "gone*", "-o", out, "--force", "-q"); st != 0 {
		t.Fatalf("export --deleted: %s", errs)
	}
	// name written -> MD5 from ntfs-basic.raw.expected.tsv (icat | md5sum)
	want := map[string]string{
		"e1/docs/ads.txt":                 "d5bc6957496880ba020026023cb6d010",
		"e1/docs/ads.txt~secret":          "95f2320f325ca38078547883e05b3256",
		"e1/docs/ads.txt~Zone.Identifier": "fbccf14d504b7b2dbcb5a5bda75bd93b",
		"e1/docs/report.txt":              "4a577a27029fb7c40f131325de99edb6",
		"e1/docs/gone-big.txt":            "77454a81504202103bfedf5efac7d61a", // deleted
		"e1/gone-small.txt":               "5ffe5efa1697fbfee449f4657088dc23", // deleted
	}
	// the second export's gone-big.txt was also selected by the first
	want["e1/docs/gone-big (2).txt"] = want["e1/docs/gone-big.txt"]
	for name, md5 := range want {
		p := filepath.Join(out, filepath.FromSlash(name))
		if got := coreutilsSum(t, "md5sum", p); got != md5 {
			t.Errorf("%s: md5sum %s, icat's %s", name, got, md5)
		}
	}
	var recorded = map[string]string{}
	for _, m := range []string{"export-manifest.json", "export-manifest-2.json"} {
		b, err := os.ReadFile(filepath.Join(out, m))
		if err != nil {
			t.Fatal(err)
		}
		var man casework.ExportManifest
		if err := json.Unmarshal(b, &man); err != nil {
			t.Fatal(err)
		}
		for _, f := range man.Files {
			if f.Verdict != casework.ExportVerified {
				t.Errorf("%s %s: %s %s", m, f.Path, f.Verdict, f.Error)
			}
			recorded[f.Name] = f.SHA256
		}
	}
	for name := range want {
		p := filepath.Join(out, filepath.FromSlash(name))
		if got := coreutilsSum(t, "sha256sum", p); got != recorded[name] {
			t.Errorf("%s: sha256sum %s, the manifest %q", name, got, recorded[name])
		}
	}
	if len(recorded) != len(want) {
		t.Errorf("manifests list %d files, want %d: %v", len(recorded), len(want), recorded)
	}
}

// TestExportCorpusE01: a file and its alternate data stream exported from
// a scan of go-ewf's NTFS E01 (corpus row 9) hold the contents its authors
// document.
func TestExportCorpusE01(t *testing.T) {
	img := testfixture.Corpus(t, "go-ewf/test.ntfs.dd.E01")
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "scan", img, "--case", dir, "-q", "--no-hashsets"); st != 0 && st != exitPartial {
		t.Fatalf("scan: %s", errs)
	}
	out := filepath.Join(t.TempDir(), "out")
	if st, _, errs := tri(t, "export", dir, "--path", "Hello world text document.txt", "-o", out, "-q"); st != 0 {
		t.Fatalf("export: %s", errs)
	}
	for name, want := range map[string]string{
		"Hello world text document.txt":             "Hello world!",
		"Hello world text document.txt~goodbye.txt": "Goodbye cruel world.",
	} {
		b, err := os.ReadFile(filepath.Join(out, "e1", "Folder A", "Folder B", name))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q %v, documented %q", name, b, err, want)
		}
	}
}
