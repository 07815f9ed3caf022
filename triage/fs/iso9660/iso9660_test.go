package iso9660

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/fs"
)

// longName is longer than Joliet's 64 characters.
var longName = strings.Repeat("a-very-long-file-name-", 8) + "end.txt"

// srcTree writes the folder the test discs are made of: non-ASCII names,
// a name of 183 characters, folders ten levels deep (past ISO 9660's
// eight), an empty file, a file of several sectors and a symbolic link.
func srcTree(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "src")
	files := map[string]string{
		"hello.txt":                    "hello\n",
		"a/b/c/d/e/f/g/h/i/j/deep.txt": "deep\n",
		"Ünïcödé folder/日本語 ファイル.txt": "ελληνικά\n",
		"docs/big-file.txt":           strings.Repeat("0123456789", 1000) + "\n",
		"docs/empty":                  "",
		longName:                      "lng\n",
		"docs/Ελληνικά/résumé (final).txt": "résumé\n",
	}
	for p, c := range files {
		p = filepath.Join(d, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../hello.txt", filepath.Join(d, "docs", "link-to-hello")); err != nil {
		t.Fatal(err)
	}
	return d
}

// sourceFiles lists the files of src with the MD5 of their content, as
// md5sum would, the folders ("/" suffix) and the links ("-> target").
func sourceFiles(t *testing.T, src string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == src {
			return err
		}
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, src+string(filepath.Separator)))
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		case fi.IsDir():
			out[rel] = "/"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := md5.Sum(b)
			out[rel] = hex.EncodeToString(s[:])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mkISO runs tool with args and "-o ISO SRC", or skips.
func mkISO(t *testing.T, src, tool string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed (Debian package %s)", tool, map[string]string{"xorriso": "xorriso", "genisoimage": "genisoimage"}[tool])
	}
	iso := filepath.Join(t.TempDir(), "disc.iso")
	args = append(args, "-o", iso, src)
	if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return iso
}

type walked struct {
	entries  map[string]*fs.Entry
	content  map[string]string // path: MD5, or "-> target", or "/"
	problems []string
	label    string
}

// walkISO opens and walks the volume of the file at path and reads every
// file's content.
func walkISO(t *testing.T, path string) *walked {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !Probe(b[:min(len(b), fs.ProbeSize)]) {
		t.Fatal("probe does not recognise the disc")
	}
	fsys, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &walked{entries: map[string]*fs.Entry{}, content: map[string]string{}, label: fsys.Label()}
	err = fsys.Walk(context.Background(), func(e *fs.Entry) error {
		c := *e
		if _, dup := w.entries[e.Path]; dup {
			t.Errorf("%s listed twice", e.Path)
		}
		w.entries[e.Path] = &c
		switch e.Type {
		case fs.TypeDir:
			w.content[e.Path] = "/"
		case fs.TypeSymlink:
			w.content[e.Path] = "-> " + e.Extra["symlink_target"].(string)
		default:
			rc, err := e.Open()
			if err != nil {
				t.Fatal(err)
			}
			h := md5.New()
			n, err := io.Copy(h, rc)
			if err != nil || n != e.Size {
				t.Errorf("%s: read %d of %d bytes: %v", e.Path, n, e.Size, err)
			}
			if why, partial := rc.(interface{ Incomplete() (string, bool) }).Incomplete(); partial {
				t.Errorf("%s incomplete: %s", e.Path, why)
			}
			rc.Close()
			w.content[e.Path] = hex.EncodeToString(h.Sum(nil))
		}
		return nil
	}, func(err error) { w.problems = append(w.problems, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func sortedKeys(m map[string]string) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	sort.Strings(k)
	return k
}

// compare checks the walk against want (path: MD5, "/" or "-> target").
func compare(t *testing.T, w *walked, want map[string]string, ignore ...string) {
	t.Helper()
	for _, p := range sortedKeys(want) {
		if got, ok := w.content[p]; !ok {
			t.Errorf("%s (%s) not found", p, want[p])
		} else if got != want[p] {
			t.Errorf("%s: %s, want %s", p, got, want[p])
		}
	}
	skip := map[string]bool{"/": true}
	for _, p := range ignore {
		skip[p] = true
	}
	for _, p := range sortedKeys(w.content) {
		if _, ok := want[p]; !ok && !skip[p] {
			t.Errorf("%s listed, not expected", p)
		}
	}
	if len(w.problems) > 0 {
		t.Errorf("problems: %q", w.problems)
	}
}

// TestRockRidge: discs with Rock Ridge (and Joliet) made by xorriso and
// genisoimage read with their POSIX names, links and deep folders: the
// same tree as the source folder, every file with its MD5.
func TestRockRidge(t *testing.T) {
	src := srcTree(t)
	want := sourceFiles(t, src)
	for _, tt := range []struct {
		name, tool string
		args       []string
		ignore     []string
	}{
		{"xorriso", "xorriso", []string{"-as", "mkisofs", "-R", "-J", "-V", "EVIDENCE_42"}, nil},
		// genisoimage relocates the folders past the eighth level to
		// /rr_moved (Rock Ridge RE and CL entries): read in place.
		{"genisoimage", "genisoimage", []string{"-quiet", "-R", "-J", "-V", "EVIDENCE_42"}, []string{"/rr_moved"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			iso := mkISO(t, src, tt.tool, tt.args...)
			w := walkISO(t, iso)
			compare(t, w, want, tt.ignore...)
			if w.label != "EVIDENCE_42" {
				t.Errorf("label %q", w.label)
			}
			if e := w.entries["/docs/big-file.txt"]; e == nil || e.Extra["posix_mode"] != "0100644" || e.Mtime.IsZero() {
				t.Errorf("big-file.txt: %+v", e)
			}
			if tt.name == "genisoimage" && w.entries["/a/b/c/d/e/f/g/h"].Extra["iso_relocated"] != true {
				t.Errorf("the relocated folder is not marked")
			}
			isoinfo(t, iso, w, "-R")
		})
	}
}

// TestJoliet: a disc with Joliet names and no Rock Ridge is read with its
// Joliet names, as the Sleuth Kit reads it: every file fls lists, with
// the MD5 of icat's output.
func TestJoliet(t *testing.T) {
	src := srcTree(t)
	iso := mkISO(t, src, "genisoimage", "-quiet", "-J", "-joliet-long", "-V", "JOLIET")
	w := walkISO(t, iso)
	if w.entries["/"].Extra["iso_names"] != "joliet" {
		t.Errorf("names from %v", w.entries["/"].Extra["iso_names"])
	}
	// genisoimage leaves out the link and the folders past the eighth
	// level without Rock Ridge, and cuts names at 103 characters.
	src2 := sourceFiles(t, src)
	for _, p := range []string{"/hello.txt", "/Ünïcödé folder/日本語 ファイル.txt", "/docs/big-file.txt", "/docs/Ελληνικά/résumé (final).txt", "/docs/empty", "/a/b/c/d/e/f/g"} {
		if w.content[p] != src2[p] {
			t.Errorf("%s: %q, want %q", p, w.content[p], src2[p])
		}
	}
	if len(w.problems) > 0 {
		t.Errorf("problems: %q", w.problems)
	}
	tsk(t, iso, w)
	isoinfo(t, iso, w, "-J") // ASCII names only: isoinfo cannot write UTF-8
}

// TestPlain: a disc without extensions is read with its ISO 9660 names,
// as fls and isoinfo list them.
func TestPlain(t *testing.T) {
	src := srcTree(t)
	iso := mkISO(t, src, "genisoimage", "-quiet")
	w := walkISO(t, iso)
	if w.entries["/HELLO.TXT"] == nil || w.content["/DOCS/BIG_FILE.TXT"] != sourceFiles(t, src)["/docs/big-file.txt"] {
		t.Errorf("ISO 9660 names: %v", sortedKeys(w.content))
	}
	tsk(t, iso, w)
	isoinfo(t, iso, w)
}

// tsk compares the walk with fls -r -p and icat: every allocated file and
// folder fls lists, with the MD5 of icat's output.
func tsk(t *testing.T, iso string, w *walked) {
	t.Helper()
	if _, err := exec.LookPath("fls"); err != nil {
		t.Log("fls not installed (sleuthkit): no cross-check")
		return
	}
	out, err := exec.Command("fls", "-r", "-p", iso).Output()
	if err != nil {
		t.Fatalf("fls: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		meta, p, ok := strings.Cut(line, "\t")
		if !ok || strings.Contains(meta, "*") || strings.HasPrefix(p, "$OrphanFiles") {
			continue
		}
		f := strings.Fields(meta)
		p = "/" + p
		switch f[0] {
		case "d/d":
			if w.content[p] != "/" {
				t.Errorf("fls folder %s: triage %q", p, w.content[p])
			}
		case "r/r":
			data, err := exec.Command("icat", iso, strings.TrimSuffix(f[1], ":")).Output()
			if err != nil {
				t.Fatalf("icat %s: %v", f[1], err)
			}
			s := md5.Sum(data)
			if w.content[p] != hex.EncodeToString(s[:]) {
				t.Errorf("fls file %s: md5 %s, triage %q", p, hex.EncodeToString(s[:]), w.content[p])
			}
		}
		n++
	}
	if n < 5 {
		t.Errorf("fls listed %d entries", n)
	}
}

// isoinfo compares the walk with isoinfo -l (with the name options given):
// every entry it lists, with its size; links with their target.
func isoinfo(t *testing.T, iso string, w *walked, opts ...string) {
	t.Helper()
	if _, err := exec.LookPath("isoinfo"); err != nil {
		t.Log("isoinfo not installed (genisoimage): no cross-check")
		return
	}
	out, err := exec.Command("isoinfo", append(append([]string{"-l"}, opts...), "-i", iso)...).Output()
	if err != nil {
		t.Fatalf("isoinfo: %v", err)
	}
	compareIsoinfo(t, out, w, opts...)
}

// compareIsoinfo compares the walk with the output of isoinfo -l.
func compareIsoinfo(t *testing.T, out []byte, w *walked, opts ...string) {
	t.Helper()
	dir, n := "", 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "Directory listing of "); ok {
			dir = d
			continue
		}
		_, name, ok := strings.Cut(line, "]  ")
		if !ok || strings.HasPrefix(dir, "/rr_moved/") {
			continue
		}
		name = strings.TrimSuffix(name, " ")
		target := ""
		if i := strings.Index(name, " -> "); i >= 0 {
			name, target = name[:i], name[i+4:]
		}
		if name == "." || name == ".." || (len(opts) > 0 && opts[0] == "-J" && !ascii(dir+name)) {
			continue
		}
		if len(opts) == 0 { // plain names: without the version
			if i := strings.LastIndexByte(name, ';'); i >= 0 {
				name = strings.TrimSuffix(name[:i], ".")
			}
		}
		p := dir + name
		e := w.entries[p]
		if e == nil {
			t.Errorf("isoinfo lists %s, triage does not", p)
			continue
		}
		n++
		f := strings.Fields(line)
		size, _ := strconv.ParseInt(f[4], 10, 64)
		switch {
		case target != "":
			if e.Type != fs.TypeSymlink || e.Extra["symlink_target"] != target {
				t.Errorf("%s: %s %v, isoinfo -> %s", p, e.Type, e.Extra["symlink_target"], target)
			}
		case strings.HasPrefix(f[0], "d"):
			if e.Type != fs.TypeDir {
				t.Errorf("%s is a folder for isoinfo, a %s for triage", p, e.Type)
			}
		case e.Size != size:
			t.Errorf("%s: %d bytes, isoinfo %d", p, e.Size, size)
		}
	}
	if n < 5 {
		t.Errorf("isoinfo listed %d entries", n)
	}
}

// ascii tells whether isoinfo could write s: non-ASCII names come out
// in its 8-bit character set, or with "_" for what it cannot show.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == '_' {
			return false
		}
	}
	return true
}
