package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/lvmtest"
	"github.com/triagekit/triage/internal/testfixture"
)

// TestLsLVM: `triage ls` lists the logical volumes of an LVM physical
// volume after the partition table, with the image sectors of each extent
// as lvmtest.FixtureText places them; --files walks the NTFS volume of
// vg0/data as volume 1.
func TestLsLVM(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lvm.raw")
	if err := os.WriteFile(p, lvmtest.MBR(lvmtest.Fixture(testfixture.Image(t, "ntfs-basic.raw")), 0x8e), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if st := run([]string{"ls", p}, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	for _, want := range []string{
		"002:  000:000   0000002048   0000028671   0000026624   Linux Logical Volume Manager (0x8e)\n", // mmls's row
		"001:  vg0/data              0000016384   LVM linear, UUID dAtA00-1111-2222-3333-4444-5555-666666\n",
		// pe_start (1 MiB) after the partition (1 MiB): extents 6-9, then 1-4
		"      extent at 0000000000: image sectors 0000016384-0000024575\n",
		"      extent at 0000008192: image sectors 0000006144-0000014335\n",
		"002:  vg0/fast              0000004096   LVM striped: not examined (LVM striped)",
		"004:  vg0/thin1             0000008192   LVM thin: not examined (LVM thin)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ls lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	errb.Reset()
	if st := run([]string{"ls", "--files", p}, nil, &out, &errb); st != 3 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	// From ntfs-basic.raw.expected.tsv (fls and icat).
	for _, want := range []string{"r/r 70-128-5:\tdocs/ads.txt:secret\n", "-/r * 76-128-2:\tgone-small.txt\n"} { // fls -r -p's format
		if !strings.Contains(out.String(), want) {
			t.Errorf("listing lacks %q", want)
		}
	}
	if !strings.Contains(errb.String(), "volume 2 (vg0/fast) at byte 0x200000: not examined: LVM striped") {
		t.Errorf("stderr %q", errb.String())
	}
}
