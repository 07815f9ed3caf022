package volume

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/lvmtest"
)

// TestLVM reads the logical volumes of lvmtest.Fixture in a 0x8e
// partition, in a bare physical volume and in a GPT Linux LVM partition,
// against the metadata the fixture wrote.
func TestLVM(t *testing.T) {
	content := make([]byte, 8<<20)
	for i := range content {
		content[i] = byte(i / 512)
	}
	copy(content, "BOOT")
	pv := lvmtest.Fixture(content)
	for _, tt := range []struct {
		name string
		img  []byte
		base int64 // offset of the physical volume
	}{
		{"mbr", lvmtest.MBR(pv, 0x8e), 1 << 20},
		{"bare", pv, 0},
		{"linux-type", lvmtest.MBR(pv, 0x83), 1 << 20}, // lvm2 reads a label whatever the partition type
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Read(bytes.NewReader(tt.img), int64(len(tt.img)))
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Problems) > 0 {
				t.Errorf("problems: %v", tab.Problems)
			}
			if len(tab.Partitions) != 1 {
				t.Fatalf("partitions %+v", tab.Partitions)
			}
			p := tab.Partitions[0]
			if want := (&PV{"lvm", "vg0", "Xc9aWq-1bxP-rZ8T-kD2Q-uHEl-pV3n-9MhXtA", "aB3dEf-GhIj-KlMn-OpQr-StUv-WxYz-012345"}); !reflect.DeepEqual(p.PV, want) {
				t.Errorf("PV %+v, want %+v", p.PV, want)
			}
			// Visible volumes only, in metadata order, numbered after the partition.
			var got []string
			for _, l := range tab.Logical {
				got = append(got, strings.Join([]string{itoa(int64(l.Index)), l.Name, l.Type, l.NotExamined, itoa(l.Length >> 20), rel(l.Offset, tt.base)}, "|"))
			}
			want := []string{
				"1|vg0/data|LVM linear||8|" + itoa(7<<20), // pe_start 1 MiB + extent 6
				"2|vg0/fast|LVM striped|LVM striped|2|" + itoa(1<<20),
				"3|vg0/pool|LVM thin-pool|LVM thin-pool|1|none",
				"4|vg0/thin1|LVM thin|LVM thin|4|none",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("logical volumes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			data := &tab.Logical[0]
			wantExt := []Extent{{0, tt.base + 7<<20, 4 << 20}, {4 << 20, tt.base + 2<<20, 4 << 20}}
			if !reflect.DeepEqual(data.Extents, wantExt) || !reflect.DeepEqual(data.Members, []int{0}) {
				t.Errorf("extents %+v members %v, want %+v", data.Extents, data.Members, wantExt)
			}
			// Read through the map, across the segment boundary.
			got2, err := io.ReadAll(io.NewSectionReader(data.Reader(bytes.NewReader(tt.img)), 0, data.Length))
			if err != nil || !bytes.Equal(got2, content) {
				t.Errorf("content through the map differs (err %v)", err)
			}
			if o := data.ImageOffset(4<<20 + 5); o != tt.base+2<<20+5 {
				t.Errorf("ImageOffset = %#x", o)
			}
			buf := make([]byte, 10)
			if n, err := data.Reader(bytes.NewReader(tt.img)).ReadAt(buf, data.Length-4); n != 4 || err != io.EOF {
				t.Errorf("read at the end: %d, %v", n, err)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// rel is an image offset relative to base, "none" when there is none.
func rel(off, base int64) string {
	if off < 0 {
		return "none"
	}
	return itoa(off - base)
}

// TestLVMGPT: a GPT "Linux LVM" partition (sgdisk type 8e00) holding the
// physical volume of lvmtest.Fixture is read like the MBR one; mmls's
// rows stay the partitions of the table.
func TestLVMGPT(t *testing.T) {
	if _, err := exec.LookPath("sgdisk"); err != nil {
		t.Skip("sgdisk not installed (Debian package gdisk)")
	}
	pv := lvmtest.Fixture(nil)
	p := filepath.Join(t.TempDir(), "gpt.raw")
	if err := os.WriteFile(p, make([]byte, 1<<20+len(pv)+1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	end := strconv.Itoa(2048 + len(pv)/512 - 1)
	if out, err := exec.Command("sgdisk", "-n", "1:2048:"+end, "-t", "1:8e00", "-c", "1:pv", p).CombinedOutput(); err != nil {
		t.Fatalf("sgdisk: %v\n%s", err, out)
	}
	img, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	copy(img[1<<20:], pv)
	tab, err := Read(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Scheme != SchemeGPT || len(tab.Partitions) != 1 || tab.Partitions[0].PV == nil || tab.Partitions[0].Type != "Linux LVM" {
		t.Fatalf("table %+v", tab)
	}
	if len(tab.Logical) != 4 || tab.Logical[0].Name != "vg0/data" || tab.Logical[0].Extents[0].Image != 1<<20+7<<20 {
		t.Errorf("logical volumes %+v", tab.Logical)
	}
}

// twoPVText is a group over two physical volumes (4 MiB extents of 1 MiB
// after a 1 MiB header each) whose volume "span" has its first segment on
// pv1 and its second on pv0; seqno and the volume list vary.
func twoPVText(seqno int, lvs string) string {
	return `vg1 {
id = "GrOuP1-aaaa-bbbb-cccc-dddd-eeee-ffffff"
seqno = ` + strconv.Itoa(seqno) + `
extent_size = 2048
physical_volumes {
pv0 {
id = "PvZero-aaaa-bbbb-cccc-dddd-eeee-ffffff"
pe_start = 2048
pe_count = 4
}
pv1 {
id = "PvOne0-aaaa-bbbb-cccc-dddd-eeee-ffffff"
pe_start = 2048
pe_count = 4
}
}
logical_volumes {
` + lvs + `
}
}
`
}

const spanLV = `span {
id = "SpAn00-aaaa-bbbb-cccc-dddd-eeee-ffffff"
status = ["READ", "WRITE", "VISIBLE"]
segment1 {
start_extent = 0
extent_count = 2
type = "striped"
stripe_count = 1
stripes = ["pv1", 1]
}
segment2 {
start_extent = 2
extent_count = 1
type = "striped"
stripe_count = 1
stripes = ["pv0", 3]
}
}`

// mbr2 is a DOS table with the two 5 MiB partitions a and b from sectors
// 2048 and 2048+10240.
func mbr2(a, b []byte) []byte {
	img := make([]byte, 1<<20+len(a)+len(b))
	for i, start := range []int{2048, 2048 + len(a)/512} {
		e := img[446+16*i:]
		e[4] = 0x8e
		binary.LittleEndian.PutUint32(e[8:], uint32(start))
		binary.LittleEndian.PutUint32(e[12:], uint32(len(a)/512))
	}
	img[510], img[511] = 0x55, 0xaa
	copy(img[1<<20:], a)
	copy(img[1<<20+len(a):], b)
	return img
}

// TestLVMTwoPVs: a volume group over two partitions is read from the
// newest metadata (pv0 holds an older copy without the volume); a volume
// is mapped across both; with one physical volume missing it is not
// examined.
func TestLVMTwoPVs(t *testing.T) {
	pv0 := lvmtest.PV(5<<20, "PvZeroaaaabbbbccccddddeeeeffffff", twoPVText(3, ""))
	pv1 := lvmtest.PV(5<<20, "PvOne0aaaabbbbccccddddeeeeffffff", twoPVText(4, spanLV))
	img := mbr2(pv0, pv1)
	tab, err := Read(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Problems) > 0 || len(tab.Logical) != 1 {
		t.Fatalf("problems %v, logical %+v", tab.Problems, tab.Logical)
	}
	l := tab.Logical[0]
	p0, p1 := int64(1<<20), int64(1<<20+5<<20) // partition offsets
	want := []Extent{{0, p1 + 1<<20 + 1<<20, 2 << 20}, {2 << 20, p0 + 1<<20 + 3<<20, 1 << 20}}
	if l.Name != "vg1/span" || l.Index != 2 || l.Length != 3<<20 || !reflect.DeepEqual(l.Extents, want) || !reflect.DeepEqual(l.Members, []int{1, 0}) {
		t.Errorf("span: %+v, want extents %+v", l, want)
	}
	// Only the partition holding pv1.
	clear(img[p0 : p0+4096])
	tab, err = Read(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Logical) != 1 || tab.Logical[0].NotExamined != "LVM physical volume PvZero-aaaa-bbbb-cccc-dddd-eeee-ffffff is not in the image" || tab.Logical[0].Extents != nil {
		t.Errorf("span without pv0: %+v", tab.Logical)
	}
}

// TestLVMHistory: the volumes that only older copies of the metadata list
// (lvmtest.HistoryTexts: "old" at seqno 5) are listed after the current
// ones as not examined, with where their extents were; every copy is
// recorded on the physical volume's partition.
func TestLVMHistory(t *testing.T) {
	pv := lvmtest.PV(lvmtest.FixtureSize, lvmtest.FixtureUUID, "")
	clear(pv[lvmtest.MetadataOffset : lvmtest.MetadataOffset+lvmtest.MetadataSize])
	lvmtest.WriteHistory(pv, lvmtest.HistoryTexts, 0)
	img := lvmtest.MBR(pv, 0x8e)
	tab, err := Read(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Problems) > 0 {
		t.Errorf("problems: %v", tab.Problems)
	}
	var got []string
	for _, l := range tab.Logical {
		got = append(got, strings.Join([]string{itoa(int64(l.Index)), l.Name, l.Type, l.NotExamined, itoa(l.Length >> 20), rel(l.Offset, 1<<20)}, "|"))
	}
	want := []string{
		"1|vg0/data|LVM linear||8|" + itoa(7<<20),
		"2|vg0/fast|LVM striped|LVM striped|2|" + itoa(1<<20),
		"3|vg0/pool|LVM thin-pool|LVM thin-pool|1|none",
		"4|vg0/thin1|LVM thin|LVM thin|4|none",
		"5|vg0/old|LVM older metadata|only in older LVM metadata (seqno 5)|2|" + itoa(11<<20), // pe_start 1 MiB + extent 10
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logical volumes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	old := tab.Logical[4]
	if old.Extents != nil || old.UUID != "oLdV00-1111-2222-3333-4444-5555-666666" || old.Details["vg_seqno"] != int64(5) ||
		!reflect.DeepEqual(old.Details["former_extents"], []map[string]any{{"offset": int64(0), "image": int64(1<<20 + 11<<20), "length": int64(2 << 20)}}) {
		t.Errorf("vg0/old: %+v", old)
	}
	var hist []string
	for _, v := range tab.MetadataHistory[0] {
		var lvs []string
		for _, lv := range v.LVs {
			lvs = append(lvs, lv.Name+"="+lv.Type+":"+itoa(lv.Length>>20))
		}
		hist = append(hist, fmt.Sprintf("%d %v %s: %s", v.Seqno, v.Current, rel(v.Offset, 1<<20), strings.Join(lvs, " ")))
	}
	wantHist := []string{
		"5 false 4608: data=linear:4 fast=striped:2 old=linear:2",
		"6 false 6656: data=linear:8 fast=striped:2 pool=thin-pool:1",
		"7 true 9216: data=linear:8 fast=striped:2 pool=thin-pool:1 thin1=thin:4",
	}
	if strings.Join(hist, "\n") != strings.Join(wantHist, "\n") {
		t.Errorf("metadata history:\n%s\nwant:\n%s", strings.Join(hist, "\n"), strings.Join(wantHist, "\n"))
	}
}
