package iso9660

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

// writeTree writes files (path: content) under a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	d := t.TempDir()
	for p, c := range files {
		p = filepath.Join(d, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian package %s)", tool, map[string]string{"xorriso": "xorriso", "genisoimage": "genisoimage", "isoinfo": "genisoimage"}[tool])
		}
	}
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

// xorrisoDisc makes a disc image of three sessions with xorriso: the
// first with a.txt, keep.txt, empty and dir/x.txt; the second adds b.txt
// and removes a.txt; the third replaces keep.txt and removes dir.
func xorrisoDisc(t *testing.T) string {
	need(t, "xorriso")
	img := filepath.Join(t.TempDir(), "multi.iso")
	d1 := writeTree(t, map[string]string{"a.txt": "session one\n", "keep.txt": "kept\n", "empty": "", "dir/x.txt": "in a folder\n"})
	d2 := writeTree(t, map[string]string{"b.txt": "session two\n"})
	d3 := writeTree(t, map[string]string{"keep.txt": "replaced in session three\n"})
	run(t, "xorriso", "-dev", img, "-rockridge", "on", "-joliet", "on", "-map", d1, "/", "-commit")
	run(t, "xorriso", "-dev", img, "-map", d2, "/", "-rm", "/a.txt", "--", "-commit")
	run(t, "xorriso", "-dev", img, "-rm", "/keep.txt", "--", "-map", filepath.Join(d3, "keep.txt"), "/keep.txt", "-rm_r", "/dir", "--", "-commit")
	return img
}

// genisoimageDisc makes a disc of two sessions as one written session by
// session (genisoimage -C and -M) and read back sector by sector: the
// second session, which replaces keep.txt and adds b.txt, is written at
// the sector where the first ends, so sector 16 holds the first session's
// descriptors.
func genisoimageDisc(t *testing.T) (string, int64) {
	need(t, "genisoimage")
	dir := t.TempDir()
	s1, s2, img := filepath.Join(dir, "s1.iso"), filepath.Join(dir, "s2.iso"), filepath.Join(dir, "multi.iso")
	d1 := writeTree(t, map[string]string{"a.txt": "session one\n", "keep.txt": "kept\n"})
	d2 := writeTree(t, map[string]string{"b.txt": "session two\n", "keep.txt": "replaced in session two\n"})
	run(t, "genisoimage", "-quiet", "-R", "-J", "-o", s1, d1)
	fi, err := os.Stat(s1)
	if err != nil {
		t.Fatal(err)
	}
	start := fi.Size() / sector
	run(t, "genisoimage", "-quiet", "-R", "-J", "-C", fmt.Sprintf("0,%d", start), "-M", s1, "-o", s2, d2)
	one, _ := os.ReadFile(s1)
	two, _ := os.ReadFile(s2)
	if err := os.WriteFile(img, append(one[:start*sector], two...), 0o644); err != nil {
		t.Fatal(err)
	}
	return img, start
}

// sessEntry is an entry of a session walk.
type sessEntry struct {
	path    string
	size    int64
	deleted bool
	session int // for deleted entries
	md5     string
}

func (e sessEntry) String() string {
	if e.deleted {
		return fmt.Sprintf("%s %d %s deleted (session %d)", e.path, e.size, e.md5, e.session)
	}
	return fmt.Sprintf("%s %d %s", e.path, e.size, e.md5)
}

// walkSessionsOf walks the disc image and lists its files.
func walkSessionsOf(t *testing.T, img string) ([]string, *fs.Entry, []string) {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out, problems []string
	var root *fs.Entry
	addrs := map[int64]bool{}
	err = fsys.Walk(context.Background(), func(e *fs.Entry) error {
		if e.Path == "/" {
			c := *e
			root = &c
		}
		if addrs[e.Addr] {
			t.Errorf("%s: address %d given twice", e.Path, e.Addr)
		}
		addrs[e.Addr] = true
		if e.Type != fs.TypeFile {
			return nil
		}
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		h := md5.New()
		io.Copy(h, rc)
		rc.Close()
		s := sessEntry{path: e.Path, size: e.Size, deleted: e.Deleted, md5: hex.EncodeToString(h.Sum(nil))}
		if e.Deleted {
			s.session = e.Extra["iso_session"].(int)
		}
		out = append(out, s.String())
		return nil
	}, func(err error) { problems = append(problems, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out, root, problems
}

// isoinfoFiles lists the files of the session whose descriptors are at
// sector start+16 (isoinfo -T; 0: sector 16) with isoinfo -R -l: path,
// extent and size.
type isoFile struct {
	path         string
	extent, size int64
}

func isoinfoFiles(t *testing.T, img string, start int64) []isoFile {
	t.Helper()
	need(t, "isoinfo")
	args := []string{"-R", "-l", "-i", img}
	if start > 0 {
		args = append(args, "-T", strconv.FormatInt(start, 10))
	}
	out := run(t, "isoinfo", args...)
	var files []isoFile
	dir := ""
	re := regexp.MustCompile(`^(\S+)\s+\d+\s+\d+\s+\d+\s+(\d+) .*\[\s*(\d+) \d+\]  (.*?) ?$`)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "Directory listing of "); ok {
			dir = d
			continue
		}
		m := re.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasPrefix(m[1], "d") {
			continue
		}
		size, _ := strconv.ParseInt(m[2], 10, 64)
		ext, _ := strconv.ParseInt(m[3], 10, 64)
		files = append(files, isoFile{dir + m[4], ext, size})
	}
	return files
}

// expectSessions computes, from isoinfo's listings of each session
// (oldest first) and the image's bytes at the extents isoinfo gives, what
// the walk must yield: the newest session's files, then the files of the
// older sessions whose extent and size no later session lists, with the
// last session that lists them.
func expectSessions(t *testing.T, img string, lists [][]isoFile) []string {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(f isoFile) string {
		h := md5.Sum(b[f.extent*sector : f.extent*sector+f.size])
		return hex.EncodeToString(h[:])
	}
	held := map[[2]int64]bool{}
	var out []string
	for i := len(lists) - 1; i >= 0; i-- {
		for _, f := range lists[i] {
			k := [2]int64{f.extent, f.size}
			if i == len(lists)-1 {
				held[k] = true
				out = append(out, sessEntry{path: f.path, size: f.size, md5: sum(f)}.String())
				continue
			}
			if held[k] {
				continue
			}
			held[k] = true
			out = append(out, sessEntry{path: f.path, size: f.size, deleted: true, session: i + 1, md5: sum(f)}.String())
		}
	}
	slices.Sort(out)
	return out
}

// TestSessionsXorriso: a disc of three sessions made by xorriso: the
// sessions are those xorriso -toc lists; the volume is the newest
// session's tree, as isoinfo lists it; the files of older sessions that no
// later session holds (a.txt, the first keep.txt, dir/x.txt) are recorded
// deleted with the last session that lists them.
func TestSessionsXorriso(t *testing.T) {
	img := xorrisoDisc(t)
	toc := run(t, "xorriso", "-indev", img, "-toc")
	var starts []int64
	for _, m := range regexp.MustCompile(`(?m)^ISO session\s*:\s*(\d+)\s*,\s*(\d+)\s*,`).FindAllStringSubmatch(string(toc), -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		starts = append(starts, n)
	}
	if len(starts) != 3 {
		t.Fatalf("xorriso -toc lists %d sessions:\n%s", len(starts), toc)
	}
	got, root, problems := walkSessionsOf(t, img)
	var lists [][]isoFile
	for _, s := range starts {
		lists = append(lists, isoinfoFiles(t, img, s))
	}
	want := expectSessions(t, img, lists)
	if !slices.Equal(got, want) {
		t.Errorf("files:\n%s\nwant (isoinfo):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// the tree at sector 16 is the newest session's (xorriso's copy)
	var newest []string
	for _, f := range isoinfoFiles(t, img, 0) {
		newest = append(newest, f.path)
	}
	slices.Sort(newest)
	if !slices.Equal(newest, []string{"/b.txt", "/empty", "/keep.txt"}) {
		t.Errorf("isoinfo at sector 16: %v", newest)
	}
	for _, name := range []string{"/a.txt", "/dir/x.txt"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, name+" ") && strings.Contains(s, "deleted") }) {
			t.Errorf("%s of an older session not recorded", name)
		}
	}
	if len(problems) > 0 {
		t.Errorf("problems: %q", problems)
	}
	var sess []string
	for _, s := range root.Extra["iso_sessions"].([]map[string]any) {
		sess = append(sess, fmt.Sprint(s["session"], ":", s["start"]))
	}
	if want := fmt.Sprintf("1:%d 2:%d 3:%d", starts[0], starts[1], starts[2]); strings.Join(sess, " ") != want || root.Extra["iso_session"] != 3 {
		t.Errorf("sessions %v (session %v), xorriso -toc %s", sess, root.Extra["iso_session"], want)
	}
}

// TestSessionsGenisoimage: a disc written session by session, whose
// sector 16 holds the first session: the second session is found after
// the first's end, its tree is the volume (isoinfo -T), and the first
// keep.txt it replaced is recorded deleted.
func TestSessionsGenisoimage(t *testing.T) {
	img, start := genisoimageDisc(t)
	got, root, problems := walkSessionsOf(t, img)
	want := expectSessions(t, img, [][]isoFile{isoinfoFiles(t, img, 0), isoinfoFiles(t, img, start)})
	if !slices.Equal(got, want) {
		t.Errorf("files:\n%s\nwant (isoinfo):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(got, sessEntry{path: "/keep.txt", size: 5, deleted: true, session: 1, md5: "649c727626d5a242b871347db6558c50"}.String()) {
		t.Errorf("the first keep.txt (md5sum of \"kept\\n\") not recorded: %q", got)
	}
	if len(problems) > 0 {
		t.Errorf("problems: %q", problems)
	}
	if s := root.Extra["iso_sessions"].([]map[string]any); len(s) != 2 || s[1]["start"] != start {
		t.Errorf("sessions %v, want the second at sector %d", s, start)
	}
}

// TestTwoSessionsSeed: the fuzz seed is read as a disc of two sessions,
// the second at block 40; its tree lists the first session's files, so
// no file is recorded as only in the first.
func TestTwoSessionsSeed(t *testing.T) {
	b := twoSessions(testfixture.Image(t, "iso-rr-joliet.iso"))
	fsys, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := fsys.(*volume)
	if len(v.sessions) != 2 || v.sessions[1].start != 40 || v.root.extent != 60 {
		t.Fatalf("sessions %+v, root at %d", v.sessions, v.root.extent)
	}
	fsys.Walk(context.Background(), func(e *fs.Entry) error {
		if e.Deleted {
			t.Errorf("%s recorded as only in the first session", e.Path)
		}
		return nil
	}, func(err error) { t.Error(err) })
}

// TestSessionsHostile: a later session whose root folder's "." record
// does not point to itself (an ISO image stored as a file looks like
// that) is not a session; a disc with a volume descriptor signature in
// every sector after the first session is searched in bounded time.
func TestSessionsHostile(t *testing.T) {
	b := twoSessions(testfixture.Image(t, "iso-rr-joliet.iso"))
	putBoth32(b[60*sector+2:], 61)
	fsys, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := fsys.(*volume); v.sessions != nil || v.root.extent == 60 {
		t.Errorf("a session without a sound root was taken: %+v", v.sessions)
	}
	big := append(b[:40*sector:40*sector], make([]byte, 32<<20)...)
	for o := 40 * sector; o < len(big); o += sector {
		copy(big[o:], "\x01CD001\x01")
		big[o+128], big[o+129] = 0, 8 // block size 2048
	}
	start := time.Now()
	fsys, err = Open(bytes.NewReader(big), 0, int64(len(big)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second || fsys.(*volume).sessions != nil {
		t.Errorf("%v to open, sessions %+v", d, fsys.(*volume).sessions)
	}
}
