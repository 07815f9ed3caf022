package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestFSFlags: the file-system options are flags of scan and ls, with the
// help scan has always had, and reach the options by name.
func TestFSFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want map[string]bool
	}{
		{[]string{"ev", "--case", "c"}, map[string]bool{}},
		{[]string{"ev", "--case", "c", "--skip-metafiles"}, map[string]bool{"skip-metafiles": true}},
		{[]string{"ev", "--case", "c", "--ntfs-index-slack", "--skip-metafiles=false"}, map[string]bool{"ntfs-index-slack": true, "skip-metafiles": false}},
	} {
		var got *ScanOptions
		g := &globalOptions{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
		cmd := newScanCommandWith(g, func(o *ScanOptions, args []string) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		if len(got.FS) != len(tt.want) {
			t.Errorf("%q: options %v, want %v", tt.args, got.FS, tt.want)
		}
		for k, v := range tt.want {
			if b, ok := got.FS[k]; !ok || b != v {
				t.Errorf("%q: options %v, want %v", tt.args, got.FS, tt.want)
			}
		}
	}
	var lsGot *LsOptions
	g := &globalOptions{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	ls := newLsCommandWith(g, func(o *LsOptions, args []string) error { lsGot = o; return nil })
	ls.SetArgs([]string{"--files", "--ntfs-index-slack", "img"})
	if err := ls.Execute(); err != nil {
		t.Fatal(err)
	}
	if lsGot.FS["ntfs-index-slack"] != true {
		t.Errorf("ls options %v", lsGot.FS)
	}

	usage := newScanCommandWith(g, nil).Flags().FlagUsages()
	for _, want := range []string{
		"also record deleted file names carved from NTFS folder index slack (no content)\n",
		"leave out NTFS system files ($MFT, $LogFile, $Extend/...) of disk images\n",
	} {
		if !strings.Contains(usage, want) {
			t.Errorf("scan help lacks %q:\n%s", want, usage)
		}
	}
}

// TestFSTextFlags: string options are flags of scan and ls with their
// defaults in the help; a value their check refuses is a usage error.
func TestFSTextFlags(t *testing.T) {
	var got *ScanOptions
	g := &globalOptions{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	cmd := newScanCommandWith(g, func(o *ScanOptions, args []string) error { got = o; return nil })
	cmd.SetArgs([]string{"ev", "--case", "c", "--fat-codepage", "850", "--source-timezone", "Europe/Berlin"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.FS["fat-codepage"] != "850" || got.FS["source-timezone"] != "Europe/Berlin" {
		t.Errorf("options %v", got.FS)
	}
	usage := cmd.Flags().FlagUsages()
	for _, want := range []string{`--fat-codepage string`, `(default "437")`, `--source-timezone string`, `(default "UTC")`} {
		if !strings.Contains(usage, want) {
			t.Errorf("scan help lacks %q:\n%s", want, usage)
		}
	}
	for _, args := range [][]string{
		{"scan", "ev", "--case", "c", "--fat-codepage", "999"},
		{"ls", "--files", "--source-timezone", "Nowhere/City", "img"},
		{"ls", "--source-timezone=", "img"},
	} {
		var out, errb bytes.Buffer
		if st := run(args, nil, &out, &errb); st != 2 || !strings.Contains(errb.String(), "triage: error:") {
			t.Errorf("%q: status %d, stderr %q; want 2", args, st, errb.String())
		}
	}
}
