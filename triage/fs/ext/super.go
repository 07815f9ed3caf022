package ext

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// Limits on values read from a volume, beyond the volume size.
const (
	// MaxGroups bounds the block groups of a volume (2^32 blocks of 1 KiB
	// in groups of 8192 blocks need 2^19).
	MaxGroups = 1 << 22
	// MaxDepth bounds the depth of an extent tree (the kernel allows 5).
	MaxDepth = 5
	// MaxSymlink bounds the target of a symbolic link (PATH_MAX).
	MaxSymlink = 4096
	// MaxDirDepth bounds the depth of the folder tree that is walked.
	MaxDirDepth = 4096
	// MaxDirSize bounds the bytes of one folder that are read (a folder
	// of a million long names fits).
	MaxDirSize = 1 << 30
)

// Incompatible features (s_feature_incompat).
const (
	incompatCompression = 0x1
	incompatFiletype    = 0x2
	incompatRecover     = 0x4
	incompatJournalDev  = 0x8
	incompatMetaBG      = 0x10
	incompatExtents     = 0x40
	incompat64Bit       = 0x80
	incompatMMP         = 0x100
	incompatFlexBG      = 0x200
	incompatEAInode     = 0x400
	incompatDirData     = 0x1000
	incompatCsumSeed    = 0x2000
	incompatLargeDir    = 0x4000
	incompatInlineData  = 0x8000
	incompatEncrypt     = 0x10000
	incompatCasefold    = 0x20000

	// incompatRead are the incompatible features this reader handles.
	incompatRead = incompatFiletype | incompatRecover | incompatMetaBG | incompatExtents | incompat64Bit |
		incompatMMP | incompatFlexBG | incompatEAInode | incompatCsumSeed | incompatLargeDir | incompatInlineData |
		incompatEncrypt | incompatCasefold
)

// Read-only compatible features (s_feature_ro_compat) the reader looks at.
const (
	roCompatSparseSuper  = 0x1
	roCompatGDTCsum      = 0x10
	roCompatMetadataCsum = 0x400
)

// Compatible features.
const (
	compatHasJournal = 0x4
	compatOrphanFile = 0x1000 // orphan_file: the orphan list is a file
)

var incompatNames = map[uint32]string{
	incompatCompression: "compression", incompatJournalDev: "journal_dev", incompatDirData: "dirdata",
}

// castagnoli is the CRC-32C table of the metadata checksums.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the kernel's crc32c_le: no inversion before or after.
func crc32c(seed uint32, b []byte) uint32 { return ^crc32.Update(^seed, castagnoli, b) }

// superblock holds the fields of the ext superblock the reader uses.
type superblock struct {
	inodes        uint32
	blocks        uint64
	firstData     uint32
	blockSize     int64
	blocksPerGrp  uint32
	inodesPerGrp  uint32
	rev           uint32
	firstIno      uint32
	inodeSize     uint32
	groupNr       uint16
	compat        uint32
	incompat      uint32
	roCompat      uint32
	uuid          [16]byte
	label         string
	descSize      uint32
	firstMetaBG   uint32
	lastOrphan    uint32 // head of the orphan inode list
	orphanFile    uint32 // inode of the orphan file (orphan_file), 0 when none
	csumSeed      uint32
	hasCsum       bool // metadata_csum
	groups        uint32
	superChecksum uint32 // stored
	superCalc     uint32 // computed
}

// parseSuper parses the 1024 bytes of a superblock found at byte off of
// the volume (off names the bytes in errors) of size bytes.
func parseSuper(b []byte, off, size int64) (*superblock, error) {
	le := binary.LittleEndian
	if len(b) < 1024 {
		return nil, &FormatError{Off: off, Msg: "superblock truncated"}
	}
	if le.Uint16(b[0x38:]) != 0xef53 {
		return nil, &FormatError{Off: off + 0x38, Msg: "no ext superblock magic (0xef53)"}
	}
	s := &superblock{
		inodes: le.Uint32(b[0:]), blocks: uint64(le.Uint32(b[4:])), firstData: le.Uint32(b[0x14:]),
		blocksPerGrp: le.Uint32(b[0x20:]), inodesPerGrp: le.Uint32(b[0x28:]), rev: le.Uint32(b[0x4c:]),
		firstIno: 11, inodeSize: 128, groupNr: le.Uint16(b[0x5a:]),
		compat: le.Uint32(b[0x5c:]), incompat: le.Uint32(b[0x60:]), roCompat: le.Uint32(b[0x64:]),
		descSize: 32, firstMetaBG: le.Uint32(b[0x104:]), lastOrphan: le.Uint32(b[0xe8:]),
	}
	if s.compat&compatOrphanFile != 0 {
		s.orphanFile = le.Uint32(b[0x280:])
	}
	copy(s.uuid[:], b[0x68:0x78])
	s.label = strings.TrimRight(string(b[0x78:0x88]), "\x00")
	logBS := le.Uint32(b[0x18:])
	if logBS > 6 {
		return nil, &FormatError{Off: off + 0x18, Msg: fmt.Sprintf("block size 2^(10+%d) is over 64 KiB", logBS)}
	}
	s.blockSize = 1024 << logBS
	if s.rev >= 1 {
		s.firstIno = le.Uint32(b[0x54:])
		s.inodeSize = uint32(le.Uint16(b[0x58:]))
	}
	if s.inodeSize < 128 || s.inodeSize > uint32(s.blockSize) || s.inodeSize&(s.inodeSize-1) != 0 {
		return nil, &FormatError{Off: off + 0x58, Msg: fmt.Sprintf("inode size %d is not a power of 2 from 128 to the block size", s.inodeSize)}
	}
	if s.incompat&incompat64Bit != 0 {
		s.blocks |= uint64(le.Uint32(b[0x150:])) << 32
		s.descSize = uint32(le.Uint16(b[0xfe:]))
		if s.descSize < 64 || s.descSize > 1024 || s.descSize&(s.descSize-1) != 0 {
			return nil, &FormatError{Off: off + 0xfe, Msg: fmt.Sprintf("group descriptor size %d is not a power of 2 from 64 to 1024", s.descSize)}
		}
	}
	switch {
	case s.blocksPerGrp == 0 || s.blocksPerGrp > 8*uint32(s.blockSize):
		return nil, &FormatError{Off: off + 0x20, Msg: fmt.Sprintf("%d blocks per group (at most 8 per byte of a block)", s.blocksPerGrp)}
	case s.inodesPerGrp == 0 || s.inodesPerGrp > 8*uint32(s.blockSize):
		return nil, &FormatError{Off: off + 0x28, Msg: fmt.Sprintf("%d inodes per group (at most 8 per byte of a block)", s.inodesPerGrp)}
	case s.blocks == 0 || uint64(s.firstData) >= s.blocks:
		return nil, &FormatError{Off: off + 4, Msg: fmt.Sprintf("%d blocks, first data block %d", s.blocks, s.firstData)}
	case s.firstIno < 3 || s.inodes < 2:
		return nil, &FormatError{Off: off + 0x54, Msg: fmt.Sprintf("first inode %d of %d", s.firstIno, s.inodes)}
	}
	groups := (s.blocks - uint64(s.firstData) + uint64(s.blocksPerGrp) - 1) / uint64(s.blocksPerGrp)
	if groups > MaxGroups {
		return nil, &FormatError{Off: off + 4, Msg: fmt.Sprintf("%d block groups (at most %d)", groups, MaxGroups)}
	}
	s.groups = uint32(groups)
	if uint64(s.inodes)*uint64(s.inodeSize) > s.blocks*uint64(s.blockSize) {
		return nil, &FormatError{Off: off, Msg: fmt.Sprintf("%d inodes of %d bytes do not fit the %d blocks of the volume", s.inodes, s.inodeSize, s.blocks)}
	}
	if uint64(s.groups)*uint64(s.inodesPerGrp) < uint64(s.inodes) {
		return nil, &FormatError{Off: off, Msg: fmt.Sprintf("%d inodes do not fit %d groups of %d", s.inodes, s.groups, s.inodesPerGrp)}
	}
	// A volume cut short is read as far as it goes; one that claims far
	// more than the bytes there are is not an ext volume.
	if size > 0 && s.blocks > uint64(size/s.blockSize)*1024+1024 {
		return nil, &FormatError{Off: off + 4, Msg: fmt.Sprintf("%d blocks of %d bytes in a volume of %d bytes", s.blocks, s.blockSize, size)}
	}
	if s.roCompat&roCompatMetadataCsum != 0 {
		s.hasCsum = true
		s.superChecksum = le.Uint32(b[0x3fc:])
		s.superCalc = crc32c(^uint32(0), b[:0x3fc])
		if s.incompat&incompatCsumSeed != 0 {
			s.csumSeed = le.Uint32(b[0x270:])
		} else {
			s.csumSeed = crc32c(^uint32(0), s.uuid[:])
		}
	}
	return s, nil
}

// features names the incompatible features this reader cannot read, ""
// when there are none.
func (s *superblock) unreadFeatures() string {
	var out []string
	for bit := uint32(1); bit != 0; bit <<= 1 {
		if s.incompat&bit != 0 && incompatRead&bit == 0 {
			if n, ok := incompatNames[bit]; ok {
				out = append(out, n)
			} else {
				out = append(out, fmt.Sprintf("unknown %#x", bit))
			}
		}
	}
	return strings.Join(out, ", ")
}

// hasSuper tells whether group g holds a backup of the superblock.
func (s *superblock) hasSuper(g uint64) bool {
	if g <= 1 || s.roCompat&roCompatSparseSuper == 0 {
		return true
	}
	for _, p := range []uint64{3, 5, 7} {
		n := p
		for n < g {
			n *= p
		}
		if n == g {
			return true
		}
	}
	return false
}

// group is one block group descriptor.
type group struct {
	blockBitmap  uint64
	inodeBitmap  uint64
	inodeTable   uint64
	flags        uint16
	itableUnused uint32
	// The stored checksums of the block and inode bitmaps (metadata_csum),
	// and whether they are 32 bits (descriptors of 64 bytes or more).
	blockBitmapCsum, inodeBitmapCsum uint32
	bitmapCsum32                     bool
}

const (
	bgInodeUninit = 0x1
	bgBlockUninit = 0x2
)

// parseGroup parses descriptor number g held in b (descSize bytes).
func (s *superblock) parseGroup(b []byte, g uint32) (group, bool) {
	le := binary.LittleEndian
	d := group{blockBitmap: uint64(le.Uint32(b[0:])), inodeBitmap: uint64(le.Uint32(b[4:])),
		blockBitmapCsum: uint32(le.Uint16(b[0x18:])), inodeBitmapCsum: uint32(le.Uint16(b[0x1a:])), inodeTable: uint64(le.Uint32(b[8:])), flags: le.Uint16(b[0x12:]),
		itableUnused: uint32(le.Uint16(b[0x1c:]))}
	if s.descSize >= 64 {
		d.blockBitmap |= uint64(le.Uint32(b[0x20:])) << 32
		d.blockBitmapCsum |= uint32(le.Uint16(b[0x38:])) << 16
		d.inodeBitmapCsum |= uint32(le.Uint16(b[0x3a:])) << 16
		d.bitmapCsum32 = true
		d.inodeBitmap |= uint64(le.Uint32(b[0x24:])) << 32
		d.inodeTable |= uint64(le.Uint32(b[0x28:])) << 32
		d.itableUnused |= uint32(le.Uint16(b[0x38:])) << 16
	}
	ok := true
	if !s.hasCsum && s.roCompat&roCompatGDTCsum != 0 {
		var n [4]byte
		le.PutUint32(n[:], g)
		c := crc16(0xffff, s.uuid[:])
		c = crc16(c, n[:])
		c = crc16(c, b[:0x1e])
		c = crc16(c, b[0x20:])
		ok = c == le.Uint16(b[0x1e:])
	}
	if s.hasCsum {
		var n [4]byte
		le.PutUint32(n[:], g)
		c := crc32c(s.csumSeed, n[:])
		c = crc32c(c, b[:0x1e])
		c = crc32c(c, []byte{0, 0})
		c = crc32c(c, b[0x20:])
		ok = uint16(c) == le.Uint16(b[0x1e:])
	}
	return d, ok
}

// descBlock returns the block holding descriptor g, given the superblock
// copy in block group sbGroup.
func (s *superblock) descBlock(g uint32, sbGroup uint64) uint64 {
	perBlock := uint32(s.blockSize) / s.descSize
	mg := g / perBlock
	if s.incompat&incompatMetaBG != 0 && mg >= s.firstMetaBG {
		first := uint64(mg) * uint64(perBlock)
		b := uint64(s.firstData) + first*uint64(s.blocksPerGrp)
		if s.hasSuper(first) {
			b++
		}
		return b
	}
	return uint64(s.firstData) + sbGroup*uint64(s.blocksPerGrp) + 1 + uint64(mg)
}

// readGroups reads the group descriptors.
func (v *Volume) readGroups(sbGroup uint64) error {
	s := v.sb
	v.groups = make([]group, 0, min(s.groups, 1<<16))
	perBlock := uint32(s.blockSize) / s.descSize
	buf := make([]byte, s.blockSize)
	cur := ^uint64(0)
	for g := uint32(0); g < s.groups; g++ {
		blk := s.descBlock(g, sbGroup)
		if blk != cur {
			if err := v.readBlock(buf, blk); err != nil {
				return fmt.Errorf("failed to read the descriptor of block group %d: %w", g, err)
			}
			cur = blk
		}
		o := (g % perBlock) * s.descSize
		d, ok := s.parseGroup(buf[o:o+s.descSize], g)
		if !ok {
			v.pending = append(v.pending, &FormatError{Off: v.base + int64(blk)*s.blockSize + int64(o) + 0x1e, Msg: fmt.Sprintf("block group %d: descriptor checksum mismatch", g)})
		}
		v.groups = append(v.groups, d)
	}
	return nil
}

// readBlock reads block n into b (one block).
func (v *Volume) readBlock(b []byte, n uint64) error {
	if n >= v.sb.blocks || int64(n) > (v.size-int64(len(b)))/v.sb.blockSize {
		return &FormatError{Off: v.base + v.size, Msg: fmt.Sprintf("block %d lies past the end of the volume", n)}
	}
	off := int64(n) * v.sb.blockSize
	if k, err := v.r.ReadAt(b, off); k < len(b) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return &FormatError{Off: v.base + off, Msg: fmt.Sprintf("failed to read block %d", n), Err: err}
	}
	return nil
}

// crc16 is the kernel's crc16 (polynomial 0x8005, bits reflected, no
// final inversion), the checksum of group descriptors with gdt_csum.
func crc16(crc uint16, b []byte) uint16 {
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xa001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
