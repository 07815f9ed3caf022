package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/vdisk/vdisktest"
)

// TestParentFlag: --parent is repeatable on scan, ls, image info and
// image verify, and reaches the options in order.
func TestParentFlag(t *testing.T) {
	g := &globalOptions{}
	want := []string{"a.vhd", "b.vhd"}
	args := []string{"--parent", "a.vhd", "--parent", "b.vhd", "child.vhd"}
	check := func(name string, got []string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: parents %q", name, got)
		}
	}
	var scan *ScanOptions
	cmd := newScanCommandWith(g, func(o *ScanOptions, _ []string) error { scan = o; return nil })
	cmd.SetArgs(append([]string{"--case", t.TempDir()}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	check("scan", scan.Parents)
	var ls *LsOptions
	cmd = newLsCommandWith(g, func(o *LsOptions, _ []string) error { ls = o; return nil })
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	check("ls", ls.Parents)
	var info *ImageInfoOptions
	var verify *ImageVerifyOptions
	cmd = newImageCommandWith(g, func(o *ImageInfoOptions, _ []string) error { info = o; return nil },
		func(o *ImageVerifyOptions, _ []string) error { verify = o; return nil })
	cmd.SetArgs(append([]string{"info"}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	check("image info", info.Parents)
	cmd.SetArgs(append([]string{"verify"}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	check("image verify", verify.Parents)
}

// TestImageVirtualDiskChain: image info shows a QCOW2 overlay's format,
// virtual size, backing file and chain; image verify hashes the logical
// disk as qemu-img gives it and every file of the chain; without its
// backing file the overlay is an error naming it, and --parent supplies it.
func TestImageVirtualDiskChain(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	base := vdisktest.Convert(t, raw, filepath.Join(dir, "base.qcow2"), "qcow2")
	over := filepath.Join(dir, "over.qcow2")
	vdisktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", over)
	vdisktest.Run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0x41 4M 64k", over)
	md5, _ := vdisktest.RawMD5(t, over, "qcow2")

	st, out, errs := runTriage(t, "image", "info", over)
	if st != 0 {
		t.Fatalf("info: status %d: %s", st, errs)
	}
	for _, w := range []string{"Format: qcow2", "Format: QCOW2 version 3", "Virtual size: 20971520 bytes", "Backing file: base.qcow2", "File: " + over, "Parent: " + base} {
		if !strings.Contains(out, w) {
			t.Errorf("info lacks %q:\n%s", w, out)
		}
	}
	st, out, errs = runTriage(t, "image", "verify", "-q", "--expect-md5", md5, over)
	if st != 0 || !strings.Contains(out, "MD5 hash calculated over data: "+md5) || !strings.Contains(out, "base.qcow2") {
		t.Errorf("verify: status %d\n%s\n%s", st, out, errs)
	}

	moved := filepath.Join(t.TempDir(), "over.qcow2")
	b, _ := os.ReadFile(over)
	os.WriteFile(moved, b, 0o644)
	st, _, errs = runTriage(t, "image", "info", moved)
	if st == 0 || !strings.Contains(errs, `parent "base.qcow2"`) || !strings.Contains(errs, "--parent") {
		t.Errorf("without its parent: status %d: %s", st, errs)
	}
	if st, _, errs = runTriage(t, "image", "verify", "-q", "--expect-md5", md5, "--parent", base, moved); st != 0 {
		t.Errorf("with --parent: status %d: %s", st, errs)
	}
}
