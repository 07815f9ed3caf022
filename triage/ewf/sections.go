package ewf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"io"
)

const (
	descriptorSize = 76
	// maxSectionsPerSegment bounds the section walk; the chain also has
	// to move forward, so it ends within the file in any case.
	maxSectionsPerSegment = 1 << 20
	// maxMetaSection bounds the sections read whole into memory other
	// than tables (header, header2, volume, hash, digest, error2).
	maxMetaSection = 16 << 20
	// maxTableEntries bounds the entries of one table section.
	maxTableEntries = 1 << 24
)

// section is one entry of a segment file's section chain.
type section struct {
	typ     string
	off     int64 // descriptor offset in the segment file
	dataOff int64 // off + 76
	end     int64 // end of the section data (the next section's offset)
	size    int64 // size field of the descriptor
}

func (s section) dataLen() int64 { return s.end - s.dataOff }

// readFull reads n bytes at off from seg, checking the bounds first.
func readFull(seg Segment, sec string, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > seg.Size || n > seg.Size-off {
		return nil, &FormatError{Segment: seg.Name, Section: sec, Off: off,
			Msg: fmt.Sprintf("%d bytes extend beyond the end of the file (%d bytes)", n, seg.Size)}
	}
	b := make([]byte, n)
	if _, err := seg.R.ReadAt(b, off); err != nil && !(err == io.EOF && n > 0) {
		return nil, &FormatError{Segment: seg.Name, Section: sec, Off: off, Msg: "read failed", Err: err}
	}
	return b, nil
}

// checkHeader checks the 13-byte file header of segment number want.
func checkHeader(seg Segment, want int) error {
	b, err := readFull(seg, "", 0, fileHeaderSize)
	if err != nil {
		return fmt.Errorf("%w: %s is shorter than a file header", ErrNotEWF, seg.Name)
	}
	switch {
	case bytes.HasPrefix(b, sigEVF):
	case bytes.HasPrefix(b, sigEVF2) || bytes.HasPrefix(b, sigLEF2):
		return fmt.Errorf("%w: %s is an EWF2 (Ex01/Lx01) segment file", ErrUnsupported, seg.Name)
	case bytes.HasPrefix(b, sigLVF):
		return fmt.Errorf("%w: %s is a logical evidence file (L01), which holds files, not media", ErrUnsupported, seg.Name)
	default:
		return &FormatError{Segment: seg.Name, Off: 0, Msg: "bad segment file signature", Val: fmt.Sprintf("%q", b[:8]), Err: ErrNotEWF}
	}
	if num := int(binary.LittleEndian.Uint16(b[9:11])); num != want {
		return &FormatError{Segment: seg.Name, Off: 9, Msg: fmt.Sprintf("segment number %d, want %d", num, want)}
	}
	return nil
}

// walkSections follows the section chain of seg from the file header to
// its next or done section and returns the sections and the terminator.
func walkSections(seg Segment) ([]section, string, error) {
	var secs []section
	off := int64(fileHeaderSize)
	for n := 0; ; n++ {
		if n >= maxSectionsPerSegment {
			return secs, "", &FormatError{Segment: seg.Name, Off: off, Msg: "too many sections"}
		}
		if off > seg.Size-descriptorSize {
			prev := ""
			if len(secs) > 0 {
				prev = " after the " + secs[len(secs)-1].typ + " section"
			}
			return secs, "", &FormatError{Segment: seg.Name, Off: off,
				Msg: fmt.Sprintf("segment file truncated: no section descriptor%s (file is %d bytes)", prev, seg.Size)}
		}
		d, err := readFull(seg, "", off, descriptorSize)
		if err != nil {
			return secs, "", err
		}
		typ := string(bytes.TrimRight(d[:16], "\x00"))
		if want, got := binary.LittleEndian.Uint32(d[72:76]), adler32.Checksum(d[:72]); want != got {
			return secs, "", &FormatError{Segment: seg.Name, Section: printable(typ), Off: off,
				Msg: fmt.Sprintf("section descriptor checksum mismatch (stored %#08x, computed %#08x)", want, got)}
		}
		next := binary.LittleEndian.Uint64(d[16:24])
		size := binary.LittleEndian.Uint64(d[24:32])
		s := section{typ: typ, off: off, dataOff: off + descriptorSize, size: int64(size & (1<<62 - 1))}
		if typ == "next" || typ == "done" {
			// The terminator points to itself; EnCase writes size 0,
			// old FTK Imager 76.
			s.end = s.dataOff
			secs = append(secs, s)
			if next != uint64(off) && next != uint64(off)+descriptorSize {
				return secs, "", &FormatError{Segment: seg.Name, Section: typ, Off: off,
					Msg: "terminator does not point to itself: next offset", Val: next}
			}
			return secs, typ, nil
		}
		if next < uint64(s.dataOff) || next > uint64(seg.Size) {
			return secs, "", &FormatError{Segment: seg.Name, Section: printable(typ), Off: off,
				Msg: fmt.Sprintf("next section offset %#x outside [%#x, %#x] (segment file truncated or descriptor corrupt)", next, s.dataOff, seg.Size)}
		}
		s.end = int64(next)
		secs = append(secs, s)
		off = int64(next)
	}
}

// printable quotes a section type that is not plain ASCII letters.
func printable(t string) string {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Sprintf("%q", t)
		}
	}
	return t
}

// table is a parsed table or table2 section.
type table struct {
	base    int64
	entries []uint32
	// entriesEnd is the file offset after the entry array.
	entriesEnd int64
}

// parseTable parses the data of a table or table2 section, b, which starts
// at file offset dataOff.
func parseTable(b []byte, dataOff int64) (*table, string, int64) {
	if len(b) < 24 {
		return nil, fmt.Sprintf("table header needs 24 bytes, section has %d", len(b)), dataOff
	}
	if want, got := binary.LittleEndian.Uint32(b[20:24]), adler32.Checksum(b[:20]); want != got {
		return nil, fmt.Sprintf("table header checksum mismatch (stored %#08x, computed %#08x)", want, got), dataOff
	}
	n := int64(binary.LittleEndian.Uint32(b[0:4]))
	base := binary.LittleEndian.Uint64(b[8:16])
	if n == 0 || n > maxTableEntries {
		return nil, fmt.Sprintf("table entry count %d out of range [1, %d]", n, maxTableEntries), dataOff
	}
	if base > 1<<62 {
		return nil, fmt.Sprintf("table base offset %#x out of range", base), dataOff + 8
	}
	if 24+4*n > int64(len(b)) {
		return nil, fmt.Sprintf("%d table entries extend beyond the section (%d bytes)", n, len(b)), dataOff
	}
	raw := b[24 : 24+4*n]
	t := &table{base: int64(base), entries: make([]uint32, n), entriesEnd: dataOff + 24 + 4*n}
	for i := range t.entries {
		t.entries[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	// EnCase 1 and later write an Adler-32 of the entry array after it;
	// EWF and SMART put the first chunk there instead.
	first := t.base + int64(t.entries[0]&0x7fffffff)
	if first != t.entriesEnd {
		if 24+4*n+4 > int64(len(b)) {
			return nil, "table footer missing", t.entriesEnd
		}
		if want, got := binary.LittleEndian.Uint32(b[24+4*n:]), adler32.Checksum(raw); want != got {
			return nil, fmt.Sprintf("table entries checksum mismatch (stored %#08x, computed %#08x)", want, got), t.entriesEnd
		}
	}
	return t, "", 0
}
