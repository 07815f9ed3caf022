package fat

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// fat32Builder lays out a FAT32 volume in memory: 512-byte sectors and
// clusters, clusters given out in order.
type fat32Builder struct {
	b        []byte
	fatOff   int
	dataOff  int
	next     uint32
	clusters int
}

func newFAT32(clusters int) *fat32Builder {
	const rsvd = 32
	fatSz := ((clusters+2)*4 + 511) / 512
	total := rsvd + 2*fatSz + clusters
	v := &fat32Builder{b: make([]byte, total*512), fatOff: rsvd * 512, dataOff: (rsvd + 2*fatSz) * 512, next: 2, clusters: clusters}
	b := v.b
	copy(b, []byte{0xeb, 0x58, 0x90})
	copy(b[3:], "mkfs.fat")
	binary.LittleEndian.PutUint16(b[0x0b:], 512)
	b[0x0d] = 1
	binary.LittleEndian.PutUint16(b[0x0e:], rsvd)
	b[0x10] = 2
	b[0x15] = 0xf8
	binary.LittleEndian.PutUint32(b[0x20:], uint32(total))
	binary.LittleEndian.PutUint32(b[0x24:], uint32(fatSz))
	binary.LittleEndian.PutUint32(b[0x2c:], 2)
	b[0x42] = 0x29
	copy(b[0x47:], "BENCH      ")
	b[0x1fe], b[0x1ff] = 0x55, 0xaa
	v.set(0, 0x0ffffff8)
	v.set(1, 0x0fffffff)
	return v
}

func (v *fat32Builder) set(c, val uint32) {
	binary.LittleEndian.PutUint32(v.b[v.fatOff+4*int(c):], val)
	binary.LittleEndian.PutUint32(v.b[(v.fatOff+v.dataOff)/2+4*int(c):], val) // FAT 2
}

// alloc gives out n chained clusters.
func (v *fat32Builder) alloc(n int) uint32 {
	first := v.next
	for k := 0; k < n; k++ {
		c := v.next
		v.next++
		if k == n-1 {
			v.set(c, 0x0fffffff)
		} else {
			v.set(c, c+1)
		}
	}
	return first
}

func (v *fat32Builder) off(c uint32) int { return v.dataOff + int(c-2)*512 }

// lfnEntries writes a long name and its 8.3 entry at b, returning the bytes
// used.
func lfnEntries(b []byte, long string, short string, attr byte, first uint32, size uint32) int {
	var n [11]byte
	copy(n[:], short)
	sum := checksum(&n)
	units := []uint16{}
	for _, r := range long {
		units = append(units, uint16(r))
	}
	parts := (len(units) + 12) / 13
	units = append(units, 0)
	for len(units) < parts*13 {
		units = append(units, 0xffff)
	}
	pos := 0
	for p := parts; p >= 1; p-- {
		e := b[pos : pos+32]
		e[0] = byte(p)
		if p == parts {
			e[0] |= 0x40
		}
		e[11], e[13] = 0x0f, sum
		for i, o := range [13]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
			binary.LittleEndian.PutUint16(e[o:], units[(p-1)*13+i])
		}
		pos += 32
	}
	e := b[pos : pos+32]
	copy(e, n[:])
	e[11] = attr
	binary.LittleEndian.PutUint16(e[24:], 50<<9|1<<5|1)
	binary.LittleEndian.PutUint16(e[20:], uint16(first>>16))
	binary.LittleEndian.PutUint16(e[26:], uint16(first))
	binary.LittleEndian.PutUint32(e[28:], size)
	return pos + 32
}

// benchVolume is a FAT32 volume with 100 folders of 200 one-cluster files,
// every name long.
func benchVolume(tb testing.TB) []byte {
	tb.Helper()
	const dirs, files = 100, 200
	dirClusters := (files*3*32 + 511) / 512
	v := newFAT32(dirs*(dirClusters+files) + 64)
	root := v.alloc((dirs*3*32 + 511) / 512)
	rpos := v.off(root)
	for d := range dirs {
		dc := v.alloc(dirClusters)
		rpos += lfnEntries(v.b[rpos:], fmt.Sprintf("folder number %03d", d), fmt.Sprintf("FOLDER~%03d", d), 0x10, dc, 0)
		dpos := v.off(dc)
		for f := range files {
			fc := v.alloc(1)
			dpos += lfnEntries(v.b[dpos:], fmt.Sprintf("a file named %05d.txt", f), fmt.Sprintf("AFILE~%02dTXT", f%100), 0x20, fc, 300)
		}
	}
	return v.b
}

func TestBenchVolume(t *testing.T) {
	img := benchVolume(t)
	fs, items, problems := walkAll(t, img, nil)
	if len(problems) != 0 || len(items) != 20100 || fs.Type != FAT32 || fs.Label != "BENCH" {
		t.Fatalf("%d items, problems %v, %v %q", len(items), problems, fs.Type, fs.Label)
	}
}
