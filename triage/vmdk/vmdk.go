// Package vmdk reads VMware virtual disks (VMDK): monolithic sparse
// ("KDMV") and stream-optimized (compressed grains) extents, flat extents,
// the split variants (twoGbMaxExtentSparse, twoGbMaxExtentFlat, and any
// descriptor listing SPARSE, FLAT and ZERO extents), and snapshot chains
// (parentFileNameHint, with the parent's CID checked against the child's
// parentCID).
//
// A Reader is an io.ReaderAt over the virtual disk; concurrent ReadAt
// calls are safe. A read that reaches the end of the disk returns the
// bytes before it and io.EOF. A grain that lies outside its file or does
// not decompress, and a flat extent shorter than its descriptor says,
// read as zeros and are returned as a *container.RegionError naming the
// file and the offset.
package vmdk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zlib"

	"github.com/triagekit/triage/internal/vdisk"
	"github.com/triagekit/triage/triage/image/container"
)

// Limits on what a header may declare.
const (
	maxGrainSectors = 1 << 12 // 2 MiB grains
	maxGTEs         = 1 << 16
	maxGDEntries    = 1 << 24
	maxDiskSectors  = 1 << 47
	gtCacheSize     = 1024
	// MetadataKey is the key of a VMDK's metadata on the evidence item.
	MetadataKey = "vmdk"
)

var (
	// ErrNotVMDK is returned when a file is neither a sparse extent nor a
	// text descriptor.
	ErrNotVMDK = errors.New("vmdk: not a VMDK image")
	// ErrUnsupported is returned for extent types this package does not
	// read (VMFS sparse "COWD", raw device mappings).
	ErrUnsupported = errors.New("vmdk: unsupported extent type")
	kdmv           = []byte("KDMV")
	descMagic      = []byte("# Disk DescriptorFile")
)

// ErrNoParent is wrapped by the error returned for a differencing disk
// whose parent is not found (next to it under the name it records, nor
// among the parents given).
var ErrNoParent = vdisk.ErrNoParent

// FormatError reports a problem in the structure of a VMDK file, at a
// byte offset of that file.
type FormatError struct {
	File string
	Off  int64
	Msg  string
	Val  any
	Err  error
}

func (e *FormatError) Error() string {
	s := "vmdk: " + filepath.Base(e.File) + ": " + e.Msg
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

// IsVMDK tells whether a file is a sparse extent or a text descriptor.
func IsVMDK(head, _ []byte) bool {
	return bytes.HasPrefix(head, kdmv) || bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), descMagic)
}

// SparseHeader is the header of a sparse extent.
type SparseHeader struct {
	Version          uint32
	Flags            uint32
	Capacity         uint64 // sectors
	GrainSize        uint64 // sectors
	DescriptorOffset uint64
	DescriptorSize   uint64
	NumGTEsPerGT     uint32
	RGDOffset        uint64
	GDOffset         uint64
	Overhead         uint64
	UncleanShutdown  bool
	CompressAlgo     uint16
}

// Header flags.
const (
	FlagRedundantGT = 1 << 1
	FlagCompressed  = 1 << 16
	FlagMarkers     = 1 << 17
	gdAtEnd         = 0xffffffffffffffff
)

// ParseSparseHeader parses the 512-byte header of a sparse extent.
func ParseSparseHeader(b []byte) (*SparseHeader, error) {
	if len(b) < 512 || !bytes.HasPrefix(b, kdmv) {
		return nil, ErrNotVMDK
	}
	le := binary.LittleEndian
	return &SparseHeader{
		Version: le.Uint32(b[4:]), Flags: le.Uint32(b[8:]), Capacity: le.Uint64(b[12:]), GrainSize: le.Uint64(b[20:]),
		DescriptorOffset: le.Uint64(b[28:]), DescriptorSize: le.Uint64(b[36:]), NumGTEsPerGT: le.Uint32(b[44:]),
		RGDOffset: le.Uint64(b[48:]), GDOffset: le.Uint64(b[56:]), Overhead: le.Uint64(b[64:]),
		UncleanShutdown: b[72] != 0, CompressAlgo: le.Uint16(b[77:]),
	}, nil
}

// extent is one extent of the disk.
type extent struct {
	start, sectors int64 // media position, in sectors
	kind           string
	path           string
	f              *vdisk.File
	r              io.ReaderAt
	fsize          int64
	offset         int64   // FLAT: byte offset in the file
	sp             *sparse // SPARSE
}

// sparse is an opened sparse extent.
type sparse struct {
	h     *SparseHeader
	gd    []uint32
	gdOff int64
	grain int64 // bytes
	mu    sync.Mutex
	gts   map[uint32][]uint32
}

// zlibPool holds zlib readers for compressed grains.
var zlibPool sync.Pool

// Reader reads a VMDK and its parents.
type Reader struct {
	vdisk.FileDigests // the files' SHA-256 from the last full stream

	descf   *vdisk.File // the descriptor file, when it is not an extent
	path    string
	fsize   int64 // of the first file (sparse extent or descriptor)
	desc    *Descriptor
	extents []*extent
	size    int64
	parent  vdisk.Disk
	probs   []error
}

// New reads a monolithic sparse or stream-optimized VMDK held by r (size
// bytes) with no parent: a snapshot fails with ErrNoParent, and a
// descriptor naming extent files is refused (use Open).
func New(r io.ReaderAt, size int64) (*Reader, error) {
	return newReader(r, nil, size, "", &vdisk.Chain{})
}

// Open opens the VMDK at path (a sparse extent or a text descriptor)
// read-only with its extents, found in its folder, and its parents
// (parentFileNameHint, looked for next to it, or among parents).
func Open(path string, parents ...string) (*Reader, error) {
	return openChain(path, &vdisk.Chain{Given: parents})
}

func openChain(path string, c *vdisk.Chain) (*Reader, error) {
	return vdisk.OpenMember("vmdk", path, c, func(f *vdisk.File, size int64) (*Reader, error) {
		return newReader(f, f, size, path, c)
	})
}

func newReader(ra io.ReaderAt, f *vdisk.File, fsize int64, path string, c *vdisk.Chain) (*Reader, error) {
	name := path
	if name == "" {
		name = "image"
	}
	head := make([]byte, min(fsize, 512))
	if err := vdisk.ReadFull(ra, head, 0); err != nil {
		return nil, err
	}
	r := &Reader{path: path, fsize: fsize}
	if bytes.HasPrefix(head, kdmv) {
		e := &extent{kind: "SPARSE", path: path, f: f, r: ra, fsize: fsize}
		sp, desc, err := openSparse(ra, fsize, name, true)
		if err != nil {
			return nil, err
		}
		e.sp, e.sectors = sp, int64(sp.h.Capacity)
		r.extents = []*extent{e}
		r.desc = desc
		if desc == nil {
			r.desc = &Descriptor{ParentCID: NoParent, CreateType: "monolithicSparse"}
		}
	} else {
		if !IsVMDK(head, nil) {
			return nil, ErrNotVMDK
		}
		if fsize > maxDescriptor {
			return nil, &FormatError{File: name, Off: 0, Msg: "descriptor file larger than", Val: maxDescriptor}
		}
		b := make([]byte, fsize)
		if err := vdisk.ReadFull(ra, b, 0); err != nil {
			return nil, err
		}
		d, err := ParseDescriptor(b)
		if err != nil {
			return nil, &FormatError{File: name, Msg: err.Error()}
		}
		r.desc = d
		if path == "" {
			return nil, &FormatError{File: name, Msg: "a descriptor file needs its extent files: open it by its path"}
		}
		// The descriptor file stays open: a stream hashes it with the
		// extents (OpenFiles).
		r.descf = f
		if err := r.openExtents(d, path); err != nil {
			r.closeExtents()
			return nil, err
		}
	}
	var pos int64
	for _, e := range r.extents {
		e.start = pos
		pos += e.sectors
		if pos > maxDiskSectors {
			r.closeExtents()
			return nil, &FormatError{File: name, Msg: "disk larger than the maximum of sectors:", Val: int64(maxDiskSectors)}
		}
	}
	r.size = pos * 512
	if r.desc.ParentCID != NoParent {
		want := fmt.Sprintf("CID %08x", r.desc.ParentCID)
		if r.desc.ParentFileNameHint == "" {
			r.closeExtents()
			return nil, fmt.Errorf("vmdk: %s: snapshot with parentCID %08x names no parentFileNameHint", filepath.Base(name), r.desc.ParentCID)
		}
		p, err := vdisk.FindParent(c, path, r.desc.ParentFileNameHint, want, true, func(pp string) (vdisk.Disk, error) {
			pr, err := openChain(pp, c)
			if err != nil {
				return nil, err
			}
			if pr.desc.CID != r.desc.ParentCID {
				pr.Close()
				return nil, fmt.Errorf("vmdk: parent %s has CID %08x, %s expects %08x (parentCID)", pp, pr.desc.CID, filepath.Base(name), r.desc.ParentCID)
			}
			if pr.size != r.size {
				pr.Close()
				return nil, fmt.Errorf("vmdk: parent %s has %d bytes, %s expects %d", pp, pr.size, filepath.Base(name), r.size)
			}
			return pr, nil
		})
		if err != nil {
			r.closeExtents()
			return nil, fmt.Errorf("vmdk: %w", err)
		}
		r.parent = p
	}
	return r, nil
}

// extentPath resolves an extent's file name against the descriptor's
// folder; a name leading out of that folder is refused.
func extentPath(desc, file string) (string, error) {
	dir := filepath.Dir(desc)
	if filepath.IsAbs(file) || strings.ContainsAny(file, `\`) {
		file = vdisk.BaseName(file)
	}
	p := filepath.Join(dir, file)
	if rel, err := filepath.Rel(dir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("extent file %q lies outside the descriptor's folder", file)
	}
	return p, nil
}

func (r *Reader) openExtents(d *Descriptor, path string) error {
	if len(d.Extents) == 0 {
		return &FormatError{File: path, Msg: "descriptor lists no extent"}
	}
	for _, l := range d.Extents {
		e := &extent{kind: l.Type, sectors: l.Sectors}
		r.extents = append(r.extents, e)
		if l.Type == "ZERO" {
			continue
		}
		if l.Type != "SPARSE" && l.Type != "FLAT" && l.Type != "VMFS" {
			return fmt.Errorf("vmdk: %s line %d: extent type %s: %w", filepath.Base(path), l.Line, l.Type, ErrUnsupported)
		}
		p, err := extentPath(path, l.File)
		if err != nil {
			return fmt.Errorf("vmdk: %s line %d: %v", filepath.Base(path), l.Line, err)
		}
		f, fsize, err := vdisk.OpenFile(p)
		if err != nil {
			return fmt.Errorf("vmdk: %s line %d: missing extent %q: %w", filepath.Base(path), l.Line, l.File, err)
		}
		e.path, e.f, e.r, e.fsize = p, f, f, fsize
		if l.Type == "SPARSE" {
			sp, _, err := openSparse(f, fsize, p, false)
			if err != nil {
				return err
			}
			if int64(sp.h.Capacity) < l.Sectors {
				r.probs = append(r.probs, &FormatError{File: p, Off: 12, Msg: fmt.Sprintf("sparse extent of %d sectors shorter than the %d of descriptor line %d", sp.h.Capacity, l.Sectors, l.Line)})
			}
			e.sp = sp
		} else {
			e.kind = "FLAT"
			e.offset = l.Offset * 512
			if e.offset+l.Sectors*512 > e.fsize {
				r.probs = append(r.probs, &FormatError{File: p, Off: e.fsize, Msg: fmt.Sprintf("flat extent of %d bytes shorter than the %d bytes of descriptor line %d: the rest reads as an error", e.fsize, e.offset+l.Sectors*512, l.Line)})
			}
		}
	}
	return nil
}

// openSparse reads a sparse extent's header, grain directory and (when
// embedded is set) its embedded descriptor.
func openSparse(f io.ReaderAt, fsize int64, name string, embedded bool) (*sparse, *Descriptor, error) {
	ferr := func(off int64, msg string, val any) error {
		return &FormatError{File: name, Off: off, Msg: msg, Val: val}
	}
	hb := make([]byte, 512)
	if err := vdisk.ReadFull(f, hb, 0); err != nil {
		return nil, nil, ferr(0, "cannot read the sparse extent header: "+err.Error(), nil)
	}
	h, err := ParseSparseHeader(hb)
	if err != nil {
		return nil, nil, err
	}
	hoff := int64(0)
	if h.GDOffset == gdAtEnd {
		// Stream-optimized: the header that counts is the footer, 1024
		// bytes before the end (footer marker, footer, end marker).
		hoff = fsize - 1024
		if hoff < 512 {
			return nil, nil, ferr(56, "grain directory at the end of a file too short for a footer", nil)
		}
		if err := vdisk.ReadFull(f, hb, hoff); err != nil {
			return nil, nil, ferr(hoff, "cannot read the footer: "+err.Error(), nil)
		}
		if h, err = ParseSparseHeader(hb); err != nil {
			return nil, nil, ferr(hoff, "no footer (truncated stream-optimized extent?)", nil)
		}
		if h.GDOffset == gdAtEnd {
			return nil, nil, ferr(hoff+56, "footer without a grain directory offset", nil)
		}
	}
	if h.Version == 0 || h.Version > 3 {
		return nil, nil, ferr(hoff+4, "unsupported version", h.Version)
	}
	if h.Capacity == 0 || h.Capacity > maxDiskSectors {
		return nil, nil, ferr(hoff+12, "bad capacity", h.Capacity)
	}
	if h.GrainSize == 0 || h.GrainSize > maxGrainSectors || h.GrainSize&(h.GrainSize-1) != 0 {
		return nil, nil, ferr(hoff+20, "bad grain size", h.GrainSize)
	}
	if h.NumGTEsPerGT == 0 || h.NumGTEsPerGT > maxGTEs {
		return nil, nil, ferr(hoff+44, "bad grain table size", h.NumGTEsPerGT)
	}
	if h.Flags&FlagCompressed != 0 && h.CompressAlgo != 1 {
		return nil, nil, &FormatError{File: name, Off: hoff + 77, Msg: fmt.Sprintf("compression algorithm %d", h.CompressAlgo), Err: ErrUnsupported}
	}
	grains := (h.Capacity + h.GrainSize - 1) / h.GrainSize
	nGD := (grains + uint64(h.NumGTEsPerGT) - 1) / uint64(h.NumGTEsPerGT)
	if nGD > maxGDEntries {
		return nil, nil, ferr(hoff+12, "too many grain tables:", nGD)
	}
	gdo := h.GDOffset
	if h.Flags&FlagRedundantGT != 0 && gdo == 0 {
		gdo = h.RGDOffset
	}
	if gdo > uint64(fsize)/512 || int64(gdo)*512+int64(nGD)*4 > fsize {
		return nil, nil, ferr(hoff+56, "grain directory outside the file:", gdo)
	}
	b := make([]byte, nGD*4)
	if err := vdisk.ReadFull(f, b, int64(gdo)*512); err != nil {
		return nil, nil, ferr(int64(gdo)*512, "cannot read the grain directory: "+err.Error(), nil)
	}
	sp := &sparse{h: h, gd: make([]uint32, nGD), gdOff: int64(gdo) * 512, grain: int64(h.GrainSize) * 512, gts: map[uint32][]uint32{}}
	for i := range sp.gd {
		sp.gd[i] = binary.LittleEndian.Uint32(b[i*4:])
	}
	var desc *Descriptor
	if embedded && h.DescriptorOffset > 0 && h.DescriptorSize > 0 {
		do, ds := int64(h.DescriptorOffset)*512, int64(h.DescriptorSize)*512
		if h.DescriptorSize > maxDescriptor/512 || do > fsize || do+ds > fsize {
			return nil, nil, ferr(28, "embedded descriptor outside the file:", h.DescriptorOffset)
		}
		db := make([]byte, ds)
		if err := vdisk.ReadFull(f, db, do); err != nil {
			return nil, nil, ferr(do, "cannot read the embedded descriptor: "+err.Error(), nil)
		}
		if desc, err = ParseDescriptor(db); err != nil {
			return nil, nil, ferr(do, err.Error(), nil)
		}
	}
	return sp, desc, nil
}

// gt returns grain table i, cached; nil for an unallocated table.
func (e *extent) gt(i int64) ([]uint32, error) {
	sp := e.sp
	off := sp.gd[i]
	if off == 0 {
		return nil, nil
	}
	sp.mu.Lock()
	t, ok := sp.gts[off]
	sp.mu.Unlock()
	if ok {
		return t, nil
	}
	n := int64(sp.h.NumGTEsPerGT)
	if int64(off)*512+n*4 > e.fsize {
		return nil, fmt.Errorf("grain table at byte %#x (grain directory entry at byte %#x) past the end of the file", int64(off)*512, sp.gdOff+i*4)
	}
	b := make([]byte, n*4)
	if err := vdisk.ReadFull(e.r, b, int64(off)*512); err != nil {
		return nil, fmt.Errorf("grain table at byte %#x: %v", int64(off)*512, err)
	}
	t = make([]uint32, n)
	for j := range t {
		t[j] = binary.LittleEndian.Uint32(b[j*4:])
	}
	sp.mu.Lock()
	if len(sp.gts) >= gtCacheSize {
		clear(sp.gts)
	}
	sp.gts[off] = t
	sp.mu.Unlock()
	return t, nil
}

// Size returns the virtual disk size in bytes.
func (r *Reader) Size() int64 { return r.size }

// Descriptor returns the disk's descriptor (for a monolithic sparse
// extent, the one it embeds).
func (r *Reader) Descriptor() Descriptor { return *r.desc }

func (r *Reader) closeExtents() error {
	var err error
	for _, e := range r.extents {
		if e.f != nil {
			if cerr := e.f.Close(); err == nil {
				err = cerr
			}
		}
	}
	return err
}

// Close closes the descriptor file, the extent files and the parents.
func (r *Reader) Close() error {
	err := r.closeExtents()
	if r.descf != nil {
		if e := r.descf.Close(); err == nil {
			err = e
		}
	}
	if r.parent != nil {
		if e := r.parent.Close(); err == nil {
			err = e
		}
	}
	return err
}

// ReadAt reads the virtual disk.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("vmdk: negative offset")
	}
	if off >= r.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := len(p)
	if rem := r.size - off; int64(want) > rem {
		p = p[:rem]
	}
	var first error
	for n := 0; n < len(p); {
		pos := off + int64(n)
		i := sort.Search(len(r.extents), func(i int) bool { return (r.extents[i].start+r.extents[i].sectors)*512 > pos })
		e := r.extents[i]
		m := int(min(int64(len(p)-n), (e.start+e.sectors)*512-pos))
		if err := r.readExtent(e, p[n:n+m], pos-e.start*512, pos); err != nil && first == nil {
			first = err
		}
		n += m
	}
	if first != nil {
		return len(p), first
	}
	if len(p) < want {
		return len(p), io.EOF
	}
	return len(p), nil
}

func (r *Reader) regionErr(e *extent, moff int64, n int, foff int64, format string, args ...any) error {
	return &container.RegionError{Off: moff, Length: int64(n),
		Err: fmt.Errorf("vmdk: media bytes %#x-%#x in %s unreadable at byte %#x: %s", moff, moff+int64(n)-1, filepath.Base(e.path), foff, fmt.Sprintf(format, args...))}
}

func (r *Reader) readExtent(e *extent, p []byte, eoff, moff int64) error {
	switch e.kind {
	case "ZERO":
		clear(p)
		return nil
	case "FLAT":
		foff := e.offset + eoff
		n := int(max(0, min(int64(len(p)), e.fsize-foff)))
		if n > 0 {
			if err := vdisk.ReadFull(e.r, p[:n], foff); err != nil {
				clear(p)
				return r.regionErr(e, moff, len(p), foff, "%v", err)
			}
		}
		if n < len(p) {
			clear(p[n:])
			return r.regionErr(e, moff+int64(n), len(p)-n, foff+int64(n), "past the end of the flat extent file")
		}
		return nil
	}
	// SPARSE: grain by grain.
	_, err := vdisk.ReadBlocks(p, eoff, e.sectors*512, e.sp.grain, func(q []byte, g, within int64) error {
		return r.readGrain(e, q, g, within, moff+(g*e.sp.grain+within-eoff))
	})
	return err
}

func (r *Reader) readGrain(e *extent, p []byte, g, within, moff int64) error {
	sp := e.sp
	if g*sp.grain >= int64(sp.h.Capacity)*512 {
		clear(p) // past the extent's capacity (a descriptor that says more)
		return r.regionErr(e, moff, len(p), 12, "past the capacity of the sparse extent")
	}
	per := int64(sp.h.NumGTEsPerGT)
	t, err := e.gt(g / per)
	if err != nil {
		return r.regionErr(e, moff, len(p), sp.gdOff+(g/per)*4, "%v", err)
	}
	var sec uint32
	if t != nil {
		sec = t[g%per]
	}
	switch sec {
	case 0:
		return vdisk.ReadParent(r.parent, p, moff)
	case 1:
		clear(p) // a zeroed grain
		return nil
	}
	foff := int64(sec) * 512
	if sp.h.Flags&FlagCompressed == 0 {
		if foff+within+int64(len(p)) > e.fsize {
			return r.regionErr(e, moff, len(p), foff, "grain %d lies past the end of the file", g)
		}
		if err := vdisk.ReadFull(e.r, p, foff+within); err != nil {
			return r.regionErr(e, moff, len(p), foff+within, "%v", err)
		}
		return nil
	}
	// A compressed grain: its marker (LBA, size), then a zlib stream.
	var mk [12]byte
	if foff+12 > e.fsize || vdisk.ReadFull(e.r, mk[:], foff) != nil {
		return r.regionErr(e, moff, len(p), foff, "compressed grain %d lies past the end of the file", g)
	}
	lba, size := binary.LittleEndian.Uint64(mk[:]), int64(binary.LittleEndian.Uint32(mk[8:]))
	if lba != uint64(g)*sp.h.GrainSize {
		return r.regionErr(e, moff, len(p), foff, "grain marker names sector %d, want %d", lba, uint64(g)*sp.h.GrainSize)
	}
	if size <= 0 || size > 2*sp.grain+1024 || foff+12+size > e.fsize {
		return r.regionErr(e, moff, len(p), foff+8, "bad compressed grain size %d", size)
	}
	src := make([]byte, size)
	if err := vdisk.ReadFull(e.r, src, foff+12); err != nil {
		return r.regionErr(e, moff, len(p), foff+12, "%v", err)
	}
	var zr io.ReadCloser
	if z, ok := zlibPool.Get().(io.ReadCloser); ok {
		zr, err = z, z.(zlib.Resetter).Reset(bytes.NewReader(src), nil)
	} else {
		zr, err = zlib.NewReader(bytes.NewReader(src))
	}
	if err == nil {
		out := p
		if within != 0 || int64(len(p)) != sp.grain {
			out = make([]byte, sp.grain)
		}
		var n int
		n, err = io.ReadFull(zr, out)
		if errors.Is(err, io.ErrUnexpectedEOF) && g == (int64(sp.h.Capacity)-1)/int64(sp.h.GrainSize) && int64(n) >= int64(sp.h.Capacity)*512-g*sp.grain {
			err = nil // the last grain of a capacity not a multiple of the grain
		}
		if err == nil && len(out) != len(p) {
			copy(p, out[within:])
		}
		zlibPool.Put(zr)
	}
	if err != nil {
		return r.regionErr(e, moff, len(p), foff+12, "compressed grain %d does not decompress: %v", g, err)
	}
	return nil
}
