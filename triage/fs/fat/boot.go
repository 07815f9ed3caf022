package fat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Limits on what a boot sector may declare.
const (
	MinSectorSize  = 512
	MaxSectorSize  = 4096
	MaxClusterSize = 256 << 10 // fatgen103 allows 32 KiB, some systems 64 KiB and more
	MaxFATs        = 4         // copies of the FAT
	// MaxClusters is the largest cluster count FAT32 can address
	// (0x0ffffff5 less the two reserved entries).
	MaxClusters = 0x0ffffff5 - 2
	// MaxDirEntries is the most entries a folder may hold (fatgen103: 65536).
	MaxDirEntries = 65536
	// MaxPathDepth bounds folder nesting.
	MaxPathDepth = 1024
)

// Type is the FAT variant, decided by the cluster count as fatgen103 says.
type Type int

// FAT variants.
const (
	FAT12 Type = 12
	FAT16 Type = 16
	FAT32 Type = 32
)

func (t Type) String() string { return fmt.Sprintf("FAT%d", int(t)) }

// ErrNotFAT is returned by Open when the volume has no FAT boot sector.
var ErrNotFAT = errors.New("fat: no FAT boot sector")

// FormatError is a problem found in the volume: a corrupt boot sector, a
// broken cluster chain, an unreadable folder.
type FormatError struct {
	Off  int64  // image offset of the bytes at fault, -1 when not known
	Path string // the file or folder concerned, "" when none
	Msg  string
	Err  error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("fat: ")
	if e.Path != "" {
		fmt.Fprintf(&b, "%q: ", e.Path)
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Off >= 0 {
		fmt.Fprintf(&b, " at byte %#x", e.Off)
	}
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// Offset returns the image offset of the problem (-1 when not known).
func (e *FormatError) Offset() int64 { return e.Off }

// bpb is the BIOS parameter block, as read.
type bpb struct {
	oem            string
	bytesPerSector int64
	secPerCluster  int64
	reserved       int64 // sectors
	fats           int64
	rootEntries    int64
	totalSectors   int64
	fatSectors     int64
	extFlags       uint16
	rootCluster    uint32 // FAT32
	serial         uint32
	labelRaw       [11]byte
	hasExt         bool // extended boot signature 0x29
	fat32          bool // the BPB has the FAT32 fields (16-bit FAT size 0)
}

// Probe reports whether boot, the first bytes of a volume (at least 512),
// look like a FAT boot sector: a jump instruction and a BPB within the
// limits. It does not look at the cluster count.
func Probe(boot []byte) bool {
	_, err := parseBPB(boot)
	return err == nil
}

// parseBPB checks the boot sector; errors are *FormatError with volume
// offsets (the caller adds the base).
func parseBPB(b []byte) (*bpb, error) {
	if len(b) < 512 {
		return nil, ErrNotFAT
	}
	bad := func(off int64, format string, a ...any) error {
		return &FormatError{Off: off, Msg: fmt.Sprintf(format, a...)}
	}
	if !(b[0] == 0xeb && b[2] == 0x90) && b[0] != 0xe9 && b[0] != 0xeb {
		return nil, ErrNotFAT
	}
	oem := string(b[3:11])
	if oem == "NTFS    " || oem == "EXFAT   " {
		return nil, ErrNotFAT
	}
	p := &bpb{oem: strings.TrimRight(oem, " \x00")}
	le16 := func(o int) int64 { return int64(binary.LittleEndian.Uint16(b[o:])) }
	le32 := func(o int) int64 { return int64(binary.LittleEndian.Uint32(b[o:])) }
	p.bytesPerSector = le16(0x0b)
	if p.bytesPerSector < MinSectorSize || p.bytesPerSector > MaxSectorSize || bits.OnesCount64(uint64(p.bytesPerSector)) != 1 {
		return nil, bad(0x0b, "bytes per sector %d is not a power of two from %d to %d", p.bytesPerSector, MinSectorSize, MaxSectorSize)
	}
	p.secPerCluster = int64(b[0x0d])
	if p.secPerCluster == 0 || bits.OnesCount64(uint64(p.secPerCluster)) != 1 {
		return nil, bad(0x0d, "sectors per cluster %d is not a power of two", p.secPerCluster)
	}
	if c := p.secPerCluster * p.bytesPerSector; c > MaxClusterSize {
		return nil, bad(0x0d, "cluster size %d exceeds %d bytes", c, MaxClusterSize)
	}
	p.reserved = le16(0x0e)
	if p.reserved == 0 {
		return nil, bad(0x0e, "no reserved sectors (the boot sector is one)")
	}
	p.fats = int64(b[0x10])
	if p.fats < 1 || p.fats > MaxFATs {
		return nil, bad(0x10, "FAT count %d is not from 1 to %d", p.fats, MaxFATs)
	}
	if m := b[0x15]; m != 0xf0 && m < 0xf8 {
		return nil, bad(0x15, "media descriptor %#x is not 0xf0 or 0xf8-0xff", m)
	}
	p.rootEntries = le16(0x11)
	p.totalSectors = le16(0x13)
	if p.totalSectors == 0 {
		p.totalSectors = le32(0x20)
	}
	if p.totalSectors == 0 {
		return nil, bad(0x13, "total sector count is 0")
	}
	p.fatSectors = le16(0x16)
	ext := 0x24
	if p.fatSectors == 0 {
		// FAT32 BPB.
		p.fat32 = true
		p.fatSectors = le32(0x24)
		p.extFlags = binary.LittleEndian.Uint16(b[0x28:])
		p.rootCluster = binary.LittleEndian.Uint32(b[0x2c:])
		ext = 0x40
		if p.fatSectors == 0 {
			return nil, bad(0x24, "FAT size is 0")
		}
		if p.rootEntries != 0 {
			return nil, bad(0x11, "FAT32 boot sector declares %d fixed root entries", p.rootEntries)
		}
	} else if p.rootEntries == 0 {
		return nil, bad(0x11, "FAT12/16 boot sector declares no root folder entries")
	}
	if b[ext+2] == 0x29 {
		p.hasExt = true
		p.serial = binary.LittleEndian.Uint32(b[ext+3:])
		copy(p.labelRaw[:], b[ext+7:ext+18])
	}
	meta := p.reserved + p.fats*p.fatSectors + p.rootDirSectors()
	if meta >= p.totalSectors {
		return nil, bad(0x0e, "reserved, FAT and root folder sectors (%d) fill the whole volume (%d sectors)", meta, p.totalSectors)
	}
	return p, nil
}

func (p *bpb) rootDirSectors() int64 {
	return (p.rootEntries*32 + p.bytesPerSector - 1) / p.bytesPerSector
}

// clusters returns the count of data clusters (fatgen103's CountofClusters).
func (p *bpb) clusters() int64 {
	data := p.totalSectors - (p.reserved + p.fats*p.fatSectors + p.rootDirSectors())
	return data / p.secPerCluster
}

// fatType is the variant fatgen103 derives from the cluster count. A FAT32
// BPB is FAT32 whatever the count: mkfs.fat makes small FAT32 volumes on
// request, and every system reads them by their BPB.
func (p *bpb) fatType() Type {
	switch n := p.clusters(); {
	case p.fat32:
		return FAT32
	case n < 4085:
		return FAT12
	case n < 65525:
		return FAT16
	default:
		return FAT32
	}
}
