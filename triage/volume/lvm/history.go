package lvm

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// Limits of the search for older metadata.
const (
	// MaxHistoryArea is the largest metadata area searched for older
	// copies of the metadata text (lvm2's default area is 1 MiB).
	MaxHistoryArea = 64 << 20
	// MaxVersions is the number of metadata copies read from one area.
	MaxVersions = 4096
	// minText is the shortest text taken for a copy: lvm2's pvck skips
	// shorter ones too (a volume group's text is never that short).
	minText = 256
)

// Version is one copy of the metadata text found in a metadata area: the
// area is a circular buffer in which lvm2 writes each new version of the
// metadata after the previous one, on a 512-byte boundary, so the older
// versions stay until the buffer wraps over them.
type Version struct {
	// Offset is the text's offset in the physical volume (an image
	// offset after Read); Length its size with the NUL that ends it, as
	// lvm2 counts it.
	Offset, Length int64
	// Seqno is the sequence number the text's third line gives.
	Seqno int64
	// Current is set on the copy the area header points to.
	Current bool
	// Group is the parsed text, nil when it does not parse (an old copy
	// partly written over); Err says why.
	Group *Group
	Err   error
}

// History searches the metadata area a of the physical volume r (size
// bytes) for every copy of the metadata text, as lvm2's "pvck --dump
// metadata_all" does: at each 512-byte boundary of the circular buffer
// after the area header, a line "NAME {" followed by an "id = " line and a
// "seqno = N" line starts a copy, which runs to the first NUL byte,
// wrapping from the end of the area to the start of the buffer (and no
// further than the first copy found). Copies come in the order of the
// area; each is parsed. An area larger than MaxHistoryArea is not
// searched.
func History(r io.ReaderAt, size int64, a Area) ([]Version, error) {
	start := int64(a.Offset)
	if a.Offset > uint64(size) || a.Size < mdaHdrSize || a.Size > uint64(size) || start+int64(a.Size) > size {
		return nil, &FormatError{start, fmt.Sprintf("metadata area (%d bytes) lies outside the volume (%d bytes)", a.Size, size)}
	}
	if a.Size > MaxHistoryArea {
		return nil, &FormatError{start, fmt.Sprintf("metadata area of %d bytes is larger than %d: older metadata not searched", a.Size, MaxHistoryArea)}
	}
	buf := make([]byte, a.Size)
	if _, err := r.ReadAt(buf, start); err != nil && err != io.EOF {
		return nil, fmt.Errorf("lvm: failed to read the metadata area at byte %#x: %w", start, err)
	}
	cur := int64(-1)
	if _, at, err := ReadMetadata(r, size, a); err == nil {
		cur = at
	}
	var out []Version
	first := 0
	for o := mdaHdrSize; o+mdaHdrSize <= len(buf); {
		seqno, ok := versionStart(buf[o:])
		if !ok {
			o += mdaHdrSize
			continue
		}
		text := copyOut(buf, o, first)
		if text == nil {
			// no NUL after o nor where a text could wrap to: none after
			// it either
			break
		}
		if len(text) < minText {
			o += mdaHdrSize
			continue
		}
		if len(out) >= MaxVersions {
			return out, &FormatError{start + int64(o), fmt.Sprintf("more than %d copies of the metadata text", MaxVersions)}
		}
		if first == 0 {
			first = o
		}
		v := Version{Offset: start + int64(o), Length: int64(len(text)) + 1, Seqno: seqno, Current: start+int64(o) == cur}
		v.Group, v.Err = ParseMetadata(text)
		if fe, ok := v.Err.(*FormatError); ok {
			fe.Off += v.Offset
		}
		out = append(out, v)
		o += (len(text) + 1 + mdaHdrSize - 1) / mdaHdrSize * mdaHdrSize
	}
	return out, nil
}

// versionStart tells whether b starts a copy of the metadata text: a line
// "NAME {", a line "id = ..." and a line "seqno = N". It returns N.
func versionStart(b []byte) (int64, bool) {
	line := func() []byte {
		i := bytes.IndexByte(b[:min(len(b), 256)], '\n')
		if i < 0 {
			return nil
		}
		l := b[:i]
		b = b[i+1:]
		return l
	}
	l := line()
	name, ok := bytes.CutSuffix(l, []byte(" {"))
	if !ok || len(name) == 0 || len(name) > 128 {
		return 0, false
	}
	for _, c := range name {
		if !identChar(c) {
			return 0, false
		}
	}
	if !bytes.HasPrefix(line(), []byte("id = ")) {
		return 0, false
	}
	n, ok := bytes.CutPrefix(line(), []byte("seqno = "))
	if !ok {
		return 0, false
	}
	seqno, err := strconv.ParseInt(string(bytes.TrimSpace(n)), 10, 64)
	return seqno, err == nil && seqno >= 0
}

// copyOut returns the text from offset o of the area buf up to its NUL:
// past the end of the area it continues after the area header, up to the
// first copy found (stop), or back to o when none was. It returns nil
// when no NUL ends it.
func copyOut(buf []byte, o, stop int) []byte {
	if i := bytes.IndexByte(buf[o:], 0); i >= 0 {
		return buf[o : o+i : o+i]
	}
	if stop == 0 {
		stop = o
	}
	i := bytes.IndexByte(buf[mdaHdrSize:stop], 0)
	if i < 0 {
		return nil
	}
	return append(append([]byte(nil), buf[o:]...), buf[mdaHdrSize:mdaHdrSize+i]...)
}
