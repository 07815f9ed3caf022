package ext

import (
	"context"
	"encoding/binary"
	"fmt"
)

// Checksums of metadata_csum that are checked apart from the items they
// cover: the block and inode bitmaps of each group, the index nodes of
// hashed folders (dx_tail) and extended attribute blocks. A mismatch is a
// problem naming the block; what the block holds is read all the same.

// checkBitmaps verifies the block and inode bitmap checksums of every
// block group (groups whose bitmap was never initialised have none). The
// backup descriptors are not updated as the volume is used: their bitmap
// checksums are not checked.
func (v *Volume) checkBitmaps(ctx context.Context, problem func(error)) error {
	s := v.sb
	if !s.hasCsum || v.backup {
		return nil
	}
	buf := make([]byte, s.blockSize)
	n := 0
	count := func(err error) {
		if n++; n <= maxBitmapProblems {
			problem(err)
		}
	}
	for g, d := range v.groups {
		if g%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if n > maxBitmapProblems {
			problem(&FormatError{Off: v.base + 1024, Msg: fmt.Sprintf("more than %d bitmaps are unreadable or fail their checksum: the bitmaps of block groups %d to %d are not checked", maxBitmapProblems, g, len(v.groups)-1)})
			return nil
		}
		if d.flags&bgBlockUninit == 0 {
			v.checkBitmap(buf, d.blockBitmap, int(s.blocksPerGrp/8), d.blockBitmapCsum, d.bitmapCsum32, fmt.Sprintf("block bitmap of block group %d", g), count)
		}
		if d.flags&bgInodeUninit == 0 {
			v.checkBitmap(buf, d.inodeBitmap, int(s.inodesPerGrp/8), d.inodeBitmapCsum, d.bitmapCsum32, fmt.Sprintf("inode bitmap of block group %d", g), count)
		}
	}
	return nil
}

// maxBitmapProblems bounds the bitmap problems reported for a volume.
const maxBitmapProblems = 64

// checkBitmap reads the bitmap at block blk and compares the CRC-32C of
// its first size bytes with the stored checksum (its low 16 bits unless
// wide).
func (v *Volume) checkBitmap(buf []byte, blk uint64, size int, stored uint32, wide bool, what string, problem func(error)) {
	if err := v.readBlock(buf, blk); err != nil {
		problem(fmt.Errorf("failed to read the %s: %w", what, err))
		return
	}
	c := crc32c(v.sb.csumSeed, buf[:min(size, len(buf))])
	if !wide {
		c &= 0xffff
	}
	if c != stored {
		problem(&FormatError{Off: v.base + int64(blk)*v.sb.blockSize, Msg: fmt.Sprintf("%s (block %d): checksum mismatch (read all the same)", what, blk)})
	}
}

// checkDXNode verifies the checksum in the tail of an index node of a
// hashed folder (block b, number blk, root when it is the folder's first
// block). A node whose counts do not leave room for a tail has none to
// check.
func (v *Volume) checkDXNode(b []byte, blk uint64, root bool, in *inode) error {
	le := binary.LittleEndian
	if !v.sb.hasCsum || len(b) < 40 {
		return nil
	}
	countOff := 8
	if root {
		// ".", "..", then the 8 bytes of dx_root_info.
		countOff = 24 + int(b[24+5])
		if b[24+5] != 8 {
			return &FormatError{Off: v.base + int64(blk)*v.sb.blockSize + 24 + 5, Inode: in.Num, Msg: fmt.Sprintf("hashed folder root with an info length of %d (8 expected)", b[24+5])}
		}
	}
	limit, count := int(le.Uint16(b[countOff:])), int(le.Uint16(b[countOff+2:]))
	tail := countOff + 8*limit
	if count > limit || tail+8 > len(b) {
		return &FormatError{Off: v.base + int64(blk)*v.sb.blockSize + int64(countOff), Inode: in.Num, Msg: fmt.Sprintf("hashed folder index node of %d entries (limit %d) has no room for its checksum", count, limit)}
	}
	c := crc32c(v.inodeSeed(in), b[:countOff+8*count])
	c = crc32c(c, b[tail:tail+4])
	c = crc32c(c, []byte{0, 0, 0, 0}) // the checksum field, as zeros
	if c != le.Uint32(b[tail+4:]) {
		return &FormatError{Off: v.base + int64(blk)*v.sb.blockSize + int64(tail+4), Inode: in.Num, Msg: fmt.Sprintf("hashed folder index block %d: checksum mismatch (read all the same)", blk)}
	}
	return nil
}

// xattrMagic starts an extended attribute block.
const xattrMagic = 0xea020000

// checkXattrBlock verifies the checksum of the extended attribute block
// of inode in (i_file_acl), once per block for the walk.
func (w *walker) checkXattrBlock(in *inode) {
	v := w.v
	blk := in.FileACL
	if !v.sb.hasCsum || blk == 0 || w.xattrSeen[blk] {
		return
	}
	if len(w.xattrSeen) < 1<<20 {
		w.xattrSeen[blk] = true
	}
	if w.xbuf == nil {
		w.xbuf = make([]byte, v.sb.blockSize)
	}
	b := w.xbuf
	if err := v.readBlock(b, blk); err != nil {
		w.problem(&FormatError{Off: in.Off + 0x68, Inode: in.Num, Msg: "failed to read the extended attribute block", Err: err})
		return
	}
	le := binary.LittleEndian
	off := v.base + int64(blk)*v.sb.blockSize
	if le.Uint32(b) != xattrMagic {
		w.problem(&FormatError{Off: off, Inode: in.Num, Msg: fmt.Sprintf("extended attribute block %d without its magic (%#x)", blk, xattrMagic)})
		return
	}
	var nr [8]byte
	le.PutUint64(nr[:], blk)
	c := crc32c(v.sb.csumSeed, nr[:])
	c = crc32c(c, b[:0x10])
	c = crc32c(c, []byte{0, 0, 0, 0})
	c = crc32c(c, b[0x14:])
	if c != le.Uint32(b[0x10:]) {
		w.problem(&FormatError{Off: off + 0x10, Inode: in.Num, Msg: fmt.Sprintf("extended attribute block %d: checksum mismatch (read all the same)", blk)})
	}
}
