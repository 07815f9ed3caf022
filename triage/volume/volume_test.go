package volume

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/triagekit/triage/internal/lvmtest"
	"github.com/triagekit/triage/internal/testfixture"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var (
	gunzip    = testfixture.Gunzip
	corpusDir = testfixture.CorpusDir
)

// mmlsRow is one allocated partition row of mmls output.
type mmlsRow struct {
	start, end, length int64
	desc               string
}

// parseMmls keeps the rows whose slot is a table entry ("000:001" for DOS,
// "000" for GPT), skipping Meta and Unallocated rows.
func parseMmls(t testing.TB, text string) (scheme string, rows []mmlsRow) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "DOS Partition Table"):
			scheme = SchemeMBR
		case strings.HasPrefix(line, "GUID Partition Table"):
			scheme = SchemeGPT
		}
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[0], ":") || f[1] == "Meta" || strings.HasPrefix(f[1], "-") {
			continue
		}
		var r mmlsRow
		r.start, _ = strconv.ParseInt(f[2], 10, 64)
		r.end, _ = strconv.ParseInt(f[3], 10, 64)
		r.length, _ = strconv.ParseInt(f[4], 10, 64)
		r.desc = strings.Join(f[5:], " ")
		rows = append(rows, r)
	}
	return scheme, rows
}

func checkAgainstMmls(t *testing.T, img []byte, mmls string) *Table {
	t.Helper()
	tab, err := Read(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	scheme, rows := parseMmls(t, mmls)
	if tab.Scheme != scheme {
		t.Errorf("scheme %q, mmls says %q", tab.Scheme, scheme)
	}
	if len(tab.Partitions) != len(rows) {
		t.Fatalf("%d partitions, mmls lists %d: %+v", len(tab.Partitions), len(rows), tab.Partitions)
	}
	for i, r := range rows {
		p := tab.Partitions[i]
		if p.Start != r.start || p.End != r.end || p.End-p.Start+1 != r.length {
			t.Errorf("partition %d: sectors %d-%d, mmls %d-%d (%d)", i, p.Start, p.End, r.start, r.end, r.length)
		}
		desc := p.Type
		if tab.Scheme == SchemeGPT {
			desc = p.Label
		}
		if desc != r.desc {
			t.Errorf("partition %d: description %q, mmls %q", i, desc, r.desc)
		}
		if p.Offset != p.Start*int64(tab.SectorSize) || p.Index != i {
			t.Errorf("partition %d: offset %d index %d", i, p.Offset, p.Index)
		}
	}
	if len(tab.Problems) > 0 {
		t.Errorf("problems on a good image: %v", tab.Problems)
	}
	return tab
}

func TestCorpusAgainstMmls(t *testing.T) {
	d := corpusDir(t)
	for _, name := range []string{"dfvfs/mbr.raw", "dfir_ntfs/gpt-512-3p.raw", "dfir_ntfs/ntfs_index.raw"} {
		t.Run(name, func(t *testing.T) {
			img := gunzip(t, filepath.Join(d, name+".gz"))
			mmls, err := os.ReadFile(filepath.Join(d, name+".mmls.txt"))
			if err != nil {
				t.Fatal(err)
			}
			tab := checkAgainstMmls(t, img, string(mmls))
			if name == "dfir_ntfs/gpt-512-3p.raw" {
				// INDEX.md: disk GUID and partition types from the image's authors.
				if tab.DiskGUID != "4A57F82F-3B54-45B7-9135-C1D4A9ADDF69" {
					t.Errorf("disk GUID %s", tab.DiskGUID)
				}
				if tab.Partitions[0].Type != "Linux filesystem" || tab.Partitions[2].Type != "EFI System" ||
					!strings.HasPrefix(tab.Partitions[0].GUID, "0C4A2A68") || !strings.HasPrefix(tab.Partitions[1].GUID, "127D7584") ||
					!strings.HasPrefix(tab.Partitions[2].GUID, "8BD51A24") {
					t.Errorf("partitions %+v", tab.Partitions)
				}
			}
		})
	}
}

var testImages = []string{"ntfs-basic.raw", "mbr-ntfs-ext4.raw", "gpt-ntfs.raw"}

func testImage(t testing.TB, name string) []byte {
	return gunzip(t, filepath.Join("..", "..", "testdata", "images", name+".gz"))
}

func TestTestdataAgainstMmls(t *testing.T) {
	for _, name := range testImages {
		t.Run(name, func(t *testing.T) {
			img := testImage(t, name)
			want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "images", name+".mmls.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if name == "ntfs-basic.raw" {
				// mmls finds no table on a bare volume; we give one volume.
				tab, err := Read(bytes.NewReader(img), int64(len(img)))
				if err != nil || !strings.Contains(string(want), "no partition table") || tab.Scheme != SchemeNone ||
					len(tab.Partitions) != 1 || tab.Partitions[0].Length != int64(len(img)) {
					t.Errorf("bare volume: %+v %v", tab, err)
				}
				return
			}
			tab := checkAgainstMmls(t, img, string(want))
			if name == "gpt-ntfs.raw" && (tab.DiskGUID != "11111111-2222-3333-4444-555555555555" || tab.Partitions[0].GUID != "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE" || tab.Partitions[0].Type != "Microsoft basic data") {
				// the GUIDs and type 0700 are the ones make.sh gave sgdisk
				t.Errorf("GPT details: %+v", tab)
			}
		})
	}
}

// TestLiveMmls runs the installed mmls on the testdata images, so the
// committed listings cannot drift from the tool.
func TestLiveMmls(t *testing.T) {
	if _, err := exec.LookPath("mmls"); err != nil {
		t.Skip("mmls not installed: install sleuthkit")
	}
	for _, name := range testImages[1:] {
		img := testImage(t, name)
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, img, 0o644)
		out, err := exec.Command("mmls", p).Output()
		if err != nil {
			t.Fatalf("mmls %s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) { checkAgainstMmls(t, img, string(out)) })
	}
}

// messWith returns a copy of b changed by f.
func messWith(b []byte, f func(b []byte)) []byte {
	c := append([]byte(nil), b...)
	f(c)
	return c
}

func fixHeaderCRC(b []byte, off int) {
	hs := binary.LittleEndian.Uint32(b[off+12:])
	binary.LittleEndian.PutUint32(b[off+16:], 0)
	binary.LittleEndian.PutUint32(b[off+16:], crc32.ChecksumIEEE(b[off:off+int(hs)]))
}

func TestGPTCorrupt(t *testing.T) {
	good := testImage(t, "gpt-ntfs.raw")
	want, _ := Read(bytes.NewReader(good), int64(len(good)))
	backup := len(good) - 512
	tests := []struct {
		name    string
		mess    func(b []byte)
		problem string // "" : none expected
		scheme  string
	}{
		{"primary-header-crc", func(b []byte) { b[512+24] ^= 1 }, "header CRC32 mismatch", SchemeGPT},
		{"primary-entries-crc", func(b []byte) { b[1024+56] ^= 1 }, "entry array CRC32 mismatch", SchemeGPT},
		{"primary-signature", func(b []byte) { b[512] = 'X' }, "no GPT header signature", SchemeGPT},
		{"both-headers-bad", func(b []byte) { b[512] = 'X'; b[backup] = 'X' }, "no usable GPT", SchemeMBR},
		{"entry-count-huge", func(b []byte) {
			binary.LittleEndian.PutUint32(b[512+80:], 1<<30)
			fixHeaderCRC(b, 512)
		}, "more than the 1024 supported", SchemeGPT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := messWith(good, tt.mess)
			tab, err := Read(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if tab.Scheme != tt.scheme {
				t.Fatalf("scheme %q, want %q", tab.Scheme, tt.scheme)
			}
			if len(tab.Problems) == 0 || !strings.Contains(errors.Join(tab.Problems...).Error(), tt.problem) {
				t.Errorf("problems %v, want %q", tab.Problems, tt.problem)
			}
			if tt.scheme == SchemeGPT && (len(tab.Partitions) != 1 || tab.Partitions[0] != want.Partitions[0]) {
				t.Errorf("partitions from the backup: %+v, want %+v", tab.Partitions, want.Partitions)
			}
		})
	}
}

// mbrImage builds an image with a primary partition and an extended chain.
func mbrImage(sectors int, links [][2]uint32) []byte {
	b := make([]byte, sectors*512)
	put := func(sec int, slot int, typ byte, start, count uint32) {
		e := b[sec*512+446+16*slot:]
		e[4] = typ
		binary.LittleEndian.PutUint32(e[8:], start)
		binary.LittleEndian.PutUint32(e[12:], count)
		b[sec*512+510], b[sec*512+511] = 0x55, 0xaa
	}
	put(0, 0, 0x83, 1, 9)
	put(0, 1, 0x05, 10, uint32(sectors-10))
	for _, l := range links { // EBR at 10+l[0]: logical of 2 sectors, next EBR at 10+l[1]
		put(10+int(l[0]), 0, 0x07, 1, 2)
		if l[1] != 0 {
			put(10+int(l[0]), 1, 0x05, l[1], 3)
		}
	}
	return b
}

func TestMBRExtendedChain(t *testing.T) {
	b := mbrImage(40, [][2]uint32{{0, 5}, {5, 10}, {10, 0}})
	tab, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(tab.Problems) != 0 {
		t.Fatal(err, tab.Problems)
	}
	var starts []int64
	for _, p := range tab.Partitions {
		starts = append(starts, p.Start)
	}
	if got := fmtInts(starts); got != "1 11 16 21" {
		t.Errorf("partition starts %s, want 1 11 16 21", got)
	}
	// A loop: the third EBR points back to the first.
	loop := mbrImage(40, [][2]uint32{{0, 5}, {5, 10}, {10, 5}})
	tab, err = Read(bytes.NewReader(loop), int64(len(loop)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Partitions) != 4 || len(tab.Problems) != 1 || !strings.Contains(tab.Problems[0].Error(), "loop in the extended partition chain") {
		t.Errorf("loop: %d partitions, problems %v", len(tab.Partitions), tab.Problems)
	}
	// A partition past the end of the image.
	past := messWith(b, func(b []byte) { binary.LittleEndian.PutUint32(b[446+12:], 1000) })
	tab, _ = Read(bytes.NewReader(past), int64(len(past)))
	if len(tab.Problems) != 1 || !strings.Contains(tab.Problems[0].Error(), "runs past the end of the image") || !strings.Contains(tab.Problems[0].Error(), "at byte 0x1be") {
		t.Errorf("past the end: %v", tab.Problems)
	}
}

func fmtInts(v []int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, " ")
}

func TestBareAndTiny(t *testing.T) {
	if _, err := Read(bytes.NewReader(make([]byte, 100)), 100); !errors.Is(err, ErrTruncated) {
		t.Errorf("tiny image: %v", err)
	}
	tab, err := Read(bytes.NewReader(make([]byte, 4096)), 4096)
	if err != nil || tab.Scheme != SchemeNone || len(tab.Partitions) != 1 || tab.Partitions[0].Length != 4096 {
		t.Errorf("zeros: %+v %v", tab, err)
	}
}

// FuzzRead feeds hostile images to the MBR and GPT parsers.
func FuzzRead(f *testing.F) {
	f.Add(mbrImage(40, [][2]uint32{{0, 5}, {5, 10}, {10, 0}}))
	f.Add(mbrImage(40, [][2]uint32{{0, 5}, {5, 0}, {10, 5}}))
	gpt := testImage(f, "gpt-ntfs.raw")
	f.Add(gpt[:34*512]) // protective MBR, primary header and entries
	f.Add(append(append([]byte(nil), gpt[:34*512]...), gpt[len(gpt)-33*512:]...))
	mbr := testImage(f, "mbr-ntfs-ext4.raw")
	f.Add(mbr[:512])
	f.Add(lvmtest.MBRAt(lvmtest.SmallPV(16<<10, 12<<10, lvmtest.FixtureUUID, lvmtest.FixtureText), 0x8e, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, p := range tab.Partitions {
			if p.Length < 0 || p.End < p.Start || p.Offset < 0 {
				t.Fatalf("impossible partition %+v", p)
			}
		}
		for _, l := range tab.Logical {
			for _, e := range l.Extents {
				if e.Length <= 0 || e.Offset < 0 || e.Image < 0 || e.Offset+e.Length > l.Length {
					t.Fatalf("impossible extent %+v of %s", e, l.Name)
				}
			}
		}
		if len(tab.Partitions) > 4+MaxLogical*2+MaxGPTEntries {
			t.Fatalf("%d partitions", len(tab.Partitions))
		}
	})
}
