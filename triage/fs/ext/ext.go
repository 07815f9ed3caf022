// Package ext is the ext2, ext3 and ext4 file system for the scan engine:
// its own reader on an io.ReaderAt, with deleted names from folder slack,
// deleted and orphan inodes, hard and symbolic links, sparse files, inline
// data and the metadata checksums of ext4.
//
// The journal is not replayed: the volume is read as it lies on disk.
// Concurrent reads of entries' contents are safe when the io.ReaderAt is.
package ext

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/triagekit/triage/triage/fs"
)

// Format is ext2/3/4.
var Format = fs.Format{Name: "ext", Probe: Probe, Open: Open}

// ErrNotExt is returned by Open when neither the superblock nor its
// backup in block group 1 is an ext superblock.
var ErrNotExt = errors.New("ext: no ext superblock")

// FormatError is a problem found in the volume: what is wrong, the inode
// it concerns (0 when none) and the image offset of the bytes at fault.
type FormatError struct {
	Off   int64
	Inode uint32
	Msg   string
	Err   error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("ext: ")
	if e.Inode != 0 {
		fmt.Fprintf(&b, "inode %d: ", e.Inode)
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	fmt.Fprintf(&b, " at byte %#x", e.Off)
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// Offset returns the image offset of the problem.
func (e *FormatError) Offset() int64 { return e.Off }

// Probe tells whether b holds an ext superblock at 1024 (magic 0xef53)
// with a block size of at most 64 KiB.
func Probe(b []byte) bool {
	return len(b) >= 0x440 && binary.LittleEndian.Uint16(b[0x438:]) == 0xef53 &&
		binary.LittleEndian.Uint32(b[0x418:]) <= 6
}

// Volume is an opened ext volume.
type Volume struct {
	r       io.ReaderAt
	base    int64
	size    int64
	sb      *superblock
	groups  []group
	pending []error // problems found by Open, given to the first Walk
	backup  bool    // read with the backup superblock and descriptors
}

// Open opens the ext volume held in r (size bytes from offset 0, at
// offset base of its image). A primary superblock that is corrupt is
// replaced by its backup in block group 1, with a problem; a volume with
// an incompatible feature the reader does not know is not read.
func Open(r io.ReaderAt, base, size int64, _ fs.Options) (fs.FS, error) {
	return New(r, base, size)
}

// New is Open returning the *Volume.
func New(r io.ReaderAt, base, size int64) (*Volume, error) {
	v := &Volume{r: r, base: base, size: size}
	b := make([]byte, 1024)
	var sb *superblock
	var err error
	sbGroup := uint64(0)
	if n, _ := r.ReadAt(b, 1024); n == len(b) {
		sb, err = parseSuper(b, base+1024, size)
		if err == nil && sb.hasCsum && sb.superCalc != sb.superChecksum {
			err = &FormatError{Off: base + 1024 + 0x3fc, Msg: fmt.Sprintf("superblock checksum %#08x, computed %#08x", sb.superChecksum, sb.superCalc)}
			sb = nil
		}
	} else {
		err = &FormatError{Off: base + 1024, Msg: "volume too small for a superblock"}
	}
	if sb == nil {
		bk, off := backupSuper(r, base, size)
		if bk == nil {
			if errors.Is(err, ErrNotExt) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", ErrNotExt, err)
		}
		v.pending = append(v.pending, fmt.Errorf("ext: the primary superblock is corrupt (%w); read with its backup in block group 1 at byte %#x", err, base+off))
		sb, sbGroup = bk, 1
		v.backup = true
	}
	v.sb = sb
	if f := sb.unreadFeatures(); f != "" {
		return nil, &FormatError{Off: base + 1024 + 0x60, Msg: fmt.Sprintf("incompatible features this reader does not know (%s): volume not read", f)}
	}
	if sb.incompat&incompatRecover != 0 {
		v.pending = append(v.pending, &FormatError{Off: base + 1024 + 0x60, Msg: "the journal holds changes that were not written to the file system (needs_recovery); it is not replayed: the volume is read as it lies on disk"})
	}
	if err := v.readGroups(sbGroup); err != nil {
		return nil, err
	}
	return v, nil
}

// backupSuper looks for the superblock copy of block group 1 for each
// block size, and returns it with its volume offset.
func backupSuper(r io.ReaderAt, base, size int64) (*superblock, int64) {
	b := make([]byte, 1024)
	for log := uint(0); log <= 6; log++ {
		bs := int64(1024) << log
		first := int64(0)
		if bs == 1024 {
			first = 1
		}
		off := (8*bs + first) * bs
		if off+1024 > size {
			continue
		}
		if n, _ := r.ReadAt(b, off); n < len(b) {
			continue
		}
		s, err := parseSuper(b, base+off, size)
		if err != nil || s.blockSize != bs || s.groupNr != 1 || int64(s.blocksPerGrp) != 8*bs {
			continue
		}
		if s.hasCsum && s.superCalc != s.superChecksum {
			continue
		}
		return s, off
	}
	return nil, 0
}

// Label returns the volume name.
func (v *Volume) Label() string { return v.sb.label }

// BlockSize returns the block size in bytes.
func (v *Volume) BlockSize() int64 { return v.sb.blockSize }

// Version names the file system by its features: "ext4" with extents,
// flex_bg or 64-bit block numbers, "ext3" with a journal, else "ext2".
func (v *Volume) Version() string {
	switch {
	case v.sb.incompat&(incompatExtents|incompat64Bit|incompatFlexBG) != 0:
		return "ext4"
	case v.sb.compat&compatHasJournal != 0:
		return "ext3"
	}
	return "ext2"
}
