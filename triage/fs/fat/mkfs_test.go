package fat

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// findTool returns the path of a tool, also looked for in the sbin folders
// (mkfs.vfat is there and not always on a user's PATH).
func findTool(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// genFile is a file or folder put in a generated image.
type genFile struct {
	path    string // "/"-separated, from the root
	content []byte // nil for a folder
	deleted bool   // removed after all files are written
}

func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// genFiles is the file set of the generated images: long, non-ASCII and
// 200-character names, deep folders, files of several clusters, deleted
// files with and without long names, and a deleted folder whose files were
// deleted first.
func genFiles() []genFile {
	long200 := strings.Repeat("n", 196) + ".txt"
	return []genFile{
		{path: "/hello.txt", content: []byte("hello\n")},
		{path: "/A long file name with spaces, more than thirty characters.txt", content: pattern(5000, 1)},
		{path: "/ünïcödé.txt", content: []byte("code page\n")},
		{path: "/привет мир.txt", content: []byte("hello world\n")},
		{path: "/deep"},
		{path: "/deep/l1"},
		{path: "/deep/l1/l2"},
		{path: "/deep/l1/l2/l3"},
		{path: "/deep/l1/l2/l3/l4"},
		{path: "/deep/l1/l2/l3/l4/l5"},
		{path: "/deep/l1/l2/l3/l4/l5/file.txt", content: []byte("deep\n")},
		{path: "/deep/" + long200, content: pattern(1234, 2)},
		{path: "/big.bin", content: pattern(300_000, 3)},
		{path: "/Deleted long name.txt", content: pattern(3000, 4), deleted: true},
		{path: "/gone.txt", content: pattern(700, 5), deleted: true},
		{path: "/gone-dir", deleted: true},
		{path: "/gone-dir/inner.txt", content: pattern(2100, 6), deleted: true},
		{path: "/gone-dir/Inner long name.txt", content: pattern(100, 7), deleted: true},
		{path: "/after.txt", content: pattern(4000, 8)},
	}
}

// makeImage builds a FAT image with mkfs.vfat and mtools, or skips.
func makeImage(t *testing.T, fatBits int, sizeKB int, files []genFile) string {
	t.Helper()
	mkfs, ok := findTool("mkfs.vfat")
	if !ok {
		t.Skip("mkfs.vfat (dosfstools) is not installed")
	}
	for _, tool := range []string{"mcopy", "mmd", "mdel", "mrd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s (mtools) is not installed", tool)
		}
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "fat.img")
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1", "TZ=UTC")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	args := []string{"-C", "-F", strconv.Itoa(fatBits), "-n", "GENVOL", "-i", "1234abcd"}
	if fatBits == 32 {
		args = append(args, "-s", "1")
	}
	run(mkfs, append(args, img, strconv.Itoa(sizeKB))...)
	for i, f := range files {
		if f.content == nil {
			run("mmd", "-i", img, "::"+f.path)
			continue
		}
		src := filepath.Join(dir, "src"+strconv.Itoa(i))
		if err := os.WriteFile(src, f.content, 0o644); err != nil {
			t.Fatal(err)
		}
		run("mcopy", "-i", img, src, "::"+f.path)
	}
	for _, f := range files {
		if f.deleted && f.content != nil {
			run("mdel", "-i", img, "::"+f.path)
		}
	}
	for _, f := range files {
		if f.deleted && f.content == nil {
			run("mrd", "-i", img, "::"+f.path)
		}
	}
	return img
}

// shownAsDeleted reports whether name is the name of a deleted path:
// the same, or with its first character lost ("_").
func shownAsDeleted(name, orig string) bool {
	if name == orig {
		return true
	}
	_, size := utf8.DecodeRuneInString(orig)
	return strings.HasPrefix(name, "_") && name[1:] == orig[size:]
}

func TestGeneratedImages(t *testing.T) {
	for _, tc := range []struct {
		bits   int
		sizeKB int
	}{{12, 2048}, {16, 16384}, {32, 40960}} {
		t.Run(Type(tc.bits).String(), func(t *testing.T) {
			files := genFiles()
			img := makeImage(t, tc.bits, tc.sizeKB, files)
			b, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			// mtools writes short names in code page 850.
			cp850, _ := LookupCodePage("cp850")
			fs, items, problems := walkAll(t, b, &Options{CodePage: cp850})
			for _, p := range problems {
				t.Errorf("problem: %v", p)
			}
			if !Probe(b[:512]) {
				t.Error("Probe refuses the boot sector")
			}
			if int(fs.Type) != tc.bits || fs.Label != "GENVOL" || fs.Serial != 0x1234abcd {
				t.Errorf("type %v label %q serial %#x", fs.Type, fs.Label, fs.Serial)
			}
			byPath := map[string]*Item{}
			for _, it := range items {
				byPath[it.Path] = it
			}
			truth := map[string]string{}
			for _, f := range files {
				if f.deleted {
					continue
				}
				truth[f.path] = ""
				it := byPath[f.path]
				if it == nil {
					t.Errorf("%s not found", f.path)
					continue
				}
				if it.Deleted || it.IsDir != (f.content == nil) || !it.Complete {
					t.Errorf("%s: deleted %v folder %v complete %v %s", f.path, it.Deleted, it.IsDir, it.Complete, it.Incomplete)
				}
				if f.content != nil {
					if got := readAll(t, fs, it); !bytes.Equal(got, f.content) {
						t.Errorf("%s: content differs (%d bytes, want %d)", f.path, len(got), len(f.content))
					}
				}
			}
			// Deleted files: found under their name (whole when the long
			// name survived, else with "_" first), with their content
			// rebuilt (the volume is not fragmented).
			for _, f := range files {
				if !f.deleted {
					continue
				}
				var found *Item
				for _, it := range items {
					if it.Deleted && it.IsDir == (f.content == nil) && deletedPathMatches(it.Path, f.path) {
						found = it
					}
				}
				if found == nil {
					t.Errorf("deleted %s not found", f.path)
					continue
				}
				if strings.Contains(f.path, "long name") && found.Name != filepath.Base(f.path) {
					t.Errorf("deleted %s: name %q, want the whole long name", f.path, found.Name)
				}
				if f.content == nil {
					continue
				}
				if !found.Complete || found.Recovered == "" {
					t.Errorf("deleted %s: complete %v (%s), recovered %q", f.path, found.Complete, found.Incomplete, found.Recovered)
				}
				if got := readAll(t, fs, found); !bytes.Equal(got, f.content) {
					t.Errorf("deleted %s: rebuilt content differs (%d bytes, want %d)", f.path, len(got), len(f.content))
				}
			}
			// Read in the default code page, 437, the 8.3 name that needs
			// 850 differs where the two do: "Ï" is 0xd8, "╪" in 437.
			_, items437, _ := walkAll(t, b, nil)
			n437 := 0
			for _, it := range items437 {
				if it.Path == "/ün╪cödé.txt" && it.ShortName == "ün╪cödé.txt" && bytes.Equal(it.RawName, []byte("\x9aN\xd8C\x99D\x90 TXT")) {
					n437++
				}
			}
			if n437 != 1 {
				t.Errorf("the name in code page 437 was not found with its raw bytes")
			}
			if _, ok := findTool("fls"); ok {
				crossCheckTSK(t, img, fs, items, truth)
			}
		})
	}
}

func deletedPathMatches(got, want string) bool {
	g, w := strings.Split(got, "/"), strings.Split(want, "/")
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		if !shownAsDeleted(g[i], w[i]) {
			return false
		}
	}
	return true
}

func readAll(t *testing.T, fs *FS, it *Item) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(fs.Open(it)); err != nil {
		t.Fatalf("%s: %v", it.Path, err)
	}
	return b.Bytes()
}

// TestZone checks that times are read as stored, in the zone given.
func TestZone(t *testing.T) {
	img := makeImage(t, 12, 1024, []genFile{{path: "/a.txt", content: []byte("a")}})
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	_, utc, _ := walkAll(t, b, nil)
	zone := time.FixedZone("UTC+3", 3*3600)
	fs, local, _ := walkAll(t, b, &Options{Location: zone})
	if fs.Zone() != zone {
		t.Errorf("Zone() = %v", fs.Zone())
	}
	u, l := utc[0], local[0]
	if u.Modified.IsZero() || l.Modified.Location() != zone || u.Modified.Sub(l.Modified) != 3*time.Hour {
		t.Errorf("modified %v in UTC, %v in UTC+3", u.Modified, l.Modified)
	}
	if u.Created.Format(time.DateTime) != l.Created.Format(time.DateTime) {
		t.Errorf("created %v in UTC, %v in UTC+3: not the same wall clock", u.Created, l.Created)
	}
}
