// Package vhdx reads Microsoft Virtual Hard Disk v2 (VHDX, "vhdxfile")
// images, fixed, dynamic and differencing, from [MS-VHDX]: the two headers
// (CRC-32C, the highest valid sequence number wins), the region table, the
// metadata items, the block allocation table and the sector bitmaps of a
// differencing disk, whose parent is found through its parent locator and
// checked by its data write identifier. An image whose log holds entries
// not yet replayed is refused: its tables may not be those in the file.
//
// A Reader is an io.ReaderAt over the virtual disk; concurrent ReadAt
// calls are safe. A read that reaches the end of the disk returns the
// bytes before it and io.EOF. A block whose data lies outside its file
// reads as zeros and is returned as a *container.RegionError naming the
// file and the offset.
package vhdx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"github.com/triagekit/triage/internal/vdisk"
	"github.com/triagekit/triage/triage/image/container"
)

// Limits and fixed places of the format.
const (
	headerOff1, headerOff2 = 64 << 10, 128 << 10
	regionOff1, regionOff2 = 192 << 10, 256 << 10
	regionSize             = 64 << 10
	maxRegionEntries       = 2047
	maxMetadataEntries     = 2047
	maxMetadataItem        = 1 << 20
	maxBATEntries          = 1 << 26
	maxDiskSize            = 64 << 40 // the format's maximum, 64 TiB
	// MetadataKey is the key of a VHDX's metadata on the evidence item.
	MetadataKey = "vhdx"
)

var (
	// ErrNotVHDX is returned when a file does not start with "vhdxfile".
	ErrNotVHDX = errors.New("vhdx: not a VHDX image")
	// ErrLogReplay is wrapped by the error for an image whose log must be
	// replayed before it is read.
	ErrLogReplay = errors.New("vhdx: log not replayed")
	signature    = []byte("vhdxfile")
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
)

// GUIDs of the regions and metadata items, as stored.
var (
	guidBAT         = guid("2dc27766-f623-4200-9d64-115e9bfd4a08")
	guidMetadata    = guid("8b7ca206-4790-4b9a-b8fe-575f050f886e")
	guidFileParams  = guid("caa16737-fa36-4d43-b3b6-33f0aa44e76b")
	guidDiskSize    = guid("2fa54224-cd1b-4876-b211-5dbed83bf4b8")
	guidLogical     = guid("8141bf1d-a96f-4709-ba47-f233a8faab5f")
	guidPhysical    = guid("cda348c7-445d-4471-9cc9-e9885251c556")
	guidDiskID      = guid("beca12ab-b2e6-4523-93ef-c309e000c746")
	guidParentLoc   = guid("a8d35f2d-b30b-454d-abf7-d3d84834ab0c")
	guidVHDXLocator = guid("b04aefb7-d19e-4a81-b789-25b8e9445913")
)

// GUID is a GUID as stored (the first three fields little-endian).
type GUID [16]byte

func guid(s string) GUID {
	var g GUID
	h := strings.ReplaceAll(s, "-", "")
	for i := range 16 {
		fmt.Sscanf(h[i*2:i*2+2], "%02x", &g[i])
	}
	// to the stored order
	g[0], g[1], g[2], g[3] = g[3], g[2], g[1], g[0]
	g[4], g[5] = g[5], g[4]
	g[6], g[7] = g[7], g[6]
	return g
}

func (g GUID) String() string {
	le := binary.LittleEndian
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", le.Uint32(g[0:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:10], g[10:])
}

// IsZero tells whether g is all zeros.
func (g GUID) IsZero() bool { return g == GUID{} }

// ErrNoParent is wrapped by the error returned for a differencing disk
// whose parent is not found (next to it under the name it records, nor
// among the parents given).
var ErrNoParent = vdisk.ErrNoParent

// FormatError reports a problem in the structure of a VHDX file, at a
// byte offset of that file.
type FormatError struct {
	File string
	Off  int64
	Msg  string
	Val  any
	Err  error
}

func (e *FormatError) Error() string {
	s := "vhdx: " + filepath.Base(e.File) + ": " + e.Msg
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

// IsVHDX tells whether a file starts with the VHDX signature.
func IsVHDX(head, _ []byte) bool { return bytes.HasPrefix(head, signature) }

// Header is one of the two image headers.
type Header struct {
	Off            int64 // where it was read
	Checksum       uint32
	Sequence       uint64
	FileWrite      GUID
	DataWrite      GUID
	Log            GUID
	LogVersion     uint16
	Version        uint16
	LogLength      uint32
	LogOffset      uint64
	ChecksumOK     bool
	SignatureValid bool
}

// ParseHeader parses a 4 KiB image header.
func ParseHeader(b []byte) Header {
	var h Header
	if len(b) < 4096 {
		return h
	}
	le := binary.LittleEndian
	h.SignatureValid = bytes.HasPrefix(b, []byte("head"))
	h.Checksum, h.Sequence = le.Uint32(b[4:]), le.Uint64(b[8:])
	copy(h.FileWrite[:], b[16:])
	copy(h.DataWrite[:], b[32:])
	copy(h.Log[:], b[48:])
	h.LogVersion, h.Version, h.LogLength, h.LogOffset = le.Uint16(b[64:]), le.Uint16(b[66:]), le.Uint32(b[68:]), le.Uint64(b[72:])
	h.ChecksumOK = crcWithout(b[:4096], 4) == h.Checksum
	return h
}

// crcWithout is the CRC-32C of b with its 4-byte checksum at 'at' taken
// as zero.
func crcWithout(b []byte, at int) uint32 {
	c := crc32.Update(0, castagnoli, b[:at])
	c = crc32.Update(c, castagnoli, []byte{0, 0, 0, 0})
	return crc32.Update(c, castagnoli, b[at+4:])
}

// Region is a region table entry.
type Region struct {
	GUID     GUID
	Off      int64
	Length   int64
	Required bool
}

// ParseRegionTable parses a 64 KiB region table.
func ParseRegionTable(b []byte) ([]Region, error) {
	if len(b) < regionSize || !bytes.HasPrefix(b, []byte("regi")) {
		return nil, errors.New("no region table signature")
	}
	le := binary.LittleEndian
	if crcWithout(b[:regionSize], 4) != le.Uint32(b[4:]) {
		return nil, errors.New("region table checksum mismatch")
	}
	n := le.Uint32(b[8:])
	if n > maxRegionEntries {
		return nil, fmt.Errorf("region table of %d entries", n)
	}
	out := make([]Region, n)
	for i := range out {
		e := b[16+i*32:]
		copy(out[i].GUID[:], e)
		out[i].Off, out[i].Length = int64(le.Uint64(e[16:])), int64(le.Uint32(e[24:]))
		out[i].Required = le.Uint32(e[28:])&1 != 0
	}
	return out, nil
}

// Metadata is what the metadata region says of the disk.
type Metadata struct {
	BlockSize          uint32
	LeaveAllocated     bool
	HasParent          bool
	VirtualSize        uint64
	LogicalSectorSize  uint32
	PhysicalSectorSize uint32
	DiskID             GUID
	ParentLocator      map[string]string
}

// ParseMetadata parses the metadata region (its table at offset 0 and
// the items it points to, relative to the region).
func ParseMetadata(b []byte) (*Metadata, error) {
	if len(b) < regionSize || !bytes.HasPrefix(b, []byte("metadata")) {
		return nil, errors.New("no metadata table signature")
	}
	le := binary.LittleEndian
	n := int(le.Uint16(b[10:]))
	if n > maxMetadataEntries {
		return nil, fmt.Errorf("metadata table of %d entries", n)
	}
	m := &Metadata{}
	seen := map[GUID]bool{}
	for i := range n {
		e := b[32+i*32:]
		var id GUID
		copy(id[:], e)
		off, size := int64(le.Uint32(e[16:])), int64(le.Uint32(e[20:]))
		required := le.Uint32(e[24:])&4 != 0
		if size == 0 {
			continue
		}
		if off < regionSize || size > maxMetadataItem || off+size > int64(len(b)) {
			return nil, fmt.Errorf("metadata item %s at %#x+%d outside the metadata region", id, off, size)
		}
		item := b[off : off+size]
		need := map[GUID]int64{guidFileParams: 8, guidDiskSize: 8, guidLogical: 4, guidPhysical: 4, guidDiskID: 16}
		if k, ok := need[id]; ok && size < k {
			return nil, fmt.Errorf("metadata item %s of %d bytes, want %d", id, size, k)
		}
		seen[id] = true
		switch id {
		case guidFileParams:
			m.BlockSize = le.Uint32(item)
			fl := le.Uint32(item[4:])
			m.LeaveAllocated, m.HasParent = fl&1 != 0, fl&2 != 0
		case guidDiskSize:
			m.VirtualSize = le.Uint64(item)
		case guidLogical:
			m.LogicalSectorSize = le.Uint32(item)
		case guidPhysical:
			m.PhysicalSectorSize = le.Uint32(item)
		case guidDiskID:
			copy(m.DiskID[:], item)
		case guidParentLoc:
			loc, err := parseLocator(item)
			if err != nil {
				return nil, err
			}
			m.ParentLocator = loc
		default:
			if required {
				return nil, fmt.Errorf("required metadata item %s unknown", id)
			}
		}
	}
	for _, id := range []GUID{guidFileParams, guidDiskSize, guidLogical} {
		if !seen[id] {
			return nil, fmt.Errorf("metadata item %s missing", id)
		}
	}
	if m.HasParent && m.ParentLocator == nil {
		return nil, errors.New("differencing disk without a parent locator")
	}
	return m, nil
}

func parseLocator(b []byte) (map[string]string, error) {
	le := binary.LittleEndian
	if len(b) < 20 {
		return nil, errors.New("parent locator too short")
	}
	var typ GUID
	copy(typ[:], b)
	if typ != guidVHDXLocator {
		return nil, fmt.Errorf("parent locator of unknown type %s", typ)
	}
	n := int(le.Uint16(b[18:]))
	if 20+n*12 > len(b) {
		return nil, fmt.Errorf("parent locator of %d entries longer than its item", n)
	}
	str := func(off uint32, size uint16) (string, bool) {
		if int64(off)+int64(size) > int64(len(b)) || size%2 != 0 {
			return "", false
		}
		u := make([]uint16, size/2)
		for i := range u {
			u[i] = le.Uint16(b[int(off)+i*2:])
		}
		return string(utf16.Decode(u)), true
	}
	out := map[string]string{}
	for i := range n {
		e := b[20+i*12:]
		k, ok1 := str(le.Uint32(e), le.Uint16(e[8:]))
		v, ok2 := str(le.Uint32(e[4:]), le.Uint16(e[10:]))
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("parent locator entry %d outside its item", i)
		}
		out[k] = v
	}
	return out, nil
}

// Reader reads a VHDX image and its parents.
type Reader struct {
	vdisk.FileDigests // the files' SHA-256 from the last full stream

	f          io.ReaderAt
	closer     io.Closer
	path       string
	fsize      int64
	creator    string
	header     Header
	regions    []Region
	meta       *Metadata
	bat        []uint64
	batOff     int64
	chunkRatio int64
	parent     vdisk.Disk
	probs      []error
	present    int64 // blocks fully or partially present
}

// New reads the VHDX held by r (size bytes) with no parent: a
// differencing disk fails with ErrNoParent.
func New(r io.ReaderAt, size int64) (*Reader, error) {
	return newReader(r, size, "", &vdisk.Chain{})
}

// Open opens the VHDX at path read-only, with its parents when it is a
// differencing disk (looked for next to it by the name its parent
// locator records, or among parents).
func Open(path string, parents ...string) (*Reader, error) {
	return openChain(path, &vdisk.Chain{Given: parents})
}

func openChain(path string, c *vdisk.Chain) (*Reader, error) {
	return vdisk.OpenMember("vhdx", path, c, func(f *vdisk.File, size int64) (*Reader, error) {
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
	if fsize < regionOff2+regionSize {
		if fsize >= 8 {
			b := make([]byte, 8)
			if vdisk.ReadFull(f, b, 0) == nil && !IsVHDX(b, nil) {
				return nil, ErrNotVHDX
			}
		}
		return nil, ferr(fsize, "file too short for the headers and region tables", nil)
	}
	b := make([]byte, 64<<10)
	if err := vdisk.ReadFull(f, b, 0); err != nil {
		return nil, err
	}
	if !IsVHDX(b, nil) {
		return nil, ErrNotVHDX
	}
	r := &Reader{f: f, path: path, fsize: fsize}
	{
		u := make([]uint16, 0, 256)
		for i := 8; i+1 < 520; i += 2 {
			v := binary.LittleEndian.Uint16(b[i:])
			if v == 0 {
				break
			}
			u = append(u, v)
		}
		r.creator = string(utf16.Decode(u))
	}
	// Headers: the valid one with the higher sequence number.
	var hs []Header
	for _, off := range []int64{headerOff1, headerOff2} {
		if err := vdisk.ReadFull(f, b[:4096], off); err != nil {
			return nil, ferr(off, "cannot read the header: "+err.Error(), nil)
		}
		h := ParseHeader(b[:4096])
		h.Off = off
		if !h.SignatureValid || !h.ChecksumOK {
			r.probs = append(r.probs, ferr(off, "header invalid (signature or CRC-32C): the other header is used", nil))
			continue
		}
		hs = append(hs, h)
	}
	switch {
	case len(hs) == 0:
		return nil, ferr(headerOff1, "no valid header (both fail their signature or CRC-32C)", nil)
	case len(hs) == 2 && hs[1].Sequence > hs[0].Sequence:
		r.header = hs[1]
	case len(hs) == 2 && hs[1].Sequence == hs[0].Sequence:
		r.probs = append(r.probs, ferr(headerOff2+8, "both headers have the sequence number", hs[0].Sequence))
		r.header = hs[0]
	default:
		r.header = hs[0]
	}
	if r.header.Version != 1 {
		return nil, ferr(r.header.Off+66, "unsupported format version", r.header.Version)
	}
	if !r.header.Log.IsZero() {
		return nil, &FormatError{File: name, Off: r.header.Off + 48, Msg: fmt.Sprintf("log %s holds entries (log of %d bytes at byte %#x): the image was not closed cleanly and its metadata may not be in place; replay it on a copy (e.g. by mounting the copy in Windows) and read that", r.header.Log, r.header.LogLength, r.header.LogOffset), Err: ErrLogReplay}
	}
	// Region tables.
	var rerr error
	for _, off := range []int64{regionOff1, regionOff2} {
		if err := vdisk.ReadFull(f, b, off); err != nil {
			return nil, ferr(off, "cannot read the region table: "+err.Error(), nil)
		}
		regs, err := ParseRegionTable(b)
		if err == nil {
			r.regions = regs
			break
		}
		rerr = ferr(off, err.Error(), nil)
		r.probs = append(r.probs, rerr)
	}
	if r.regions == nil {
		return nil, rerr
	}
	var batR, metaR *Region
	for i := range r.regions {
		g := &r.regions[i]
		switch {
		case g.GUID == guidBAT:
			batR = g
		case g.GUID == guidMetadata:
			metaR = g
		case g.Required:
			return nil, ferr(regionOff1+16+int64(i)*32, "required region unknown:", g.GUID)
		}
		if g.Off < regionOff2+regionSize || g.Off > fsize || g.Length > fsize-g.Off {
			return nil, ferr(regionOff1+16+int64(i)*32+16, fmt.Sprintf("region %s of %d bytes outside the file:", g.GUID, g.Length), g.Off)
		}
	}
	if batR == nil || metaR == nil {
		return nil, ferr(regionOff1, "region table without the BAT or metadata region", nil)
	}
	if metaR.Length > 32<<20 || metaR.Length < regionSize {
		return nil, ferr(metaR.Off, "bad metadata region length", metaR.Length)
	}
	mb := make([]byte, metaR.Length)
	if err := vdisk.ReadFull(f, mb, metaR.Off); err != nil {
		return nil, ferr(metaR.Off, "cannot read the metadata region: "+err.Error(), nil)
	}
	m, err := ParseMetadata(mb)
	if err != nil {
		return nil, ferr(metaR.Off, err.Error(), nil)
	}
	r.meta = m
	bs := int64(m.BlockSize)
	if bs < 1<<20 || bs > 256<<20 || bs&(bs-1) != 0 {
		return nil, ferr(metaR.Off, "bad block size", bs)
	}
	if m.LogicalSectorSize != 512 && m.LogicalSectorSize != 4096 {
		return nil, ferr(metaR.Off, "bad logical sector size", m.LogicalSectorSize)
	}
	if m.VirtualSize == 0 || m.VirtualSize > maxDiskSize {
		return nil, ferr(metaR.Off, "bad virtual disk size", m.VirtualSize)
	}
	r.chunkRatio = (1 << 23) * int64(m.LogicalSectorSize) / bs
	blocks := (int64(m.VirtualSize) + bs - 1) / bs
	var entries int64
	if m.HasParent {
		entries = ((blocks + r.chunkRatio - 1) / r.chunkRatio) * (r.chunkRatio + 1)
	} else {
		entries = blocks + (blocks-1)/r.chunkRatio
	}
	if entries > maxBATEntries || entries*8 > batR.Length {
		return nil, ferr(regionOff1, fmt.Sprintf("BAT region of %d bytes too small for %d entries", batR.Length, entries), nil)
	}
	bb := make([]byte, entries*8)
	if err := vdisk.ReadFull(f, bb, batR.Off); err != nil {
		return nil, ferr(batR.Off, "cannot read the BAT: "+err.Error(), nil)
	}
	r.batOff = batR.Off
	r.bat = make([]uint64, entries)
	for i := range r.bat {
		r.bat[i] = binary.LittleEndian.Uint64(bb[i*8:])
		if (int64(i)+1)%(r.chunkRatio+1) != 0 {
			if s := r.bat[i] & 7; s == 6 || s == 7 {
				r.present++
			}
		}
	}
	if m.HasParent {
		loc := m.ParentLocator
		link := loc["parent_linkage"]
		recorded := loc["relative_path"]
		for _, k := range []string{"absolute_win32_path", "volume_path"} {
			if recorded == "" {
				recorded = loc[k]
			}
		}
		want := "data write identifier " + link
		p, err := vdisk.FindParent(c, path, recorded, want, true, func(pp string) (vdisk.Disk, error) {
			pr, err := openChain(pp, c)
			if err != nil {
				return nil, err
			}
			got := "{" + pr.header.DataWrite.String() + "}"
			if !strings.EqualFold(got, link) && !strings.EqualFold(got, loc["parent_linkage2"]) {
				pr.Close()
				return nil, fmt.Errorf("vhdx: parent %s has data write identifier %s, %s expects %s", pp, got, filepath.Base(name), link)
			}
			if pr.Size() != r.Size() {
				pr.Close()
				return nil, fmt.Errorf("vhdx: parent %s has %d bytes, %s expects %d", pp, pr.Size(), filepath.Base(name), r.Size())
			}
			return pr, nil
		})
		if err != nil {
			return nil, fmt.Errorf("vhdx: %w", err)
		}
		r.parent = p
	}
	return r, nil
}

// Size returns the virtual disk size in bytes.
func (r *Reader) Size() int64 { return int64(r.meta.VirtualSize) }

// Metadata returns the metadata items.
func (r *Reader) Metadata() Metadata { return *r.meta }

// Close closes the file and its parents.
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
	return vdisk.ReadBlocks(p, off, r.Size(), int64(r.meta.BlockSize), r.readBlock)
}

func (r *Reader) regionErr(moff int64, n int, foff int64, format string, args ...any) error {
	return &container.RegionError{Off: moff, Length: int64(n),
		Err: fmt.Errorf("vhdx: media bytes %#x-%#x in %s unreadable at byte %#x: %s", moff, moff+int64(n)-1, filepath.Base(r.path), foff, fmt.Sprintf(format, args...))}
}

// Payload block states.
const (
	blockNotPresent = 0
	blockUndefined  = 1
	blockZero       = 2
	blockUnmapped   = 3
	blockFull       = 6
	blockPartial    = 7
)

func (r *Reader) readBlock(p []byte, b, within int64) error {
	bs := int64(r.meta.BlockSize)
	moff := b*bs + within
	idx := b + b/r.chunkRatio
	e := r.bat[idx]
	entryOff := r.batOff + idx*8
	state, foff := e&7, int64(e>>20)<<20
	switch state {
	case blockNotPresent, blockUndefined, blockUnmapped:
		return vdisk.ReadParent(r.parent, p, moff)
	case blockZero:
		clear(p)
		return nil
	case blockFull, blockPartial:
	default:
		return r.regionErr(moff, len(p), entryOff, "unknown block state %d", state)
	}
	if foff < regionOff2+regionSize || foff+within+int64(len(p)) > r.fsize {
		return r.regionErr(moff, len(p), entryOff, "block %d at byte %#x lies outside the file", b, foff)
	}
	if state == blockFull || !r.meta.HasParent {
		if err := vdisk.ReadFull(r.f, p, foff+within); err != nil {
			return r.regionErr(moff, len(p), foff+within, "%v", err)
		}
		return nil
	}
	// Partially present: the sector bitmap says which sectors are here.
	ss := int64(r.meta.LogicalSectorSize)
	sbIdx := (b/r.chunkRatio)*(r.chunkRatio+1) + r.chunkRatio
	sb := r.bat[sbIdx]
	sbOff := int64(sb>>20) << 20
	if sb&7 != 6 || sbOff < regionOff2+regionSize || sbOff+(1<<20) > r.fsize {
		return r.regionErr(moff, len(p), r.batOff+sbIdx*8, "sector bitmap of block %d missing or outside the file", b)
	}
	first := within / ss
	last := (within + int64(len(p)) - 1) / ss
	bitBase := (b % r.chunkRatio) * (bs / ss)
	bm := make([]byte, (bitBase+last)/8-(bitBase+first)/8+1)
	bmOff := sbOff + (bitBase+first)/8
	if err := vdisk.ReadFull(r.f, bm, bmOff); err != nil {
		return r.regionErr(moff, len(p), bmOff, "sector bitmap: %v", err)
	}
	bit := func(s int64) bool {
		i := bitBase + s - (bitBase+first)/8*8
		return bm[i/8]&(1<<(i%8)) != 0
	}
	var firstErr error
	for i := 0; i < len(p); {
		s := (within + int64(i)) / ss
		in := bit(s)
		j := int(min(int64(len(p)), (s+1)*ss-within))
		for j < len(p) && bit((within+int64(j))/ss) == in {
			j = int(min(int64(len(p)), ((within+int64(j))/ss+1)*ss-within))
		}
		var err error
		if in {
			if e := vdisk.ReadFull(r.f, p[i:j], foff+within+int64(i)); e != nil {
				err = r.regionErr(moff+int64(i), j-i, foff+within+int64(i), "%v", e)
			}
		} else {
			err = vdisk.ReadParent(r.parent, p[i:j], moff+int64(i))
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		i = j
	}
	return firstErr
}
