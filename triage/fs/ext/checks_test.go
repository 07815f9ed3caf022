package ext

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// debugfsNumber runs a debugfs request on img and returns the number
// after the first match of re's group.
func debugfsNumber(t *testing.T, img, req, re string) int64 {
	t.Helper()
	out := string(tool(t, "debugfs", "-R", req, img))
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("debugfs %q: no %q in %q", req, re, out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func dumpe2fsNumber(t *testing.T, img, re string) int64 {
	t.Helper()
	out := string(tool(t, "dumpe2fs", img))
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("dumpe2fs: no %q", re)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// TestMetadataChecksums: on a volume made by e2fsprogs with metadata_csum
// the checksums of the hashed folder index nodes, the bitmaps and the
// extended attribute blocks agree with e2fsprogs' (no problem); a byte
// changed in each is a problem naming the block at the offset of its
// checksum, and the walk reads on.
func TestMetadataChecksums(t *testing.T) {
	needTools(t, "dumpe2fs")
	img := buildImage(t, "ext4", false, "-b", "1024", "-O", "metadata_csum,64bit")
	// An extended attribute too large for the inode: in a block.
	val := filepath.Join(t.TempDir(), "value")
	os.WriteFile(val, bytes.Repeat([]byte("v"), 600), 0o644)
	tool(t, "debugfs", "-w", "-R", "ea_set -f "+val+" /hello.txt user.big", img)
	acl := debugfsNumber(t, img, "stat /hello.txt", `File ACL: (\d+)`)
	many := debugfsNumber(t, img, "bmap /many 0", `^(\d+)`) // the index root
	bb := dumpe2fsNumber(t, img, `Block bitmap at (\d+)`)
	ib := dumpe2fsNumber(t, img, `Inode bitmap at (\d+)`)
	if acl == 0 {
		t.Fatal("hello.txt has no extended attribute block")
	}
	got, problems := walkVolume(t, img, 0)
	if len(problems) != 0 {
		t.Fatalf("problems on the volume as e2fsprogs made it: %v", problems)
	}
	hello := append(got["/hello.txt"], got["/docs/hello-link.txt"]...) // recorded at its first name
	if len(hello) != 1 || hello[0].md5 != hexMD5([]byte("Hello world\n")) {
		t.Fatalf("hello.txt %+v", hello)
	}
	b, _ := os.ReadFile(img)
	root := b[many*1024 : many*1024+1024]
	limit := int64(binary.LittleEndian.Uint16(root[0x20:]))
	for _, tt := range []struct {
		name string
		at   int64 // the byte changed
		want string
		off  int64
	}{
		{"index-node", many*1024 + 0x28, "inode " + strconv.FormatInt(debugfsNumber(t, img, "stat /many", `Inode: (\d+)`), 10) + ": hashed folder index block " + strconv.FormatInt(many, 10) + ": checksum mismatch", many*1024 + 0x20 + 8*limit + 4},
		{"block-bitmap", bb*1024 + 100, "block bitmap of block group 0 (block " + strconv.FormatInt(bb, 10) + "): checksum mismatch", bb * 1024},
		{"inode-bitmap", ib * 1024, "inode bitmap of block group 0 (block " + strconv.FormatInt(ib, 10) + "): checksum mismatch", ib * 1024},
		{"xattr-block", acl*1024 + 1000, "extended attribute block " + strconv.FormatInt(acl, 10) + ": checksum mismatch", acl*1024 + 0x10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := messWith(t, img, func(b []byte) { b[tt.at] ^= 0x40 })
			p := filepath.Join(t.TempDir(), "img")
			os.WriteFile(p, m, 0o644)
			got, problems := walkVolume(t, p, 0)
			if len(problems) != 1 || !strings.Contains(problems[0].Error(), tt.want) || problems[0].(*FormatError).Offset() != tt.off {
				t.Errorf("problems %v, want %q at %#x", problems, tt.want, tt.off)
			}
			n := 0
			for p := range got {
				if strings.HasPrefix(p, "/many/long-name-") {
					n++
				}
			}
			h := got[hello[0].Path]
			if n != 60 || len(h) != 1 || h[0].md5 != hello[0].md5 {
				t.Errorf("%d names in /many, hello.txt %+v", n, h)
			}
		})
	}
}

func hexMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// TestOrphanFile: the orphan file of ext4 (orphan_file) made by mke2fs is
// read without a problem (its blocks' checksums agree with e2fsprogs');
// an inode written in it is reported with extra.ext_orphan_list and its
// content, and the block whose checksum no
// longer matches is a problem.
func TestOrphanFile(t *testing.T) {
	needTools(t, "mkfs.ext4", "debugfs", "dumpe2fs")
	if !strings.Contains(string(tool(t, "dumpe2fs", "-h", buildOrphanFileImage(t))), "orphan_file") {
		t.Skip("mke2fs does not make an orphan file (e2fsprogs before 1.47)")
	}
	img := buildOrphanFileImage(t)
	if _, problems := walkVolume(t, img, 0); len(problems) != 0 {
		t.Fatalf("problems on the volume as mke2fs made it: %v", problems)
	}
	oino := dumpe2fsNumber(t, img, `Orphan file inode:\s+(\d+)`)
	blk := debugfsNumber(t, img, "blocks <"+strconv.FormatInt(oino, 10)+">", `^(\d+)`)
	ino := debugfsNumber(t, img, "stat /open.txt", `Inode: (\d+)`)
	// open.txt unlinked while open: no name, no link, in the orphan file.
	tool(t, "debugfs", "-w", "-R", "unlink /open.txt", img)
	tool(t, "debugfs", "-w", "-R", "sif <"+strconv.FormatInt(ino, 10)+"> links_count 0", img)
	b, _ := os.ReadFile(img)
	binary.LittleEndian.PutUint32(b[blk*4096+8:], uint32(ino))
	os.WriteFile(img, b, 0o644)
	got, problems := walkVolume(t, img, 0)
	want := "orphan file block " + strconv.FormatInt(blk, 10) + ": checksum mismatch"
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), want) || problems[0].(*FormatError).Offset() != blk*4096+4092 {
		t.Errorf("problems %v, want %q", problems, want)
	}
	// Its name is still in the slack of the root folder: it is recorded
	// there, with its content.
	r := got["/open.txt"]
	if len(r) != 1 || !r[0].Deleted || r[0].Extra["ext_orphan_list"] != true || r[0].md5 != hexMD5([]byte("still open\n")) {
		t.Errorf("orphan %+v", r)
	}
}

func buildOrphanFileImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "keep"), 0o755)
	os.WriteFile(filepath.Join(src, "keep", "a.txt"), []byte("a\n"), 0o644)
	os.WriteFile(filepath.Join(src, "open.txt"), []byte("still open\n"), 0o644)
	img := filepath.Join(dir, "of.img")
	tool(t, "mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "orphan_file", "-d", src, img, "8M")
	return img
}

// TestChecksumSeed: with metadata_csum_seed the checksums are seeded with
// the superblock's s_checksum_seed, kept when the UUID changes.
func TestChecksumSeed(t *testing.T) {
	needTools(t, "tune2fs")
	img := buildImage(t, "ext4", false, "-b", "1024", "-O", "metadata_csum,metadata_csum_seed")
	tool(t, "tune2fs", "-U", "6f1c2d3e-4a5b-4c6d-8e9f-a0b1c2d3e4f5", img)
	got, problems := walkVolume(t, img, 0)
	if len(problems) != 0 || len(got["/docs/report.txt"]) != 1 {
		t.Errorf("problems %v", problems)
	}
}

// TestOrphanFolder: an ext2 folder whose inode is freed and whose name is
// gone is an orphan; its blocks survive and its names are listed below
// /$OrphanFiles/OrphanFile-N, deleted, with the content icat reads. A
// deleted folder whose name remains has its names deleted; the files of a
// folder in use below it, which the Sleuth Kit does not list, are recorded
// with extra.ext_unlisted.
func TestOrphanFolder(t *testing.T) {
	needTools(t, "mkfs.ext2", "debugfs", "icat")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "lost", "sub"), 0o755)
	os.MkdirAll(filepath.Join(src, "keep"), 0o755)
	os.MkdirAll(filepath.Join(src, "gone", "sub"), 0o755)
	for _, f := range []string{"lost/e.txt", "lost/f.txt", "lost/sub/g.txt", "keep/a.txt", "gone/b.txt", "gone/sub/c.txt"} {
		os.WriteFile(filepath.Join(src, f), []byte(f+"\n"), 0o644)
	}
	img := filepath.Join(dir, "orphan.img")
	tool(t, "mkfs.ext2", "-q", "-F", "-b", "1024", "-d", src, img, "4M")
	lost := debugfsNumber(t, img, "stat /lost", `Inode: (\d+)`)
	e := debugfsNumber(t, img, "stat /lost/e.txt", `Inode: (\d+)`)
	f := debugfsNumber(t, img, "stat /lost/f.txt", `Inode: (\d+)`)
	gone := debugfsNumber(t, img, "stat /gone", `Inode: (\d+)`)
	c := debugfsNumber(t, img, "stat /gone/sub/c.txt", `Inode: (\d+)`)
	cmds := filepath.Join(dir, "cmds")
	os.WriteFile(cmds, []byte("rm /lost/f.txt\nunlink /lost\nkill_file <"+strconv.FormatInt(lost, 10)+">\n"+
		"unlink /gone\nkill_file <"+strconv.FormatInt(gone, 10)+">\n"), 0o644)
	tool(t, "debugfs", "-w", "-f", cmds, img)
	// The record of "lost" left in the root folder's slack is cleared.
	rootBlk := debugfsNumber(t, img, "bmap / 0", `^(\d+)`)
	b, _ := os.ReadFile(img)
	blk := b[rootBlk*1024 : rootBlk*1024+1024]
	i := bytes.Index(blk, []byte{4, 2, 'l', 'o', 's', 't'})
	if i < 6 {
		t.Fatal("no record of lost in the root folder")
	}
	clear(blk[i-6 : i+6])
	os.WriteFile(img, b, 0o644)

	got, problems := walkVolume(t, img, 0)
	if len(problems) != 0 {
		t.Errorf("problems %v", problems)
	}
	p := "/$OrphanFiles/OrphanFile-" + strconv.FormatInt(lost, 10)
	if r := got[p]; len(r) != 1 || r[0].Type != "dir" || !r[0].Deleted {
		t.Fatalf("%s: %+v", p, r)
	}
	for name, ino := range map[string]int64{"e.txt": e, "f.txt": f} {
		r := got[p+"/"+name]
		want := hexMD5(tool(t, "icat", img, strconv.FormatInt(ino, 10)))
		if len(r) != 1 || !r[0].Deleted || r[0].Addr != ino || r[0].md5 != want || want != hexMD5([]byte("lost/"+name+"\n")) {
			t.Errorf("%s: %+v, icat's MD5 %s", name, r, want)
		}
	}
	if r := got[p+"/sub"]; len(r) != 1 || r[0].Extra["ext_realloc"] != true {
		t.Errorf("sub: %+v", r)
	}
	if r := got["/gone/b.txt"]; len(r) != 1 || !r[0].Deleted || r[0].Extra["ext_realloc"] != true || r[0].md5 != hexMD5([]byte("gone/b.txt\n")) {
		t.Errorf("gone/b.txt: %+v", r)
	}
	want := hexMD5(tool(t, "icat", img, strconv.FormatInt(c, 10)))
	if r := got["/gone/sub/c.txt"]; len(r) != 1 || !r[0].Deleted || r[0].Extra["ext_unlisted"] != true || r[0].md5 != want || want != hexMD5([]byte("gone/sub/c.txt\n")) {
		t.Errorf("gone/sub/c.txt: %+v, icat's MD5 %s", r, want)
	}
}
