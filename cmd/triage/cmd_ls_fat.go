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

// MaxFATChain bounds the clusters of a folder fatDirSize follows.
const MaxFATChain = 1 << 20

// fatDirSize returns the size fls -l gives the folder whose directory
// entry lies at volume offset off: on exFAT the data length of its stream
// extension, on FAT its cluster chain in bytes (one cluster for a deleted
// folder, whose chain is gone). 0 when it cannot be read.
func fatDirSize(r io.ReaderAt, g *flsGeometry, off int64, deleted bool) int64 {
	e := make([]byte, 64)
	if n, _ := r.ReadAt(e, g.volOff+off); n < len(e) {
		return 0
	}
	if g.fs == "exfat" {
		if e[0]&0x7f != 0x05 || e[32]&0x7f != 0x40 {
			return 0
		}
		return int64(binary.LittleEndian.Uint64(e[32+24:]))
	}
	if g.cluster <= 0 || g.fatBits == 0 {
		return 0
	}
	c := int64(binary.LittleEndian.Uint16(e[0x1a:]))
	if g.fatBits == 32 {
		c |= int64(binary.LittleEndian.Uint16(e[0x14:])) << 16
	}
	if deleted {
		return g.cluster
	}
	var n int64
	b := make([]byte, 4)
	for ; c >= 2 && c < g.clusters+2 && n < MaxFATChain && n <= g.clusters; n++ {
		pos := g.volOff + g.fatOff + c*int64(g.fatBits)/8
		if k, _ := r.ReadAt(b, pos); k < 2 {
			break
		}
		switch g.fatBits {
		case 12:
			v := int64(binary.LittleEndian.Uint16(b))
			if c%2 == 1 {
				v >>= 4
			}
			c = v & 0xfff
		case 16:
			c = int64(binary.LittleEndian.Uint16(b))
		default:
			c = int64(binary.LittleEndian.Uint32(b)) & 0x0fffffff
		}
	}
	return n * g.cluster
}

// fatCreated returns creation time t of the FAT directory entry at volume
// offset off as fls gives it: its 10 ms increments (0 to 199) left out,
// one second added when they exceed 100.
func fatCreated(r io.ReaderAt, g *flsGeometry, off int64, t time.Time) time.Time {
	b := make([]byte, 1)
	if t.IsZero() {
		return t
	}
	if n, _ := r.ReadAt(b, g.volOff+off+0x0d); n < 1 || b[0] > 199 {
		return t
	}
	t = t.Add(-time.Duration(b[0]) * 10 * time.Millisecond)
	if b[0] > 100 {
		t = t.Add(time.Second)
	}
	return t
}
