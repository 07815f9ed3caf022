package formats

import "encoding/binary"

// Probes of the file systems that are recognised but not read yet. Each
// moves into its file system's package with the reader.

// probeXFS finds the XFS superblock at 0: "XFSB" and a block size that is
// a power of two from 512 bytes to 64 KiB.
func probeXFS(b []byte) bool {
	if len(b) < 8 || string(b[:4]) != "XFSB" {
		return false
	}
	bs := binary.BigEndian.Uint32(b[4:])
	return bs >= 512 && bs <= 64<<10 && bs&(bs-1) == 0
}
