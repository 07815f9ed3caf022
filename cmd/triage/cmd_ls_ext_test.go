package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// TestLsFilesExtLikeFlsBytes compares triage ls --files on ext volumes with
// fls -r -p byte for byte, in fls's order: the corpus's ext images, and
// volumes built here with e2fsprogs holding what fls reads beyond live
// names: hashed folders of thousands of names (whose index nodes fls reads
// as folder blocks), deleted names, a deleted folder whose names remain,
// and an orphan folder (ext2) whose entries fls lists under $OrphanFiles.
func TestLsFilesExtLikeFlsBytes(t *testing.T) {
	fls, err := exec.LookPath("fls")
	if err != nil {
		t.Skip("fls is not installed (Debian package sleuthkit)")
	}
	images := map[string]string{}
	dir := t.TempDir()
	{
		img := filepath.Join(dir, "ext2.raw")
		os.WriteFile(img, testfixture.Gunzip(t, testfixture.Corpus(t, "dfvfs/ext2.raw.gz")), 0o644)
		images["dfvfs-ext2"] = img
		images["hierarchy_64"] = testfixture.Corpus(t, "go-ext4/hierarchy_64.ext4")
		images["dftt-ext3"] = unzipOne(t, testfixture.Corpus(t, "dftt/4-kwsrch-ext3.zip"), "ext3-img-kw-1.dd", dir)
	}
	if buildExtImages(t, dir, images) {
		t.Log("e2fsprogs is not installed (Debian package e2fsprogs): only the corpus images are compared")
	}
	for name, img := range images {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			// Status 0: no problem, so the checksums of the index nodes
			// and bitmaps agree with e2fsprogs' on the built volumes.
			if st := run([]string{"ls", "--files", img}, nil, &out, &errb); st != 0 {
				t.Fatalf("status %d: %s", st, errb.String())
			}
			want, err := exec.Command(fls, "-r", "-p", img).Output()
			if err != nil {
				t.Fatalf("fls: %v", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				g, w := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
				for i := range min(len(g), len(w)) {
					if g[i] != w[i] {
						t.Fatalf("line %d: triage %q, fls %q (%d and %d lines)", i+1, g[i], w[i], len(g), len(w))
					}
				}
				t.Fatalf("triage gives %d lines, fls %d", len(g), len(w))
			}
			// What the built volumes are for is in fls's listing.
			for _, l := range strings.Split(string(want), "\n") {
				if strings.HasPrefix(name, "ext2-orphan") && strings.Contains(l, "/e.txt") && strings.Contains(l, "$OrphanFiles/OrphanFile-") ||
					strings.Contains(name, "htree") && strings.Contains(l, "big/") && !strings.Contains(l, "big/a-file-") && !strings.Contains(l, "big/data.txt") {
					return
				}
			}
			if !strings.HasPrefix(name, "d") && name != "hierarchy_64" {
				t.Errorf("fls lists no name read from an index node or an orphan folder:\n%s", want)
			}
		})
	}
}

// unzipOne extracts the file name of the zip archive zp into dir.
func unzipOne(t *testing.T, zp, name, dir string) string {
	t.Helper()
	zr, err := zip.OpenReader(zp)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if filepath.Base(f.Name) != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		p := filepath.Join(dir, name)
		w, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Fatalf("%s: no %s", zp, name)
	return ""
}

// buildExtImages builds the e2fsprogs images of the test in dir and adds
// them to images; it returns true when e2fsprogs is not installed.
func buildExtImages(t *testing.T, dir string, images map[string]string) (skipped bool) {
	t.Helper()
	for _, n := range []string{"mkfs.ext2", "debugfs", "e2fsck"} {
		if _, err := exec.LookPath(n); err != nil {
			return true
		}
	}
	sh := func(args ...string) string {
		t.Helper()
		var errb bytes.Buffer
		c := exec.Command(args[0], args[1:]...)
		c.Stderr = &errb
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.Bytes())
		}
		return string(out)
	}
	// A folder of 1,500 names, hashed by e2fsck -D, with 4 names deleted.
	// The UUID and hash seed are fixed: the index nodes, and the records
	// fls reads in them, are the same at each run.
	src := filepath.Join(dir, "src")
	big := filepath.Join(src, "big")
	os.MkdirAll(big, 0o755)
	for i := 1; i <= 1500; i++ {
		os.WriteFile(filepath.Join(big, "a-file-with-a-longer-name-"+strconv.Itoa(i)), nil, 0o644)
	}
	os.WriteFile(filepath.Join(big, "data.txt"), []byte("data\n"), 0o644)
	os.MkdirAll(filepath.Join(src, "small"), 0o755)
	os.WriteFile(filepath.Join(src, "small", "a.txt"), []byte("a\n"), 0o644)
	rm := filepath.Join(dir, "rm.debugfs")
	os.WriteFile(rm, []byte("rm /big/a-file-with-a-longer-name-5\nrm /big/a-file-with-a-longer-name-77\nrm /big/a-file-with-a-longer-name-1000\nrm /big/a-file-with-a-longer-name-1499\n"), 0o644)
	mk := func(name string, mkfs ...string) {
		img := filepath.Join(dir, name+".raw")
		f, _ := os.Create(img)
		f.Truncate(32 << 20)
		f.Close()
		sh(append(append(mkfs, "-q", "-U", "0b1f4a2e-7d5c-4c1e-9a3b-2f6e8d9c1a01", "-E", "hash_seed=5d2c8e1f-3a4b-4c6d-8e9f-0a1b2c3d4e5f", "-d", src), img)...)
		exec.Command("e2fsck", "-fyD", img).Run() // exit status 1: folders were optimised
		sh("debugfs", "-w", "-f", rm, img)
		images[name] = img
	}
	mk("ext3-htree-2k", "mkfs.ext3", "-b", "2048")
	// ext4 (metadata_csum) with 1 KiB blocks: the folder's extents stay in
	// the inode (fls 4.11 cannot read a folder whose extent tree has an
	// index level).
	mk("ext4-htree-1k", "mkfs.ext4", "-b", "1024")

	// ext2: a deleted folder whose name remains, and an orphan folder
	// (its name overwritten) whose blocks survive.
	src2 := filepath.Join(dir, "src2")
	for _, d := range []string{"keep", "gone/sub", "lost/sub"} {
		os.MkdirAll(filepath.Join(src2, d), 0o755)
	}
	for _, f := range []string{"keep/a.txt", "gone/b.txt", "gone/d.txt", "gone/sub/c.txt", "lost/e.txt", "lost/f.txt", "lost/sub/g.txt"} {
		os.WriteFile(filepath.Join(src2, f), []byte(f+"\n"), 0o644)
	}
	img := filepath.Join(dir, "ext2-orphan.raw")
	f, _ := os.Create(img)
	f.Truncate(4 << 20)
	f.Close()
	sh("mkfs.ext2", "-q", "-d", src2, img)
	ino := func(p string) string {
		return strings.Fields(sh("debugfs", "-R", "stat "+p, img))[1] // "Inode: 13 ..."
	}
	gone, lost := ino("/gone"), ino("/lost")
	cmds := filepath.Join(dir, "orphan.debugfs")
	os.WriteFile(cmds, []byte("rm /gone/d.txt\nrm /lost/f.txt\nunlink /gone\nkill_file <"+gone+">\nunlink /lost\nkill_file <"+lost+">\n"), 0o644)
	sh("debugfs", "-w", "-f", cmds, img)
	// Overwrite the record of "lost" in the root folder: no name points to
	// its inode any more.
	rootBlock, _ := strconv.ParseInt(strings.Fields(sh("debugfs", "-R", "blocks /", img))[0], 10, 64)
	b, _ := os.ReadFile(img)
	blk := b[rootBlock*1024 : rootBlock*1024+1024]
	i := bytes.Index(blk, []byte{4, 2, 'l', 'o', 's', 't'}) // name length, folder, name
	if i < 6 {
		t.Fatal("no record of lost in the root folder")
	}
	clear(blk[i-6 : i+6])
	os.WriteFile(img, b, 0o644)
	images["ext2-orphan"] = img
	return false
}

// TestLsFilesLongExtLikeFls compares triage ls --files -l on ext4 volumes
// with fls -l -r -p -z UTC byte for byte: folder sizes (the inode's size,
// as fls gives it) and the deleted names whose inode is in use again
// (fls gives the metadata of the file using it: times, size, uid, gid),
// on go-ext4's hierarchy_64 (deleted editor files whose inodes were
// reused), the hashed ext4 folder of buildExtImages (index records naming
// inodes in use) and a volume made here where a deleted name points to
// the inode of a file with another name. ext4 only: fls 4.11 reads the
// creation time on ext4 only.
func TestLsFilesLongExtLikeFls(t *testing.T) {
	fls, err := exec.LookPath("fls")
	if err != nil {
		t.Skip("fls is not installed (Debian package sleuthkit)")
	}
	images := map[string]string{"hierarchy_64": testfixture.Corpus(t, "go-ext4/hierarchy_64.ext4")}
	dir := t.TempDir()
	built := map[string]string{}
	if !buildExtImages(t, dir, built) {
		images["ext4-htree-1k"] = built["ext4-htree-1k"]
		// A file of two names, one of them removed: its record stays in
		// the folder's slack, naming the inode the other name keeps.
		src := filepath.Join(dir, "links")
		os.MkdirAll(filepath.Join(src, "docs"), 0o755)
		os.WriteFile(filepath.Join(src, "docs", "one.txt"), []byte("one\n"), 0o644)
		os.Link(filepath.Join(src, "docs", "one.txt"), filepath.Join(src, "docs", "two.txt"))
		os.WriteFile(filepath.Join(src, "docs", "three.txt"), []byte("three\n"), 0o644)
		img := filepath.Join(dir, "links.raw")
		f, _ := os.Create(img)
		f.Truncate(4 << 20)
		f.Close()
		for _, c := range [][]string{{"mkfs.ext4", "-q", "-d", src, img}, {"debugfs", "-w", "-R", "unlink /docs/two.txt", img}} {
			if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", c, err, out)
			}
		}
		images["ext4-deleted-link"] = img
	}
	for name, img := range images {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if st := run([]string{"ls", "--files", "-l", img}, nil, &out, &errb); st != 0 {
				t.Fatalf("status %d: %s", st, errb.String())
			}
			want, err := exec.Command(fls, "-l", "-r", "-p", "-z", "UTC", img).Output()
			if err != nil {
				t.Fatalf("fls: %v", err)
			}
			g, w := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
			for i := range min(len(g), len(w)) {
				if g[i] != w[i] {
					t.Fatalf("line %d:\ntriage %q\nfls    %q", i+1, g[i], w[i])
				}
			}
			if len(g) != len(w) {
				t.Fatalf("triage gives %d lines, fls %d", len(g), len(w))
			}
			// What the volume is for is in the listing.
			if !strings.Contains(string(want), "(realloc):") {
				t.Errorf("fls lists no deleted name of an inode in use:\n%s", want)
			}
		})
	}
}
