package fat

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// vol builds a small FAT12 volume in memory: 512-byte sectors, one sector
// per cluster, one reserved sector, two FATs of two sectors, 32 root
// entries (two sectors).
type vol struct {
	b []byte
}

const (
	vSectors  = 128 // 64 KiB
	vFAT      = 512
	vFATSize  = 2 * 512
	vRoot     = vFAT + 2*vFATSize
	vData     = vRoot + 2*512
	vClusters = (vSectors*512 - vData) / 512
)

func newVol() *vol {
	v := &vol{b: make([]byte, vSectors*512)}
	b := v.b
	copy(b, []byte{0xeb, 0x3c, 0x90})
	copy(b[3:], "MSWIN4.1")
	binary.LittleEndian.PutUint16(b[0x0b:], 512)
	b[0x0d] = 1
	binary.LittleEndian.PutUint16(b[0x0e:], 1)
	b[0x10] = 2
	binary.LittleEndian.PutUint16(b[0x11:], 32)
	binary.LittleEndian.PutUint16(b[0x13:], vSectors)
	b[0x15] = 0xf8
	binary.LittleEndian.PutUint16(b[0x16:], 2)
	b[0x26] = 0x29
	binary.LittleEndian.PutUint32(b[0x27:], 0xcafe0001)
	copy(b[0x2b:], "TESTVOL    ")
	copy(b[0x36:], "FAT12   ")
	b[0x1fe], b[0x1ff] = 0x55, 0xaa
	v.set(0, 0xff8)
	v.set(1, 0xfff)
	return v
}

// set writes FAT entry c in both copies.
func (v *vol) set(c, val uint32) {
	for _, fat := range []int{vFAT, vFAT + vFATSize} {
		o := fat + int(c) + int(c)/2
		x := binary.LittleEndian.Uint16(v.b[o:])
		if c&1 != 0 {
			x = x&0x000f | uint16(val)<<4
		} else {
			x = x&0xf000 | uint16(val)&0x0fff
		}
		binary.LittleEndian.PutUint16(v.b[o:], x)
	}
}

func clusterAt(c uint32) int { return vData + int(c-2)*512 }

// entry writes an 8.3 entry at byte off: name is "NAME    EXT".
func (v *vol) entry(off int, name string, attr byte, first uint32, size uint32) {
	e := v.b[off : off+32]
	copy(e, name)
	e[11] = attr
	binary.LittleEndian.PutUint16(e[14:], 10<<11|30<<5|5) // 10:30:10
	binary.LittleEndian.PutUint16(e[16:], 44<<9|2<<5|14)  // 2024-02-14
	binary.LittleEndian.PutUint16(e[22:], 11<<11)         // 11:00:00
	binary.LittleEndian.PutUint16(e[24:], 44<<9|2<<5|14)
	binary.LittleEndian.PutUint16(e[26:], uint16(first))
	binary.LittleEndian.PutUint32(e[28:], size)
}

// file writes a file of n clusters from cluster first, chained.
func (v *vol) file(off int, name string, first uint32, size int, fill byte) {
	v.entry(off, name, 0x20, first, uint32(size))
	n := (size + 511) / 512
	for k := 0; k < n; k++ {
		c := first + uint32(k)
		copy(v.b[clusterAt(c):clusterAt(c)+512], bytes.Repeat([]byte{fill}, 512))
		if k == n-1 {
			v.set(c, 0xfff)
		} else {
			v.set(c, c+1)
		}
	}
}

// dir makes an empty folder at cluster c with its "." and ".." entries.
func (v *vol) dir(off int, name string, c, parent uint32) {
	v.entry(off, name, 0x10, c, 0)
	v.entry(clusterAt(c), ".          ", 0x10, c, 0)
	v.entry(clusterAt(c)+32, "..         ", 0x10, parent, 0)
	v.set(c, 0xfff)
}

// basic is a volume with a few files, a folder, a deleted file and a long
// name.
func basic() *vol {
	v := newVol()
	v.file(vRoot, "HELLO   TXT", 2, 700, 'h')
	v.dir(vRoot+32, "SUB        ", 4, 0)
	v.file(clusterAt(4)+64, "INNER   BIN", 5, 1500, 'i')
	// A deleted file of two clusters at 8 (free in the FAT).
	v.entry(vRoot+64, "\xe5ONE    DAT", 0x20, 8, 1000)
	copy(v.b[clusterAt(8):], bytes.Repeat([]byte{'g'}, 1000))
	// "Long name.txt" with its long-name entry.
	short := "LONGNA~1TXT"
	var n [11]byte
	copy(n[:], short)
	sum := checksum(&n)
	l := v.b[vRoot+96 : vRoot+128]
	l[0] = 0x41
	l[11] = 0x0f
	l[13] = sum
	units := []uint16{'L', 'o', 'n', 'g', ' ', 'n', 'a', 'm', 'e', '.', 't', 'x', 't'}
	for i, o := range [13]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
		binary.LittleEndian.PutUint16(l[o:], units[i])
	}
	v.file(vRoot+128, short, 10, 10, 'l')
	return v
}

type walkResult struct {
	fs       *FS
	items    map[string]*Item
	problems []error
}

func walkVol(t *testing.T, b []byte) walkResult {
	t.Helper()
	fs, err := Open(bytes.NewReader(b), 0x1000, int64(len(b)), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r := walkResult{fs: fs, items: map[string]*Item{}}
	done := make(chan error, 1)
	go func() {
		done <- fs.Walk(context.Background(), func(it *Item) error {
			r.items[it.Path] = it
			return nil
		}, func(err error) { r.problems = append(r.problems, err) })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Walk hangs")
	}
	return r
}

// problem returns the problem whose text holds s, failing when none does.
func (r walkResult) problem(t *testing.T, s string) *FormatError {
	t.Helper()
	for _, p := range r.problems {
		var fe *FormatError
		if strings.Contains(p.Error(), s) && errors.As(p, &fe) {
			return fe
		}
	}
	t.Fatalf("no problem %q among %v", s, r.problems)
	return nil
}

func TestBasicVolume(t *testing.T) {
	v := basic()
	r := walkVol(t, v.b)
	if len(r.problems) != 0 {
		t.Errorf("problems: %v", r.problems)
	}
	if r.fs.Type != FAT12 || r.fs.Label != "TESTVOL" || r.fs.Serial != 0xcafe0001 || r.fs.Clusters != vClusters {
		t.Errorf("FS %v %q %#x %d", r.fs.Type, r.fs.Label, r.fs.Serial, r.fs.Clusters)
	}
	want := map[string]struct {
		size  int
		fill  byte
		entry int64
	}{
		"/hello.txt":     {700, 'h', vRoot},
		"/SUB":           {0, 0, vRoot + 32},
		"/SUB/INNER.BIN": {1500, 'i', int64(clusterAt(4) + 64)},
		"/_ONE.DAT":      {1000, 'g', vRoot + 64},
		"/Long name.txt": {10, 'l', vRoot + 128},
	}
	// HELLO.TXT has no NT case flags: it shows in capitals.
	want["/HELLO.TXT"] = want["/hello.txt"]
	delete(want, "/hello.txt")
	for p, w := range want {
		it := r.items[p]
		if it == nil {
			t.Errorf("%s not found; have %v", p, keys(r.items))
			continue
		}
		if it.Entry != w.entry {
			t.Errorf("%s: entry %#x, want %#x", p, it.Entry, w.entry)
		}
		if it.IsDir {
			continue
		}
		b, err := io.ReadAll(r.fs.Open(it))
		if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{w.fill}, w.size)) || !it.Complete {
			t.Errorf("%s: %d bytes, err %v, complete %v %s", p, len(b), err, it.Complete, it.Incomplete)
		}
	}
	if it := r.items["/_ONE.DAT"]; it != nil && (!it.Deleted || it.Recovered != "contiguous") {
		t.Errorf("deleted file: deleted %v recovered %q", it.Deleted, it.Recovered)
	}
	if it := r.items["/Long name.txt"]; it != nil {
		if it.ShortName != "LONGNA~1.TXT" || it.LongEntry != vRoot+96 || len(it.RawName) != 26 {
			t.Errorf("long name: short %q, long entry %#x, raw %q", it.ShortName, it.LongEntry, it.RawName)
		}
		wantTime := time.Date(2024, 2, 14, 10, 30, 10, 0, time.UTC)
		if !it.Created.Equal(wantTime) || !it.Modified.Equal(time.Date(2024, 2, 14, 11, 0, 0, 0, time.UTC)) || !it.Accessed.IsZero() {
			t.Errorf("times %v %v %v", it.Created, it.Modified, it.Accessed)
		}
		if !it.Attr.Archive() || it.Attr.ReadOnly() || strings.Join(it.Attr.Names(), ",") != "archive" {
			t.Errorf("attributes %v", it.Attr.Names())
		}
	}
}

func keys(m map[string]*Item) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	return k
}

func TestCorruptBootSector(t *testing.T) {
	for _, tc := range []struct {
		name string
		mess func(b []byte)
		off  int64 // -1: not a FAT volume
	}{
		{"sector size 300", func(b []byte) { binary.LittleEndian.PutUint16(b[0x0b:], 300) }, 0x0b},
		{"sector size 8192", func(b []byte) { binary.LittleEndian.PutUint16(b[0x0b:], 8192) }, 0x0b},
		{"3 sectors per cluster", func(b []byte) { b[0x0d] = 3 }, 0x0d},
		{"no FAT", func(b []byte) { b[0x10] = 0 }, 0x10},
		{"no reserved sector", func(b []byte) { binary.LittleEndian.PutUint16(b[0x0e:], 0) }, 0x0e},
		{"no root entries", func(b []byte) { binary.LittleEndian.PutUint16(b[0x11:], 0) }, 0x11},
		{"FAT too small", func(b []byte) { binary.LittleEndian.PutUint16(b[0x16:], 0); binary.LittleEndian.PutUint32(b[0x24:], 0) }, 0x24},
		{"metadata fills the volume", func(b []byte) { binary.LittleEndian.PutUint16(b[0x13:], 5) }, 0x0e},
		{"no jump", func(b []byte) { b[0] = 0 }, -1},
		{"NTFS", func(b []byte) { copy(b[3:], "NTFS    ") }, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := basic()
			tc.mess(v.b)
			if Probe(v.b[:512]) {
				t.Errorf("Probe accepts it")
			}
			_, err := Open(bytes.NewReader(v.b), 0x1000, int64(len(v.b)), nil)
			var fe *FormatError
			switch {
			case tc.off < 0:
				if !errors.Is(err, ErrNotFAT) {
					t.Errorf("err %v, want ErrNotFAT", err)
				}
			case !errors.As(err, &fe):
				t.Errorf("err %v, want a *FormatError", err)
			case fe.Off != 0x1000+tc.off || !strings.HasSuffix(err.Error(), fmt.Sprintf("at byte %#x", 0x1000+tc.off)):
				t.Errorf("err %v at %#x, want at %#x", err, fe.Off, 0x1000+tc.off)
			}
		})
	}
	if !Probe(basic().b[:512]) {
		t.Error("Probe refuses a good boot sector")
	}
}

func TestChainOutsideVolume(t *testing.T) {
	v := basic()
	v.set(2, 0xf00) // HELLO.TXT's second cluster is past the volume
	r := walkVol(t, v.b)
	p := r.problem(t, "outside the volume")
	if want := int64(0x1000 + vFAT + 3); p.Off != want || p.Path != "/HELLO.TXT" {
		t.Errorf("problem %v at %#x, want at %#x", p, p.Off, want)
	}
	it := r.items["/HELLO.TXT"]
	if it.Complete || it.Readable != 512 {
		t.Errorf("complete %v, readable %d", it.Complete, it.Readable)
	}
	if b, err := io.ReadAll(r.fs.Open(it)); err != nil || len(b) != 512 {
		t.Errorf("read %d bytes, %v", len(b), err)
	}
}

func TestClusterLoop(t *testing.T) {
	v := basic()
	v.entry(vRoot, "HELLO   TXT", 0x20, 2, 100*512)
	v.set(3, 2) // 2 -> 3 -> 2
	r := walkVol(t, v.b)
	p := r.problem(t, "loops back to cluster 2")
	if want := int64(0x1000 + vFAT + 4); p.Off != want { // entry of cluster 3
		t.Errorf("problem %v, want at %#x", p, want)
	}
	if it := r.items["/HELLO.TXT"]; it.Complete || it.Readable != 1024 {
		t.Errorf("complete %v readable %d", it.Complete, it.Readable)
	}
}

func TestCrossLink(t *testing.T) {
	v := basic()
	v.entry(vRoot+160, "TWIN    TXT", 0x20, 3, 512) // HELLO.TXT's second cluster
	r := walkVol(t, v.b)
	p := r.problem(t, "cross-linked")
	if p.Path != "/TWIN.TXT" || p.Off != 0x1000+int64(clusterAt(3)) {
		t.Errorf("problem %v", p)
	}
}

func TestChainEndsEarly(t *testing.T) {
	v := basic()
	v.entry(vRoot, "HELLO   TXT", 0x20, 2, 3000)
	r := walkVol(t, v.b)
	p := r.problem(t, "ends after 2 clusters")
	if p.Off != 0x1000+vFAT+4 {
		t.Errorf("problem %v", p)
	}
	if it := r.items["/HELLO.TXT"]; it.Complete || it.Readable != 1024 {
		t.Errorf("complete %v readable %d", it.Complete, it.Readable)
	}
}

func TestFolderContainsItself(t *testing.T) {
	v := basic()
	v.entry(clusterAt(4)+96, "SELF       ", 0x10, 4, 0) // SUB/SELF is SUB
	v.entry(clusterAt(4)+128, "ROOTLOOP   ", 0x10, 0, 0)
	r := walkVol(t, v.b)
	p := r.problem(t, "cross-linked")
	if p.Path != "/SUB/SELF" {
		t.Errorf("problem %v", p)
	}
	if r.items["/SUB/SELF/INNER.BIN"] != nil {
		t.Error("the folder was walked twice")
	}
}

func TestDeletedFolderLoop(t *testing.T) {
	v := basic()
	// A deleted folder at free cluster 20 holding a deleted entry of
	// itself, and a file.
	v.entry(vRoot+160, "\xe5OOP       ", 0x10, 20, 0)
	v.entry(clusterAt(20), ".          ", 0x10, 20, 0)
	v.entry(clusterAt(20)+32, "..         ", 0x10, 0, 0)
	v.entry(clusterAt(20)+64, "AGAIN      ", 0x10, 20, 0)
	v.entry(clusterAt(20)+96, "FILE    TXT", 0x20, 21, 5)
	copy(v.b[clusterAt(21):], "hello")
	r := walkVol(t, v.b)
	it := r.items["/_OOP/FILE.TXT"]
	if it == nil || !it.Deleted || !it.Complete {
		t.Fatalf("file in deleted folder: %+v", it)
	}
	if again := r.items["/_OOP/AGAIN"]; again == nil || again.Complete {
		t.Errorf("the folder's entry of itself: %+v", again)
	}
	if r.items["/_OOP/AGAIN/FILE.TXT"] != nil {
		t.Error("the deleted folder was walked twice")
	}
}

func TestOverwritten(t *testing.T) {
	v := basic()
	v.entry(vRoot+64, "\xe5ONE    DAT", 0x20, 5, 1000) // SUB/INNER.BIN's cluster
	r := walkVol(t, v.b)
	it := r.items["/_ONE.DAT"]
	if it.Complete || it.Incomplete != "overwritten" || it.Readable != 0 {
		t.Errorf("complete %v %q readable %d", it.Complete, it.Incomplete, it.Readable)
	}
}

func TestFATCopiesDiffer(t *testing.T) {
	v := basic()
	v.b[vFAT+vFATSize+30] ^= 0xff
	v.b[vFAT+vFATSize+31] ^= 0xff
	r := walkVol(t, v.b)
	p := r.problem(t, "FAT 2 differs from FAT 1 in 2 bytes (FAT 1 is used)")
	if p.Off != 0x1000+vFAT+vFATSize+30 {
		t.Errorf("problem %v", p)
	}
	if it := r.items["/HELLO.TXT"]; !it.Complete {
		t.Errorf("HELLO.TXT: %s", it.Incomplete)
	}
}

func TestTruncatedImage(t *testing.T) {
	v := basic()
	cut := clusterAt(5) + 100 // in SUB/INNER.BIN
	r := walkVol(t, v.b[:cut])
	p := r.problem(t, "truncated image")
	if p.Off != 0x1000+int64(cut) {
		t.Errorf("problem %v", p)
	}
	it := r.items["/SUB/INNER.BIN"]
	if it == nil || it.Complete || it.Readable != 100 {
		t.Fatalf("INNER.BIN: %+v", it)
	}
	if b, err := io.ReadAll(r.fs.Open(it)); err != nil || len(b) != 100 {
		t.Errorf("read %d bytes, %v", len(b), err)
	}
	if it := r.items["/HELLO.TXT"]; !it.Complete {
		t.Errorf("HELLO.TXT: %s", it.Incomplete)
	}
}

func TestLongNameChecksum(t *testing.T) {
	v := basic()
	v.b[vRoot+96+13]++ // the long-name entry no longer matches LONGNA~1.TXT
	r := walkVol(t, v.b)
	if r.items["/LONGNA~1.TXT"] == nil {
		t.Errorf("the 8.3 name is not used: %v", keys(r.items))
	}
}

func TestDeletedLongName(t *testing.T) {
	v := basic()
	v.b[vRoot+96] = 0xe5
	v.b[vRoot+128] = 0xe5
	v.set(10, 0)
	r := walkVol(t, v.b)
	it := r.items["/Long name.txt"]
	if it == nil || !it.Deleted || it.ShortName != "_ONGNA~1.TXT" {
		t.Fatalf("deleted long name not reassembled: %v", keys(r.items))
	}
	if b, _ := io.ReadAll(r.fs.Open(it)); string(b) != "llllllllll" {
		t.Errorf("content %q", b)
	}
	// A long name whose first character does not give the 8.3 name's
	// checksum is not used.
	binary.LittleEndian.PutUint16(v.b[vRoot+96+1:], 'X')
	r = walkVol(t, v.b)
	if r.items["/_ONGNA~1.TXT"] == nil {
		t.Errorf("mismatched deleted long name used: %v", keys(r.items))
	}
}

func TestFAT32RootChain(t *testing.T) {
	v := newFAT32(100)
	root := v.alloc(2)
	lfnEntries(v.b[v.off(root):], "a file.txt", "AFILE   TXT", 0x20, 0, 0)
	v.set(root+1, 0x0ffffff0) // the root's second cluster points past the volume
	r := walkVol(t, v.b)
	p := r.problem(t, "root folder: cluster chain points to cluster 268435440")
	if want := int64(0x1000 + v.fatOff + 4*int(root+1)); p.Off != want || p.Path != "/" {
		t.Errorf("problem %v, want at %#x", p, want)
	}
	if r.items["/a file.txt"] == nil {
		t.Errorf("the root's first clusters are not read: %v", keys(r.items))
	}
	binary.LittleEndian.PutUint32(v.b[0x2c:], 5000)
	_, err := Open(bytes.NewReader(v.b), 0x1000, int64(len(v.b)), nil)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Off != 0x1000+0x2c {
		t.Errorf("root cluster 5000: %v", err)
	}
}

func TestDeletedFileOnDeletedFolder(t *testing.T) {
	v := basic()
	// A deleted folder at free cluster 20, and a deleted file whose start
	// cluster is that folder's: the folder reused it.
	v.entry(vRoot+160, "\xe5OLDER     ", 0x10, 20, 0)
	v.entry(clusterAt(20), ".          ", 0x10, 20, 0)
	v.entry(clusterAt(20)+32, "..         ", 0x10, 0, 0)
	v.entry(vRoot+192, "\xe5ARLIER TXT", 0x20, 20, 100)
	r := walkVol(t, v.b)
	if it := r.items["/_ARLIER.TXT"]; it == nil || it.Complete || it.Incomplete != "overwritten" {
		t.Errorf("%+v", it)
	}
	if it := r.items["/_OLDER"]; it == nil || !it.Complete {
		t.Errorf("%+v", it)
	}
}

func TestDeletedLongNamePadding(t *testing.T) {
	v := basic()
	// "Long name.txt" fills its 13 characters exactly: no terminator.
	// Given a terminator and garbage after it, the deleted set is refused.
	binary.LittleEndian.PutUint16(v.b[vRoot+96+24:], 0)
	binary.LittleEndian.PutUint16(v.b[vRoot+96+28:], 'x')
	v.b[vRoot+96] = 0xe5
	v.b[vRoot+128] = 0xe5
	v.set(10, 0)
	r := walkVol(t, v.b)
	if r.items["/_ONGNA~1.TXT"] == nil {
		t.Errorf("joined deleted long name used: %v", keys(r.items))
	}
}
