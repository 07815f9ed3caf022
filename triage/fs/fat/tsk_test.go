package fat

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// tskInode returns the Sleuth Kit's address of the directory entry at
// volume offset entry: entries are numbered from 3, counted from the
// fixed root folder (FAT12/16) or from cluster 2 (FAT32).
func tskInode(fs *FS, entry int64) int64 {
	first := fs.rootOff
	if fs.Type == FAT32 {
		first = fs.dataOff
	}
	return (entry-first)/entrySize + 3
}

func needTSK(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"fls", "icat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the Sleuth Kit's %s is not installed: no cross-check (%v)", tool, err)
		}
	}
}

var flsLine = regexp.MustCompile(`^(\S+) (\* )?(\d+):\t(.*)$`)

// crossCheckTSK compares a walk with fls -r -p and icat: every allocated
// file fls lists has the same path and MD5, every deleted entry it lists is
// found, with the same name (or, where only the long name survived here,
// the same 8.3 name). truth, when not nil, lists the expected live paths
// (the image authors' listing): where fls gives another path and truth has
// ours, truth wins (the Sleuth Kit cuts names of about 200 characters and
// more, and decodes 8.3 names as ASCII).
func crossCheckTSK(t *testing.T, image string, fs *FS, items []*Item, truth map[string]string) {
	t.Helper()
	needTSK(t)
	out, err := exec.Command("fls", "-r", "-p", image).Output()
	if err != nil {
		t.Fatalf("fls: %v", err)
	}
	byInode := map[int64]*Item{}
	for _, it := range items {
		byInode[tskInode(fs, it.Entry)] = it
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	live, deleted, overruled := 0, 0, 0
	for sc.Scan() {
		m := flsLine.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("fls line %q", sc.Text())
		}
		typ, del, p := m[1], m[2] != "", "/"+m[4]
		inode, _ := strconv.ParseInt(m[3], 10, 64)
		if typ == "v/v" || typ == "V/V" || bytes.HasSuffix([]byte(p), []byte("(Volume Label Entry)")) {
			continue
		}
		it := byInode[inode]
		if it == nil {
			t.Errorf("fls %s entry %d %q: not found", typ, inode, p)
			continue
		}
		if del {
			deleted++
			if !it.Deleted {
				t.Errorf("%s: fls says deleted, found live", p)
			}
			if base := path.Base(p); base != it.Name && base != it.ShortName {
				t.Errorf("deleted entry %d: fls name %q, found %q (8.3 %q)", inode, base, it.Name, it.ShortName)
			}
			continue
		}
		if _, ok := truth[it.Path]; ok && it.Path != p && !it.Deleted {
			overruled++
			p = it.Path
		}
		if it.Path != p || it.Deleted {
			t.Errorf("entry %d: fls path %q, found %q (deleted %v)", inode, p, it.Path, it.Deleted)
			continue
		}
		if typ != "r/r" {
			continue
		}
		live++
		if testing.Short() && live%16 != 1 {
			continue // -short: every 16th file goes through icat
		}
		content, err := exec.Command("icat", image, strconv.FormatInt(inode, 10)).Output()
		if err != nil {
			t.Errorf("icat %d: %v", inode, err)
			continue
		}
		want := md5.Sum(content)
		if got := md5Of(t, fs, it); got != hex.EncodeToString(want[:]) {
			t.Errorf("%s: MD5 %s, icat %x", p, got, want)
		}
	}
	t.Logf("checked %d live files and %d deleted entries against the Sleuth Kit (%d of its paths overruled by the expected listing)", live, deleted, overruled)
}

func writeTemp(t *testing.T, name string, img []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTSKDFTT6(t *testing.T) {
	needTSK(t)
	img := unzipOne(t, testfixture.Corpus(t, "dftt/6-undel-fat.zip"), "6-fat-undel.dd")
	fs, items, _ := walkAll(t, img, nil)
	crossCheckTSK(t, writeTemp(t, "dftt6.dd", img), fs, items, nil)
}

func TestTSKFAT12(t *testing.T) {
	needTSK(t)
	img := testfixture.Gunzip(t, testfixture.Corpus(t, "dfir_ntfs/fat12.raw.gz"))
	fs, items, _ := walkAll(t, img, nil)
	crossCheckTSK(t, writeTemp(t, "fat12.raw", img), fs, items, nil)
}

func TestTSKRustFatfs(t *testing.T) {
	needTSK(t)
	img := testfixture.Gunzip(t, testfixture.Corpus(t, "rust-fatfs/fat16.img.gz"))
	fs, items, _ := walkAll(t, img, nil)
	crossCheckTSK(t, writeTemp(t, "fat16.img", img), fs, items, nil)
}

func TestTSKFAT32Full(t *testing.T) {
	needTSK(t)
	if testing.Short() {
		t.Skip("-short: a 512 MiB sparse image")
	}
	img := untarSparse(t, testfixture.Corpus(t, "dfir_ntfs/fat32_full_test.tgz"))
	p := filepath.Join(t.TempDir(), "fat32_full_test.raw")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	for blk, b := range img.blocks {
		if _, err := f.WriteAt(b, blk*4096); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(img.size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fs, err := Open(img, 0, img.size, nil)
	if err != nil {
		t.Fatal(err)
	}
	var items []*Item
	if err := fs.Walk(t.Context(), func(it *Item) error { items = append(items, it); return nil }, func(error) {}); err != nil {
		t.Fatal(err)
	}
	crossCheckTSK(t, p, fs, items, readExpected(t, testfixture.Corpus(t, "dfir_ntfs/fat32_full_test.txt.expected")))
}
