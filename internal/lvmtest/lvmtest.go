// Package lvmtest writes LVM2 physical volumes for tests, as the format
// defines them (libyal's LVM document and lvm2's format_text): a label in
// sector 1 with its physical volume header, a metadata area at 4 KiB whose
// header points at the metadata text, and the data area after it. No
// device-mapper, loop device or lvm2 tool is needed. It shares no code
// with the reader in triage/volume/lvm.
package lvmtest

import (
	"encoding/binary"
	"strings"
)

// MetadataOffset and MetadataSize place the metadata area; data areas
// start at 1 MiB (pe_start = 2048 sectors), as lvm2 puts them by default.
const (
	MetadataOffset = 4096
	MetadataSize   = 1<<20 - 4096
	DataOffset     = 1 << 20
)

// crc is lvm2's calc_crc: CRC-32 with the reflected polynomial 0xedb88320
// from 0xf597a6cf, no final inversion, computed bit by bit here.
func crc(b []byte) uint32 {
	c := uint32(0xf597a6cf)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xedb88320
			} else {
				c >>= 1
			}
		}
	}
	return c
}

// PV returns a physical volume of size bytes whose label carries uuid (32
// characters, without dashes) and whose metadata area holds text. The
// data area (from DataOffset) is zero.
func PV(size int64, uuid, text string) []byte { return SmallPV(size, MetadataSize, uuid, text) }

// SmallPV is PV with a metadata area of mdaSize bytes: small volumes for
// fuzzing.
func SmallPV(size, mdaSize int64, uuid, text string) []byte {
	b := make([]byte, size)
	WriteLabel(b, uuid, size)
	binary.LittleEndian.PutUint64(b[512+32+80:], uint64(mdaSize))
	WriteLabelCRC(b)
	writeMetadata(b, mdaSize, text, 0)
	return b
}

// WriteLabel writes the label sector (sector 1) of b.
func WriteLabel(b []byte, uuid string, size int64) {
	l := b[512:1024]
	copy(l, "LABELONE")
	binary.LittleEndian.PutUint64(l[8:], 1)
	binary.LittleEndian.PutUint32(l[20:], 32)
	copy(l[24:], "LVM2 001")
	h := l[32:]
	copy(h, strings.ReplaceAll(uuid, "-", ""))
	binary.LittleEndian.PutUint64(h[32:], uint64(size))
	// data areas: one from DataOffset to the end (size 0), then the terminator
	binary.LittleEndian.PutUint64(h[40:], DataOffset)
	binary.LittleEndian.PutUint64(h[48:], 0)
	// metadata areas: one, then the terminator (h[56:88])
	binary.LittleEndian.PutUint64(h[72:], MetadataOffset)
	binary.LittleEndian.PutUint64(h[80:], MetadataSize)
	// pv_header_extension: version 2, flags PV_EXT_USED, no bootloader area
	binary.LittleEndian.PutUint32(h[104:], 2)
	binary.LittleEndian.PutUint32(h[108:], 1)
	binary.LittleEndian.PutUint32(l[16:], crc(l[20:]))
}

// WriteMetadata writes the metadata area header and text (followed by a
// NUL, counted in its size as lvm2 does) at offset at of the metadata
// area's circular buffer (0: right after the header). A text that does
// not fit before the end of the area wraps to the start of the buffer.
func WriteMetadata(b []byte, text string, at int64) { writeMetadata(b, MetadataSize, text, at) }

func writeMetadata(b []byte, size int64, text string, at int64) {
	m := b[MetadataOffset : MetadataOffset+size]
	h := m[:512]
	clear(h)
	copy(h[4:], " LVM2 x[5A%r0N*>")
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint64(h[24:], MetadataOffset)
	binary.LittleEndian.PutUint64(h[32:], uint64(size))
	t := append([]byte(text), 0)
	loc := 512 + at
	binary.LittleEndian.PutUint64(h[40:], uint64(loc))
	binary.LittleEndian.PutUint64(h[48:], uint64(len(t)))
	binary.LittleEndian.PutUint32(h[56:], crc(t))
	n := copy(m[loc:], t)
	copy(m[512:], t[n:])
	binary.LittleEndian.PutUint32(h, crc(h[4:]))
}

// The volume group of Fixture: "vg0" with extents of 1 MiB on one
// physical volume of 13 MiB (12 extents after the 1 MiB header).
const (
	FixtureUUID   = "aB3dEfGhIjKlMnOpQrStUvWxYz012345" // the physical volume's label
	FixtureSize   = 13 << 20
	FixtureExtent = 1 << 20
)

// FixtureText is the metadata text of Fixture, in the layout lvm2 writes:
//
//	lv "data":  8 extents, linear in two segments out of order on the
//	            disk: logical extents 0-3 at physical extents 6-9, 4-7 at 1-4
//	lv "fast":  2 extents striped over 2 stripes (physical extents 0 and 5)
//	lv "pool":  a thin pool over the hidden "pool_tdata" (extent 10) and
//	            "pool_tmeta" (extent 11)
//	lv "thin1": a thin volume of 4 extents in "pool"
const FixtureText = `vg0 {
id = "Xc9aWq-1bxP-rZ8T-kD2Q-uHEl-pV3n-9MhXtA"
seqno = 7
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
extent_size = 2048		# 1 Megabytes
max_lv = 0
max_pv = 0
metadata_copies = 0

physical_volumes {

pv0 {
id = "aB3dEf-GhIj-KlMn-OpQr-StUv-WxYz-012345"
device = "/dev/sdb1"	# Hint only

status = ["ALLOCATABLE"]
flags = []
dev_size = 26624	# 13 Megabytes
pe_start = 2048
pe_count = 12	# 12 Megabytes
}
}

logical_volumes {

data {
id = "dAtA00-1111-2222-3333-4444-5555-666666"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
creation_time = 1700000000	# 2023-11-14 22:13:20 +0000
creation_host = "evidence"
segment_count = 2

segment1 {
start_extent = 0
extent_count = 4	# 4 Megabytes

type = "striped"
stripe_count = 1	# linear

stripes = [
"pv0", 6
]
}
segment2 {
start_extent = 4
extent_count = 4	# 4 Megabytes

type = "striped"
stripe_count = 1	# linear

stripes = [
"pv0", 1
]
}
}

fast {
id = "FaSt00-1111-2222-3333-4444-5555-666666"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1

segment1 {
start_extent = 0
extent_count = 2	# 2 Megabytes

type = "striped"
stripe_count = 2
stripe_size = 128	# 64 Kilobytes

stripes = [
"pv0", 0,
"pv0", 5
]
}
}

pool {
id = "PoOl00-1111-2222-3333-4444-5555-666666"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1

segment1 {
start_extent = 0
extent_count = 1	# 1 Megabytes

type = "thin-pool"
metadata = "pool_tmeta"
pool = "pool_tdata"
transaction_id = 1
chunk_size = 128	# 64 Kilobytes
discards = "passdown"
zero_new_blocks = 1
}
}

thin1 {
id = "ThIn00-1111-2222-3333-4444-5555-666666"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1

segment1 {
start_extent = 0
extent_count = 4	# 4 Megabytes

type = "thin"
thin_pool = "pool"
transaction_id = 0
device_id = 1
}
}

pool_tdata {
id = "TdAt00-1111-2222-3333-4444-5555-666666"
status = ["READ", "WRITE"]
flags = []
segment_count = 1

segment1 {
start_extent = 0
extent_count = 1

type = "striped"
stripe_count = 1	# linear

stripes = [
"pv0", 10
]
}
}

pool_tmeta {
id = "TmEt00-1111-2222-3333-4444-5555-666666"
status = ["READ", "WRITE"]
flags = []
segment_count = 1

segment1 {
start_extent = 0
extent_count = 1

type = "striped"
stripe_count = 1	# linear

stripes = [
"pv0", 11
]
}
}
}

}
# Generated by LVM2 version 2.03.16(2) (2022-05-18): Tue Nov 14 22:13:20 2023

contents = "Text Format Volume Group"
version = 1

description = "Written by lvmtest"

creation_host = "evidence"	# Linux evidence 6.1.0 #1 SMP x86_64
creation_time = 1700000000	# Tue Nov 14 22:13:20 2023
`

// Fixture returns the physical volume of FixtureText with data (at most
// 8 MiB: the content of lv "data") written through its two segments.
func Fixture(data []byte) []byte {
	b := PV(FixtureSize, FixtureUUID, FixtureText)
	seg1, seg2 := data[:min(len(data), 4*FixtureExtent)], data[min(len(data), 4*FixtureExtent):]
	copy(b[DataOffset+6*FixtureExtent:], seg1)
	copy(b[DataOffset+1*FixtureExtent:], seg2)
	return b
}

// MBR returns a disk with a DOS partition table whose one partition, of
// type typ, holds part from sector 2048.
func MBR(part []byte, typ byte) []byte { return MBRAt(part, typ, 2048) }

// MBRAt is MBR with the partition at sector start.
func MBRAt(part []byte, typ byte, start int) []byte {
	b := make([]byte, start*512+len(part))
	e := b[446:]
	e[4] = typ
	binary.LittleEndian.PutUint32(e[8:], uint32(start))
	binary.LittleEndian.PutUint32(e[12:], uint32(len(part)/512))
	b[510], b[511] = 0x55, 0xaa
	copy(b[start*512:], part)
	return b
}

// WriteLabelCRC recomputes the label checksum of b after a change.
func WriteLabelCRC(b []byte) {
	binary.LittleEndian.PutUint32(b[512+16:], crc(b[512+20:1024]))
}

// WriteHistory writes the metadata texts one after the other in the
// metadata area's circular buffer of b, as lvm2 writes each new version of
// the metadata: each followed by a NUL and starting on a 512-byte
// boundary, the first at offset at of the buffer, wrapping past its end to
// the start of the buffer. The area header points at the last text.
func WriteHistory(b []byte, texts []string, at int64) {
	buf := int64(MetadataSize - 512)
	m := b[MetadataOffset+512 : MetadataOffset+MetadataSize]
	for i, text := range texts {
		if i == len(texts)-1 {
			WriteMetadata(b, text, at)
			return
		}
		t := append([]byte(text), 0)
		n := copy(m[at:], t)
		copy(m, t[n:])
		at = (at + int64(len(t)) + 511) / 512 * 512 % buf
	}
}

// HistoryTexts are three versions of the metadata of Fixture, oldest
// first, as lvm2 would have left them in the metadata area:
//
//	seqno 5: "data" has only its first segment (4 extents), and a linear
//	         volume "old" lies on physical extents 10-11;
//	seqno 6: "old" was removed and "data" extended to 8 extents; the thin
//	         pool lies where "old" was; "thin1" does not exist yet;
//	seqno 7: FixtureText.
var HistoryTexts = []string{historyText5(), historyText6(), FixtureText}

func historyText5() string {
	t := strings.Replace(FixtureText, "seqno = 7", "seqno = 5", 1)
	// data: one segment of 4 extents
	i := strings.Index(t, "segment_count = 2")
	j := strings.Index(t, "segment2 {")
	k := strings.Index(t[j:], "}\n}\n") + j
	t = t[:i] + "segment_count = 1" + t[i+len("segment_count = 2"):j] + t[k+2:]
	// the thin pool and its volumes did not exist: "old" was there
	p := strings.Index(t, "pool {")
	e := strings.Index(t, "\n}\n\n}\n# Generated")
	return t[:p] + `old {
id = "oLdV00-1111-2222-3333-4444-5555-666666"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
creation_time = 1690000000	# 2023-07-22 04:26:40 +0000
creation_host = "evidence"
segment_count = 1

segment1 {
start_extent = 0
extent_count = 2	# 2 Megabytes

type = "striped"
stripe_count = 1	# linear

stripes = [
"pv0", 10
]
}
}` + t[e:]
}

func historyText6() string {
	t := strings.Replace(FixtureText, "seqno = 7", "seqno = 6", 1)
	i := strings.Index(t, "thin1 {")
	j := strings.Index(t, "pool_tdata {")
	return t[:i] + t[j:]
}
