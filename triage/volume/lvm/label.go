package lvm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Limits on what a physical volume may declare.
const (
	// MaxMetadataSize is the largest metadata text read (lvm2 writes a
	// few KiB; its default metadata area is 1 MiB).
	MaxMetadataSize = 4 << 20
	// MaxAreas is the number of data or metadata area descriptors read
	// from a physical volume header.
	MaxAreas = 8
)

const (
	sectorSize = 512
	labelID    = "LABELONE"
	labelType  = "LVM2 001"
	mdaMagic   = " LVM2 x[5A%r0N*>"
	mdaHdrSize = 512
	crcInitial = 0xf597a6cf
)

// ErrNoLabel is returned when none of the first four sectors holds an LVM2
// physical volume label.
var ErrNoLabel = errors.New("lvm: no physical volume label")

// FormatError reports malformed bytes of a physical volume. Off is an
// offset in the physical volume; the engine adds the volume's base.
type FormatError struct {
	Off int64
	Msg string
}

func (e *FormatError) Error() string { return fmt.Sprintf("lvm: %s at byte %#x", e.Msg, e.Off) }

// Offset returns the offset of the problem in the physical volume.
func (e *FormatError) Offset() int64 { return e.Off }

// crc is lvm2's checksum: CRC-32 (IEEE, reflected) from the initial value
// 0xf597a6cf, without the final inversion.
func crc(b []byte) uint32 { return ^crc32.Update(^uint32(crcInitial), crc32.IEEETable, b) }

// Area is a data or metadata area of a physical volume, in bytes from its
// start. A data area of size 0 runs to the end of the volume.
type Area struct {
	Offset, Size uint64
}

// Label is the physical volume label and header.
type Label struct {
	Sector   int64  // the sector holding the label (0-3)
	UUID     string // formatted as in the metadata: 6-4-4-4-4-4-6 characters
	Size     uint64 // the physical volume's size in bytes, as the header says
	Data     []Area
	Metadata []Area
}

// Probe tells whether b, the first bytes of a volume, holds an LVM2
// physical volume label in one of its first four sectors.
func Probe(b []byte) bool {
	for s := 0; s < 4 && (s+1)*sectorSize <= len(b); s++ {
		sec := b[s*sectorSize : (s+1)*sectorSize]
		if string(sec[:8]) == labelID && string(sec[24:32]) == labelType {
			return true
		}
	}
	return false
}

// ReadLabel finds the label in the first four sectors of the physical
// volume r of the given size and parses its header.
func ReadLabel(r io.ReaderAt, size int64) (*Label, error) {
	buf := make([]byte, 4*sectorSize)
	n, err := r.ReadAt(buf[:min(int64(len(buf)), size)], 0)
	if n < sectorSize*2 && err != nil {
		return nil, fmt.Errorf("lvm: failed to read the label sectors: %w", err)
	}
	for s := 0; (s+1)*sectorSize <= n; s++ {
		sec := buf[s*sectorSize : (s+1)*sectorSize]
		if string(sec[:8]) != labelID {
			continue
		}
		return parseLabel(sec, int64(s))
	}
	return nil, ErrNoLabel
}

// parseLabel parses the label sector b, sector s of the volume.
func parseLabel(b []byte, s int64) (*Label, error) {
	off := s * sectorSize
	if got := binary.LittleEndian.Uint64(b[8:]); got != uint64(s) {
		return nil, &FormatError{off + 8, fmt.Sprintf("label says it is in sector %d, found in sector %d", got, s)}
	}
	if string(b[24:32]) != labelType {
		return nil, &FormatError{off + 24, fmt.Sprintf("unknown label type %q", b[24:32])}
	}
	if want, got := binary.LittleEndian.Uint32(b[16:]), crc(b[20:sectorSize]); want != got {
		return nil, &FormatError{off + 16, fmt.Sprintf("label checksum %#08x, computed %#08x", want, got)}
	}
	h := int(binary.LittleEndian.Uint32(b[20:]))
	if h < 32 || h+40 > sectorSize {
		return nil, &FormatError{off + 20, fmt.Sprintf("physical volume header offset %d outside the label sector", h)}
	}
	l := &Label{Sector: s, UUID: formatUUID(b[h : h+32]), Size: binary.LittleEndian.Uint64(b[h+32:])}
	p := h + 40
	for _, list := range []*[]Area{&l.Data, &l.Metadata} {
		for {
			if p+16 > sectorSize {
				return nil, &FormatError{off + int64(p), "area list runs past the label sector"}
			}
			a := Area{binary.LittleEndian.Uint64(b[p:]), binary.LittleEndian.Uint64(b[p+8:])}
			p += 16
			if a == (Area{}) {
				break
			}
			if len(*list) >= MaxAreas {
				return nil, &FormatError{off + int64(p-16), fmt.Sprintf("more than %d areas", MaxAreas)}
			}
			*list = append(*list, a)
		}
	}
	return l, nil
}

// formatUUID writes a 32-character identifier as lvm2 shows it.
func formatUUID(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) != 32 {
		return string(b)
	}
	var s []byte
	for i, n := range []int{6, 4, 4, 4, 4, 4, 6} {
		if i > 0 {
			s = append(s, '-')
		}
		s = append(s, b[:n]...)
		b = b[n:]
	}
	return string(s)
}

// ReadMetadata reads the current metadata text of the metadata area a of
// the physical volume r (size bytes): the area header's checksum, its
// first raw location, and the text's checksum, following the area's
// circular buffer when the text wraps past its end. It returns the text
// and its offset in the volume.
func ReadMetadata(r io.ReaderAt, size int64, a Area) ([]byte, int64, error) {
	start := int64(a.Offset)
	if a.Offset > uint64(size) || a.Size < mdaHdrSize || a.Size > uint64(size) || start+int64(a.Size) > size {
		return nil, 0, &FormatError{start, fmt.Sprintf("metadata area (%d bytes) lies outside the volume (%d bytes)", a.Size, size)}
	}
	h := make([]byte, mdaHdrSize)
	if _, err := r.ReadAt(h, start); err != nil {
		return nil, 0, fmt.Errorf("lvm: failed to read the metadata area header at byte %#x: %w", start, err)
	}
	if string(h[4:20]) != mdaMagic {
		return nil, 0, &FormatError{start + 4, "no metadata area header signature"}
	}
	if want, got := binary.LittleEndian.Uint32(h), crc(h[4:]); want != got {
		return nil, 0, &FormatError{start, fmt.Sprintf("metadata area header checksum %#08x, computed %#08x", want, got)}
	}
	if v := binary.LittleEndian.Uint32(h[20:]); v != 1 {
		return nil, 0, &FormatError{start + 20, fmt.Sprintf("metadata area header version %d", v)}
	}
	if o := binary.LittleEndian.Uint64(h[24:]); o != a.Offset {
		return nil, 0, &FormatError{start + 24, fmt.Sprintf("metadata area header says it starts at %d, found at %d", o, a.Offset)}
	}
	areaSize := int64(a.Size)
	for i := 0; i < 4; i++ {
		d := h[40+24*i : 64+24*i]
		loc := int64(binary.LittleEndian.Uint64(d))
		n := int64(binary.LittleEndian.Uint64(d[8:]))
		sum := binary.LittleEndian.Uint32(d[16:])
		flags := binary.LittleEndian.Uint32(d[20:])
		if loc == 0 && n == 0 {
			break
		}
		if flags&1 != 0 { // RAW_LOCN_IGNORED
			continue
		}
		doff := start + 40 + 24*int64(i)
		if loc < mdaHdrSize || loc >= areaSize || n <= 0 || n > areaSize-mdaHdrSize || n > MaxMetadataSize {
			return nil, 0, &FormatError{doff, fmt.Sprintf("metadata text (%d bytes at %d) does not fit its area (%d bytes)", n, loc, areaSize)}
		}
		text := make([]byte, n)
		first := min(n, areaSize-loc)
		if _, err := r.ReadAt(text[:first], start+loc); err != nil {
			return nil, 0, fmt.Errorf("lvm: failed to read the metadata text at byte %#x: %w", start+loc, err)
		}
		if first < n { // the circular buffer wraps after the header
			if _, err := r.ReadAt(text[first:], start+mdaHdrSize); err != nil {
				return nil, 0, fmt.Errorf("lvm: failed to read the metadata text at byte %#x: %w", start+mdaHdrSize, err)
			}
		}
		if got := crc(text); got != sum {
			return nil, 0, &FormatError{start + loc, fmt.Sprintf("metadata text checksum %#08x, computed %#08x", sum, got)}
		}
		return bytes.TrimRight(text, "\x00"), start + loc, nil
	}
	return nil, 0, &FormatError{start + 40, "metadata area holds no metadata"}
}
