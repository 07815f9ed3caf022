package formats

import (
	"bytes"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// TestTable: names and option names are unique, every format has a probe.
func TestTable(t *testing.T) {
	names := map[string]bool{}
	for _, f := range All {
		if f.Name == "" || f.Probe == nil || names[f.Name] {
			t.Errorf("format %q: empty, without a probe, or listed twice", f.Name)
		}
		names[f.Name] = true
	}
	opts := map[string]bool{}
	for _, o := range Options() {
		if o.Name == "" || o.Usage == "" || opts[o.Name] {
			t.Errorf("option %q: empty, without usage, or declared twice", o.Name)
		}
		opts[o.Name] = true
	}
}

func sector(f func(b []byte)) []byte {
	b := make([]byte, 2048)
	b[510], b[511] = 0x55, 0xaa
	f(b)
	return b
}

func TestDetect(t *testing.T) {
	ext := make([]byte, 2048)
	ext[0x438], ext[0x439] = 0x53, 0xef
	for _, tt := range []struct {
		name string
		b    []byte
		want string
	}{
		{"ntfs", sector(func(b []byte) { copy(b[3:], "NTFS    ") }), "ntfs"},
		{"ntfs-no-55aa", sector(func(b []byte) { copy(b[3:], "NTFS    "); b[510] = 0 }), ""},
		{"ntfs-short", sector(func(b []byte) { copy(b[3:], "NTFS    ") })[:511], ""},
		{"fat12", sector(func(b []byte) { copy(b[54:], "FAT12   ") }), "fat"},
		{"fat16", sector(func(b []byte) { copy(b[54:], "FAT16   ") }), "fat"},
		{"fat32", sector(func(b []byte) { copy(b[82:], "FAT32   ") }), "fat"},
		{"exfat", sector(func(b []byte) { copy(b[3:], "EXFAT   ") }), "exfat"},
		{"ext", ext, "ext"},
		{"ext-bad-block-size", append(append([]byte(nil), ext[:0x418]...), append([]byte{7, 0, 0, 0}, ext[0x41c:]...)...), ""},
		{"ext-short", ext[:0x43f], ""},
		{"zeros", make([]byte, 4096), ""},
		{"empty", nil, ""},
	} {
		got := ""
		if f := Detect(tt.b); f != nil {
			got = f.Name
		}
		if got != tt.want {
			t.Errorf("%s: Detect = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestDetectAt names the volumes of a test image.
func TestDetectAt(t *testing.T) {
	img := testfixture.Image(t, "mbr-ntfs-ext4.raw")
	r := bytes.NewReader(img)
	for off, want := range map[int64]string{0: "", 2048 * 512: "ntfs", 20480 * 512: "ext"} {
		got := ""
		if f := DetectAt(r, off); f != nil {
			got = f.Name
		}
		if got != want {
			t.Errorf("volume at %#x: %q, want %q", off, got, want)
		}
	}
}

// FuzzDetect: no probe fails on any input.
func FuzzDetect(f *testing.F) {
	f.Add(sector(func(b []byte) { copy(b[3:], "NTFS    ") }))
	f.Add(make([]byte, 0x440))
	f.Fuzz(func(t *testing.T, b []byte) { Detect(b) })
}
