package ntfsfs

import (
	"encoding/binary"
	"fmt"
)

// RecordInfo is what fls -l prints of an MFT entry besides what ReadEntry
// gives, read from the raw record (its base record only).
type RecordInfo struct {
	// SI are the FILETIMEs of $STANDARD_INFORMATION as stored: created,
	// modified, MFT changed, accessed.
	SI [4]uint64
	// OwnerID is the 32-bit value at offset 48 of $STANDARD_INFORMATION's
	// content: the owner id of NTFS 3.0. The Sleuth Kit reads it there
	// even from the 48-byte attribute of NTFS 1.2 (then it reads the
	// next attribute's type, 48 for a $FILE_NAME), and so does this.
	OwnerID uint32
	// InUse is the entry's in-use flag; Extension is set for an
	// extension record of another entry's $ATTRIBUTE_LIST; Names counts
	// its $FILE_NAME attributes and HasSI tells whether it has a
	// $STANDARD_INFORMATION (the Sleuth Kit lists an entry not in use that
	// has one but no name as $OrphanFiles/OrphanFile-N).
	InUse, Extension, HasSI bool
	Names                   int
	// IndexSizes are the content sizes of the $INDEX_ROOT attributes by
	// attribute id: the size fls gives a folder and an index stream.
	IndexSizes map[uint16]int64
	// Indexes are the $INDEX_ROOT attributes other than $I30, in the
	// order of the record.
	Indexes []IndexAttr
	// IDs are the attribute ids of the base record, Data those of its
	// $DATA attributes, NextID the record's next attribute id: the
	// Sleuth Kit gives an attribute of an extension record whose id the
	// base record already uses the id NextID.
	IDs, Data map[uint16]bool
	NextID    uint16
}

// RecordInfo reads MFT entry i's raw record.
func (fs *FS) RecordInfo(i int64) (*RecordInfo, error) {
	off := fs.EntryOffset(i)
	if off < 0 || off+fs.record > fs.size {
		return nil, &Error{Off: -1, Entry: i, Msg: "MFT entry lies outside the volume or image"}
	}
	b := make([]byte, fs.record)
	if _, err := fs.raw.ReadAt(b, off); err != nil {
		return nil, &Error{Off: fs.base + off, Entry: i, Msg: "failed to read MFT entry", Err: err}
	}
	if string(b[:4]) != "FILE" {
		return nil, ErrNoEntry
	}
	bad := func(msg string, args ...any) error {
		return &Error{Off: fs.base + off, Entry: i, Msg: fmt.Sprintf(msg, args...)}
	}
	// The update sequence array restores the last two bytes of each
	// 512-byte stride.
	uoff, cnt := int(binary.LittleEndian.Uint16(b[4:])), int(binary.LittleEndian.Uint16(b[6:]))
	if cnt == 0 || (cnt-1)*512 > len(b) || uoff+2*cnt > len(b) {
		return nil, bad("bad update sequence (at %d, %d values)", uoff, cnt)
	}
	// A stride whose last bytes do not hold the sequence number was
	// not written whole; it is restored all the same, as go-ntfs does.
	for k := 1; k < cnt; k++ {
		o := k*512 - 2
		copy(b[o:o+2], b[uoff+2*k:uoff+2*k+2])
	}
	info := &RecordInfo{IndexSizes: map[uint16]int64{}, InUse: b[0x16]&1 != 0, IDs: map[uint16]bool{}, Data: map[uint16]bool{},
		NextID:    binary.LittleEndian.Uint16(b[0x28:]),
		Extension: binary.LittleEndian.Uint64(b[0x20:])&0xffffffffffff != 0}
	a := int(binary.LittleEndian.Uint16(b[0x14:]))
	for n := 0; a+16 <= len(b) && n < len(b)/16; n++ { // an attribute header is at least 16 bytes
		typ, l := binary.LittleEndian.Uint32(b[a:]), int(binary.LittleEndian.Uint32(b[a+4:]))
		if typ == 0xffffffff || l < 16 || l > len(b)-a {
			break
		}
		info.IDs[binary.LittleEndian.Uint16(b[a+14:])] = true
		if typ == 0x80 {
			info.Data[binary.LittleEndian.Uint16(b[a+14:])] = true
		}
		if b[a+8] == 0 && a+24 <= len(b) { // resident
			size, coff := int(binary.LittleEndian.Uint32(b[a+16:])), int(binary.LittleEndian.Uint16(b[a+20:]))
			c := a + coff
			switch typ {
			case 0x30:
				info.Names++
			case 0x10:
				info.HasSI = true
				if c+32 <= len(b) {
					for k := range info.SI {
						info.SI[k] = binary.LittleEndian.Uint64(b[c+8*k:])
					}
				}
				if c+52 <= len(b) {
					info.OwnerID = binary.LittleEndian.Uint32(b[c+48:])
				}
			case 0x90:
				id := binary.LittleEndian.Uint16(b[a+14:])
				info.IndexSizes[id] = int64(size)
				nlen, noff := int(b[a+9]), int(binary.LittleEndian.Uint16(b[a+10:]))
				if name := b[min(a+noff, len(b)):min(a+noff+2*nlen, len(b))]; nlen > 0 && len(name) == 2*nlen {
					if n := utf16le(name); n != "$I30" {
						info.Indexes = append(info.Indexes, IndexAttr{Name: n, ID: id})
					}
				}
			}
		}
		a += l
	}
	return info, nil
}
