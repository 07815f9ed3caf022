package formats

import (
	"bytes"
)

// Probes of the file systems that are recognised but not read yet. Each
// moves into its file system's package with the reader.

// bootSector tells whether b starts with a sector ending in 55AA.
func bootSector(b []byte) bool { return len(b) >= 512 && b[510] == 0x55 && b[511] == 0xaa }

func probeExFAT(b []byte) bool { return bootSector(b) && bytes.Equal(b[3:11], []byte("EXFAT   ")) }

func probeFAT(b []byte) bool {
	return bootSector(b) && (bytes.Equal(b[54:59], []byte("FAT12")) || bytes.Equal(b[54:59], []byte("FAT16")) ||
		bytes.Equal(b[82:87], []byte("FAT32")))
}
