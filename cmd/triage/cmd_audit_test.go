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
		name     string
		setup    func(tree string)
		allModes bool
	}{
		{"changed-moved-new-missing", func(string) {}, true},
		{"unchanged", nil, true},
		{"moved-only", func(tree string) {
			os.MkdirAll(filepath.Join(tree, "x"), 0o755)
			os.Rename(filepath.Join(tree, "e.txt"), filepath.Join(tree, "x", "e.txt"))
		}, true},
		{"missing-only", func(tree string) { os.Remove(filepath.Join(tree, "e.txt")) }, true},
		{"new-only", func(tree string) { os.WriteFile(filepath.Join(tree, "new.txt"), []byte("new\n"), 0o644) }, false},
		{"changed-only", func(tree string) { os.WriteFile(filepath.Join(tree, "a.txt"), []byte("A\n"), 0o644) }, false},
		{"copied-only", func(tree string) { os.WriteFile(filepath.Join(tree, "a2.txt"), []byte("a\n"), 0o644) }, false},
		{"new-and-missing", func(tree string) {
			os.Remove(filepath.Join(tree, "e.txt"))
			os.WriteFile(filepath.Join(tree, "new.txt"), []byte("new\n"), 0o644)
		}, false},
		// same1 and same2 hold the same content: a file of that content
		// under a third name stands for the first of them in the list.
		{"same-content-renamed", func(tree string) {
			os.Rename(filepath.Join(tree, "same1"), filepath.Join(tree, "same9"))
		}, false},
		{"same-content-one-missing", func(tree string) { os.Remove(filepath.Join(tree, "same2")) }, false},
		{"same-content-one-renamed", func(tree string) {
			os.Rename(filepath.Join(tree, "same2"), filepath.Join(tree, "same9"))
		}, false},
		{"empty-folder", func(tree string) { os.MkdirAll(filepath.Join(tree, "empty"), 0o755) }, false},
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
			modes := [][]string{{"-a"}, {"-a", "-v"}, {"-a", "-vv"}, {"-a", "-vvv"}, {"-x"}}
			if !tt.allModes {
				modes = [][]string{{"-a", "-vv"}, {"-x"}}
			}
			for _, mode := range modes {
				hd := exec.Command(hashdeep, append(append([]string{"-r", "-l"}, mode...), "-k", list, "t")...)
				hd.Dir = work
				want, _ := hd.Output()
				wantStatus := hd.ProcessState.ExitCode()
				lists := []string{list, dfxml}
				if !tt.allModes {
					lists = lists[:1]
				}
				for _, l := range lists {
					wd, _ := os.Getwd()
					os.Chdir(work)
					var out, errb bytes.Buffer
					st := run(append(append([]string{"audit", "-l"}, mode...), "-k", l, "t"), nil, &out, &errb)
					os.Chdir(wd)
					if g, w := sortedLines(out.String()), sortedLines(string(want)); g != w {
						t.Errorf("%v with %s:\ntriage:\n%s\nhashdeep:\n%s", mode, filepath.Base(l), g, w)
					}
					// The same exit status as Debian's hashdeep: -a 1 when
					// the audit fails, -x 1 when a known file is not found.
					if st != wantStatus {
						t.Errorf("%v with %s: status %d, hashdeep %d (%s)", mode, filepath.Base(l), st, wantStatus, errb.String())
					}
				}
			}
		})
	}
}

// A file only some of whose digests match a known file (a list whose
// SHA-256 of a.txt was altered): hashdeep -a passes with a "Hash
// collision" line, -x prints the file and exits 0; triage does the same.
func TestAuditPartialLikeHashdeep(t *testing.T) {
	hashdeep, err := exec.LookPath("hashdeep")
	if err != nil {
		t.Skip("hashdeep is not installed (Debian package hashdeep)")
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"t/a.txt": "a\n", "t/b.txt": "b\n"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	cmd := exec.Command(hashdeep, "-r", "-l", "-c", "md5,sha256", "t")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hashdeep: %v", err)
	}
	// sha256("a\n")
	const sum = "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"
	if !bytes.Contains(out, []byte(sum)) {
		t.Fatalf("hashdeep list lacks sha256 of a.txt:\n%s", out)
	}
	list := filepath.Join(dir, "known.txt")
	os.WriteFile(list, bytes.Replace(out, []byte(sum), []byte(strings.Repeat("0", 64)), 1), 0o644)
	for _, mode := range [][]string{{"-a"}, {"-a", "-vv"}, {"-x"}} {
		hd := exec.Command(hashdeep, append(append([]string{"-r", "-l"}, mode...), "-k", list, "t")...)
		hd.Dir = dir
		want, _ := hd.Output()
		wantStatus := hd.ProcessState.ExitCode()
		wd, _ := os.Getwd()
		os.Chdir(dir)
		var got, errb bytes.Buffer
		st := run(append(append([]string{"audit", "-l"}, mode...), "-k", list, "t"), nil, &got, &errb)
		os.Chdir(wd)
		if g, w := sortedLines(got.String()), sortedLines(string(want)); g != w {
			t.Errorf("%v:\ntriage:\n%s\nhashdeep:\n%s", mode, g, w)
		}
		if st != wantStatus {
			t.Errorf("%v: status %d, hashdeep %d (%s)", mode, st, wantStatus, errb.String())
		}
		if mode[0] == "-x" && !strings.Contains(errb.String(), "t/a.txt: partial hash match with t/a.txt") {
			t.Errorf("-x: stderr does not name the partial match: %s", errb.String())
		}
	}
}
