package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// auditFiles is the tree the list is made from; big.bin (3 MiB) is hashed
// in two lanes, as the scan hashes large content.
var auditFiles = map[string]string{"a.txt": "a\n", "b.txt": "b\n", "sub/c.txt": "c\n", "d.txt": "d\n", "e.txt": "e\n", "same1": "x\n", "same2": "x\n",
	"big.bin": strings.Repeat("0123456789abcdef", 3<<16)}

// auditTree writes a folder, lists it with hashdeep, then changes it: a
// file changed, one moved, one copied, one removed, one added.
func auditTree(t *testing.T, hashdeep string) (dir, list, dfxml string) {
	t.Helper()
	dir = t.TempDir()
	tree := filepath.Join(dir, "t")
	for name, body := range auditFiles {
		p := filepath.Join(tree, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list = filepath.Join(dir, "known.txt")
	dfxml = filepath.Join(dir, "known.xml")
	for _, l := range []struct{ path, flag string }{{list, "-c"}, {dfxml, "-d"}} {
		args := []string{"-r", "-l", "-c", "md5,sha1,sha256", "t"}
		if l.flag == "-d" {
			args = append([]string{"-d"}, args...)
		}
		cmd := exec.Command(hashdeep, args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("hashdeep: %v", err)
		}
		os.WriteFile(l.path, out, 0o644)
	}
	os.WriteFile(filepath.Join(tree, "b.txt"), []byte("changed\n"), 0o644)
	os.Rename(filepath.Join(tree, "sub/c.txt"), filepath.Join(tree, "moved.txt"))
	os.Remove(filepath.Join(tree, "d.txt"))
	os.WriteFile(filepath.Join(tree, "new.txt"), []byte("new\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "a-copy.txt"), []byte("a\n"), 0o644)
	return dir, list, dfxml
}

// sortedLines sorts the lines of a per-file listing (hashdeep prints them
// in directory order) and drops hashdeep's two counts it never fills in
// (its 4.4 prints 0 for "Input files examined" and "Known files expecting").
func sortedLines(s string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		l = strings.TrimPrefix(l, "hashdeep: ")
		if strings.Contains(l, "Input files examined:") || strings.Contains(l, "Known files expecting:") {
			continue
		}
		keep = append(keep, l)
	}
	sort.Strings(keep)
	return strings.Join(keep, "\n")
}

// TestAuditLikeHashdeep runs triage audit and hashdeep -a/-x on the same
// trees and compares their verdicts, counts and per-file lines.
func TestAuditLikeHashdeep(t *testing.T) {
	hashdeep, err := exec.LookPath("hashdeep")
	if err != nil {
		t.Skip("hashdeep is not installed (Debian package hashdeep)")
	}
	dir, list, dfxml := auditTree(t, hashdeep)
	// A second tree that only lost a file, and a third unchanged but for
	// a file moved into a new folder.
	for _, tt := range []struct {
		name  string
		setup func(tree string)
	}{
		{"changed-moved-new-missing", func(string) {}},
		{"unchanged", nil},
		{"moved-only", func(tree string) {
			os.MkdirAll(filepath.Join(tree, "x"), 0o755)
			os.Rename(filepath.Join(tree, "e.txt"), filepath.Join(tree, "x", "e.txt"))
		}},
		{"missing-only", func(tree string) { os.Remove(filepath.Join(tree, "e.txt")) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work := dir
			if tt.setup == nil || tt.name != "changed-moved-new-missing" {
				// a fresh tree matching the list, then the change
				work = t.TempDir()
				fresh := filepath.Join(work, "t")
				for name, body := range auditFiles {
					p := filepath.Join(fresh, name)
					os.MkdirAll(filepath.Dir(p), 0o755)
					os.WriteFile(p, []byte(body), 0o644)
				}
				if tt.setup != nil {
					tt.setup(fresh)
				}
			}
			for _, mode := range [][]string{{"-a"}, {"-a", "-v"}, {"-a", "-vv"}, {"-a", "-vvv"}, {"-x"}} {
				hd := exec.Command(hashdeep, append(append([]string{"-r", "-l"}, mode...), "-k", list, "t")...)
				hd.Dir = work
				want, _ := hd.Output()
				wantStatus := hd.ProcessState.ExitCode()
				for _, l := range []string{list, dfxml} {
					wd, _ := os.Getwd()
					os.Chdir(work)
					var out, errb bytes.Buffer
					st := run(append(append([]string{"audit", "-l"}, mode...), "-k", l, "t"), nil, &out, &errb)
					os.Chdir(wd)
					if g, w := sortedLines(out.String()), sortedLines(string(want)); g != w {
						t.Errorf("%v with %s:\ntriage:\n%s\nhashdeep:\n%s", mode, filepath.Base(l), g, w)
					}
					// hashdeep's status is a bit mask (1: known files not
					// found, 2: new files); triage's is 0 or 1.
					if (st == 0) != (wantStatus == 0) && !(mode[0] == "-x" && wantStatus != 0 && strings.TrimSpace(string(want)) == "") {
						t.Errorf("%v with %s: status %d, hashdeep %d (%s)", mode, filepath.Base(l), st, wantStatus, errb.String())
					}
				}
			}
		})
	}
}
