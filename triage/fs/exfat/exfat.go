// Package exfat reads exFAT volumes, with their deleted files, from an
// io.ReaderAt. Its API follows that of triage/fs/fat.
//
// # Use
//
//	if !exfat.Probe(boot) { ... }                // the volume's first 512 bytes
//	fs, err := exfat.Open(r, base, size, &exfat.Options{Location: zone})
//	err = fs.Walk(ctx, func(it *exfat.Item) error {
//		rd := fs.Open(it)                        // it.Readable bytes
//		...
//	}, func(problem error) { ... })             // *exfat.FormatError
//
// Open takes the volume (offset 0 is its boot sector) and the offset of
// the volume in its image, used only in messages: offsets in a FormatError
// are image offsets.
//
// # What is read
//
// The main boot region with its checksum sector; when it is bad, the
// backup boot region (a problem says so). The allocation bitmap, the
// up-case table (its checksum is checked), the volume label and the volume
// GUID entries of the root folder. Directory entry sets (File, Stream
// Extension, File Name) with their set checksum and names of up to 255
// UTF-16 characters; NoFatChain contiguous files and FAT chains; the valid
// data length (bytes past it read as zeros). Times have 10 ms increments;
// when their UTC offset field is valid they are in that offset, otherwise
// in the zone of Options (UTC by default) and Item.ZoneAssumed says so.
//
// Cluster chains are bounded by the file's size and the cluster count: a
// loop, a cross-link, a chain that ends early or points outside the volume
// is a problem with the offset of the FAT entry, and the item has Complete
// false with the bytes that could be read.
//
// # Deleted files
//
// A deleted entry set (in-use bits clear) whose checksum still matches is an
// item with Deleted set; its content comes from its stream extension (first
// cluster, length, contiguity) when those clusters are free in the
// allocation bitmap (Recovered "contiguous", or "fat-chain" when the chain
// the FAT still holds was followed), otherwise Complete is false with the
// reason "overwritten". Deleted folders are walked when their clusters are
// free; their entries are deleted too.
//
// # Safety
//
// Every count and offset read from the volume is checked before use; every
// loop is bounded by the cluster count or a named limit; the package is
// fuzzed and does not panic on hostile input.
package exfat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"time"
)

// Limits on what a volume may declare.
const (
	MinSectorShift = 9  // 512 bytes
	MaxSectorShift = 12 // 4096 bytes
	MaxClusterSize = 32 << 20
	MaxDirBytes    = 256 << 20 // the specification's limit on a folder
	MaxPathDepth   = 1024
	MaxClusters    = 0xfffffff5
)

// ErrNotExFAT is returned by Open when the volume has no exFAT boot sector.
var ErrNotExFAT = errors.New("exfat: no exFAT boot sector")

// FormatError is a problem found in the volume.
type FormatError struct {
	Off  int64  // image offset of the bytes at fault, -1 when not known
	Path string // the file or folder concerned, "" when none
	Msg  string
	Err  error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("exfat: ")
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

// Options are the examiner's choices for reading a volume.
type Options struct {
	// Location is the zone of times whose UTC offset field is not valid;
	// nil means UTC.
	Location *time.Location
}

// FS is an opened exFAT volume. It is not changed after Open: its methods
// may be called concurrently.
type FS struct {
	Label       string
	Serial      uint32
	GUID        [16]byte // the volume GUID entry's, zero when absent
	HasGUID     bool
	Revision    uint16 // file system revision (0x100 for 1.00)
	SectorSize  int64
	ClusterSize int64
	Clusters    int64 // clusters 2 to Clusters+1

	r        io.ReaderAt
	base     int64
	size     int64
	loc      *time.Location
	fatOff   int64
	heapOff  int64
	root     uint32
	fat      []byte
	bitmap   []byte // allocation bitmap: bit k is cluster k+2
	meta     []run  // clusters of the allocation bitmap and up-case table
	problems []error
}

// Probe reports whether boot, the first bytes of a volume (at least 512),
// is an exFAT boot sector.
func Probe(boot []byte) bool {
	return len(boot) >= 512 && string(boot[3:11]) == "EXFAT   " && boot[0] == 0xeb
}

// bootChecksum computes the boot region checksum of sectors 0-10.
func bootChecksum(region []byte, sector int) uint32 {
	var sum uint32
	for i, c := range region[:11*sector] {
		if i == 106 || i == 107 || i == 112 {
			continue
		}
		sum = bits.RotateLeft32(sum, -1) + uint32(c)
	}
	return sum
}

// Open opens the exFAT volume held in r (offset 0 is its boot sector, size
// the bytes available). base is the volume's offset in its image, for
// messages. A boot sector without the "EXFAT   " name gives ErrNotExFAT;
// a main boot region that is otherwise bad (its jump instruction, a
// field, its checksum) is replaced by the backup when that one is good.
func Open(r io.ReaderAt, base, size int64, opts *Options) (*FS, error) {
	boot := make([]byte, 512)
	if n, _ := r.ReadAt(boot, 0); n < 512 || string(boot[3:11]) != "EXFAT   " {
		return nil, ErrNotExFAT
	}
	fs := &FS{r: r, base: base, size: size, loc: time.UTC}
	if opts != nil && opts.Location != nil {
		fs.loc = opts.Location
	}
	main, err := fs.bootRegion(0)
	if err != nil {
		backup, berr := fs.bootRegion(12)
		if berr != nil {
			return nil, err
		}
		fs.problems = append(fs.problems, &FormatError{Off: base, Msg: "main boot region is bad, the backup is used", Err: err})
		main = backup
	}
	b := main
	le32 := func(o int) int64 { return int64(binary.LittleEndian.Uint32(b[o:])) }
	sectorShift, clusterShift := int(b[108]), int(b[109])
	fs.SectorSize = 1 << sectorShift
	fs.ClusterSize = 1 << (sectorShift + clusterShift)
	fs.fatOff = le32(80) * fs.SectorSize
	fatLen := le32(84) * fs.SectorSize
	fs.heapOff = le32(88) * fs.SectorSize
	fs.Clusters = le32(92)
	fs.root = binary.LittleEndian.Uint32(b[96:])
	fs.Serial = binary.LittleEndian.Uint32(b[100:])
	fs.Revision = binary.LittleEndian.Uint16(b[104:])
	volLen := int64(binary.LittleEndian.Uint64(b[72:]))
	switch {
	case fs.Clusters < 1 || fs.Clusters > MaxClusters:
		return nil, &FormatError{Off: base + 92, Msg: fmt.Sprintf("bad boot sector: cluster count %d", fs.Clusters)}
	case fatLen < (fs.Clusters+2)*4:
		return nil, &FormatError{Off: base + 84, Msg: fmt.Sprintf("bad boot sector: FAT of %d bytes cannot map %d clusters", fatLen, fs.Clusters)}
	case fs.fatOff < 24*fs.SectorSize || fs.heapOff < fs.fatOff+fatLen:
		return nil, &FormatError{Off: base + 80, Msg: "bad boot sector: FAT and cluster heap overlap the boot regions or each other"}
	case volLen > 0 && volLen < 1<<(63-sectorShift) && fs.heapOff+fs.Clusters*fs.ClusterSize > volLen*fs.SectorSize:
		return nil, &FormatError{Off: base + 92, Msg: fmt.Sprintf("bad boot sector: %d clusters do not fit the volume length %d sectors", fs.Clusters, volLen)}
	case !fs.valid(fs.root):
		return nil, &FormatError{Off: base + 96, Msg: fmt.Sprintf("bad boot sector: root folder cluster %d outside the volume", fs.root)}
	}
	if end := fs.heapOff + fs.Clusters*fs.ClusterSize; end > size {
		fs.problems = append(fs.problems, &FormatError{Off: base + size, Msg: fmt.Sprintf("volume declares clusters up to byte %d but only %d are available (truncated image?)", end, size)})
	}
	// The FAT, in chunks: memory follows what the image holds.
	need := (fs.Clusters + 2) * 4
	for off := int64(0); off < need; off += 1 << 20 {
		chunk := make([]byte, min(need-off, 1<<20))
		n, err := fs.readFull(chunk, fs.fatOff+off, "FAT")
		fs.fat = append(fs.fat, chunk[:n]...)
		if err != nil {
			fs.problems = append(fs.problems, err)
			break
		}
	}
	if err := fs.readRoot(); err != nil {
		return nil, err
	}
	return fs, nil
}

// bootRegion reads and checks the boot region at sector first (0: main,
// 12: backup).
func (fs *FS) bootRegion(first int64) ([]byte, error) {
	boot := make([]byte, 512)
	off := first * 512
	if _, err := fs.readFull(boot, off, "boot sector"); err != nil {
		return nil, err
	}
	bad := func(o int64, format string, a ...any) error {
		return &FormatError{Off: fs.base + off + o, Msg: "bad boot sector: " + fmt.Sprintf(format, a...)}
	}
	if string(boot[3:11]) != "EXFAT   " {
		return nil, bad(3, "no exFAT signature")
	}
	if boot[0] != 0xeb {
		return nil, bad(0, "jump instruction %#x is not 0xeb", boot[0])
	}
	if boot[510] != 0x55 || boot[511] != 0xaa {
		return nil, bad(510, "no 0x55aa signature")
	}
	for i := 11; i < 64; i++ {
		if boot[i] != 0 {
			return nil, bad(int64(i), "bytes 11-63 are not zero")
		}
	}
	ss, cs := int(boot[108]), int(boot[109])
	if ss < MinSectorShift || ss > MaxSectorShift {
		return nil, bad(108, "bytes per sector shift %d is not from %d to %d", ss, MinSectorShift, MaxSectorShift)
	}
	if ss+cs > 25 || int64(1)<<(ss+cs) > MaxClusterSize {
		return nil, bad(109, "cluster size 2^%d exceeds %d bytes", ss+cs, MaxClusterSize)
	}
	if n := boot[110]; n != 1 && n != 2 {
		return nil, bad(110, "FAT count %d is not 1 or 2", n)
	}
	sector := 1 << ss
	region := make([]byte, 12*sector)
	off = first * int64(sector)
	if _, err := fs.readFull(region, off, "boot region"); err != nil {
		return nil, err
	}
	sum := bootChecksum(region, sector)
	for i := 11 * sector; i < 12*sector; i += 4 {
		if binary.LittleEndian.Uint32(region[i:]) != sum {
			return nil, &FormatError{Off: fs.base + off + int64(i), Msg: fmt.Sprintf("boot region checksum %#x does not match %#x", binary.LittleEndian.Uint32(region[i:]), sum)}
		}
	}
	return region[:512], nil
}

func (fs *FS) valid(c uint32) bool { return c >= 2 && int64(c) < fs.Clusters+2 }

func (fs *FS) clusterOff(c uint32) int64 { return fs.heapOff + int64(c-2)*fs.ClusterSize }

func (fs *FS) entryOff(c uint32) int64 { return fs.fatOff + int64(c)*4 }

const (
	entryUnread = 0xffffffff - 1
	entryBad    = 0xfffffff7
	entryEOC    = 0xfffffff8
)

func (fs *FS) next(c uint32) uint32 {
	o := int(c) * 4
	if o+4 > len(fs.fat) {
		return entryUnread
	}
	return binary.LittleEndian.Uint32(fs.fat[o:])
}

// allocated reports whether the allocation bitmap marks cluster c used
// (true when the bitmap does not cover it).
func (fs *FS) allocated(c uint32) bool {
	k := int64(c) - 2
	if k < 0 || k/8 >= int64(len(fs.bitmap)) {
		return true
	}
	return fs.bitmap[k/8]&(1<<(k%8)) != 0
}

// Zone returns the zone of times whose UTC offset is not recorded.
func (fs *FS) Zone() *time.Location { return fs.loc }

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
