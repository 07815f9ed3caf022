package iso9660

import (
	"fmt"
	"strings"
	"time"
)

// rrInfo is what the Rock Ridge entries (RRIP over SUSP) of a directory
// record say.
type rrInfo struct {
	name    string
	hasName bool
	mode    uint32
	hasMode bool
	nlink   uint32
	uid     uint32
	gid     uint32
	// times of the TF entry
	mtime, atime, ctime, btime time.Time
	link                       string
	isLink                     bool
	child                      uint32 // CL: the relocated directory's extent
	hasChild                   bool
	relocated                  bool // RE: a relocated directory, reached through its CL
	zisofs                     bool // ZF: content stored zisofs-compressed
}

// POSIX file types of the PX mode.
const (
	modeType = 0o170000
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeLink = 0o120000
)

// rockRidge reads the SUSP entries of rec's system use area and of the
// continuation areas (CE) it points to. Malformed entries end the read
// with a problem; what was read before stays.
func (v *volume) rockRidge(rec record, problem func(error)) rrInfo {
	var rr rrInfo
	area, areaOff := rec.su, rec.suOff
	if len(area) > v.skip {
		area, areaOff = area[v.skip:], areaOff+int64(v.skip)
	} else {
		area = nil
	}
	var sl slBuilder
	for hops := 0; area != nil; hops++ {
		if hops > MaxContinue {
			problem(v.errf(rec.off, "more than %d SUSP continuation areas", MaxContinue))
			break
		}
		var next []byte
		var nextOff int64
	entries:
		for p := 0; p+4 <= len(area); {
			sig, l := string(area[p:p+2]), int(area[p+2])
			if l < 4 || p+l > len(area) {
				if area[p] != 0 { // zero padding ends an area quietly
					problem(v.errf(areaOff+int64(p), "SUSP entry %q of %d bytes overruns its area", sig, l))
				}
				break
			}
			d := area[p+4 : p+l]
			switch sig {
			case "CE":
				if len(d) < 24 {
					break
				}
				blk, off, n := int64(le32(d[0:])), int64(le32(d[8:])), int64(le32(d[16:]))
				at := blk*v.block + off
				if n == 0 || n > sector || off >= v.block || at+n > v.size {
					problem(v.errf(areaOff+int64(p), "SUSP continuation area (block %d, offset %d, %d bytes) outside the volume", blk, off, n))
					break
				}
				next = make([]byte, n)
				if _, err := v.r.ReadAt(next, at); err != nil {
					problem(v.errf(at, "failed to read a SUSP continuation area: %v", err))
					next = nil
				}
				nextOff = at
			case "NM":
				if len(d) >= 1 && d[0]&0x06 == 0 { // not "." or ".."
					rr.name += string(d[1:])
					rr.hasName = true
				}
			case "PX":
				if len(d) >= 32 {
					rr.mode, rr.nlink, rr.uid, rr.gid = le32(d[0:]), le32(d[8:]), le32(d[16:]), le32(d[24:])
					rr.hasMode = true
				}
			case "TF":
				rr.times(d)
			case "SL":
				rr.isLink = true
				sl.add(d)
			case "CL":
				if len(d) >= 8 {
					rr.child, rr.hasChild = le32(d), true
				}
			case "RE":
				rr.relocated = true
			case "ZF":
				rr.zisofs = true
			case "ST":
				break entries
			}
			p += l
		}
		area, areaOff = next, nextOff
	}
	if rr.isLink {
		rr.link = sl.target()
	}
	return rr
}

// times reads a TF entry: the times its flags announce, in order
// (creation, modify, access, attributes, backup, expiration, effective),
// 7 bytes each, or 17 with the long-form flag.
func (rr *rrInfo) times(d []byte) {
	if len(d) < 1 {
		return
	}
	flags, size := d[0], 7
	if flags&0x80 != 0 {
		size = 17
	}
	p := 1
	for bit := range 7 {
		if flags&(1<<bit) == 0 {
			continue
		}
		if p+size > len(d) {
			return
		}
		var t time.Time
		if size == 7 {
			t = recTime(d[p : p+7])
		} else {
			t = decTime(d[p : p+17])
		}
		switch bit {
		case 0:
			rr.btime = t
		case 1:
			rr.mtime = t
		case 2:
			rr.atime = t
		case 3:
			rr.ctime = t
		}
		p += size
	}
}

// slBuilder assembles a symbolic link's target from the components of
// one or more SL entries.
type slBuilder struct {
	parts   []string
	partial *strings.Builder // a component continued in the next one
	abs     bool
	n       int
}

func (b *slBuilder) add(d []byte) {
	if len(d) < 1 {
		return
	}
	for q := 1; q+2 <= len(d) && b.n < 4096; b.n++ {
		cf, cl := d[q], int(d[q+1])
		if q+2+cl > len(d) {
			return
		}
		c := string(d[q+2 : q+2+cl])
		q += 2 + cl
		switch {
		case cf&0x02 != 0:
			c = "."
		case cf&0x04 != 0:
			c = ".."
		case cf&0x08 != 0:
			b.parts, b.abs, b.partial = nil, true, nil
			continue
		}
		if b.partial == nil {
			b.partial = &strings.Builder{}
		}
		b.partial.WriteString(c)
		if cf&0x01 == 0 {
			b.parts = append(b.parts, b.partial.String())
			b.partial = nil
		}
	}
}

func (b *slBuilder) target() string {
	parts := b.parts
	if b.partial != nil {
		parts = append(parts, b.partial.String())
	}
	s := strings.Join(parts, "/")
	if b.abs {
		s = "/" + s
	}
	return s
}

// modeString writes a POSIX mode as ls -l's first column would.
func modeString(m uint32) string { return fmt.Sprintf("%#o", m) }
