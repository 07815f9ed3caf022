package volume

import (
	"io"
	"sort"
)

// Logical is a volume that a volume manager assembles from partitions (an
// LVM logical volume): its bytes lie in extents of the image that need not
// be contiguous nor in order. Logical volumes are numbered after the
// partitions of the table.
type Logical struct {
	Index  int
	System string // the volume manager: "lvm"
	// Name is "GROUP/VOLUME"; UUID the manager's identifier of the volume.
	Name, UUID string
	// Type describes the mapping: "LVM linear", "LVM striped", "LVM thin"...
	Type   string
	Length int64 // bytes
	// Offset is the image offset of its first byte, or of its first
	// extent when it is not mapped; -1 when that is not in the image.
	Offset int64
	// Extents map the volume to the image, in order, when its content can
	// be read; nil when it is not examined.
	Extents []Extent
	// Members are the indexes of the partitions holding its extents.
	Members []int
	// NotExamined says why its content is not read ("LVM striped"), ""
	// when it is.
	NotExamined string
	// Details are what the manager knows of it (group, segments), as
	// recorded in the case.
	Details map[string]any
}

// Extent is a run of a logical volume's bytes in the image.
type Extent struct {
	Offset int64 // in the logical volume
	Image  int64 // in the image
	Length int64
}

// PV is set on a partition that is a physical volume of a volume manager
// whose metadata was read: its content is examined through the logical
// volumes of Table.Logical.
type PV struct {
	System    string // "lvm"
	Group     string // the volume group's name
	GroupUUID string
	UUID      string
}

// MetadataVersion is one copy of a volume group's metadata found in a
// physical volume.
type MetadataVersion struct {
	Group   string // the volume group it describes
	Seqno   int64
	Offset  int64 // image offset of its text
	Length  int64 // bytes, with the text's terminating NUL
	Current bool  // the copy the metadata area header points to
	LVs     []MetadataLV
	Error   string // why it does not parse (a copy partly written over)
}

// MetadataLV is a visible logical volume of a metadata copy.
type MetadataLV struct {
	Name, UUID string
	Length     int64  // bytes
	Type       string // "linear", or the segment type that is not
}

// Reader returns the content of l read from the image r: an io.ReaderAt
// of l.Length bytes that reads each range from its extent. Reads past the
// end return io.EOF; a range no extent covers reads as an error. It is
// safe for concurrent use when r is.
func (l *Logical) Reader(r io.ReaderAt) io.ReaderAt { return &extentReader{r, l.Extents, l.Length} }

// ImageOffset returns the image offset of byte off of the volume, or -1
// when no extent holds it.
func (l *Logical) ImageOffset(off int64) int64 {
	i := sort.Search(len(l.Extents), func(i int) bool { return l.Extents[i].Offset+l.Extents[i].Length > off })
	if i < len(l.Extents) && l.Extents[i].Offset <= off {
		return l.Extents[i].Image + off - l.Extents[i].Offset
	}
	return -1
}

type extentReader struct {
	r    io.ReaderAt
	ext  []Extent
	size int64
}

func (e *extentReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &FormatError{off, "negative offset in a logical volume"}
	}
	if off >= e.size {
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > e.size-off {
		p, eof = p[:e.size-off], io.EOF
	}
	n := 0
	for n < len(p) {
		o := off + int64(n)
		i := sort.Search(len(e.ext), func(i int) bool { return e.ext[i].Offset+e.ext[i].Length > o })
		if i == len(e.ext) || e.ext[i].Offset > o {
			return n, &FormatError{o, "no extent of the logical volume holds this offset"}
		}
		x := e.ext[i]
		chunk := p[n:min(len(p), n+int(min(x.Offset+x.Length-o, int64(len(p)-n))))]
		m, err := e.r.ReadAt(chunk, x.Image+o-x.Offset)
		n += m
		if m < len(chunk) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
	return n, eof
}
