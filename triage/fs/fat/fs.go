package fat

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Options are the examiner's choices for reading a volume.
type Options struct {
	// CodePage decodes short (8.3) names; nil means code page 437.
	CodePage *CodePage
	// Location is the time zone the volume's local times are read in;
	// nil means UTC. FAT stores times without a zone.
	Location *time.Location
}

// FS is an opened FAT12, FAT16 or FAT32 volume. It is not changed after
// Open: its methods, Walk included, may be called concurrently.
type FS struct {
	Type        Type
	OEMName     string // the boot sector's OEM name ("MSDOS5.0", "mkfs.fat")
	Label       string // the root folder's volume label entry, else the boot sector's
	BootLabel   string // the boot sector's label field ("" when absent)
	Serial      uint32 // the volume serial number ("volume ID")
	HasSerial   bool   // the boot sector has the extended signature holding Serial and BootLabel
	SectorSize  int64
	ClusterSize int64
	Clusters    int64 // data clusters (numbered 2 to Clusters+1)

	r        io.ReaderAt
	base     int64 // image offset of the volume, for messages
	size     int64 // bytes of the volume available
	p        *bpb
	cp       *CodePage
	loc      *time.Location
	fatOff   int64 // volume offset of FAT 1
	rootOff  int64 // FAT12/16: volume offset of the fixed root folder
	dataOff  int64 // volume offset of cluster 2
	fat      table
	problems []error // found by Open, reported at the start of Walk
}

// Open opens the FAT volume held in r: offset 0 is its boot sector, size
// the bytes available to it. base is the offset of the volume in its image:
// offsets in errors are image offsets (base + volume offset). r must be
// safe for concurrent ReadAt. A boot sector that is not FAT gives ErrNotFAT;
// a FAT boot sector that breaks a limit gives a *FormatError. Damage that
// leaves the volume readable (a truncated image, FAT copies that differ) is
// reported by Walk as problems.
func Open(r io.ReaderAt, base, size int64, opts *Options) (*FS, error) {
	boot := make([]byte, 512)
	if n, _ := r.ReadAt(boot, 0); n < len(boot) {
		return nil, ErrNotFAT
	}
	p, err := parseBPB(boot)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Off += base
			fe.Msg = "bad boot sector: " + fe.Msg
		}
		return nil, err
	}
	fs := &FS{r: r, base: base, size: size, p: p, cp: CP437, loc: time.UTC}
	if opts != nil && opts.CodePage != nil {
		fs.cp = opts.CodePage
	}
	if opts != nil && opts.Location != nil {
		fs.loc = opts.Location
	}
	fs.Type = p.fatType()
	fs.OEMName = p.oem
	fs.SectorSize = p.bytesPerSector
	fs.ClusterSize = p.bytesPerSector * p.secPerCluster
	fs.Clusters = p.clusters()
	fs.Serial, fs.HasSerial = p.serial, p.hasExt
	if p.hasExt {
		fs.BootLabel = trimLabel(fs.cp.decode(p.labelRaw[:], false))
	}
	fs.fatOff = p.reserved * p.bytesPerSector
	fs.rootOff = fs.fatOff + p.fats*p.fatSectors*p.bytesPerSector
	fs.dataOff = fs.rootOff + p.rootDirSectors()*p.bytesPerSector

	if fs.Type == FAT32 && !p.fat32 {
		return nil, &FormatError{Off: base + 0x16, Msg: fmt.Sprintf("bad boot sector: %d clusters (FAT32) with a FAT12/16 boot sector", fs.Clusters)}
	}
	if fs.Clusters > MaxClusters {
		return nil, &FormatError{Off: base + 0x20, Msg: fmt.Sprintf("bad boot sector: %d clusters exceed the FAT32 maximum %d", fs.Clusters, MaxClusters)}
	}
	if fs.Clusters < 1 {
		return nil, &FormatError{Off: base + 0x13, Msg: "bad boot sector: no data clusters"}
	}
	// The FAT must hold an entry for every cluster.
	need := (fs.Clusters + 2) * int64(fs.Type) / 8
	if have := p.fatSectors * p.bytesPerSector; have < need {
		return nil, &FormatError{Off: base + 0x16, Msg: fmt.Sprintf("bad boot sector: FAT of %d bytes cannot map %d clusters (%d bytes needed)", have, fs.Clusters, need)}
	}
	if fs.Type == FAT32 && (p.rootCluster < 2 || int64(p.rootCluster) >= fs.Clusters+2) {
		return nil, &FormatError{Off: base + 0x2c, Msg: fmt.Sprintf("bad boot sector: root folder cluster %d outside the volume (clusters 2 to %d)", p.rootCluster, fs.Clusters+1)}
	}
	// Sectors past the last whole cluster hold nothing: only a volume
	// whose clusters do not fit is short.
	if end := fs.dataOff + fs.Clusters*fs.ClusterSize; end > size {
		fs.problems = append(fs.problems, &FormatError{Off: base + size, Msg: fmt.Sprintf("volume declares %d bytes (clusters up to byte %d) but only %d are available (truncated image?)", p.totalSectors*p.bytesPerSector, end, size)})
	}
	if err := fs.loadFAT(); err != nil {
		return nil, err
	}
	fs.Label = fs.BootLabel
	if l, ok := fs.rootLabel(); ok {
		fs.Label = l
	}
	return fs, nil
}

// Zone returns the time zone the volume's times are read in.
func (fs *FS) Zone() *time.Location { return fs.loc }

// CodePage returns the code page short names are decoded with.
func (fs *FS) CodePage() *CodePage { return fs.cp }

// clusterOff returns the volume offset of cluster c (2 <= c < Clusters+2).
func (fs *FS) clusterOff(c uint32) int64 {
	return fs.dataOff + int64(c-2)*fs.ClusterSize
}

// validCluster reports whether c is a data cluster of the volume.
func (fs *FS) validCluster(c uint32) bool {
	return c >= 2 && int64(c) < fs.Clusters+2
}

// readFull reads len(b) bytes at volume offset off; it returns how many it
// read and a *FormatError naming what when that is fewer.
func (fs *FS) readFull(b []byte, off int64, what string) (int, error) {
	n, err := fs.r.ReadAt(b, off)
	if n == len(b) {
		return n, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return n, &FormatError{Off: fs.base + off + int64(n), Msg: "failed to read " + what + " (truncated image?)", Err: err}
}

func trimLabel(s string) string {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == 0) {
		s = s[:len(s)-1]
	}
	if s == "NO NAME" {
		return ""
	}
	return s
}
