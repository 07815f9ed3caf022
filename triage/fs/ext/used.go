package ext

import "encoding/binary"

// UsedBytes is the size of the blocks in use by the primary superblock's
// count of free blocks (fs.Usage); -1 when that superblock cannot be read
// or its count is impossible (a volume opened from a backup superblock).
func (v *Volume) UsedBytes() int64 {
	b := make([]byte, 1024)
	if n, _ := v.r.ReadAt(b, 1024); n < len(b) || binary.LittleEndian.Uint16(b[0x38:]) != 0xef53 {
		return -1
	}
	free := uint64(binary.LittleEndian.Uint32(b[0x0c:]))
	if v.sb.incompat&incompat64Bit != 0 {
		free |= uint64(binary.LittleEndian.Uint32(b[0x158:])) << 32
	}
	if free > v.sb.blocks {
		return -1
	}
	used := int64(v.sb.blocks-free) * v.sb.blockSize
	if v.size > 0 {
		used = min(used, v.size)
	}
	return used
}
