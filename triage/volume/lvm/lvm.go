// Package lvm reads LVM2 physical volumes: the label in one of the first
// four sectors, the metadata area header and the metadata text that
// describes the volume group, its physical volumes and its logical
// volumes with their segments (see libyal's "Logical Volume Manager (LVM)
// format" and lvm2's own format_text sources).
//
// Nothing is activated or written: a logical volume is read through its
// segment map, from the extents its physical volumes hold. Only linear
// mappings (lvm2's "striped" segments with one stripe, or "linear") are
// mapped; other segment types (striped, mirror, raid, thin, cache,
// snapshot...) are described but not mapped.
//
// Every offset, count and size read from a volume is checked against the
// volume's size and the named maximums before it is used; the metadata
// text is parsed with bounded depth and item count. Errors carry the
// offset in the physical volume (FormatError).
package lvm

import (
	"fmt"
	"io"
	"math"
	"slices"
)

// Limits on what the metadata may declare.
const (
	MaxPVs      = 256
	MaxLVs      = 4096
	MaxSegments = 4096 // segments of one logical volume
	MaxStripes  = 128
)

// PhysicalVolume is one physical volume: its label and the volume group
// its metadata describes.
type PhysicalVolume struct {
	Label *Label
	Group *Group
	// Text is the metadata text the group was parsed from.
	Text []byte
	// Problems are metadata areas that could not be read while another
	// one could, and a search for older metadata that failed.
	Problems []error
	// History holds every copy of the metadata text found in the
	// metadata area the group was read from, the current one included,
	// in the order of the area (see History).
	History []Version
}

// Group is a volume group as one physical volume's metadata describes it.
type Group struct {
	Name       string
	UUID       string
	Seqno      int64
	ExtentSize int64 // bytes
	PVs        []PVInfo
	LVs        []LogicalVolume
}

// PVInfo is a physical volume as the metadata lists it.
type PVInfo struct {
	Name    string // the metadata's key: "pv0"
	UUID    string
	Device  string // the device it was on when the metadata was written (a hint)
	PEStart int64  // bytes from the start of the physical volume to its first extent
	PECount int64
}

// LogicalVolume is one logical volume of a group.
type LogicalVolume struct {
	Name     string
	UUID     string
	Status   []string
	Visible  bool // lvm2 lists it (internal volumes such as RAID images are hidden)
	Segments []Segment
	Extents  int64 // the sum of the segments' extent counts
}

// Segment is a run of logical extents of a logical volume.
type Segment struct {
	StartExtent int64
	ExtentCount int64
	Type        string // "striped", "linear", "mirror", "raid1", "thin"...
	Stripes     []Stripe
	// StripeSize is in bytes, for striped segments of several stripes.
	StripeSize int64
	// Origin and COW name the origin and copy-on-write volumes of a
	// snapshot segment.
	Origin, COW string
}

// Stripe is where a segment's extents lie: a physical volume (by its
// metadata key) and its first extent there.
type Stripe struct {
	PV          string
	StartExtent int64
}

// Linear tells whether the segment maps its extents onto one run of one
// physical volume.
func (s *Segment) Linear() bool {
	return (s.Type == "striped" || s.Type == "linear") && len(s.Stripes) == 1
}

// Unsupported returns the segment type that keeps the volume from being
// mapped ("striped" for several stripes, "thin", "raid1"...), or "" when
// every segment is linear.
func (lv *LogicalVolume) Unsupported() string {
	for i := range lv.Segments {
		if !lv.Segments[i].Linear() {
			return lv.Segments[i].Type
		}
	}
	return ""
}

// PV returns the physical volume the metadata lists under key, or nil.
func (g *Group) PV(key string) *PVInfo {
	for i := range g.PVs {
		if g.PVs[i].Name == key {
			return &g.PVs[i]
		}
	}
	return nil
}

// Read reads the physical volume r of the given size: its label, and the
// metadata of its first metadata area that reads and parses. base is the
// volume's offset in its image: the offsets of the FormatErrors it returns
// (and of those in Problems) are image offsets.
func Read(r io.ReaderAt, base, size int64) (*PhysicalVolume, error) {
	pv, err := read(r, size)
	if fe, ok := err.(*FormatError); ok {
		fe.Off += base
	}
	if pv != nil {
		for _, p := range pv.Problems {
			if fe, ok := p.(*FormatError); ok {
				fe.Off += base
			}
		}
		for i := range pv.History {
			h := &pv.History[i]
			h.Offset += base
			if fe, ok := h.Err.(*FormatError); ok {
				fe.Off += base
			}
		}
	}
	return pv, err
}

func read(r io.ReaderAt, size int64) (*PhysicalVolume, error) {
	l, err := ReadLabel(r, size)
	if err != nil {
		return nil, err
	}
	pv := &PhysicalVolume{Label: l}
	if len(l.Metadata) == 0 {
		return nil, &FormatError{l.Sector * sectorSize, "physical volume without a metadata area"}
	}
	var firstErr error
	for _, a := range l.Metadata {
		text, at, err := ReadMetadata(r, size, a)
		var g *Group
		if err == nil {
			g, err = ParseMetadata(text)
			if fe, ok := err.(*FormatError); ok {
				fe.Off += at // an offset in the text becomes one in the volume
			}
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if firstErr != nil {
			pv.Problems = append(pv.Problems, firstErr)
		}
		pv.Group, pv.Text = g, text
		hist, err := History(r, size, a)
		if err != nil {
			pv.Problems = append(pv.Problems, err)
		}
		pv.History = hist
		return pv, nil
	}
	return nil, firstErr
}

// ParseMetadata parses a metadata text into its volume group.
func ParseMetadata(text []byte) (*Group, error) {
	top, err := parseText(text)
	if err != nil {
		return nil, err
	}
	var vs *section
	for _, s := range top.subs {
		if s.sub("physical_volumes") != nil {
			vs = s
			break
		}
	}
	if vs == nil {
		return nil, &FormatError{0, "metadata text: no volume group section"}
	}
	g := &Group{Name: vs.name, UUID: vs.str("id")}
	g.Seqno, _ = vs.num("seqno")
	es, ok := vs.num("extent_size")
	if !ok || es <= 0 || es > math.MaxInt32 {
		return nil, &FormatError{vs.off, fmt.Sprintf("metadata text: volume group %q: bad extent_size %d", g.Name, es)}
	}
	g.ExtentSize = es * sectorSize
	pvs := vs.sub("physical_volumes")
	if len(pvs.subs) > MaxPVs {
		return nil, &FormatError{pvs.off, fmt.Sprintf("metadata text: more than %d physical volumes", MaxPVs)}
	}
	for _, s := range pvs.subs {
		p := PVInfo{Name: s.name, UUID: s.str("id"), Device: s.str("device")}
		start, ok1 := s.num("pe_start")
		count, ok2 := s.num("pe_count")
		if !ok1 || !ok2 || start < 0 || count < 0 || start > math.MaxInt64/sectorSize || count > math.MaxInt64/g.ExtentSize ||
			start*sectorSize > math.MaxInt64-count*g.ExtentSize {
			return nil, &FormatError{s.off, fmt.Sprintf("metadata text: physical volume %q: bad pe_start %d or pe_count %d", s.name, start, count)}
		}
		p.PEStart, p.PECount = start*sectorSize, count
		g.PVs = append(g.PVs, p)
	}
	if lvs := vs.sub("logical_volumes"); lvs != nil {
		if len(lvs.subs) > MaxLVs {
			return nil, &FormatError{lvs.off, fmt.Sprintf("metadata text: more than %d logical volumes", MaxLVs)}
		}
		for _, s := range lvs.subs {
			lv, err := g.parseLV(s)
			if err != nil {
				return nil, err
			}
			g.LVs = append(g.LVs, *lv)
		}
	}
	return g, nil
}

func (g *Group) parseLV(s *section) (*LogicalVolume, error) {
	lv := &LogicalVolume{Name: s.name, UUID: s.str("id"), Status: s.strings("status")}
	lv.Visible = slices.Contains(lv.Status, "VISIBLE")
	bad := func(off int64, format string, a ...any) error {
		return &FormatError{off, fmt.Sprintf("metadata text: logical volume %q: ", lv.Name) + fmt.Sprintf(format, a...)}
	}
	if len(s.subs) > MaxSegments {
		return nil, bad(s.off, "more than %d segments", MaxSegments)
	}
	maxExtents := math.MaxInt64 / g.ExtentSize
	for _, ss := range s.subs {
		seg := Segment{Type: ss.str("type"), Origin: ss.str("origin"), COW: ss.str("cow_store")}
		var ok1, ok2 bool
		seg.StartExtent, ok1 = ss.num("start_extent")
		seg.ExtentCount, ok2 = ss.num("extent_count")
		if !ok1 || !ok2 || seg.StartExtent != lv.Extents || seg.ExtentCount < 0 || seg.ExtentCount > maxExtents-lv.Extents {
			return nil, bad(ss.off, "segment %s: extents %d+%d do not follow the %d before", ss.name, seg.StartExtent, seg.ExtentCount, lv.Extents)
		}
		if sz, ok := ss.num("stripe_size"); ok && sz > 0 && sz < math.MaxInt32 {
			seg.StripeSize = sz * sectorSize
		}
		list := ss.vals["stripes"].list
		if len(list) > 2*MaxStripes || len(list)%2 != 0 {
			return nil, bad(ss.off, "segment %s: %d stripe values", ss.name, len(list))
		}
		for i := 0; i < len(list); i += 2 {
			if list[i].kind != 's' || list[i+1].kind != 'n' || list[i+1].num < 0 {
				return nil, bad(list[i].off, "segment %s: a stripe is not a volume name and an extent", ss.name)
			}
			seg.Stripes = append(seg.Stripes, Stripe{list[i].str, list[i+1].num})
		}
		if n, ok := ss.num("stripe_count"); ok && n != int64(len(seg.Stripes)) && (seg.Type == "striped" || seg.Type == "linear") {
			return nil, bad(ss.off, "segment %s: stripe_count %d, %d stripes listed", ss.name, n, len(seg.Stripes))
		}
		if seg.Linear() {
			st := seg.Stripes[0]
			p := g.PV(st.PV)
			if p == nil {
				return nil, bad(ss.off, "segment %s: unknown physical volume %q", ss.name, st.PV)
			}
			if st.StartExtent > p.PECount || seg.ExtentCount > p.PECount-st.StartExtent {
				return nil, bad(ss.off, "segment %s: extents %d+%d run past the %d extents of %s", ss.name, st.StartExtent, seg.ExtentCount, p.PECount, st.PV)
			}
		}
		lv.Extents += seg.ExtentCount
		lv.Segments = append(lv.Segments, seg)
	}
	return lv, nil
}

// Size is the logical volume's size in bytes.
func (g *Group) Size(lv *LogicalVolume) int64 { return lv.Extents * g.ExtentSize }

// Extent is a run of a linear logical volume's bytes on a physical volume.
type Extent struct {
	Offset   int64  // in the logical volume
	PV       string // the physical volume's UUID
	PVOffset int64  // in the physical volume
	Length   int64
}

// Map returns where the bytes of the linear logical volume lv lie on its
// physical volumes, in order. lv.Unsupported() must be "".
func (g *Group) Map(lv *LogicalVolume) ([]Extent, error) {
	var out []Extent
	for i := range lv.Segments {
		s := &lv.Segments[i]
		if !s.Linear() {
			return nil, fmt.Errorf("lvm: logical volume %q: segment %d is %s, not linear", lv.Name, i+1, s.Type)
		}
		p := g.PV(s.Stripes[0].PV)
		if p == nil {
			return nil, fmt.Errorf("lvm: logical volume %q: unknown physical volume %q", lv.Name, s.Stripes[0].PV)
		}
		if s.ExtentCount == 0 {
			continue
		}
		out = append(out, Extent{Offset: s.StartExtent * g.ExtentSize, PV: p.UUID,
			PVOffset: p.PEStart + s.Stripes[0].StartExtent*g.ExtentSize, Length: s.ExtentCount * g.ExtentSize})
	}
	return out, nil
}
