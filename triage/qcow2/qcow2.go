// Package qcow2 reads QEMU copy-on-write version 2 and 3 images (QCOW2,
// "QFI\xfb"): their two-level cluster tables, compressed clusters (zlib
// and zstd), zero clusters, and backing files (a QCOW2 or raw image),
// read with the image. Encrypted images, external data files and
// extended L2 entries (subclusters) are refused with a clear error.
//
// A Reader is an io.ReaderAt over the virtual disk; concurrent ReadAt
// calls are safe. A read that reaches the end of the disk returns the
// bytes before it and io.EOF. A cluster that lies outside its file or
// does not decompress reads as zeros and is returned as a
// *container.RegionError naming the file and the offset.
package qcow2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"

	"github.com/triagekit/triage/internal/evidence"
	"github.com/triagekit/triage/internal/vdisk"
	"github.com/triagekit/triage/triage/image/container"
)

// Limits on what a header may declare.
const (
	minClusterBits = 9
	maxClusterBits = 21 // 2 MiB clusters
	maxL1Entries   = 1 << 25
	maxDiskSize    = 1 << 56
	maxBackingName = 1023
	maxHeaderExt   = 64 // header extensions read
	l2CacheSize    = 512
	// MetadataKey is the key of a QCOW2's metadata on the evidence item.
	MetadataKey = "qcow2"
)

var (
	// ErrNotQCOW2 is returned when a file does not start with "QFI\xfb".
	ErrNotQCOW2 = errors.New("qcow2: not a QCOW2 image")
	// ErrEncrypted is returned for an encrypted image.
	ErrEncrypted = errors.New("qcow2: encrypted image")
	// ErrUnsupported is returned for features this package does not read.
	ErrUnsupported = errors.New("qcow2: unsupported feature")
	magic          = []byte("QFI\xfb")
)

// ErrNoParent is wrapped by the error returned for a differencing disk
// whose parent is not found (next to it under the name it records, nor
// among the parents given).
var ErrNoParent = vdisk.ErrNoParent

// FormatError reports a problem in the structure of a QCOW2 file, at a
// byte offset of that file.
type FormatError struct {
	File string
	Off  int64
	Msg  string
	Val  any
	Err  error
}

func (e *FormatError) Error() string {
	s := "qcow2: " + filepath.Base(e.File) + ": " + e.Msg
	if e.Val != nil {
		s += fmt.Sprintf(" %v", e.Val)
	}
	s += fmt.Sprintf(" at byte %#x", e.Off)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// IsQCOW2 tells whether a file starts with the QCOW2 magic and version 2
// or 3.
func IsQCOW2(head, _ []byte) bool {
	return len(head) >= 8 && bytes.HasPrefix(head, magic) && (head[7] == 2 || head[7] == 3) && head[4] == 0 && head[5] == 0 && head[6] == 0
}

// Header is the QCOW2 header.
type Header struct {
	Version         uint32
	BackingOffset   uint64
	BackingSize     uint32
	ClusterBits     uint32
	Size            uint64
	CryptMethod     uint32
	L1Size          uint32
	L1Offset        uint64
	RefcountOffset  uint64
	RefcountCluster uint32
	Snapshots       uint32
	SnapshotsOffset uint64
	Incompatible    uint64
	Compatible      uint64
	Autoclear       uint64
	RefcountOrder   uint32
	HeaderLength    uint32
	Compression     uint8 // 0 zlib, 1 zstd
	BackingFile     string
	BackingFormat   string
}

// Incompatible feature bits.
const (
	IncompatDirty       = 1 << 0
	IncompatCorrupt     = 1 << 1
	IncompatExternal    = 1 << 2
	IncompatCompression = 1 << 3
	IncompatExtendedL2  = 1 << 4
)

// ParseHeader parses the header and its extensions from the first bytes
// of a file (at least 72; the backing file name and extensions are read
// from b when it holds them).
func ParseHeader(b []byte, name string) (*Header, error) {
	ferr := func(off int64, msg string, val any) error {
		return &FormatError{File: name, Off: off, Msg: msg, Val: val}
	}
	if len(b) < 72 || !bytes.HasPrefix(b, magic) {
		return nil, ErrNotQCOW2
	}
	be := binary.BigEndian
	h := &Header{
		Version: be.Uint32(b[4:]), BackingOffset: be.Uint64(b[8:]), BackingSize: be.Uint32(b[16:]),
		ClusterBits: be.Uint32(b[20:]), Size: be.Uint64(b[24:]), CryptMethod: be.Uint32(b[32:]),
		L1Size: be.Uint32(b[36:]), L1Offset: be.Uint64(b[40:]), RefcountOffset: be.Uint64(b[48:]),
		RefcountCluster: be.Uint32(b[56:]), Snapshots: be.Uint32(b[60:]), SnapshotsOffset: be.Uint64(b[64:]),
		RefcountOrder: 4, HeaderLength: 72,
	}
	if h.Version != 2 && h.Version != 3 {
		return nil, ferr(4, "unsupported version", h.Version)
	}
	if h.Version == 3 {
		if len(b) < 104 {
			return nil, ferr(72, "version 3 header truncated", nil)
		}
		h.Incompatible, h.Compatible, h.Autoclear = be.Uint64(b[72:]), be.Uint64(b[80:]), be.Uint64(b[88:])
		h.RefcountOrder, h.HeaderLength = be.Uint32(b[96:]), be.Uint32(b[100:])
		if h.HeaderLength < 104 || h.HeaderLength%8 != 0 && h.HeaderLength != 104 || int(h.HeaderLength) > len(b) {
			return nil, ferr(100, "bad header length", h.HeaderLength)
		}
		if h.HeaderLength > 104 {
			h.Compression = b[104]
		}
	}
	if h.ClusterBits < minClusterBits || h.ClusterBits > maxClusterBits {
		return nil, ferr(20, "bad cluster bits", h.ClusterBits)
	}
	if h.Size > maxDiskSize {
		return nil, ferr(24, "virtual size too large:", h.Size)
	}
	if h.CryptMethod != 0 {
		return nil, &FormatError{File: name, Off: 32, Msg: fmt.Sprintf("encryption method %d: the content cannot be read without the key", h.CryptMethod), Err: ErrEncrypted}
	}
	if h.Incompatible&IncompatExternal != 0 {
		return nil, &FormatError{File: name, Off: 72, Msg: "data in an external data file", Err: ErrUnsupported}
	}
	if h.Incompatible&IncompatExtendedL2 != 0 {
		return nil, &FormatError{File: name, Off: 72, Msg: "extended L2 entries (subclusters)", Err: ErrUnsupported}
	}
	if unknown := h.Incompatible &^ (IncompatDirty | IncompatCorrupt | IncompatCompression); unknown != 0 {
		return nil, &FormatError{File: name, Off: 72, Msg: fmt.Sprintf("unknown incompatible features %#x", unknown), Err: ErrUnsupported}
	}
	if h.Compression > 1 {
		return nil, &FormatError{File: name, Off: 104, Msg: fmt.Sprintf("compression type %d", h.Compression), Err: ErrUnsupported}
	}
	// Header extensions.
	off := int(h.HeaderLength)
	for range maxHeaderExt {
		if off+8 > len(b) {
			break
		}
		typ, n := be.Uint32(b[off:]), int(be.Uint32(b[off+4:]))
		if typ == 0 {
			break
		}
		if n > len(b)-off-8 {
			return nil, ferr(int64(off+4), "header extension longer than the header cluster:", n)
		}
		if typ == 0xe2792aca {
			h.BackingFormat = string(b[off+8 : off+8+n])
		}
		off += 8 + (n+7)&^7
	}
	if h.BackingOffset != 0 {
		if h.BackingSize == 0 || h.BackingSize > maxBackingName {
			return nil, ferr(16, "bad backing file name length", h.BackingSize)
		}
		if h.BackingOffset > uint64(len(b)) || int(h.BackingOffset)+int(h.BackingSize) > len(b) {
			return nil, ferr(8, "backing file name outside the header cluster:", h.BackingOffset)
		}
		h.BackingFile = string(b[h.BackingOffset : h.BackingOffset+uint64(h.BackingSize)])
	}
	return h, nil
}

// Reader reads a QCOW2 image and its backing files.
type Reader struct {
	vdisk.FileDigests // the files' SHA-256 from the last full stream

	f         io.ReaderAt
	closer    io.Closer
	path      string
	fsize     int64
	h         *Header
	csize     int64
	l1        []uint64
	parent    vdisk.Disk
	probs     []error
	mu        sync.Mutex
	l2        map[int64][]uint64
	zstdPool  sync.Pool // *zstd.Decoder
	flatePool sync.Pool // flate readers
}

// New reads the QCOW2 image held by r (size bytes) with no backing file:
// an image that names one fails with ErrNoParent.
func New(r io.ReaderAt, size int64) (*Reader, error) {
	return newReader(r, size, "", &vdisk.Chain{})
}

// Open opens the QCOW2 image at path read-only, with its backing files
// (looked for next to it by the name it records, or among parents; the
// recorded path itself is never followed outside the image's folder).
func Open(path string, parents ...string) (*Reader, error) {
	return openChain(path, &vdisk.Chain{Given: parents})
}

func openChain(path string, c *vdisk.Chain) (*Reader, error) {
	return vdisk.OpenMember("qcow2", path, c, func(f *vdisk.File, size int64) (*Reader, error) {
		r, err := newReader(f, size, path, c)
		if err == nil {
			r.closer = f
		}
		return r, err
	})
}

func newReader(f io.ReaderAt, fsize int64, path string, c *vdisk.Chain) (*Reader, error) {
	name := path
	if name == "" {
		name = "image"
	}
	ferr := func(off int64, msg string, val any) error {
		return &FormatError{File: name, Off: off, Msg: msg, Val: val}
	}
	head := make([]byte, min(fsize, 1<<16))
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if !bytes.HasPrefix(head, magic) {
		return nil, ErrNotQCOW2
	}
	if len(head) < 72 {
		return nil, ferr(int64(len(head)), "header truncated", nil)
	}
	cbits := binary.BigEndian.Uint32(head[20:])
	if cbits >= minClusterBits && cbits <= maxClusterBits && int64(1)<<cbits > int64(len(head)) && fsize > int64(len(head)) {
		head = make([]byte, min(fsize, int64(1)<<cbits))
		n, _ = f.ReadAt(head, 0)
		head = head[:n]
	}
	h, err := ParseHeader(head, name)
	if err != nil {
		return nil, err
	}
	r := &Reader{f: f, path: path, fsize: fsize, h: h, csize: 1 << h.ClusterBits, l2: map[int64][]uint64{}}
	if h.Incompatible&IncompatDirty != 0 {
		r.probs = append(r.probs, ferr(72, "image marked dirty (not closed cleanly): its refcounts may be stale; the data is read as the tables give it", nil))
	}
	if h.Incompatible&IncompatCorrupt != 0 {
		r.probs = append(r.probs, ferr(72, "image marked corrupt by QEMU", nil))
	}
	// The L1 table.
	need := (int64(h.Size) + r.csize*(r.csize/8) - 1) / (r.csize * (r.csize / 8))
	if int64(h.L1Size) < need {
		return nil, ferr(36, fmt.Sprintf("L1 table of %d entries too small for a disk of %d bytes: want", h.L1Size, h.Size), need)
	}
	if need > maxL1Entries {
		return nil, ferr(36, "L1 table too large:", need)
	}
	if h.L1Offset > uint64(fsize) || int64(h.L1Offset)+need*8 > fsize {
		return nil, ferr(40, "L1 table outside the file:", h.L1Offset)
	}
	l1 := make([]byte, need*8)
	if err := vdisk.ReadFull(f, l1, int64(h.L1Offset)); err != nil {
		return nil, ferr(int64(h.L1Offset), "cannot read the L1 table: "+err.Error(), nil)
	}
	r.l1 = make([]uint64, need)
	for i := range r.l1 {
		r.l1[i] = binary.BigEndian.Uint64(l1[i*8:]) & 0x00fffffffffffe00
	}
	if h.BackingFile != "" {
		want := "backing file"
		if h.BackingFormat != "" {
			want += " in format " + h.BackingFormat
		}
		p, err := vdisk.FindParent(c, path, h.BackingFile, want, false, func(pp string) (vdisk.Disk, error) {
			return openBacking(pp, h.BackingFormat, c)
		})
		if err != nil {
			return nil, fmt.Errorf("qcow2: %w", err)
		}
		r.parent = p
	}
	return r, nil
}

// openBacking opens a backing file: a QCOW2 image (by its magic) or a raw
// one. A recorded format other than those is refused.
func openBacking(path, format string, c *vdisk.Chain) (vdisk.Disk, error) {
	f, err := evidence.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 8)
	n, _ := f.ReadAt(head, 0)
	f.Close()
	if IsQCOW2(head[:n], nil) {
		if format != "" && format != "qcow2" {
			return nil, fmt.Errorf("qcow2: backing file %s is a QCOW2 image, the child records format %q", path, format)
		}
		return openChain(path, c)
	}
	if format != "" && format != "raw" {
		return nil, fmt.Errorf("qcow2: backing file %s: format %q: %w", path, format, ErrUnsupported)
	}
	if err := c.Enter(path); err != nil {
		return nil, fmt.Errorf("qcow2: %w", err)
	}
	return vdisk.OpenRaw(path)
}

// Header returns the image header.
func (r *Reader) Header() Header { return *r.h }

// Size returns the virtual disk size in bytes.
func (r *Reader) Size() int64 { return int64(r.h.Size) }

// Close closes the file and its backing files.
func (r *Reader) Close() error {
	var err error
	if r.parent != nil {
		err = r.parent.Close()
	}
	if r.closer != nil {
		if e := r.closer.Close(); err == nil {
			err = e
		}
	}
	return err
}

// ReadAt reads the virtual disk.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	return vdisk.ReadBlocks(p, off, r.Size(), r.csize, r.readCluster)
}

func (r *Reader) regionErr(moff int64, n int, foff int64, format string, args ...any) error {
	return &container.RegionError{Off: moff, Length: int64(n),
		Err: fmt.Errorf("qcow2: media bytes %#x-%#x in %s unreadable at byte %#x: %s", moff, moff+int64(n)-1, filepath.Base(r.path), foff, fmt.Sprintf(format, args...))}
}

// l2Table returns the L2 table at off, cached.
func (r *Reader) l2Table(off int64) ([]uint64, error) {
	r.mu.Lock()
	t, ok := r.l2[off]
	r.mu.Unlock()
	if ok {
		return t, nil
	}
	if off%r.csize != 0 {
		return nil, errors.New("L2 table not aligned on a cluster")
	}
	if off+r.csize > r.fsize {
		return nil, errors.New("L2 table past the end of the file")
	}
	b := make([]byte, r.csize)
	if err := vdisk.ReadFull(r.f, b, off); err != nil {
		return nil, err
	}
	t = make([]uint64, r.csize/8)
	for i := range t {
		t[i] = binary.BigEndian.Uint64(b[i*8:])
	}
	r.mu.Lock()
	if len(r.l2) >= l2CacheSize {
		clear(r.l2)
	}
	r.l2[off] = t
	r.mu.Unlock()
	return t, nil
}

func (r *Reader) readCluster(p []byte, cl, within int64) error {
	moff := cl*r.csize + within
	per := r.csize / 8
	l1i := cl / per
	l2off := int64(r.l1[l1i])
	if l2off == 0 {
		return vdisk.ReadParent(r.parent, p, moff)
	}
	t, err := r.l2Table(l2off)
	if err != nil {
		return r.regionErr(moff, len(p), int64(r.h.L1Offset)+l1i*8, "L2 table at byte %#x: %v", l2off, err)
	}
	e := t[cl%per]
	entryOff := l2off + (cl%per)*8
	if e&(1<<62) != 0 {
		return r.readCompressed(p, e, within, moff, entryOff)
	}
	host := int64(e & 0x00fffffffffffe00)
	if e&1 != 0 && r.h.Version >= 3 {
		clear(p)
		return nil
	}
	if host == 0 {
		return vdisk.ReadParent(r.parent, p, moff)
	}
	if host+within+int64(len(p)) > r.fsize {
		return r.regionErr(moff, len(p), entryOff, "cluster at byte %#x lies past the end of the file", host)
	}
	if err := vdisk.ReadFull(r.f, p, host+within); err != nil {
		return r.regionErr(moff, len(p), host+within, "%v", err)
	}
	return nil
}

func (r *Reader) readCompressed(p []byte, e uint64, within, moff, entryOff int64) error {
	x := 62 - (r.h.ClusterBits - 8)
	host := int64(e & (1<<x - 1))
	sectors := int64((e>>x)&(1<<(r.h.ClusterBits-8)-1)) + 1
	clen := sectors*512 - host&511
	if host >= r.fsize {
		return r.regionErr(moff, len(p), entryOff, "compressed cluster at byte %#x lies past the end of the file", host)
	}
	clen = min(clen, r.fsize-host) // the last cluster's sectors may run past the end of the file
	src := make([]byte, clen)
	if err := vdisk.ReadFull(r.f, src, host); err != nil {
		return r.regionErr(moff, len(p), host, "%v", err)
	}
	// Decompress into p when it is the whole cluster.
	out := p
	if within != 0 || int64(len(p)) != r.csize {
		out = make([]byte, r.csize)
	}
	var err error
	if r.h.Compression == 1 {
		// The sectors of a compressed cluster run past its zstd frame:
		// read the cluster's bytes from a stream.
		d, _ := r.zstdPool.Get().(*zstd.Decoder)
		if d == nil {
			d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(r.csize)*4), zstd.WithDecoderLowmem(true))
		}
		if err == nil {
			if err = d.Reset(bytes.NewReader(src)); err == nil {
				_, err = io.ReadFull(d, out)
			}
			r.zstdPool.Put(d)
		}
	} else {
		var zr io.ReadCloser
		if z, ok := r.flatePool.Get().(io.ReadCloser); ok {
			zr = z
			err = z.(flate.Resetter).Reset(bytes.NewReader(src), nil)
		} else {
			zr = flate.NewReader(bytes.NewReader(src))
		}
		if err == nil {
			_, err = io.ReadFull(zr, out)
		}
		r.flatePool.Put(zr)
	}
	if err != nil {
		return r.regionErr(moff, len(p), host, "compressed cluster does not decompress: %v", err)
	}
	if len(out) != len(p) {
		copy(p, out[within:])
	}
	return nil
}
