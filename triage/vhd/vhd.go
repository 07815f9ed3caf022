// Package vhd reads Microsoft Virtual Hard Disk (VHD, "conectix") images:
// fixed disks (the raw media followed by a 512-byte footer that is not
// part of the disk), dynamic disks (a block allocation table and a sector
// bitmap per block) and differencing disks, read with their parents.
//
// A Reader is an io.ReaderAt over the virtual disk; concurrent ReadAt
// calls are safe. A read that reaches the end of the disk returns the
// bytes before it and io.EOF. A block whose data lies outside its file
// reads as zeros and is returned as a *container.RegionError naming the
// file and the offset.
package vhd

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"
	"unicode/utf16"

	"github.com/triagekit/triage/internal/vdisk"
	"github.com/triagekit/triage/triage/image/container"
)

// Limits on what a header may declare.
const (
	footerSize    = 512
	headerSize    = 1024
	maxBlockSize  = 256 << 20 // bytes per block
	maxBATEntries = 1 << 24   // 16 Mi blocks
	maxDiskSize   = 1 << 50
	// MetadataKey is the key of a VHD's metadata on the evidence item.
	MetadataKey = "vhd"
)

// Disk types of the footer.
const (
	TypeFixed        = 2
	TypeDynamic      = 3
	TypeDifferencing = 4
)

var (
	// ErrNotVHD is returned when a file has no VHD footer.
	ErrNotVHD = errors.New("vhd: not a VHD image")
	cookie    = []byte("conectix")
	dynCookie = []byte("cxsparse")
)

// ErrNoParent is wrapped by the error returned for a differencing disk
// whose parent is not found (next to it under the name it records, nor
// among the parents given).
var ErrNoParent = vdisk.ErrNoParent

// FormatError reports a problem in the structure of a VHD file, at a byte
// offset of that file.
type FormatError struct {
	File string
	Off  int64
	Msg  string
	Val  any
}

func (e *FormatError) Error() string {
	s := "vhd: " + filepath.Base(e.File) + ": " + e.Msg
	if e.Val != nil {
		s += fmt.Sprintf(" %v", e.Val)
	}
	return s + fmt.Sprintf(" at byte %#x", e.Off)
}

// IsVHD tells whether a file starts or ends with a VHD footer (a dynamic
// disk keeps a copy of it at offset 0; a fixed disk has it at the end
// only). tail is the end of the file.
// A footer counts when its checksum is right or its version and disk type
// are those of a VHD, so that a stray "conectix" does not.
func IsVHD(head, tail []byte) bool {
	if len(tail) >= footerSize && isFooter(tail[len(tail)-footerSize:]) {
		return true
	}
	return isFooter(head)
}

func isFooter(b []byte) bool {
	f, err := ParseFooter(b)
	if err != nil {
		return false
	}
	return f.checksumOK || (f.Version == 0x00010000 && f.DiskType >= TypeFixed && f.DiskType <= TypeDifferencing)
}

// Footer is the VHD footer.
type Footer struct {
	Features      uint32
	Version       uint32
	DataOffset    uint64
	Timestamp     time.Time
	CreatorApp    string
	CreatorVer    uint32
	CreatorOS     string
	OriginalSize  uint64
	CurrentSize   uint64
	Cylinders     uint16
	Heads         uint8
	SectorsPerTrk uint8
	DiskType      uint32
	Checksum      uint32
	UniqueID      [16]byte
	SavedState    uint8
	checksumOK    bool
}

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func checksum(b []byte, at int) uint32 {
	var s uint32
	for i, c := range b {
		if i >= at && i < at+4 {
			continue
		}
		s += uint32(c)
	}
	return ^s
}

// ParseFooter parses a 512-byte footer.
func ParseFooter(b []byte) (*Footer, error) {
	if len(b) < footerSize || !bytes.HasPrefix(b, cookie) {
		return nil, ErrNotVHD
	}
	be := binary.BigEndian
	f := &Footer{
		Features: be.Uint32(b[8:]), Version: be.Uint32(b[12:]), DataOffset: be.Uint64(b[16:]),
		Timestamp:  epoch.Add(time.Duration(be.Uint32(b[24:])) * time.Second),
		CreatorApp: printable(b[28:32]), CreatorVer: be.Uint32(b[32:]), CreatorOS: printable(b[36:40]),
		OriginalSize: be.Uint64(b[40:]), CurrentSize: be.Uint64(b[48:]),
		Cylinders: be.Uint16(b[56:]), Heads: b[58], SectorsPerTrk: b[59],
		DiskType: be.Uint32(b[60:]), Checksum: be.Uint32(b[64:]), SavedState: b[84],
	}
	copy(f.UniqueID[:], b[68:84])
	f.checksumOK = checksum(b[:footerSize], 64) == f.Checksum
	return f, nil
}

func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		} else if c != 0 {
			out = append(out, '?')
		}
	}
	return string(bytes.TrimRight(out, " "))
}

// DynamicHeader is the header of a dynamic or differencing disk.
type DynamicHeader struct {
	TableOffset     uint64
	HeaderVersion   uint32
	MaxTableEntries uint32
	BlockSize       uint32
	Checksum        uint32
	ParentUniqueID  [16]byte
	ParentTimestamp time.Time
	ParentName      string
	Locators        []Locator
	checksumOK      bool
}

// Locator is a parent locator entry: where the child records the path of
// its parent, for one platform ("W2ku" absolute Windows path, "W2ru"
// relative one...).
type Locator struct {
	Platform string
	Path     string
}

// ParseDynamicHeader parses a 1024-byte dynamic disk header.
func ParseDynamicHeader(b []byte) (*DynamicHeader, error) {
	if len(b) < headerSize || !bytes.HasPrefix(b, dynCookie) {
		return nil, errors.New("no dynamic disk header (cxsparse)")
	}
	be := binary.BigEndian
	h := &DynamicHeader{
		TableOffset: be.Uint64(b[16:]), HeaderVersion: be.Uint32(b[24:]),
		MaxTableEntries: be.Uint32(b[28:]), BlockSize: be.Uint32(b[32:]), Checksum: be.Uint32(b[36:]),
		ParentTimestamp: epoch.Add(time.Duration(be.Uint32(b[56:])) * time.Second),
	}
	copy(h.ParentUniqueID[:], b[40:56])
	h.ParentName = utf16String(b[64:576], true)
	h.checksumOK = checksum(b[:headerSize], 36) == h.Checksum
	return h, nil
}

func utf16String(b []byte, bigEndian bool) string {
	var u []uint16
	for i := 0; i+1 < len(b); i += 2 {
		var c uint16
		if bigEndian {
			c = binary.BigEndian.Uint16(b[i:])
		} else {
			c = binary.LittleEndian.Uint16(b[i:])
		}
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// Reader reads a VHD image and its parents.
type Reader struct {
	vdisk.FileDigests // the files' SHA-256 from the last full stream

	f      io.ReaderAt
	closer io.Closer
	path   string
	fsize  int64
	size   int64
	footer *Footer
	dyn    *DynamicHeader
	bat    []uint32
	parent vdisk.Disk
	probs  []error
	alloc  int64 // allocated blocks
}

// New reads the VHD held by r (size bytes) with no
// parent: a differencing disk fails with ErrNoParent.
func New(r io.ReaderAt, size int64) (*Reader, error) {
	return newReader(r, size, "", &vdisk.Chain{})
}

// Open opens the VHD at path read-only, with its parents when it is a
// differencing disk (looked for next to it by the name it records, or
// among parents).
func Open(path string, parents ...string) (*Reader, error) {
	return openChain(path, &vdisk.Chain{Given: parents})
}

func openChain(path string, c *vdisk.Chain) (*Reader, error) {
	return vdisk.OpenMember("vhd", path, c, func(f *vdisk.File, size int64) (*Reader, error) {
		r, err := newReader(f, size, path, c)
		if err == nil {
			r.closer = f
		}
		return r, err
	})
}

func newReader(f io.ReaderAt, fsize int64, path string, c *vdisk.Chain) (*Reader, error) {
	r := &Reader{f: f, path: path, fsize: fsize}
	name := path
	if name == "" {
		name = "image"
	}
	ferr := func(off int64, msg string, val any) error {
		return &FormatError{File: name, Off: off, Msg: msg, Val: val}
	}
	if fsize < footerSize {
		return nil, ErrNotVHD
	}
	// The footer at the end, or its copy at offset 0 (dynamic disks).
	var tailF, headF *Footer
	buf := make([]byte, footerSize)
	if err := vdisk.ReadFull(f, buf, fsize-footerSize); err != nil {
		return nil, fmt.Errorf("vhd: %s: cannot read the footer at byte %#x: %w", filepath.Base(name), fsize-footerSize, err)
	}
	tailF, _ = ParseFooter(buf)
	if err := vdisk.ReadFull(f, buf, 0); err == nil {
		headF, _ = ParseFooter(buf)
	}
	switch {
	case tailF != nil && (tailF.checksumOK || headF == nil || !headF.checksumOK):
		r.footer = tailF
		if !tailF.checksumOK {
			r.probs = append(r.probs, ferr(fsize-footerSize+64, "footer checksum mismatch: stored", fmt.Sprintf("%#x", tailF.Checksum)))
		}
	case headF != nil:
		r.footer = headF
		if tailF == nil {
			r.probs = append(r.probs, ferr(fsize-footerSize, "no footer at the end of the file (truncated?); using its copy at byte 0", nil))
		} else {
			r.probs = append(r.probs, ferr(fsize-footerSize+64, "footer checksum mismatch; using its copy at byte 0", nil))
		}
		if !headF.checksumOK {
			r.probs = append(r.probs, ferr(64, "footer copy checksum mismatch: stored", fmt.Sprintf("%#x", headF.Checksum)))
		}
	default:
		return nil, ErrNotVHD
	}
	ft := r.footer
	if ft.CurrentSize > maxDiskSize {
		return nil, ferr(fsize-footerSize+48, "virtual size too large:", ft.CurrentSize)
	}
	r.size = int64(ft.CurrentSize)
	switch ft.DiskType {
	case TypeFixed:
		if r.size > fsize-footerSize {
			r.probs = append(r.probs, ferr(fsize-footerSize, fmt.Sprintf("fixed disk of %d bytes truncated: media bytes from %#x are missing and read as an error", r.size, fsize-footerSize), nil))
		}
		return r, nil
	case TypeDynamic, TypeDifferencing:
	default:
		return nil, ferr(fsize-footerSize+60, "unknown disk type", ft.DiskType)
	}
	if ft.DataOffset > uint64(fsize) || int64(ft.DataOffset) > fsize-headerSize {
		return nil, ferr(fsize-footerSize+16, "dynamic header offset outside the file:", ft.DataOffset)
	}
	hoff := int64(ft.DataOffset)
	hb := make([]byte, headerSize)
	if err := vdisk.ReadFull(f, hb, hoff); err != nil {
		return nil, ferr(hoff, "cannot read the dynamic header: "+err.Error(), nil)
	}
	dyn, err := ParseDynamicHeader(hb)
	if err != nil {
		return nil, ferr(hoff, err.Error(), nil)
	}
	r.dyn = dyn
	if !dyn.checksumOK {
		r.probs = append(r.probs, ferr(hoff+36, "dynamic header checksum mismatch: stored", fmt.Sprintf("%#x", dyn.Checksum)))
	}
	bs := int64(dyn.BlockSize)
	if bs < 512 || bs > maxBlockSize || bs&(bs-1) != 0 {
		return nil, ferr(hoff+32, "bad block size", dyn.BlockSize)
	}
	need := (r.size + bs - 1) / bs
	if int64(dyn.MaxTableEntries) < need {
		return nil, ferr(hoff+28, fmt.Sprintf("block table of %d entries too small for a disk of %d bytes: want", dyn.MaxTableEntries, r.size), need)
	}
	if need > maxBATEntries {
		return nil, ferr(hoff+28, "too many blocks:", need)
	}
	if dyn.TableOffset > uint64(fsize) || int64(dyn.TableOffset)+need*4 > fsize {
		return nil, ferr(hoff+16, "block table outside the file:", dyn.TableOffset)
	}
	bat := make([]byte, need*4)
	if err := vdisk.ReadFull(f, bat, int64(dyn.TableOffset)); err != nil {
		return nil, ferr(int64(dyn.TableOffset), "cannot read the block table: "+err.Error(), nil)
	}
	r.bat = make([]uint32, need)
	for i := range r.bat {
		r.bat[i] = binary.BigEndian.Uint32(bat[i*4:])
		if r.bat[i] != 0xffffffff {
			r.alloc++
		}
	}
	// Locators, for the report.
	for i := range 8 {
		e := hb[576+i*24:]
		code := printable(e[0:4])
		if binary.BigEndian.Uint32(e[0:4]) == 0 {
			continue
		}
		l := Locator{Platform: code}
		dlen, doff := int64(binary.BigEndian.Uint32(e[8:])), binary.BigEndian.Uint64(e[16:])
		if dlen > 0 && dlen <= 4096 && doff < uint64(fsize) && int64(doff)+dlen <= fsize {
			b := make([]byte, dlen)
			if vdisk.ReadFull(f, b, int64(doff)) == nil {
				if code == "W2ku" || code == "W2ru" {
					l.Path = utf16String(b, false)
				} else {
					l.Path = printable(b)
				}
			}
		}
		dyn.Locators = append(dyn.Locators, l)
	}
	if ft.DiskType == TypeDifferencing {
		want := "unique ID " + uuidString(dyn.ParentUniqueID)
		recorded := dyn.ParentName
		for _, l := range dyn.Locators {
			if recorded == "" && l.Path != "" {
				recorded = l.Path
			}
		}
		p, err := vdisk.FindParent(c, path, recorded, want, true, func(pp string) (vdisk.Disk, error) {
			pr, err := openChain(pp, c)
			if err != nil {
				return nil, err
			}
			if pr.footer.UniqueID != dyn.ParentUniqueID {
				pr.Close()
				return nil, fmt.Errorf("vhd: parent %s has unique ID %s, %s expects %s", pp, uuidString(pr.footer.UniqueID), filepath.Base(name), uuidString(dyn.ParentUniqueID))
			}
			if pr.size != r.size {
				pr.Close()
				return nil, fmt.Errorf("vhd: parent %s has %d bytes, %s expects %d", pp, pr.size, filepath.Base(name), r.size)
			}
			return pr, nil
		})
		if err != nil {
			return nil, fmt.Errorf("vhd: %w", err)
		}
		r.parent = p
	}
	return r, nil
}

func uuidString(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Size returns the virtual disk size in bytes.
func (r *Reader) Size() int64 { return r.size }

// Footer returns the footer in use.
func (r *Reader) Footer() Footer { return *r.footer }

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
	if r.dyn == nil {
		return vdisk.ReadBlocks(p, off, r.size, 1<<20, r.readFixed)
	}
	return vdisk.ReadBlocks(p, off, r.size, int64(r.dyn.BlockSize), r.readBlock)
}

func (r *Reader) regionErr(moff int64, n int, foff int64, msg string) error {
	return &container.RegionError{Off: moff, Length: int64(n),
		Err: fmt.Errorf("vhd: media bytes %#x-%#x in %s unreadable at byte %#x: %s", moff, moff+int64(n)-1, filepath.Base(r.path), foff, msg)}
}

func (r *Reader) readFixed(p []byte, block, within int64) error {
	off := block<<20 + within
	end := r.fsize - footerSize
	n := int(max(0, min(int64(len(p)), end-off)))
	if n > 0 {
		if err := vdisk.ReadFull(r.f, p[:n], off); err != nil {
			return r.regionErr(off, len(p), off, err.Error())
		}
	}
	if n < len(p) {
		clear(p[n:])
		return r.regionErr(off+int64(n), len(p)-n, off+int64(n), "past the end of the file")
	}
	return nil
}

func (r *Reader) readBlock(p []byte, block, within int64) error {
	moff := block*int64(r.dyn.BlockSize) + within
	e := r.bat[block]
	if e == 0xffffffff {
		return vdisk.ReadParent(r.parent, p, moff)
	}
	bs := int64(r.dyn.BlockSize)
	bitmapSize := (bs/512/8 + 511) &^ 511
	start := int64(e) * 512
	data := start + bitmapSize
	batOff := int64(r.dyn.TableOffset) + block*4
	if data+within+int64(len(p)) > r.fsize {
		return r.regionErr(moff, len(p), batOff, fmt.Sprintf("block %d at byte %#x lies past the end of the file", block, start))
	}
	if r.footer.DiskType != TypeDifferencing {
		if err := vdisk.ReadFull(r.f, p, data+within); err != nil {
			return r.regionErr(moff, len(p), data+within, err.Error())
		}
		return nil
	}
	bm := make([]byte, bitmapSize)
	if err := vdisk.ReadFull(r.f, bm, start); err != nil {
		return r.regionErr(moff, len(p), start, "sector bitmap: "+err.Error())
	}
	var first error
	for i := 0; i < len(p); {
		s := (within + int64(i)) / 512
		in := bm[s/8]&(0x80>>(s%8)) != 0
		j := i
		for j < len(p) {
			t := (within + int64(j)) / 512
			if (bm[t/8]&(0x80>>(t%8)) != 0) != in {
				break
			}
			j = int(min(int64(len(p)), (t+1)*512-within))
		}
		var err error
		if in {
			if e := vdisk.ReadFull(r.f, p[i:j], data+within+int64(i)); e != nil {
				err = r.regionErr(moff+int64(i), j-i, data+within+int64(i), e.Error())
			}
		} else {
			err = vdisk.ReadParent(r.parent, p[i:j], moff+int64(i))
		}
		if err != nil && first == nil {
			first = err
		}
		i = j
	}
	return first
}
