package lvm

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/triagekit/triage/internal/lvmtest"
)

// FuzzRead reads hostile physical volumes: the label, the metadata area
// header, the text and the group it describes, and maps every linear
// logical volume, whose extents must lie in the volume.
func FuzzRead(f *testing.F) {
	f.Add(lvmtest.SmallPV(16<<10, 12<<10, lvmtest.FixtureUUID, lvmtest.FixtureText)[:16<<10])
	f.Add(lvmtest.SmallPV(4096+4096, 4096, lvmtest.FixtureUUID, `vg { extent_size = 8 physical_volumes { pv0 { id = "x" pe_start = 8 pe_count = 1 } } }`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pv, err := Read(bytes.NewReader(b), 0, int64(len(b)))
		if err != nil {
			return
		}
		g := pv.Group
		for i := range g.LVs {
			lv := &g.LVs[i]
			if lv.Unsupported() != "" {
				continue
			}
			ext, err := g.Map(lv)
			if err != nil {
				t.Fatalf("linear volume %q not mapped: %v", lv.Name, err)
			}
			for _, e := range ext {
				if e.Length <= 0 || e.PVOffset < 0 || e.Offset < 0 || e.Offset+e.Length > g.Size(lv) {
					t.Fatalf("bad extent %+v of %q", e, lv.Name)
				}
			}
		}
	})
}

// FuzzMetadata parses hostile metadata texts.
func FuzzMetadata(f *testing.F) {
	f.Add([]byte(lvmtest.FixtureText))
	f.Add([]byte(`a { b = [1, "x", -2] c = 1.5 d { } } # end`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseMetadata(b)
		if err != nil {
			return
		}
		for i := range g.LVs {
			g.LVs[i].Unsupported()
			_, _ = g.Map(&g.LVs[i])
		}
	})
}

// FuzzLabel parses hostile label sectors whose signature, sector number
// and checksum are made right, so that the physical volume header and its
// area lists are what varies.
func FuzzLabel(f *testing.F) {
	f.Add(lvmtest.Fixture(nil)[512:1024])
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < sectorSize {
			return
		}
		s := append([]byte(nil), b[:sectorSize]...)
		copy(s, labelID)
		copy(s[8:], []byte{1, 0, 0, 0, 0, 0, 0, 0})
		copy(s[24:], labelType)
		binary.LittleEndian.PutUint32(s[16:], crc(s[20:]))
		l, err := parseLabel(s, 1)
		if err != nil {
			return
		}
		if len(l.Data) > MaxAreas || len(l.Metadata) > MaxAreas {
			t.Fatalf("%d data and %d metadata areas", len(l.Data), len(l.Metadata))
		}
	})
}

// FuzzHistory searches hostile metadata areas for copies of the metadata
// text: every copy found lies in the area and is no longer than it.
func FuzzHistory(f *testing.F) {
	area := make([]byte, 512, 8192)
	for _, t := range []string{lvmtest.FixtureText[:1200] + "}}}", lvmtest.FixtureText} {
		area = append(area, t...)
		area = append(area, 0)
		area = append(area, make([]byte, (512-len(area)%512)%512)...)
	}
	f.Add(area)
	f.Add(append(area[:512:512], area[len(area)-1024:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := History(bytes.NewReader(b), int64(len(b)), Area{0, uint64(len(b))})
		if err != nil {
			return
		}
		for _, v := range h {
			if v.Offset < 512 || v.Offset >= int64(len(b)) || v.Length > int64(len(b)) || (v.Err == nil) == (v.Group == nil) {
				t.Fatalf("version %+v in an area of %d bytes", v, len(b))
			}
		}
	})
}
