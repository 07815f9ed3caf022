package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// runBounded runs triage and fails the test when it does not end within
// limit: every fault ends promptly with a message.
func runBounded(t *testing.T, limit time.Duration, args ...string) (status int, stderr string) {
	t.Helper()
	type result struct {
		status int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		s := run(args, strings.NewReader(""), &out, &errb)
		done <- result{s, errb.String()}
	}()
	select {
	case r := <-done:
		return r.status, r.stderr
	case <-time.After(limit):
		t.Fatalf("triage %s still running after %v", strings.Join(args, " "), limit)
		return 0, ""
	}
}

// Sources that cannot be read as evidence (a FIFO, a socket, a character
// device) are refused before they are opened, never blocking in open(2).
func TestSpecialFileSources(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.dd")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	lib := t.TempDir()
	for _, src := range []struct{ path, what string }{
		{fifo, "named pipe"}, {sock, "socket"}, {"/dev/zero", "character device"}, {"/dev/null", "character device"},
	} {
		if _, err := os.Stat(src.path); err != nil {
			t.Logf("skipping %s: %v", src.path, err)
			continue
		}
		for _, args := range [][]string{
			{"ls", src.path},
			{"ls", "--files", src.path},
			{"image", "info", src.path},
			{"image", "verify", src.path},
			{"scan", src.path, "--as", "image", "--case", filepath.Join(t.TempDir(), "c")},
			{"scan", src.path, "--case", filepath.Join(t.TempDir(), "c")},
			{"hashset", "import", src.path, "--name", "x", "--category", "known-bad", "--hashset-dir", lib},
		} {
			status, stderr := runBounded(t, 5*time.Second, args...)
			if status == 0 {
				t.Errorf("triage %s: status 0, want an error", strings.Join(args, " "))
			}
			if !strings.Contains(stderr, src.what) {
				t.Errorf("triage %s: stderr %q does not say %q", strings.Join(args, " "), stderr, src.what)
			}
		}
	}
}

// Two scans of one case: while one holds the case, the other is refused at
// once with the PID of the holder, and adds nothing to the case.
func TestScanCaseInUse(t *testing.T) {
	ev := t.TempDir()
	os.WriteFile(filepath.Join(ev, "a.txt"), []byte("a"), 0o644)
	dir := filepath.Join(t.TempDir(), "c")
	holder, _, err := casedb.OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	status, stderr := runBounded(t, 5*time.Second, "scan", ev, "--case", dir, "-q")
	if status != 1 || !strings.Contains(stderr, fmt.Sprintf("in use by PID %d", os.Getpid())) {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
	evs, err := holder.EvidenceItems(context.Background())
	if err != nil || len(evs) != 0 {
		t.Errorf("the refused scan added evidence: %v, %v", evs, err)
	}
	holder.Close()
	if status, stderr := runBounded(t, 30*time.Second, "scan", ev, "--case", dir, "-q"); status != 0 {
		t.Errorf("once free: status %d, stderr %q", status, stderr)
	}
}

// A case on a disk that fills during the scan: the scan fails with a clear
// error, the case stays valid (database and custody log), and the same
// command finishes the job once space is freed.
func TestScanDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	ev := t.TempDir()
	const files = 3000
	for i := range files {
		os.WriteFile(filepath.Join(ev, fmt.Sprintf("file-with-a-long-name-%05d.txt", i)), []byte(fmt.Sprint(i)), 0o644)
	}
	dir := filepath.Join(mnt, "case")
	args := []string{"scan", ev, "--case", dir, "-q"}
	status, stderr := runBounded(t, 60*time.Second, args...)
	if status == 0 {
		t.Fatal("the scan succeeded on a full disk; make the tmpfs smaller")
	}
	if !strings.Contains(stderr, "full") && !strings.Contains(stderr, "no space") {
		t.Errorf("status %d, stderr %q: no clear message", status, stderr)
	}
	t.Logf("full: status %d, %s", status, strings.TrimSpace(stderr))
	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("cannot grow the tmpfs: %v %s", err, out)
	}
	if _, _, err := custody.Verify(dir); err != nil {
		t.Errorf("custody log after the full disk: %v", err)
	}
	status, stderr = runBounded(t, 60*time.Second, args...)
	if status != 0 {
		t.Fatalf("once space is freed: status %d, stderr %q", status, stderr)
	}
	c, err := casedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs, err := c.EvidenceItems(context.Background())
	if err != nil || len(evs) != 1 || evs[0].State != casedb.StateComplete || evs[0].Files != files {
		for _, e := range evs {
			t.Logf("evidence %d: %s, %d files", e.ID, e.State, e.Files)
		}
		t.Errorf("after the resumed scan: %d evidence items, %v", len(evs), err)
	}
	if _, _, err := custody.Verify(dir); err != nil {
		t.Errorf("custody log: %v", err)
	}
}

// A hash-set index with one flipped bit in its digest data stops the scan
// with an error naming the set, instead of scanning a known-bad file as
// unknown; an intact index is recorded with the SHA-256 of its bytes, as
// sha256sum computes it.
func TestScanDamagedHashsetIndex(t *testing.T) {
	lib := t.TempDir()
	ev := t.TempDir()
	os.WriteFile(filepath.Join(ev, "bad.txt"), []byte("known bad\n"), 0o644)
	sum := md5.Sum([]byte("known bad\n"))
	list := filepath.Join(t.TempDir(), "bad.md5")
	os.WriteFile(list, []byte(hex.EncodeToString(sum[:])+"  bad.txt\n"), 0o644)
	if status, stderr := runBounded(t, 30*time.Second, "hashset", "import", list, "--name", "agency", "--category", "known-bad", "--hashset-dir", lib, "-q"); status != 0 {
		t.Fatalf("import: %d %s", status, stderr)
	}
	idx := filepath.Join(lib, "agency.tset")
	clean, err := os.ReadFile(idx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sha256sum", idx).Output()
	if err != nil {
		t.Skipf("sha256sum: %v", err)
	}
	want := strings.Fields(string(out))[0]

	dir := filepath.Join(t.TempDir(), "c")
	if status, stderr := runBounded(t, 30*time.Second, "scan", ev, "--case", dir, "--hashset", "agency", "--hashset-dir", lib, "-q"); status != 0 {
		t.Fatalf("scan: %d %s", status, stderr)
	}
	c, err := casedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	used, err := c.HashSetsUsed(context.Background())
	c.Close()
	if err != nil || len(used) != 1 || used[0].Details["file_sha256"] != want {
		t.Errorf("hash sets used %+v (%v), want file_sha256 %s", used, err, want)
	}

	// Flip one bit of the MD5 digest in the data section.
	s, err := hashset.Open(idx)
	if err != nil {
		t.Fatal(err)
	}
	var off int64 = -1
	for _, sc := range s.Sections {
		if sc.Algorithm == "md5" {
			off = sc.DataOffset
		}
	}
	s.Close()
	if off < 0 {
		t.Fatal("no md5 section")
	}
	damaged := append([]byte(nil), clean...)
	damaged[off+3] ^= 0x10
	os.WriteFile(idx, damaged, 0o644)
	dir2 := filepath.Join(t.TempDir(), "c")
	status, stderr := runBounded(t, 30*time.Second, "scan", ev, "--case", dir2, "--hashset", "agency", "--hashset-dir", lib, "-q")
	if status == 0 || !strings.Contains(stderr, `hash set "agency"`) || !strings.Contains(stderr, "damaged") {
		t.Errorf("damaged index: status %d, stderr %q", status, stderr)
	}
}

// The case may not lie inside the source however its path is written: a
// symbolic link to the source, ".." after a link into it, a bind mount of
// it. Nothing is created there.
func TestCaseInsideSourceResolved(t *testing.T) {
	top := t.TempDir()
	ev := filepath.Join(top, "ev")
	os.MkdirAll(filepath.Join(ev, "sub"), 0o755)
	os.WriteFile(filepath.Join(ev, "a.txt"), []byte("a"), 0o644)
	os.Symlink(ev, filepath.Join(top, "link"))
	os.Symlink(filepath.Join(ev, "sub"), filepath.Join(top, "linksub"))
	cases := map[string]string{
		"symlink":          filepath.Join(top, "link", "case"),
		"dotdot-via-link":  filepath.Join(top, "linksub") + "/../case",
		"symlink-is-case":  filepath.Join(top, "link"),
		"relative-symlink": "link/case",
	}
	bind := filepath.Join(top, "bind")
	os.Mkdir(bind, 0o755)
	if os.Geteuid() == 0 && exec.Command("mount", "--bind", ev, bind).Run() == nil {
		t.Cleanup(func() { exec.Command("umount", bind).Run() })
		cases["bind-mount"] = filepath.Join(bind, "case")
	} else {
		t.Log("bind mount not tested: needs root")
	}
	wd, _ := os.Getwd()
	os.Chdir(top)
	defer os.Chdir(wd)
	for name, dir := range cases {
		status, stderr := runBounded(t, 10*time.Second, "scan", ev, "--case", dir, "-q")
		if status != 2 || !strings.Contains(stderr, "never writes into evidence") {
			t.Errorf("%s (%s): status %d, stderr %q", name, dir, status, stderr)
		}
		if name == "symlink-is-case" {
			continue // DIR.jsonl lies beside the link
		}
		status, stderr = runBounded(t, 10*time.Second, "scan", ev, "--case", filepath.Join(top, "ok-"+name), "--jsonl", dir+".jsonl", "-q")
		if status != 2 || !strings.Contains(stderr, "--jsonl") {
			t.Errorf("--jsonl %s (%s): status %d, stderr %q", name, dir, status, stderr)
		}
	}
	ents, _ := os.ReadDir(ev)
	if len(ents) != 2 {
		t.Errorf("the source holds %d entries, want its 2", len(ents))
	}
	if status, stderr := runBounded(t, 30*time.Second, "scan", ev, "--case", filepath.Join(top, "c"), "-q"); status != 0 {
		t.Errorf("a case beside the source: status %d, %s", status, stderr)
	}
}

// A case on read-only storage can be verified, reported (to another folder)
// and its custody log shown.
func TestReadOnlyCase(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a read-only bind mount needs root")
	}
	ev := t.TempDir()
	os.WriteFile(filepath.Join(ev, "a.txt"), []byte("a"), 0o644)
	dir := filepath.Join(t.TempDir(), "c")
	if status, stderr := runBounded(t, 30*time.Second, "scan", ev, "--case", dir, "-q"); status != 0 {
		t.Fatalf("scan: %d %s", status, stderr)
	}
	ro := t.TempDir()
	if out, err := exec.Command("mount", "--bind", dir, ro).CombinedOutput(); err != nil {
		t.Skipf("bind mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", ro).Run() })
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", ro).CombinedOutput(); err != nil {
		t.Skipf("read-only remount: %v %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(ro, "probe"), nil, 0o644); err == nil {
		t.Fatal("the mount is writable")
	}
	out := t.TempDir()
	for _, args := range [][]string{
		{"verify", ro},
		{"custody", "show", ro},
		{"report", ro, "-o", filepath.Join(out, "r.html")},
	} {
		if status, stderr := runBounded(t, 60*time.Second, args...); status != 0 {
			t.Errorf("triage %s: status %d, stderr %q", strings.Join(args, " "), status, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "r.html")); err != nil {
		t.Errorf("no report: %v", err)
	}
}

// Ctrl-C during verify is an interruption (exit 130), not a FAILED
// verification (exit 1).
func TestVerifyInterrupted(t *testing.T) {
	img := filepath.Join(t.TempDir(), "ntfs.raw")
	os.WriteFile(img, testfixture.Image(t, "ntfs-basic.raw"), 0o644)
	dir := filepath.Join(t.TempDir(), "c")
	if status, stderr := runBounded(t, 60*time.Second, "scan", img, "--case", dir, "-q"); status != 0 && status != 3 {
		t.Fatalf("scan: %d %s", status, stderr) // 3: its WOF file is incomplete
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &globalOptions{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	err := runVerify(ctx, &VerifyOptions{}, g, []string{dir})
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "FAILED") {
		t.Errorf("interrupted verify: %v", err)
	}
}

// The CSV listing keeps CR and LF in names visible as escapes and gives the
// exact bytes of every name it cannot show as they are, so two names that
// differ only in an invalid byte or a CR stay distinct.
func TestCSVNamesLossless(t *testing.T) {
	ev := t.TempDir()
	names := []string{"cr\rname", "lf\nname", "bad\xffname", "bad\xfename", "plain"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(ev, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "c")
	if status, stderr := runBounded(t, 30*time.Second, "scan", ev, "--case", dir, "-q"); status != 0 {
		t.Fatalf("scan: %d %s", status, stderr)
	}
	out := filepath.Join(t.TempDir(), "r.csv")
	if status, stderr := runBounded(t, 30*time.Second, "report", dir, "-f", "csv", "-o", out); status != 0 {
		t.Fatalf("report: %d %s", status, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	shown := map[string]bool{}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		p := r[col["path"]]
		key := p + "\x00" + r[col["name_bytes_b64"]]
		if shown[key] {
			t.Errorf("two names shown as %q with the same bytes column", p)
		}
		shown[key] = true
		if strings.ContainsAny(p, "\r\n") {
			t.Errorf("path cell %q holds a raw CR or LF", p)
		}
		name := strings.TrimPrefix(p, "/")
		if b64 := r[col["name_bytes_b64"]]; b64 != "" {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			name = strings.TrimPrefix(string(b), "/")
		}
		got[name] = true
	}
	for _, n := range names {
		if !got[n] {
			t.Errorf("name %q not recoverable from the CSV (%v)", n, got)
		}
	}
}
