// Package iso9660 is the ISO 9660 (ECMA-119) file system of optical discs
// and their images for the scan engine, with the Rock Ridge (RRIP/SUSP)
// and Joliet extensions.
//
// Names come from Rock Ridge when the primary tree carries it (POSIX
// names, modes, times, symbolic links, directories relocated past the
// eighth level), else from the Joliet tree (UCS-2 names), else from the
// primary tree's ISO 9660 identifiers without their ";1" version. The
// reader is triage's own, on an io.ReaderAt: every block number, length
// and count comes from the evidence and is checked against the volume
// size and a named maximum before it is used; a directory reached twice
// is a problem, not a loop. (github.com/kdomanski/iso9660 v0.4.0 reads no
// Joliet, reads volume descriptors until a read fails, computes
// directory offsets in 32 bits and returns no error when a directory
// cannot be read: wrapping it would have cost more than this reader.)
//
// An entry's address is the byte offset of its directory record in the
// volume: ISO 9660 has no inode numbers, and the record is what an
// examiner looks at in a hex editor.
package iso9660

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/triagekit/triage/triage/fs"
)

// Format is ISO 9660.
var Format = fs.Format{Name: "iso9660", Probe: Probe, Open: Open}

// Limits on what a volume may declare.
const (
	MaxDescriptors = 64      // volume descriptors read after sector 16
	MaxDepth       = 256     // folder levels walked
	MaxEntries     = 1 << 24 // directory records walked in one volume
	MaxContinue    = 32      // SUSP continuation areas of one record
)

const (
	sector   = 2048
	vdStart  = 16 * sector
	vdTypePV = 1
	vdTypeSV = 2
	vdTerm   = 255
)

// FormatError reports malformed bytes of a volume, at an image offset.
type FormatError struct {
	Off int64
	Msg string
}

func (e *FormatError) Error() string { return fmt.Sprintf("iso9660: %s at byte %#x", e.Msg, e.Off) }

// Offset returns the image offset of the problem.
func (e *FormatError) Offset() int64 { return e.Off }

// ErrNotISO is returned when the volume has no primary volume descriptor.
var ErrNotISO = errors.New("iso9660: no primary volume descriptor")

// Probe tells whether b holds an ISO 9660 volume descriptor at sector 16
// (byte 32768): a known type, "CD001" and version 1.
func Probe(b []byte) bool {
	if len(b) < vdStart+7 {
		return false
	}
	d := b[vdStart:]
	t := d[0]
	return string(d[1:6]) == "CD001" && d[6] == 1 && (t <= 3 || t == vdTerm)
}

// volume is an opened ISO 9660 volume.
type volume struct {
	r          io.ReaderAt
	base, size int64
	block      int64 // logical block size
	label      string
	// root is the root record of the tree whose names are used, joliet
	// whether that tree is Joliet's, rr whether Rock Ridge is read from
	// the primary tree and skip its SUSP skip length.
	root   record
	joliet bool
	rr     bool
	skip   int
	// Descriptor facts for Extra of the root.
	created time.Time
}

// Open reads the volume descriptors of the volume held in r.
func Open(r io.ReaderAt, base, size int64, _ fs.Options) (fs.FS, error) {
	v := &volume{r: r, base: base, size: size}
	var pvd, svd []byte
	var pvdOff, svdOff int64
	buf := make([]byte, sector)
	for i := int64(0); ; i++ {
		off := vdStart + i*sector
		if i >= MaxDescriptors {
			return nil, v.errf(off, "no terminator in the first %d volume descriptors", MaxDescriptors)
		}
		if off+sector > size {
			if pvd != nil {
				break
			}
			return nil, v.errf(off, "volume descriptors run past the end of the volume (%d bytes)", size)
		}
		if _, err := r.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("iso9660: failed to read the volume descriptor at byte %#x: %w", base+off, err)
		}
		if string(buf[1:6]) != "CD001" {
			if pvd != nil {
				break // no terminator: the descriptors read are enough
			}
			return nil, v.errf(off+1, "no volume descriptor signature")
		}
		switch buf[0] {
		case vdTypePV:
			if pvd == nil {
				pvd, pvdOff = append([]byte(nil), buf...), off
			}
		case vdTypeSV:
			// Joliet: UCS-2 escape sequences %/@, %/C or %/E
			if esc := buf[88:91]; svd == nil && esc[0] == '%' && esc[1] == '/' && (esc[2] == '@' || esc[2] == 'C' || esc[2] == 'E') {
				svd, svdOff = append([]byte(nil), buf...), off
			}
		}
		if buf[0] == vdTerm {
			break
		}
	}
	if pvd == nil {
		return nil, ErrNotISO
	}
	v.block = int64(le16(pvd[128:]))
	if v.block != 512 && v.block != 1024 && v.block != 2048 {
		return nil, v.errf(pvdOff+128, "logical block size %d", v.block)
	}
	v.label = trimPad(string(pvd[40:72]))
	v.created = decTime(pvd[813:830])
	root, err := v.parseRecord(pvd[156:190], pvdOff+156)
	if err != nil {
		return nil, err
	}
	v.root = root
	// Rock Ridge: the root's "." record starts with an SUSP "SP" entry.
	if dot, err := v.firstRecord(root); err == nil {
		if su := dot.su; len(su) >= 7 && su[0] == 'S' && su[1] == 'P' && su[4] == 0xbe && su[5] == 0xef {
			v.rr, v.skip = true, int(su[6])
		}
	}
	if !v.rr && svd != nil {
		jroot, err := v.parseRecord(svd[156:190], svdOff+156)
		if err == nil {
			v.root, v.joliet = jroot, true
			if l := decodeUCS2([]byte(trimPadUCS2(svd[40:72]))); l != "" {
				v.label = l
			}
		}
	}
	return v, nil
}

func (v *volume) Label() string { return v.label }

func (v *volume) errf(off int64, format string, a ...any) error {
	return &FormatError{v.base + off, fmt.Sprintf(format, a...)}
}

// Walk yields the root folder and every entry below it, depth first in
// directory order.
func (v *volume) Walk(ctx context.Context, visit func(*fs.Entry) error, problem func(error)) error {
	w := &walker{v: v, ctx: ctx, visit: visit, problem: problem, seen: map[uint32]bool{}}
	return w.walk()
}
