package volume

import (
	"bytes"
	"errors"
	"testing"
)

// TestSaneMBR: the one MBR check, that image detection uses too.
func TestSaneMBR(t *testing.T) {
	sector := func(f func(b []byte)) []byte {
		b := make([]byte, 512)
		b[510], b[511] = 0x55, 0xaa
		f(b)
		return b
	}
	for _, tt := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"one-partition", sector(func(b []byte) { b[446+4] = 0x83; b[446+8] = 1; b[446+12] = 9 }), true},
		{"protective", sector(func(b []byte) { b[446+4] = 0xee; b[446+8] = 1; b[446+12] = 9 }), true},
		{"protective-at-0", sector(func(b []byte) { b[446+4] = 0xee; b[446+12] = 9 }), true},
		{"no-signature", sector(func(b []byte) { b[446+4] = 0x83; b[446+8] = 1; b[446+12] = 9; b[511] = 0 }), false},
		{"empty-table", sector(func(b []byte) {}), false},
		{"bad-boot-flag", sector(func(b []byte) { b[446] = 0x12; b[446+4] = 0x83; b[446+8] = 1; b[446+12] = 9 }), false},
		{"entry-at-0", sector(func(b []byte) { b[446+4] = 0x83; b[446+12] = 9 }), false},
		{"empty-entry", sector(func(b []byte) { b[446+4] = 0x83; b[446+8] = 1 }), false},
		{"short", make([]byte, 100), false},
	} {
		if got := SaneMBR(tt.b); got != tt.want {
			t.Errorf("%s: SaneMBR = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestBareVolumeWithBootCode: a volume whose first sector ends in 55AA and
// looks like a partition table (boot code in an ext volume's boot block) is
// a bare volume when its file system is recognised further in: the whole
// probe is read, not only sector 0.
func TestBareVolumeWithBootCode(t *testing.T) {
	b := mbrImage(40, nil)
	b[0x438], b[0x439] = 0x53, 0xef // ext superblock magic at 1024+0x38
	tab, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil || tab.Scheme != SchemeNone || len(tab.Partitions) != 1 || tab.Partitions[0].Length != int64(len(b)) {
		t.Errorf("Read = %+v, %v; want one bare volume", tab, err)
	}
	if fs := DetectFS(bytes.NewReader(b), 0); fs != "ext" {
		t.Errorf("DetectFS = %q, want ext", fs)
	}
}

// TestEmptyMBR: a sector 0 whose table has no used entry is no partition
// table (as image detection has it): the image is one bare volume.
func TestEmptyMBR(t *testing.T) {
	b := make([]byte, 40*512)
	b[510], b[511] = 0x55, 0xaa
	tab, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil || tab.Scheme != SchemeNone || len(tab.Partitions) != 1 {
		t.Errorf("Read = %+v, %v; want one bare volume", tab, err)
	}
}

// failingReader fails every read that goes past limit, after reading what
// lies before it.
type failingReader struct {
	r     *bytes.Reader
	limit int64
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) <= f.limit {
		return f.r.ReadAt(p, off)
	}
	n, _ := f.r.ReadAt(p[:max(0, f.limit-off)], off)
	return n, errors.New("bad sector")
}

// TestReadErrorPastSectorZero: a read error in the probe past sector 0 (a
// bad E01 chunk) does not stop the read of the partition table.
func TestReadErrorPastSectorZero(t *testing.T) {
	b := mbrImage(200, nil)
	tab, err := Read(failingReader{bytes.NewReader(b), 4096}, int64(len(b)))
	if err != nil || tab.Scheme != SchemeMBR {
		t.Errorf("Read = %+v, %v; want the MBR", tab, err)
	}
	if _, err := Read(failingReader{bytes.NewReader(b), 100}, int64(len(b))); err == nil {
		t.Errorf("Read with sector 0 unreadable succeeded")
	}
}
