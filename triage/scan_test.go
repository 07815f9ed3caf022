package triage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

// hostileNames are file names a scan must keep losslessly.
var hostileNames = []string{
	"<script>alert(1)<\\script>.txt",
	"=HYPERLINK(\"x\").csv",
	"+cmd.csv",
	"bad\xff\xfename.txt",
	"new\nline.txt",
	"ctrl\x01\x1b[31mred.txt",
	"tab\tname.txt",
	"back\\slash.txt",
	"日本語のファイル.txt",
}

// makeTree builds an evidence folder with hostile names, a symlink, a FIFO,
// an empty file, a PE disguised as a picture and a larger file.
func makeTree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	w := func(rel string, data []byte) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range hostileNames {
		w(n, []byte(fmt.Sprintf("content of hostile file %d\n", i)))
	}
	pe := make([]byte, 300)
	copy(pe, "MZ")
	pe[0x3c] = 0x80
	copy(pe[0x80:], "PE\x00\x00")
	w("pics/holiday.jpg", pe)
	w("pics/real.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"))
	w("empty", nil)
	big := make([]byte, 5<<20+12345) // crosses the parallel threshold and block edges
	for i := range big {
		big[i] = byte(i * 7 / 3)
	}
	w("sub/deeper/big.bin", big)
	if err := os.Symlink("../empty", filepath.Join(root, "sub", "link-to-empty")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent/target", filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func newCase(t testing.TB) *casedb.Case {
	t.Helper()
	c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func scanTree(t testing.TB, c *casedb.Case, root string, opts Options) *Result {
	t.Helper()
	src, err := OpenSource(root)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := Scan(context.Background(), c, src, opts)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return res
}

func records(t testing.TB, c *casedb.Case, evidence int64) map[string]*casedb.FileRecord {
	t.Helper()
	out := map[string]*casedb.FileRecord{}
	err := c.Files(context.Background(), casedb.FileFilter{EvidenceID: evidence}, func(r *casedb.FileRecord) error {
		if _, dup := out[r.Key]; dup {
			t.Errorf("duplicate record %q", r.Key)
		}
		out[r.Key] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// coreutilsDigest runs md5sum/sha1sum/sha256sum on one file.
func coreutilsDigest(t *testing.T, tool, path string) string {
	t.Helper()
	out, err := exec.Command(tool, "--", path).Output()
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	// An escaped name makes the line start with a backslash.
	return strings.Fields(strings.TrimPrefix(string(out), "\\"))[0]
}

func TestScanFolderMatchesCoreutils(t *testing.T) {
	for _, tool := range []string{"md5sum", "sha1sum", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the digests are checked against coreutils", tool)
		}
	}
	root := makeTree(t)
	c := newCase(t)
	res := scanTree(t, c, root, Options{Workers: 3})
	if res.State != casedb.StateComplete {
		t.Fatalf("state %s, errors %d", res.State, res.Errors)
	}
	recs := records(t, c, res.EvidenceID)

	// Every item the OS lists is recorded, with the right type.
	seen := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		seen++
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, root+"/"))
		r, ok := recs[rel]
		if !ok {
			t.Errorf("%q not recorded", rel)
			return nil
		}
		switch {
		case d.Type().IsRegular():
			if r.Type != casedb.TypeFile || !r.Complete || r.Error != "" {
				t.Errorf("%q: type %s complete %v error %q", rel, r.Type, r.Complete, r.Error)
			}
			for tool, got := range map[string]string{"md5sum": r.MD5, "sha1sum": r.SHA1, "sha256sum": r.SHA256} {
				if want := coreutilsDigest(t, tool, p); got != want {
					t.Errorf("%q: %s %s, want %s", rel, tool, got, want)
				}
			}
			fi, _ := d.Info()
			if r.Size != fi.Size() {
				t.Errorf("%q: size %d, want %d", rel, r.Size, fi.Size())
			}
		case d.IsDir():
			if r.Type != casedb.TypeDir || r.Inode != nil || r.MD5 != "" {
				t.Errorf("%q: dir record %+v", rel, r)
			}
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			if r.Type != casedb.TypeSymlink || r.LinkTarget != target || r.MD5 != "" {
				t.Errorf("%q: link record type %s target %q", rel, r.Type, r.LinkTarget)
			}
		case d.Type()&fs.ModeNamedPipe != 0:
			if r.Type != casedb.TypeFIFO || r.MD5 != "" {
				t.Errorf("%q: fifo record type %s", rel, r.Type)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(recs) {
		t.Errorf("%d items on disk, %d records", seen, len(recs))
	}
	if r := recs["/pics/holiday.jpg"]; !r.ExtensionMismatch || r.Extension != "jpg" {
		t.Errorf("PE named .jpg not flagged: %+v", r)
	}
	if r := recs["/pics/real.png"]; r.ExtensionMismatch {
		t.Errorf("real PNG flagged")
	}
}

func TestScanJSONLKeepsNamesLosslessly(t *testing.T) {
	root := makeTree(t)
	c := newCase(t)
	var buf strings.Builder
	scanTree(t, c, root, Options{JSONL: &buf})
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		for _, k := range []string{"evidence", "path", "size", "md5", "sha1", "sha256", "mime", "extension",
			"extension_mismatch", "entropy", "deleted", "stream", "inode", "volume", "mtime", "atime", "ctime",
			"btime", "status", "hashsets", "complete", "error"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line lacks %q: %s", k, line)
			}
		}
		p := m["path"].(string)
		if b64, ok := m["name_bytes_b64"].(string); ok {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			p = string(raw)
		}
		got[p] = true
	}
	for _, n := range hostileNames {
		if !got["/"+n] {
			t.Errorf("name %q lost in JSON lines", n)
		}
	}
}

// cancelAfter wraps a source and cancels the scan after n entries.
type cancelAfter struct {
	Source
	n      int
	cancel context.CancelFunc
	// done, when set, makes the interrupt wait until this many entries
	// have been hashed (entries travel in batches, so the first ones may
	// not be hashed yet when the walk reaches the n-th; waiting for all
	// the batches sent so far makes sure the first one is done).
	progress *Progress
	done     int64
}

type countingVisitor struct {
	Visitor
	c *cancelAfter
}

func (v countingVisitor) Entry(e *Entry) error {
	v.c.n--
	if v.c.n == 0 {
		for deadline := time.Now().Add(10 * time.Second); v.c.progress != nil &&
			v.c.progress.Files.Load() < v.c.done && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		v.c.cancel()
	}
	return v.Visitor.Entry(e)
}

func (c *cancelAfter) Walk(ctx context.Context, v Visitor) error {
	return c.Source.Walk(ctx, countingVisitor{v, c})
}

func TestScanInterruptAndResume(t *testing.T) {
	root := t.TempDir()
	for i := range 400 {
		p := filepath.Join(root, fmt.Sprintf("d%02d", i%7), fmt.Sprintf("f%04d.txt", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(strings.Repeat(fmt.Sprint(i), i)), 0o644)
	}
	// Reference: one uninterrupted scan.
	ref := newCase(t)
	refRes := scanTree(t, ref, root, Options{})
	want := records(t, ref, refRes.EvidenceID)

	c := newCase(t)
	src, _ := OpenSource(root)
	ctx, cancel := context.WithCancel(context.Background())
	p := &Progress{}
	res, err := Scan(ctx, c, &cancelAfter{Source: src, n: 150, cancel: cancel, progress: p, done: 128}, Options{Workers: 2, Progress: p})
	if !errors.Is(err, context.Canceled) || res.State != casedb.StateInterrupted {
		t.Fatalf("interrupted scan: err %v state %v", err, res.State)
	}
	partial := records(t, c, res.EvidenceID)
	if len(partial) == 0 || len(partial) >= len(want) {
		t.Fatalf("interrupted scan kept %d of %d records (result %+v, progress %d)", len(partial), len(want), res, p.Files.Load())
	}
	ev, _ := c.FindEvidence(context.Background(), root)
	if ev.State != casedb.StateInterrupted {
		t.Errorf("evidence state %q after interrupt", ev.State)
	}

	res2 := scanTree(t, c, root, Options{})
	if !res2.Resumed || res2.EvidenceID != res.EvidenceID || res2.Existing != int64(len(partial)) {
		t.Fatalf("resume: %+v (had %d)", res2, len(partial))
	}
	got := records(t, c, res.EvidenceID)
	if len(got) != len(want) {
		t.Fatalf("after resume %d records, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if g == nil || g.SHA256 != w.SHA256 || g.MD5 != w.MD5 || g.Size != w.Size {
			t.Errorf("%q differs after resume", k)
		}
	}
	// A third run finds the scan finished and skips it.
	if res3 := scanTree(t, c, root, Options{}); !res3.Skipped {
		t.Errorf("finished scan not skipped: %+v", res3)
	}
}

func TestScanUnreadableFileIsRecordedAndScanGoesOn(t *testing.T) {
	root := makeTree(t)
	src := &folderSource{root: root, openErr: func(abs string) error {
		if strings.HasSuffix(abs, "real.png") {
			return &fs.PathError{Op: "open", Path: abs, Err: syscall.EIO}
		}
		return nil
	}}
	c := newCase(t)
	res, err := Scan(context.Background(), c, src, Options{})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if res.State != casedb.StatePartial || res.Errors != 1 {
		t.Fatalf("state %s errors %d", res.State, res.Errors)
	}
	recs := records(t, c, res.EvidenceID)
	r := recs["/pics/real.png"]
	if r.Complete || !strings.Contains(r.Error, "input/output error") || r.MD5 != "" {
		t.Errorf("unreadable record: %+v", r)
	}
	if r := recs["/pics/holiday.jpg"]; r.MD5 == "" || !r.Complete {
		t.Errorf("scan did not go on: %+v", r)
	}
	errs, _ := c.Errors(context.Background(), res.EvidenceID)
	if len(errs) != 1 || errs[0].Path != "/pics/real.png" {
		t.Errorf("errors table: %+v", errs)
	}
}

func TestFileThatGrowsWhileReadIsIncomplete(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "log.txt")
	os.WriteFile(p, []byte("first line\n"), 0o644)
	s := &folderSource{root: root}
	e, _ := s.entry(p, "/log.txt")
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("appended after listing\n")
	f.Close()
	rc, err := e.Open()
	if err != nil {
		t.Fatal(err)
	}
	h := newHasher(DefaultAlgorithms, nil)
	defer h.close()
	hr := h.sum(rc, e.Size, false, nil)
	reason, partial := rc.(PartialReader).Incomplete()
	rc.Close()
	if !partial || !strings.Contains(reason, "changed size") || hr.n != int64(len("first line\nappended after listing\n")) {
		t.Errorf("partial %v reason %q read %d", partial, reason, hr.n)
	}
}

func TestHashdeepAgrees(t *testing.T) {
	if _, err := exec.LookPath("hashdeep"); err != nil {
		t.Skip("hashdeep not installed: cross-check skipped")
	}
	root := t.TempDir()
	for i := range 40 {
		os.WriteFile(filepath.Join(root, fmt.Sprintf("f%02d.bin", i)), []byte(strings.Repeat("x", i*997)), 0o644)
	}
	c := newCase(t)
	res := scanTree(t, c, root, Options{})
	recs := records(t, c, res.EvidenceID)
	cmd := exec.Command("hashdeep", "-c", "md5,sha1,sha256", "-l", "-r", ".")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "%") || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, ",", 5) // size,md5,sha1,sha256,filename
		r := recs["/"+strings.TrimPrefix(f[4], "./")]
		if r == nil || fmt.Sprint(r.Size) != f[0] || r.MD5 != f[1] || r.SHA1 != f[2] || r.SHA256 != f[3] {
			t.Errorf("hashdeep %q disagrees with %+v", line, r)
		}
		n++
	}
	if n != 40 {
		t.Errorf("hashdeep listed %d files", n)
	}
}

func TestWalkOrderIsDeterministic(t *testing.T) {
	root := makeTree(t)
	var first []string
	for i := range 2 {
		c := newCase(t)
		res := scanTree(t, c, root, Options{Workers: 4})
		var keys []string
		c.Files(context.Background(), casedb.FileFilter{EvidenceID: res.EvidenceID}, func(r *casedb.FileRecord) error {
			keys = append(keys, r.Key)
			return nil
		})
		if !sort.StringsAreSorted(keysOfDir(keys, "/")) {
			t.Errorf("top-level entries not in byte order: %q", keys)
		}
		if i == 0 {
			first = keys
		} else if fmt.Sprint(first) != fmt.Sprint(keys) {
			t.Errorf("order differs between runs")
		}
	}
}

func keysOfDir(keys []string, dir string) []string {
	var out []string
	for _, k := range keys {
		if strings.Count(k, "/") == 1 {
			out = append(out, k)
		}
	}
	return out
}

// TestScanLeavesEvidenceUntouched: content, modification and access times
// of every file are the same after a scan (O_NOATIME where the OS allows).
func TestScanLeavesEvidenceUntouched(t *testing.T) {
	root := makeTree(t)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	type state struct {
		atime, mtime time.Time
		sum          string
	}
	snapshot := func() map[string]state {
		m := map[string]state{}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			st, err := lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(p)
			sum := sha256.Sum256(b)
			m[p] = state{st.atime, st.mtime, hex.EncodeToString(sum[:])}
			return nil
		})
		return m
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			os.Chtimes(p, old, old)
		}
		return err
	})
	// Reading for the snapshot itself may set atimes (relatime): take the
	// snapshot, then reset the times again, so the scan is the only reader.
	before := snapshot()
	for p := range before {
		os.Chtimes(p, old, old)
		s := before[p]
		s.atime, s.mtime = old, old
		before[p] = s
	}
	c := newCase(t)
	scanTree(t, c, root, Options{})
	for p, b := range before {
		st, _ := lstat(p)
		if !st.atime.Equal(b.atime) || !st.mtime.Equal(b.mtime) {
			t.Errorf("%s: times changed by the scan: atime %v mtime %v", p, st.atime, st.mtime)
		}
	}
}
