package ext

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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

// rec is an entry as walked, with the MD5 of its content.
type rec struct {
	fs.Entry
	md5        string
	incomplete string
}

// walkVolume walks the ext volume at off in the file at path.
func walkVolume(t *testing.T, path string, off int64) (map[string][]rec, []error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	return walkReader(t, io.NewSectionReader(f, off, fi.Size()-off), off, fi.Size()-off)
}

func walkReader(t *testing.T, r io.ReaderAt, base, size int64) (map[string][]rec, []error) {
	t.Helper()
	b := make([]byte, fs.ProbeSize)
	n, _ := r.ReadAt(b, 0)
	if !Probe(b[:n]) {
		t.Fatal("Probe: not ext")
	}
	v, err := Open(r, base, size, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]rec{}
	var problems []error
	err = v.Walk(context.Background(), func(e *fs.Entry) error {
		x := rec{Entry: *e}
		if e.Open != nil {
			rc, err := e.Open()
			if err != nil {
				t.Fatalf("%s: %v", e.Path, err)
			}
			h := md5.New()
			if _, err := io.Copy(h, rc); err != nil {
				t.Fatalf("%s: %v", e.Path, err)
			}
			x.md5 = hex.EncodeToString(h.Sum(nil))
			if p, ok := rc.(interface{ Incomplete() (string, bool) }); ok {
				x.incomplete, _ = p.Incomplete()
			}
		}
		out[e.Path] = append(out[e.Path], x)
		return nil
	}, func(err error) { problems = append(problems, err) })
	if err != nil {
		t.Fatal(err)
	}
	return out, problems
}

// tskName is one line of fls -r -p.
type tskName struct {
	typ     string // "r/r", "d/d", "l/l", "-/-"...
	deleted bool
	ino     uint64
	realloc bool
	path    string
}

var flsLine = regexp.MustCompile(`^(\S/\S) (\* )?(\d+)(\(realloc\))?:\t(.*)$`)

func parseFls(t *testing.T, text string) []tskName {
	var out []tskName
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		m := flsLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("fls line %q", l)
		}
		ino, _ := strconv.ParseUint(m[3], 10, 64)
		out = append(out, tskName{typ: m[1], deleted: m[2] != "", ino: ino, realloc: m[4] != "", path: "/" + m[5]})
	}
	return out
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, n := range tools {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s is not installed (Debian packages sleuthkit, e2fsprogs)", n)
		}
	}
}

func tool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}

// compareTSK checks the walk against fls, and the content against icat:
// every name fls lists, allocated or deleted, is walked with the same
// path and deleted flag (a hard link as an other path of its inode), and
// every allocated or recovered file has icat's MD5.
func compareTSK(t *testing.T, img string, sector int64, got map[string][]rec) {
	t.Helper()
	needTools(t, "fls", "icat")
	o := strconv.FormatInt(sector, 10)
	names := parseFls(t, string(tool(t, "fls", "-r", "-p", "-o", o, img)))
	links := map[string]rec{}
	for _, rs := range got {
		for _, r := range rs {
			if l, ok := r.Extra["ext_hard_links"].([]string); ok {
				for _, p := range l {
					links[p] = r
				}
			}
		}
	}
	allocated := 0
	for _, n := range names {
		if n.typ == "V/V" {
			continue // the virtual $OrphanFiles, walked only when it holds orphans
		}
		var r *rec
		for i := range got[n.path] {
			if g := &got[n.path][i]; g.Deleted == n.deleted && (n.ino == 0 || uint64(g.Addr) == n.ino) {
				r = g
			}
		}
		if r == nil {
			if l, ok := links[n.path]; ok && !n.deleted && uint64(l.Addr) == n.ino {
				continue
			}
			if n.typ[0] == '-' && n.deleted {
				// The Sleuth Kit reads the index nodes of hashed
				// folders as folder blocks: names without a type.
				t.Logf("fls name not walked (index node): %+v", n)
				continue
			}
			t.Errorf("fls lists %+v; not walked", n)
			continue
		}
		if !n.deleted {
			allocated++
		}
		if n.typ != "r/r" || n.realloc || r.Open == nil || (n.deleted && r.Extra["recovered"] != true) {
			continue
		}
		if r.Size > 8<<20 {
			continue // icat takes minutes over a large sparse file of triple indirect blocks: see the test
		}
		b, err := exec.Command("icat", "-o", o, img, strconv.FormatUint(n.ino, 10)).Output()
		if err != nil && n.deleted {
			continue // icat cannot read every deleted inode (inline data)
		} else if err != nil {
			t.Fatalf("icat %s: %v", n.path, err)
		}
		want := md5.Sum(b)
		if w := hex.EncodeToString(want[:]); w != r.md5 {
			t.Errorf("%s: md5 %s, icat %s", n.path, r.md5, w)
		}
	}
	walked := 0
	for _, rs := range got {
		for _, r := range rs {
			if !r.Deleted && r.Key == "" {
				walked++
			}
		}
	}
	if allocated != walked {
		t.Errorf("%d allocated names walked, fls lists %d", walked, allocated)
	}
}

// fill makes the file set of the built images in dir.
func fill(t *testing.T, dir string, big bool) {
	t.Helper()
	w := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w("hello.txt", []byte("Hello world\n"))
	w("tiny.txt", []byte("tiny\n"))
	w("gone.txt", []byte("gone\n"))
	w("docs/gone-big.txt", bytes.Repeat([]byte("deleted "), 3000))
	var rep bytes.Buffer
	for i := range 2000 {
		rep.WriteString("line " + strconv.Itoa(i) + " of the report\n")
	}
	w("docs/report.txt", rep.Bytes())
	w("ünïcödé/日本語.txt", []byte("unicode\n"))
	for i := range 60 { // a folder of several blocks: hashed by e2fsck -D
		w("many/"+strings.Repeat("long-name-", 20)+strconv.Itoa(i)+".txt", []byte("content "+strconv.Itoa(i)+"\n"))
	}
	if err := os.Link(filepath.Join(dir, "hello.txt"), filepath.Join(dir, "docs/hello-link.txt")); err != nil {
		t.Fatal(err)
	}
	os.Symlink("hello.txt", filepath.Join(dir, "fast-link"))
	os.Symlink(strings.Repeat("a", 100)+"/target/of/a/slow/link", filepath.Join(dir, "slow-link"))
	sparse := func(name string, size int64, at ...int64) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, o := range at {
			f.WriteAt([]byte("data at "+strconv.FormatInt(o, 10)+"\n"), o)
		}
		f.Truncate(size)
	}
	sparse("sparse.bin", 1<<20, 0, 300<<10)
	if big {
		// Past the double indirect block of 1 KiB blocks (12+256+65536 blocks).
		sparse("past-double.bin", 66<<20+100, 0, 66<<20)
	}
}

// buildImage makes an image with mkfs.TYPE -d, hashes its big folders
// with e2fsck -D and deletes two files with debugfs.
func buildImage(t *testing.T, typ string, big bool, opts ...string) string {
	t.Helper()
	needTools(t, "mkfs."+typ, "e2fsck", "debugfs")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	fill(t, src, big)
	img := filepath.Join(dir, typ+".img")
	args := append([]string{"-q", "-F", "-L", typ + "_label", "-d", src}, opts...)
	tool(t, "mkfs."+typ, append(args, img, "16M")...)
	exec.Command("e2fsck", "-fyD", img).Run() // exit status 1: folders optimised
	tool(t, "debugfs", "-w", "-R", "rm /gone.txt", img)
	tool(t, "debugfs", "-w", "-R", "rm /docs/gone-big.txt", img)
	// An orphan: inode 200, never allocated, made to look used (a change
	// time) and named by no folder. An inode on the orphan list: 201,
	// allocated, no links.
	cmds := filepath.Join(dir, "debugfs.cmd")
	os.WriteFile(cmds, []byte(`sif <200> mode 0100644
sif <200> ctime 1700000000
sif <200> dtime 1700000001
seti <201>
sif <201> mode 0100600
sif <201> ctime 1700000000
sif <201> links_count 0
ssv last_orphan 201
`), 0o644)
	tool(t, "debugfs", "-w", "-f", cmds, img)
	return img
}

// TestBuiltImages: ext2/3/4 images made by e2fsprogs, against the Sleuth Kit.
func TestBuiltImages(t *testing.T) {
	for _, tt := range []struct {
		name string
		typ  string
		big  bool
		opts []string
	}{
		{"ext2-1k", "ext2", true, []string{"-b", "1024"}},
		{"ext3-4k", "ext3", false, []string{"-b", "4096"}},
		{"ext4-csum-64bit-inline", "ext4", false, []string{"-b", "4096", "-O", "metadata_csum,64bit,inline_data"}},
		{"ext4-1k-128", "ext4", false, []string{"-b", "1024", "-I", "128", "-O", "^metadata_csum"}},
		{"ext4-meta_bg-64-groups", "ext4", false, []string{"-b", "1024", "-g", "256", "-O", "meta_bg,^resize_inode"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img := buildImage(t, tt.typ, tt.big, tt.opts...)
			got, problems := walkVolume(t, img, 0)
			for _, p := range problems {
				t.Errorf("problem: %v", p)
			}
			compareTSK(t, img, 0, got)
			one := func(p string) rec {
				if len(got[p]) != 1 {
					t.Fatalf("%s: %d entries", p, len(got[p]))
				}
				return got[p][0]
			}
			if r := one("/fast-link"); r.Type != fs.TypeSymlink || r.LinkTarget != "hello.txt" {
				t.Errorf("fast link %+v", r.Entry)
			}
			if r := one("/slow-link"); r.Type != fs.TypeSymlink || r.LinkTarget != strings.Repeat("a", 100)+"/target/of/a/slow/link" {
				t.Errorf("slow link %+v", r.Entry)
			}
			h := one("/docs/hello-link.txt")
			if l, _ := h.Extra["ext_hard_links"].([]string); len(l) != 1 || l[0] != "/hello.txt" || len(got["/hello.txt"]) != 0 {
				t.Errorf("hard link: %v, /hello.txt walked %d times", h.Extra, len(got["/hello.txt"]))
			}
			if r := one("/gone.txt"); !r.Deleted || r.md5 != "b1304b81a2e029bff466f2c245f1dbfd" || r.Extra["recovered"] != true {
				// debugfs rm leaves the block map: the content is read
				t.Errorf("deleted gone.txt: %+v %s", r.Entry, r.md5)
			}
			if tt.name == "ext4-meta_bg-64-groups" {
				// Inodes 200 and 201 lie in a group whose inodes are
				// marked never initialised: not searched (fls neither).
				if len(got["/$OrphanFiles"]) != 0 {
					t.Errorf("orphans in uninitialised groups: %+v", got["/$OrphanFiles"])
				}
			} else {
				if r := one("/$OrphanFiles/OrphanFile-200"); !r.Deleted || r.Extra["orphan"] != true || r.Addr != 200 {
					t.Errorf("orphan %+v", r.Entry)
				}
				if r := one("/$OrphanFiles/OrphanFile-201"); r.Extra["ext_orphan_list"] != true || r.Addr != 201 {
					t.Errorf("orphan list %+v", r.Entry)
				}
				if r := one("/$OrphanFiles"); r.Key != "orphans" || r.Type != fs.TypeDir {
					t.Errorf("$OrphanFiles %+v", r.Entry)
				}
			}
			if r := one("/sparse.bin"); r.Extra["ext_sparse"] != true {
				t.Errorf("sparse.bin: %v", r.Extra)
			}
			if tt.big {
				// The source file's MD5 (icat is too slow here).
				b, err := os.ReadFile(filepath.Join(filepath.Dir(img), "src/past-double.bin"))
				if err != nil {
					t.Fatal(err)
				}
				if r, want := one("/past-double.bin"), md5.Sum(b); r.md5 != hex.EncodeToString(want[:]) || r.incomplete != "" {
					t.Errorf("past-double.bin: md5 %s, want %x (%s)", r.md5, want, r.incomplete)
				}
			}
			if v, err := New(mustOpen(t, img), 0, fileSize(t, img)); err != nil || v.Label() != tt.typ+"_label" || v.Version() != tt.typ {
				t.Errorf("label %q version %q: %v", v.Label(), v.Version(), err)
			}
		})
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func fileSize(t *testing.T, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCorpus: the corpus's ext images, against their documented contents
// and the fls listings stored beside them.
func TestCorpus(t *testing.T) {
	dir := testfixture.CorpusDir(t)
	t.Run("dfvfs-ext2", func(t *testing.T) {
		raw := filepath.Join(t.TempDir(), "ext2.raw")
		os.WriteFile(raw, testfixture.Gunzip(t, filepath.Join(dir, "dfvfs/ext2.raw.gz")), 0o644)
		got, problems := walkVolume(t, raw, 0)
		if len(problems) > 0 {
			t.Errorf("problems %v", problems)
		}
		want := map[string]string{"/a_directory/another_file": "d54ff73404ed6041a3bd66850b061bff"} // "This is another file.\n"
		for p, m := range want {
			if len(got[p]) != 1 || got[p][0].md5 != m || got[p][0].Addr != 15 {
				t.Errorf("%s: %+v", p, got[p])
			}
		}
		if r := got["/passwords.txt"]; len(r) != 1 || r[0].Size != 116 || r[0].Addr != 14 {
			t.Errorf("passwords.txt %+v", r)
		}
		if r := got["/a_link"]; len(r) != 1 || r[0].LinkTarget != "a_directory/another_file" {
			t.Errorf("a_link %+v", r)
		}
		compareFlsFile(t, got, filepath.Join(dir, "dfvfs/ext2.raw.fls.txt"))
		compareTSK(t, raw, 0, got)
	})
	t.Run("go-ext4-hierarchy_64", func(t *testing.T) {
		img := filepath.Join(dir, "go-ext4/hierarchy_64.ext4")
		got, problems := walkVolume(t, img, 0)
		if len(problems) > 0 {
			t.Errorf("problems %v", problems)
		}
		if r := got["/directory1/subdirectory1/fortune3"]; len(r) != 1 || r[0].md5 != "11d91b018f54be7e5a04dd1bc35b3d0b" {
			t.Errorf("fortune3 %+v", r)
		}
		if r := got["/thejungle.txt"]; len(r) != 1 || r[0].Size != 849597 || r[0].Addr != 16 {
			t.Errorf("thejungle.txt %+v", r)
		}
		compareFlsFile(t, got, img+".fls.txt")
		compareTSK(t, img, 0, got)
	})
	t.Run("dftt-4-ext3", func(t *testing.T) {
		needTools(t, "unzip")
		tmp := t.TempDir()
		tool(t, "unzip", "-q", "-d", tmp, filepath.Join(dir, "dftt/4-kwsrch-ext3.zip"))
		img := filepath.Join(tmp, "4-kwsrch-ext3/ext3-img-kw-1.dd")
		got, problems := walkVolume(t, img, 0)
		if len(problems) > 0 {
			t.Errorf("problems %v", problems)
		}
		// file3 is deleted (inode 14), its block map cleared: metadata
		// only, incomplete.
		if r := got["/file3"]; len(r) != 1 || !r[0].Deleted || r[0].Addr != 14 || r[0].incomplete == "" || r[0].Mtime.IsZero() {
			t.Errorf("file3 %+v", r)
		}
		for p, size := range map[string]int64{"/file1": 601, "/file2": 1300, "/first": 63} {
			if r := got[p]; len(r) != 1 || r[0].Size != size || r[0].Deleted {
				t.Errorf("%s: %+v", p, r)
			}
		}
		compareFlsFile(t, got, filepath.Join(dir, "dftt/ext3-img-kw-1.dd.fls.txt"))
		compareTSK(t, img, 0, got)
	})
}

// compareFlsFile checks that every name of a stored fls listing is walked
// with its inode and deleted flag.
func compareFlsFile(t *testing.T, got map[string][]rec, fls string) {
	t.Helper()
	b, err := os.ReadFile(fls)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		for _, n := range parseFls(t, sc.Text()) {
			if n.typ == "V/V" {
				continue
			}
			ok := false
			for _, r := range got[n.path] {
				ok = ok || (r.Deleted == n.deleted && uint64(r.Addr) == n.ino)
			}
			for _, rs := range got {
				for _, r := range rs {
					l, _ := r.Extra["ext_hard_links"].([]string)
					ok = ok || (!n.deleted && uint64(r.Addr) == n.ino && slices.Contains(l, n.path))
				}
			}
			if !ok {
				t.Errorf("%s lists %+v; walked %+v", filepath.Base(fls), n, got[n.path])
			}
		}
	}
}

// messWith returns a copy of the image at path changed by f.
func messWith(t *testing.T, path string, f func(b []byte)) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f(b)
	return b
}

// inodeOffset asks debugfs where inode n lies (imap) in a volume of
// 1 KiB blocks.
func inodeOffset(t *testing.T, img string, n int) int64 {
	out := string(tool(t, "debugfs", "-R", "imap <"+strconv.Itoa(n)+">", img))
	m := regexp.MustCompile(`located at block (\d+), offset 0x([0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("debugfs imap: %q", out)
	}
	blk, _ := strconv.ParseInt(m[1], 10, 64)
	off, _ := strconv.ParseInt(m[2], 16, 64)
	return blk*1024 + off
}

// TestDamage: checksum mismatches are problems naming the inode and the
// item is still read; a corrupt primary superblock is replaced by its
// backup; an unknown incompatible feature stops the volume.
func TestDamage(t *testing.T) {
	img := buildImage(t, "ext4", false, "-b", "1024", "-O", "metadata_csum,64bit,inline_data")
	ino, _ := strconv.Atoi(strings.Fields(string(tool(t, "debugfs", "-R", "stat /docs/report.txt", img)))[1])
	off := inodeOffset(t, img, ino)
	walkBytes := func(b []byte) (map[string][]rec, []error) {
		return walkReader(t, bytes.NewReader(b), 0, int64(len(b)))
	}
	t.Run("inode-checksum", func(t *testing.T) {
		b := messWith(t, img, func(b []byte) { b[off+0x2] ^= 1 }) // the uid
		got, problems := walkBytes(b)
		want := "ext: inode " + strconv.Itoa(ino) + ": inode checksum mismatch"
		if len(problems) != 1 || !strings.HasPrefix(problems[0].Error(), want) || problems[0].(*FormatError).Offset() != off {
			t.Errorf("problems %v, want %q at %#x", problems, want, off)
		}
		if r := got["/docs/report.txt"]; len(r) != 1 || r[0].Size != fileSize(t, filepath.Join(filepath.Dir(img), "src/docs/report.txt")) || r[0].incomplete != "" {
			t.Errorf("report.txt %+v", r)
		}
	})
	t.Run("backup-superblock", func(t *testing.T) {
		b := messWith(t, img, func(b []byte) { copy(b[1024+0x20:], []byte{0, 0, 0, 0}) }) // blocks per group
		got, problems := walkBytes(b)
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), "primary superblock is corrupt") ||
			!strings.Contains(problems[0].Error(), "backup in block group 1 at byte 0x800400") {
			t.Errorf("problems %v", problems)
		}
		if len(got["/docs/report.txt"]) != 1 {
			t.Errorf("not read with the backup")
		}
	})
	t.Run("folder-loop", func(t *testing.T) {
		loop := filepath.Join(t.TempDir(), "loop.img")
		os.WriteFile(loop, messWith(t, img, func([]byte) {}), 0o644)
		tool(t, "debugfs", "-w", "-R", "link /docs /docs/again", loop)
		got, problems := walkVolume(t, loop, 0)
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), `folder "again"`) || !strings.Contains(problems[0].Error(), "reached a second time") {
			t.Errorf("problems %v", problems)
		}
		if len(got["/docs/again"]) != 0 || len(got["/docs/report.txt"]) != 1 {
			t.Errorf("loop walked: %v", got["/docs/again"])
		}
	})
	for _, feat := range []string{"metadata_csum", "^metadata_csum,uninit_bg"} {
		t.Run("descriptor-checksum-"+feat, func(t *testing.T) {
			g := img
			if feat != "metadata_csum" {
				g = buildImage(t, "ext4", false, "-b", "1024", "-O", feat)
			}
			// The free block count of group 0's descriptor (block 2).
			b := messWith(t, g, func(b []byte) { b[2048+0x0c] ^= 1 })
			got, problems := walkBytes(b)
			if len(problems) != 1 || problems[0].Error() != "ext: block group 0: descriptor checksum mismatch at byte 0x81e" {
				t.Errorf("problems %v", problems)
			}
			if len(got["/docs/report.txt"]) != 1 {
				t.Errorf("not read")
			}
		})
	}
	t.Run("deleted-map-cleared", func(t *testing.T) {
		// As the kernel deletes on ext4: the extents freed, the size 0.
		d := filepath.Join(t.TempDir(), "del.img")
		os.WriteFile(d, messWith(t, img, func([]byte) {}), 0o644)
		tool(t, "debugfs", "-w", "-R", "punch /docs/report.txt 0", d)
		tool(t, "debugfs", "-w", "-R", "sif /docs/report.txt size 0", d)
		tool(t, "debugfs", "-w", "-R", "rm /docs/report.txt", d)
		got, _ := walkVolume(t, d, 0)
		r := got["/docs/report.txt"]
		if len(r) != 1 || !r[0].Deleted || r[0].Addr != int64(ino) || r[0].incomplete == "" || r[0].Mtime.IsZero() || r[0].Extra["ext_dtime"] == nil {
			t.Errorf("deleted report.txt %+v %q", r, r[0].incomplete)
		}
	})
	t.Run("unknown-incompat", func(t *testing.T) {
		e2 := buildImage(t, "ext2", false)
		b := messWith(t, e2, func(b []byte) { b[1024+0x63] |= 0x80 })
		_, err := New(bytes.NewReader(b), 0, int64(len(b)))
		if err == nil || !strings.Contains(err.Error(), "unknown 0x80000000") || err.(*FormatError).Offset() != 1024+0x60 {
			t.Errorf("error %v", err)
		}
	})
}

// TestTimes: nanoseconds, the creation time and the epoch bits of 256-byte
// inodes, against istat.
func TestTimes(t *testing.T) {
	needTools(t, "istat")
	img := buildImage(t, "ext4", false, "-b", "1024", "-I", "256")
	cmds := filepath.Join(t.TempDir(), "cmd")
	os.WriteFile(cmds, []byte("sif /tiny.txt mtime_extra 0x12345678\nsif /tiny.txt crtime 0x40000000\nsif /tiny.txt crtime_extra 0x00000004\nsif /tiny.txt atime_extra 0x00000001\n"), 0o644)
	tool(t, "debugfs", "-w", "-f", cmds, img)
	got, _ := walkVolume(t, img, 0)
	r := got["/tiny.txt"][0]
	ist := string(tool(t, "istat", img, strconv.FormatInt(r.Addr, 10)))
	// The Sleuth Kit ignores the epoch bits of the extra fields; the
	// kernel adds them as bits 32-33 of the seconds (atime_extra = 1).
	for label, tm := range map[string]time.Time{"Accessed": r.Atime.Add(-(1 << 32) * time.Second), "File Modified": r.Mtime, "Inode Modified": r.Ctime, "File Created": r.Btime} {
		want := regexp.MustCompile(label + `:\t(\S+ \S+) \(UTC\)`).FindStringSubmatch(ist)
		if want == nil || tm.UTC().Format("2006-01-02 15:04:05.000000000") != want[1] {
			t.Errorf("%s: %v, istat %q", label, tm, want)
		}
	}
	if r.Mtime.Nanosecond() != 0x12345678>>2 || r.Atime.Year() < 2106 {
		t.Errorf("mtime %v (nanoseconds from mtime_extra), atime %v (epoch bit)", r.Mtime, r.Atime)
	}
}

// TestSmallImages: the committed images against the fls listings make.sh
// stored beside them, and against the Sleuth Kit live; a truncated copy
// gives problems and no panic.
func TestSmallImages(t *testing.T) {
	for _, name := range []string{"ext2-small.raw", "ext4-small.raw"} {
		t.Run(name, func(t *testing.T) {
			p := testfixture.ImageFile(t, name)
			got, problems := walkVolume(t, p, 0)
			if len(problems) > 0 {
				t.Errorf("problems %v", problems)
			}
			compareFlsFile(t, got, filepath.Join(testfixture.Root(t), "testdata", "images", name+".fls.txt"))
			if r := got["/gone.txt"]; len(r) != 1 || !r[0].Deleted || r[0].Extra["recovered"] != true {
				t.Errorf("gone.txt %+v", r)
			}
			compareTSK(t, p, 0, got)
			b := testfixture.Image(t, name)
			got, problems = walkReader(t, bytes.NewReader(b[:len(b)/12]), 0, int64(len(b)/12))
			incomplete := 0
			for _, rs := range got {
				for _, r := range rs {
					if r.incomplete != "" && !r.Deleted {
						incomplete++
					}
				}
			}
			if len(problems)+incomplete == 0 {
				t.Errorf("truncated to %d bytes: no problem, no incomplete content; %d entries", len(b)/12, len(got))
			}
		})
	}
}
