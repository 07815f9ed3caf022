package main

import (
	"encoding/binary"
	"io"
	"strconv"
	"time"
	"unicode/utf16"
)

// fatSystemEntries reads the entries of the root folder of a FAT or
// exFAT volume that are not files and that fls lists as files: the volume
// label ("LABEL       (Volume Label Entry)"), and on exFAT the allocation
// bitmap ($ALLOC_BITMAP) and the up-case table ($UPCASE_TABLE). Only the
// root's first cluster is read (where formatting tools write them).
func fatSystemEntries(r io.ReaderAt, g *flsGeometry, vol int) []*flsRow {
	if (g.fs != "fat" && g.fs != "exfat") || g.rootLen <= 0 || g.rootLen > 1<<20 {
		return nil
	}
	b := make([]byte, g.rootLen)
	if n, _ := r.ReadAt(b, g.volOff+g.rootOff); n < len(b) {
		return nil
	}
	var rows []*flsRow
	for o := 0; o+32 <= len(b); o += 32 {
		e := b[o : o+32]
		if e[0] == 0 {
			break // the end of the folder
		}
		row := &flsRow{Volume: &vol, Type: "r/r"}
		if g.fs == "fat" {
			if e[0] == 0xe5 || e[11]&0x3f == 0x0f || e[11]&0x18 != 0x08 {
				continue
			}
			row.Path = string(e[:11]) + " (Volume Label Entry)"
			le16 := func(i int) uint16 { return binary.LittleEndian.Uint16(e[i:]) }
			row.times = [4]time.Time{dosTime(le16(0x18), le16(0x16), 0), dosTime(le16(0x12), 0, 0), {}, dosTime(le16(0x10), le16(0x0e), e[0x0d])}
		} else {
			switch e[0] {
			case 0x83:
				n := min(int(e[1]), 11)
				u := make([]uint16, n)
				for i := range u {
					u[i] = binary.LittleEndian.Uint16(e[2+2*i:])
				}
				row.Path = string(utf16.Decode(u)) + " (Volume Label Entry)"
			case 0x81:
				row.Path, row.Size = "$ALLOC_BITMAP", int64(binary.LittleEndian.Uint64(e[24:]))
			case 0x82:
				row.Path, row.Size = "$UPCASE_TABLE", int64(binary.LittleEndian.Uint64(e[24:]))
			default:
				continue
			}
		}
		off := uint64(g.rootOff + int64(o))
		row.Inode = &off
		row.Address = strconv.FormatInt((g.rootOff+int64(o)-g.fatBase)/32+3, 10)
		rows = append(rows, row)
	}
	return rows
}

// dosTime decodes a FAT date and time (as UTC, as fls -z UTC reads them);
// zero for a zero date.
func dosTime(date, tm uint16, tenths uint8) time.Time {
	if date == 0 {
		return time.Time{}
	}
	t := time.Date(1980+int(date>>9), time.Month(date>>5&15), int(date&31), int(tm>>11), int(tm>>5&63), int(tm&31)*2, 0, time.UTC)
	return t.Add(time.Duration(tenths) * 10 * time.Millisecond)
}

// systemBefore prints the system entries of the volume that lie before
// the root entry at offset off (all that are left when off < 0).
func (v *flsVisitor) systemBefore(g *flsGeometry, off int64) {
	for len(g.system) > 0 && (off < 0 || int64(*g.system[0].Inode) < off) {
		v.emit(g.system[0])
		g.system = g.system[1:]
	}
}
