package fat

import (
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Attr holds the attribute byte of a directory entry.
type Attr uint8

// Attribute bits.
const (
	AttrReadOnly Attr = 0x01
	AttrHidden   Attr = 0x02
	AttrSystem   Attr = 0x04
	AttrVolume   Attr = 0x08
	AttrDir      Attr = 0x10
	AttrArchive  Attr = 0x20
	attrLFN      Attr = 0x0f
)

func (a Attr) ReadOnly() bool { return a&AttrReadOnly != 0 }
func (a Attr) Hidden() bool   { return a&AttrHidden != 0 }
func (a Attr) System() bool   { return a&AttrSystem != 0 }
func (a Attr) Archive() bool  { return a&AttrArchive != 0 }

// Names returns the set attributes by name ("read-only", "hidden",
// "system", "archive"), in that order.
func (a Attr) Names() []string {
	var n []string
	for _, x := range [...]struct {
		bit  Attr
		name string
	}{{AttrReadOnly, "read-only"}, {AttrHidden, "hidden"}, {AttrSystem, "system"}, {AttrArchive, "archive"}} {
		if a&x.bit != 0 {
			n = append(n, x.name)
		}
	}
	return n
}

const (
	entrySize  = 32
	maxLFNEnts = 20 // 255 characters, 13 per entry
	ntLowBase  = 0x08
	ntLowExt   = 0x10
)

// dirent is one file or folder entry of a directory, with its long name.
type dirent struct {
	off      int64 // volume offset of the 8.3 entry
	lfnOff   int64 // volume offset of the first long-name entry, -1 when none
	short    [11]byte
	units    []uint16 // the long name, nil when none (valid during the callback only)
	rawShort []byte   // the 8.3 name's bytes, in the folder's buffer
	attr     Attr
	ntres    uint8
	deleted  bool
	first    uint32
	size     uint32
	ctime    time.Time
	mtime    time.Time
	atime    time.Time
	shortStr string
}

// lfnState gathers the long-name entries before an 8.3 entry.
type lfnState struct {
	units   [maxLFNEnts * 13]uint16
	count   int  // parts of the set
	next    int  // live: the order number expected next (0 when complete)
	sum     byte // checksum the parts carry
	valid   bool
	deleted bool
	parts   int // deleted: parts seen, in disk order (highest order first)
	del     [maxLFNEnts][13]uint16
	off     int64
}

func (l *lfnState) reset() { l.valid, l.count, l.parts = false, 0, 0 }

// lfnChars reads the 13 UCS-2 characters of a long-name entry.
func lfnChars(e []byte, dst *[13]uint16) {
	for i, o := range [13]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
		dst[i] = binary.LittleEndian.Uint16(e[o:])
	}
}

func (l *lfnState) add(e []byte, off int64) {
	var part [13]uint16
	lfnChars(e, &part)
	sum := e[13]
	if e[0] == 0xe5 {
		if !l.deleted || !l.valid || sum != l.sum || l.parts >= maxLFNEnts {
			l.reset()
			l.deleted, l.valid, l.sum, l.off = true, true, sum, off
		}
		l.del[l.parts] = part
		l.parts++
		return
	}
	ord := int(e[0] & 0x1f)
	if e[0]&0x40 != 0 {
		l.reset()
		if ord < 1 || ord > maxLFNEnts {
			return
		}
		l.deleted, l.valid, l.count, l.next, l.sum, l.off = false, true, ord, ord, sum, off
	}
	if !l.valid || l.deleted || ord != l.next || sum != l.sum {
		l.reset()
		return
	}
	copy(l.units[(ord-1)*13:], part[:])
	l.next--
}

// name returns the long name for the 8.3 entry short (whose first byte is
// 0xe5 when deleted), or false.
func (l *lfnState) name(short *[11]byte, deleted bool) ([]uint16, bool) {
	if !l.valid {
		return nil, false
	}
	var units []uint16
	if l.deleted {
		if !deleted {
			return nil, false
		}
		units = l.units[:0]
		for k := l.parts - 1; k >= 0; k-- {
			units = append(units, l.del[k][:]...)
		}
	} else {
		if l.next != 0 || checksum(short) != l.sum {
			return nil, false
		}
		units = l.units[:l.count*13]
	}
	for i, u := range units {
		if u == 0 {
			// After the terminator, the last part is padded with 0xffff:
			// in a deleted set, anything else means parts of different
			// names were joined (some writers pad live names with zeros).
			for _, p := range units[i+1:] {
				if p != 0xffff && l.deleted {
					return nil, false
				}
			}
			units = units[:i]
			break
		}
	}
	if len(units) == 0 || len(units) > 255 {
		return nil, false
	}
	if l.deleted && !deletedSumMatches(short, l.sum, units) {
		return nil, false
	}
	return units, true
}

// deletedSumMatches checks a deleted long name against its 8.3 entry, whose
// first byte is lost. Every checksum is reached by exactly one first byte,
// so that byte must also be the one the long name gives the 8.3 name.
func deletedSumMatches(short *[11]byte, sum byte, units []uint16) bool {
	n := *short
	// The first character of the 8.3 name derives from the long name's
	// first one that is not a dot or a space.
	var c uint16
	for _, u := range units {
		if u != '.' && u != ' ' {
			c = u
			break
		}
	}
	want := -1
	switch {
	case c >= 'a' && c <= 'z':
		want = int(c - 'a' + 'A')
	case c < 0x80 && c > ' ' && !strings.ContainsRune(`"*+,/:;<=>?[\]|`, rune(c)):
		want = int(c)
	}
	for b := 0; b < 256; b++ {
		n[0] = byte(b)
		if checksum(&n) == sum {
			// Characters the 8.3 name cannot hold become "_"; others
			// come from the code page: accept any byte a name may start
			// with.
			return b == want || (want < 0 && b >= 0x20 && b != 0xe5)
		}
	}
	return false
}

// checksum is the long-name checksum of an 8.3 name.
func checksum(n *[11]byte) byte {
	var s byte
	for _, c := range n {
		s = (s>>1 | s<<7) + c
	}
	return s
}

// plausible rejects 8.3 entries that cannot be files: used for deleted
// entries and the content of deleted folders, which may be anything.
func plausible(e []byte) bool {
	if e[11]&0xc0 != 0 {
		return false
	}
	for i := 0; i < 11; i++ {
		c := e[i]
		if i == 0 && (c == 0xe5 || c == 0x05) {
			continue
		}
		if c < 0x20 || c == 0x7f || strings.IndexByte(`"*/:<>?\|`, c) >= 0 {
			return false
		}
	}
	// A deleted entry whose name is otherwise blank is a wiped slot.
	return e[0] != 0xe5 || string(e[1:11]) != "          "
}

// decodeShort returns the 8.3 name of n as shown: "NAME.EXT" with the NT
// lower-case flags applied, the first character "_" when deleted.
func (fs *FS) decodeShort(n *[11]byte, ntres uint8, deleted bool) string {
	b := *n
	if b[0] == 0x05 {
		b[0] = 0xe5
	}
	base, ext := trimSpaces(b[:8]), trimSpaces(b[8:11])
	var s strings.Builder
	s.Grow(13)
	for i, c := range base {
		if i == 0 && deleted {
			s.WriteByte('_')
			continue
		}
		fs.cp.writeByte(&s, c, ntres&ntLowBase != 0)
	}
	if len(ext) > 0 {
		s.WriteByte('.')
		for _, c := range ext {
			fs.cp.writeByte(&s, c, ntres&ntLowExt != 0)
		}
	}
	return s.String()
}

func trimSpaces(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// writeUTF16 writes a long name as UTF-8; unpaired surrogates become
// U+FFFD (the raw bytes keep them).
func writeUTF16(s *strings.Builder, units []uint16) {
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u < 0x80:
			s.WriteByte(byte(u))
		case utf16.IsSurrogate(rune(u)) && i+1 < len(units):
			r := utf16.DecodeRune(rune(u), rune(units[i+1]))
			if r != utf8.RuneError {
				i++
			}
			s.WriteRune(r)
		default:
			if utf16.IsSurrogate(rune(u)) {
				s.WriteRune(utf8.RuneError)
			} else {
				s.WriteRune(rune(u))
			}
		}
	}
}

func utf16Raw(units []uint16) []byte {
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return b
}

// fatTime converts a FAT date and time (2 s units) plus hundredths (0-199,
// 10 ms units) to a time in loc. A zero date, or fields out of range, give
// the zero time.
func fatTime(date, tm uint16, tenths uint8, loc *time.Location) time.Time {
	if date == 0 {
		return time.Time{}
	}
	y, mo, d := int(date>>9)+1980, int(date>>5&0x0f), int(date&0x1f)
	h, mi, s := int(tm>>11), int(tm>>5&0x3f), int(tm&0x1f)*2
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || tenths > 199 {
		return time.Time{}
	}
	ns := int(tenths) * 10 * int(time.Millisecond)
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, loc)
}

// parseEntry fills d from the 8.3 entry e.
func (fs *FS) parseEntry(e []byte, d *dirent) {
	copy(d.short[:], e[:11])
	d.attr = Attr(e[11])
	d.ntres = e[12]
	d.first = uint32(binary.LittleEndian.Uint16(e[26:]))
	if fs.Type == FAT32 {
		d.first |= uint32(binary.LittleEndian.Uint16(e[20:])) << 16
	}
	d.size = binary.LittleEndian.Uint32(e[28:])
	d.ctime = fatTime(binary.LittleEndian.Uint16(e[16:]), binary.LittleEndian.Uint16(e[14:]), e[13], fs.loc)
	d.mtime = fatTime(binary.LittleEndian.Uint16(e[24:]), binary.LittleEndian.Uint16(e[22:]), 0, fs.loc)
	d.atime = fatTime(binary.LittleEndian.Uint16(e[18:]), 0, 0, fs.loc)
}

// extent is a stretch of a folder's bytes in the volume.
type extent struct{ off, n int64 }

// parseDir calls fn for every file and folder entry of the folder held in
// buf (read from locs). inDeleted is set for a deleted folder: its entries
// are all deleted and checked for plausibility. The dirent is reused: fn
// must copy what it keeps; its rawShort refers to buf.
func (fs *FS) parseDir(buf []byte, locs []extent, inDeleted bool, fn func(*dirent)) {
	var l lfnState
	var d dirent
	li, base := 0, int64(0) // locs index and the dir position where it starts
	for pos := 0; pos+entrySize <= len(buf); pos += entrySize {
		for li < len(locs)-1 && int64(pos) >= base+locs[li].n {
			base += locs[li].n
			li++
		}
		off := locs[li].off + int64(pos) - base
		e := buf[pos : pos+entrySize]
		if e[0] == 0 {
			return // end of the folder
		}
		attr := Attr(e[11])
		if attr&0x3f == attrLFN {
			l.add(e, off)
			continue
		}
		deleted := e[0] == 0xe5
		if attr&AttrVolume != 0 || (e[0] == '.' && (e[1] == ' ' || e[1] == '.')) {
			l.reset()
			continue
		}
		if (deleted || inDeleted) && !plausible(e) {
			l.reset()
			continue
		}
		d = dirent{off: off, lfnOff: -1, rawShort: e[:11:11]}
		fs.parseEntry(e, &d)
		d.deleted = deleted || inDeleted
		d.shortStr = fs.decodeShort(&d.short, d.ntres, deleted)
		if units, ok := l.name(&d.short, deleted); ok {
			d.units = units
			d.lfnOff = l.off
		}
		l.reset()
		fn(&d)
	}
}

// rootLabel returns the label of the root folder's volume label entry.
func (fs *FS) rootLabel() (string, bool) {
	var buf []byte
	if fs.Type == FAT32 {
		buf = make([]byte, fs.ClusterSize)
		if _, err := fs.readFull(buf, fs.clusterOff(fs.p.rootCluster), "root folder"); err != nil {
			return "", false
		}
	} else {
		buf = make([]byte, min(fs.p.rootEntries*entrySize, 64<<10))
		if _, err := fs.readFull(buf, fs.rootOff, "root folder"); err != nil {
			return "", false
		}
	}
	for pos := 0; pos+entrySize <= len(buf); pos += entrySize {
		e := buf[pos : pos+entrySize]
		if e[0] == 0 {
			break
		}
		if e[0] != 0xe5 && Attr(e[11])&0x3f != attrLFN && Attr(e[11])&(AttrVolume|AttrDir) == AttrVolume {
			return trimLabel(fs.cp.decode(e[:11], false)), true
		}
	}
	return "", false
}
