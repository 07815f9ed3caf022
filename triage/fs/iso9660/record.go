package iso9660

import (
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf16"
)

// Directory record flags.
const (
	flagHidden     = 0x01
	flagDir        = 0x02
	flagAssoc      = 0x04
	flagMultiExt   = 0x80
	minRecordSize  = 34
	recordNameBase = 33
)

// record is a directory record.
type record struct {
	off    int64 // byte offset of the record in the volume
	extent uint32
	size   uint32
	flags  byte
	unit   byte // file unit size: interleaved when not 0
	name   []byte
	time   time.Time
	su     []byte // system use area
	suOff  int64  // its offset in the volume
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// parseRecord parses the directory record b (exactly its length) found at
// volume offset off.
func (v *volume) parseRecord(b []byte, off int64) (record, error) {
	if len(b) < minRecordSize || int(b[0]) != len(b) {
		return record{}, v.errf(off, "directory record of %d bytes", len(b))
	}
	n := int(b[32])
	if recordNameBase+n > len(b) {
		return record{}, v.errf(off+32, "name of %d bytes overruns its %d-byte directory record", n, len(b))
	}
	r := record{off: off, extent: le32(b[2:]), size: le32(b[10:]), flags: b[25], unit: b[26],
		name: b[recordNameBase : recordNameBase+n], time: recTime(b[18:25])}
	su := recordNameBase + n
	if n%2 == 0 {
		su++ // padding after an even-length name
	}
	if su < len(b) {
		r.su, r.suOff = b[su:], off+int64(su)
	}
	return r, nil
}

// firstRecord reads the first record of the directory rec (its "." entry).
func (v *volume) firstRecord(rec record) (record, error) {
	off := int64(rec.extent) * v.block
	if off < 0 || off+sector > v.size {
		return record{}, v.errf(rec.off+2, "directory extent %d outside the volume", rec.extent)
	}
	b := make([]byte, sector)
	if _, err := v.r.ReadAt(b, off); err != nil {
		return record{}, err
	}
	l := int(b[0])
	if l < minRecordSize {
		return record{}, v.errf(off, "empty directory")
	}
	return v.parseRecord(b[:l], off)
}

// recTime decodes the 7-byte recording date of a directory record: years
// since 1900, month, day, hour, minute, second, and the offset from GMT
// in 15-minute units. All zero is no date.
func recTime(b []byte) time.Time {
	if b[0] == 0 && b[1] == 0 && b[2] == 0 {
		return time.Time{}
	}
	if b[1] < 1 || b[1] > 12 || b[2] < 1 || b[2] > 31 || b[3] > 23 || b[4] > 59 || b[5] > 60 {
		return time.Time{}
	}
	zone := time.FixedZone("", int(int8(b[6]))*15*60)
	return time.Date(1900+int(b[0]), time.Month(b[1]), int(b[2]), int(b[3]), int(b[4]), int(b[5]), 0, zone).UTC()
}

// decTime decodes a 17-byte "dec-datetime" (digits YYYYMMDDHHMMSScc and a
// GMT offset); all zeros or digits out of range are no date.
func decTime(b []byte) time.Time {
	if len(b) < 17 {
		return time.Time{}
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[4:6])
	d, ok3 := num(b[6:8])
	h, ok4 := num(b[8:10])
	mi, ok5 := num(b[10:12])
	s, ok6 := num(b[12:14])
	cs, ok7 := num(b[14:16])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || y == 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}
	}
	zone := time.FixedZone("", int(int8(b[16]))*15*60)
	return time.Date(y, time.Month(mo), d, h, mi, s, cs*10_000_000, zone).UTC()
}

// isoName turns an ISO 9660 file identifier into a name: the ";1" version
// and a trailing "." of a name without extension are dropped.
func isoName(b []byte, dir bool) string {
	s := string(b)
	if !dir {
		if i := strings.LastIndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// decodeUCS2 decodes a Joliet (UCS-2 big-endian, in practice UTF-16BE)
// name; an odd trailing byte is dropped.
func decodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// jolietName is decodeUCS2 without the ";1" version of a file.
func jolietName(b []byte, dir bool) string {
	s := decodeUCS2(b)
	if !dir {
		if i := strings.LastIndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
	}
	return s
}

func trimPad(s string) string { return strings.TrimRight(s, " \x00") }

// trimPadUCS2 drops the trailing UCS-2 spaces and NULs of a Joliet field.
func trimPadUCS2(b []byte) string {
	for len(b) >= 2 && (b[len(b)-2] == 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == 0)) {
		b = b[:len(b)-2]
	}
	return string(b)
}
