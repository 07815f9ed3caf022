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
	"github.com/triagekit/triage/triage/fs/udf"
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
	// sessions are the sessions of a multi-session disc, oldest first
	// (nil for one session); session is the number of the one whose tree
	// this volume reads (1 for the first).
	sessions []session
	session  int
	// udf is set on a bridge disc, whose UDF side is not read.
	udf bool
}

// descriptors are the volume descriptors of one session.
type descriptors struct {
	pvd, svd       []byte
	pvdOff, svdOff int64
}

// readDescriptors reads the volume descriptors that start at byte off
// (sector 16 of a session). It returns nil and no error when the first
// one has no signature.
func (v *volume) readDescriptors(off int64) (*descriptors, error) {
	d := &descriptors{}
	buf := make([]byte, sector)
	for i := int64(0); ; i++ {
		o := off + i*sector
		if i >= MaxDescriptors {
			return nil, v.errf(o, "no terminator in the first %d volume descriptors", MaxDescriptors)
		}
		if o+sector > v.size {
			if d.pvd != nil {
				break
			}
			return nil, v.errf(o, "volume descriptors run past the end of the volume (%d bytes)", v.size)
		}
		if _, err := v.r.ReadAt(buf, o); err != nil {
			return nil, fmt.Errorf("iso9660: failed to read the volume descriptor at byte %#x: %w", v.base+o, err)
		}
		if string(buf[1:6]) != "CD001" {
			if d.pvd != nil {
				break // no terminator: the descriptors read are enough
			}
			if i == 0 {
				return nil, nil
			}
			return nil, v.errf(o+1, "no volume descriptor signature")
		}
		switch buf[0] {
		case vdTypePV:
			if d.pvd == nil {
				d.pvd, d.pvdOff = append([]byte(nil), buf...), o
			}
		case vdTypeSV:
			// Joliet: UCS-2 escape sequences %/@, %/C or %/E
			if esc := buf[88:91]; d.svd == nil && esc[0] == '%' && esc[1] == '/' && (esc[2] == '@' || esc[2] == 'C' || esc[2] == 'E') {
				d.svd, d.svdOff = append([]byte(nil), buf...), o
			}
		}
		if buf[0] == vdTerm {
			break
		}
	}
	if d.pvd == nil {
		return nil, ErrNotISO
	}
	return d, nil
}

// Open reads the volume descriptors of the volume held in r, and those of
// the later sessions of a multi-session disc (see sessions.go): the
// volume is the newest session's tree.
func Open(r io.ReaderAt, base, size int64, _ fs.Options) (fs.FS, error) {
	v := &volume{r: r, base: base, size: size}
	d, err := v.readDescriptors(vdStart)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, v.errf(vdStart+1, "no volume descriptor signature")
	}
	v.block = int64(le16(d.pvd[128:]))
	if v.block != 512 && v.block != 1024 && v.block != 2048 {
		return nil, v.errf(d.pvdOff+128, "logical block size %d", v.block)
	}
	if err := v.use(d); err != nil {
		return nil, err
	}
	v.findSessions(d)
	head := make([]byte, min(size, fs.ProbeSize))
	if n, _ := r.ReadAt(head, 0); udf.Probe(head[:n]) {
		v.udf = true
	}
	return v, nil
}

// use makes the tree of the descriptors d the one v reads: its root, and
// Rock Ridge or Joliet names.
func (v *volume) use(d *descriptors) error {
	v.label = trimPad(string(d.pvd[40:72]))
	v.created = decTime(d.pvd[813:830])
	root, err := v.parseRecord(d.pvd[156:190], d.pvdOff+156)
	if err != nil {
		return err
	}
	v.root, v.rr, v.joliet, v.skip = root, false, false, 0
	// Rock Ridge: the root's "." record starts with an SUSP "SP" entry.
	if dot, err := v.firstRecord(root); err == nil {
		if su := dot.su; len(su) >= 7 && su[0] == 'S' && su[1] == 'P' && su[4] == 0xbe && su[5] == 0xef {
			v.rr, v.skip = true, int(su[6])
		}
	}
	if !v.rr && d.svd != nil {
		jroot, err := v.parseRecord(d.svd[156:190], d.svdOff+156)
		if err == nil {
			v.root, v.joliet = jroot, true
			if l := decodeUCS2([]byte(trimPadUCS2(d.svd[40:72]))); l != "" {
				v.label = l
			}
		}
	}
	return nil
}

func (v *volume) Label() string { return v.label }

func (v *volume) errf(off int64, format string, a ...any) error {
	return &FormatError{v.base + off, fmt.Sprintf(format, a...)}
}

// Walk yields the root folder and every entry below it, depth first in
// directory order.
func (v *volume) Walk(ctx context.Context, visit func(*fs.Entry) error, problem func(error)) error {
	w := &walker{v: v, ctx: ctx, visit: visit, problem: problem, seen: map[uint32]bool{}}
	if len(v.sessions) == 0 {
		return w.walk()
	}
	return v.walkSessions(w)
}
