package ext

import (
	"encoding/binary"
	"fmt"
)

// MaxOrphanFileBlocks bounds the blocks of the orphan file that are read
// (mke2fs makes it 1 MiB at most by default; the kernel allows 512 blocks).
const MaxOrphanFileBlocks = 1 << 12

// orphanBlockMagic ends every block of the orphan file, before the
// block's checksum.
const orphanBlockMagic = 0x0b10ca04

// readOrphanFile returns the inodes held in the orphan file (ext4's
// orphan_file feature: the orphan list kept as an array of inode numbers
// in the blocks of a file, each block ending in a magic number and a
// CRC-32C), calling problem for what is corrupt.
func (v *Volume) readOrphanFile(problem func(error)) []uint32 {
	s := v.sb
	n := s.orphanFile
	if n == 0 {
		return nil
	}
	if n > s.inodes {
		problem(&FormatError{Off: v.base + 1024 + 0x280, Msg: fmt.Sprintf("orphan file inode %d is past the %d inodes of the volume", n, s.inodes)})
		return nil
	}
	in, err := v.readInode(n)
	if err != nil {
		problem(err)
		return nil
	}
	runs, warn, err := v.blockMap(in)
	for _, w := range warn {
		problem(w)
	}
	if err != nil {
		problem(err)
	}
	bs := s.blockSize
	buf := make([]byte, bs)
	var out []uint32
	blocks := 0
	for _, r := range runs {
		for i := uint64(0); i < r.count && !r.uninit; i++ {
			if blocks++; blocks > MaxOrphanFileBlocks {
				problem(&FormatError{Off: in.Off, Inode: n, Msg: fmt.Sprintf("orphan file of more than %d blocks: the rest is not read", MaxOrphanFileBlocks)})
				return out
			}
			out = v.orphanBlock(buf, r.phys+i, in, out, problem)
		}
	}
	return out
}

// orphanBlock reads block blk of the orphan file in into buf and appends
// the inode numbers it holds to out.
func (v *Volume) orphanBlock(buf []byte, blk uint64, in *inode, out []uint32, problem func(error)) []uint32 {
	boff := v.base + int64(blk)*v.sb.blockSize
	if err := v.readBlock(buf, blk); err != nil {
		problem(&FormatError{Off: boff, Inode: in.Num, Msg: "failed to read a block of the orphan file", Err: err})
		return out
	}
	return v.parseOrphanBlock(buf, blk, in, out, problem)
}

// parseOrphanBlock appends the inode numbers held in buf, block blk of the
// orphan file in, to out.
func (v *Volume) parseOrphanBlock(buf []byte, blk uint64, in *inode, out []uint32, problem func(error)) []uint32 {
	le := binary.LittleEndian
	boff := v.base + int64(blk)*v.sb.blockSize
	if len(buf) < 8 {
		return out
	}
	t := len(buf) - 8
	if le.Uint32(buf[t:]) != orphanBlockMagic {
		problem(&FormatError{Off: boff + int64(t), Inode: in.Num, Msg: fmt.Sprintf("orphan file block %d without its magic (%#x)", blk, orphanBlockMagic)})
		return out
	}
	if v.sb.hasCsum {
		var nr [8]byte
		le.PutUint64(nr[:], blk)
		c := crc32c(v.inodeSeed(in), nr[:])
		c = crc32c(c, buf[:t])
		if c != le.Uint32(buf[t+4:]) {
			problem(&FormatError{Off: boff + int64(t+4), Inode: in.Num, Msg: fmt.Sprintf("orphan file block %d: checksum mismatch (read all the same)", blk)})
		}
	}
	for p := 0; p+4 <= t; p += 4 {
		x := le.Uint32(buf[p:])
		switch {
		case x == 0:
		case x > v.sb.inodes:
			problem(&FormatError{Off: boff + int64(p), Inode: in.Num, Msg: fmt.Sprintf("orphan file names inode %d, past the %d inodes of the volume", x, v.sb.inodes)})
		default:
			out = append(out, x)
		}
	}
	return out
}
