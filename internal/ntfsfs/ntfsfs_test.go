package ntfsfs

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/triagekit/triage/internal/testfixture"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	gunzip    = testfixture.Gunzip
	corpusDir = testfixture.CorpusDir
	testImage = testfixture.Image
)

type got struct {
	size    int64
	md5     string
	sha256  string
	deleted bool
	isDir   bool
	entry   int64
	err     error
	partial string
}

// walkAll walks the volume and reads every stream.
func walkAll(t testing.TB, vol []byte) (map[string]*got, []error) {
	t.Helper()
	fs, err := Open(bytes.NewReader(vol), 0, int64(len(vol)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*got{}
	var problems []error
	err = fs.Walk(context.Background(), func(it *Item) error {
		key := it.Path
		g := &got{deleted: it.Deleted, isDir: it.File.IsDir, entry: it.File.Entry}
		if it.Stream != nil {
			if it.Stream.Name != "" {
				key += ":" + it.Stream.Name
			}
			g.size = it.Stream.Size
			r, err := fs.OpenStream(it.File, it.Stream)
			if err != nil {
				g.err = err
			} else {
				m, s := md5.New(), sha256.New()
				n, err := io.Copy(io.MultiWriter(m, s), r)
				g.md5, g.sha256, g.err = hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(s.Sum(nil)), err
				if err == nil && n != g.size {
					g.err = fmt.Errorf("read %d of %d", n, g.size)
				}
				g.partial, _ = r.Incomplete()
			}
		}
		if _, dup := out[key]; dup {
			t.Errorf("%s listed twice", key)
		}
		out[key] = g
		for _, l := range it.Links { // fls lists every hard-link name
			if it.Stream != nil && it.Stream.Name != "" {
				l += ":" + it.Stream.Name
			}
			out[l] = g
		}
		return nil
	}, func(err error) { problems = append(problems, err) })
	if err != nil {
		t.Fatal(err)
	}
	return out, problems
}

type want struct {
	addr    string
	deleted bool
	size    int64
	md5     string
	path    string
}

// readExpected reads IMAGE.expected.tsv (made by make.sh with fls and icat).
func readExpected(t *testing.T, name string) map[int64][]want {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "images", name+".expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[int64][]want{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		off, _ := strconv.ParseInt(f[0], 10, 64)
		size, _ := strconv.ParseInt(f[3], 10, 64)
		out[off] = append(out[off], want{addr: f[1], deleted: f[2] == "true", size: size, md5: f[4], path: "/" + f[5]})
	}
	return out
}

// skipTSK lists streams where icat's output is not the stream's content.
var skipTSK = map[string]bool{}

// expectedVolumes yields each NTFS volume of the test image name with the
// streams make.sh recorded for it (readExpected).
func expectedVolumes(t *testing.T, name string) iter.Seq2[[]byte, []want] {
	img := testImage(t, name)
	exp := readExpected(t, name)
	return func(yield func([]byte, []want) bool) {
		for sector, wants := range exp {
			vol := img[sector*512:]
			if sector > 0 {
				vol = vol[:8<<20] // make.sh's NTFS volumes are 8 MiB
			}
			if !yield(vol, wants) {
				return
			}
		}
	}
}

// TestAgainstSleuthKit compares every $DATA stream of the testdata images
// with the Sleuth Kit's fls -r -p + icat output recorded by make.sh:
// allocated and deleted, with sizes and MD5s.
func TestAgainstSleuthKit(t *testing.T) {
	for _, name := range []string{"ntfs-basic.raw", "mbr-ntfs-ext4.raw", "gpt-ntfs.raw"} {
		t.Run(name, func(t *testing.T) {
			for vol, wants := range expectedVolumes(t, name) {
				gotAll, problems := walkAll(t, vol)
				if len(problems) > 0 {
					t.Errorf("problems: %v", problems)
				}
				seen := map[string]bool{}
				for _, w := range wants {
					if skipTSK[w.path] {
						seen[w.path] = true
						continue
					}
					g := gotAll[w.path]
					if g == nil {
						t.Errorf("%s (%s) not found", w.path, w.addr)
						continue
					}
					seen[w.path] = true
					if g.err != nil || g.size != w.size || g.md5 != w.md5 || g.deleted != w.deleted {
						t.Errorf("%s: size %d md5 %s deleted %v err %v; fls/icat: %d %s %v", w.path, g.size, g.md5, g.deleted, g.err, w.size, w.md5, w.deleted)
					}
					if e, _ := strconv.ParseInt(strings.Split(w.addr, "-")[0], 10, 64); e != g.entry {
						t.Errorf("%s: entry %d, fls %s", w.path, g.entry, w.addr)
					}
				}
				if name == "ntfs-basic.raw" {
					if g := gotAll["/wof.txt"]; g == nil || !strings.Contains(g.partial, "WOF") {
						t.Errorf("wof.txt not marked incomplete: %+v", g)
					}
					if g := gotAll["/$OrphanFiles/inner.txt"]; g == nil || !g.deleted {
						t.Errorf("orphan inner.txt: %+v", g)
					}
				}
				// Every stream we read is one fls lists.
				for p, g := range gotAll {
					if g.md5 != "" && !seen[p] {
						t.Errorf("%s listed by triage, not by fls", p)
					}
				}
			}
		})
	}
}

// TestCorpusTestfs1 checks the documented contents of ColinFinck/ntfs's
// testfs1 (corpus INDEX.md row 13).
func TestCorpusTestfs1(t *testing.T) {
	vol := gunzip(t, filepath.Join(corpusDir(t), "ntfs", "testfs1.gz"))
	all, problems := walkAll(t, vol)
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	check := func(path string, size int64, shaPrefix, shaSuffix string) {
		g := all[path]
		if g == nil {
			t.Errorf("%s not found", path)
			return
		}
		if g.err != nil || g.size != size || !strings.HasPrefix(g.sha256, shaPrefix) || !strings.HasSuffix(g.sha256, shaSuffix) {
			t.Errorf("%s: size %d sha256 %s err %v", path, g.size, g.sha256, g.err)
		}
	}
	check("/sparse-file", 500005, "e044906d", "ec3b")
	check("/1000-bytes-file", 1000, "e987ddba", "9bb1")
	check("/file-with-12345", 5, "5994471a", "") // sha256("12345")
	dirs := 0
	for p, g := range all {
		if g.isDir && strings.HasPrefix(p, "/many_subdirs/") && strings.Count(p, "/") == 2 {
			dirs++
		}
	}
	if dirs != 512 {
		t.Errorf("%d folders in many_subdirs, want 512", dirs)
	}
	// INDEX.md: empty-file's mtime is 2021-01-01 13:37 (the author's
	// local time; istat shows 12:37:00 UTC).
	fs, _ := Open(bytes.NewReader(vol), 0, int64(len(vol)))
	var mtime time.Time
	fs.Walk(context.Background(), func(it *Item) error {
		if it.Path == "/empty-file" {
			mtime = it.File.SI.Mtime
		}
		return nil
	}, func(error) {})
	if !mtime.Equal(time.Date(2021, 1, 1, 12, 37, 0, 0, time.UTC)) {
		t.Errorf("empty-file mtime %v", mtime)
	}
}

// TestCorpusNTFSIndex compares the allocated listing of dfir_ntfs's
// ntfs_index.raw with the Sleuth Kit's fls output beside it.
func TestCorpusNTFSIndex(t *testing.T) {
	d := corpusDir(t)
	img := gunzip(t, filepath.Join(d, "dfir_ntfs", "ntfs_index.raw.gz"))
	fls, err := os.ReadFile(filepath.Join(d, "dfir_ntfs", "ntfs_index.raw.fls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	all, problems := walkAll(t, img[128*512:])
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	n := 0
	for _, line := range strings.Split(string(fls), "\n") {
		meta, path, ok := strings.Cut(line, "\t")
		if !ok || strings.Contains(meta, "*") || !(strings.Contains(meta, "-128-") || strings.HasPrefix(meta, "d/d")) {
			continue // deleted index-slack names are not MFT entries
		}
		n++
		if all["/"+path] == nil {
			t.Errorf("fls lists %s, triage does not", path)
		}
	}
	if n < 40 {
		t.Fatalf("only %d fls lines parsed", n)
	}
	if g := all["/test_dir/999999999999999.txt"]; g == nil || g.deleted {
		t.Errorf("test_dir/999999999999999.txt: %+v", g)
	}
}

// mftRecord returns the offset of MFT entry i in the volume.
func mftRecord(t testing.TB, vol []byte, i int64) int64 {
	fs, err := Open(bytes.NewReader(vol), 0, int64(len(vol)))
	if err != nil {
		t.Fatal(err)
	}
	return fs.EntryOffset(i)
}

// fileNameParentOff returns the offset of the parent reference of the first
// $FILE_NAME attribute in the record at rec.
func fileNameParentOff(b []byte, rec int64) int64 {
	off := rec + int64(binary.LittleEndian.Uint16(b[rec+0x14:]))
	for off < rec+1024 {
		typ := binary.LittleEndian.Uint32(b[off:])
		l := int64(binary.LittleEndian.Uint32(b[off+4:]))
		if typ == 0xffffffff || l == 0 {
			break
		}
		if typ == 0x30 {
			return off + int64(binary.LittleEndian.Uint16(b[off+0x14:]))
		}
		off += l
	}
	return -1
}

func TestCorrupt(t *testing.T) {
	good := testImage(t, "ntfs-basic.raw")
	// Entries from ntfs-basic.raw.fls.txt: 64 hello.txt, 65 docs, 66 compressed.
	hello := mftRecord(t, good, 64)
	t.Run("bad-fixup", func(t *testing.T) {
		b := append([]byte(nil), good...)
		b[hello+510] ^= 0xff // the fixup check bytes of the first sector
		all, problems := walkAll(t, b)
		if all["/hello.txt"] != nil {
			t.Errorf("hello.txt read from a record with a bad fixup")
		}
		if all["/docs/report.txt"] == nil {
			t.Errorf("the rest of the volume was not read")
		}
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), "MFT entry 64") || !strings.Contains(problems[0].Error(), fmt.Sprintf("at byte %#x", hello)) {
			t.Errorf("problems %v", problems)
		}
	})
	t.Run("bad-signature", func(t *testing.T) {
		b := append([]byte(nil), good...)
		copy(b[hello:], "BAAD")
		_, problems := walkAll(t, b)
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), `bad MFT entry signature "BAAD"`) {
			t.Errorf("problems %v", problems)
		}
	})
	t.Run("bad-attribute-length", func(t *testing.T) {
		b := append([]byte(nil), good...)
		a := hello + int64(binary.LittleEndian.Uint16(b[hello+0x14:]))
		binary.LittleEndian.PutUint32(b[a+4:], 0xfffffff0)
		all, _ := walkAll(t, b) // must not panic or hang
		if all["/docs/report.txt"] == nil {
			t.Errorf("the rest of the volume was not read")
		}
	})
	t.Run("run-outside-volume", func(t *testing.T) {
		// docs/report.txt is entry 69 (ntfs-basic.raw.fls.txt): point the
		// first data run of its $DATA past the end of the volume.
		b := append([]byte(nil), good...)
		rec := mftRecord(t, b, 69)
		off := rec + int64(binary.LittleEndian.Uint16(b[rec+0x14:]))
		for binary.LittleEndian.Uint32(b[off:]) != 0x80 {
			off += int64(binary.LittleEndian.Uint32(b[off+4:]))
		}
		if b[off+8] != 1 {
			t.Fatal("report.txt's $DATA is resident")
		}
		run := off + int64(binary.LittleEndian.Uint16(b[off+0x20:]))
		h := b[run]
		lenBytes, offBytes := int64(h&0xf), int64(h>>4)
		for k := int64(0); k < offBytes; k++ {
			b[run+1+lenBytes+k] = 0xff
		}
		b[run+lenBytes+offBytes] = 0x3f // large and positive
		all, _ := walkAll(t, b)
		g := all["/docs/report.txt"]
		if g == nil || !strings.Contains(g.partial, "lies outside the volume") {
			t.Errorf("report.txt: %+v", g)
		}
	})
	t.Run("directory-loop", func(t *testing.T) {
		b := append([]byte(nil), good...)
		docs, comp := mftRecord(t, b, 65), mftRecord(t, b, 66)
		pd, pc := fileNameParentOff(b, docs), fileNameParentOff(b, comp)
		seqDocs := binary.LittleEndian.Uint16(b[docs+0x10:])
		seqComp := binary.LittleEndian.Uint16(b[comp+0x10:])
		binary.LittleEndian.PutUint64(b[pd:], 66|uint64(seqComp)<<48)
		binary.LittleEndian.PutUint64(b[pc:], 65|uint64(seqDocs)<<48)
		all, problems := walkAll(t, b)
		if len(problems) == 0 || !strings.Contains(problems[0].Error(), "directory loop") {
			t.Errorf("problems %v", problems)
		}
		if all["/$OrphanFiles/docs"] == nil || all["/hello.txt"] == nil {
			t.Errorf("loop members not under /$OrphanFiles, or the rest lost")
		}
	})
	t.Run("truncated", func(t *testing.T) {
		b := good[:len(good)/2]
		all, problems := walkAll(t, b)
		if len(all) == 0 {
			t.Fatalf("nothing read from a truncated volume")
		}
		bad := 0
		for p, g := range all {
			if g.err != nil {
				bad++
				if !strings.Contains(g.err.Error(), "ends early") && !strings.Contains(g.err.Error(), "EOF") {
					t.Errorf("%s: %v", p, g.err)
				}
			}
		}
		if bad == 0 && len(problems) == 0 {
			t.Errorf("a volume cut in half read without an error")
		}
	})
}

// FuzzEntry replaces an MFT record (or, for entry 255, the boot sector) of a
// good volume with fuzzed bytes, then walks the volume and reads every
// stream: no panic, no hang.
func FuzzEntry(f *testing.F) {
	good := testImage(f, "ntfs-basic.raw")
	fs, err := Open(bytes.NewReader(good), 0, int64(len(good)))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range []int64{0, 5, 64, 65, 70, 71, 73} {
		off := fs.EntryOffset(e)
		f.Add(uint8(e), good[off:off+1024])
	}
	f.Add(uint8(255), good[:1024]) // 255: the boot sector
	f.Fuzz(func(t *testing.T, entry uint8, rec []byte) {
		off := fs.EntryOffset(int64(entry) % 80)
		if entry == 255 {
			off = 0
		}
		patch := make([]byte, 1024)
		copy(patch, good[off:off+1024])
		copy(patch, rec)
		r := &overlay{base: good, off: off, patch: patch}
		v, err := Open(r, 0, int64(len(good)))
		if err != nil {
			return
		}
		v.IndexSlack = entry%2 == 1
		ov := r
		_ = v.Walk(context.Background(), func(it *Item) error {
			// Only the fuzzed entry's streams are read: the others are
			// the intact image's, and reading them every time took most
			// of each execution (137 a second).
			if it.Stream == nil || entry != 255 && it.File.Entry != int64(entry)%80 {
				return nil
			}
			r, err := v.OpenStream(it.File, it.Stream)
			if err != nil {
				return nil
			}
			got, rerr := io.ReadAll(io.LimitReader(r, 4<<20))
			// The extents, when given, lie in the volume, cover the
			// stream and hold the bytes its reader gives.
			if x := v.Extents(it.Stream); x != nil {
				var pos int64
				var want []byte
				for _, e := range x {
					if e.Off != pos || e.Len <= 0 || e.VolOff >= 0 && (e.VolOff > int64(len(good))-e.Len) {
						t.Fatalf("extent %+v at %d of %d bytes", e, pos, it.Stream.Size)
					}
					if n := min(e.Len, 4<<20-int64(len(want))); n > 0 {
						b := make([]byte, n)
						if e.VolOff >= 0 {
							ov.ReadAt(b, e.VolOff)
						}
						want = append(want, b...)
					}
					pos += e.Len
				}
				if pos != it.Stream.Size {
					t.Fatalf("extents cover %d bytes of %d", pos, it.Stream.Size)
				}
				if rerr == nil && !bytes.Equal(got, want[:len(got)]) {
					t.Fatalf("extents of entry %d disagree with its reader", it.File.Entry)
				}
			}
			return nil
		}, func(error) {})
	})
}

// overlay reads base with patch laid over it at off, without copying base.
type overlay struct {
	base  []byte
	off   int64
	patch []byte
}

func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(o.base)) {
		return 0, io.EOF
	}
	n := copy(p, o.base[off:])
	// Lay the patch over the part of p it covers.
	lo, hi := max(off, o.off), min(off+int64(n), o.off+int64(len(o.patch)))
	if lo < hi {
		copy(p[lo-off:hi-off], o.patch[lo-o.off:hi-o.off])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestGuard(t *testing.T) {
	err := guard("parsing MFT entry 7", func() error { panic("index out of range [3] with length 2") })
	var pe *PanicError
	if !errors.As(err, &pe) || err.Error() != "ntfs parser failed while parsing MFT entry 7: index out of range [3] with length 2" || pe.Stack == "" {
		t.Errorf("guard: %v", err)
	}
	want := errors.New("plain")
	if err := guard("x", func() error { return want }); err != want {
		t.Errorf("guard passes errors through: %v", err)
	}
}

// slackNames walks vol with index-slack carving and returns the carved paths.
func slackNames(t *testing.T, vol []byte) []string {
	fs, err := Open(bytes.NewReader(vol), 0, int64(len(vol)))
	if err != nil {
		t.Fatal(err)
	}
	fs.IndexSlack = true
	var out []string
	err = fs.Walk(context.Background(), func(it *Item) error {
		if it.Slack != nil {
			if !it.Deleted || it.Stream != nil {
				t.Errorf("slack item %s: deleted %v stream %v", it.Path, it.Deleted, it.Stream)
			}
			out = append(out, it.Path)
		}
		return nil
	}, func(err error) { t.Errorf("problem: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIndexSlack compares the names carved from $I30 slack with the ones
// fls lists (deleted, inode 0). Slack copies of names that live entries of
// the same folder hold are not deleted files: fls lists one such copy in
// ntfs_index's root ("… - Copy (11).txt"), triage does not.
func TestIndexSlack(t *testing.T) {
	d := corpusDir(t)
	img := gunzip(t, filepath.Join(d, "dfir_ntfs", "ntfs_index.raw.gz"))
	got := slackNames(t, img[128*512:])
	fls, _ := os.ReadFile(filepath.Join(d, "dfir_ntfs", "ntfs_index.raw.fls.txt"))
	live := map[string]bool{}
	var want []string
	for _, line := range strings.Split(string(fls), "\n") {
		meta, path, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if strings.HasSuffix(meta, "* 0:") {
			want = append(want, "/"+path)
		} else {
			live["/"+path] = true
		}
	}
	var wantDeleted []string
	for _, w := range want {
		if !live[w] {
			wantDeleted = append(wantDeleted, w)
		}
	}
	if strings.Join(got, "\n") != strings.Join(wantDeleted, "\n") || len(got) != 1 {
		t.Errorf("slack names %q, fls (deleted names only) %q", got, wantDeleted)
	}
	// The testdata images and testfs1: fls lists no slack names.
	for _, name := range []string{"ntfs-basic.raw"} {
		if got := slackNames(t, testImage(t, name)); len(got) != 0 {
			t.Errorf("%s: slack names %q, fls lists none", name, got)
		}
	}
	if got := slackNames(t, gunzip(t, filepath.Join(d, "ntfs", "testfs1.gz"))); len(got) != 0 {
		t.Errorf("testfs1: slack names %q, fls lists none", got)
	}
}

// TestTimesAgainstIstat compares the $STANDARD_INFORMATION and $FILE_NAME
// times of a few entries with the Sleuth Kit's istat.
func TestTimesAgainstIstat(t *testing.T) {
	if _, err := exec.LookPath("istat"); err != nil {
		t.Skip("istat not installed: install sleuthkit")
	}
	vol := testImage(t, "ntfs-basic.raw")
	p := filepath.Join(t.TempDir(), "v.raw")
	os.WriteFile(p, vol, 0o644)
	fs, err := Open(bytes.NewReader(vol), 0, int64(len(vol)))
	if err != nil {
		t.Fatal(err)
	}
	// mkntfs leaves the FILETIMEs of $MFT at 0 (not set): the record has no
	// times, where istat shows its own wrap-around (2076).
	if f, err := fs.ReadEntry(0); err != nil || !f.SI.Mtime.IsZero() || !f.SI.Btime.IsZero() {
		t.Errorf("$MFT times %+v, want unset (%v)", f.SI, err)
	}
	for _, entry := range []int64{64, 65, 70, 76} { // hello.txt, docs, ads.txt, deleted gone-small.txt
		out, err := exec.Command("istat", p, strconv.FormatInt(entry, 10)).Output()
		if err != nil {
			t.Fatalf("istat %d: %v", entry, err)
		}
		f, err := fs.ReadEntry(entry)
		if err != nil {
			t.Fatal(err)
		}
		n := f.PrimaryName()
		want := map[string][]string{}
		section := ""
		for _, line := range strings.Split(string(out), "\n") {
			switch {
			case strings.HasPrefix(line, "$STANDARD_INFORMATION"):
				section = "si"
			case strings.HasPrefix(line, "$FILE_NAME"):
				section = "fn"
			case strings.HasPrefix(line, "Attributes:"):
				section = ""
			}
			k, v, ok := strings.Cut(line, ":\t")
			if ok && section != "" {
				want[section+" "+k] = append(want[section+" "+k], v)
			}
		}
		ts := func(tm time.Time) string { return tm.UTC().Format("2006-01-02 15:04:05.000000000") + " (UTC)" }
		check := func(key string, got time.Time) {
			w := want[key]
			if len(w) == 0 || w[0] != ts(got) {
				t.Errorf("entry %d %s: %s, istat %q", entry, key, ts(got), w)
			}
		}
		check("si Created", f.SI.Btime)
		check("si File Modified", f.SI.Mtime)
		check("si MFT Modified", f.SI.Ctime)
		check("si Accessed", f.SI.Atime)
		// istat shows the first $FILE_NAME; compare when it is ours.
		if names := want["fn Name"]; len(names) > 0 && names[0] == n.Name {
			check("fn Created", n.Times.Btime)
			check("fn File Modified", n.Times.Mtime)
			check("fn MFT Modified", n.Times.Ctime)
			check("fn Accessed", n.Times.Atime)
		}
	}
}

// TestExtentReader reads a stream laid out in three extents out of order on
// a fake volume, initialized only in part, and compares with the bytes put
// together by hand.
func TestExtentReader(t *testing.T) {
	vol := make([]byte, 64*1024)
	for i := range vol {
		vol[i] = byte(i*7 + i>>8)
	}
	ext := []extent{
		{vcnOff: 0, lcnOff: 40960, length: 4096},
		{vcnOff: 4096, lcnOff: 8192, length: 8192},
		{vcnOff: 12288, lcnOff: 20480, length: 4096},
	}
	const init = 14000
	var want []byte
	want = append(want, vol[40960:40960+4096]...)
	want = append(want, vol[8192:8192+8192]...)
	want = append(want, vol[20480:20480+init-12288]...)
	want = append(want, make([]byte, 16384-init)...)
	x := &extentReader{r: bytes.NewReader(vol), extents: ext, init: init}
	for _, bs := range []int{1, 1000, 4096, 5000, 1 << 20} {
		got := make([]byte, 0, len(want))
		buf := make([]byte, bs)
		for off := int64(0); off < int64(len(want)); {
			p := buf[:min(int64(bs), int64(len(want))-off)]
			n, err := x.ReadAt(p, off)
			if n != len(p) || err != nil {
				t.Fatalf("block %d at %d: %d bytes, %v", bs, off, n, err)
			}
			got = append(got, p...)
			off += int64(n)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("block %d: content differs", bs)
		}
	}
	// Past the extents (a run list shorter than the initialized size).
	short := &extentReader{r: bytes.NewReader(vol), extents: ext[:1], init: init}
	p := make([]byte, 8192)
	if n, err := short.ReadAt(p, 0); n != 4096 || err != io.EOF {
		t.Errorf("short run list: %d, %v; want 4096, EOF", n, err)
	}
	// An extent past the end of a truncated image.
	trunc := &extentReader{r: bytes.NewReader(vol[:42000]), extents: ext, init: init}
	if n, err := trunc.ReadAt(p, 0); n != 42000-40960 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated image: %d, %v; want %d, unexpected EOF", n, err, 42000-40960)
	}
}

// TestContentAfterWalk reads every stream of the testdata images after the
// walk has ended, through its Content alone (the walk's File cleared, the
// caches let go), as a scan in disk order does, and compares it with the
// Sleuth Kit's fls and icat (make.sh).
func TestContentAfterWalk(t *testing.T) {
	for _, name := range []string{"ntfs-basic.raw", "mbr-ntfs-ext4.raw", "gpt-ntfs.raw"} {
		t.Run(name, func(t *testing.T) {
			for vol, wants := range expectedVolumes(t, name) {
				fs, err := Open(bytes.NewReader(vol), 0, int64(len(vol)))
				if err != nil {
					t.Fatal(err)
				}
				contents := map[string]*Content{}
				extents := map[string][]Extent{}
				var files []*File
				err = fs.Walk(context.Background(), func(it *Item) error {
					if it.Stream == nil {
						return nil
					}
					p := it.Path
					if it.Stream.Name != "" {
						p += ":" + it.Stream.Name
					}
					contents[p] = fs.Content(it.File, it.Stream)
					extents[p] = fs.Extents(it.Stream)
					files = append(files, it.File)
					return nil
				}, func(error) {})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					*f = File{} // the Content must not need its entry
				}
				for _, w := range wants {
					c := contents[w.path]
					if skipTSK[w.path] || c == nil {
						continue // a folder, or a name TestAgainstSleuthKit checks
					}
					if x := c.Extents(); fmt.Sprint(x) != fmt.Sprint(extents[w.path]) {
						t.Errorf("%s: extents %v after the walk, %v during it", w.path, x, extents[w.path])
					}
					r, err := c.Open()
					if err != nil {
						t.Errorf("%s: %v", w.path, err)
						continue
					}
					m := md5.New()
					n, err := io.Copy(m, r)
					if err != nil || n != w.size || hex.EncodeToString(m.Sum(nil)) != w.md5 {
						t.Errorf("%s: %d bytes, md5 %x, err %v; fls/icat: %d %s", w.path, n, m.Sum(nil), err, w.size, w.md5)
					}
				}
			}
		})
	}
}
