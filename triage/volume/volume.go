// Package volume reads the volume system of a disk image: a DOS (MBR)
// partition table with its extended/logical chain, a GUID partition table
// (GPT) behind its protective MBR, or no table at all (a bare volume).
//
// Read never trusts the table: every offset and count is checked against
// the image size and a named maximum, the extended chain is guarded against
// loops, and GPT header and entry-array CRC32s are verified, with the backup
// header as a fallback. What is wrong but survivable is returned in
// Table.Problems; Read fails only when nothing usable is found.
package volume

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/formats"
)

// Schemes of a Table.
const (
	SchemeMBR  = "mbr"
	SchemeGPT  = "gpt"
	SchemeNone = "none" // no partition table: the whole image is one volume
)

// Limits on what a table may declare.
const (
	MaxLogical      = 128  // logical partitions in an extended chain
	MaxGPTEntries   = 1024 // GPT partition entries read
	MaxGPTEntrySize = 4096
)

// Partition is one volume of the image.
type Partition struct {
	Index  int    // 0-based, in order of start offset
	Slot   string // where the table holds it: "0".."3" primary, "4".. logical, GPT entry number
	Offset int64  // bytes from the start of the image
	Length int64  // bytes
	// Type is the partition type as a name ("Linux (0x83)", "EFI System")
	// and TypeID the raw value ("0x83", or the type GUID).
	Type   string
	TypeID string
	GUID   string // GPT unique partition GUID
	Label  string // GPT partition name
	// Start and End are the first and last sector, as mmls shows them.
	Start, End int64
	// TableNum and EntryNum say where the Sleuth Kit's mmls places the
	// entry: the table (0 the MBR, 1... the extended boot records in
	// chain order; -1 for GPT) and the entry within it.
	TableNum, EntryNum int
	// PV is set when the partition is a physical volume of a volume
	// manager (LVM) whose metadata was read: its content is examined
	// through the logical volumes of Table.Logical.
	PV *PV
}

// Meta is a range of sectors the volume system itself uses.
type Meta struct {
	Start, End int64 // first and last sector
	Desc       string
}

// Table is the volume system of an image.
type Table struct {
	Scheme     string
	SectorSize int
	DiskGUID   string // GPT only
	Partitions []Partition
	// Meta are the sectors the volume system itself uses (its tables,
	// the extended partitions that hold logical ones, the GPT header), in
	// the order they were read, as mmls lists them.
	Meta []Meta
	// Logical are the volumes that volume managers (LVM) assemble from
	// the partitions, numbered after them.
	Logical []Logical
	// MetadataHistory lists, by the index of a partition that is a
	// physical volume, the copies of its volume group's metadata that its
	// metadata area still holds, the current one included, in the order
	// of the area.
	MetadataHistory map[int][]MetadataVersion
	// Problems are inconsistencies that did not stop the read: a bad
	// primary GPT header, a partition running past the end of the image,
	// a loop in the extended chain, LVM metadata that does not parse.
	Problems []error
}

// FormatError reports malformed bytes in a partition table.
type FormatError struct {
	Off int64
	Msg string
}

func (e *FormatError) Error() string { return fmt.Sprintf("volume: %s at byte %#x", e.Msg, e.Off) }

// Offset returns the image offset of the problem.
func (e *FormatError) Offset() int64 { return e.Off }

// ErrTruncated is returned when the image is too small to hold a sector.
var ErrTruncated = errors.New("the image is smaller than one sector")

// Read reads the volume system of the image r of the given size. A sector
// 0 that is a file-system boot sector, or has no valid table, gives a bare
// volume covering the whole image.
func Read(r io.ReaderAt, size int64) (*Table, error) {
	if size < 512 {
		return nil, ErrTruncated
	}
	mbr := make([]byte, 512)
	if _, err := r.ReadAt(mbr, 0); err != nil && !(errors.Is(err, io.EOF)) {
		return nil, fmt.Errorf("failed to read sector 0: %w", err)
	}
	// The file-system probe reads further (the ext superblock is at 1024):
	// a read error past sector 0 only shortens it.
	probe := make([]byte, min(size, fs.ProbeSize))
	if n, _ := r.ReadAt(probe, 0); n >= 512 {
		probe = probe[:n]
	} else {
		probe = mbr
	}
	t := &Table{SectorSize: 512}
	if formats.Detect(probe) != nil || !SaneMBR(mbr) {
		t.Scheme = SchemeNone
		t.Partitions = []Partition{{Index: 0, Slot: "-", TableNum: -1, Offset: 0, Length: size, Type: "none", Start: 0, End: (size - 1) / 512}}
		readManagers(r, size, t)
		return t, nil
	}
	for i := range 4 {
		if mbr[446+16*i+4] == 0xee {
			err := readGPT(r, size, t)
			if err == nil {
				readManagers(r, size, t)
				return t, nil
			}
			t.Problems = append(t.Problems, fmt.Errorf("no usable GPT behind the protective MBR, reading the MBR: %w", err))
			break
		}
	}
	t.Scheme = SchemeMBR
	t.SectorSize = 512
	t.DiskGUID = ""
	t.Partitions = nil
	t.Meta = nil
	readMBR(r, size, mbr, t)
	sortPartitions(t)
	readManagers(r, size, t)
	return t, nil
}

// readManagers reads the volume managers whose physical volumes are
// partitions of t (or the whole image).
func readManagers(r io.ReaderAt, size int64, t *Table) {
	for _, m := range managers {
		m(r, size, t)
	}
}

// SaneMBR reports whether sector b (at least 512 bytes) holds a DOS
// partition table: the 55AA signature, boot flags 0x00 or 0x80 (what every
// partitioning tool writes), at least one used entry, and no used entry
// that is empty or starts at sector 0 (but a GPT protective entry). A boot
// sector or a sector of other data that ends in 55AA fails it.
func SaneMBR(b []byte) bool {
	if len(b) < 512 || b[510] != 0x55 || b[511] != 0xaa {
		return false
	}
	used := 0
	for i := range 4 {
		e := b[446+16*i : 446+16*i+16]
		if e[0] != 0 && e[0] != 0x80 {
			return false
		}
		if e[4] == 0 {
			continue
		}
		start := binary.LittleEndian.Uint32(e[8:])
		count := binary.LittleEndian.Uint32(e[12:])
		if count == 0 || (start == 0 && e[4] != 0xee) {
			return false
		}
		used++
	}
	return used > 0
}

// FSType names the file system whose boot sector or superblock starts b
// (the first fs.ProbeSize bytes of a volume, or fewer), or returns "". The
// file systems are those of the table formats.All.
func FSType(b []byte) string {
	if f := formats.Detect(b); f != nil {
		return f.Name
	}
	return ""
}

// DetectFS reads the start of the volume at off and names its file system,
// or returns "".
func DetectFS(r io.ReaderAt, off int64) string {
	if f := formats.DetectAt(r, off); f != nil {
		return f.Name
	}
	return ""
}

func isExtended(t byte) bool { return t == 0x05 || t == 0x0f || t == 0x85 }

func readMBR(r io.ReaderAt, size int64, mbr []byte, t *Table) {
	t.Meta = append(t.Meta, Meta{0, 0, "Primary Table (#0)"})
	var ext []struct{ start, count uint32 }
	for i := range 4 {
		e := mbr[446+16*i : 446+16*i+16]
		typ := e[4]
		start := binary.LittleEndian.Uint32(e[8:])
		count := binary.LittleEndian.Uint32(e[12:])
		if typ == 0 || count == 0 {
			continue
		}
		if isExtended(typ) {
			t.Meta = append(t.Meta, Meta{int64(start), int64(start) + int64(count) - 1, fmt.Sprintf("%s (0x%02x)", mbrTypeName(typ), typ)})
			ext = append(ext, struct{ start, count uint32 }{start, count})
			continue
		}
		addMBRPartition(t, size, fmt.Sprint(i), typ, int64(start), int64(count), int64(446+16*i))
		t.Partitions[len(t.Partitions)-1].EntryNum = i
	}
	slot := 4
	for _, x := range ext {
		table := 0 // as the Sleuth Kit numbers them: from 1 in each extended partition
		extStart := int64(x.start)
		ebr := extStart
		seen := map[int64]bool{}
		for n := 0; ; n++ {
			if n >= MaxLogical {
				t.Problems = append(t.Problems, &FormatError{ebr * 512, fmt.Sprintf("more than %d logical partitions in the extended partition; rest ignored", MaxLogical)})
				break
			}
			if seen[ebr] {
				t.Problems = append(t.Problems, &FormatError{ebr * 512, "loop in the extended partition chain"})
				break
			}
			seen[ebr] = true
			if ebr*512+512 > size {
				t.Problems = append(t.Problems, &FormatError{ebr * 512, "extended boot record past the end of the image"})
				break
			}
			b := make([]byte, 512)
			if _, err := r.ReadAt(b, ebr*512); err != nil {
				t.Problems = append(t.Problems, &FormatError{ebr * 512, fmt.Sprintf("failed to read extended boot record: %v", err)})
				break
			}
			if b[510] != 0x55 || b[511] != 0xaa {
				t.Problems = append(t.Problems, &FormatError{ebr*512 + 510, "extended boot record without 55aa signature"})
				break
			}
			table++
			t.Meta = append(t.Meta, Meta{ebr, ebr, fmt.Sprintf("Extended Table (#%d)", table)})
			e1, e2 := b[446:462], b[462:478]
			if e1[4] != 0 && binary.LittleEndian.Uint32(e1[12:]) != 0 {
				addMBRPartition(t, size, fmt.Sprint(slot), e1[4], ebr+int64(binary.LittleEndian.Uint32(e1[8:])),
					int64(binary.LittleEndian.Uint32(e1[12:])), ebr*512+446)
				t.Partitions[len(t.Partitions)-1].TableNum = table
				slot++
			}
			if e2[4] == 0 || !isExtended(e2[4]) || binary.LittleEndian.Uint32(e2[12:]) == 0 {
				break
			}
			next := extStart + int64(binary.LittleEndian.Uint32(e2[8:]))
			t.Meta = append(t.Meta, Meta{next, next + int64(binary.LittleEndian.Uint32(e2[12:])) - 1, fmt.Sprintf("%s (0x%02x)", mbrTypeName(e2[4]), e2[4])})
			ebr = next
		}
	}
}

func addMBRPartition(t *Table, size int64, slot string, typ byte, start, count, entryOff int64) {
	p := Partition{Slot: slot, Offset: start * 512, Length: count * 512, Start: start, End: start + count - 1,
		Type: fmt.Sprintf("%s (0x%02x)", mbrTypeName(typ), typ), TypeID: fmt.Sprintf("0x%02x", typ)}
	if p.Offset+p.Length > size {
		t.Problems = append(t.Problems, &FormatError{entryOff, fmt.Sprintf("partition %s (sectors %d-%d) runs past the end of the image (%d sectors)", slot, p.Start, p.End, size/512)})
	}
	t.Partitions = append(t.Partitions, p)
}

func sortPartitions(t *Table) {
	ps := t.Partitions
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Offset < ps[j-1].Offset; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	for i := range ps {
		ps[i].Index = i
	}
}

// mbrTypeName names a DOS partition type as mmls does.
func mbrTypeName(t byte) string {
	switch t {
	case 0x01:
		return "DOS FAT12"
	case 0x04:
		return "DOS FAT16"
	case 0x05:
		return "DOS Extended"
	case 0x06:
		return "DOS FAT16"
	case 0x07:
		return "NTFS / exFAT"
	case 0x0b:
		return "Win95 FAT32"
	case 0x0c:
		return "Win95 FAT32"
	case 0x0e:
		return "Win95 FAT16"
	case 0x0f:
		return "Win95 Extended"
	case 0x11, 0x14, 0x16, 0x17, 0x1b, 0x1c, 0x1e:
		return "Hidden"
	case 0x27:
		return "Windows Recovery"
	case 0x42:
		return "Windows Dynamic"
	case 0x82:
		return "Linux Swap / Solaris x86"
	case 0x83:
		return "Linux"
	case 0x85:
		return "Linux Extended"
	case 0x8e:
		return "Linux Logical Volume Manager"
	case 0xa5:
		return "FreeBSD"
	case 0xa6:
		return "OpenBSD"
	case 0xa8:
		return "Mac OSX"
	case 0xaf:
		return "Mac OSX HFS"
	case 0xee:
		return "GPT Safety Partition"
	case 0xef:
		return "EFI File System"
	case 0xfd:
		return "Linux RAID"
	}
	return "Unknown Type"
}
