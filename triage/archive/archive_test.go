package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// got is what a walk visited: every member with the SHA-256 of what its
// reader gave (computed here with crypto/sha256) and the error it ended on.
type got struct {
	members  []*seen
	problems []string
}

type seen struct {
	Member
	sha      string
	n        int64
	err      error
	nested   string
	notOpen  string
	openFail error
}

func (g *got) Member(m *Member) error {
	s := &seen{Member: *m}
	if m.Type == TypeFile && m.Err == nil {
		r, err := m.Open()
		if err != nil {
			s.openFail = err
		} else {
			h := sha256.New()
			s.n, s.err = io.Copy(h, r)
			s.sha = hex.EncodeToString(h.Sum(nil))
		}
	}
	s.nested, s.notOpen = m.Nested()
	g.members = append(g.members, s)
	return nil
}

func (g *got) Problem(p string, err error) { g.problems = append(g.problems, p+": "+err.Error()) }

func (g *got) byPath(t testing.TB, p string) *seen {
	t.Helper()
	for _, m := range g.members {
		if m.Path == p {
			return m
		}
	}
	var names []string
	for _, m := range g.members {
		names = append(names, m.Path)
	}
	t.Fatalf("no member %q among %q", p, names)
	return nil
}

func walkBytes(t testing.TB, b []byte, name string, o Options) (*got, *Summary) {
	t.Helper()
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	g := &got{}
	sum, err := Walk(context.Background(), bytes.NewReader(b), int64(len(b)), name, o, g)
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	return g, sum
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type file struct {
	name   string
	data   []byte
	method uint16
}

func makeZip(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: f.method, Modified: time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeTarGz(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(1700000000, 0)})
		tw.Write(f.data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestZipStoredAndDeflated(t *testing.T) {
	text := []byte(strings.Repeat("a stored member\n", 100))
	exe := append([]byte("MZ"), bytes.Repeat([]byte{0x90}, 5000)...)
	b := makeZip(t, file{"inner/", nil, zip.Store}, file{"inner/readme.txt", text, zip.Store}, file{"/inner/tool.exe", exe, zip.Deflate})
	g, sum := walkBytes(t, b, "a.zip", Options{})
	if sum.Format != "zip" || sum.Members != 3 || sum.NotOpened != 0 || sum.Err != nil {
		t.Errorf("summary %+v", sum)
	}
	if d := g.byPath(t, "inner"); d.Type != TypeDir || d.Key != "0" {
		t.Errorf("folder: %+v", d.Member)
	}
	for _, c := range []struct {
		path string
		data []byte
		key  string
	}{{"inner/readme.txt", text, "1"}, {"inner/tool.exe", exe, "2"}} {
		m := g.byPath(t, c.path)
		if m.sha != sha(c.data) || m.err != nil || m.n != int64(len(c.data)) || m.Size != int64(len(c.data)) || m.Key != c.key || m.Format != "zip" {
			t.Errorf("%s: sha %s err %v n %d key %q, want %s", c.path, m.sha, m.err, m.n, m.Key, sha(c.data))
		}
		if !m.Mtime.Equal(time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)) {
			t.Errorf("%s: mtime %v", c.path, m.Mtime)
		}
	}
}

// TestZip64 reads an entry whose sizes are in the ZIP64 extra field, as
// Info-ZIP writes them with -fz.
func TestZip64(t *testing.T) {
	if _, err := exec.LookPath("zip"); err != nil {
		t.Skip("zip (Debian package zip) not installed")
	}
	dir := t.TempDir()
	data := []byte(strings.Repeat("zip64 member\n", 300))
	os.WriteFile(filepath.Join(dir, "m.txt"), data, 0o644)
	cmd := exec.Command("zip", "-q", "-fz", "z.zip", "m.txt")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zip: %v %s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "z.zip"))
	// The central directory entry holds the ZIP64 extra field (ID 1).
	cd := bytes.LastIndex(b, []byte("PK\x01\x02"))
	if cd < 0 || !bytes.Contains(b[cd:], []byte{1, 0, 8, 0}) && !bytes.Contains(b[cd:], []byte{1, 0, 16, 0}) {
		t.Fatal("zip -fz wrote no ZIP64 extra field in the central directory")
	}
	g, _ := walkBytes(t, b, "z.zip", Options{})
	if m := g.byPath(t, "m.txt"); m.sha != sha(data) || m.err != nil {
		t.Errorf("sha %s err %v, want %s", m.sha, m.err, sha(data))
	}
}

func TestZipEncryptedMemberIsNotOpened(t *testing.T) {
	if _, err := exec.LookPath("zip"); err != nil {
		t.Skip("zip (Debian package zip) not installed")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("secret\n"), 0o644)
	cmd := exec.Command("zip", "-q", "-P", "pass", "e.zip", "secret.txt")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zip: %v %s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "e.zip"))
	g, sum := walkBytes(t, b, "e.zip", Options{})
	m := g.byPath(t, "secret.txt")
	if !m.Encrypted || !errors.Is(m.Err, ErrEncrypted) || m.sha != "" {
		t.Errorf("member %+v", m.Member)
	}
	if sum.NotOpened != 1 {
		t.Errorf("not opened %d", sum.NotOpened)
	}
}

// TestBadMemberDoesNotStopTheArchive: a member whose CRC is wrong gives
// its error; the member after it is read.
func TestBadMemberDoesNotStopTheArchive(t *testing.T) {
	one, two := []byte("first member\n"), []byte("second member\n")
	b := makeZip(t, file{"one.txt", one, zip.Store}, file{"two.txt", two, zip.Store})
	i := bytes.Index(b, one)
	b[i] ^= 0xff // the content no longer matches its CRC
	g, _ := walkBytes(t, b, "bad.zip", Options{})
	if m := g.byPath(t, "one.txt"); !errors.Is(m.err, zip.ErrChecksum) {
		t.Errorf("one.txt: err %v", m.err)
	}
	if m := g.byPath(t, "two.txt"); m.err != nil || m.sha != sha(two) {
		t.Errorf("two.txt: err %v sha %s", m.err, m.sha)
	}
}

// TestNestedZipInTarGz: a zip inside a .tar.gz is opened; its members'
// paths and keys follow the zip's.
func TestNestedZipInTarGz(t *testing.T) {
	x := []byte("inside the nested zip\n")
	inner := makeZip(t, file{"x.txt", x, zip.Deflate})
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar not installed")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "b.zip"), inner, 0o644)
	cmd := exec.Command("tar", "czf", "t.tar.gz", "a/b.zip")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "t.tar.gz"))
	g, sum := walkBytes(t, b, "t.tar.gz", Options{})
	if sum.Format != "tar+gzip" || sum.Nested != 1 || sum.NotOpened != 0 {
		t.Errorf("summary %+v; problems %q", sum, g.problems)
	}
	z := g.byPath(t, "a/b.zip")
	if z.sha != sha(inner) || z.nested != "zip" || z.notOpen != "" {
		t.Errorf("a/b.zip: %+v", z)
	}
	m := g.byPath(t, "a/b.zip!/x.txt")
	if m.sha != sha(x) || m.Container != "a/b.zip" || m.ContainerKey != z.Key || m.Key != z.Key+"!0" || m.Depth != 2 {
		t.Errorf("x.txt: %+v", m.Member)
	}
}

// TestCompressedStreams: single files compressed by the system tools.
func TestCompressedStreams(t *testing.T) {
	data := []byte(strings.Repeat("compressed stream content\n", 1000))
	for _, c := range []struct{ tool, ext, format string }{
		{"gzip", ".gz", "gzip"}, {"bzip2", ".bz2", "bzip2"}, {"xz", ".xz", "xz"}, {"zstd", ".zst", "zstd"},
	} {
		t.Run(c.tool, func(t *testing.T) {
			if _, err := exec.LookPath(c.tool); err != nil {
				t.Skipf("%s not installed", c.tool)
			}
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "data.txt"), data, 0o644)
			cmd := exec.Command(c.tool, "-q", "data.txt")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v %s", c.tool, err, out)
			}
			b, err := os.ReadFile(filepath.Join(dir, "data.txt"+c.ext))
			if err != nil {
				t.Fatal(err)
			}
			g, sum := walkBytes(t, b, "data.txt"+c.ext, Options{})
			if sum.Format != c.format || len(g.members) != 1 {
				t.Fatalf("summary %+v, %d members", sum, len(g.members))
			}
			m := g.members[0]
			if m.Path != "data.txt" || m.sha != sha(data) || m.err != nil || m.Size != -1 {
				t.Errorf("member %q sha %s err %v size %d", m.Path, m.sha, m.err, m.Size)
			}
		})
	}
}

func Test7z(t *testing.T) {
	if _, err := exec.LookPath("7zz"); err != nil {
		t.Skip("7zz (Debian package 7zip) not installed")
	}
	dir := t.TempDir()
	one := []byte(strings.Repeat("first file of the 7z\n", 500))
	two := append([]byte("MZ"), bytes.Repeat([]byte{1, 2, 3}, 3000)...)
	os.MkdirAll(filepath.Join(dir, "in", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "in", "one.txt"), one, 0o644)
	os.WriteFile(filepath.Join(dir, "in", "sub", "two.exe"), two, 0o644)
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command("7zz", append([]string{"a", "-bd", "-bso0"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("7zz: %v %s", err, out)
		}
		b, _ := os.ReadFile(filepath.Join(dir, args[len(args)-2]))
		return b
	}
	t.Run("solid", func(t *testing.T) {
		g, sum := walkBytes(t, run("s.7z", "in"), "s.7z", Options{})
		if sum.Format != "7z" || sum.NotOpened != 0 || sum.Err != nil {
			t.Errorf("summary %+v", sum)
		}
		if m := g.byPath(t, "in/one.txt"); m.sha != sha(one) || m.err != nil {
			t.Errorf("one.txt: %s %v", m.sha, m.err)
		}
		if m := g.byPath(t, "in/sub/two.exe"); m.sha != sha(two) || m.err != nil {
			t.Errorf("two.exe: %s %v", m.sha, m.err)
		}
		if d := g.byPath(t, "in/sub"); d.Type != TypeDir {
			t.Errorf("in/sub: %s", d.Type)
		}
	})
	// LZMA and LZMA2 coders (internal/lzma), with a dictionary smaller
	// than the content (the window wraps) and with the BCJ filter before
	// them; a member of mixed text and random bytes.
	big := make([]byte, 0, 1<<20)
	for i := 0; len(big) < 1<<20; i++ {
		big = fmt.Appendf(big, "record %d of the log, state %d\n", i, i%17)
		if i%500 == 0 {
			big = append(big, []byte(sha(big))...)
		}
	}
	os.WriteFile(filepath.Join(dir, "in", "big.log"), big, 0o644)
	for _, m := range []string{"-m0=LZMA", "-m0=LZMA:d=64k:lc=4:pb=0", "-m0=LZMA2:d=64k", "-mf=BCJ"} {
		t.Run(m, func(t *testing.T) {
			name := fmt.Sprintf("m%d.7z", len(m))
			g, sum := walkBytes(t, run(m, name, "in"), name, Options{})
			if sum.Err != nil || sum.NotOpened != 0 {
				t.Errorf("summary %+v", sum)
			}
			for path, want := range map[string][]byte{"in/one.txt": one, "in/sub/two.exe": two, "in/big.log": big} {
				if got := g.byPath(t, path); got.sha != sha(want) || got.err != nil {
					t.Errorf("%s: %s %v", path, got.sha, got.err)
				}
			}
		})
	}
	// A zip whose members 7-Zip compressed with LZMA (method 14, with an
	// end marker).
	t.Run("zip-lzma", func(t *testing.T) {
		b := run("-tzip", "-mm=LZMA", "l.zip", "in")
		g, sum := walkBytes(t, b, "l.zip", Options{})
		if sum.Format != "zip" || sum.Err != nil || sum.NotOpened != 0 {
			t.Errorf("summary %+v", sum)
		}
		for path, want := range map[string][]byte{"in/one.txt": one, "in/sub/two.exe": two, "in/big.log": big} {
			if got := g.byPath(t, path); got.sha != sha(want) || got.err != nil {
				t.Errorf("%s: %s %v", path, got.sha, got.err)
			}
		}
		// A flipped byte in a member's LZMA data is an error, not content.
		zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		for _, f := range zr.File {
			if f.Name == "in/big.log" {
				off, _ := f.DataOffset()
				bad := bytes.Clone(b)
				bad[off+int64(f.CompressedSize64)/2] ^= 0x55
				g, _ := walkBytes(t, bad, "l.zip", Options{})
				if m := g.byPath(t, "in/big.log"); m.err == nil {
					t.Errorf("damaged member read without error (%s)", m.sha)
				}
			}
		}
	})
	t.Run("encrypted", func(t *testing.T) {
		g, _ := walkBytes(t, run("-ppass", "e.7z", "in"), "e.7z", Options{})
		m := g.byPath(t, "in/one.txt")
		if m.sha == sha(one) || (!errors.Is(m.err, ErrEncrypted) && !errors.Is(m.openFail, ErrEncrypted)) {
			t.Errorf("one.txt: err %v / %v", m.err, m.openFail)
		}
	})
	t.Run("encrypted-names", func(t *testing.T) {
		g, sum := walkBytes(t, run("-ppass", "-mhe=on", "h.7z", "in"), "h.7z", Options{})
		if sum.Err == nil || len(g.members) != 0 || len(g.problems) != 1 {
			t.Errorf("summary %+v, members %d, problems %q", sum, len(g.members), g.problems)
		}
	})
}

func TestNotAnArchive(t *testing.T) {
	g, sum := walkBytes(t, []byte("just text"), "a.zip", Options{})
	if sum.Format != "" || len(g.members) != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// zipBomb returns a zip of one deflated member of size zero bytes, built
// from one compressed mebibyte repeated: a few KB per GB.
func zipBomb(t testing.TB, size int64) []byte {
	t.Helper()
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	fw.Write(zeros)
	fw.Flush() // byte-aligned, not final: the blocks can be repeated
	var comp bytes.Buffer
	crc := uint32(0)
	for n := int64(0); n < size; n += 1 << 20 {
		comp.Write(blk.Bytes())
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	comp.Write([]byte{3, 0}) // an empty final block
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "zeros.bin", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(size)})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return buf.Bytes()
}

// TestZipBombIsStoppedFast: 5 GiB of zeros in a 5 MB zip (a ZIP64 entry)
// stops at the ratio limit within a second, in bounded memory: its
// declared sizes give it away past the first MiB.
func TestZipBombIsStoppedFast(t *testing.T) {
	b := zipBomb(t, 5<<30)
	t.Logf("bomb: %d bytes expanding to 5 GiB", len(b))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	g, sum := walkBytes(t, b, "bomb.zip", Options{})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	m := g.byPath(t, "zeros.bin")
	var le *LimitError
	if !errors.As(m.err, &le) || le.Limit != LimitRatio || !strings.Contains(m.err.Error(), "--archive-max-ratio") {
		t.Fatalf("member error %v, want the ratio limit", m.err)
	}
	if m.Size != 5<<30 || m.n > RatioFloor+1<<20 {
		t.Errorf("declared %d, read %d", m.Size, m.n)
	}
	if sum.NotOpened != 1 {
		t.Errorf("summary %+v", sum)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("stopped after %d bytes in %v, %d bytes allocated", m.n, took, alloc)
	// The work is bounded by the bytes read and allocated, checked here;
	// the time is measured by BenchmarkGzipBomb, not asserted, so that a
	// loaded machine cannot fail the test.
	if alloc > 64<<20 {
		t.Errorf("allocated %d bytes, want a bounded amount", alloc)
	}
}

func TestLimits(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, little compression
	for i := range data {
		data[i] ^= byte(i * 131 >> 7)
	}
	b := makeZip(t, file{"a.bin", data, zip.Deflate}, file{"b.bin", data, zip.Deflate}, file{"c.bin", data, zip.Deflate})
	t.Run("member bytes", func(t *testing.T) {
		g, _ := walkBytes(t, b, "l.zip", Options{Limits: Limits{MemberBytes: 1000}})
		for _, m := range g.members {
			var le *LimitError
			if !errors.As(m.err, &le) || le.Limit != LimitMemberBytes || m.n != 1000 {
				t.Errorf("%s: read %d, err %v", m.Path, m.n, m.err)
			}
		}
	})
	t.Run("archive bytes", func(t *testing.T) {
		g, sum := walkBytes(t, b, "l.zip", Options{Limits: Limits{ArchiveBytes: 3 << 19}})
		if len(g.members) != 2 || g.members[0].err != nil || g.members[1].n != 1<<19 {
			t.Fatalf("%d members", len(g.members))
		}
		var le *LimitError
		if !errors.As(g.members[1].err, &le) || le.Limit != LimitArchiveBytes || !errors.As(sum.Err, &le) {
			t.Errorf("err %v, summary %+v", g.members[1].err, sum)
		}
	})
	t.Run("members", func(t *testing.T) {
		g, sum := walkBytes(t, b, "l.zip", Options{Limits: Limits{Members: 2}})
		var le *LimitError
		if len(g.members) != 2 || !errors.As(sum.Err, &le) || le.Limit != LimitMembers || len(g.problems) != 1 {
			t.Errorf("%d members, summary %+v, problems %q", len(g.members), sum, g.problems)
		}
	})
	t.Run("time", func(t *testing.T) {
		g, sum := walkBytes(t, b, "l.zip", Options{Limits: Limits{Time: time.Nanosecond}})
		var le *LimitError
		if len(g.members) != 0 || !errors.As(sum.Err, &le) || le.Limit != LimitTime {
			t.Errorf("%d members, summary %+v", len(g.members), sum)
		}
	})
}

// TestDepthLimit: a chain of zips, each inside the next, is opened to the
// depth limit; the archive at the limit is reported and not opened.
func TestDepthLimit(t *testing.T) {
	b := []byte("the bottom of the chain\n")
	want := sha(b)
	for i := 0; i < 8; i++ {
		b = makeZip(t, file{"level.zip", b, zip.Deflate})
	}
	g, sum := walkBytes(t, b, "chain.zip", Options{Limits: Limits{Depth: 3}})
	if len(g.members) != 3 || sum.Nested != 2 {
		t.Fatalf("%d members, summary %+v", len(g.members), sum)
	}
	last := g.byPath(t, "level.zip!/level.zip!/level.zip")
	if last.nested != "zip" || !strings.Contains(last.notOpen, "depth limit of 3") || last.err != nil || last.Key != "0!0!0" {
		t.Errorf("last: nested %q %q err %v key %q", last.nested, last.notOpen, last.err, last.Key)
	}
	if len(g.problems) != 1 || !strings.Contains(g.problems[0], "--archive-max-depth") {
		t.Errorf("problems %q", g.problems)
	}
	g, _ = walkBytes(t, b, "chain.zip", Options{Limits: Limits{Depth: 9}})
	if len(g.members) != 8 || g.members[7].sha != want {
		t.Errorf("%d members", len(g.members))
	}
}

// TestWalkReaderSpills: a zip read as a stream is copied to the
// temporary folder, walked, and the copy removed.
func TestWalkReaderSpills(t *testing.T) {
	data := []byte("through a stream\n")
	b := makeZip(t, file{"s.txt", data, zip.Deflate})
	tmp := t.TempDir()
	g := &got{}
	sum, err := WalkReader(context.Background(), io.MultiReader(bytes.NewReader(b)), int64(len(b)), "s.zip", Options{TempDir: tmp}, g)
	if err != nil || sum.Format != "zip" {
		t.Fatalf("%v %+v", err, sum)
	}
	if m := g.byPath(t, "s.txt"); m.sha != sha(data) {
		t.Errorf("sha %s", m.sha)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary folder: %v", left)
	}
}

// gzipBomb returns a gzip stream of about 1 MB holding 1 GiB of zeros,
// its trailer never reached.
func gzipBomb() []byte {
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Flush()
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	for range 1024 {
		b.Write(blk.Bytes())
	}
	b.Write([]byte{3, 0})
	b.Write(make([]byte, 8)) // CRC and size, never reached
	return b.Bytes()
}

// TestGzipBombIsStoppedFast: 1 GiB of zeros in a 1 MB gzip stream, which
// declares no size, stops at the ratio limit (100 times the compressed
// size), reading and allocating a bounded amount.
func TestGzipBombIsStoppedFast(t *testing.T) {
	b := bytes.NewBuffer(gzipBomb())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	g, sum := walkBytes(t, b.Bytes(), "bomb.gz", Options{})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	m := g.byPath(t, "bomb")
	var le *LimitError
	if !errors.As(m.err, &le) || le.Limit != LimitRatio || !le.Whole {
		t.Fatalf("member error %v, want the ratio limit", m.err)
	}
	if max := 100*int64(b.Len()) + 64<<10; m.n > max {
		t.Errorf("read %d bytes, more than 100 times %d", m.n, b.Len())
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("1 GiB gzip bomb of %d bytes stopped after %d bytes in %v, %d bytes allocated; summary %+v", b.Len(), m.n, took, alloc, sum)
	// The work is bounded by the bytes read and allocated, checked here;
	// the time is measured by BenchmarkGzipBomb, not asserted, so that a
	// loaded machine cannot fail the test.
	if alloc > 64<<20 {
		t.Errorf("allocated %d bytes, want a bounded amount", alloc)
	}
}

// TestLZMABombs: 256 MiB of zeros in a 7z (solid, LZMA2) and in an xz file
// stop at the ratio limit, past a bounded number of bytes; a 7z member has
// no compressed size of its own, so the archive's size is its bound.
func TestLZMABombs(t *testing.T) {
	for _, tool := range []string{"7zz", "xz"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian packages 7zip, xz-utils)", tool)
		}
	}
	dir := t.TempDir()
	zeros := func(name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Stdin = io.LimitReader(zeroReader{}, 256<<20)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if name != "" {
			out, _ = os.ReadFile(filepath.Join(dir, name))
		}
		return out
	}
	for _, c := range []struct {
		name, member string
		b            []byte
	}{
		{"bomb.7z", "zeros", zeros("bomb.7z", "7zz", "a", "-bd", "-bso0", "-mx1", "-sizeros", "bomb.7z")},
		{"bomb.xz", "bomb", zeros("", "xz", "-1", "-T2", "-c")},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, _ := walkBytes(t, c.b, c.name, Options{})
			m := g.byPath(t, c.member)
			var le *LimitError
			if !errors.As(m.err, &le) || le.Limit != LimitRatio {
				t.Fatalf("member error %v, want the ratio limit", m.err)
			}
			if max := 100*int64(len(c.b)) + RatioFloor + 1<<20; m.n > max {
				t.Errorf("read %d bytes of a %d-byte archive", m.n, len(c.b))
			}
			t.Logf("%s of %d bytes stopped after %d bytes", c.name, len(c.b), m.n)
		})
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// BenchmarkGzipBomb measures how long the walk takes to stop a 1 GiB gzip
// bomb (the target: under a second).
func BenchmarkGzipBomb(b *testing.B) {
	data := gzipBomb()
	for b.Loop() {
		g, _ := walkBytes(b, data, "bomb.gz", Options{})
		if m := g.byPath(b, "bomb"); m.err == nil {
			b.Fatal("the bomb was not stopped")
		}
	}
}
