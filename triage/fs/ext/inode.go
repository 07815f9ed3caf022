package ext

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Inode flags (i_flags).
const (
	flagIndex      = 0x1000     // hashed (htree) folder
	flagHugeFile   = 0x40000    // i_blocks in file-system blocks
	flagExtents    = 0x80000    // the block map is an extent tree
	flagEAInode    = 0x200000   // holds a large extended attribute value
	flagInlineData = 0x10000000 // content held in the inode
	flagEncrypt    = 0x800      // content encrypted (fscrypt)
)

// inode is the part of an inode the walk uses.
type inode struct {
	Num                               uint32
	Off                               int64 // image offset of the inode
	Mode                              uint16
	UID, GID                          uint32
	Size                              int64
	Links                             uint16
	Flags                             uint32
	Blocks                            uint64 // i_blocks (512-byte units unless huge_file)
	Generation                        uint32
	FileACL                           uint64
	Block                             [60]byte // i_block: block map, extent root, inline data or fast link
	Atime, Ctime, Mtime, Dtime, Btime time.Time
	// Inline is the content of an inline-data inode: i_block followed by
	// the system.data extended attribute.
	Inline    []byte
	rawCtime  uint32
	rawDtime  uint32
	CsumError bool // metadata_csum set and the inode's checksum is wrong
}

// File types of the mode.
const (
	modeFifo   = 0x1000
	modeChr    = 0x2000
	modeDir    = 0x4000
	modeBlk    = 0x6000
	modeFile   = 0x8000
	modeLink   = 0xa000
	modeSocket = 0xc000
)

func (in *inode) fileType() uint16 { return in.Mode & 0xf000 }

// IsDir tells whether the inode is a folder.
func (in *inode) IsDir() bool { return in.fileType() == modeDir }

// used tells whether the inode was ever used (the Sleuth Kit's test for
// an orphan: a change time).
func (in *inode) used() bool { return in.rawCtime != 0 || in.rawDtime != 0 }

// inodeLoc returns the volume offset of inode n.
func (v *Volume) inodeLoc(n uint32) (int64, error) {
	s := v.sb
	if n == 0 || n > s.inodes {
		return 0, fmt.Errorf("inode number %d out of range 1-%d", n, s.inodes)
	}
	g := (n - 1) / s.inodesPerGrp
	if int(g) >= len(v.groups) {
		return 0, fmt.Errorf("inode %d: block group %d has no descriptor", n, g)
	}
	idx := uint64((n - 1) % s.inodesPerGrp)
	t := v.groups[g].inodeTable
	if t >= s.blocks {
		return 0, fmt.Errorf("inode table of block group %d at block %d, past the %d blocks of the volume", g, t, s.blocks)
	}
	off := int64(t)*s.blockSize + int64(idx*uint64(s.inodeSize))
	if off+int64(s.inodeSize) > v.size {
		return 0, fmt.Errorf("inode %d lies past the end of the volume", n)
	}
	return off, nil
}

// readInode reads and parses inode n.
func (v *Volume) readInode(n uint32) (*inode, error) {
	off, err := v.inodeLoc(n)
	if err != nil {
		return nil, &FormatError{Off: v.base + 1024, Inode: n, Msg: err.Error()}
	}
	b := make([]byte, v.sb.inodeSize)
	if k, err := v.r.ReadAt(b, off); k < len(b) {
		return nil, &FormatError{Off: v.base + off, Inode: n, Msg: "failed to read the inode", Err: err}
	}
	return v.parseInode(b, n, v.base+off)
}

// parseInode parses the inode n held in b (the inode size), found at
// image offset off.
func (v *Volume) parseInode(b []byte, n uint32, off int64) (*inode, error) {
	in := new(inode)
	if err := v.parseInodeTo(in, b, n, off); err != nil {
		return nil, err
	}
	return in, nil
}

// parseInodeTo is parseInode into in, which it sets whole.
func (v *Volume) parseInodeTo(in *inode, b []byte, n uint32, off int64) error {
	le := binary.LittleEndian
	if len(b) < 128 {
		return &FormatError{Off: off, Inode: n, Msg: "inode truncated"}
	}
	*in = inode{Num: n, Off: off, Mode: le.Uint16(b[0:]), UID: uint32(le.Uint16(b[2:])) | uint32(le.Uint16(b[0x78:]))<<16,
		GID: uint32(le.Uint16(b[0x18:])) | uint32(le.Uint16(b[0x7a:]))<<16, Links: le.Uint16(b[0x1a:]),
		Flags: le.Uint32(b[0x20:]), Generation: le.Uint32(b[0x64:]),
		FileACL:  uint64(le.Uint32(b[0x68:])) | uint64(le.Uint16(b[0x76:]))<<32,
		Blocks:   uint64(le.Uint32(b[0x1c:])) | uint64(le.Uint16(b[0x74:]))<<32,
		rawCtime: le.Uint32(b[0xc:]), rawDtime: le.Uint32(b[0x14:])}
	size := uint64(le.Uint32(b[4:])) | uint64(le.Uint32(b[0x6c:]))<<32
	if size > 1<<62 {
		return &FormatError{Off: off + 4, Inode: n, Msg: fmt.Sprintf("size %d", size)}
	}
	in.Size = int64(size)
	copy(in.Block[:], b[0x28:0x64])
	extra := 0
	if len(b) > 128 {
		extra = int(le.Uint16(b[0x80:]))
		if extra < 0 || 128+extra > len(b) {
			return &FormatError{Off: off + 0x80, Inode: n, Msg: fmt.Sprintf("extra inode size %d does not fit an inode of %d bytes", extra, len(b))}
		}
	}
	has := func(field int) bool { return extra > 0 && field+4 <= 128+extra }
	t := func(secOff, extraOff int) time.Time {
		sec := int64(int32(le.Uint32(b[secOff:])))
		if !has(extraOff) {
			return time.Unix(sec, 0)
		}
		x := le.Uint32(b[extraOff:])
		sec += int64(x&3) << 32
		return time.Unix(sec, int64(x>>2)%1e9)
	}
	in.Atime, in.Ctime, in.Mtime = t(0x8, 0x8c), t(0xc, 0x84), t(0x10, 0x88)
	if in.rawDtime != 0 {
		in.Dtime = time.Unix(int64(in.rawDtime), 0)
	}
	if has(0x90) {
		in.Btime = t(0x90, 0x94)
	}
	if v.sb.hasCsum {
		var num [8]byte
		le.PutUint32(num[:], n)
		le.PutUint32(num[4:], in.Generation)
		c := crc32c(v.sb.csumSeed, num[:4])
		c = crc32c(c, num[4:])
		c = crc32c(c, b[:0x7c])
		c = crc32c(c, []byte{0, 0})
		c = crc32c(c, b[0x7e:128])
		stored := uint32(le.Uint16(b[0x7c:]))
		if len(b) > 128 {
			c = crc32c(c, b[128:0x82])
			if has(0x80) { // i_checksum_hi is within the extra size
				c = crc32c(c, []byte{0, 0})
				stored |= uint32(le.Uint16(b[0x82:])) << 16
			} else {
				c = crc32c(c, b[0x82:0x84])
			}
			c = crc32c(c, b[0x84:])
		}
		if !has(0x80) {
			c &= 0xffff
		}
		// An inode never used (all zero) has no checksum.
		in.CsumError = c != stored && !allZero(b)
	}
	if in.Flags&flagInlineData != 0 {
		in.Inline = v.inlineData(in, b, extra)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// inlineData returns the content of an inline-data inode: i_block and the
// value of the system.data attribute in the inode's extra space, cut to
// the size (nil when the attribute cannot be found: i_block only).
func (v *Volume) inlineData(in *inode, b []byte, extra int) []byte {
	out := append([]byte(nil), in.Block[:]...)
	le := binary.LittleEndian
	start := 128 + extra
	if start+4 <= len(b) && le.Uint32(b[start:]) == 0xea020000 {
		first := start + 4
		for p := first; p+16 <= len(b); {
			nameLen, idx := int(b[p]), b[p+1]
			if nameLen == 0 && idx == 0 {
				break
			}
			voff, vinum, vsize := int(le.Uint16(b[p+2:])), le.Uint32(b[p+4:]), int(le.Uint32(b[p+8:]))
			if p+16+nameLen > len(b) {
				break
			}
			if idx == 7 && string(b[p+16:p+16+nameLen]) == "data" && vinum == 0 {
				if first+voff >= first && vsize >= 0 && first+voff+vsize <= len(b) {
					out = append(out, b[first+voff:first+voff+vsize]...)
				}
				break
			}
			p += (16 + nameLen + 3) &^ 3
		}
	}
	if int64(len(out)) > in.Size {
		out = out[:in.Size]
	}
	return out
}
